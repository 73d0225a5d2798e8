/**
 * `collapse curate` and `--curate` on the loop commands: the JSON shape with exact theory beside the Monte Carlo
 * (proofs/curation.md V5), one-line errors for bad input, and a curated run stopped with SIGTERM and resumed ending
 * bit-identical to one never interrupted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { FLOAT } from '../../src/theory/categorical.js';
import { projectingError } from '../../src/theory/curation.js';
import { collapseAsync, collapseSync, isOneLineError, mainInProcess, waitFor } from './helpers.js';

test('curate --json: the error per n beside the exact V5 theory, verifierGap and drift under metrics, the limits', async () => {
  const run = await mainInProcess(['curate', '--strength', '0.5', '--rank', '3', '--dim', '4', '--samples', '20', '--iterations', '4', '--trials', '300', '--json', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const theory = projectingError({ dim: 4, samples: 20, sigma2: 1, bias2: 0.25, strength: 0.5, rank: 3 }, 4, FLOAT);
  assert.deepEqual(report.iterations.map((r: { theory: number }) => r.theory), theory);
  assert.deepEqual(Object.keys(report.iterations[0].metrics), ['verifierGap', 'drift']);
  assert.deepEqual(report.limits.map((l: { name: string }) => l.name), ['knowledgeCentre', 'errorLimit']);
  assert.equal(report.limits[1].value, null, 'k < d: the error has no limit');
  const residual = await mainInProcess(['curate', '--verifier', 'residual', '--curate', 'threshold:-1', '--iterations', '2', '--trials', '50', '--json', '--quiet']);
  assert.equal(residual.code, 0, residual.stderr);
  const limits = JSON.parse(residual.stdout).limits as { name: string; exact: boolean }[];
  assert.deepEqual(limits.map((l) => [l.name, l.exact]), [['knowledgeCentre', true], ['driftLimit', true], ['verifierGapLimit', false], ['errorLimit', false]]);
});

test('bad curation input: one line on stderr, exit 2', async () => {
  const cases = [
    ['curate', '--verifier', 'residual'],
    ['curate', '--verifier', 'residual', '--curate', 'threshold:0.5'],
    ['curate', '--verifier', 'residual', '--curate', 'top:0.5'],
    ['curate', '--curate', 'threshold:-1'],
    ['curate', '--rank', '6', '--dim', '5'],
    ['curate', '--samples', '6', '--dim', '5'],
    ['curate', '--strength', '0'],
    ['gaussian', '--curate', 'top:2'],
    ['gaussian', '--curate', 'threshold:x'],
    ['gaussian', '--model', 'kde', '--curate', 'top:0.5'],
    ['gaussian', '--curate', 'top:0.5', '--verifier', 'probability'],
    ['categorical', '--verifier', 'probability'],
  ];
  for (const argv of cases) {
    const run = await mainInProcess([...argv, '--quiet']);
    assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), `${argv.join(' ')}: ${run.stderr}`);
  }
});

test('gaussian --curate stopped with SIGTERM and resumed ends bit-identical; a different --curate on resume is refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'collapse-curate-resume-'));
  const RUN = ['gaussian', '--strategy', 'replace', '--dim', '2', '--samples', '30', '--iterations', '6', '--trials', '4000', '--seed', '3', '--curate', 'threshold:-1', '--quiet'];
  const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).iterations;
  const reference = join(root, 'reference');
  assert.equal(collapseSync([...RUN, '--out', reference]).code, 0);
  const dir = join(root, 'stopped');
  const { child, done } = collapseAsync([...RUN, '--out', dir], { COLLAPSE_CHECKPOINT_INTERVAL_MS: '20' });
  await waitFor(() => existsSync(join(dir, 'checkpoint.json')), 'a checkpoint');
  child.kill('SIGTERM');
  const stopped = await done;
  if (stopped.code !== 0) {
    assert.equal(stopped.code, 143, stopped.stderr);
    const conflict = collapseSync(['gaussian', '--resume', dir, '--curate', 'top:0.5', '--quiet']);
    assert.equal(conflict.code, 2, conflict.stderr);
    assert.match(conflict.stderr, /--curate top:0.5 differs/);
    const resumed = collapseSync(['gaussian', '--resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
  }
  assert.deepStrictEqual(results(dir), results(reference));
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
});
