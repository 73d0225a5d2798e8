/**
 * What every chunk generator shares: the keyed noise streams, recording a trial's error, the store of models that
 * later data sets are labelled by, and the memory every chunk holds. One generator per fitting procedure (full.ts,
 * reduced.ts, subsample.ts, random-design.ts), each listed in methods.ts; the context type lives in method.ts.
 */
import { NumericError } from '../../core/errors.js';
import type { Scratch } from '../../core/scratch.js';
import { foldIn } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import type { ChunkContext, LinearRun } from './method.js';
import { liveGenerations, poolPlan, type PoolPlan } from './pool-store.js';
import { drawFullDesign, type FullDesign } from './design.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { ridgeConditionalError, ridgeConditionalSpread, type RidgePolynomials } from '../../theory/ridge.js';

/**
 * Floats per trial (float32 units) every chunk holds whatever its method: the pool's prefix vectors and the models
 * later steps sample from, four more vectors of d (float64, two units each), and a data set's T labels.
 */
export function sharedFloats(run: LinearRun): number {
  return 2 * (liveGenerations(poolPlan(run.strategy, run.iterations)) + 4) * run.dim + 2 * run.samples;
}

/** Weights of the squared error's coordinates: the test inputs' covariance Σ = diag(spectrum), default I. */
export function testWeights(run: LinearRun, d: number): Float64Array {
  return run.spectrum ? run.spectrum : new Float64Array(d).fill(1);
}

/** The noise stream of data set s; the kernels index it by global trial, so it does not depend on the chunking. */
export function noiseSeed(root: number, dataSet: number): number {
  return foldIn(foldIn(root, STREAM.noise), dataSet);
}

export function record(context: ChunkContext, n: number, tr: number, error: number, traceGramInverse: number): void {
  const { result, run } = context;
  if (!Number.isFinite(error)) {
    throw new NumericError(
      `the test error is ${error} at iteration ${n + 1} (trial ${context.first + tr}): float32 overflow; lower --noise or --iterations`,
      n + 1,
    );
  }
  result.error[n].add(error);
  if (result.conditionalResidual && context.ridgeExpected) {
    result.conditionalResidual[n].add(error - context.ridgeExpected[tr * run.iterations + n]);
  } else if (result.conditionalResidual && run.noiseFactors && Number.isFinite(traceGramInverse)) {
    result.conditionalResidual[n].add(error - run.noise * traceGramInverse * run.noiseFactors[n]);
  }
}

/**
 * Store trial `tr`'s fit of model n (`solution`, d values) into `estimate` (kernel layout) and record its test error
 * (ŵ − w*)ᵀΣ(ŵ − w*) against the design's w*; padded trials are stored but not counted.
 */
export function recordEstimate(
  context: ChunkContext, n: number, tr: number, solution: Float64Array,
  design: { wStar32: Float32Array; traceGramInverse: Float64Array }, weight: Float64Array, estimate: Float32Array,
): void {
  const B = context.kernels.shape.B;
  let error = 0;
  for (let j = 0; j < solution.length; j++) {
    estimate[j * B + tr] = solution[j];
    const e = solution[j] - design.wStar32[j * B + tr];
    error += weight[j] * e * e;
  }
  if (tr < context.live) record(context, n - 1, tr, error, design.traceGramInverse[tr]);
}

/** Models by index (0: w* or e_0), each dropped after the last step that labels data with it; buffers recycled. */
export class ModelStore<A extends Float32Array | Float64Array> {
  private readonly models = new Map<number, A>();
  private readonly spare: A[] = [];
  constructor(
    private readonly plan: PoolPlan,
    first: A,
    private readonly allocate: () => A,
  ) {
    this.models.set(0, first);
  }
  get(k: number): A {
    return this.models.get(k) as A;
  }
  /** A buffer for the model fit at this step. */
  buffer(): A {
    return this.spare.pop() ?? this.allocate();
  }
  /** Keep model n if a later step labels data with it, and release the models step n was the last to use. */
  settle(n: number, model: A): void {
    if (this.plan.lastModelUse[n] > n) this.models.set(n, model);
    else this.spare.push(model);
    for (const [k, m] of [...this.models]) {
      if (k > 0 && this.plan.lastModelUse[k] <= n) {
        this.models.delete(k);
        this.spare.push(m);
      }
    }
  }
}

