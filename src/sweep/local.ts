/**
 * The local executor: a pool of N child processes (default one per core), no services. A cell that fails is
 * reported and left resumable; running the sweep again resumes or reruns it, and skips every complete cell.
 */
import { availableParallelism } from 'node:os';
import { runCell } from './cell.js';
import type { Executor, SweepEvents, SweepOutcome } from './executor.js';
import type { Sweep } from './spec.js';

export class LocalExecutor implements Executor {
  readonly name = 'local';

  constructor(readonly workers: number = availableParallelism()) {}

  async run(sweep: Sweep, events: SweepEvents, signal?: AbortSignal): Promise<SweepOutcome> {
    const outcome: SweepOutcome = { done: 0, skipped: 0, failed: [], queued: 0 };
    let next = 0;
    let finished = 0;
    const lane = async () => {
      while (next < sweep.cells.length && !signal?.aborted) {
        const cell = sweep.cells[next++];
        const result = await runCell(cell, { timeoutMs: sweep.timeoutSeconds * 1000, signal });
        if (result.status === 'done') outcome.done++;
        else if (result.status === 'skipped') outcome.skipped++;
        else outcome.failed.push(result);
        events.onCell?.(result, ++finished, sweep.cells.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.workers, sweep.cells.length) }, lane));
    return outcome;
  }
}
