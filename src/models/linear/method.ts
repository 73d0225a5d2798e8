/**
 * The shared types of the linear Monte Carlo, at the bottom of its files: a run's configuration, what a chunk of
 * trials records into and runs with, and the record every fitting procedure is (methods.ts lists them). Imports
 * only types from below models/linear, so method files, chunk.ts and monte-carlo.ts can all depend on it.
 */
import type { LinearKernels } from '../../kernels/linear.js';
import type { Scratch } from '../../core/scratch.js';
import type { PoolStrategy } from '../../strategies/index.js';
import type { RidgePolynomials } from '../../theory/ridge.js';
import type { PoolPlan } from './pool-store.js';

/** The linear Monte Carlo's methods: 'full' regenerates every label and refits (the paper's procedure); 'reduced' draws the fits' sufficient statistics from their exact joint law (same distribution, far cheaper; proofs/linear-fixed-design.md). */
export const METHODS = ['full', 'reduced'] as const;
/** One of {@link METHODS}. */
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
  /** ridge with exact fixed-design theory: the P11 polynomials, for the design-conditional check */
  ridgePolynomials?: RidgePolynomials;
  /**
   * Diagonal input covariance Σ = diag(spectrum) shared by training and test inputs (default I). OLS is affine
   * invariant, so the error law does not depend on it (proofs/linear-variants.md#P7): the reduced method, which samples that law
   * directly, ignores it; the full and subsample methods simulate it.
   */
  spectrum?: Float64Array;
  /**
   * Ridge penalty λ ≥ 0 (default 0): every fit solves (Σ_s a_s X_sᵀX_s + λI)ŵ = Σ_s a_s X_sᵀy_s, the penalty taken
   * against one generation's worth of data (the pool weights sum to 1).
   */
  ridge?: number;
  /** 'random': a new X for every data set (default 'fixed') */
  design?: 'fixed' | 'random';
  /** random design: the real data sets' size T0 and noise σ0² (default: samples, noise) */
  samples0?: number;
  noise0?: number;
  /** most trials per chunk (the kernel width); results do not depend on it */
  batch?: number;
}

/** What a chunk records into: per iteration the error and the conditional residual, and tr((XᵀX)⁻¹) per trial. */
export interface ChunkResult {
  error: { add(x: number): void }[];
  conditionalResidual: { add(x: number): void }[] | null;
  traceGramInverse: { add(x: number): void };
  /** tr(M²) per trial where MonteCarloMoments.gramInverseSquares is kept, else null */
  gramInverseSquares: { add(x: number): void } | null;
  /** per iteration, where MonteCarloMoments.ridgeSpread is kept */
  ridgeSpread: { chi4: { add(x: number): void }[]; gauss: { add(x: number): void }[] } | null;
}

export interface ChunkContext {
  run: LinearRun;
  kernels: LinearKernels;
  /** random design with --samples0 ≠ --samples: the kernels shaped for the real data sets */
  realKernels?: LinearKernels;
  root: number;
  chunk: number;
  first: number;
  live: number;
  plan: PoolPlan;
  /** where the chunk records its trials' values (monte-carlo.ts adds them to the run's moments in chunk order) */
  result: ChunkResult;
  /** the run's reused buffers (a chunk's design and noise live here until the next chunk's replace them) */
  scratch: Scratch;
  /** ridge: E[error_n | X, w*] per trial, [trial·N + n − 1] (P11), set by the chunk once its design is drawn */
  ridgeExpected?: Float64Array;
}

/**
 * One fitting procedure of the Monte Carlo: when it runs, what it costs, and its chunk generator. Exactly one
 * method of methods.ts selects any run.
 */
export interface LinearMethod {
  /** short name, for messages and tests */
  readonly name: string;
  /** whether this method runs `run` (the design, the strategy's fit and --method decide) */
  selects(run: LinearRun): boolean;
  /**
   * Memory per trial in float32 units (a float64 counts two) that this method keeps on top of what every chunk
   * holds (chunk.ts sharedFloats): it sizes the chunks, so it must not change for a configuration that exists, or
   * its checkpoints (which record the chunk width) no longer resume.
   */
  floatsPerTrial(run: LinearRun): number;
  /** the largest kernel buffer this method allocates, in elements per trial (it must stay below MAX_BUFFER) */
  widestBuffer(run: LinearRun): number;
  /** one chunk of trials: yields after every step n so the driver can report progress */
  chunk(context: ChunkContext): AsyncGenerator<number>;
}
