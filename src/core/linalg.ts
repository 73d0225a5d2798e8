/**
 * Small dense float64 linear algebra on row-major typed arrays, for the per-trial host precomputation. A Monte
 * Carlo factors tens of thousands of d×d matrices; allocation-free loops here are ~10× faster than one ml-matrix
 * object per trial. test/core/linalg.test.ts checks each routine against ml-matrix.
 */

/**
 * Lower-triangular L with A = LLᵀ, written over the lower triangle of `a` (d×d); false if A is not positive definite,
 * or if a pivot falls to `minPivot` or below (for matrices that are singular up to rounding, e.g. a float32 Gram).
 * Column by column; a column's entries four rows at a time, four independent subtraction chains sharing each
 * a[j, k] (every entry subtracts the same products in the same order as one row at a time: bit-identical).
 */
export function choleskyInPlace(a: Float64Array, d: number, minPivot = 0): boolean {
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

/** Solve (LLᵀ)x = b in place of `b`, with L the lower Cholesky factor in `l` (n×n, row-major). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/**
 * M = L⁻¹ for lower-triangular L (forward substitution), into `out`; returns ‖L⁻¹‖_F² = tr((LLᵀ)⁻¹). Entry (i, c) is
 * (δ_ic − Σ_{k=c}^{i−1} L[i,k]·M[k,c]) / L[i,i], its products subtracted from 0 (1 on the diagonal) with k ascending.
 * Four columns at a time below their diagonal block: four independent chains share each L[i,k] and read M[k, c…c+3]
 * contiguously, where one column at a time is one dependent chain striding d through memory. Every entry subtracts
 * the same products in the same order, and the norm adds the squares in column order: bit-identical.
 */
export function invertLower(l: Float64Array, d: number, out: Float64Array): number {
  out.fill(0);
  let c = 0;
  for (; c + 3 < d; c += 4) {
    for (let col = c; col < c + 4; col++) substituteColumn(l, d, out, col, c + 4); // the diagonal block's rows
    const d0 = c * d;
    const d1 = d0 + d;
    const d2 = d1 + d;
    for (let i = c + 4; i < d; i++) {
      const ri = i * d;
      // k = c … c + 2 reach only the columns c + q ≤ k
      const l0 = l[ri + c];
      const l1 = l[ri + c + 1];
      const l2 = l[ri + c + 2];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      s0 -= l0 * out[d0 + c];
      s0 -= l1 * out[d1 + c];
      s1 -= l1 * out[d1 + c + 1];
      s0 -= l2 * out[d2 + c];
      s1 -= l2 * out[d2 + c + 1];
      s2 -= l2 * out[d2 + c + 2];
      for (let k = c + 3, rk = k * d + c; k < i; k++, rk += d) {
        const v = l[ri + k];
        s0 -= v * out[rk];
        s1 -= v * out[rk + 1];
        s2 -= v * out[rk + 2];
        s3 -= v * out[rk + 3];
      }
      const lii = l[ri + i];
      out[ri + c] = s0 / lii;
      out[ri + c + 1] = s1 / lii;
      out[ri + c + 2] = s2 / lii;
      out[ri + c + 3] = s3 / lii;
    }
  }
  for (; c < d; c++) substituteColumn(l, d, out, c, d);
  let frobenius = 0;
  for (let col = 0; col < d; col++) for (let at = col * d + col; at < d * d; at += d) frobenius += out[at] * out[at];
  return frobenius;
}

/** Rows col … end − 1 of column col of L⁻¹, one entry at a time (rows above col are M's, already final). */
function substituteColumn(l: Float64Array, d: number, out: Float64Array, col: number, end: number): void {
  for (let i = col; i < end; i++) {
    let s = i === col ? 1 : 0;
    for (let k = col; k < i; k++) s -= l[i * d + k] * out[k * d + col];
    out[i * d + col] = s / l[i * d + i];
  }
}

/**
 * (LLᵀ)⁻¹ = MᵀM from M = L⁻¹ (lower), into `out` (full symmetric d×d): entry (j, k ≤ j) is Σ_{i=j}^{d−1} M[i,j]·M[i,k]
 * from 0 with i ascending, both triangles given the same value. Four k at a time: four independent chains share
 * each M[i,j] and read M[i, k…k+3] contiguously (the same sums in the same order as one entry at a time).
 */
export function gramOfLower(m: Float64Array, d: number, out: Float64Array): void {
  const end = d * d;
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let k = 0;
    for (; k + 3 <= j; k += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let ri = rj; ri < end; ri += d) {
        const v = m[ri + j];
        s0 += v * m[ri + k];
        s1 += v * m[ri + k + 1];
        s2 += v * m[ri + k + 2];
        s3 += v * m[ri + k + 3];
      }
      out[rj + k] = s0;
      out[rj + k + 1] = s1;
      out[rj + k + 2] = s2;
      out[rj + k + 3] = s3;
      out[k * d + j] = s0;
      out[(k + 1) * d + j] = s1;
      out[(k + 2) * d + j] = s2;
      out[(k + 3) * d + j] = s3;
    }
    for (; k <= j; k++) {
      let s = 0;
      for (let ri = rj; ri < end; ri += d) s += m[ri + j] * m[ri + k];
      out[rj + k] = s;
      out[k * d + j] = s;
    }
  }
}

