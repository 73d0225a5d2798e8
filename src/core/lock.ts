/**
 * One run per directory: `DIR/.lock` holds the owner's pid and host, created with O_EXCL so exactly one of two
 * racing runs gets it. A lock whose pid is dead on this host is stale (a run killed with SIGKILL) and is taken over.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  command?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(path: string): LockInfo | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return Number.isSafeInteger(info.pid) && info.pid > 0 && typeof info.host === 'string' ? info : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** The holder of DIR's lock if a live run holds it, else null (no lock, or a stale one). */
export function lockHolder(dir: string): LockInfo | 'unknown' | null {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    const info = readLock(path);
    if (info === null) return null;
    if (info === 'unreadable') {
      // a racing run between creating and filling the file: look again briefly before calling it held
      if (attempt < 20) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      return 'unknown';
    }
    if (info.host !== hostname()) return info; // cannot tell whether a pid on another host lives
    if (info.pid === process.pid || alive(info.pid)) return info;
    return null;
  }
}

function busy(dir: string, holder: LockInfo | 'unknown'): UsageError {
  const who = holder === 'unknown' ? 'an unknown process' : `pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, since ${holder.since}`;
  return new UsageError(`${dir} is in use by another run (${who}); wait for it to finish, or remove ${join(dir, LOCK_FILE)} if no run is using it`);
}

/** Throw the one-line "in use" error if a live run holds DIR's lock. */
export function assertUnlocked(dir: string): void {
  const holder = lockHolder(dir);
  if (holder) throw busy(dir, holder);
}

export interface Lock {
  release(): void;
}

/** Take DIR's lock (DIR must exist); a live holder is a UsageError, a stale lock is replaced. */
export function acquireLock(dir: string, command: string): Lock {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(dir);
      if (holder) throw busy(dir, holder);
      rmSync(path, { force: true }); // stale: its run is gone
      continue;
    }
    try {
      const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
      writeSync(fd, JSON.stringify(info) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        const info = readLock(path);
        if (info !== null && info !== 'unreadable' && info.pid === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw busy(dir, 'unknown');
}
