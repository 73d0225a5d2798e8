import { fraction, type Fraction } from '../core/fraction.js';
import { decimalParameter } from './parameter.js';
import type { PoolStrategy } from './strategy.js';

/** Every generation's pool: a fraction p of newly drawn real data, the rest synthetic from the newest model. */
export function fresh(argument: string): PoolStrategy {
  const p = decimalParameter('fresh', argument, 0, 1, 'p needs a fraction p in [0, 1] (fresh:<p>)');
  const synthetic = fraction(1).sub(p);
  return {
    name: `fresh:${argument}`,
    description: `each pool: ${argument} fresh real data, the rest synthetic from the newest model`,
    source: 'Alemohammad et al. 2023 (arXiv:2307.01850) fresh data loop',
    // step 1: the real data; step n ≥ 2: a fresh real set (new noise) and a synthetic set from model n − 1
    newData: (n: number) => (n === 1 ? [0] : [0, n - 1]),
    poolWeights(n: number): Fraction[] {
      if (n === 1) return [fraction(1)];
      const sets = 2 * n - 1;
      return Array.from({ length: sets }, (_, s) => (s === sets - 2 ? p : s === sets - 1 ? synthetic : fraction(0)));
    },
  };
}
