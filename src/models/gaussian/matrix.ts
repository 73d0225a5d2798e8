/**
 * The two dense float64 routines the Gaussian family needs beyond core/linalg.ts: a Cholesky factor that accepts
 * positive semi-definite matrices (a collapsed covariance can be singular to rounding), and the eigenvalues of a
 * symmetric matrix by Householder tridiagonalisation followed by core/linalg's tridiagonalEigenvalues (QL).
 * test/models/gaussian/matrix.test.ts checks both against ml-matrix.
 */
import { tridiagonalEigenvalues } from '../../core/linalg.js';

/**
 * Lower-triangular L with A = LLᵀ for symmetric positive semi-definite A (d×d, row-major), into `out`. A pivot at or
 * below `relative` × the largest diagonal entry is taken as zero and its column left zero, so a singular A still gives
 * an L with LLᵀ = A up to rounding (a sampler x = μ + Lz stays valid). Returns the number of zero pivots.
 */
export function psdCholesky(a: Float64Array, d: number, out: Float64Array, relative = 1e-13): number {
  out.fill(0);
  let largest = 0;
  for (let j = 0; j < d; j++) largest = Math.max(largest, a[j * d + j]);
  const floor = relative * largest;
  let zero = 0;
  for (let j = 0; j < d; j++) {
    let diagonal = a[j * d + j];
    for (let k = 0; k < j; k++) diagonal -= out[j * d + k] * out[j * d + k];
    if (!(diagonal > floor)) {
      zero++;
      continue;
    }
    const ljj = Math.sqrt(diagonal);
    out[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= out[i * d + k] * out[j * d + k];
      out[i * d + j] = s / ljj;
    }
  }
  return zero;
}

/**
 * Eigenvalues (unsorted) of the symmetric d×d matrix `a` into `values`; `a` is overwritten. Householder reduction to
 * tridiagonal form (Numerical Recipes §11.2 tred2, without eigenvectors), then QL. `scratch` has length ≥ d.
 */
export function symmetricEigenvalues(a: Float64Array, d: number, values: Float64Array, scratch: Float64Array): void {
  const e = scratch;
  for (let i = d - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * d + k]);
      if (scale === 0) {
        e[i] = a[i * d + l];
      } else {
        for (let k = 0; k <= l; k++) {
          a[i * d + k] /= scale;
          h += a[i * d + k] * a[i * d + k];
        }
        let f = a[i * d + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * d + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          let s = 0;
          for (let k = 0; k <= j; k++) s += a[j * d + k] * a[i * d + k];
          for (let k = j + 1; k <= l; k++) s += a[k * d + j] * a[i * d + k];
          e[j] = s / h;
          f += e[j] * a[i * d + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[i * d + j];
          const gj = e[j] - hh * fj;
          e[j] = gj;
          for (let k = 0; k <= j; k++) a[j * d + k] -= fj * e[k] + gj * a[i * d + k];
        }
      }
    } else {
      e[i] = a[i * d + l];
    }
  }
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  // tred2 leaves e[i] joining i − 1 and i; tridiagonalEigenvalues wants off[i] joining i and i + 1
  for (let i = 0; i < d - 1; i++) e[i] = e[i + 1];
  tridiagonalEigenvalues(values, e, d);
}
