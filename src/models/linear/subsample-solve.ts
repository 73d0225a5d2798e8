/**
 * The subsample method's float64 host work, register-blocked: every entry is computed by exactly the operations, in
 * exactly the order, of the one-entry-at-a-time loops it replaces (core/linalg's choleskyInPlace and the row inner
 * products of the minimum-norm fit), so the results are the same bit for bit. Those loops are latency-bound: each
 * entry is one chain of dependent float64 adds (~4 cycles each). Four entries side by side are four independent
 * chains that share their loads, so the CPU overlaps them.
 */

/**
 * choleskyInPlace (core/linalg.ts) computing four rows of a column at once: the same lower factor L (a = LLᵀ,
 * row-major d×d, the upper triangle zeroed) and the same result, bit for bit. False when a pivot is not above
 * `minPivot` (the matrix is then left part-factored, as there).
 */
export function choleskyInPlaceBlocked(a: Float64Array, d: number, minPivot = 0): boolean {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let diagonal = a[rj + j];
    for (let k = 0; k < j; k++) diagonal -= a[rj + k] * a[rj + k];
    if (!(diagonal > minPivot)) return false;
    const ljj = Math.sqrt(diagonal);
    a[rj + j] = ljj;
    let i = j + 1;
    for (; i + 3 < d; i += 4) {
      const r0 = i * d;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      let s0 = a[r0 + j];
      let s1 = a[r1 + j];
      let s2 = a[r2 + j];
      let s3 = a[r3 + j];
      for (let k = 0; k < j; k++) {
        const v = a[rj + k];
        s0 -= a[r0 + k] * v;
        s1 -= a[r1 + k] * v;
        s2 -= a[r2 + k] * v;
        s3 -= a[r3 + k] * v;
      }
      a[r0 + j] = s0 / ljj;
      a[r1 + j] = s1 / ljj;
      a[r2 + j] = s2 / ljj;
      a[r3 + j] = s3 / ljj;
    }
    for (; i < d; i++) {
      const ri = i * d;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < d; k++) a[rj + k] = 0;
  }
  return true;
}

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
