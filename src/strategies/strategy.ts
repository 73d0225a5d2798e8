import type { Fraction } from 'mathjs';

/**
 * How generation n's training pool is formed, declared once and read by both theory/ and the Monte Carlo (C2).
 *
 * Generation g (g = 1, 2, …) is a data set of the base size; generation 1 is real data, generation g > 1 is labelled
 * (sampled) by model g − 1 unless `sourceOf` says otherwise. Model n is fit on a pool that weights generations
 * 1..n by `poolWeights(n)`: a weighted least-squares fit for fixed-design regression, sample counts for sample-based
 * models. Weights are exact rationals that sum to 1, so the theory can be computed exactly.
 */
export interface PoolStrategy {
  /** One id everywhere: CLI value, JSON key, legend label (C1). */
  readonly name: string;
  /** One line a researcher reads in --help and in reports. */
  readonly description: string;
  /** Where the loop comes from (paper, section). */
  readonly source: string;
  /** Weights of generations 1..n (index g − 1) in model n's pool; exact, non-negative, summing to 1. */
  poolWeights(n: number): Fraction[];
  /** Which model labels generation g: 0 = the real distribution, k = model k. Default: g − 1. */
  sourceOf?(g: number): number;
}

/** The model that labels generation g under `strategy` (0 = real data). */
export function sourceOf(strategy: PoolStrategy, g: number): number {
  return strategy.sourceOf ? strategy.sourceOf(g) : g - 1;
}

/**
 * When pool n weights a contiguous range of generations equally, the Monte Carlo can pool with prefix sums in
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
