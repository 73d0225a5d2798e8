import { fraction, type Fraction } from '../core/fraction.js';
import { fractionToNumber } from '../core/fraction.js';
import { dataPlan, type PoolStrategy } from '../strategies/strategy.js';

/**
 * The exact coefficient recursion for fixed-design least squares under any pool-weighting strategy.
 *
 * With e_k = ŵ_k − w*, z_g = (XᵀX)⁻¹Xᵀε_g the OLS noise of data set g, and s(g) the model that labels data set g
 * (s(g) = 0: real data, e_0 = 0), the weighted fit on pool n gives e_n = Σ_g a_{n,g} (e_{s(g)} + z_g). Writing
 * e_k = Σ_j b_{k,j} z_j yields b_{n,j} = a_{n,j} + Σ_g a_{n,g} b_{s(g),j}, and since the z_j are independent
 * N(0, σ²(XᵀX)⁻¹) given X:  E[‖e_n‖² | X] = σ²·tr((XᵀX)⁻¹)·Σ_j b_{n,j}².
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, proof of Theorem 2 (generalised to any weights a_{n,g})
 * @proof proofs/linear-fixed-design.md#P1
 */
export function errorCoefficients(strategy: PoolStrategy, iterations: number): Fraction[][] {
  const zero = fraction(0);
  const { sources } = dataPlan(strategy, iterations);
  const size = sources.length;
  // b[k] holds b_{k,1..size} over the noise of every data set; b[0] = 0 (real data carries no estimation error).
  const b: Fraction[][] = [Array.from({ length: size }, () => zero)];
  for (let n = 1; n <= iterations; n++) {
    const a = strategy.poolWeights(n);
    const row = Array.from({ length: size }, () => zero);
    for (let g = 1; g <= a.length; g++) {
      const weight = a[g - 1];
      if (Number(weight.n) === 0) continue;
      row[g - 1] = row[g - 1].add(weight);
      const parent = b[sources[g - 1]];
      for (let j = 0; j < size; j++) {
        if (Number(parent[j].n) !== 0) row[j] = row[j].add(weight.mul(parent[j]));
      }
    }
    b.push(row);
  }
  return b.slice(1);
}

/**
 * Σ_j b_{n,j}² for n = 1..iterations, exactly: the factor by which model n's error exceeds σ²·tr((XᵀX)⁻¹).
 * replace gives n, accumulate gives Σ_{i≤n} 1/i².
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorems 1 and 2
 * @proof proofs/linear-fixed-design.md#P2
 * @example noiseFactors(accumulate, 2).map(String) // returns ['1', '1.25']
 */
export function noiseFactors(strategy: PoolStrategy, iterations: number): Fraction[] {
  return errorCoefficients(strategy, iterations).map(
    (row) => row.reduce((sum, c) => sum.add(c.mul(c)), fraction(0)),
  );
}

/** Up to this many iterations the numeric factors are the exact rationals rounded once; beyond, O(n³) big rationals get slow. */
export const EXACT_ITERATIONS = 100;

const cache = new WeakMap<PoolStrategy, Map<number, number[]>>();

/**
 * noiseFactors as float64, cached per strategy object and length. Exact rationals rounded once for n ≤ 100; beyond,
 * the same recursion in float64 (relative error a few n·ε; test/theory/pool-weights.test.ts bounds it at n = 1000).
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorems 1 and 2 (generalised to any pool weights)
 * @proof proofs/linear-fixed-design.md#P2
 */
export function noiseFactorsNumeric(strategy: PoolStrategy, iterations: number): number[] {
  let byLength = cache.get(strategy);
  if (!byLength) cache.set(strategy, (byLength = new Map()));
  let factors = byLength.get(iterations);
  if (!factors) {
    factors =
      iterations <= EXACT_ITERATIONS
        ? noiseFactors(strategy, iterations).map(fractionToNumber)
        : floatNoiseFactors(strategy, iterations);
    byLength.set(iterations, factors);
  }
  return factors;
}

/** The P1 recursion b_{n,j} = a_{n,j} + Σ_g a_{n,g} b_{s(g),j} in float64. */
function floatNoiseFactors(strategy: PoolStrategy, iterations: number): number[] {
  const { sources } = dataPlan(strategy, iterations);
  const size = sources.length;
  const b: Float64Array[] = [new Float64Array(size)];
  const factors: number[] = [];
  for (let n = 1; n <= iterations; n++) {
    const a = strategy.poolWeights(n).map(fractionToNumber);
    const row = new Float64Array(size);
    for (let g = 1; g <= a.length; g++) {
      const weight = a[g - 1];
      if (weight === 0) continue;
      row[g - 1] += weight;
      const parent = b[sources[g - 1]];
      for (let j = 0; j < size; j++) row[j] += weight * parent[j];
    }
    b.push(row);
    let sum = 0;
    for (let j = 0; j < size; j++) sum += row[j] * row[j];
    factors.push(sum);
  }
  return factors;
}
