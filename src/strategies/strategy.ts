import type { Fraction } from '../core/fraction.js';

/**
 * How model n's training pool is formed, declared once and read by both theory/ and the Monte Carlo (C2).
 *
 * Before model n is fit, step n adds new data sets of the base size, each labelled (sampled) by a source:
 * 0 = the real distribution (fresh noise), k = model k. By default step n adds one set from model n − 1, so step 1
 * adds the real data and data set g is "generation g". Model n is fit on a pool that weights all data sets so far
 * by `poolWeights(n)`: a weighted least-squares fit for fixed-design regression, sample counts for sample-based
 * models. Weights are exact rationals that sum to 1, so the theory can be computed exactly.
 */
export interface PoolStrategy {
  /** One id everywhere: CLI value, JSON key, legend label (C1); parameterised strategies include it ('window:3'). */
  readonly name: string;
  /** One line a researcher reads in --help and in reports. */
  readonly description: string;
  /** Where the loop comes from (paper, section). */
  readonly source: string;
  /** Sources of the data sets added at step n (0 = fresh real data, k = model k). Default: [n − 1]. */
  newData?(n: number): readonly number[];
  /** Weights of data sets 1..D_n (index s − 1) in model n's pool; exact, non-negative, summing to 1. */
  poolWeights(n: number): Fraction[];
  /**
   * How a fit uses its pool: 'weighted' (default) fits every pooled data set whole, with its weight; 'subsample' fits
   * a fixed budget of T rows drawn uniformly from the pool (weights = expected shares), which has no exact theory.
   */
  readonly fit?: 'weighted' | 'subsample';
  /**
   * Items in each synthetic data set as a multiple of m, for families that draw samples (augment:r: r·m). The pool
   * weights already give each set its share, so a plain union of r·m synthetic and m real items is the same pool;
   * the neural runs read this (src/experiments/neural.ts), the linear and Gaussian theory and kernels do not.
   */
  readonly syntheticScale?: number;
}

/** Which data sets exist after each step, and what labelled each one. */
export interface DataPlan {
  /** sources[s − 1]: the source of data set s (0 = real data, k = model k) */
  readonly sources: readonly number[];
  /** added[n − 1]: the data sets (1-based) added at step n */
  readonly added: readonly (readonly number[])[];
}

/** The data sets of steps 1..iterations under `strategy`, checked for consistency with its pool weights. */
export function dataPlan(strategy: PoolStrategy, iterations: number): DataPlan {
  const sources: number[] = [];
  const added: number[][] = [];
  for (let n = 1; n <= iterations; n++) {
    const fresh = strategy.newData ? strategy.newData(n) : [n - 1];
    const indices: number[] = [];
    for (const source of fresh) {
      if (!Number.isInteger(source) || source < 0 || source >= n) throw new Error(`${strategy.name}: step ${n} adds data from model ${source}, which does not exist yet`);
      sources.push(source);
      indices.push(sources.length);
    }
    added.push(indices);
  }
  return { sources, added };
}

/**
 * Evaluate every pool's weights of a run of `iterations` steps: weights:<expr> errors (a negative weight, an
 * expression that fails at some n) surface here, before a run directory is created, not mid-run.
 */
export function checkPoolWeights(strategy: PoolStrategy, iterations: number): void {
  const { added } = dataPlan(strategy, iterations);
  let sets = 0;
  for (let n = 1; n <= iterations; n++) {
    sets += added[n - 1].length;
    const weights = strategy.poolWeights(n);
    if (weights.length !== sets) throw new Error(`${strategy.name}: pool ${n} weighs ${weights.length} data sets, but ${sets} exist`);
  }
}

/** The model that labels data set g under `strategy` (0 = real data). */
export function sourceOf(strategy: PoolStrategy, g: number): number {
  return dataPlan(strategy, g).sources[g - 1];
}

/**
 * When pool n weights a contiguous range of data sets equally, the Monte Carlo can pool with prefix sums in
 * O(d) instead of O(n·d) per trial. Returns the range [first, last] (1-based) or null for any other weighting.
 */
export function uniformRange(weights: readonly number[]): { first: number; last: number } | null {
  let first = -1;
  let last = -1;
  for (let g = 0; g < weights.length; g++) {
    if (weights[g] === 0) continue;
    if (first < 0) first = g;
    else if (last !== g - 1 || weights[g] !== weights[first]) return null;
    last = g;
  }
  return first < 0 ? null : { first: first + 1, last: last + 1 };
}
