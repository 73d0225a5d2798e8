/**
 * Monte Carlo of the literature's strategies against their exact theory (both methods), and accumulate-subsample,
 * which has none, against what must hold anyway. Family false-failure budget 1e-6 for this file (C6), over K events:
 * the closed-form runs are judged by verify's finite-sample bands (proofs P12: N + 1 events a run, proven whatever
 * the skew); the subsample and uniformity checks by |z| < zStar(K) (normal approximation).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctSampler, KeyedGenerator, sampleDistinct } from '../../../src/core/rng.js';
import { zStar } from '../../../src/core/stats.js';
import { judge } from '../../../src/experiments/verify.js';
import { sharedBackend } from '../../helpers/backend.js';
import { runLinear, type LinearConfig } from '../../../src/experiments/linear.js';
import { expectedTestError } from '../../../src/theory/linear-fixed-design.js';
import { STRATEGIES } from '../../../src/strategies/index.js';

const ITERATIONS = 6;
const CLOSED_FORM = ['window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'];
const SUBSAMPLE_CHECKS = 1 + 2 * (ITERATIONS - 2);
const UNIFORMITY_CHECKS = 1;
// per closed-form strategy and method: the z|X residual at every iteration and the mean trace once
const K = CLOSED_FORM.length * 2 * (ITERATIONS + 1) + SUBSAMPLE_CHECKS + UNIFORMITY_CHECKS;
const Z = zStar(K);
const DELTA = 1e-6 / K;

const backend = sharedBackend();

const base = { dim: 6, samples: 30, noise: 2, iterations: ITERATIONS, seed: 3, backend: 'auto' as const };

for (const strategy of CLOSED_FORM) {
  for (const [method, trials] of [['full', 3000], ['reduced', 20000]] as const) {
    test(`P12: ${strategy} ${method}: Monte Carlo within its finite-sample bands of the exact theory`, async () => {
      const report = await runLinear({ ...base, strategy, method, trials } satisfies LinearConfig, { backend: backend() });
      assert.ok(report.iterations.every((row) => row.theory !== null));
      const verdict = judge(`${strategy} ${method}`, report, Infinity, DELTA);
      assert.ok(verdict.pass, verdict.failures.join('; '));
    });
  }
}

test('accumulate-subsample: no theory printed; n = 1 is OLS on the real data; from n = 3 the error lies strictly between accumulate and replace', async () => {
  const report = await runLinear({ ...base, strategy: 'accumulate-subsample', method: 'full', trials: 4000 }, { backend: backend() });
  assert.equal(report.hasTheory, false);
  assert.ok(report.iterations.every((r) => r.theory === null && r.z === null && r.zConditional === null));
  const setting = { sigma2: base.noise, dim: base.dim, samples: base.samples };
  const accumulate = expectedTestError(STRATEGIES.accumulate, setting, ITERATIONS);
  const replace = expectedTestError(STRATEGIES.replace, setting, ITERATIONS);
  const rows = report.iterations;
  // the T rows drawn from one data set of T rows are all of them: exactly the first OLS fit
  assert.ok(Math.abs((rows[0].mean - accumulate[0]) / rows[0].stderr) < Z, `n=1: ${rows[0].mean} vs ${accumulate[0]}`);
  // above accumulate's error and below replace's from n = 3 on, by more than the band
  for (let n = 2; n < ITERATIONS; n++) {
    assert.ok((rows[n].mean - accumulate[n]) / rows[n].stderr > Z, `n=${n + 1}: ${rows[n].mean} vs accumulate ${accumulate[n]}`);
    assert.ok((replace[n] - rows[n].mean) / rows[n].stderr > Z, `n=${n + 1}: ${rows[n].mean} vs replace ${replace[n]}`);
  }
});

test('a reused DistinctSampler draws what a fresh one draws (stamps of earlier calls never leak)', () => {
  const reused = new DistinctSampler();
  const [a, b] = [new KeyedGenerator(5), new KeyedGenerator(5)];
  for (let r = 0; r < 500; r++) {
    const range = 20 + (r % 37);
    const count = 1 + (r % 19);
    assert.deepEqual(reused.draw(range, count, a), sampleDistinct(range, count, b), `call ${r}`);
  }
});

test('sampleDistinct draws distinct indices, uniformly (χ² over 40 cells)', () => {
  const generator = new KeyedGenerator(99);
  const sampler = new DistinctSampler(); // one sampler reused, as the Monte Carlo does: stale stamps must not leak
  const range = 40;
  const count = 10;
  const draws = 20000;
  const hits = new Array<number>(range).fill(0);
  for (let r = 0; r < draws; r++) {
    const picked = sampler.draw(range, count, generator);
    assert.equal(new Set(picked).size, count);
    for (const i of picked) {
      assert.ok(Number.isInteger(i) && i >= 0 && i < range);
      hits[i] += 1;
    }
  }
  const expected = (draws * count) / range;
  const chi2 = hits.reduce((s, h) => s + (h - expected) ** 2 / expected, 0);
  // χ²(39) has mean 39, sd √78 ≈ 8.8 (slightly less without replacement); |z| < Z as the normal approximation
  assert.ok((chi2 - 39) / Math.sqrt(78) < Z, `χ² = ${chi2}`);
});
