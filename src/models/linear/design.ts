/**
 * Host-side, float64 precomputation for one chunk of trials (core/linalg, checked against ml-matrix): the design X and w* of every trial, or, for
 * the reduced method, the Bartlett factor of XᵀX. Every trial's draws come from its own key, so a trial's design
 * does not depend on the chunk it falls in.
 */
import { NumericError } from '../../core/errors.js';
import { choleskyInPlace, gram, gramOfLower, invertLower } from '../../core/linalg.js';
import { chisquareStream, foldIn, normalStream, type Key } from '../../core/rng.js';

export interface ChunkDesign {
  /** trials in the chunk (the kernel width B) */
  B: number;
  /** tr((XᵀX)⁻¹) per trial, float64 */
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
  /** L⁻ᵀ with XᵀX = LLᵀ, in kernel layout [(j·d + k)·B + trial], float32: σ·L⁻ᵀξ ~ N(0, σ²(XᵀX)⁻¹) */
  noiseFactor: Float32Array;
}

/**
 * Draw X (T×d, rows N(0, I_d)) and w* ~ N(0, I_d/d) for trials firstTrial … firstTrial + B − 1 and factor XᵀX.
 * The test error is invariant to w*, so its scale only sets the size of the float32 labels.
 */
export function drawFullDesign(designKey: Key, firstTrial: number, B: number, T: number, d: number): FullDesign {
  const X = new Float32Array(B * T * d);
  const wStar32 = new Float32Array(B * d);
  const gramInverse = new Float64Array(B * d * d);
  const traceGramInverse = new Float64Array(B);
  const rows = new Float64Array(T * d);
  const factor = new Float64Array(d * d);
  const lowerInverse = new Float64Array(d * d);
  const inverse = new Float64Array(d * d);
  for (let tr = 0; tr < B; tr++) {
    const next = normalStream(foldIn(designKey, firstTrial + tr));
    for (let i = 0; i < T * d; i++) rows[i] = Math.fround(next());
    for (let k = 0; k < d; k++) wStar32[k * B + tr] = next() / Math.sqrt(d);
    for (let t = 0; t < T; t++) for (let k = 0; k < d; k++) X[(t * d + k) * B + tr] = rows[t * d + k];
    // XᵀX of the float32-rounded X the kernels see, in float64
    gram(rows, T, d, factor);
    if (!choleskyInPlace(factor, d)) throw new NumericError(`XᵀX is singular for trial ${firstTrial + tr}`);
    traceGramInverse[tr] = invertLower(factor, d, lowerInverse);
    gramOfLower(lowerInverse, d, inverse);
    gramInverse.set(inverse, tr * d * d);
  }
  return { B, X, wStar32, gramInverse, traceGramInverse };
}

/**
 * Bartlett decomposition: XᵀX ~ Wishart_d(T, I) has Cholesky factor L with L_ii = √χ²_{T−i} (i = 0…d−1) and
 * L_ij ~ N(0, 1) below the diagonal, all independent. So the reduced method never materialises X.
 * @source Bartlett 1933; Muirhead 1982, Theorem 3.2.14
 * @proof proofs/linear-fixed-design.md#P5
 */
export function drawReducedDesign(wishartKey: Key, firstTrial: number, B: number, T: number, d: number): ReducedDesign {
  const noiseFactor = new Float32Array(B * d * d);
  const traceGramInverse = new Float64Array(B);
  const L = new Float64Array(d * d);
  const inv = new Float64Array(d * d);
  for (let tr = 0; tr < B; tr++) {
    const key = foldIn(wishartKey, firstTrial + tr);
    const normal = normalStream(foldIn(key, 0));
    const chisquare = chisquareStream(foldIn(key, 1));
    L.fill(0);
    for (let i = 0; i < d; i++) {
      L[i * d + i] = Math.sqrt(chisquare(T - i));
      for (let j = 0; j < i; j++) L[i * d + j] = normal();
    }
    const trace = invertLower(L, d, inv); // tr((LLᵀ)⁻¹) = ‖L⁻¹‖_F²
    // kernel matrix M = L⁻ᵀ: M[j][k] = inv[k][j]
    for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) noiseFactor[(j * d + k) * B + tr] = inv[k * d + j];
    traceGramInverse[tr] = trace;
  }
  return { B, noiseFactor, traceGramInverse };
}
