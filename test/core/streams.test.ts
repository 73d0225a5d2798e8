/**
 * The stream-role table (src/core/streams.ts): every role has its own index, so no two roles under one parent key
 * draw the same numbers, and the indices are the ones every stored result was drawn with (changing one would
 * change the numbers of every run that uses it, and stop old checkpoints from resuming bit-identically).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOOP_STREAM, STREAM, STREAM_ROLES } from '../../src/core/streams.js';

test('every stream role has its own index', () => {
  const byIndex = new Map<number, string[]>();
  for (const [role, index] of Object.entries(STREAM_ROLES)) byIndex.set(index, [...(byIndex.get(index) ?? []), role]);
  const shared = [...byIndex].filter(([, roles]) => roles.length > 1);
  assert.deepEqual(shared, [], `roles sharing an index: ${shared.map(([i, roles]) => `${i}: ${roles.join(', ')}`).join('; ')}`);
  // trajectories k ≥ 1 fold neuralTrajectory + k under the same key as the loop's and the grid's roles
  const highest = Math.max(...Object.values(STREAM_ROLES).filter((index) => index !== STREAM_ROLES.neuralTrajectory));
  assert.ok(STREAM_ROLES.neuralTrajectory + 1 > highest);
});

test('the indices are those results were drawn with before the table', () => {
  assert.deepEqual(STREAM, { design: 1, noise: 2, wishart: 3, subsample: 4 });
  assert.deepEqual(LOOP_STREAM, { trial: 16, data: 17, pool: 18, fit: 19, test: 20, curate: 22 });
  assert.deepEqual(
    { neuralGrid: STREAM_ROLES.neuralGrid, neuralTrajectory: STREAM_ROLES.neuralTrajectory, convergeSplit: STREAM_ROLES.convergeSplit, convergeValidation: STREAM_ROLES.convergeValidation },
    { neuralGrid: 21, neuralTrajectory: 1000, convergeSplit: 7, convergeValidation: 8 },
  );
  assert.equal(Object.keys(STREAM_ROLES).length, 14); // a new role gets its own pinned value here
});
