/**
 * One cell's directory decides what runs: pending → a fresh run; complete with the cell's configuration → skipped;
 * interrupted or killed → --resume; held by a live run → wait; another configuration or a damaged manifest → failed
 * (and a fresh run with --force). A lock left by a run on another host is taken over only when the queue saw that
 * run's worker die.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { cellArguments, inspectCell, runCell } from '../../src/sweep/cell.js';
import { loadSweep, type Cell } from '../../src/sweep/spec.js';
import { ensureBuilt, manifestOf } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-sweep-cell-'));
const sweepPath = join(root, 'one.json');
writeFileSync(sweepPath, JSON.stringify({ command: 'linear', base: { dim: 3, samples: 12, iterations: 2, trials: 1024, backend: 'webasm', seed: 4 } }));
const cellIn = (dir: string): Cell => loadSweep(sweepPath, dir).cells[0];
const foreignLock = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'a-machine-that-died', since: '2026-01-01T00:00:00.000Z', command: 'linear' }) + '\n');
};

before(ensureBuilt);

test('pending, then done: a fresh run, then skipped; the manifest holds the cell configuration', async () => {
  const cell = cellIn(join(root, 'a'));
  assert.equal(inspectCell(cell).state, 'pending');
  assert.deepEqual(cellArguments(cell).args.slice(0, 2), ['linear', '--dim=3']);
  const first = await runCell(cell);
  assert.deepEqual([first.status, first.how], ['done', 'fresh'], first.error);
  assert.equal(inspectCell(cell).state, 'done');
  assert.deepEqual(manifestOf(cell.dir)!.segments.length, 1);
  const again = await runCell(cell);
  assert.deepEqual([again.status, again.how], ['skipped', 'skip']);
  assert.deepEqual(manifestOf(cell.dir)!.segments.length, 1, 'not run twice');
});

test('a directory holding another configuration, or a damaged manifest, is failed; the next run starts it afresh with --force', async () => {
  const cell = cellIn(join(root, 'a'));
  const other: Cell = { ...cell, config: { ...cell.config, trials: 2048 } };
  assert.equal(inspectCell(other).state, 'failed');
  assert.match(inspectCell(other).detail ?? '', /holds another configuration/);
  assert.equal(cellArguments(other).how, 'fresh');
  assert.ok(cellArguments(other).args.includes('--force'));
  const damaged = cellIn(join(root, 'damaged'));
  mkdirSync(damaged.dir, { recursive: true });
  writeFileSync(join(damaged.dir, 'manifest.json'), '{"sha256":"00","format":"collapse-run"}');
  assert.equal(inspectCell(damaged).state, 'failed');
  const run = await runCell(damaged);
  assert.equal(run.status, 'done', run.error);
  assert.equal(inspectCell(damaged).state, 'done');
});

test('a lock from another host: waited for (then failed, one line) unless the queue saw its worker die', async () => {
  const cell = cellIn(join(root, 'foreign'));
  foreignLock(cell.dir);
  assert.equal(inspectCell(cell).state, 'running');
  process.env.COLLAPSE_CELL_LOCK_WAIT_MS = '300';
  try {
    const refused = await runCell(cell);
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /is in use by another run \(pid 1 on a-machine-that-died\)/);
    assert.equal(existsSync(join(cell.dir, '.lock')), true, 'left alone');
    const taken = await runCell(cell, { takeOverForeignLocks: true });
    assert.equal(taken.status, 'done', taken.error);
    assert.equal(JSON.parse(readFileSync(join(cell.dir, 'results.json'), 'utf8')).iterations.length, 2);
  } finally {
    delete process.env.COLLAPSE_CELL_LOCK_WAIT_MS;
  }
});

test('a cell directory holding files but no run manifest is never cleared with --force: the cell fails, the files stay', async () => {
  const cell = cellIn(join(root, 'not-a-run'));
  mkdirSync(cell.dir, { recursive: true });
  writeFileSync(join(cell.dir, 'thesis.tex'), 'years of work');
  const planned = cellArguments(cell);
  assert.deepEqual(planned.args, [], 'no command line, so no --force');
  assert.match(planned.refused ?? '', /holds files but no run manifest; it is not replaced/);
  const outcome = await runCell(cell);
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.error ?? '', /^cell [0-9a-f]{16}: .*not-a-run.* holds files but no run manifest; it is not replaced \(move them away\)$/);
  assert.equal(readFileSync(join(cell.dir, 'thesis.tex'), 'utf8'), 'years of work');
});
