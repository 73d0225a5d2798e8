/**
 * The linear-regression Monte Carlo's driver, batched over trials on gpu.js kernels: it sizes the chunks of trials,
 * runs them (two in flight), adds their values to the run's moments in chunk order and checkpoints after each.
 * What a chunk does is its method's (methods.ts: one record per fitting procedure, each in its own file):
 *
 * full:    every iteration draws new labels y = X·w_src + ε on the kernel, forms Xᵀy on the kernel, pools the
 *          generations with the strategy's weights and solves the normal equations with the trial's (XᵀX)⁻¹ —
 *          the paper's procedure, refit for refit (a weighted fit on a pool of whole generations over the same X).
 * reduced: samples the same estimators through sufficient statistics: the eigenvalues λ of XᵀX (a tridiagonal
 *          Wishart model), and in that eigenbasis each generation's OLS noise z ~ N(0, σ²(XᵀX)⁻¹) as σ·λ^{-1/2}·ξ with
 *          ξ drawn on the kernel. The strategy's pooling runs unchanged. O(d) per trial-iteration instead of O(T·d).
 */
import { CheckpointMismatchError } from '../../core/errors.js';
import { rootKey } from '../../core/rng.js';
import { Moments } from '../../core/stats.js';
import { Scratch } from '../../core/scratch.js';
import { leaseLinearKernels, MAX_BUFFER, type LinearKernels } from '../../kernels/linear.js';
import type { Backend } from '../../kernels/backend.js';
import { sharedFloats } from './chunk.js';
import type { ChunkContext, ChunkResult, LinearRun } from './method.js';
import { methodFor } from './methods.js';
import { poolPlan } from './pool-store.js';

// the run's types live in method.ts (below every method file); re-exported where their users import them
export { METHODS, type LinearRun, type Method } from './method.js';

export interface MonteCarloMoments {
  /** per iteration: the test error ‖ŵ_n − w*‖² */
  error: Moments[];
  /** per iteration: error − σ²·tr((XᵀX)⁻¹)·Σb², whose mean is exactly 0 (the sharp, design-conditional check) */
  conditionalResidual: Moments[] | null;
  /** tr((XᵀX)⁻¹) over trials */
  traceGramInverse: Moments;
  /**
   * Fixed-design least squares with a closed form: per trial q = tr(M²), M = Σ^½(XᵀX)⁻¹Σ^½ (Σ = I unless --spectrum),
   * summed and maximised over trials. Given the designs, Σ_trials R_n is a weighted sum of centred χ²₁ with weights
   * σ²β_n²·(eigenvalues of M), whose squared norm is σ⁴β_n⁴·Σq and largest weight at most σ²β_n²·√max q: what the
   * Laurent–Massart bound of the z|X check needs (src/verify/bounds.ts). Null otherwise.
   */
  gramInverseSquares: SumMax | null;
  /**
   * Ridge with its P11 check: per iteration, over trials, Σ_j s_j⁴ (sum and max) and Σ_j μ_j²s_j² (sum) of
   * ridgeConditionalSpread — the inputs of the ridge z|X residual's finite-sample band (proofs P12). Null otherwise.
   */
  ridgeSpread: { chi4: SumMax[]; gauss: SumMax[] } | null;
  /** the kernel width used */
  chunkTrials: number;
  kernelClasses: string[];
}

/** Progress callback: trial-iterations done so far out of the run's total. */
export type Progress = (doneTrialIterations: number, totalTrialIterations: number) => void;

export function chunkTrials(run: LinearRun): number {
  const method = methodFor(run);
  const byBuffer = Math.floor(MAX_BUFFER / method.widestBuffer(run));
  const byMemory = Math.floor((64 * 2 ** 20) / floatsPerTrial(run)); // ~256 MB of chunk state at most
  // ≤ 4096 trials keeps a chunk — the unit of checkpointing — to seconds, and still ≥ 4096 kernel cells (threaded)
  const most = Math.max(1, Math.min(run.trials, byBuffer, byMemory, 4096, run.batch ?? Infinity));
  // equal chunks: the last chunk is padded to the width, so 100 trials in chunks of 83 would compute 166 (results
  // do not depend on the width, C7)
  return Math.ceil(run.trials / Math.ceil(run.trials / most));
}

/** Estimated peak bytes of one chunk (four per float32 unit): the CLI refuses a run whose single trial cannot fit. */
export function chunkBytes(run: LinearRun): number {
  if (methodFor(run).widestBuffer(run) > MAX_BUFFER) return Infinity;
  return chunkTrials(run) * 4 * floatsPerTrial(run);
}

/** What one trial of a chunk holds, in float32 units: its method's state and what every chunk keeps. */
function floatsPerTrial(run: LinearRun): number {
  return methodFor(run).floatsPerTrial(run) + sharedFloats(run);
}

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
  gramInverseSquares: SumMaxState | null;
  ridgeSpread?: { chi4: SumMaxState[]; gauss: SumMaxState[] } | null;
}
/** A {@link Moments} as plain JSON: count, sum and sum of squares. */
export interface MomentsState {
  n: number;
  sum: number;
  sumSq: number;
}

