/**
 * The fixed-design linear-regression Monte Carlo, batched over trials on gpu.js kernels.
 *
 * full:    every iteration draws new labels y = X·w_src + ε on the kernel, forms Xᵀy on the kernel, pools the
 *          generations with the strategy's weights and solves the normal equations with the trial's (XᵀX)⁻¹ —
 *          the paper's procedure, refit for refit (a weighted fit on a pool of whole generations over the same X).
 * reduced: samples the same estimators through sufficient statistics: the eigenvalues λ of XᵀX (a tridiagonal
 *          Wishart model), and in that eigenbasis each generation's OLS noise z ~ N(0, σ²(XᵀX)⁻¹) as σ·λ^{-1/2}·ξ with
 *          ξ drawn on the kernel. The strategy's pooling runs unchanged. O(d) per trial-iteration instead of O(T·d).
 */
import { NumericError } from '../../core/errors.js';
import { fractionToNumber } from '../../core/fraction.js';
import { fillNormal, foldIn, rootKey, STREAM } from '../../core/rng.js';
import { Moments } from '../../core/stats.js';
import { createLinearKernels, MAX_BUFFER, type LinearKernels } from '../../kernels/linear.js';
import type { Backend } from '../../kernels/backend.js';
import { sourceOf, uniformRange, type PoolStrategy } from '../../strategies/index.js';
import { drawFullDesign, drawReducedDesign } from './design.js';

export const METHODS = ['full', 'reduced'] as const;
export type Method = (typeof METHODS)[number];

export interface LinearRun {
  strategy: PoolStrategy;
  dim: number;
  samples: number;
  /** σ² */
  noise: number;
  iterations: number;
  trials: number;
  seed: number;
  method: Method;
  /** Σ_j b_{n,j}² per iteration, when the strategy has exact fixed-design theory: enables the conditional check */
  noiseFactors?: readonly number[];
}

export interface MonteCarloMoments {
  /** per iteration: the test error ‖ŵ_n − w*‖² */
  error: Moments[];
  /** per iteration: error − σ²·tr((XᵀX)⁻¹)·Σb², whose mean is exactly 0 (the sharp, design-conditional check) */
  conditionalResidual: Moments[] | null;
  /** tr((XᵀX)⁻¹) over trials */
  traceGramInverse: Moments;
  /** the kernel width used */
  chunkTrials: number;
  kernelClasses: string[];
}

export type Progress = (doneTrialIterations: number, totalTrialIterations: number) => void;

/** Floats a chunk holds per trial; the chunk width is chosen so that every buffer fits MAX_BUFFER. */
function chunkTrials(run: LinearRun): number {
  const { samples: T, dim: d } = run;
  const widest = Math.max(run.method === 'full' ? T * d : d, T, d);
  const perTrial = (run.method === 'full' ? T * d + 2 * d * d : 2 * d) + 2 * (liveGenerations(run) + 4) * d + 2 * T;
  const byBuffer = Math.floor(MAX_BUFFER / widest);
  const byMemory = Math.floor((64 * 2 ** 20) / perTrial); // ~256 MB of chunk state at most
  // ≤ 4096 trials keeps a chunk — the unit of checkpointing — to seconds, and still ≥ 4096 kernel cells (threaded)
  return Math.max(1, Math.min(run.trials, byBuffer, byMemory, 4096));
}

/** Estimated peak bytes of one chunk: the CLI refuses a run whose single trial cannot fit. */
export function chunkBytes(run: LinearRun): number {
  const { samples: T, dim: d } = run;
  const widest = Math.max(run.method === 'full' ? T * d : d, T, d);
  if (widest > MAX_BUFFER) return Infinity;
  return chunkTrials(run) * ((run.method === 'full' ? T * d * 4 + d * d * 8 : d * 16) + (liveGenerations(run) + 4) * d * 8 + T * 8);
}

function poolPlan(strategy: PoolStrategy, iterations: number) {
  const weights = Array.from({ length: iterations }, (_, n) => strategy.poolWeights(n + 1).map(fractionToNumber));
  return { weights, ranges: weights.map(uniformRange) };
}

