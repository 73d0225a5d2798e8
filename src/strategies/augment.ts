import { fraction, fractionToNumber, type Fraction } from '../core/fraction.js';
import { decimalParameter } from './parameter.js';
import type { PoolStrategy } from './strategy.js';

/** The real data always kept, plus r synthetic samples per real one from the newest model only. */
export function augment(argument: string): PoolStrategy {
  const r = decimalParameter('augment', argument, 0, 1e6, 'r needs a ratio r ≥ 0 (augment:<r>, synthetic per real sample)');
  const total = fraction(1).add(r);
  const realShare = fraction(1).div(total);
  const syntheticShare = r.div(total);
  return {
    name: `augment:${argument}`,
    description: `real data kept, plus ${argument} synthetic per real sample from the newest model`,
    source: 'Alemohammad et al. 2023 (arXiv:2307.01850) synthetic augmentation loop; Bertrand et al. 2023 λ',
    syntheticScale: fractionToNumber(r),
    // step 1 adds the real data; step n ≥ 2 adds one synthetic set from model n − 1
    poolWeights(n: number): Fraction[] {
      if (n === 1) return [fraction(1)];
      return Array.from({ length: n }, (_, g) => (g === 0 ? realShare : g === n - 1 ? syntheticShare : fraction(0)));
    },
  };
}
