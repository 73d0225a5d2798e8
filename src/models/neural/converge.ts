/**
 * The `converge` schedule: train until a validation loss stops improving. Each fit holds out a validation split
 * from its own pool (never the test set: the test set is held-out real data that no fit may see), checks the
 * validation loss every `every` optimiser steps, stops after `patience` checks without a new best or at the step
 * cap, and keeps the weights of the best check. The step it stopped at and the best step are recorded per fit
 * (metrics `steps` and `bestStep`).
 *
 * The split is by rows of each pool part, so it has the pool's composition (replace: model n − 1's samples;
 * accumulate: every set so far) and the validation loss is the pool's weighted loss, what the fit minimises.
 */
import { foldIn, KeyedGenerator, sampleDistinct, type Key } from '../../core/rng.js';
import type { Pool } from '../model.js';
import type { Schedule } from './family.js';
import type { Tf, Weights } from './tf.js';

/** Share of each pool part's rows held out for validation (at least one row of a part with two or more). */
export const VALIDATION_FRACTION = 0.1;
/** Validation rows per part at most (the check's cost stays small next to the steps between checks). */
export const VALIDATION_MAX_ROWS = 500;
/** Checks without a new best before stopping, when the schedule does not say. */
export const DEFAULT_PATIENCE = 4;

/** Steps between two validation checks: 40 checks over the cap, at least every 10 steps. */
export const checkEvery = (cap: number) => Math.max(10, Math.ceil(cap / 40));

/** A pool split into the rows a fit trains on and the rows it validates on (same parts, same weights). */
export function holdOut<D>(pool: Pool<D>, key: Key, size: (d: D) => number, take: (d: D, rows: readonly number[]) => D): { train: Pool<D>; validation: Pool<D> } {
  const train: Pool<D>[number][] = [];
  const validation: Pool<D>[number][] = [];
  pool.forEach((part, i) => {
    const n = size(part.data);
    const held = n < 2 ? 0 : Math.min(VALIDATION_MAX_ROWS, Math.max(1, Math.round(VALIDATION_FRACTION * n)));
    const picked = new Set(sampleDistinct(n, held, new KeyedGenerator(foldIn(key, i))));
    const rest = Array.from({ length: n }, (_, r) => r).filter((r) => !picked.has(r));
    train.push({ ...part, data: held === 0 ? part.data : take(part.data, rest) });
    if (held > 0) validation.push({ ...part, data: take(part.data, [...picked].sort((a, b) => a - b)) });
  });
  return { train, validation };
}

/** The pool's weighted validation loss from a per-part loss (weights renormalised over the parts held out). */
export async function weightedLoss<D>(validation: Pool<D>, loss: (data: D) => Promise<number>): Promise<number> {
  const mass = validation.reduce((s, p) => s + p.weight, 0);
  let sum = 0;
  for (const p of validation) sum += p.weight * (await loss(p.data)); // in order: the same float sum as before
  return sum / mass;
}

/** What a converge fit did. */
export interface StopRecord {
  /** optimiser steps taken */
  steps: number;
  /** the step whose weights were kept */
  bestStep: number;
  bestLoss: number;
}

/**
 * Early stopping over a training loop: `after(step)` is called after each optimiser step (1-based) and says whether
 * to stop; `finish()` puts the best check's weights back and says what happened.
 */
export class EarlyStopping {
  private best = Infinity;
  private bestStep = 0;
  private stale = 0;
  private saved: Record<string, ReturnType<Tf['clone']>> | undefined;
  private last = 0;
  readonly every: number;

  constructor(
    private readonly tf: Tf,
    private readonly weights: Weights,
    private readonly schedule: Schedule,
    private readonly validationLoss: () => Promise<number>,
  ) {
    this.every = checkEvery(schedule.amount);
  }

  async after(step: number): Promise<boolean> {
    this.last = step;
    if (step % this.every !== 0 && step !== this.schedule.amount) return false;
    const loss = await this.validationLoss();
    if (loss < this.best) {
      this.best = loss;
      this.bestStep = step;
      this.stale = 0;
      if (this.saved) this.tf.dispose(Object.values(this.saved));
      this.saved = Object.fromEntries(Object.entries(this.weights).map(([name, v]) => [name, this.tf.clone(v)]));
    } else {
      this.stale++;
    }
    return this.stale >= (this.schedule.patience ?? DEFAULT_PATIENCE);
  }

  finish(): StopRecord {
    if (this.saved) {
      for (const [name, value] of Object.entries(this.saved)) this.weights[name].assign(value);
      this.tf.dispose(Object.values(this.saved));
      this.saved = undefined;
    }
    return { steps: this.last, bestStep: this.bestStep, bestLoss: this.best };
  }
}

/** Per-model records of converge fits, for evaluate to report (a fitted model is a plain object). */
const records = new WeakMap<object, StopRecord>();
export const recordStop = (model: object, record: StopRecord) => records.set(model, record);
/** `steps` and `bestStep` (and the best validation loss) of a converge fit; nothing for other schedules. */
export function stopMetrics(model: object): Record<string, number> {
  const r = records.get(model);
  return r ? { steps: r.steps, bestStep: r.bestStep, validationLoss: r.bestLoss } : {};
}
