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
  return boundedCoefficients(strategy, iterations, Infinity) as Fraction[][];
}

/** errorCoefficients, or null as soon as a numerator or denominator passes `maxBits` bits (the work stays bounded). */
function boundedCoefficients(strategy: PoolStrategy, iterations: number, maxBits: number, maxWork = Infinity): Fraction[][] | null {
  const zero = fraction(0);
  const limit = Number.isFinite(maxBits) ? 1n << BigInt(maxBits) : null;
  let work = 0; // rational operations so far, each weighted by 1 + (bits/16)² (gcds grow with the square of the size)
  let cost = 1;
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
        if (Number(parent[j].n) !== 0) {
          row[j] = row[j].add(weight.mul(parent[j]));
          work += cost;
        }
      }
      if (work > maxWork) return null;
    }
    if (limit !== null && row.some((c) => BigInt(c.n) >= limit || BigInt(c.d) >= limit)) return null;
    if (Number.isFinite(maxWork)) cost = 1 + Math.max(...row.map((c) => Math.max(c.n.toString(16).length, c.d.toString(16).length) / 4)) ** 2;
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

/** Up to this many iterations the numeric factors are the exact rationals rounded once; beyond, certified intervals. */
export const EXACT_ITERATIONS = 100;
/**
 * Bits of a numerator or denominator of b at which the exact recursion gives way to certified float64 intervals:
 * the built-in strategies stay under ~160 bits at n = 100, while float64 weights such as exp(−(n−i)/3) grow by
 * ~60 bits per generation and made the exact recursion take minutes (343 s at n = 100).
 */
export const EXACT_BITS = 512;
/**
 * Rational operations, each weighted by 1 + (bits/16)², that the exact recursion may spend (deterministic, unlike a
 * time limit), a few seconds at most: accumulate at n = 100 needs 2·10^5; weights:1/i (8·10^6, 14–36 s on a shared
 * 2-core machine) and weights:2^(i-n) (4·10^6) at n = 100 fall back to intervals.
 */
export const EXACT_WORK = 1e6;

/** How the numeric factors were computed: exact rationals rounded once, or float64 intervals that contain them. */
export type FactorArithmetic = { method: 'exact' } | { method: 'interval'; relativeError: number };

const cache = new WeakMap<PoolStrategy, Map<number, { factors: number[]; arithmetic: FactorArithmetic }>>();

function numericFactors(strategy: PoolStrategy, iterations: number): { factors: number[]; arithmetic: FactorArithmetic } {
  let byLength = cache.get(strategy);
  if (!byLength) cache.set(strategy, (byLength = new Map()));
  let entry = byLength.get(iterations);
  if (!entry) {
    const exact = iterations <= EXACT_ITERATIONS ? boundedCoefficients(strategy, iterations, EXACT_BITS, EXACT_WORK) : null;
    if (exact) {
      entry = { factors: exact.map((row) => fractionToNumber(row.reduce((sum, c) => sum.add(c.mul(c)), fraction(0)))), arithmetic: { method: 'exact' } };
    } else {
      const bounds = intervalNoiseFactors(strategy, iterations);
      const relativeError = Math.max(0, ...bounds.map(([lo, hi]) => (hi > 0 ? (hi - lo) / (hi + lo) : 0)));
      entry = { factors: bounds.map(([lo, hi]) => (lo + hi) / 2), arithmetic: { method: 'interval', relativeError } };
    }
    byLength.set(iterations, entry);
  }
  return entry;
}

/**
 * noiseFactors as float64, cached per strategy object and length: the exact rationals rounded once while they stay
 * small (n ≤ 100 and every b under EXACT_BITS bits); otherwise the midpoints of float64 intervals certified to
 * contain them (noiseFactorsArithmetic says which, and how wide the intervals are).
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorems 1 and 2 (generalised to any pool weights)
 * @proof proofs/linear-fixed-design.md#P2
 */
export function noiseFactorsNumeric(strategy: PoolStrategy, iterations: number): number[] {
  return numericFactors(strategy, iterations).factors;
}

/**
 * Which arithmetic noiseFactorsNumeric used for this strategy and length (exact, or intervals and their width).
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, Theorems 1 and 2 (the quantity whose arithmetic this reports)
 * @proof proofs/linear-fixed-design.md#P2
 */
export function noiseFactorsArithmetic(strategy: PoolStrategy, iterations: number): FactorArithmetic {
  return numericFactors(strategy, iterations).arithmetic;
}

// Outward rounding of a non-negative float64 result: x·2^-51 is 2–4 ulps of x, more than the half ulp that rounding
// to nearest can have moved it (MIN_VALUE covers subnormals), so the exact value lies in [down(x), up(x)].
const down = (x: number) => Math.max(0, x - x * 2 ** -51 - Number.MIN_VALUE);
const up = (x: number) => x + x * 2 ** -51 + Number.MIN_VALUE;

/**
 * A non-negative exact rational as a float64 interval: fractionToNumber is within 3 roundings (< 2^-51 relative,
 * plus a few MIN_VALUE when subnormal), so widening by 2^-50 and 2·MIN_VALUE contains the exact value.
 */
function fractionBounds(f: Fraction): [number, number] {
  const x = fractionToNumber(f);
  return [Math.max(0, x - x * 2 ** -50 - 2 * Number.MIN_VALUE), x + x * 2 ** -50 + 2 * Number.MIN_VALUE];
}

/**
 * The P1 recursion b_{n,j} = a_{n,j} + Σ_g a_{n,g} b_{s(g),j} and Σ_j b_{n,j}² in float64 interval arithmetic:
 * every quantity is non-negative, so the lower ends use lower ends and round down, the upper ends likewise up.
 * [lo, hi] per n, each holding the exact noiseFactors value.
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413, proof of Theorem 2 (generalised to any pool weights)
 * @proof proofs/linear-fixed-design.md#P2
 */
export function intervalNoiseFactors(strategy: PoolStrategy, iterations: number): [number, number][] {
  const { sources } = dataPlan(strategy, iterations);
  const size = sources.length;
  const lower: Float64Array[] = [new Float64Array(size)];
  const upper: Float64Array[] = [new Float64Array(size)];
  const factors: [number, number][] = [];
  for (let n = 1; n <= iterations; n++) {
    const a = strategy.poolWeights(n).map(fractionBounds);
    const lo = new Float64Array(size);
    const hi = new Float64Array(size);
    for (let g = 1; g <= a.length; g++) {
      const [wLo, wHi] = a[g - 1];
      if (wHi === 0) continue;
      lo[g - 1] = down(lo[g - 1] + wLo);
      hi[g - 1] = up(hi[g - 1] + wHi);
      const parentLo = lower[sources[g - 1]];
      const parentHi = upper[sources[g - 1]];
      for (let j = 0; j < size; j++) {
        if (parentHi[j] === 0) continue;
        lo[j] = down(lo[j] + down(wLo * parentLo[j]));
        hi[j] = up(hi[j] + up(wHi * parentHi[j]));
      }
    }
    lower.push(lo);
    upper.push(hi);
    let sumLo = 0;
    let sumHi = 0;
    for (let j = 0; j < size; j++) {
      sumLo = down(sumLo + down(lo[j] * lo[j]));
      sumHi = up(sumHi + up(hi[j] * hi[j]));
    }
    factors.push([sumLo, sumHi]);
  }
  return factors;
}
