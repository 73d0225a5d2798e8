/**
 * Small dense float64 linear algebra on row-major typed arrays, for the per-trial host precomputation. A Monte
 * Carlo factors tens of thousands of d×d matrices; allocation-free loops here are ~10× faster than one ml-matrix
 * object per trial. test/core/linalg.test.ts checks each routine against ml-matrix.
 */

/** Lower-triangular L with A = LLᵀ, written over the lower triangle of `a` (d×d); false if A is not positive definite. */
export function choleskyInPlace(a: Float64Array, d: number): boolean {
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
}

/** M = L⁻¹ for lower-triangular L (forward substitution), into `out`; returns ‖L⁻¹‖_F² = tr((LLᵀ)⁻¹). */
export function invertLower(l: Float64Array, d: number, out: Float64Array): number {
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
}

/** (LLᵀ)⁻¹ = MᵀM from M = L⁻¹ (lower), into `out` (full symmetric d×d). */
export function gramOfLower(m: Float64Array, d: number, out: Float64Array): void {
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let i = j; i < d; i++) s += m[i * d + j] * m[i * d + k];
      out[j * d + k] = s;
      out[k * d + j] = s;
    }
  }
}

/** XᵀX of a row-major T×d matrix, into `out` (full symmetric d×d). */
export function gram(x: ArrayLike<number>, T: number, d: number, out: Float64Array): void {
  out.fill(0);
  for (let t = 0; t < T; t++) {
    const row = t * d;
    for (let j = 0; j < d; j++) {
      const xj = x[row + j];
      for (let k = 0; k <= j; k++) out[j * d + k] += xj * x[row + k];
    }
  }
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) out[j * d + k] = out[k * d + j];
}
