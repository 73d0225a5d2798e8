/**
 * Host-side, float64 precomputation for one chunk of trials (core/linalg, checked against ml-matrix): the design X and w* of every trial, or, for
 * the reduced method, the eigenvalues of XᵀX. Every trial's draws come from its own key, so a trial's design
 * does not depend on the chunk it falls in.
 */
import { NumericError } from '../../core/errors.js';
import { choleskyInPlace, gram, gramOfLower, invertLower, tridiagonalEigenvalues } from '../../core/linalg.js';
import { foldIn, KeyedGenerator, normalStream, type Key } from '../../core/rng.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface ChunkDesign {
  /** trials in the chunk (the kernel width B) */
  B: number;
  /** tr(Σ(XᵀX)⁻¹) per trial (Σ = I unless a spectrum is given), float64 */
  traceGramInverse: Float64Array;
}

export interface FullDesign extends ChunkDesign {
  /** X in kernel layout [(t·d + k)·B + trial], float32 */
  X: Float32Array;
  /** w* in kernel layout [k·B + trial], float32 (labels are made from the float32 value) */
  wStar32: Float32Array;
  /** (XᵀX)⁻¹ per trial, row-major [trial·d² + j·d + k], float64 */
  gramInverse: Float64Array;
}

export interface ReducedDesign extends ChunkDesign {
  /**
   * λ_j^{-1/2} for the eigenvalues λ_j of XᵀX, layout [j·B + trial], float64. In XᵀX's eigenbasis the OLS noise of a
   * generation has independent coordinates z_j = σ·λ_j^{-1/2}·ξ_j, and ‖e‖² is rotation invariant.
   */
  noiseScale: Float64Array;
}

/**
 * Draw X (T×d, rows N(0, Σ) with Σ = diag(spectrum), default I) and w* ~ N(0, I_d/d) for trials firstTrial …
 * firstTrial + B − 1 and factor XᵀX. The test error is invariant to w*, so its scale only sets the size of the
 * float32 labels.
 */
export function drawFullDesign(designKey: Key, firstTrial: number, B: number, T: number, d: number, spectrum?: Float64Array): FullDesign {
  const X = new Float32Array(B * T * d);
  const wStar32 = new Float32Array(B * d);
  const gramInverse = new Float64Array(B * d * d);
  const traceGramInverse = new Float64Array(B);
  const rows = new Float64Array(T * d);
  const factor = new Float64Array(d * d);
  const lowerInverse = new Float64Array(d * d);
  const inverse = new Float64Array(d * d);
  const scale = Float64Array.from({ length: d }, (_, k) => Math.sqrt(spectrum ? spectrum[k] : 1));
  for (let tr = 0; tr < B; tr++) {
    const next = normalStream(foldIn(designKey, firstTrial + tr));
    for (let i = 0; i < T * d; i++) rows[i] = Math.fround(next() * scale[i % d]);
    for (let k = 0; k < d; k++) wStar32[k * B + tr] = next() / Math.sqrt(d);
    for (let t = 0; t < T; t++) for (let k = 0; k < d; k++) X[(t * d + k) * B + tr] = rows[t * d + k];
    // XᵀX of the float32-rounded X the kernels see, in float64
    gram(rows, T, d, factor);
    let isotropicTrace: number;
    if (T > d) {
      if (!choleskyInPlace(factor, d)) throw new NumericError(`XᵀX is singular for trial ${firstTrial + tr}`);
      isotropicTrace = invertLower(factor, d, lowerInverse);
      gramOfLower(lowerInverse, d, inverse);
    } else {
      isotropicTrace = pseudoInverse(factor, d, inverse); // T ≤ d: the minimum-norm least-squares fit
    }
    gramInverse.set(inverse, tr * d * d);
    let trace = 0;
    if (spectrum) for (let j = 0; j < d; j++) trace += spectrum[j] * inverse[j * d + j];
    traceGramInverse[tr] = spectrum ? trace : isotropicTrace;
  }
  return { B, X, wStar32, gramInverse, traceGramInverse };
}

/**
 * (XᵀX)⁺ by a symmetric eigendecomposition (ml-matrix), eigenvalues below d·ε·λ_max treated as zero: with it the
 * refit is the minimum-norm least-squares solution, as numpy's lstsq and pinv give when T ≤ d. Returns tr((XᵀX)⁺).
 */
function pseudoInverse(g: Float64Array, d: number, out: Float64Array): number {
  const decomposition = new EigenvalueDecomposition(new Matrix(Array.from({ length: d }, (_, j) => Array.from(g.subarray(j * d, j * d + d)))), { assumeSymmetric: true });
  const values = decomposition.realEigenvalues;
  const vectors = decomposition.eigenvectorMatrix;
  const cutoff = d * Number.EPSILON * Math.max(...values.map(Math.abs));
  out.fill(0);
  let trace = 0;
  values.forEach((value, i) => {
    if (!(value > cutoff)) return;
    trace += 1 / value;
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) out[j * d + k] += (vectors.get(j, i) * vectors.get(k, i)) / value;
  });
  return trace;
}

/**
 * The eigenvalues of XᵀX ~ Wishart_d(T, I) without X: they are those of BBᵀ for the lower-bidiagonal B with
 * B_ii = χ_{T−i} (i = 0…d−1) and B_{i+1,i} = χ_{d−1−i}, all independent (Dumitriu & Edelman 2002, β = 1). BBᵀ is
 * tridiagonal, so a trial costs 2d − 1 chi draws and an O(d²) QL sweep — no d×d matrix, no T×d design.
 * @source Dumitriu & Edelman 2002, J. Math. Phys. 43, Theorem 3.4 (β-Laguerre ensemble)
 * @proof proofs/linear-fixed-design.md#P5
 */
export function drawReducedDesign(wishartKey: Key, firstTrial: number, B: number, T: number, d: number): ReducedDesign {
  const noiseScale = new Float64Array(B * d);
  const traceGramInverse = new Float64Array(B);
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  for (let tr = 0; tr < B; tr++) {
    const generator = new KeyedGenerator(foldIn(wishartKey, firstTrial + tr));
    let below = 0; // B_{i,i−1}² of the previous row
    for (let i = 0; i < d; i++) {
      const c2 = generator.chisquare(T - i);
      const s2 = i < d - 1 ? generator.chisquare(d - 1 - i) : 0;
      diag[i] = c2 + below;
      off[i] = Math.sqrt(c2 * s2);
      below = s2;
    }
    tridiagonalEigenvalues(diag, off, d);
    let trace = 0;
    for (let j = 0; j < d; j++) {
      if (!(diag[j] > 0)) throw new NumericError(`an eigenvalue of XᵀX is ${diag[j]} for trial ${firstTrial + tr}`);
      trace += 1 / diag[j];
      noiseScale[j * B + tr] = 1 / Math.sqrt(diag[j]);
    }
    traceGramInverse[tr] = trace;
  }
  return { B, noiseScale, traceGramInverse };
}
