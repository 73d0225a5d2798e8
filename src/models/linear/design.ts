/**
 * Host-side, float64 precomputation for one chunk of trials (core/linalg, checked against ml-matrix): the design X and w* of every trial, or, for
 * the reduced method, the eigenvalues of XᵀX. Every trial's draws come from its own key, so a trial's design
 * does not depend on the chunk it falls in.
 */
import { NumericError } from '../../core/errors.js';
import { choleskyInPlace, choleskySolve, gram, gramOfLower, invertLower } from '../../core/linalg.js';
import { paddedColumns, padTrialMajor, toTrialFastest, type LinearKernels } from '../../kernels/linear.js';
import { Scratch } from '../../core/scratch.js';
import { unpackDesignGram } from '../../kernels/design-gram.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

// the reduced method's spectra live in wishart.ts, which its spectrum thread loads without this file's imports
export { drawReducedDesign, type ReducedDesign } from './wishart.js';

export interface ChunkDesign {
  /** trials in the chunk (the kernel width B) */
  B: number;
  /** tr(Σ(XᵀX)⁻¹) per trial (Σ = I unless a spectrum is given), float64 */
  traceGramInverse: Float64Array;
}

export interface FullDesign extends ChunkDesign {
  /** X trial-major, rows padded to 4⌈d/4⌉ columns (padTrialMajor): what the Xᵀy and Gram kernels read, float32 */
  Xpadded: Float32Array;
  /** w* in kernel layout [k·B + trial], float32 (labels are made from the float32 value) */
  wStar32: Float32Array;
  /** (XᵀX)⁻¹ per trial, row-major [trial·d² + j·d + k], float64, both triangles holding the same numbers */
  gramInverse: Float64Array;
  /** XᵀX per trial (without the ridge), row-major [trial·d² + j·d + k], float64, both triangles the same numbers */
  gram: Float64Array;
  /** the same X and w* trial-major, [trial·(T·d + d) + row]: X row-major, then w* (for kernels that read by trial) */
  trialMajor: Float32Array;
}

/**
 * Draw X (T×d, rows N(0, Σ) with Σ = diag(spectrum), default I) and w* ~ N(0, I_d/d) for the chunk's trials
 * (kernel normals, T·d + d per trial, by global trial) and factor XᵀX on the host (+ λI for ridge; gramInverse then
 * holds (XᵀX + λI)⁻¹). The test error is invariant to w*, so its scale only sets the size of the float32 labels.
 * Where `into` is given (webasm's resident kernel), X is padded straight into its memory and XᵀX is computed there,
 * on the worker pool, with core/linalg gram's numbers; the rest of the design stays on the host.
 */
export async function drawFullDesign(
  kernels: LinearKernels, seed: number, firstTrial: number, spectrum?: Float64Array, ridge = 0, scratch = new Scratch(),
  into?: { X: Float32Array; gram(): Promise<Float64Array> },
): Promise<FullDesign> {
  const { B, T, d } = kernels.shape;
  const z = await kernels.trialNormals(T * d + d, seed, firstTrial, scratch.float32('design', B * (T * d + d)));
  if (!into) return fullDesignFromNormals(z, firstTrial, B, T, d, spectrum, ridge, scratch);
  scaleDesign(z, B, T, d, spectrum);
  const Xpadded = padTrialMajor(z, B, T, d, T * d + d, into.X);
  const gramAll = scratch.float64('gram', B * d * d);
  unpackDesignGram(await into.gram(), B, d, paddedColumns(d), gramAll);
  return factorDesign(z, firstTrial, B, T, d, spectrum, ridge, scratch, Xpadded, gramAll);
}

/**
 * The design of B trials from their N(0, 1) draws, trial-major [trial·(T·d + d) + row]: X row-major, then w*. Its
 * arrays live in `scratch` (a run's chunks reuse them; the design is the chunk's until the next one is drawn).
 */
export function fullDesignFromNormals(z: Float32Array, firstTrial: number, B: number, T: number, d: number, spectrum?: Float64Array, ridge = 0, scratch = new Scratch()): FullDesign {
  scaleDesign(z, B, T, d, spectrum);
  return factorDesign(z, firstTrial, B, T, d, spectrum, ridge, scratch, padTrialMajor(z, B, T, d, T * d + d, scratch.float32('Xpadded', B * T * paddedColumns(d))));
}

