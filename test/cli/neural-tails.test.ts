/**
 * `collapse neural --model lm --json` at toy sizes on a small corpus file: every generation reports metrics.rareMass
 * (src/models/neural/lm/tails.ts), generation 1's is exactly its real data set's, every seed's series is kept, and the
 * profile decides tailDisappearance from it (paired over the seeds) or says why it cannot (one seed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { foldIn } from '../../src/core/rng.js';
import { LOOP_STREAM } from '../../src/core/streams.js';
import { buildFamily, neuralParts, partKey, validateNeuralConfig } from '../../src/experiments/neural.js';
import type { CollapseProfile } from '../../src/models/collapse-profile.js';
import type { LmData } from '../../src/models/neural/lm/index.js';
import { rareBigrams, rareMass } from '../../src/models/neural/lm/tails.js';
import { fileCorpus } from '../../src/models/neural/lm/corpus-file.js';
import { mainInProcess } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'collapse-lm-tails-'));
const file = join(dir, 'stories.txt');
writeFileSync(file, Array.from({ length: 40 }, (_, i) => `once upon a time a ${['cat', 'fox', 'owl'][i % 3]} named ${i} walked to the river.`).join('\n\n'));
const TINY = ['--width', '8', '--heads', '2', '--layers', '1', '--context', '8', '--samples', '16', '--test-samples', '8', '--iterations', '2', '--schedule', 'steps:2', '--strategy', 'replace', '--seed', '3'];

type Out = Record<string, {
  iterations: { metrics: Record<string, number> }[];
  settings: Record<string, number>;
  trajectories?: { rareMass: number[] }[];
  profile: CollapseProfile;
}>;

test('collapse neural --model lm --json: metrics.rareMass per generation, per seed, and the profile decides tailDisappearance from it', async () => {
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const one = await mainInProcess(['neural', '--model', 'lm', '--corpus', file, ...TINY, '--json']);
  const two = await mainInProcess(['neural', '--model', 'lm', '--corpus', file, ...TINY, '--seeds', '2', '--json']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  for (const run of [one, two]) assert.equal(run.code, 0, run.stderr);
  const single = (JSON.parse(one.stdout) as Out)['lm-replace'];
  const paired = (JSON.parse(two.stdout) as Out)['lm-replace'];

  // the rare set is the corpus's training text's, echoed in settings
  const real = rareBigrams(fileCorpus(file).train.tokens, single.settings.vocab);
  assert.ok(real.size > 0);
  assert.deepEqual([single.settings.rareQuantile, single.settings.rareBigrams, single.settings.rareRealMass], [0.1, real.size, real.realMass]);

  // generation 1 drew real text only: its rareMass is exactly that data set's (data set 1, redrawn from its key)
  const config = validateNeuralConfig({ model: 'lm', corpus: file, width: 8, heads: 2, layers: 1, context: 8, samples: 16, 'test-samples': 8, iterations: 2, schedule: 'steps:2', strategy: 'replace', seed: 3 });
  const part = neuralParts(config)[0];
  const family = await buildFamily(part);
  const set1 = (await family.real(16, foldIn(foldIn(partKey(part), LOOP_STREAM.data), 1))) as LmData;
  assert.equal(single.iterations[0].metrics.rareMass, rareMass([set1], real));
  for (const row of [...single.iterations, ...paired.iterations]) assert.ok(row.metrics.rareMass >= 0 && row.metrics.rareMass <= 1);

  // one seed: measurable, undecided, and says so
  assert.deepEqual([single.profile.tailDisappearance.measurable, single.profile.tailDisappearance.holds], [true, null]);
  assert.match(single.profile.tailDisappearance.why, /^one trajectory: metrics\.rareMass .*no interval \(run --seeds K ≥ 2\)$/);
  // two seeds: each seed's series kept (seed 1's is the single run's), the means under metrics, an interval over the pair
  const series = (paired.trajectories ?? []).map((t) => t.rareMass);
  assert.equal(series.length, 2);
  assert.deepEqual(series[0], single.iterations.map((row) => row.metrics.rareMass));
  paired.iterations.forEach((row, n) => assert.equal(row.metrics.rareMass, (series[0][n] + series[1][n]) / 2));
  const tail = paired.profile.tailDisappearance;
  assert.equal(tail.measurable, true);
  assert.match(tail.why, /^metrics\.rareMass .* at n = 2 minus n = 1, paired over 2 seeds: .*95% t-interval \[.*\] \(approximate/);
  assert.ok(tail.basis === 'measurement' ? tail.holds !== null : tail.holds === null && /holds 0$/.test(tail.why));
});
