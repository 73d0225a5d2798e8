/**
 * Monte Carlo of Hutter's model chained over generations (proofs/tails.md#H4): per trial, generation 1's T contexts
 * from p, each next generation's T contexts drawn uniformly from the previous generation's sample (its empirical
 * distribution); model g's error given its sample is the real mass of the contexts absent from it, in [0, 1].
 */
import { foldIn, KeyedGenerator, type Key } from '../core/rng.js';
import { Moments, Z95 } from '../core/stats.js';
import { chainedHutterErrors, chainLabel } from '../theory/tails-chain.js';
import { searchCumulative } from '../models/categorical/distribution.js';

/** One (source, T) cell: the Monte Carlo test error against the exact E(T; q) = Σ pᵢ(1 − qᵢ)^T (proofs/tails.md H1). */
export interface TailsRow extends IterationRow {
  /** T, training samples */
  samples: number;
  /** 'clean', 'cut k=…', 'mix k=… π=…', 'chain g=…' */
  curve: string;
}
import type { IterationRow } from '../verify/report.js';

/** Child key of the run's root for the chain cells (apart from the sources' 0, 1, 2, …). */
const CHAIN_STREAM = 1 << 20;

/** One row per (generations g, T), numbered from `first`: Monte Carlo mean of the error against E_g(T) or null. */
export function chainRows(p: Float64Array, chain: readonly number[], sizes: readonly number[], trials: number, root: Key, first: number): TailsRow[] {
  const cumulative = new Float64Array(p.length);
  p.reduce((sum, x, i) => (cumulative[i] = sum + x), 0);
  const total = cumulative[p.length - 1];
  const seen = new Uint8Array(p.length);
  const largest = Math.max(...sizes);
  let sample = new Uint32Array(largest);
  let next = new Uint32Array(largest);
  const rows: TailsRow[] = [];
  // the exact sums share their absorption probabilities across g: one call per T
  const theories = new Map(sizes.map((T) => [T, chainedHutterErrors(p, T, chain)]));
  chain.forEach((generations, chainIndex) => {
    sizes.forEach((T, sizeIndex) => {
      const cellKey = foldIn(foldIn(foldIn(root, CHAIN_STREAM), chainIndex), sizeIndex);
      const moments = new Moments();
      for (let trial = 0; trial < trials; trial++) {
        const generator = new KeyedGenerator(foldIn(cellKey, trial));
        for (let t = 0; t < T; t++) sample[t] = searchCumulative(cumulative, generator.uniform() * total);
        for (let g = 2; g <= generations; g++) {
          for (let t = 0; t < T; t++) next[t] = sample[Math.min(T - 1, Math.floor(generator.uniform() * T))];
          [sample, next] = [next, sample];
        }
        let seenMass = 0;
        for (let t = 0; t < T; t++) {
          const i = sample[t];
          if (seen[i] === 0) {
            seen[i] = 1;
            seenMass += p[i];
          }
        }
        for (let t = 0; t < T; t++) seen[sample[t]] = 0;
        moments.add(Math.max(0, 1 - seenMass));
      }
      const theory = (theories.get(T) as (number | null)[])[chainIndex];
      const { mean, stderr } = moments;
      const z = theory === null || stderr === 0 ? null : (mean - theory) / stderr;
      rows.push({ iteration: first + rows.length, samples: T, curve: chainLabel(generations), mean, stderr, ci95: [mean - Z95 * stderr, mean + Z95 * stderr], theory, z, zConditional: null });
    });
  });
  return rows;
}
