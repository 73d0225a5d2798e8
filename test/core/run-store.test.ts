/** The run directory's pieces: atomic writes, sealed JSON, the lock, and RunStore's refusal rules. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readSealed, SealError, sealJson, unsealJson, writeFileAtomic } from '../../src/core/atomic-file.js';
import { UsageError } from '../../src/core/errors.js';
import { acquireLock, lockHolder } from '../../src/core/lock.js';
import { canonicalJson, configDigest, inspectRun, readManifest, RunStore } from '../../src/core/run-store.js';

const temp = () => mkdtempSync(join(tmpdir(), 'collapse-store-'));

test('writeFileAtomic replaces the file whole and leaves no temporary behind', () => {
  const dir = temp();
  const path = join(dir, 'results.json');
  writeFileAtomic(path, 'first');
  writeFileAtomic(path, 'second, longer');
  assert.equal(readFileSync(path, 'utf8'), 'second, longer');
  assert.deepEqual(readdirSync(dir), ['results.json']);
});

test('sealed JSON round-trips, stays plain JSON, and any damage is detected (fast-check, 200 runs)', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== 'sha256'), fc.jsonValue(), { minKeys: 1, maxKeys: 5 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (value, at, mask) => {
        const text = sealJson(value);
        assert.deepEqual(unsealJson(text), JSON.parse(JSON.stringify(value)));
        assert.equal(typeof JSON.parse(text).sha256, 'string');
        const bytes = Buffer.from(text);
        const flipped = Buffer.from(bytes);
        flipped[at % bytes.length] ^= mask;
        assert.throws(() => unsealJson(flipped), SealError);
        assert.throws(() => unsealJson(bytes.subarray(0, at % bytes.length)), SealError);
      },
    ),
    { seed: 5, numRuns: 200 },
  );
  const dir = temp();
  assert.equal(readSealed(join(dir, 'missing.json')), null);
});

test('the lock: one holder; a second is refused with a one-line message; a dead pid is stale and taken over', () => {
  const dir = temp();
  const lock = acquireLock(dir, 'linear');
  assert.equal((lockHolder(dir) as { pid: number }).pid, process.pid);
  assert.throws(() => acquireLock(dir, 'linear'), (e: Error) => e instanceof UsageError && /is in use by another run \(pid \d+, since /.test(e.message) && !e.message.includes('\n'));
  lock.release();
  assert.equal(existsSync(join(dir, '.lock')), false);
  // a run killed with SIGKILL leaves its lock behind: the pid of a finished process is dead
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: 'then' }));
  assert.equal(lockHolder(dir), null);
  const taken = acquireLock(dir, 'linear');
  assert.equal((lockHolder(dir) as { pid: number }).pid, process.pid);
  taken.release();
});

test('RunStore: refuses a non-empty directory without force, clears it with force, writes a sealed manifest', () => {
  const root = temp();
  const dir = join(root, 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'keep.txt'), 'precious');
  const run = { command: 'linear', config: { dim: 3 }, seed: 1, backend: 'cpu', backendReason: 'requested' };
  assert.throws(() => RunStore.create(dir, false, run), /exists and is not empty; pass --force to replace it/);
  assert.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'precious');
  // --force clears only a run directory (or an empty one): a user's files are never deleted
  assert.throws(() => RunStore.create(dir, true, run), /is not a collapse run directory \(no manifest.json\); --force replaces only a run directory or an empty one, so nothing was deleted/);
  assert.equal(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'precious');
  writeFileSync(join(dir, 'manifest.json'), '{"sha256":"00","format":"collapse-run"}'); // a damaged run manifest is still a run
  const store = RunStore.create(dir, true, run);
  assert.deepEqual(readdirSync(dir).sort(), ['.lock', 'manifest.json']);
  store.saveCheckpoint({ step: 1 }, 0.5);
  store.finish('interrupted');
  const manifest = readManifest(dir, 'linear');
  assert.equal(manifest.status, 'interrupted');
  assert.equal(manifest.node, process.version);
  assert.equal(manifest.seed, 1);
  assert.equal(existsSync(join(dir, '.lock')), false);
  // resume reads the checkpoint bound to this config, and a non-empty directory hints at --resume
  assert.throws(() => RunStore.create(dir, false, run), /--resume .* to continue its interrupted run/);
  const seen = inspectRun<{ step: number }, null>(dir, 'linear', (_m, c) => ({ resumedFrom: `step ${c?.state.step}`, checked: null }));
  assert.equal(seen.checkpoint?.state.step, 1);
  assert.equal(seen.checkpoint?.configDigest, configDigest({ dim: 3 }));
  assert.throws(() => inspectRun(dir, 'verify', () => ({ resumedFrom: '', checked: null })), /holds a `collapse linear` run, not `collapse verify`/);
  const { store: again } = RunStore.resume(dir, 'linear', () => ({ resumedFrom: 'step 1', checked: null }));
  again.finish('complete');
  assert.deepEqual(readManifest(dir, 'linear').segments.map((s) => [s.status, s.resumedFrom]), [['interrupted', undefined], ['complete', 'step 1']]);
  assert.throws(() => inspectRun(dir, 'linear', () => ({ resumedFrom: '', checked: null })), /already complete/);
});

test('an --out path that is a file is refused', () => {
  const root = temp();
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => RunStore.create(join(root, 'file'), true, { command: 'linear', config: {}, seed: null, backend: null, backendReason: null }), /exists and is not a directory/);
});

test('canonicalJson ignores key order and undefined fields', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] }), canonicalJson({ a: [1, { c: 'x' }], b: 1 }));
});

test('checkpoint states keep NaN and ±Infinity through the sealed JSON; finite numbers stay plain', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'collapse-nonfinite-')), 'run');
  const store = RunStore.create(dir, false, { command: 'verify', config: { a: 1 }, seed: 0, backend: 'host', backendReason: 'test' });
  const state = { cases: [{ maxAbsZ: NaN, up: Infinity, down: -Infinity, z: 1.25, nested: [NaN, 2] }] };
  store.saveCheckpoint(state, 1);
  store.finish('interrupted');
  const { checkpoint } = inspectRun(dir, 'verify', (_manifest, c) => ({ resumedFrom: 'test', checked: c }));
  assert.deepStrictEqual(checkpoint?.state, state);
  assert.match(readFileSync(join(dir, 'checkpoint.json'), 'utf8'), /"\$number": "NaN"/);
});