/** P11 per trial of a full design: eigenvalues of XᵀX and w* (the float32 value the labels use) in its eigenbasis. */
function ridgeExpectations(context: ChunkContext, design: FullDesign, live: number): Float64Array {
  const { run } = context;
  const { B } = design;
  const d = run.dim;
  const N = run.iterations;
  const out = new Float64Array(B * N);
  const rotated = new Float64Array(d);
  for (let tr = 0; tr < live; tr++) {
    const g = design.gram.subarray(tr * d * d, (tr + 1) * d * d);
    const eig = new EigenvalueDecomposition(new Matrix(Array.from({ length: d }, (_, j) => Array.from(g.subarray(j * d, j * d + d)))), { assumeSymmetric: true });
    const vectors = eig.eigenvectorMatrix;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += vectors.get(j, i) * design.wStar32[j * B + tr];
      rotated[i] = s;
    }
    ridgeConditionalError(run.ridgePolynomials as RidgePolynomials, eig.realEigenvalues, rotated, run.ridge ?? 0, run.noise, out.subarray(tr * N, (tr + 1) * N));
    recordRidgeSpread(context, run.ridgePolynomials as RidgePolynomials, eig.realEigenvalues, rotated);
  }
  return out;
}

/** Record one live trial's ridge spread (ridgeConditionalSpread) per iteration, for the band of its z|X check. */
export function recordRidgeSpread(context: ChunkContext, polynomials: RidgePolynomials, eigenvalues: ArrayLike<number>, wStarEigen: ArrayLike<number>): void {
  const spread = context.result.ridgeSpread;
  if (!spread) return;
  const N = context.run.iterations;
  const chi4 = new Float64Array(N);
  const gauss = new Float64Array(N);
  ridgeConditionalSpread(polynomials, eigenvalues, wStarEigen, context.run.ridge ?? 0, context.run.noise, chi4, gauss);
  for (let n = 0; n < N; n++) {
    spread.chi4[n].add(chi4[n]);
    spread.gauss[n].add(gauss[n]);
  }
}

/**
 * What a chunk that refits on the real design needs (full and subsample): the design of its trials (their traces
 * recorded), the test-error weights, σ, and the store of models that label later data sets (ŵ_k, kernel layout).
 * Where `into` is given (webasm's resident kernel), the padded X goes into its memory, which keeps it for the chunk,
 * XᵀX is computed there, and the other buffers come from its scratch instead of the chunk slot's.
 */
export async function openFullChunk(
  context: ChunkContext, into?: { X: Float32Array; scratch: Scratch; gram(): Promise<Float64Array> },
): Promise<{ design: FullDesign; weight: Float64Array; sigma: number; models: ModelStore<Float32Array> }> {
  const { run, kernels, root, first, live, plan, result } = context;
  const { B, d } = kernels.shape;
  const design = await drawFullDesign(kernels, foldIn(root, STREAM.design), first, run.spectrum, run.ridge ?? 0, into?.scratch ?? context.scratch, into);
  for (let tr = 0; tr < live; tr++) result.traceGramInverse.add(design.traceGramInverse[tr]);
  if (result.gramInverseSquares) {
    // tr(M²) = Σ_jk s_j s_k (A⁻¹)_jk², M = Σ^½A⁻¹Σ^½ (s = spectrum, default 1)
    const s = testWeights(run, d);
    for (let tr = 0; tr < live; tr++) {
      let q = 0;
      for (let j = 0, at = tr * d * d; j < d; j++) for (let k = 0; k < d; k++, at++) q += s[j] * s[k] * design.gramInverse[at] ** 2;
      result.gramInverseSquares.add(q);
    }
  }
  if (run.ridgePolynomials) context.ridgeExpected = ridgeExpectations(context, design, live);
  const models = new ModelStore<Float32Array>(plan, design.wStar32, () => new Float32Array(B * d));
  return { design, weight: testWeights(run, d), sigma: Math.sqrt(run.noise), models };
}
