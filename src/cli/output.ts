/** Writing results: atomic run directories, tables, progress. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/** Refuse early (before any work) an --out directory that exists and is not empty, unless --force. */
export function checkOutDir(dir: string, force: boolean): void {
  const path = resolve(dir);
  if (existsSync(path) && !force && readdirSync(path).length > 0) {
    throw new UsageError(`--out ${dir} exists and is not empty; pass --force to replace it`);
  }
}

/**
 * Write every file into a temporary sibling directory, then rename it into place: a reader (or a crash) never sees
 * a half-written run directory.
 */
export function writeRunDir(dir: string, files: Record<string, string>, force: boolean): void {
  const path = resolve(dir);
  checkOutDir(dir, force);
  mkdirSync(dirname(path), { recursive: true });
  const staging = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(staging, name), text);
  if (existsSync(path)) {
    const old = join(dirname(path), `.${basename(path)}.old-${process.pid}`);
    renameSync(path, old);
    renameSync(staging, path);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(staging, path);
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | null {
  try {
    const root = dirname(new URL('../../package.json', import.meta.url).pathname);
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/** What a reader needs to reproduce or compare a run. */
export function environment(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    package: 'collapse-lab',
    version: packageVersion(),
    gitCommit: gitCommit(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    ...extra,
  };
}

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

/** A progress line on stderr when it is a terminal; silent otherwise or with --quiet. */
export function progressReporter(quiet: boolean, label: string): ((done: number, total: number) => void) & { end(): void } {
  const enabled = !quiet && process.stderr.isTTY === true;
  const started = performance.now();
  let last = 0;
  const report = (done: number, total: number) => {
    if (!enabled) return;
    const now = performance.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const rate = done / ((now - started) / 1000);
    const eta = rate > 0 ? (total - done) / rate : 0;
    process.stderr.write(`\r${label}: ${((100 * done) / total).toFixed(1)}%  ${Math.round(rate)} trial-it/s  ${eta.toFixed(0)} s left   `);
  };
  return Object.assign(report, {
    end() {
      if (enabled) process.stderr.write('\r\x1b[K');
    },
  });
}
