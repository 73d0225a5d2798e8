import { fraction, type Fraction } from '../core/fraction.js';
import { UsageError } from '../core/errors.js';
import type { PoolStrategy } from '../strategies/strategy.js';
import { noiseFactorsNumeric } from './pool-weights.js';

/** The fixed-design linear regression setting of Gerstgrasser et al. 2024 (arXiv:2404.01413, §2): rows of X i.i.d. N(0, I_d), T rows per generation, labels y = Xw + ε with ε ~ N(0, σ²I). */
export interface LinearSetting {
  /** σ², the label-noise variance of every generation. */
  sigma2: number;
  /** d, the number of features. */
  dim: number;
  /** T, the number of samples per generation. */
  samples: number;
}

/**
 * E tr((XᵀX)⁻¹) = d/(T − d − 1) for rows of X i.i.d. N(0, I_d): the mean of an inverse Wishart W_d(T, I)⁻¹.
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorem 1 (the d/(T−d−1) factor); Muirhead 1982, Thm 3.2.12
 * @proof proofs/linear-fixed-design.md#P4
 * @example traceInverseWishartMean(10, 100) // returns Fraction 10/89
 */
export function traceInverseWishartMean(dim: number, samples: number): Fraction {
  if (samples < dim + 2) throw new UsageError(`--samples must be ≥ dim + 2 (= ${dim + 2}) for the theory; got ${samples}`);
  return fraction(dim, samples - dim - 1);
}

/**
 * Expected test error of model n = 1..iterations: σ²·d/(T−d−1)·Σ_j b_{n,j}².
 * replace: σ²·d/(T−d−1)·n;  accumulate: σ²·d/(T−d−1)·Σ_{i≤n} 1/i² ≤ (π²/6)·σ²·d/(T−d−1).
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorems 1 (replace) and 2 (accumulate)
 * @proof proofs/linear-fixed-design.md#P2
 * @example expectedTestError(accumulate, { sigma2: 1, dim: 10, samples: 100 }, 1) // returns [0.11235955056179775]
 */
export function expectedTestError(strategy: PoolStrategy, setting: LinearSetting, iterations: number): number[] {
  const trace = Number(traceInverseWishartMean(setting.dim, setting.samples).valueOf());
  return noiseFactorsNumeric(strategy, iterations).map((factor) => setting.sigma2 * trace * factor);
}

/**
 * The same error conditional on the design: E[‖ŵ_n − w*‖² | X] = σ²·tr((XᵀX)⁻¹)·Σ_j b_{n,j}².
 * Used per trial to remove the design's variance from Monte Carlo checks.
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, proof of Theorem 2 (the expectation before averaging over X)
 * @proof proofs/linear-fixed-design.md#P1
 */
export function conditionalTestError(sigma2: number, traceGramInverse: number, factor: number): number {
  return sigma2 * traceGramInverse * factor;
}

/**
 * Second moments of the inverse Wishart A⁻¹, A = XᵀX ~ W_d(T, I) (T > d + 3): E tr A⁻¹ = d/(T−d−1),
 * Var tr A⁻¹ = 2d(T−1)/((T−d)(T−d−1)²(T−d−3)) and E tr A⁻² = d(T−1)/((T−d)(T−d−1)(T−d−3)). With them P6's identities
 * become numbers: Var R_n = 2σ⁴β_n⁴·E tr A⁻², and Var‖e_n‖² − Var R_n = σ⁴β_n⁴·Var tr A⁻¹.
 * @source Press 1982, Applied Multivariate Analysis, §5.2 (covariances of the inverted Wishart); von Rosen 1988, Scand. J. Statist. 15
 * @proof proofs/linear-fixed-design.md#P6
 * @example inverseWishartTraceMoments(1, 10) // returns { mean: 0.125, variance: 0.005208333333333333, meanSquare: 0.020833333333333332 }
 */
export function inverseWishartTraceMoments(dim: number, samples: number): { mean: number; variance: number; meanSquare: number } {
  const d = dim;
  const T = samples;
  if (T <= d + 3) throw new UsageError(`the variance of tr((XᵀX)⁻¹) is infinite for T ≤ d + 3 (= ${d + 3}); got T = ${T}`);
  return {
    mean: d / (T - d - 1),
    variance: (2 * d * (T - 1)) / ((T - d) * (T - d - 1) ** 2 * (T - d - 3)),
    meanSquare: (d * (T - 1)) / ((T - d) * (T - d - 1) * (T - d - 3)),
  };
}
