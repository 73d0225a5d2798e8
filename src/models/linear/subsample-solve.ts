/**
 * The minimum-norm fit's row inner products, register-blocked: every entry is computed by exactly the operations, in
 * exactly the order, of the one-entry-at-a-time loop it replaces, so the results are the same bit for bit (its
 * Cholesky factor is core/linalg's choleskyInPlace, blocked the same way). Those loops are latency-bound: each
 * entry is one chain of dependent float64 adds (~4 cycles each). Four entries side by side are four independent
 * chains that share their loads, so the CPU overlaps them.
 */

/**
 * K[a, b] = Σ_k x_a[k]·x_b[k] (k = 0, 1, … in order, float64) for the r rows `rows` (d values each, float64), both
 * triangles filled: the minimum-norm fit's r×r kernel matrix, four b's per pass over x_a.
 */
export function rowInnerProducts(rows: Float64Array, r: number, d: number, out: Float64Array): void {
  for (let a = 0; a < r; a++) {
    const xa = a * d;
    let b = 0;
    for (; b + 3 <= a; b += 4) {
      const x0 = b * d;
      const x1 = x0 + d;
      const x2 = x1 + d;
      const x3 = x2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < d; k++) {
        const v = rows[xa + k];
        s0 += v * rows[x0 + k];
        s1 += v * rows[x1 + k];
        s2 += v * rows[x2 + k];
        s3 += v * rows[x3 + k];
      }
      out[a * r + b] = out[b * r + a] = s0;
      out[a * r + b + 1] = out[(b + 1) * r + a] = s1;
      out[a * r + b + 2] = out[(b + 2) * r + a] = s2;
      out[a * r + b + 3] = out[(b + 3) * r + a] = s3;
    }
    for (; b <= a; b++) {
      const xb = b * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += rows[xa + k] * rows[xb + k];
      out[a * r + b] = out[b * r + a] = s;
    }
  }
}
