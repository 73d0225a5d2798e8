/**
 * Randomness as a value (JAX-style keys, C7). A run has one integer seed; every stream is named by a path
 * below it, so no result depends on batch size, backend order or where a run was resumed:
 *
 *   const root = rootKey(7);
 *   const design = foldIn(foldIn(root, STREAM.design), trial);   // X and w* of one trial
 *   const noise = foldIn(foldIn(foldIn(root, STREAM.noise), generation), chunk);
 *   const gen = normalStream(design);                              // a keyed xoshiro128** stream
 *   gen();                                                         // one N(0, 1) draw
 *
 * The roles (STREAM.design, …) and their indices are one table, core/streams.ts.
 * Keys are uint32 values; foldIn mixes with a murmur3-style finaliser so neighbouring indices give unrelated keys.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A 32-bit key. Derive children with foldIn; never reuse a key for two purposes. */
export type Key = number;

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The root key of a run from its integer seed (a uint32); every stream of the run is a {@link foldIn} path below it. */
export function rootKey(seed: number): Key {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a uint32; got ${seed}`);
  return mix32(seed ^ 0x5bd1e995);
}

/** The child key of `key` at `index` (any non-negative integer below 2^32). */
export function foldIn(key: Key, index: number): Key {
  return mix32((Math.imul(key ^ 0x9e3779b9, 0x27d4eb2d) + mix32(index >>> 0)) >>> 0);
}

interface StdlibMt {
  normalized: () => number;
}
interface StdlibNormal {
  (mu: number, sigma: number): number;
}
// loaded on first use: the two packages cost ~0.5 s of start-up that most commands never need
let stdlib: { mt19937: { factory(opts: { seed: number }): StdlibMt }; normal: { factory(opts: { prng: () => number }): StdlibNormal } } | undefined;
const loadStdlib = () => (stdlib ??= { mt19937: require('@stdlib/random/base/mt19937'), normal: require('@stdlib/random/base/normal') });

/** KeyedGenerator's scratch for its four seed words. */
const seeding = new Uint32Array(4);

/**
 * xoshiro128** (Blackman & Vigna 2018) seeded from a key through splitmix32: a short keyed stream costs ~0.1 µs to
 * open, where a @stdlib/random MT19937 + ziggurat pair costs ~20 µs — too much once per trial for 10⁵ trials.
 * Long streams (fillNormal) use @stdlib/random; test/core/rng.test.ts checks both against N(0, 1) and each other.
 */
export class KeyedGenerator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = NaN;

  constructor(key: Key) {
    xoshiroState(key, seeding, 0); // one shared scratch: a generator is opened per trial, so no allocation here
    this.s0 = seeding[0];
    this.s1 = seeding[1];
    this.s2 = seeding[2];
    this.s3 = seeding[3];
  }

  /** The next 32 random bits of xoshiro128**. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on (0, 1] with 53 random bits (never 0, so log(u) is finite). */
  uniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low + 1) / 9007199254740992;
  }

  /** N(0, 1) by Box–Muller; the pair's second value is kept for the next call. */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const value = this.spare;
      this.spare = NaN;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1)·U^(1/shape). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** χ²(k) = 2·Gamma(k/2). */
  chisquare(k: number): number {
    return 2 * this.gamma(k / 2);
  }
}

/**
 * The four state words a KeyedGenerator for `key` starts from (splitmix32 of the key), into out[at…at + 3]: for
 * kernels that run the same stream outside JavaScript (the subsample's wasm sampler).
 */
export function xoshiroState(key: Key, out: Uint32Array, at: number): void {
  let x = key >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    out[at + i] = (z ^ (z >>> 15)) >>> 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Floyd's algorithm: `count` distinct integers of [0, range) in O(count) expected time, in draw order. The sampler
 * keeps a stamp per integer of [0, range) instead of a Set, and reuses its buffers: the accumulate-subsample
 * Monte Carlo draws T of up to n·T rows per trial and step, and a Set's hashing and iteration were most of that loop.
 */
export class DistinctSampler {
  private stamps = new Uint32Array(0);
  private epoch = 0;
  private picks = new Int32Array(0);

  /** The draws, a view valid until the next call. */
  draw(range: number, count: number, generator: KeyedGenerator): Int32Array {
    if (this.stamps.length < range) this.stamps = new Uint32Array(range);
    if (this.picks.length < count) this.picks = new Int32Array(count);
    if (++this.epoch === 2 ** 32) {
      this.stamps.fill(0);
      this.epoch = 1;
    }
    const { stamps, picks, epoch } = this;
    for (let j = range - count, i = 0; j < range; j++, i++) {
      const r = Math.floor(generator.uniform() * (j + 1)) % (j + 1); // uniform() is in (0, 1]: fold 1 onto 0
      const pick = stamps[r] === epoch ? j : r;
      stamps[pick] = epoch;
      picks[i] = pick;
    }
    return picks.subarray(0, count);
  }
}

/** `count` distinct integers of [0, range) in draw order (DistinctSampler, one-off). */
export function sampleDistinct(range: number, count: number, generator: KeyedGenerator): Int32Array {
  return new DistinctSampler().draw(range, count, generator);
}

/** A standard-normal generator fully determined by `key` (a short keyed stream). */
export function normalStream(key: Key): () => number {
  const generator = new KeyedGenerator(key);
  return () => generator.normal();
}

/** Fill `out` with N(0, 1) draws from `key`'s long stream (@stdlib/random: MT19937 and its normal sampler). */
export function fillNormal(out: Float32Array | Float64Array, key: Key): void {
  const { mt19937, normal: normalFactory } = loadStdlib();
  const normal = normalFactory.factory({ prng: mt19937.factory({ seed: key === 0 ? 1 : key }).normalized });
  const next = () => normal(0, 1);
  for (let i = 0; i < out.length; i++) out[i] = next();
}
