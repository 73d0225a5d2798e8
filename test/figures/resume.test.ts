/**
 * `collapse figures` checkpoints every figure it has made; killed (SIGKILL) or stopped (SIGINT) between figures and
 * continued with --resume DIR, it writes the gallery an uninterrupted run writes (same data, figure by figure).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { collapseAsync, collapseSync, isOneLineError, waitFor } from '../cli/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-figures-resume-'));
// no Chromium: HTML, JSON and CSV only (the images are not what this file tests)
const ENV = { COLLAPSE_CHROMIUM: join(root, 'no-chromium') };
const ONLY = 'kernel-throughput,accumulation-bound,gaussian-collapse';
const RUN = ['figures', '--quick', '--only', ONLY, '--seed', '3', '--quiet'];
/** a figure's data without timings: what it plotted, not how long it took */
const data = (dir: string, id: string) =>
  JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8'), (key, value) => (key === 'seconds' || key === 'trialIterationsPerSecond' ? undefined : value)).data;
const figuresDone = (dir: string) =>
  existsSync(join(dir, 'checkpoint.json')) ? Object.keys((readSealed(join(dir, 'checkpoint.json')) as { state: { figures: object } }).state.figures).length : 0;

let reference: string;
before(() => {
  reference = join(root, 'reference');
  const run = collapseSync([...RUN, '--out', reference], ENV);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!existsSync(join(reference, 'checkpoint.json')), 'a complete gallery keeps no checkpoint');
});

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
  test(`figures stopped with ${signal} after a figure and resumed writes the uninterrupted gallery`, async () => {
    const dir = join(root, signal);
    const { child, done } = collapseAsync([...RUN, '--out', dir], ENV);
    await waitFor(() => figuresDone(dir) >= 1, 'a figure checkpointed');
    child.kill(signal);
    const outcome = await done;
    if (signal === 'SIGINT' && outcome.code !== 0) {
      assert.equal(outcome.code, 130, outcome.stderr);
      assert.match(outcome.stderr, /resume with: npx collapse figures --resume /);
    }
    if (!existsSync(join(dir, 'index.html'))) {
      assert.ok(!existsSync(join(dir, 'accumulation-bound.html')) || existsSync(join(dir, 'index.html')), 'no pages before the gallery is whole');
      const resumed = collapseSync(['figures', '--resume', dir, '--quiet'], ENV);
      assert.equal(resumed.code, 0, resumed.stderr);
    }
    for (const id of ONLY.split(',')) assert.deepStrictEqual(data(dir, id), data(reference, id), id);
    assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
  });
}

test('figures --resume refuses a complete gallery and a differing option with one line, exit 2', () => {
  for (const args of [['figures', '--resume', reference], ['figures', '--resume', join(root, 'SIGKILL'), '--seed', '4']]) {
    const run = collapseSync(args, ENV);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(isOneLineError(run.stderr), run.stderr);
  }
});