/** Count, float64 sum and maximum of nonnegative values (added in order: resumed runs stay bit-identical). */
export class SumMax {
  n = 0;
  sum = 0;
  max = 0;
  /** Count x ≥ 0 into n, sum and max. */
  add(x: number): void {
    this.n += 1;
    this.sum += x;
    if (x > this.max) this.max = x;
  }
}

/** A {@link SumMax} as a checkpoint stores it. */
export interface SumMaxState {
  n: number;
  sum: number;
  max: number;
}

/** Resume, checkpoint and stop hooks of a linear Monte Carlo (pass as `control` to {@link runLinear}). */
export interface SimulationControl {
  /** continue from this checkpoint (it must come from the same configuration) */
  resume?: MonteCarloCheckpoint;
  /** called after every chunk, in chunk order, with the checkpoint to persist; awaited before another chunk starts */
  onChunk?: (checkpoint: MonteCarloCheckpoint) => void | Promise<void>;
  /** checked before each chunk starts: an aborted run finishes the chunks in flight, persists, and throws signal.reason */
  signal?: AbortSignal;
  /** chunks run at a time (default CHUNKS_IN_FLIGHT, 1 for chunks over 1 GiB); the results do not depend on it */
  chunksInFlight?: number;
}

/**
 * Chunks run this many at a time. A chunk alternates kernel calls (on the worker threads) with float64 host work
 * (on the main thread), so one chunk alone leaves a core idle while the other waits: the full method at d = 10,
 * T = 100 kept the process at ~140% of its 2 cores. With two in flight one's host work runs during the other's
 * kernels. Results do not change: a chunk's draws are keyed by global trial, and its moments are added to the run's
 * in chunk order (ChunkRecord).
 */
export const CHUNKS_IN_FLIGHT = 2;

/**
 * Values kept in the order they came, to be added to a run's Moments once the chunk is done. A Float64Array holds each
 * float64 exactly, grows by doubling and is kept for the next chunk: a fresh JavaScript array per chunk, grown by
 * push, made the reduced method spend ~19% of its main thread in the garbage collector.
 */
class DeferredValues {
  private values = new Float64Array(1024);
  private count = 0;
  add(x: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(2 * this.count);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = x;
  }
  /** Add the kept values to `target` in order (the same float64 sums as adding them there directly), and forget them. */
  flushInto(target: { add(x: number): void }): void {
    const { values, count } = this;
    for (let i = 0; i < count; i++) target.add(values[i]);
    this.count = 0;
  }
}

/** A chunk's own record (DeferredValues), flushed into the run's moments; reused by the chunks that take its slot. */
class ChunkRecord implements ChunkResult {
  readonly error: DeferredValues[];
  readonly conditionalResidual: DeferredValues[] | null;
  readonly traceGramInverse = new DeferredValues();
  readonly gramInverseSquares: DeferredValues | null;
  readonly ridgeSpread: { chi4: DeferredValues[]; gauss: DeferredValues[] } | null;
  constructor(private readonly run: MonteCarloMoments) {
    this.error = run.error.map(() => new DeferredValues());
    this.conditionalResidual = run.conditionalResidual?.map(() => new DeferredValues()) ?? null;
    this.gramInverseSquares = run.gramInverseSquares ? new DeferredValues() : null;
    this.ridgeSpread = run.ridgeSpread ? { chi4: run.error.map(() => new DeferredValues()), gauss: run.error.map(() => new DeferredValues()) } : null;
  }
  flush(): void {
    this.error.forEach((values, n) => values.flushInto(this.run.error[n]));
    this.conditionalResidual?.forEach((values, n) => values.flushInto((this.run.conditionalResidual as Moments[])[n]));
    this.traceGramInverse.flushInto(this.run.traceGramInverse);
    if (this.run.gramInverseSquares) this.gramInverseSquares?.flushInto(this.run.gramInverseSquares);
    const spread = this.run.ridgeSpread;
    if (spread && this.ridgeSpread) {
      this.ridgeSpread.chi4.forEach((values, n) => values.flushInto(spread.chi4[n]));
      this.ridgeSpread.gauss.forEach((values, n) => values.flushInto(spread.gauss[n]));
    }
  }
}

const saveMoments = (m: Moments): MomentsState => ({ n: m.n, sum: m.sum, sumSq: m.sumSq });
const loadMoments = (m: Moments, state: MomentsState): void => {
  m.n = state.n;
  m.sum = state.sum;
  m.sumSq = state.sumSq;
};

const sumMaxState = (m: SumMax): SumMaxState => ({ n: m.n, sum: m.sum, max: m.max });
const noop = (): void => undefined;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Run the Monte Carlo; resolves to float64 moments per iteration. */
export async function simulateLinear(run: LinearRun, backend: Backend, onProgress?: Progress, control: SimulationControl = {}): Promise<MonteCarloMoments> {
  const { samples: T, dim: d } = run;
  const B = chunkTrials(run);
  const lease = leaseLinearKernels(backend, { B, T, d });
  const T0 = run.samples0 ?? T;
  const realLease = run.design === 'random' && T0 !== T ? leaseLinearKernels(backend, { B, T: T0, d }) : undefined;
  try {
    return await simulateChunks(run, lease.kernels, realLease?.kernels, onProgress, control);
  } finally {
    lease.done();
    realLease?.done();
  }
}

