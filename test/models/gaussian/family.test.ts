/**
 * The Gaussian family's numerics, against independent computations (f64 tolerance): the weighted fit equals the
 * plain fit on the union (equal weights) and on the union with repeated sets (weights as multiplicities); the
 * eigenvalues and the semi-definite Cholesky factor against ml-matrix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { KeyedGenerator } from '../../../src/core/rng.js';
import { fitGaussian, gaussianFamily, type GaussianData } from '../../../src/models/gaussian/family.js';
import { psdCholesky, symmetricEigenvalues } from '../../../src/models/gaussian/matrix.js';

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

test('symmetricEigenvalues agrees with ml-matrix on random symmetric matrices, d = 1 … 12', () => {
  const g = new KeyedGenerator(10);
  for (let d = 1; d <= 12; d++) {
    const a = new Float64Array(d * d);
    for (let j = 0; j < d; j++) for (let k = 0; k <= j; k++) a[j * d + k] = a[k * d + j] = g.normal();
    const reference = new EigenvalueDecomposition(new Matrix(Array.from({ length: d }, (_, j) => Array.from(a.subarray(j * d, (j + 1) * d)))), { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
    const values = new Float64Array(d);
    symmetricEigenvalues(Float64Array.from(a), d, values, new Float64Array(d));
    const sorted = [...values].sort((x, y) => x - y);
    sorted.forEach((v, i) => assert.ok(Math.abs(v - reference[i]) < 1e-10, `d=${d} λ${i}: ${v} vs ${reference[i]}`));
  }
});

test('psdCholesky: LLᵀ = A for positive definite and for singular semi-definite A, with the zero pivots counted', () => {
  const g = new KeyedGenerator(11);
  for (const [d, rank] of [[4, 4], [4, 2], [6, 5]] as const) {
    const b = Array.from({ length: d * rank }, () => g.normal());
    const a = new Float64Array(d * d);
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) for (let r = 0; r < rank; r++) a[j * d + k] += b[j * rank + r] * b[k * rank + r];
    const l = new Float64Array(d * d);
    assert.equal(psdCholesky(a, d, l), d - rank, `d=${d} rank=${rank}`);
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let r = 0; r < d; r++) s += l[j * d + r] * l[k * d + r];
        assert.ok(Math.abs(s - a[j * d + k]) < 1e-9 * Math.max(1, Math.abs(a[j * d + k])), `d=${d} rank=${rank} (${j},${k}): ${s} vs ${a[j * d + k]}`);
      }
    }
  }
});
