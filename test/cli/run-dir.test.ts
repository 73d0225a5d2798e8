/**
 * Run directories in process: a run that died between its last checkpoint and its results, or before its first
 * checkpoint, resumes to the same numbers; --force never takes a directory a live run holds.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSealed, sealJson } from '../../src/core/atomic-file.js';
import { acquireLock } from '../../src/core/lock.js';
import { isOneLineError, mainInProcess } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-run-dir-'));
// 9000 trials in chunks of 4096: three chunks
const RUN = ['linear', '--strategy', 'window:2', '--dim', '2', '--samples', '6', '--iterations', '3', '--trials', '9000', '--method', 'reduced', '--seed', '4', '--backend', 'cpu', '--quiet'];
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));

/** Pretend the run was killed: status running, the files a crash at that point would not have written removed. */
function crash(dir: string, remove: string[]): void {
  const manifest = readSealed(join(dir, 'manifest.json')) as Record<string, unknown>;
  manifest.status = 'running';
  manifest.endedAt = null;
  writeFileSync(join(dir, 'manifest.json'), sealJson(manifest));
  for (const name of remove) rmSync(join(dir, name), { force: true });
}

test('killed after its last checkpoint but before its results: --resume writes the same results', async () => {
  const dir = join(root, 'late');
  assert.equal((await mainInProcess([...RUN, '--out', dir])).code, 0);
  const reference = results(dir);
  assert.equal((readSealed(join(dir, 'checkpoint.json')) as { state: { chunksDone: number } }).state.chunksDone, 3);
  crash(dir, ['results.json', 'results.csv', 'environment.json']);
  const resumed = await mainInProcess(['linear', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(results(dir).iterations, reference.iterations);
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
});

test('killed before its first checkpoint: --resume starts from the beginning and gives the same results', async () => {
  const reference = JSON.parse((await mainInProcess([...RUN, '--json'])).stdout);
  const dir = join(root, 'early');
  assert.equal((await mainInProcess([...RUN, '--out', dir])).code, 0);
  crash(dir, ['checkpoint.json', 'results.json', 'results.csv', 'environment.json', 'config.json']);
  const resumed = await mainInProcess(['linear', '--resume', dir, '--quiet', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(JSON.parse(resumed.stdout).iterations, reference.iterations);
  assert.deepStrictEqual(results(dir).iterations, reference.iterations);
  assert.ok(existsSync(join(dir, 'config.json')));
  const segments = (readSealed(join(dir, 'manifest.json')) as { segments: { resumedFrom?: string }[] }).segments;
  assert.match(segments[1].resumedFrom ?? '', /the start/);
});

test('--force does not take a directory that a live run holds; the holder\'s files stay', async () => {
  const dir = join(root, 'held');
  assert.equal((await mainInProcess([...RUN, '--out', dir])).code, 0);
  const before = readFileSync(join(dir, 'results.json'), 'utf8');
  const lock = acquireLock(dir, 'linear'); // this process stands in for a live run
  try {
    const second = await mainInProcess([...RUN, '--out', dir, '--force']);
    assert.equal(second.code, 2);
    assert.ok(isOneLineError(second.stderr), second.stderr);
    assert.match(second.stderr, /is in use by another run \(pid \d+/);
    assert.equal(readFileSync(join(dir, 'results.json'), 'utf8'), before);
  } finally {
    lock.release();
  }
  assert.equal((await mainInProcess([...RUN, '--out', dir, '--force'])).code, 0);
});
