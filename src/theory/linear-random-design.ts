import { UsageError } from '../core/errors.js';

/**
 * Replace under random design (a new X_g every generation, rows N(0, I_d)): the generations' OLS noises are
 * independent and unbiased given the past, so E‖ŵ_n − w*‖² = Σ_{g≤n} σ_g²·d/(T_g − d − 1), with (T_1, σ_1²) =
 * (T0, σ0²) for the real data and (T, σ²) after. No such closed form holds for accumulate (the pooled Gram mixes
 * designs), so collapse-lab prints none there.
 * @source Dohmatob, Feng & Kempe 2024, "Model Collapse Demystified" (arXiv:2402.07712), Theorem 4.1 (T0, σ0 vs T, σ)
 * @proof proofs/linear-variants.md#P8
 * @example randomDesignReplaceError({ sigma2: 1, dim: 10, samples: 100, noise0: 1, samples0: 100 }, 2) // returns [0.11235955056179775, 0.2247191011235955]
 */
export function randomDesignReplaceError(
  setting: { sigma2: number; dim: number; samples: number; noise0: number; samples0: number },
  iterations: number,
): number[] {
  const { sigma2, dim: d, samples: T, noise0, samples0: T0 } = setting;
  if (T < d + 2 || T0 < d + 2) throw new UsageError(`--samples and --samples0 must be ≥ dim + 2 (= ${d + 2}) for the theory; got ${T} and ${T0}`);
  const first = (noise0 * d) / (T0 - d - 1);
  const step = (sigma2 * d) / (T - d - 1);
  return Array.from({ length: iterations }, (_, n) => first + n * step);
}