/** The float32 rounding of w*'s scale (and X's rows when Σ ≠ I), in place: the X and w* the kernels see. */
function scaleDesign(z: Float32Array, B: number, T: number, d: number, spectrum?: Float64Array): void {
  const rows = T * d + d;
  const scale = Float64Array.from({ length: rows }, (_, i) => (i >= T * d ? 1 / Math.sqrt(d) : Math.sqrt(spectrum ? spectrum[i % d] : 1)));
  for (let tr = 0, at = 0; tr < B; tr++, at += rows) for (let i = spectrum ? 0 : T * d; i < rows; i++) z[at + i] *= scale[i];
}

/** XᵀX (unless `grams` holds it already), its inverse and trace per trial, and w* in kernel layout, from scaled z. */
function factorDesign(
  z: Float32Array, firstTrial: number, B: number, T: number, d: number, spectrum: Float64Array | undefined, ridge: number,
  scratch: Scratch, Xpadded: Float32Array, grams?: Float64Array,
): FullDesign {
  const rows = T * d + d;
  const gramInverse = scratch.float64('gramInverse', B * d * d);
  const gramAll = grams ?? scratch.float64('gram', B * d * d);
  const traceGramInverse = new Float64Array(B);
  const factor = new Float64Array(d * d);
  const lowerInverse = new Float64Array(d * d);
  const inverse = new Float64Array(d * d);
  for (let tr = 0; tr < B; tr++) {
    const trial = z.subarray(tr * rows, (tr + 1) * rows);
    if (grams) {
      factor.set(grams.subarray(tr * d * d, (tr + 1) * d * d));
    } else {
      gram(trial, T, d, factor); // XᵀX of the float32 X, in float64
      gramAll.set(factor, tr * d * d);
    }
    for (let j = 0; j < d; j++) factor[j * d + j] += ridge; // ridge: (XᵀX + λI)⁻¹ serves every refit
    let isotropicTrace: number;
    if (T > d || ridge > 0) {
      if (!choleskyInPlace(factor, d)) throw new NumericError(`XᵀX is singular for trial ${firstTrial + tr}`);
      isotropicTrace = invertLower(factor, d, lowerInverse);
      gramOfLower(lowerInverse, d, inverse);
    } else {
      // T ≤ d: the minimum-norm least-squares fit
      isotropicTrace = pseudoInverseWide(trial, T, d, inverse) ?? pseudoInverse(factor, d, inverse);
    }
    gramInverse.set(inverse, tr * d * d);
    let trace = 0;
    if (spectrum) for (let j = 0; j < d; j++) trace += spectrum[j] * inverse[j * d + j];
    traceGramInverse[tr] = spectrum ? trace : isotropicTrace;
  }
  const wStar32 = new Float32Array(B * d);
  for (let tr = 0; tr < B; tr++) for (let k = 0; k < d; k++) wStar32[k * B + tr] = z[tr * rows + T * d + k];
  return { B, Xpadded, wStar32, gramInverse, gram: gramAll, traceGramInverse, trialMajor: z };
}

/** X of a full design in the labels kernel's layout [(t·d + k)·B + trial] (the subsample draws labels from it). */
export function trialFastestX(design: FullDesign, T: number, d: number): Float32Array {
  return toTrialFastest(design.trialMajor, design.B, T * d + d).subarray(0, T * d * design.B);
}

/**
 * (XᵀX)⁺ for T ≤ d from the T×T XXᵀ: with Y = (XXᵀ)⁻¹X, (XᵀX)⁺ = Xᵀ(XXᵀ)⁻²X = YᵀY. One T×T Cholesky and T²d + d²T/2
 * multiply-adds instead of a d×d eigendecomposition (~5× faster at T = d = 100). Returns tr((XᵀX)⁺), or null when
 * XXᵀ is numerically singular (rows dependent), for the eigendecomposition to handle.
 */
function pseudoInverseWide(x: Float32Array, T: number, d: number, out: Float64Array): number | null {
  const outer = new Float64Array(T * T);
  for (let a = 0; a < T; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[a * d + k] * x[b * d + k];
      outer[a * T + b] = s;
      outer[b * T + a] = s;
    }
  }
  let largest = 0;
  for (let a = 0; a < T; a++) largest = Math.max(largest, outer[a * T + a]);
  if (!choleskyInPlace(outer, T, 1e-10 * largest)) return null;
  const y = new Float64Array(T * d); // Y = (XXᵀ)⁻¹X, column by column
  const column = new Float64Array(T);
  for (let k = 0; k < d; k++) {
    for (let a = 0; a < T; a++) column[a] = x[a * d + k];
    choleskySolve(outer, T, column);
    for (let a = 0; a < T; a++) y[a * d + k] = column[a];
  }
  let trace = 0;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let a = 0; a < T; a++) s += y[a * d + j] * y[a * d + k];
      out[j * d + k] = s;
      out[k * d + j] = s;
    }
    trace += out[j * d + j];
  }
  return trace;
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
