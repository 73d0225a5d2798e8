/**
 * `collapse strong`: the --json shape (scaling table, chain, the approximations named as such), one-line errors for
 * bad input, and a run killed with SIGKILL and continued with --resume ends bit-identical to one never interrupted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { strongCollapseError } from '../../src/theory/strong-collapse.js';
import { collapseAsync, collapseSync, isOneLineError, mainInProcess, tamper, waitFor, trialsDone } from './helpers.js';

test('collapse strong --json: a scaling row per n with the exact S2 theory, a chain row per model, approximations marked', async () => {
  const run = await mainInProcess(['strong', '--dim', '2', '--sizes', '5,40', '--samples', '10', '--iterations', '3', '--trials', '50', '--teacher-share', '0.25', '--shift', '2', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.deepEqual(json.scaling.map((r: { samples: number; teacherRows: number }) => [r.samples, r.teacherRows]), [[5, 1], [40, 10]]);
  // n = 5 ≤ d + 3: the error's variance is infinite, so no interval and no z there (z|X stays)
  assert.deepEqual([json.scaling[0].ci95, json.scaling[0].z], [null, null]);
  assert.equal(typeof json.scaling[0].zConditional, 'number');
  assert.equal(json.scaling[1].ci95.length, 2);
  assert.equal(json.scaling[1].theory, strongCollapseError({ sigma2: 1, dim: 2, samples: 40, teacher: 10, shift2: 4 }).total);
  assert.equal(json.scaling[1].floor, 0.25);
  assert.equal(json.iterations.length, 3);
  assert.deepEqual(json.iterations.map((r: { theory: number | null }) => r.theory === null), [false, true, true]);
  assert.match(json.approximations.asymptotic, /approximation, not exact/);
  assert.equal(json.config['teacher-share'], 0.25);
  assert.equal(json.config.chain, 'mixed');
});

test('collapse strong: bad input is one line on stderr and exit 2', async () => {
  for (const args of [
    ['--sizes', '3,x'],
    ['--sizes', '4', '--dim', '3'],
    ['--teacher-share', '1.5'],
    ['--samples', '5', '--dim', '5'],
    ['--strategy', 'accumulate-subsample'],
    ['--chain', 'sideways'],
    ['--trials', '1'],
  ]) {
    const run = await mainInProcess(['strong', ...args]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.equal(run.stdout, '');
  }
});

const RUN = ['strong', '--dim', '3', '--sizes', '10,100', '--samples', '30', '--iterations', '6', '--trials', '3000', '--seed', '3', '--quiet'];
const root = mkdtempSync(join(tmpdir(), 'collapse-strong-resume-'));
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));

test('collapse strong killed with SIGKILL and resumed ends bit-identical; a changed option is refused with one line', async () => {
  const reference = join(root, 'reference');
  const ran = collapseSync([...RUN, '--out', reference]);
  assert.equal(ran.code, 0, ran.stderr);
  const dir = join(root, 'killed');
  const { child, done } = collapseAsync([...RUN, '--out', dir], { COLLAPSE_CHECKPOINT_INTERVAL_MS: '20' });
  await waitFor(() => trialsDone(dir) > 0, 'a checkpoint');
  child.kill('SIGKILL');
  if ((await done).code !== 0) {
    const refused = collapseSync(['strong', '--resume', dir, '--teacher-share', '0.3']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(isOneLineError(refused.stderr), refused.stderr);
    const same = collapseSync(['strong', '--resume', dir, '--teacher-share', '0.2', '--sizes', '10,100', '--quiet']);
    assert.equal(same.code, 0, same.stderr);
  }
  const [a, b] = [results(dir), results(reference)];
  assert.deepStrictEqual([a.scaling, a.iterations], [b.scaling, b.iterations]);
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
});

test('collapse strong --resume refuses an edited checkpoint (a mean of 5e303, a negative error, a wrong row count) with one line', async () => {
  const dir = join(root, 'tampered');
  const SMALL = ['strong', '--dim', '2', '--sizes', '6', '--samples', '8', '--iterations', '2', '--trials', '20', '--quiet', '--out', dir];
  const edits: ((s: Record<string, any>) => void)[] = [
    (s) => (s.moments.error[0].sum = 5e303),
    (s) => (s.moments.bias[1].sum = -1),
    (s) => s.maxima.pop(),
  ];
  for (const edit of edits) {
    assert.equal((await mainInProcess([...SMALL, '--force'])).code, 0);
    tamper(dir, edit);
    const resumed = await mainInProcess(['strong', '--resume', dir, '--quiet']);
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.ok(isOneLineError(resumed.stderr), resumed.stderr);
    assert.match(resumed.stderr, /its checkpoint.json does not fit the run in its manifest.json/);
  }
  // unedited, the same checkpoint (after trial 1) resumes and completes
  assert.equal((await mainInProcess([...SMALL, '--force'])).code, 0);
  tamper(dir, () => undefined);
  const resumed = await mainInProcess(['strong', '--resume', dir, '--quiet', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).iterations.length, 2);
});