/** Prefix vectors alive at once, plus the source models kept for later generations. */
function liveGenerations(run: LinearRun): number {
  const { weights, ranges } = poolPlan(run.strategy, run.iterations);
  return GenerationStore.peakLive(weights, ranges) + new Set(lastSourceUse(run).map((n, k) => (n > 0 ? k : -1))).size;
}

/** Run the Monte Carlo; resolves to float64 moments per iteration. */
/**
 * A resumable point of a Monte Carlo run: the moments after `chunksDone` whole chunks. Moments are plain float64
 * sums, so a run resumed from a checkpoint adds the same numbers in the same order as one never interrupted and
 * ends bit-identical (same backend). JSON round-trips every double exactly.
 */
export interface MonteCarloCheckpoint {
  chunksDone: number;
  chunkTrials: number;
  error: MomentsState[];
  conditionalResidual: MomentsState[] | null;
  traceGramInverse: MomentsState;
}
export interface MomentsState {
  n: number;
  sum: number;
  sumSq: number;
}

export interface SimulationControl {
  /** continue from this checkpoint (it must come from the same configuration) */
  resume?: MonteCarloCheckpoint;
  /** called after every chunk with the checkpoint to persist; awaited before the next chunk starts */
  onChunk?: (checkpoint: MonteCarloCheckpoint) => void | Promise<void>;
  /** checked between chunks: an aborted run stops after persisting its last checkpoint and throws signal.reason */
  signal?: AbortSignal;
}

const saveMoments = (m: Moments): MomentsState => ({ n: m.n, sum: m.sum, sumSq: m.sumSq });
const loadMoments = (m: Moments, state: MomentsState): void => {
  m.n = state.n;
  m.sum = state.sum;
  m.sumSq = state.sumSq;
};

/** Run the Monte Carlo; resolves to float64 moments per iteration. */
export async function simulateLinear(run: LinearRun, backend: Backend, onProgress?: Progress, control: SimulationControl = {}): Promise<MonteCarloMoments> {
  const { samples: T, dim: d, iterations: N, trials } = run;
  const B = chunkTrials(run);
  const kernels = createLinearKernels(backend, { B, T, d }, (out, seed) => fillNormal(out, seed));
  const root = rootKey(run.seed);
  const { weights, ranges } = poolPlan(run.strategy, N);
  const result: MonteCarloMoments = {
    error: Array.from({ length: N }, () => new Moments()),
    conditionalResidual: run.noiseFactors ? Array.from({ length: N }, () => new Moments()) : null,
    traceGramInverse: new Moments(),
    chunkTrials: B,
    kernelClasses: [],
  };
  let startChunk = 0;
  if (control.resume) {
    const saved = control.resume;
    if (saved.chunkTrials !== B || saved.error.length !== N || (saved.conditionalResidual === null) !== (result.conditionalResidual === null)) {
      throw new Error('the checkpoint does not belong to this configuration');
    }
    saved.error.forEach((state, n) => loadMoments(result.error[n], state));
    saved.conditionalResidual?.forEach((state, n) => loadMoments((result.conditionalResidual as Moments[])[n], state));
    loadMoments(result.traceGramInverse, saved.traceGramInverse);
    startChunk = saved.chunksDone;
  }
  const total = trials * N;
  let done = Math.min(trials, startChunk * B) * N;
  for (let chunk = startChunk, first = startChunk * B; first < trials; chunk++, first += B) {
    control.signal?.throwIfAborted();
    const live = Math.min(B, trials - first); // the last chunk is padded to B; padded trials are not counted
    const context: ChunkContext = { run, kernels, root, chunk, first, live, weights, ranges, result };
    const step = run.method === 'full' ? fullChunk(context) : reducedChunk(context);
    for await (const iteration of step) {
      done += live;
      onProgress?.(done, total);
      void iteration;
    }
    await control.onChunk?.({
      chunksDone: chunk + 1,
      chunkTrials: B,
      error: result.error.map(saveMoments),
      conditionalResidual: result.conditionalResidual?.map(saveMoments) ?? null,
      traceGramInverse: saveMoments(result.traceGramInverse),
    });
  }
  result.kernelClasses = kernels.kernelClasses();
  return result;
}

interface ChunkContext {
  run: LinearRun;
  kernels: LinearKernels;
  root: number;
  chunk: number;
  first: number;
  live: number;
  weights: number[][];
  ranges: ({ first: number; last: number } | null)[];
  result: MonteCarloMoments;
}

