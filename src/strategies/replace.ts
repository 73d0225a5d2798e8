import { fraction, type Fraction } from '../core/fraction.js';
import type { PoolStrategy } from './strategy.js';

/** Model n trains on generation n alone: the data its predecessor produced. */
export const replace: PoolStrategy = {
  name: 'replace',
  description: 'each model trains only on the previous model\'s samples',
  source: 'Shumailov et al. 2024 (Nature); Gerstgrasser et al. 2024, arXiv:2404.01413 §2',
  poolWeights(n: number): Fraction[] {
    return Array.from({ length: n }, (_, g) => fraction(g === n - 1 ? 1 : 0));
  },
};
