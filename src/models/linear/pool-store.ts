/**
 * The pool side of the Monte Carlo, shared by both methods: the strategy's data plan and weights as float64, and a
 * store of per-data-set vectors (layout [j·B + trial]) that forms Σ_s a_{n,s} v_s.
 */
import { uniformRange, type PoolStrategy } from '../../strategies/index.js';
import { numericPlan, type NumericPlan } from '../../strategies/plan.js';

type Range = { first: number; last: number } | null;

export interface PoolPlan extends NumericPlan {
  /** ranges[n − 1]: the contiguous data sets pool n weights equally, or null */
  readonly ranges: readonly Range[];
}

/** The strategy's shared plan, plus the contiguous equal-weight ranges the prefix-sum store pools in O(d). */
export function poolPlan(strategy: PoolStrategy, iterations: number): PoolPlan {
  const plan = numericPlan(strategy, iterations);
  let ranges = rangesOf.get(plan);
  if (!ranges) rangesOf.set(plan, (ranges = plan.weights.map(uniformRange)));
  return { ...plan, ranges };
}

const rangesOf = new WeakMap<NumericPlan, Range[]>();

/** Models kept alive at once besides w* (each until the last step that labels data with it), for sizing chunks. */
export function peakModels(plan: PoolPlan): number {
  let peak = 1;
  for (let n = 1; n <= plan.weights.length; n++) {
    let live = 1;
    for (let k = 1; k <= n; k++) if (plan.lastModelUse[k] > n) live++;
    peak = Math.max(peak, live);
  }
  return peak;
}

/** Vectors of d per trial alive at once: pool prefixes plus the models later steps still sample from. */
export function liveGenerations(plan: PoolPlan): number {
  return PoolStore.peakLive(plan) + peakModels(plan);
}

/**
 * Per-data-set vectors v_s kept as prefix sums P_s = Σ_{i≤s} v_i. Uniform contiguous pools (replace, accumulate,
 * windows) cost O(d) per trial instead of O(n·d). The weights of every step are known up front, so each prefix is
 * dropped (and its buffer reused) after the last step that reads it: replace and accumulate keep two vectors per
 * trial, not n.
 */
export class PoolStore {
  private readonly prefix = new Map<number, Float64Array>();
  private readonly free: Float64Array[] = [];
  private readonly lastUse: number[];
  private sets = 0;

  /**
   * `allocate` gives the store its vectors (default: fresh ones); the reduced method passes its chunk slot's reused
   * buffers, since fresh memory costs a page fault per 4 KiB on first touch (core/scratch.ts). P_0 is zeroed here.
   */
  constructor(
    private readonly size: number,
    private readonly plan: PoolPlan,
    private readonly allocate: () => Float64Array = () => new Float64Array(size),
  ) {
    this.prefix.set(0, this.allocate().fill(0));
    this.lastUse = PoolStore.lastUses(plan);
  }

  /** lastUse[s] = the last step n whose pool reads prefix P_s. */
  static lastUses(plan: PoolPlan): number[] {
    const lastUse = new Array<number>(plan.sources.length + 1).fill(0);
    plan.weights.forEach((a, index) => {
      const range = plan.ranges[index];
      const reads = range ? [range.first - 1, range.last] : a.flatMap((w, s) => (w === 0 ? [] : [s, s + 1]));
      for (const s of reads) lastUse[s] = Math.max(lastUse[s], index + 1);
    });
    return lastUse;
  }

  /** Most prefix vectors alive at once, for sizing chunks. */
  static peakLive(plan: PoolPlan): number {
    const lastUse = PoolStore.lastUses(plan);
    let peak = 1;
    let created = 0;
    plan.added.forEach((sets, index) => {
      created += sets.length;
      let live = 2; // the newest prefix, always needed to extend the sums
      for (let s = 0; s < created; s++) if (lastUse[s] >= index + 1) live++;
      peak = Math.max(peak, live);
    });
    return peak;
  }

  push(v: ArrayLike<number>): void {
    this.pushWith((next, last) => {
      for (let i = 0; i < this.size; i++) next[i] = last[i] + v[i];
    });
  }

  /**
   * push(v) for a v never stored: `write(next, last)` sets next[i] = last[i] + v_i for every i (reduced.ts computes v
   * in the same loop, one pass over the chunk's vectors instead of two).
   */
  pushWith(write: (next: Float64Array, last: Float64Array) => void): void {
    const last = this.prefix.get(this.sets) as Float64Array;
    const next = this.free.pop() ?? this.allocate();
    write(next, last);
    this.sets += 1;
    this.prefix.set(this.sets, next);
  }

  /**
   * Step n's pool when it is the contiguous equal-weight range that ends at the prefix the next push creates (replace,
   * accumulate, window:k, each on its newest data set): the range's low prefix, null when that is P_0 (all zeros, and
   * (P − 0)·a is P·a exactly), and the weight. The caller then forms (P_new − lo)·scale in the pass that pushes
   * (pushWith), the same float64 operations as pooled(n, out) after the push, and calls release(n). Otherwise null.
   */
  rangeEndingAtNext(n: number): { lo: Float64Array | null; scale: number } | null {
    const range = this.plan.ranges[n - 1];
    if (!range || range.last !== this.sets + 1) return null;
    return { lo: range.first === 1 ? null : this.get(range.first - 1), scale: this.plan.weights[n - 1][range.first - 1] };
  }

  /** Σ_s a_{n,s} v_s into `out`; then releases the prefixes no later step reads. */
  pooled(n: number, out: Float64Array): void {
    const weights = this.plan.weights[n - 1];
    const range = this.plan.ranges[n - 1];
    if (range) {
      const hi = this.get(range.last);
      const lo = this.get(range.first - 1);
      const scale = weights[range.first - 1];
      for (let i = 0; i < this.size; i++) out[i] = (hi[i] - lo[i]) * scale;
    } else {
      out.fill(0);
      for (let s = 1; s <= weights.length; s++) {
        const a = weights[s - 1];
        if (a === 0) continue;
        const hi = this.get(s);
        const lo = this.get(s - 1);
        for (let i = 0; i < this.size; i++) out[i] += a * (hi[i] - lo[i]);
      }
    }
    this.release(n);
  }

  /** Release the prefixes no step after n reads, for reuse by later pushes (pooled(n, out) calls it itself). */
  release(n: number): void {
    for (const [s, buffer] of this.prefix) {
      // deleting the entry being visited is safe in a Map iteration
      if (s < this.sets && this.lastUse[s] <= n) {
        this.prefix.delete(s);
        this.free.push(buffer);
      }
    }
  }

  private get(s: number): Float64Array {
    const found = this.prefix.get(s);
    if (!found) throw new Error(`PoolStore: prefix ${s} was released before step ${this.sets}`);
    return found;
  }
}
