/**
 * How a sweep's cells get run: the local pool (src/sweep/local.ts, no service) or a BullMQ queue on Redis
 * (src/sweep/queue.ts, workers on any number of machines). Either way a cell is `runCell` (src/sweep/cell.ts) on
 * some machine, writing its run directory, so results do not depend on the executor.
 */
import type { CellOutcome } from './cell.js';
import type { Sweep } from './spec.js';

export interface SweepEvents {
  /**
   * A queue sweep has enqueued its cells: `added` new jobs, `shared` already queued (by this sweep before, or
   * another); `workers` connected to the queue now (null if Redis would not say).
   */
  onQueued?(added: number, shared: number, workers: number | null): void;
  /** a queue sweep queued a cell again: its job vanished from the queue (a Redis restarted without appendonly) */
  onRequeued?(cellId: string): void;
  /** a cell finished (done, skipped because complete, or failed after its last attempt) */
  onCell?(outcome: CellOutcome, finished: number, total: number): void;
}

export interface SweepOutcome {
  /** cells run to completion now (not complete when the sweep started) */
  done: number;
  /** cells that were already complete when the sweep started */
  skipped: number;
  /** cells that failed (on a queue: dead letters, after every attempt) */
  failed: CellOutcome[];
  /** cells left unfinished (a queue sweep that does not wait) */
  queued: number;
}

export interface Executor {
  readonly name: string;
  run(sweep: Sweep, events: SweepEvents, signal?: AbortSignal): Promise<SweepOutcome>;
}
