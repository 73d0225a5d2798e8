/**
 * The Gaussian family's matrix routines (src/models/gaussian/matrix.ts) against ml-matrix, in float64: the
 * eigenvalues of symmetric matrices and the Cholesky factor of semi-definite ones (singular included).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { KeyedGenerator } from '../../../src/core/rng.js';
import { psdCholesky, symmetricEigenvalues } from '../../../src/models/gaussian/matrix.js';

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
