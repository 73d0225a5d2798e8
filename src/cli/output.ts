/** Printing results: tables, progress. Run directories are src/core/run-store.ts; environment records src/core/environment.ts. */
import { envMilliseconds } from '../core/environment.js';

/** Right-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function fmt(x: number | null, digits = 5): string {
  if (x === null) return '—';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

export type ProgressReporter = ((done: number, total: number) => void) & { end(): void };

/**
 * Progress on stderr: a live line (percent, rate, time left) when stderr is a terminal; when it is not (a log
 * file, a pipe), one quiet line every 10 s (COLLAPSE_PROGRESS_INTERVAL_MS); nothing with --quiet or --json.
 * The rate counts only work done by this process, so a resumed run does not claim the resumed part.
 */
export function progressReporter(quiet: boolean, label: string): ProgressReporter {
  const tty = process.stderr.isTTY === true;
  const enabled = !quiet;
  const interval = tty ? 200 : envMilliseconds('COLLAPSE_PROGRESS_INTERVAL_MS', 10_000);
  let first: { at: number; done: number } | undefined;
  let last = performance.now();
  let drawn = false;
  const report = (done: number, total: number) => {
    if (!enabled) return;
    const now = performance.now();
    if (!first) {
      first = { at: now, done };
      return;
    }
    if (now - last < interval || (tty && done >= total)) return;
    last = now;
    const rate = (done - first.done) / ((now - first.at) / 1000);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const text = `${label}: ${Math.floor((100 * done) / total)}% ${Math.round(rate)} trial-it/s ${eta.toFixed(0)} s left`;
    if (tty) {
      process.stderr.write(`\r${text}   `);
      drawn = true;
    } else {
      process.stderr.write(`${text}\n`);
    }
  };
  return Object.assign(report, {
    end() {
      if (drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
    },
  });
}
