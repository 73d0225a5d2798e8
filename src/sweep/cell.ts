/**
 * One cell = one run directory written by its command as a child process (`collapse <command> … --out DIR`), so a
 * killed worker leaves a directory that `--resume DIR` continues. Both executors (local pool, queue worker) run
 * cells through `runCell`, which decides from the directory alone: complete with the cell's configuration → skip;
 * interrupted (or killed) and resumable → `--resume`; anything else → a fresh run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDigest, MANIFEST_FILE, readManifest, type Manifest } from '../core/run-store.js';
import { isLockEntry, LOCK_FILE, lockHolder, removeLockIf } from '../core/lock.js';
import { envMilliseconds } from '../core/environment.js';
import { SWEEP_COMMANDS } from './commands.js';
import { cellFlags, type Cell } from './spec.js';

// src/sweep and dist/sweep are both two levels below the package root; the child always runs the built CLI
const ROOT = new URL('../../', import.meta.url);
export const CLI_BIN = fileURLToPath(new URL('bin/collapse.js', ROOT));
const ORPHAN_GUARD = new URL('dist/sweep/orphan-guard.js', ROOT).href;

export type CellState = 'done' | 'running' | 'interrupted' | 'failed' | 'pending';

export interface CellInspection {
  state: CellState;
  /** one line: why failed, or who runs it */
  detail?: string;
  manifest?: Manifest;
}

/** What the cell's directory says, read-only. */
export function inspectCell(cell: Cell): CellInspection {
  if (!existsSync(join(cell.dir, MANIFEST_FILE))) {
    const holder = existsSync(cell.dir) ? lockHolder(cell.dir) : null;
    return holder ? { state: 'running', detail: 'starting' } : { state: 'pending' };
  }
  let manifest: Manifest;
  try {
    manifest = readManifest(cell.dir, cell.command);
  } catch (error) {
    return { state: 'failed', detail: (error as Error).message };
  }
  if (configDigest(manifest.config) !== configDigest({ ...cell.config })) {
    return { state: 'failed', detail: `${cell.dir} holds another configuration (its manifest does not match cell ${cell.id})`, manifest };
  }
  if (manifest.status === 'complete') return { state: 'done', manifest };
  if (manifest.status === 'running') {
    const holder = lockHolder(cell.dir);
    if (holder) return { state: 'running', detail: holder === 'unknown' ? 'lock held' : `pid ${holder.pid} on ${holder.host}`, manifest };
    return { state: 'interrupted', detail: 'killed while running (stale lock)', manifest };
  }
  return { state: manifest.status, detail: manifest.error, manifest };
}

export interface CellOutcome {
  id: string;
  /** skipped: the directory already held the complete cell */
  status: 'done' | 'skipped' | 'failed';
  /** how the cell was started: fresh, resume or skip */
  how: 'fresh' | 'resume' | 'skip';
  error?: string;
  seconds: number;
}

export interface RunCellOptions {
  /** one attempt may run this long; then SIGTERM (the command checkpoints), SIGKILL 10 s later */
  timeoutMs?: number;
  /** aborting stops the child the same way (Ctrl-C of a sweep, a worker shutting down) */
  signal?: AbortSignal;
  env?: Record<string, string>;
  /**
   * The queue saw this cell's previous worker die (its job stalled): a lock that a run on another host left in the
   * cell's directory is that dead run's, and is removed. (A lock from this host is judged by its pid, always.)
   */
  takeOverForeignLocks?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Remove every run lock under DIR (its own, and its parts' such as neural's runs/<part>/) held from another host. */
export function breakForeignLocks(dir: string, depth = 3): string[] {
  const broken: string[] = [];
  if (depth < 0 || !existsSync(dir)) return broken;
  if (removeLockIf(dir, (holder) => holder.host !== hostname())) broken.push(join(dir, LOCK_FILE));
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) broken.push(...breakForeignLocks(path, depth - 1));
  }
  return broken;
}

/** A live run may still hold the directory (a killed worker's child finishing its checkpoint): wait for it. */
async function waitForLock(cell: Cell, options: RunCellOptions): Promise<string | null> {
  const { signal } = options;
  const until = Date.now() + envMilliseconds('COLLAPSE_CELL_LOCK_WAIT_MS', 30_000);
  if (options.takeOverForeignLocks) breakForeignLocks(cell.dir);
  for (;;) {
    const holder = existsSync(cell.dir) ? lockHolder(cell.dir) : null;
    if (!holder) return null;
    if (Date.now() > until || signal?.aborted) {
      return `${cell.dir} is in use by another run (${holder === 'unknown' ? 'lock unreadable' : `pid ${holder.pid} on ${holder.host}`})`;
    }
    await sleep(100);
  }
}

/**
 * The command line for the cell as its directory stands now (args empty if it is complete), or why it cannot run:
 * a directory holding files but no run manifest is not a cell's, and is never cleared with --force.
 */
export function cellArguments(cell: Cell): { how: CellOutcome['how']; args: string[]; refused?: string } {
  const seen = inspectCell(cell);
  if (seen.state === 'done') return { how: 'skip', args: [] };
  const resumable = SWEEP_COMMANDS.find((c) => c.name === cell.command)?.resumable ?? false;
  const matching = seen.manifest !== undefined && configDigest(seen.manifest.config) === configDigest({ ...cell.config });
  if (resumable && matching && seen.state !== 'running') {
    return { how: 'resume', args: [cell.command, '--resume', cell.dir, '--quiet', '--json'] };
  }
  const occupied = existsSync(cell.dir) && readdirSync(cell.dir).some((name) => !isLockEntry(name));
  if (occupied && !existsSync(join(cell.dir, MANIFEST_FILE))) {
    return { how: 'fresh', args: [], refused: `cell ${cell.id}: ${cell.dir} holds files but no run manifest; it is not replaced (move them away)` };
  }
  return { how: 'fresh', args: [cell.command, ...cellFlags(cell.options), '--out', cell.dir, '--quiet', '--json', ...(occupied ? ['--force'] : [])] };
}

/** Run (or resume, or skip) one cell in a child process; never throws for the cell's own failure. */
export async function runCell(cell: Cell, options: RunCellOptions = {}): Promise<CellOutcome> {
  const started = performance.now();
  const outcome = (status: CellOutcome['status'], how: CellOutcome['how'], error?: string): CellOutcome => ({
    id: cell.id, status, how, seconds: (performance.now() - started) / 1000, ...(error === undefined ? {} : { error }),
  });
  const busy = await waitForLock(cell, options);
  if (busy) return outcome('failed', 'fresh', busy);
  const { how, args, refused } = cellArguments(cell);
  if (refused !== undefined) return outcome('failed', how, refused);
  if (how === 'skip') return outcome('skipped', how);
  const child = spawn(process.execPath, ['--import', ORPHAN_GUARD, CLI_BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  let stopReason: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (reason: string) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    child.kill('SIGTERM'); // the command flushes its checkpoint and marks the run interrupted
    killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  };
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop(`timed out after ${Math.round(options.timeoutMs! / 1000)} s`), options.timeoutMs);
  const onAbort = () => stop('stopped');
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (c, s) => resolve(c ?? (s ? -1 : null)));
  });
  clearTimeout(timer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener('abort', onAbort);
  if (stopReason !== undefined) return outcome('failed', how, `cell ${cell.id} ${stopReason}`);
  const after = inspectCell(cell);
  if (code === 0 && after.state === 'done') return outcome('done', how);
  const line = stderr.trim().split('\n').pop()?.replace(/^collapse: /, '') || `exit ${code}`;
  return outcome('failed', how, `cell ${cell.id}: ${line}`);
}
