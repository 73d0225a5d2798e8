/**
 * `collapse categorical --out DIR` checkpoints like `gaussian` (the shared src/cli/run-command.ts): killed with
 * SIGKILL and continued with --resume DIR it ends bit-identical to a run never interrupted; a changed option is
 * refused with one line. Also the theory command's JSON through the built CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { collapseAsync, collapseSync, isOneLineError, waitFor, trialsDone } from './helpers.js';

const RUN = ['categorical', '--strategy', 'accumulate', '--categories', '40', '--zipf', '1.1', '--samples', '30', '--iterations', '10', '--trials', '6000', '--seed', '2', '--quiet'];
const root = mkdtempSync(join(tmpdir(), 'collapse-categorical-resume-'));
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).iterations;

test('categorical killed with SIGKILL and resumed ends bit-identical; a changed option is refused', async () => {
  const reference = join(root, 'reference');
  const ran = collapseSync([...RUN, '--out', reference]);
  assert.equal(ran.code, 0, ran.stderr);
  const dir = join(root, 'killed');
  const { child, done } = collapseAsync([...RUN, '--out', dir], { COLLAPSE_CHECKPOINT_INTERVAL_MS: '20' });
  await waitFor(() => trialsDone(dir) > 0, 'a checkpoint');
  child.kill('SIGKILL');
  if ((await done).code !== 0) {
    const refused = collapseSync(['categorical', '--resume', dir, '--samples', '31']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(isOneLineError(refused.stderr), refused.stderr);
    const resumed = collapseSync(['categorical', '--resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
  }
  assert.deepStrictEqual(results(dir), results(reference));
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
});

test('collapse theory --strategy fresh:p --optimize p --json through the built CLI', () => {
  const run = collapseSync(['theory', '--strategy', 'fresh:p', '--optimize', 'p', '--iterations', '2', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.deepEqual(json.optimum.parameter, 'p');
  assert.ok(Math.abs(json.optimum.value - 0.6180339887498949) < 1e-15);
  assert.equal(json.iterations[1].factorExact, '17/2 − 7/2·√5');
});

test('verify runs the bounded-value cases (categorical, Hutter) through the CLI and they pass', () => {
  const run = collapseSync(['verify', '--only', 'tails', '--trials-reduced', '2000', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.equal(json.pass, true);
  // Hutter's clean/cut/mix case (3 sources × 3 sizes) and the chained generations (2 chains × 3 sizes, H4)
  assert.deepEqual(json.cases.map((c: { definitions: string[] }) => c.definitions), [['scalingLawChange'], ['tailDisappearance']]);
  assert.equal(json.checks, 9 + 6);
  assert.deepEqual(json.cases.map((c: { run: { iterations: unknown[] } }) => c.run.iterations.length), [9, 6]);
});

test('a sweep runs categorical cells (src/sweep/commands.ts) and collects them into one table', async () => {
  const { writeFileSync } = await import('node:fs');
  const { mainInProcess } = await import('./helpers.js');
  const spec = join(root, 'cat-sweep.yaml');
  writeFileSync(spec, JSON.stringify({ command: 'categorical', base: { categories: 15, samples: 10, iterations: 3, trials: 200 }, grid: { strategy: ['replace', 'accumulate'] }, seeds: [1] }));
  const out = join(root, 'cat-sweep');
  const run = await mainInProcess(['sweep', 'run', spec, '--out', out, '--workers', '1']);
  assert.equal(run.code, 0, run.stderr);
  const collected = await mainInProcess(['sweep', 'collect', spec, '--dir', out, '--format', 'json']);
  assert.equal(collected.code, 0, collected.stderr);
  const table = JSON.stringify(JSON.parse(collected.stdout));
  assert.ok(table.includes('"accumulate"') && table.includes('"replace"'), table.slice(0, 300));
});