/**
 * Per-generation vectors v_g (layout [j·B + trial]) kept as prefix sums P_g = Σ_{i≤g} v_i, and the pooled
 * Σ_g a_{n,g} v_g. Uniform contiguous pools (replace, accumulate, windows) cost O(d) per trial instead of O(n·d).
 * The weights of every iteration are known up front, so each prefix is dropped after the last iteration that reads
 * it: replace and accumulate keep two vectors per trial, not n.
 */
export class GenerationStore {
  private readonly prefix = new Map<number, Float64Array>();
  /** released prefix buffers, reused so that a long run does not churn the garbage collector */
  private readonly free: Float64Array[] = [];
  private readonly lastUse: number[];
  private generations = 0;

  constructor(
    private readonly size: number,
    private readonly weights: readonly (readonly number[])[],
    private readonly ranges: readonly ({ first: number; last: number } | null)[],
  ) {
    this.prefix.set(0, new Float64Array(size));
    this.lastUse = GenerationStore.lastUses(weights, ranges);
  }

  /** lastUse[g] = the last iteration n whose pool reads prefix P_g. */
  static lastUses(weights: readonly (readonly number[])[], ranges: readonly ({ first: number; last: number } | null)[]): number[] {
    const lastUse = new Array<number>(weights.length + 1).fill(0);
    weights.forEach((a, index) => {
      const n = index + 1;
      const range = ranges[index];
      const reads = range ? [range.first - 1, range.last] : a.flatMap((w, g) => (w === 0 ? [] : [g, g + 1]));
      for (const g of reads) lastUse[g] = Math.max(lastUse[g], n);
    });
    return lastUse;
  }

  /** Most prefix vectors alive at once, for sizing chunks. */
  static peakLive(weights: readonly (readonly number[])[], ranges: readonly ({ first: number; last: number } | null)[]): number {
    const lastUse = GenerationStore.lastUses(weights, ranges);
    let peak = 1;
    for (let n = 1; n <= weights.length; n++) {
      let live = 2; // the newest prefix, always needed to extend the sums
      for (let g = 0; g < n; g++) if (lastUse[g] >= n) live++;
      peak = Math.max(peak, live);
    }
    return peak;
  }

  push(v: ArrayLike<number>): void {
    const last = this.prefix.get(this.generations) as Float64Array;
    const next = this.free.pop() ?? new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) next[i] = last[i] + v[i];
    this.generations += 1;
    this.prefix.set(this.generations, next);
  }

  /** Σ_g a_{n,g} v_g for n = the number of generations pushed so far, into `out`. */
  pooled(out: Float64Array): void {
    const n = this.generations;
    const weights = this.weights[n - 1];
    const range = this.ranges[n - 1];
    if (range) {
      const hi = this.get(range.last);
      const lo = this.get(range.first - 1);
      const scale = weights[range.first - 1];
      for (let i = 0; i < this.size; i++) out[i] = (hi[i] - lo[i]) * scale;
    } else {
      out.fill(0);
      for (let g = 1; g <= n; g++) {
        const a = weights[g - 1];
        if (a === 0) continue;
        const hi = this.get(g);
        const lo = this.get(g - 1);
        for (let i = 0; i < this.size; i++) out[i] += a * (hi[i] - lo[i]);
      }
    }
    for (const [g, buffer] of [...this.prefix]) {
      if (g < n && this.lastUse[g] <= n) {
        this.prefix.delete(g);
        this.free.push(buffer);
      }
    }
  }

  private get(g: number): Float64Array {
    const found = this.prefix.get(g);
    if (!found) throw new Error(`GenerationStore: prefix ${g} was released before iteration ${this.generations}`);
    return found;
  }
}

/** Models (or errors) by generation, each dropped after the last generation it labels. */
function lastSourceUse(run: LinearRun): number[] {
  const last = new Array<number>(run.iterations + 1).fill(0);
  for (let g = 1; g <= run.iterations; g++) {
    const k = sourceOf(run.strategy, g);
    last[k] = Math.max(last[k], g);
  }
  return last;
}

function noiseSeed(root: number, generation: number, chunk: number): number {
  return foldIn(foldIn(foldIn(root, STREAM.noise), generation), chunk);
}

