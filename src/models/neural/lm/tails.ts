/**
 * The LM's tail statistic (issue 18 §4, "disappearance of real tail data"): how much of a generation's synthetic
 * text falls in the real training text's rare character bigrams (docs/neural.md, "Tails").
 *
 * - Bigrams: every pair of consecutive token ids (separators included), over the real training stream as one
 *   sequence, and inside each window of a data set (positions t − 1, t for t = 1 … T).
 * - The rare set R at quantile q: with c(b) the real count of bigram b and C the total, R = { b : 0 < c(b) ≤ c* },
 *   c* the largest count with Σ_{0 < c(b) ≤ c*} c(b) ≤ q·C. A threshold on counts, so ties never need breaking; R's
 *   real mass is at most q (stated beside it). Bigrams the real text never has are not in R.
 * - rareMass of a data set: its bigrams in R over all its bigrams. Counting only: no random draw.
 */
import type { LmData } from './train.js';

/** The rarest real bigrams holding at most this share of the real bigram mass. */
export const RARE_QUANTILE = 0.1;

export interface RareSet {
  /** rare[a·V + b] = 1 when the bigram (a, b) is in R */
  readonly rare: Uint8Array;
  readonly vocab: number;
  /** |R| and R's share of the real bigrams (≤ the quantile) */
  readonly size: number;
  readonly realMass: number;
  readonly quantile: number;
}

/** R of a real token stream at quantile q (see the header). */
export function rareBigrams(tokens: Uint8Array, vocab: number, quantile = RARE_QUANTILE): RareSet {
  const counts = new Float64Array(vocab * vocab);
  for (let i = 1; i < tokens.length; i++) counts[tokens[i - 1] * vocab + tokens[i]]++;
  const total = tokens.length - 1;
  // mass per count value, ascending: the threshold is the last count whose cumulative mass stays ≤ q·C
  const byCount = new Map<number, number>();
  for (const c of counts) if (c > 0) byCount.set(c, (byCount.get(c) ?? 0) + c);
  let threshold = 0;
  let mass = 0;
  for (const c of [...byCount.keys()].sort((a, b) => a - b)) {
    if (mass + (byCount.get(c) as number) > quantile * total) break;
    mass += byCount.get(c) as number;
    threshold = c;
  }
  const rare = new Uint8Array(vocab * vocab);
  let size = 0;
  counts.forEach((c, b) => {
    if (c > 0 && c <= threshold) {
      rare[b] = 1;
      size++;
    }
  });
  return { rare, vocab, size, realMass: total > 0 ? mass / total : 0, quantile };
}

/** The share of the bigrams inside the windows of `sets` (pooled: every bigram counts once) that are in R. */
export function rareMass(sets: readonly LmData[], set: RareSet): number {
  let hits = 0;
  let all = 0;
  for (const { items, length, tokens } of sets) {
    for (let i = 0; i < items; i++) {
      const base = i * length;
      for (let t = 1; t < length; t++) hits += set.rare[tokens[base + t - 1] * set.vocab + tokens[base + t]];
    }
    all += items * (length - 1);
  }
  return hits / all;
}
