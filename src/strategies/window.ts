import { fraction, type Fraction } from '../core/fraction.js';
import { integerParameter } from './parameter.js';
import type { PoolStrategy } from './strategy.js';

/** Accumulate, but keep only the newest k generations (k = 1 is replace, k ≥ n is accumulate). */
export function window(argument: string): PoolStrategy {
  const k = integerParameter('window', argument, 1, 'k needs an integer k ≥ 1 (window:<k>)');
  return {
    name: `window:${k}`,
    description: `accumulate the newest ${k} generations only`,
    source: 'sliding-window accumulation, e.g. Bertrand et al. 2023 (arXiv:2310.00429); Gerstgrasser et al. 2024 §2',
    poolWeights(n: number): Fraction[] {
      const kept = Math.min(k, n);
      return Array.from({ length: n }, (_, g) => (g >= n - kept ? fraction(1, kept) : fraction(0)));
    },
  };
}
