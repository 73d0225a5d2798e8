/**
 * Minibatches from a weighted pool (PoolPart weights are probabilities, src/models/model.ts):
 *
 * - every row carries the same weight (replace, accumulate, window:k — the plain union): epochs over the union,
 *   each a fresh keyed permutation, batches taken in order and running on into the next epoch, so that an
 *   'epochs' schedule sees every row exactly `epochs` times (up to the last batch's overhang);
 * - otherwise (augment:r, fresh:p, weights:<expr>): each row of a batch is drawn i.i.d., part s with probability
 *   weight_s and then a row of it uniformly, so the batches' expected composition is exactly the pool's weights.
 */
import { KeyedGenerator, type Key } from '../../../core/rng.js';

export interface WeightedPart {
  readonly size: number;
  readonly weight: number;
}

/** A stream of (part, row) pairs; next(batch) fills `parts` and `rows` with one batch. */
export class PoolBatches {
  private readonly generator: KeyedGenerator;
  private readonly offsets: number[]; // offsets[i]: rows before part i; the last entry is the union's size
  private readonly cumulative: number[] | undefined; // weighted draws only
  private permutation: Uint32Array | undefined; // union epochs only
  private cursor = 0;
  /** whether batches are epochs over the plain union (true) or i.i.d. weighted draws (false) */
  readonly union: boolean;

  constructor(
    private readonly parts: readonly WeightedPart[],
    key: Key,
  ) {
    if (parts.length === 0 || parts.some((p) => p.size < 1 || !(p.weight > 0))) {
      throw new Error(`a pool needs parts with rows and positive weights; got ${JSON.stringify(parts)}`);
    }
    this.generator = new KeyedGenerator(key);
    this.offsets = [0];
    for (const p of parts) this.offsets.push(this.offsets[this.offsets.length - 1] + p.size);
    const perRow = parts[0].weight / parts[0].size;
    this.union = parts.every((p) => Math.abs(p.weight / p.size - perRow) <= 1e-9 * perRow);
    if (!this.union) {
      let sum = 0;
      this.cumulative = parts.map((p) => (sum += p.weight));
    }
  }

  /** Rows in the union of the parts (what one epoch passes over). */
  get total(): number {
    return this.offsets[this.offsets.length - 1];
  }

  next(batch: number, parts: Int32Array, rows: Int32Array): void {
    for (let b = 0; b < batch; b++) {
      if (this.union) {
        if (this.permutation === undefined || this.cursor === this.permutation.length) this.shuffle();
        const index = (this.permutation as Uint32Array)[this.cursor++];
        const part = this.partOf(index);
        parts[b] = part;
        rows[b] = index - this.offsets[part];
      } else {
        const cumulative = this.cumulative as number[];
        const u = (1 - this.generator.uniform()) * cumulative[cumulative.length - 1]; // in [0, sum)
        let part = 0;
        while (part < cumulative.length - 1 && u >= cumulative[part]) part++;
        const size = this.parts[part].size;
        parts[b] = part;
        rows[b] = Math.floor(this.generator.uniform() * size) % size;
      }
    }
  }

  private shuffle(): void {
    const n = this.total;
    const p = (this.permutation ??= Uint32Array.from({ length: n }, (_, i) => i));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.generator.uniform() * (i + 1)) % (i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    this.cursor = 0;
  }

  /** The last part whose offset is ≤ index (binary search). */
  private partOf(index: number): number {
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