async function simulateChunks(run: LinearRun, kernels: LinearKernels, realKernels: LinearKernels | undefined, onProgress?: Progress, control: SimulationControl = {}): Promise<MonteCarloMoments> {
  const { iterations: N, trials } = run;
  const { B } = kernels.shape;
  const root = rootKey(run.seed);
  const plan = poolPlan(run.strategy, N);
  const result: MonteCarloMoments = {
    error: Array.from({ length: N }, () => new Moments()),
    conditionalResidual: run.noiseFactors || run.ridgePolynomials ? Array.from({ length: N }, () => new Moments()) : null,
    traceGramInverse: new Moments(),
    gramInverseSquares: run.noiseFactors ? new SumMax() : null,
    ridgeSpread: run.ridgePolynomials ? { chi4: Array.from({ length: N }, () => new SumMax()), gauss: Array.from({ length: N }, () => new SumMax()) } : null,
    chunkTrials: B,
    kernelClasses: [],
  };
  let startChunk = 0;
  if (control.resume) {
    const saved = control.resume;
    if (
      saved.chunkTrials !== B || saved.error.length !== N || (saved.conditionalResidual === null) !== (result.conditionalResidual === null) ||
      (saved.gramInverseSquares ?? null) === null !== (result.gramInverseSquares === null) || // older checkpoints lack it
      (saved.ridgeSpread ?? null) === null !== (result.ridgeSpread === null)
    ) {
      throw new CheckpointMismatchError('the checkpoint does not belong to this configuration');
    }
    saved.error.forEach((state, n) => loadMoments(result.error[n], state));
    saved.conditionalResidual?.forEach((state, n) => loadMoments((result.conditionalResidual as Moments[])[n], state));
    loadMoments(result.traceGramInverse, saved.traceGramInverse);
    if (result.gramInverseSquares && saved.gramInverseSquares) Object.assign(result.gramInverseSquares, saved.gramInverseSquares);
    if (result.ridgeSpread && saved.ridgeSpread) {
      const { chi4, gauss } = result.ridgeSpread;
      saved.ridgeSpread.chi4.forEach((state, n) => Object.assign(chi4[n], state));
      saved.ridgeSpread.gauss.forEach((state, n) => Object.assign(gauss[n], state));
    }
    startChunk = saved.chunksDone;
  }
  const total = trials * N;
  let done = Math.min(trials, startChunk * B) * N;
  // a chunk past 1 GiB (a few huge trials) runs alone: two would double a peak the CLI only checked for one
  const depth = Math.max(1, control.chunksInFlight ?? (chunkBytes(run) <= 2 ** 30 ? CHUNKS_IN_FLIGHT : 1));
  const slots = Array.from({ length: depth }, () => ({ scratch: new Scratch(), record: new ChunkRecord(result) }));
  const method = methodFor(run);
  const runChunk = async (chunk: number): Promise<ChunkRecord> => {
    const { scratch, record } = slots[chunk % depth]; // chunk − depth, its last user, is committed
    const first = chunk * B;
    const live = Math.min(B, trials - first); // the last chunk is padded to B; padded trials are not counted
    const context: ChunkContext = { run, kernels, realKernels, root, chunk, first, live, plan, result: record, scratch };
    for await (const iteration of method.chunk(context)) {
      done += live;
      onProgress?.(done, total);
      void iteration;
      await yieldToEventLoop(); // let the other chunk's finished kernel calls through (their acks are macrotasks)
    }
    return record;
  };
  const inFlight: Promise<ChunkRecord>[] = [];
  let next = startChunk;
  try {
    for (let committed = startChunk; committed * B < trials; committed++) {
      while (inFlight.length < depth && next * B < trials && !control.signal?.aborted) {
        const chunk = runChunk(next++);
        chunk.catch(noop); // awaited in order below; a later chunk's failure must not go unhandled meanwhile
        inFlight.push(chunk);
      }
      if (inFlight.length === 0) break; // aborted
      (await (inFlight.shift() as Promise<ChunkRecord>)).flush();
      await control.onChunk?.({
        chunksDone: committed + 1,
        chunkTrials: B,
        error: result.error.map(saveMoments),
        conditionalResidual: result.conditionalResidual?.map(saveMoments) ?? null,
        traceGramInverse: saveMoments(result.traceGramInverse),
        gramInverseSquares: result.gramInverseSquares ? sumMaxState(result.gramInverseSquares) : null,
        ridgeSpread: result.ridgeSpread ? { chi4: result.ridgeSpread.chi4.map(sumMaxState), gauss: result.ridgeSpread.gauss.map(sumMaxState) } : null,
      });
    }
  } finally {
    await Promise.allSettled(inFlight); // a failed chunk leaves none running on the kernels
  }
  control.signal?.throwIfAborted();
  result.kernelClasses = [...new Set([...kernels.kernelClasses(), ...(realKernels?.kernelClasses() ?? [])])];
  return result;
}