/**
 * XᵀX of a row-major T×d matrix, into `out` (full symmetric d×d). Four rows t per pass over the lower triangle, and
 * four rows j, j + 1, j + 2, j + 3 of the triangle at once: one load and store of out[j,k] per four products, and the
 * four x[t,k] loaded once for sixteen (~1.5× the two-row loop at d = 32–100, ~2.2× the single-row loop). Every entry
 * adds the sum of its four products (in t order) to its running total, block after block of four rows t, then the
 * remaining rows one at a time: the same numbers whatever the blocking of j, bit for bit.
 */
export function gram(x: ArrayLike<number>, T: number, d: number, out: Float64Array): void {
  out.fill(0);
  const T4 = T - (T % 4);
  for (let t = 0; t < T4; t += 4) {
    const r0 = t * d;
    const r1 = r0 + d;
    const r2 = r1 + d;
    const r3 = r2 + d;
    let j = 0;
    for (; j + 3 < d; j += 4) {
      const a0 = x[r0 + j];
      const a1 = x[r1 + j];
      const a2 = x[r2 + j];
      const a3 = x[r3 + j];
      const b0 = x[r0 + j + 1];
      const b1 = x[r1 + j + 1];
      const b2 = x[r2 + j + 1];
      const b3 = x[r3 + j + 1];
      const e0 = x[r0 + j + 2];
      const e1 = x[r1 + j + 2];
      const e2 = x[r2 + j + 2];
      const e3 = x[r3 + j + 2];
      const f0 = x[r0 + j + 3];
      const f1 = x[r1 + j + 3];
      const f2 = x[r2 + j + 3];
      const f3 = x[r3 + j + 3];
      const rowA = j * d;
      const rowB = rowA + d;
      const rowE = rowB + d;
      const rowF = rowE + d;
      for (let k = 0; k < j; k++) {
        const c0 = x[r0 + k];
        const c1 = x[r1 + k];
        const c2 = x[r2 + k];
        const c3 = x[r3 + k];
        out[rowA + k] += a0 * c0 + a1 * c1 + a2 * c2 + a3 * c3;
        out[rowB + k] += b0 * c0 + b1 * c1 + b2 * c2 + b3 * c3;
        out[rowE + k] += e0 * c0 + e1 * c1 + e2 * c2 + e3 * c3;
        out[rowF + k] += f0 * c0 + f1 * c1 + f2 * c2 + f3 * c3;
      }
      // the diagonal block's lower triangle, k = j … j + 3
      out[rowA + j] += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
      out[rowB + j] += b0 * a0 + b1 * a1 + b2 * a2 + b3 * a3;
      out[rowB + j + 1] += b0 * b0 + b1 * b1 + b2 * b2 + b3 * b3;
      out[rowE + j] += e0 * a0 + e1 * a1 + e2 * a2 + e3 * a3;
      out[rowE + j + 1] += e0 * b0 + e1 * b1 + e2 * b2 + e3 * b3;
      out[rowE + j + 2] += e0 * e0 + e1 * e1 + e2 * e2 + e3 * e3;
      out[rowF + j] += f0 * a0 + f1 * a1 + f2 * a2 + f3 * a3;
      out[rowF + j + 1] += f0 * b0 + f1 * b1 + f2 * b2 + f3 * b3;
      out[rowF + j + 2] += f0 * e0 + f1 * e1 + f2 * e2 + f3 * e3;
      out[rowF + j + 3] += f0 * f0 + f1 * f1 + f2 * f2 + f3 * f3;
    }
    for (; j < d; j++) {
      const a0 = x[r0 + j];
      const a1 = x[r1 + j];
      const a2 = x[r2 + j];
      const a3 = x[r3 + j];
      const row = j * d;
      for (let k = 0; k <= j; k++) out[row + k] += a0 * x[r0 + k] + a1 * x[r1 + k] + a2 * x[r2 + k] + a3 * x[r3 + k];
    }
  }
  for (let t = T4; t < T; t++) {
    const r = t * d;
    for (let j = 0; j < d; j++) {
      const a = x[r + j];
      for (let k = 0; k <= j; k++) out[j * d + k] += a * x[r + k];
    }
  }
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) out[j * d + k] = out[k * d + j];
}

