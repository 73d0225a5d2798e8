/**
 * T ≤ d: the full design's (XᵀX)⁺ (the minimum-norm refit) satisfies the Moore–Penrose conditions and matches
 * ml-matrix's SVD pseudo-inverse, whether it came from the T×T route (XXᵀ Cholesky) or the eigendecomposition.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Matrix, pseudoInverse } from 'ml-matrix';
import { rootKey } from '../../../src/core/rng.js';
import { hostTrialNormals } from '../../../src/kernels/linear.js';
import { fullDesignFromNormals } from '../../../src/models/linear/design.js';

for (const [T, d] of [[5, 30], [29, 30], [12, 12]] as const) {
  test(`(XᵀX)⁺ at T = ${T}, d = ${d}: Moore–Penrose conditions and ml-matrix's SVD pseudo-inverse`, () => {
    const B = 4;
    const z = hostTrialNormals(T * d + d, B, rootKey(T * 1000 + d), 0);
    const rows = Float32Array.from(z); // the design scales z in place
    const design = fullDesignFromNormals(z, 0, B, T, d);
    for (let tr = 0; tr < B; tr++) {
      const x = new Matrix(Array.from({ length: T }, (_, t) => Array.from(rows.subarray(tr * (T * d + d) + t * d, tr * (T * d + d) + t * d + d))));
      const a = x.transpose().mmul(x);
      const p = new Matrix(Array.from({ length: d }, (_, j) => Array.from(design.gramInverse.subarray(tr * d * d + j * d, tr * d * d + j * d + d))));
      const scale = a.norm('frobenius');
      const relative = (m: Matrix, want: Matrix, size: number) => m.clone().sub(want).norm('frobenius') / size;
      assert.ok(relative(a.mmul(p).mmul(a), a, scale) < 1e-8, 'A·P·A = A');
      assert.ok(relative(p.mmul(a).mmul(p), p, p.norm('frobenius')) < 1e-8, 'P·A·P = P');
      assert.ok(relative(p, p.transpose(), p.norm('frobenius')) < 1e-12, 'P symmetric');
      assert.ok(relative(p, pseudoInverse(a), p.norm('frobenius')) < 1e-6, 'P = pinv(A) by SVD');
      let trace = 0;
      for (let j = 0; j < d; j++) trace += p.get(j, j);
      assert.ok(Math.abs(design.traceGramInverse[tr] - trace) <= 1e-12 * Math.abs(trace), 'tr(P)');
    }
  });
}
