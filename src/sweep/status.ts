/** `collapse sweep status`: how many cells are done, running, failed, pending, from the cells' directories. */
import { inspectCell, type CellState } from './cell.js';
import type { Sweep } from './spec.js';

export interface SweepStatus {
  total: number;
  done: number;
  running: number;
  failed: number;
  /** not started, or interrupted (resumable) */
  pending: number;
  cells: { id: string; state: CellState; detail?: string }[];
}

export function sweepStatus(sweep: Sweep): SweepStatus {
  const cells = sweep.cells.map((cell) => {
    const { state, detail } = inspectCell(cell);
    return { id: cell.id, state, ...(detail === undefined ? {} : { detail }) };
  });
  const count = (...states: CellState[]) => cells.filter((c) => states.includes(c.state)).length;
  return { total: cells.length, done: count('done'), running: count('running'), failed: count('failed'), pending: count('pending', 'interrupted'), cells };
}

/** `[######------] 12/40 done · 2 running · 1 failed · 25 pending` */
export function progressBar(status: SweepStatus, width = 30): string {
  const filled = status.total === 0 ? width : Math.round((status.done / status.total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${status.done}/${status.total} done · ${status.running} running · ${status.failed} failed · ${status.pending} pending`;
}