/**
 * out[i] = Σ_j A[i,j]·x[j] for the symmetric d×d row-major A starting at `offset` in `a` (both triangles stored and
 * equal), each sum from 0 with j ascending: the plain row loop's numbers, bit for bit. It streams the lower triangle
 * once, row by row, four rows b … b + 3 at a time: A[b + q, i] for i < b is both out[b + q]'s term i (a dot-product
 * chain, four independent ones sharing x[i]) and, as A[i, b + q], out[i]'s term b + q (out[i] already holds its
 * terms below b, so its terms still arrive in ascending order). Each loaded value serves two multiply-adds and the
 * upper triangle is never read: the plain loop reads every A[i,j] from memory once per product, which bounds it once
 * a chunk's matrices outgrow the caches.
 */
export function symmetricMatVec(a: Float64Array, offset: number, d: number, x: Float64Array, out: Float64Array): void {
  let b = 0;
  for (; b + 3 < d; b += 4) {
    const r0 = offset + b * d;
    const r1 = r0 + d;
    const r2 = r1 + d;
    const r3 = r2 + d;
    const v0 = x[b];
    const v1 = x[b + 1];
    const v2 = x[b + 2];
    const v3 = x[b + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < b; i++) {
      const a0 = a[r0 + i];
      const a1 = a[r1 + i];
      const a2 = a[r2 + i];
      const a3 = a[r3 + i];
      const v = x[i];
      s0 += a0 * v;
      s1 += a1 * v;
      s2 += a2 * v;
      s3 += a3 * v;
      let o = out[i];
      o += a0 * v0;
      o += a1 * v1;
      o += a2 * v2;
      o += a3 * v3;
      out[i] = o;
    }
    // the 4×4 diagonal block, terms b … b + 3 in order: A[b + q, j] from row b + q on or below the diagonal, else row j
    s0 += a[r0 + b] * v0;
    s0 += a[r1 + b] * v1;
    s0 += a[r2 + b] * v2;
    s0 += a[r3 + b] * v3;
    s1 += a[r1 + b] * v0;
    s1 += a[r1 + b + 1] * v1;
    s1 += a[r2 + b + 1] * v2;
    s1 += a[r3 + b + 1] * v3;
    s2 += a[r2 + b] * v0;
    s2 += a[r2 + b + 1] * v1;
    s2 += a[r2 + b + 2] * v2;
    s2 += a[r3 + b + 2] * v3;
    s3 += a[r3 + b] * v0;
    s3 += a[r3 + b + 1] * v1;
    s3 += a[r3 + b + 2] * v2;
    s3 += a[r3 + b + 3] * v3;
    out[b] = s0;
    out[b + 1] = s1;
    out[b + 2] = s2;
    out[b + 3] = s3;
  }
  for (; b < d; b++) {
    const row = offset + b * d;
    const vb = x[b];
    let s = 0;
    for (let i = 0; i < b; i++) {
      const ai = a[row + i];
      s += ai * x[i];
      out[i] += ai * vb;
    }
    out[b] = s + a[row + b] * vb;
  }
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix with diagonal `diag` and off-diagonal `off` (off[i] joins i and
 * i + 1), by the implicit QL algorithm with Wilkinson shifts (tqli, Numerical Recipes §11.4). Overwrites `diag` with
 * the eigenvalues (unsorted) and uses `off` as scratch (length ≥ n). O(n²) without eigenvectors.
 */
export function tridiagonalEigenvalues(diag: Float64Array, off: Float64Array, n: number): void {
  off[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(diag[m]) + Math.abs(diag[m + 1]);
        if (Math.abs(off[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > 60) throw new Error('tridiagonalEigenvalues: no convergence');
      let g = (diag[l + 1] - diag[l]) / (2 * off[l]);
      let r = Math.sqrt(g * g + 1); // not Math.hypot: ~10× slower in V8, and no overflow at Wishart scales
      g = diag[m] - diag[l] + off[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        let f = s * off[i];
        const b = c * off[i];
        r = Math.sqrt(f * f + g * g);
        off[i + 1] = r;
        if (r === 0) {
          diag[i + 1] -= p;
          off[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = diag[i + 1] - p;
        r = (diag[i] - g) * s + 2 * c * b;
        p = s * r;
        diag[i + 1] = g + p;
        g = c * r - b;
        f = 0;
      }
      if (r === 0 && i >= l) continue;
      diag[l] -= p;
      off[l] = g;
      off[m] = 0;
    }
  }
}
