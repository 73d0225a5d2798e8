/**
 * Monte Carlo of Hutter's model beside its exact error (src/theory/tails.ts): per trial, T training contexts drawn
 * from q; the model's test error given that training set is the real mass of the contexts it never saw,
 * Σ_{i unseen} p_i, whose expectation is E(T; q) (proofs/tails.md#H1). A value in [0, 1] per trial, so its mean is
 * judged with an empirical Bernstein band (src/experiments/verify-bernstein.ts).
 */
import { foldIn, KeyedGenerator, rootKey } from '../core/rng.js';
import { Moments, Z95 } from '../core/stats.js';
import { FLOAT } from '../theory/categorical.js';
import { hutterError, trainingDistribution, type TailSource } from '../theory/tails.js';
import { zipf } from '../models/categorical/distribution.js';
import { searchCumulative } from '../models/categorical/distribution.js';
import { chainRows, type TailsRow } from './hutter-chain.js';
import type { IterationRow } from '../verify/report.js';

/** Hutter's model (Dohmatob et al. 2024): K contexts with Zipf(β) probabilities, training sizes T and training sources (clean, cut at rank k, mixed). */
export interface TailsConfig {
  /** K contexts */
  contexts: number;
  /** β of p_i ∝ i^−β */
  zipf: number;
  /** the training sizes T, one row each */
  sizes: readonly number[];
  sources: readonly TailSource[];
  /** chained generations g (./chain.ts, proofs/tails.md#H4): one curve per g, at the same sizes */
  chain?: readonly number[];
  trials: number;
  seed: number;
}

export type { TailsRow } from './hutter-chain.js';

/** Every (source, T) cell of a {@link runTails} run, with its configuration. */
export interface TailsReport {
  config: TailsConfig;
  seconds: number;
  /** one row per (source, T): Monte Carlo mean of the error given the training set, and E(T; q) */
  iterations: TailsRow[];
}

/** A source's label in tables and figures: 'clean', 'cut k=…', 'mix k=… π=…'. */
export const sourceLabel = (s: TailSource): string => (s.kind === 'clean' ? 'clean' : s.kind === 'cut' ? `cut k=${s.k}` : `mix k=${s.k} π=${s.share}`);

/** Run every (source, T) cell: `trials` training sets each, keyed by (seed, source, T, trial). */
export function runTails(config: TailsConfig): TailsReport {
  const started = performance.now();
  const real = zipf(config.contexts, config.zipf);
  const p = real.probabilities;
  const seen = new Uint8Array(config.contexts);
  const touched = new Uint32Array(Math.max(...config.sizes));
  const root = rootKey(config.seed);
  const rows: TailsRow[] = [];
  config.sources.forEach((source, sourceIndex) => {
    const q = Float64Array.from(trainingDistribution(Array.from(p), source, FLOAT));
    const cumulative = new Float64Array(q.length);
    q.reduce((sum, x, i) => (cumulative[i] = sum + x), 0);
    const total = cumulative[q.length - 1];
    config.sizes.forEach((T, sizeIndex) => {
      const moments = new Moments();
      const cellKey = foldIn(foldIn(root, sourceIndex), sizeIndex);
      for (let trial = 0; trial < config.trials; trial++) {
        const generator = new KeyedGenerator(foldIn(cellKey, trial));
        let seenMass = 0;
        let distinct = 0;
        for (let t = 0; t < T; t++) {
          const i = searchCumulative(cumulative, generator.uniform() * total);
          if (seen[i] === 0) {
            seen[i] = 1;
            touched[distinct++] = i;
            seenMass += p[i];
          }
        }
        for (let j = 0; j < distinct; j++) seen[touched[j]] = 0;
        moments.add(Math.max(0, 1 - seenMass));
      }
      const theory = hutterError(p, q, T);
      const { mean, stderr } = moments;
      rows.push({ iteration: rows.length + 1, samples: T, curve: sourceLabel(source), mean, stderr, ci95: [mean - Z95 * stderr, mean + Z95 * stderr], theory, z: (mean - theory) / stderr, zConditional: null });
    });
  });
  if (config.chain?.length) rows.push(...chainRows(p, config.chain, config.sizes, config.trials, root, rows.length + 1));
  return { config, seconds: (performance.now() - started) / 1000, iterations: rows };
}
