import { fraction, type Fraction } from '../core/fraction.js';
import type { PoolStrategy } from './strategy.js';

/** Model n trains on every generation so far, the real one included, each counted once. */
export const accumulate: PoolStrategy = {
  name: 'accumulate',
  description: 'synthetic data are added to all data so far; real data kept',
  source: 'Gerstgrasser et al. 2024, arXiv:2404.01413 §2',
  poolWeights(n: number): Fraction[] {
    return Array.from({ length: n }, () => fraction(1, n));
  },
};
