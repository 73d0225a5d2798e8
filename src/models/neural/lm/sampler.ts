/**
 * Sampling from the LM: many sequences in parallel through one KvDecoder, next tokens drawn on the host from the
 * logits (float64 softmax at temperature τ), each sequence with its own keyed stream foldIn(key, i). Host sampling
 * keeps the draws exact and reproducible (tf.multinomial's seeding is per call, not per sequence), and sequence i's
 * randomness does not depend on how the n sequences are batched.
 */
import { foldIn, KeyedGenerator, type Key } from '../../../core/rng.js';
import type { Tf, Weights } from '../tf.js';
import { SEPARATOR } from './corpus.js';
import { KvDecoder, type TransformerConfig } from './transformer.js';

/**
 * The next token from one row of logits: argmax when τ = 0 (ties to the lowest id), else a draw from
 * softmax(logits/τ) by inversion with one uniform.
 */
export function drawToken(logits: Float32Array, offset: number, vocab: number, temperature: number, generator: KeyedGenerator, scratch: Float64Array): number {
  let best = 0;
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) {
    if (logits[offset + j] > max) {
      max = logits[offset + j];
      best = j;
    }
  }
  if (temperature === 0) return best;
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += scratch[j] = Math.exp((logits[offset + j] - max) / temperature);
  const u = generator.uniform() * sum; // in (0, sum]
  let cumulative = 0;
  for (let j = 0; j < vocab; j++) {
    cumulative += scratch[j];
    if (u <= cumulative) return j;
  }
  return best; // only reachable through rounding in the last bits of the sum
}

/**
 * `n` sequences of T + 1 tokens (row-major): a SEPARATOR, then T tokens generated at temperature τ, `batch`
 * sequences at a time.
 */
export async function sampleSequences(
  tf: Tf,
  weights: Weights,
  config: TransformerConfig,
  n: number,
  key: Key,
  options: { temperature: number; batch: number },
): Promise<Uint8Array> {
  const T = config.context;
  const V = config.vocab;
  const out = new Uint8Array(n * (T + 1)); // zero-filled: column 0 is SEPARATOR
  const scratch = new Float64Array(V);
  for (let start = 0; start < n; start += options.batch) {
    const B = Math.min(options.batch, n - start);
    const generators = Array.from({ length: B }, (_, i) => new KeyedGenerator(foldIn(key, start + i)));
    const decoder = new KvDecoder(tf, weights, config, B);
    try {
      const current = new Int32Array(B).fill(SEPARATOR);
      for (let t = 0; t < T; t++) {
        const logits = decoder.step(current);
        const values = (await logits.data()) as Float32Array;
        logits.dispose();
        for (let i = 0; i < B; i++) {
          current[i] = drawToken(values, i * V, V, options.temperature, generators[i], scratch);
          out[(start + i) * (T + 1) + t + 1] = current[i];
        }
      }
    } finally {
      decoder.dispose();
    }
  }
  return out;
}