function record(context: ChunkContext, n: number, tr: number, error: number, traceGramInverse: number): void {
  const { result, run } = context;
  if (!Number.isFinite(error)) {
    throw new NumericError(
      `the test error is ${error} at iteration ${n + 1} (trial ${context.first + tr}): float32 overflow; lower --noise or --iterations`,
      n + 1,
    );
  }
  result.error[n].add(error);
  if (result.conditionalResidual && run.noiseFactors) {
    result.conditionalResidual[n].add(error - run.noise * traceGramInverse * run.noiseFactors[n]);
  }
}

async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, chunk, first, live, weights, ranges, result } = context;
  const { B, T, d } = kernels.shape;
  const sigma = Math.sqrt(run.noise);
  const design = drawFullDesign(foldIn(root, STREAM.design), first, B, T, d);
  for (let tr = 0; tr < live; tr++) result.traceGramInverse.add(design.traceGramInverse[tr]);
  const store = new GenerationStore(B * d, weights, ranges);
  const lastUse = lastSourceUse(run);
  const models = new Map<number, Float32Array>([[0, design.wStar32]]); // ŵ_k in kernel layout; k = 0: w*
  const pooled = new Float64Array(B * d);
  const rhs = new Float64Array(d);
  for (let n = 0; n < run.iterations; n++) {
    const sourceIndex = sourceOf(run.strategy, n + 1);
    const source = models.get(sourceIndex) as Float32Array;
    const y = await kernels.drawLabels(design.X, source, sigma, noiseSeed(root, n + 1, chunk));
    store.push(await kernels.xty(design.X, y));
    store.pooled(pooled);
    if (lastUse[sourceIndex] <= n + 1 && sourceIndex > 0) models.delete(sourceIndex);
    const estimate = new Float32Array(B * d);
    for (let tr = 0; tr < B; tr++) {
      for (let k = 0; k < d; k++) rhs[k] = pooled[k * B + tr];
      const inverse = tr * d * d;
      let error = 0;
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += design.gramInverse[inverse + j * d + k] * rhs[k];
        estimate[j * B + tr] = s;
        const e = s - design.wStar32[j * B + tr];
        error += e * e;
      }
      if (tr < live) record(context, n, tr, error, design.traceGramInverse[tr]);
    }
    if (lastUse[n + 1] > 0) models.set(n + 1, estimate);
    yield n;
  }
}

async function* reducedChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, chunk, first, live, weights, ranges, result } = context;
  const { B, T, d } = kernels.shape;
  const sigma = Math.sqrt(run.noise);
  const design = drawReducedDesign(foldIn(root, STREAM.wishart), first, B, T, d);
  for (let tr = 0; tr < live; tr++) result.traceGramInverse.add(design.traceGramInverse[tr]);
  const store = new GenerationStore(B * d, weights, ranges);
  const lastUse = lastSourceUse(run);
  const errors = new Map<number, Float64Array>([[0, new Float64Array(B * d)]]); // e_k = ŵ_k − w*; e_0 = 0
  const contribution = new Float64Array(B * d);
  const spare: Float64Array[] = [];
  for (let n = 0; n < run.iterations; n++) {
    const xi = await kernels.normals(d, noiseSeed(root, n + 1, chunk));
    const sourceIndex = sourceOf(run.strategy, n + 1);
    const parent = errors.get(sourceIndex) as Float64Array;
    for (let i = 0; i < B * d; i++) contribution[i] = parent[i] + sigma * design.noiseScale[i] * xi[i];
    store.push(contribution);
    if (lastUse[sourceIndex] <= n + 1 && sourceIndex > 0) {
      spare.push(errors.get(sourceIndex) as Float64Array);
      errors.delete(sourceIndex);
    }
    const e = spare.pop() ?? new Float64Array(B * d);
    store.pooled(e);
    for (let tr = 0; tr < live; tr++) {
      let error = 0;
      for (let j = 0; j < d; j++) error += e[j * B + tr] ** 2;
      record(context, n, tr, error, design.traceGramInverse[tr]);
    }
    if (lastUse[n + 1] > 0) errors.set(n + 1, e);
    else spare.push(e);
    yield n;
  }
}
