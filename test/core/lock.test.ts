/**
 * The run lock under contention: several processes taking over one stale lock at the same moment must end with
 * exactly one holder (the old remove-then-create takeover let 2–4 of 4 processes hold it in about half the rounds).
 * A guard left by a process that died mid-takeover does not block the lock for good.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { acquireLock, isLockEntry, lockHolder, removeLockIf } from '../../src/core/lock.js';

const LOCK_MODULE = new URL('../../src/core/lock.ts', import.meta.url).href;
/** Beyond any pid_max (2^22 on Linux): never a live process, so a lock naming it on this host is stale. */
const DEAD_PID = 2_147_483_646;
const staleLock = (dir: string) => writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: DEAD_PID, host: hostname(), since: '2020-01-01T00:00:00.000Z' }) + '\n');

/**
 * Each child, for every round r: sleeps until the round's start (START + r·STEP ms), spins the last 2 ms so all
 * children call acquireLock on round r's directory within a fraction of a millisecond, and records held or busy. A
 * holder keeps its lock (it stays alive to the end), so a second "held" in a round is a second simultaneous holder.
 */
const CHILD = `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const { acquireLock } = await import(process.env.LOCK_MODULE);
const [root, index, rounds, step] = ['ROOT', 'INDEX', 'ROUNDS', 'STEP'].map((k) => process.env[k]);
const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
// ready; the parent sets the start once every child is (start-up on a busy machine takes seconds)
writeFileSync(join(root, 'ready.' + index), '');
while (!existsSync(join(root, 'start'))) nap(2);
const start = readFileSync(join(root, 'start'), 'utf8');
const results = [];
for (let r = 0; r < Number(rounds); r++) {
  const at = Number(start) + r * Number(step);
  if (at - Date.now() > 2) nap(at - Date.now() - 2);
  while (Date.now() < at) {}
  try {
    acquireLock(join(root, String(r)), 'race');
    results.push('held');
  } catch (error) {
    results.push((error.name === 'UsageError' ? 'busy: ' : 'error: ') + error.message);
  }
}
writeFileSync(join(root, 'result.' + index), JSON.stringify(results));
`;

test('processes taking over one stale lock at once: exactly one holds it, in every round', async () => {
  const root = mkdtempSync(join(tmpdir(), 'collapse-lock-race-'));
  // the old remove-then-create takeover had two holders in 14 and 20 of these 400 rounds (two runs here, 2 cores
  // shared with other work): at 14 in 400 it would pass all 400 with chance (1 − 14/400)^400 ≈ 7e-7
  const [children, rounds, step] = [6, 400, 8];
  for (let r = 0; r < rounds; r++) {
    mkdirSync(join(root, String(r)));
    staleLock(join(root, String(r)));
  }
  const script = join(root, 'child.mjs');
  writeFileSync(script, CHILD);
  const procs = Array.from({ length: children }, (_, index) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, LOCK_MODULE, ROOT: root, INDEX: String(index), ROUNDS: String(rounds), STEP: String(step) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise<string>((resolve) => child.on('close', (code) => resolve(`exit ${code} ${stderr}`)));
  });
  const exits = Promise.all(procs);
  for (const end = Date.now() + 120_000; readdirSync(root).filter((n) => n.startsWith('ready.')).length < children; ) {
    assert.ok(Date.now() < end, 'the children did not start within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  writeFileSync(join(root, 'start.tmp'), String(Date.now() + 100));
  renameSync(join(root, 'start.tmp'), join(root, 'start')); // whole, so no child reads it half-written
  assert.deepEqual(await exits, procs.map(() => 'exit 0 '));
  const results = Array.from({ length: children }, (_, i) => JSON.parse(readFileSync(join(root, `result.${i}`), 'utf8')) as string[]);
  const doubles: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = results.map((child) => child[r]);
    for (const result of round) assert.match(result, /^(held|busy: .* is in use by another run \(pid \d+, since .*\); wait for it to finish.*)$/, result);
    const held = round.filter((x) => x === 'held').length;
    if (held !== 1) doubles.push(`round ${r}: ${held} holders`);
    assert.deepEqual(readdirSync(join(root, String(r))).filter(isLockEntry), ['.lock'], `round ${r}: only the lock is left (no guard, no file set aside)`);
  }
  assert.deepEqual(doubles, [], `exactly one holder per round, ${rounds} rounds of ${children} processes`);
});

test('a takeover guard left by a dead process does not block the lock; a live holder still does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-lock-guard-'));
  staleLock(dir);
  writeFileSync(join(dir, '.lock.takeover'), JSON.stringify({ pid: DEAD_PID, host: hostname(), since: '2020-01-01T00:00:00.000Z' }) + '\n');
  const lock = acquireLock(dir, 'test');
  assert.equal((lockHolder(dir) as { pid: number }).pid, process.pid);
  assert.deepEqual(readdirSync(dir).filter(isLockEntry), ['.lock']);
  // this process holds it (pid alive): removeLockIf only removes what its predicate calls stale
  assert.equal(removeLockIf(dir, () => false), false);
  assert.ok(existsSync(join(dir, '.lock')));
  assert.equal(removeLockIf(dir, (h) => h.pid === process.pid), true);
  assert.equal(lockHolder(dir), null);
  lock.release(); // no longer ours: nothing to remove, no error
  staleLock(dir);
  const again = acquireLock(dir, 'test');
  assert.throws(() => {
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), since: 'now' }));
    acquireLock(dir, 'test');
  }, (e: unknown) => e instanceof UsageError && /is in use by another run \(pid \d+, since now\)/.test(e.message));
  again.release();
});
