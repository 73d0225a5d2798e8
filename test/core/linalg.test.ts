import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { choleskyInPlace, gram, gramOfLower, invertLower, symmetricMatVec, tridiagonalEigenvalues } from '../../src/core/linalg.js';
import { normalStream, rootKey } from '../../src/core/rng.js';

/** float64 routines against ml-matrix, the reference: relative agreement to 1e-10 on well-conditioned matrices. */
for (const [T, d] of [[12, 1], [20, 5], [100, 32], [23, 6], [7, 3]]) { // odd d and T mod 4 ≠ 0 reach the remainder loops
  test(`gram, Cholesky and inverse agree with ml-matrix (T=${T}, d=${d})`, () => {
    const next = normalStream(rootKey(T * 100 + d));
    const x = Float64Array.from({ length: T * d }, () => next());
    const g = new Float64Array(d * d);
    gram(x, T, d, g);
    const X = new Matrix(Array.from({ length: T }, (_, t) => Array.from(x.subarray(t * d, t * d + d))));
    const G = X.transpose().mmul(X);
    const scale = G.max();
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) assert.ok(Math.abs(g[j * d + k] - G.get(j, k)) < 1e-12 * scale);

    const l = Float64Array.from(g);
    assert.equal(choleskyInPlace(l, d), true);
    const L = new CholeskyDecomposition(G).lowerTriangularMatrix;
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) assert.ok(Math.abs(l[j * d + k] - L.get(j, k)) < 1e-10 * Math.sqrt(scale), `L[${j},${k}]`);

    const m = new Float64Array(d * d);
    const trace = invertLower(l, d, m);
    const inverse = new Float64Array(d * d);
    gramOfLower(m, d, inverse);
    const reference = new CholeskyDecomposition(G).solve(Matrix.eye(d));
    let referenceTrace = 0;
    for (let j = 0; j < d; j++) {
      referenceTrace += reference.get(j, j);
      for (let k = 0; k < d; k++) assert.ok(Math.abs(inverse[j * d + k] - reference.get(j, k)) < 1e-10 * Math.abs(reference.get(j, j)), `inverse[${j},${k}]`);
    }
    assert.ok(Math.abs(trace - referenceTrace) < 1e-12 * referenceTrace, 'trace');
  });
}

test('choleskyInPlace reports a singular matrix', () => {
  assert.equal(choleskyInPlace(Float64Array.from([1, 2, 2, 4]), 2), false);
  assert.equal(choleskyInPlace(Float64Array.from([0]), 1), false);
  assert.equal(choleskyInPlace(Float64Array.from([NaN]), 1), false);
});

test('tridiagonalEigenvalues agrees with ml-matrix on random symmetric tridiagonal matrices (1e-11 relative to ‖A‖)', async () => {
  const { EigenvalueDecomposition } = await import('ml-matrix');
  const next = normalStream(rootKey(424242));
  for (const n of [1, 2, 3, 7, 32, 100]) {
    const diag = Float64Array.from({ length: n }, () => next() * 3);
    const off = Float64Array.from({ length: n }, () => next());
    const dense = Matrix.zeros(n, n);
    for (let i = 0; i < n; i++) {
      dense.set(i, i, diag[i]);
      if (i + 1 < n) {
        dense.set(i, i + 1, off[i]);
        dense.set(i + 1, i, off[i]);
      }
    }
    const want = new EigenvalueDecomposition(dense, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => a - b);
    tridiagonalEigenvalues(diag, off, n);
    const got = Array.from(diag).sort((a, b) => a - b);
    const norm = Math.max(...want.map(Math.abs));
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-11 * norm, `n=${n} λ_${i}: ${got[i]} vs ${want[i]}`);
  }
});

/** The bits of a float64 array (deepEqual on numbers would let 0 and −0 pass as equal). */
const bits = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

test('symmetricMatVec gives the plain row loop Σ_j A[i,j]·x[j] (from 0, j ascending) bit for bit', () => {
  for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 32, 101]) {
    const next = normalStream(rootKey(7000 + d));
    const offset = 3 * d * d; // the matrix of a later trial in a chunk's buffer
    const a = Float64Array.from({ length: 5 * d * d }, () => next());
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const v = j % 5 === 0 ? -0 : next() * 10 ** Math.round(3 * next()); // signed zeros and mixed magnitudes
        a[offset + i * d + j] = v;
        a[offset + j * d + i] = v;
      }
    }
    const x = Float64Array.from({ length: d }, (_, j) => (j % 7 === 3 ? 0 : next()));
    const want = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[offset + i * d + j] * x[j];
      want[i] = s;
    }
    const got = new Float64Array(d).fill(NaN);
    symmetricMatVec(a, offset, d, x, got);
    assert.deepEqual(bits(got), bits(want), `d=${d}`);
  }
});

