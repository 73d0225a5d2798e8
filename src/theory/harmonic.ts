import { fraction, type Fraction } from '../core/fraction.js';

/**
 * Σ_{i=1..n} 1/i², exactly.
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorem 2 (accumulate test error).
 * @proof proofs/linear-fixed-design.md#P3
 * @example inverseSquareSum(3) // returns Fraction 49/36
 */
export function inverseSquareSum(n: number): Fraction {
  let sum = fraction(0);
  for (let i = 1; i <= n; i++) sum = sum.add(fraction(1, i * i));
  return sum;
}

/** ζ(2) = π²/6, the limit of Σ 1/i² (Euler): the accumulate error never exceeds π²/6 times the first model's. */
export const ACCUMULATE_BOUND = (Math.PI * Math.PI) / 6;
