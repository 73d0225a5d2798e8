/**
 * One run per directory: `DIR/.lock` holds the owner's pid and host, created with O_EXCL so exactly one of two
 * racing runs gets it. A lock whose pid is dead on this host is stale (a run killed with SIGKILL) and is taken over.
 *
 * Taking over is the racy part: two runs that both judged the same lock stale must not both delete it (the second
 * delete would remove the first one's fresh lock, and both would run). So a stale lock is removed only by the holder
 * of a short-lived guard, `DIR/.lock.takeover` (O_EXCL too), who first checks again, under the guard, that `.lock`
 * is still the very file (same inode) it judged stale; the guard is held for the few system calls of one takeover.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export const LOCK_FILE = '.lock';
const GUARD_FILE = `${LOCK_FILE}.takeover`;
/** A guard is held for microseconds; one this old was left by a process that died inside a takeover. */
const GUARD_STALE_MS = 10_000;
/** How long acquireLock keeps trying while other processes take the same stale lock over. */
const ACQUIRE_PATIENCE_MS = 5_000;

/** The lock and its transient companions: not part of a run directory's contents. */
export const isLockEntry = (name: string) => name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);

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

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function parseLock(text: string): LockInfo | 'unreadable' {
  try {
    const info = JSON.parse(text) as LockInfo;
    return Number.isSafeInteger(info.pid) && info.pid > 0 && typeof info.host === 'string' ? info : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function readLock(path: string): LockInfo | null | 'unreadable' {
  try {
    return parseLock(readFileSync(path, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
}

/** The inode of PATH, or null if it is gone. */
function inode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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
        sleepSync(10);
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

/** Create PATH with O_EXCL holding INFO; false if it exists. */
function createExclusive(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(info) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

const unique = () => `${process.pid}.${Math.random().toString(36).slice(2, 10)}`;

/**
 * Remove a guard left by a process that died inside a takeover. Renaming moves whatever guard is there now; if that
 * is not the one judged dead (a live process took the guard in between), it is linked back, which cannot replace a
 * newer guard.
 */
function clearDeadGuard(guard: string, judged: number): void {
  const aside = `${guard}.${unique()}`;
  try {
    renameSync(guard, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (inode(aside) !== judged) linkSync(aside, guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Take DIR's takeover guard: true if held now; false if another process holds it (try again shortly). */
function takeGuard(dir: string): boolean {
  const guard = join(dir, GUARD_FILE);
  if (createExclusive(guard, { pid: process.pid, host: hostname(), since: new Date().toISOString() })) return true;
  let stat;
  try {
    stat = statSync(guard);
  } catch {
    return false; // released just now
  }
  const info = readLock(guard);
  const dead = info !== null && info !== 'unreadable' && info.host === hostname() && !alive(info.pid);
  if (dead || Date.now() - stat.mtimeMs > GUARD_STALE_MS) clearDeadGuard(guard, stat.ino);
  return false;
}

/**
 * Remove DIR's lock if `stale(holder)` still holds for it, judged under the takeover guard so that of several
 * processes removing the same stale lock at once exactly one removes it, and none removes the lock that replaced
 * it. `then` runs under the guard right after the removal (acquireLock creates its own lock there). Returns false
 * if the guard was busy (try again), true otherwise.
 */
function underGuard(dir: string, stale: (holder: LockInfo | 'unknown' | null) => boolean, then?: () => void): boolean {
  const guard = join(dir, GUARD_FILE);
  if (!takeGuard(dir)) return false;
  const mine = inode(guard);
  try {
    const path = join(dir, LOCK_FILE);
    const before = inode(path);
    if (before !== null && stale(lockHolder(dir)) && inode(path) === before) {
      rmSync(path, { force: true });
      then?.();
    }
    return true;
  } finally {
    if (inode(guard) === mine) rmSync(guard, { force: true });
  }
}

/**
 * Remove DIR's lock if `stale` says so for its holder (a lock from a lost host, judged by the caller), safely
 * against processes taking the same lock over at once. True if a lock was removed.
 */
export function removeLockIf(dir: string, stale: (holder: LockInfo) => boolean): boolean {
  const until = Date.now() + ACQUIRE_PATIENCE_MS;
  let removed = false;
  while (!underGuard(dir, (h) => h !== null && h !== 'unknown' && stale(h), () => (removed = true))) {
    if (Date.now() > until) return false;
    sleepSync(1 + Math.random() * 4);
  }
  return removed;
}

export interface Lock {
  release(): void;
}

/** Take DIR's lock (DIR must exist); a live holder is a UsageError, a stale lock is replaced. */
export function acquireLock(dir: string, command: string): Lock {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  const until = Date.now() + ACQUIRE_PATIENCE_MS;
  for (;;) {
    let held = createExclusive(path, info);
    if (!held) {
      const holder = lockHolder(dir);
      if (holder) throw busy(dir, holder);
      // stale (its run is gone): take it over under the guard, creating ours before anyone else can look
      const settled = underGuard(dir, (h) => h === null, () => (held = createExclusive(path, info)));
      if (!held) {
        if (Date.now() > until) throw busy(dir, 'unknown');
        if (!settled) sleepSync(1 + Math.random() * 4); // another process is taking it over: see what it left
        continue;
      }
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        const now = readLock(path);
        if (now !== null && now !== 'unreadable' && now.pid === process.pid && now.since === info.since) rmSync(path, { force: true });
      },
    };
  }
}
