/**
 * The Gaussian family's numerics, against independent computations (f64 tolerance): the weighted fit equals the
 * plain fit on the union (equal weights) and on the union with repeated sets (weights as multiplicities). Its
 * matrix routines are test/models/gaussian/matrix.test.ts's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedGenerator } from '../../../src/core/rng.js';
import { fitGaussian, gaussianFamily, type GaussianData } from '../../../src/models/gaussian/family.js';

const TOL = 1e-12;
const close = (got: number, expected: number, what: string) =>
  assert.ok(Math.abs(got - expected) <= TOL * Math.max(1, Math.abs(expected)), `${what}: got ${got}, expected ${expected}, Δ ${got - expected}`);

function randomSet(rows: number, d: number, seed: number): GaussianData {
  const g = new KeyedGenerator(seed);
  return { rows, dim: d, x: Float64Array.from({ length: rows * d }, () => g.normal() * 2 + 1) };
}

/** The plain mean and covariance (divisor N or N − 1) of stacked sets, computed directly. */
function plainFit(sets: GaussianData[], d: number, unbiased: boolean) {
  const rows = sets.flatMap((s) => Array.from({ length: s.rows }, (_, r) => Array.from(s.x.subarray(r * d, (r + 1) * d))));
  const N = rows.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / N);
  const cov = Array.from({ length: d * d }, (_, jk) => {
    const j = Math.floor(jk / d);
    const k = jk % d;
    return rows.reduce((a, r) => a + (r[j] - mean[j]) * (r[k] - mean[k]), 0) / (unbiased ? N - 1 : N);
  });
  return { mean, cov };
}

test('fit: equal weights are the plain fit on the union of the sets (MLE divides by N, unbiased by N − 1)', () => {
  const d = 3;
  const sets = [randomSet(7, d, 1), randomSet(7, d, 2), randomSet(7, d, 3)];
  for (const estimator of ['mle', 'unbiased'] as const) {
    const model = fitGaussian(sets.map((data, i) => ({ data, weight: 1 / 3, set: i + 1 })), { dim: d, estimator });
    const expected = plainFit(sets, d, estimator === 'unbiased');
    expected.mean.forEach((v, j) => close(model.mean[j], v, `${estimator} mean ${j}`));
    expected.cov.forEach((v, jk) => close(model.covariance[jk], v, `${estimator} cov ${jk}`));
  }
});

test('fit: unequal weights act as multiplicities — weights (1/3, 2/3) fit as the union with the second set twice', () => {
  const d = 2;
  const a = randomSet(5, d, 4);
  const b = randomSet(5, d, 5);
  const model = fitGaussian([{ data: a, weight: 1 / 3, set: 1 }, { data: b, weight: 2 / 3, set: 2 }], { dim: d, estimator: 'mle' });
  const expected = plainFit([a, b, b], d, false);
  expected.mean.forEach((v, j) => close(model.mean[j], v, `mean ${j}`));
  expected.cov.forEach((v, jk) => close(model.covariance[jk], v, `cov ${jk}`));
  // unbiased: divided by 1 − Σ w_i² with Σ w_i² = (1/3)²/5 + (2/3)²/5 = 1/9
  const unbiased = fitGaussian([{ data: a, weight: 1 / 3, set: 1 }, { data: b, weight: 2 / 3, set: 2 }], { dim: d, estimator: 'unbiased' });
  expected.cov.forEach((v, jk) => close(unbiased.covariance[jk], v / (1 - 1 / 9), `unbiased cov ${jk}`));
});

test('fit: a known variance fits the mean only; the family samples N(μ̂, Σ̂) through its factor', async () => {
  const family = gaussianFamily({ dim: 2, estimator: 'mle', knownVariance: true });
  const set = randomSet(4, 2, 6);
  const model = await family.fit([{ data: set, weight: 1, set: 1 }], 0);
  assert.deepEqual([...model.covariance], [1, 0, 0, 1]);
  assert.deepEqual([...model.factor], [1, 0, 0, 1]);
  const drawn = await family.sample({ mean: Float64Array.of(3, -1), covariance: Float64Array.of(4, 2, 2, 2), factor: Float64Array.of(2, 0, 1, 1) }, 3, 9);
  const z = new KeyedGenerator(9);
  for (let r = 0; r < 3; r++) {
    const z0 = z.normal();
    const z1 = z.normal();
    close(drawn.x[2 * r], 3 + 2 * z0, `row ${r} x0`);
    close(drawn.x[2 * r + 1], -1 + z0 + z1, `row ${r} x1`);
  }
  assert.deepEqual([...family.take(drawn, [2, 0]).x], [drawn.x[4], drawn.x[5], drawn.x[0], drawn.x[1]]);
});
