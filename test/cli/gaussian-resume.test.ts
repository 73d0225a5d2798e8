/**
 * `collapse gaussian --out DIR` checkpoints the trials done so far; killed with SIGKILL at random moments (or stopped
 * with SIGTERM) and continued with --resume DIR, it ends with results bit-identical to a run never interrupted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { collapseAsync, collapseSync, isOneLineError, sleep, waitFor, trialsDone } from './helpers.js';

const RUN = ['gaussian', '--strategy', 'accumulate', '--dim', '2', '--samples', '30', '--iterations', '12', '--trials', '6000', '--seed', '4', '--quiet'];
const OFTEN = { COLLAPSE_CHECKPOINT_INTERVAL_MS: '20' };
const root = mkdtempSync(join(tmpdir(), 'collapse-gaussian-resume-'));
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).iterations;

let reference: unknown;
before(() => {
  const dir = join(root, 'reference');
  const run = collapseSync([...RUN, '--out', dir]);
  assert.equal(run.code, 0, run.stderr);
  reference = results(dir);
});

test('gaussian killed with SIGKILL at three points and resumed each time ends bit-identical', async () => {
  const dir = join(root, 'killed');
  let args = [...RUN, '--out', dir];
  for (let kill = 0; kill < 3; kill++) {
    const before = trialsDone(dir);
    const { child, done } = collapseAsync(args, OFTEN);
    await waitFor(() => trialsDone(dir) > before, 'a newer checkpoint');
    await sleep(15 * kill); // a different point in the save cycle each time
    child.kill('SIGKILL');
    const outcome = await done;
    if (outcome.code === 0) break; // finished before the kill landed: nothing left to resume
    assert.ok(!existsSync(join(dir, 'results.json')), 'a killed run leaves no results');
    args = ['gaussian', '--resume', dir, '--quiet'];
  }
  if (!existsSync(join(dir, 'results.json'))) {
    const last = collapseSync(['gaussian', '--resume', dir, '--quiet']);
    assert.equal(last.code, 0, last.stderr);
  }
  assert.deepStrictEqual(results(dir), reference);
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
});

test('gaussian stopped with SIGTERM exits 143 with the resume line; the resumed run matches', async () => {
  const dir = join(root, 'terminated');
  const { child, done } = collapseAsync([...RUN, '--out', dir], OFTEN);
  await waitFor(() => trialsDone(dir) > 0, 'a checkpoint');
  child.kill('SIGTERM');
  const outcome = await done;
  assert.equal(outcome.code, 143, outcome.stderr);
  assert.match(outcome.stderr, /resume with: npx collapse gaussian --resume /);
  const resumed = collapseSync(['gaussian', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(results(dir), reference);
});

test('gaussian --resume refuses a complete run and a changed option with one line, exit 2', () => {
  for (const args of [['gaussian', '--resume', join(root, 'reference')], ['gaussian', '--resume', join(root, 'terminated'), '--trials', '7']]) {
    const run = collapseSync(args);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(isOneLineError(run.stderr), run.stderr);
  }
});

const KDE = ['gaussian', '--model', 'kde', '--samples', '40', '--iterations', '6', '--trials', '300', '--seed', '2', '--quiet'];

test('a kde run stopped with SIGTERM resumes (it was refused: "--estimator and --variance apply to --model gaussian") and matches', async () => {
  const straight = join(root, 'kde-reference');
  assert.equal(collapseSync([...KDE, '--out', straight]).code, 0);
  const dir = join(root, 'kde-terminated');
  const { child, done } = collapseAsync([...KDE, '--out', dir], OFTEN);
  await waitFor(() => trialsDone(dir) > 0, 'a checkpoint');
  child.kill('SIGTERM');
  const outcome = await done;
  if (outcome.code === 0) return; // finished before the signal landed: nothing to resume
  assert.equal(outcome.code, 143, outcome.stderr);
  const resumed = collapseSync(['gaussian', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(results(dir), results(straight));
  // only the defaults a kde config stores are accepted beside --model kde
  const other = collapseSync([...KDE, '--estimator', 'unbiased']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--estimator and --variance apply to --model gaussian/);
});

test('a kde at --samples 1000000 stops on SIGTERM within seconds and its manifest says interrupted', async () => {
  // one held-out evaluation here is ~10^10 kernel terms (minutes): it used to ignore SIGINT/SIGTERM until done
  const dir = join(root, 'kde-large');
  const args = ['gaussian', '--model', 'kde', '--samples', '1000000', '--iterations', '2', '--trials', '2', '--test-samples', '10000', '--quiet', '--out', dir];
  const { child, done } = collapseAsync(args);
  await waitFor(() => existsSync(join(dir, 'manifest.json')), 'the run directory');
  await sleep(1500); // into the first evaluation
  const sent = performance.now();
  child.kill('SIGTERM');
  const outcome = await done;
  assert.equal(outcome.code, 143, outcome.stderr);
  assert.ok(performance.now() - sent < 30_000, 'stopped long before the evaluation could have finished');
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'interrupted');
});