/** The column-by-column loops the blocked routines replaced, kept as the reference for their bits. */
const reference = {
  cholesky(a: Float64Array, d: number): boolean {
    for (let j = 0; j < d; j++) {
      let diagonal = a[j * d + j];
      for (let k = 0; k < j; k++) diagonal -= a[j * d + k] * a[j * d + k];
      if (!(diagonal > 0)) return false;
      const ljj = Math.sqrt(diagonal);
      a[j * d + j] = ljj;
      for (let i = j + 1; i < d; i++) {
        let s = a[i * d + j];
        for (let k = 0; k < j; k++) s -= a[i * d + k] * a[j * d + k];
        a[i * d + j] = s / ljj;
      }
      for (let k = j + 1; k < d; k++) a[j * d + k] = 0;
    }
    return true;
  },
  invertLower(l: Float64Array, d: number, out: Float64Array): number {
    out.fill(0);
    let frobenius = 0;
    for (let c = 0; c < d; c++) {
      for (let i = c; i < d; i++) {
        let s = i === c ? 1 : 0;
        for (let k = c; k < i; k++) s -= l[i * d + k] * out[k * d + c];
        const v = s / l[i * d + i];
        out[i * d + c] = v;
        frobenius += v * v;
      }
    }
    return frobenius;
  },
  gramOfLower(m: Float64Array, d: number, out: Float64Array): void {
    for (let j = 0; j < d; j++) {
      for (let k = 0; k <= j; k++) {
        let s = 0;
        for (let i = j; i < d; i++) s += m[i * d + j] * m[i * d + k];
        out[j * d + k] = s;
        out[k * d + j] = s;
      }
    }
  },
};

test('choleskyInPlace, invertLower and gramOfLower give the column-by-column loops’ numbers bit for bit', () => {
  for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 32, 101]) {
    for (const T of [d + 3, 4 * d + 1]) { // ill- and well-conditioned Grams
      const next = normalStream(rootKey(9000 + 10 * d + T));
      const x = Float32Array.from({ length: T * d }, () => next());
      const g = new Float64Array(d * d);
      gram(x, T, d, g);
      const [got, want] = [Float64Array.from(g), Float64Array.from(g)];
      assert.equal(choleskyInPlace(got, d), reference.cholesky(want, d));
      assert.deepEqual(bits(got), bits(want), `L, d=${d} T=${T}`);
      const [m, mWant] = [new Float64Array(d * d).fill(NaN), new Float64Array(d * d)];
      const trace = invertLower(got, d, m);
      assert.ok(Object.is(trace, reference.invertLower(want, d, mWant)), `trace, d=${d} T=${T}`);
      assert.deepEqual(bits(m), bits(mWant), `L⁻¹, d=${d} T=${T}`);
      const [inverse, inverseWant] = [new Float64Array(d * d).fill(NaN), new Float64Array(d * d)];
      gramOfLower(m, d, inverse);
      reference.gramOfLower(mWant, d, inverseWant);
      assert.deepEqual(bits(inverse), bits(inverseWant), `(LLᵀ)⁻¹, d=${d} T=${T}`);
    }
  }
  // a matrix that is not positive definite fails at the same column, leaving the same partial factor
  const singular = Float64Array.from([4, 2, 2, 2, 1, 1, 2, 1, 5]);
  const copy = Float64Array.from(singular);
  assert.equal(choleskyInPlace(singular, 3), reference.cholesky(copy, 3));
  assert.deepEqual(bits(singular), bits(copy));
});

test('gram gives the two-rows-at-a-time loop’s XᵀX bit for bit (d not a multiple of 4, T not a multiple of 4)', () => {
  const twoRows = (x: Float32Array, T: number, d: number, out: Float64Array): void => {
    out.fill(0);
    const T4 = T - (T % 4);
    for (let t = 0; t < T4; t += 4) {
      const [r0, r1, r2, r3] = [t * d, (t + 1) * d, (t + 2) * d, (t + 3) * d];
      for (let j = 0; j < d; j++) {
        for (let k = 0; k <= j; k++) {
          out[j * d + k] += x[r0 + j] * x[r0 + k] + x[r1 + j] * x[r1 + k] + x[r2 + j] * x[r2 + k] + x[r3 + j] * x[r3 + k];
        }
      }
    }
    for (let t = T4; t < T; t++) for (let j = 0; j < d; j++) for (let k = 0; k <= j; k++) out[j * d + k] += x[t * d + j] * x[t * d + k];
    for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) out[j * d + k] = out[k * d + j];
  };
  for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 32, 101]) {
    for (const T of [d + 1, d + 2, 4 * d + 3, 8]) {
      const next = normalStream(rootKey(11000 + 10 * d + T));
      const x = Float32Array.from({ length: T * d }, () => next() * 10 ** Math.round(2 * next()));
      const [got, want] = [new Float64Array(d * d).fill(NaN), new Float64Array(d * d)];
      gram(x, T, d, got);
      twoRows(x, T, d, want);
      assert.deepEqual(bits(got), bits(want), `d=${d} T=${T}`);
    }
  }
});
