/**
 * `collapse verify --out DIR` checkpoints after every case; a run killed (SIGKILL) or interrupted (SIGINT) and
 * continued with --resume DIR reports the same verdicts, bit for bit, as a run never interrupted (issue 7).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { collapseAsync, collapseSync, isOneLineError, waitFor } from './helpers.js';

// the six Gaussian cases at the smallest trial count: each takes well under a second
const RUN = ['verify', '--only', 'gaussian', '--trials-reduced', '300', '--seed', '5']; // the 6 closed-form Gaussian cases and the 2 curated ones
const root = mkdtempSync(join(tmpdir(), 'collapse-verify-resume-'));

/** verify.json without timings: what a case found, not how long it took */
function verdicts(dir: string): unknown {
  const json = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8'));
  return JSON.parse(JSON.stringify(json.cases, (key, value) => (key === 'seconds' || key === 'trialIterationsPerSecond' ? undefined : value)));
}
const casesDone = (dir: string) => {
  if (!existsSync(join(dir, 'checkpoint.json'))) return 0;
  return ((readSealed(join(dir, 'checkpoint.json')) as { state: { cases: unknown[] } }).state.cases.length);
};

let reference: unknown;
before(() => {
  const dir = join(root, 'reference');
  const run = collapseSync([...RUN, '--out', dir, '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  reference = verdicts(dir);
});

test('verify killed with SIGKILL after some cases and resumed gives the uninterrupted verdicts', async () => {
  const dir = join(root, 'killed');
  const { child, done } = collapseAsync([...RUN, '--out', dir, '--quiet']);
  await waitFor(() => casesDone(dir) >= 2, 'two cases checkpointed');
  child.kill('SIGKILL');
  await done;
  assert.ok(!existsSync(join(dir, 'verify.json')), 'no results from a killed run');
  const resumed = collapseSync(['verify', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(verdicts(dir), reference);
  const manifest = readSealed(join(dir, 'manifest.json')) as { status: string; segments: { resumedFrom?: string }[] };
  assert.equal(manifest.status, 'complete');
  assert.match(manifest.segments[1].resumedFrom ?? '', /^case \d of 8$/);
});

test('verify stopped with SIGINT says how to resume, exits 130, and resumes to the same verdicts', async () => {
  // twelve quick linear cases, so that the signal lands with most of them still to run (the verdicts need not pass)
  const run = ['verify', '--only', ' d=10 ', '--trials-full', '100', '--trials-reduced', '100', '--seed', '9', '--quiet'];
  const uninterrupted = join(root, 'linear-reference');
  const first = collapseSync([...run, '--out', uninterrupted]);
  assert.ok(first.code === 0 || first.code === 4, first.stderr);
  const dir = join(root, 'interrupted');
  const { child, done } = collapseAsync([...run, '--out', dir]);
  await waitFor(() => casesDone(dir) >= 1, 'a case checkpointed');
  child.kill('SIGINT');
  const outcome = await done;
  assert.equal(outcome.code, 130, outcome.stderr);
  assert.match(outcome.stderr, new RegExp(`resume with: npx collapse verify --resume ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.ok(casesDone(dir) < 12, 'stopped before the end');
  const resumed = collapseSync(['verify', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, first.code, resumed.stderr);
  assert.deepStrictEqual(verdicts(dir), verdicts(uninterrupted));
});

test('verify --resume refuses a finished run, a changed option and a foreign directory with one line', () => {
  const cases: [string[], RegExp][] = [
    [['verify', '--resume', join(root, 'reference')], /already complete/],
    [['verify', '--resume', join(root, 'reference'), '--seed', '6'], /already complete|--seed 6 differs/],
    [['verify', '--resume', join(root, 'nothing-here')], /--resume/],
  ];
  for (const [args, pattern] of cases) {
    const run = collapseSync(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, pattern);
  }
});
