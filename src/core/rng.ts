/**
 * Randomness as a value (JAX-style keys, C7). A run has one integer seed; every stream is named by a path
 * below it, so no result depends on batch size, backend order or where a run was resumed:
 *
 *   const root = rootKey(7);
 *   const design = foldIn(foldIn(root, STREAM.design), trial);   // X and w* of one trial
 *   const noise = foldIn(foldIn(foldIn(root, STREAM.noise), generation), chunk);
 *   const gen = normalStream(design);                              // seeded @stdlib/random generator
 *   gen();                                                         // one N(0, 1) draw
 *
 * Keys are uint32 values; foldIn mixes with a murmur3-style finaliser so neighbouring indices give unrelated keys.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A 32-bit key. Derive children with foldIn; never reuse a key for two purposes. */
export type Key = number;

/** Named roles of the streams, so that two roles never share a key path. */
export const STREAM = { design: 1, noise: 2, wishart: 3, subsample: 4 } as const;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function rootKey(seed: number): Key {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a uint32; got ${seed}`);
  return mix32(seed ^ 0x5bd1e995);
}

/** The child key of `key` at `index` (any non-negative integer below 2^32). */
export function foldIn(key: Key, index: number): Key {
  return mix32((Math.imul(key ^ 0x9e3779b9, 0x27d4eb2d) + mix32(index >>> 0)) >>> 0);
}

interface StdlibNormal {
  (mu: number, sigma: number): number;
}
interface StdlibChisquare {
  (k: number): number;
}
interface StdlibMt {
  normalized: () => number;
}
const mt19937 = require('@stdlib/random/base/mt19937') as { factory(opts: { seed: number }): StdlibMt };
const normalFactory = require('@stdlib/random/base/normal') as { factory(opts: { prng: () => number }): StdlibNormal };
const chisquareFactory = require('@stdlib/random/base/chisquare') as { factory(opts: { prng: () => number }): StdlibChisquare };

/** A standard-normal generator (stdlib's improved ziggurat over MT19937) fully determined by `key`. */
export function normalStream(key: Key): () => number {
  const prng = mt19937.factory({ seed: key === 0 ? 1 : key }).normalized;
  const normal = normalFactory.factory({ prng });
  return () => normal(0, 1);
}

/** A chi-square(k) generator fully determined by `key`. */
export function chisquareStream(key: Key): (k: number) => number {
  const prng = mt19937.factory({ seed: key === 0 ? 1 : key }).normalized;
  return chisquareFactory.factory({ prng });
}

/** Fill `out` with N(0, 1) draws from `key`'s stream. */
export function fillNormal(out: Float32Array | Float64Array, key: Key): void {
  const next = normalStream(key);
  for (let i = 0; i < out.length; i++) out[i] = next();
}
