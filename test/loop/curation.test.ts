/**
 * The loop's filter step (src/loop/curation.ts): rule parsing, what each rule keeps, refilling to m, determinism,
 * resume bit-identical, and the errors a family without a verifier or a verifier that accepts nothing give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NumericError, UsageError } from '../../src/core/errors.js';
import { foldIn, rootKey } from '../../src/core/rng.js';
import { curate, curationName, MAX_CURATION_ROUNDS, parseCurationRule, topCandidates, topRows, validateCuration } from '../../src/loop/curation.js';
import { LOOP_STREAM, runTrajectory, type TrajectoryState } from '../../src/loop/generation-loop.js';
import { categoricalFamily } from '../../src/models/categorical/family.js';
import { realDistribution } from '../../src/experiments/categorical.js';
import { gaussianFamily, likelihoodScores, type GaussianData, type GaussianModel } from '../../src/models/gaussian/family.js';
import { parseStrategy } from '../../src/strategies/index.js';

test('parseCurationRule: threshold:τ and top:q, and a one-line UsageError for every bad value', () => {
  assert.deepEqual(parseCurationRule('threshold:-1.5'), { kind: 'threshold', tau: -1.5 });
  assert.deepEqual(parseCurationRule('top:0.25'), { kind: 'top', q: 0.25 });
  assert.equal(curationName(parseCurationRule(' top:1 ')), 'top:1');
  for (const bad of ['top:0', 'top:1.5', 'top:-0.1', 'top:NaN', 'threshold:', 'threshold:Infinity', 'keep:0.5', '', -1, 0, 2.5, NaN, null, [], {}]) {
    assert.throws(() => parseCurationRule(bad), (e: unknown) => e instanceof UsageError && !e.message.includes('\n'), JSON.stringify(bad));
  }
  assert.deepEqual(validateCuration({}, ['likelihood']), {});
  assert.deepEqual(validateCuration({ curate: 'top:0.5' }, ['likelihood']), { curate: 'top:0.5', verifier: 'likelihood' });
  assert.throws(() => validateCuration({ verifier: 'likelihood' }, ['likelihood']), UsageError);
  assert.throws(() => validateCuration({ curate: 'top:0.5', verifier: 'oracle' }, ['likelihood']), /--verifier must be one of likelihood/);
});

test('topRows keeps the m highest scores (NaN lowest, ties by index) in index order; topCandidates = ⌈m/q⌉', () => {
  assert.deepEqual(topRows(Float64Array.from([0.1, 0.9, NaN, 0.9, 0.5]), 3), [1, 3, 4]);
  assert.deepEqual(topRows(Float64Array.from([1, 1, 1, 1]), 2), [0, 1]);
  assert.equal(topCandidates(50, 0.1), 500);
  assert.equal(topCandidates(50, 1), 50);
  assert.equal(topCandidates(10, 0.3), 34);
});

const model1d: GaussianModel = { mean: Float64Array.from([2]), covariance: Float64Array.from([4]), factor: Float64Array.from([2]) };

test('threshold:τ keeps only passing items, refills to m from later rounds, and is a function of its key', async () => {
  const family = gaussianFamily({ dim: 1, estimator: 'mle' });
  const curation = { rule: { kind: 'threshold' as const, tau: -0.1 }, verifier: 'likelihood' }; // |x − 2|/2 ≤ √0.2: ~35% pass
  const a = await curate(family, model1d, 40, curation, rootKey(1));
  const b = await curate(family, model1d, 40, curation, rootKey(1));
  assert.equal(a.rows, 40);
  assert.deepEqual(a.x, b.x);
  for (const s of likelihoodScores(a, 'likelihood', model1d)) assert.ok(s >= -0.1, `kept score ${s}`);
  // slot i is candidate i of the first round that passes: round 0's passing candidates stay where they were
  const round0 = await family.sample(model1d, 40, foldIn(rootKey(1), 0));
  likelihoodScores(round0, 'likelihood', model1d).forEach((s, i) => {
    if (s >= -0.1) assert.equal(a.x[i], round0.x[i], `slot ${i}`);
  });
});

test('top:q keeps the m best of ⌈m/q⌉ candidates', async () => {
  const family = gaussianFamily({ dim: 2, estimator: 'mle' });
  const model: GaussianModel = { mean: Float64Array.from([0, 0]), covariance: Float64Array.from([1, 0, 0, 1]), factor: Float64Array.from([1, 0, 0, 1]) };
  const kept = await curate(family, model, 30, { rule: { kind: 'top', q: 0.3 }, verifier: 'likelihood' }, rootKey(4));
  const candidates = await family.sample(model, 100, foldIn(rootKey(4), 0));
  const all = Array.from(likelihoodScores(candidates, 'likelihood', model)).sort((x, y) => y - x);
  const got = Array.from(likelihoodScores(kept, 'likelihood', model)).sort((x, y) => y - x);
  assert.deepEqual(got, all.slice(0, 30));
});

test('a family without a verifier is a UsageError; a verifier that accepts nothing a NumericError after the round limit', async () => {
  const family = gaussianFamily({ dim: 1, estimator: 'mle' });
  const { score: _score, ...bare } = family;
  await assert.rejects(curate(bare, model1d, 5, { rule: { kind: 'top', q: 0.5 }, verifier: 'likelihood' }, 1), UsageError);
  const real = realDistribution({ categories: 5, zipf: 1, counts: null });
  const categorical = categoricalFamily(real);
  const p = { outcomes: Uint32Array.from([0, 1]), p: Float64Array.from([0.5, 0.5]), cumulative: Float64Array.from([0.5, 1]) };
  await assert.rejects(curate(categorical, p, 3, { rule: { kind: 'threshold', tau: 0.6 }, verifier: 'probability' }, 1), (e: unknown) => e instanceof NumericError && e.message.includes(`${MAX_CURATION_ROUNDS} rounds`));
});

test('the loop with curation: real data untouched, trajectories a function of the key, a resumed trajectory bit-identical', async () => {
  const family = gaussianFamily({ dim: 2, estimator: 'mle' });
  const config = { strategy: parseStrategy('accumulate'), iterations: 5, samples: 20, testSamples: 0, curation: { rule: { kind: 'threshold' as const, tau: -1 }, verifier: 'likelihood' } };
  const key = rootKey(12);
  const states: TrajectoryState<GaussianModel, GaussianData>[] = [];
  const full = await runTrajectory(family, config, key, undefined, { onGeneration: (s) => void states.push(s) });
  assert.deepEqual(await runTrajectory(family, config, key), full);
  const resumed = await runTrajectory(family, config, key, undefined, { resume: states[2] });
  assert.deepEqual(resumed, full);
  // model 1 sees only real data: identical with and without curation; later models differ
  const plain = await runTrajectory(family, { ...config, curation: undefined }, key);
  assert.deepEqual(plain[0], full[0]);
  assert.notDeepEqual(plain[4], full[4]);
  assert.equal(LOOP_STREAM.curate, 22); // its own role in core/streams.ts (21 is the neural sample grids')
});
