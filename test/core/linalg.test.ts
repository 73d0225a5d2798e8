import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { choleskyInPlace, gram, gramOfLower, invertLower } from '../../src/core/linalg.js';
import { normalStream, rootKey } from '../../src/core/rng.js';

/** float64 routines against ml-matrix, the reference: relative agreement to 1e-10 on well-conditioned matrices. */
for (const [T, d] of [[12, 1], [20, 5], [100, 32]]) {
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
