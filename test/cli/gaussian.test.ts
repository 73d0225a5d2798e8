/**
 * `collapse gaussian` as a user meets it, run in-process through src/cli/main.ts (no dist/ build needed): the JSON
 * shape of `collapse linear` plus `metrics`, the run directory of --out, and bad input refused with one line on
 * stderr and exit code 2 (C8).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mainInProcess } from './helpers.js';

const collapse = (...args: string[]) => mainInProcess(args);

const small = ['--samples', '8', '--iterations', '3', '--trials', '200', '--seed', '5'];
const ROW_KEYS = ['ci95', 'iteration', 'mean', 'metrics', 'stderr', 'theory', 'z', 'zConditional'];
const METRIC_KEYS = ['ci95', 'mean', 'stderr', 'theory', 'z'];

test('gaussian --json: the shape of collapse linear, with a metrics object per iteration', async () => {
  const { code, stdout, stderr } = await collapse('gaussian', '--strategy', 'replace', ...small, '--json');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.deepEqual(Object.keys(json).sort(), ['backend', 'backendReason', 'config', 'hasTheory', 'iterations', 'profile', 'seconds', 'theoryFormula', 'trialIterationsPerSecond']);
  assert.deepEqual(json.config, { model: 'gaussian', strategy: 'replace', dim: 1, samples: 8, estimator: 'mle', variance: 'fitted', iterations: 3, trials: 200, seed: 5 });
  assert.equal(json.backend, 'host');
  assert.equal(json.iterations.length, 3);
  for (const [i, row] of json.iterations.entries()) {
    assert.deepEqual(Object.keys(row).sort(), ROW_KEYS);
    assert.equal(row.iteration, i + 1);
    assert.ok(Math.abs(row.theory - (7 / 8) ** (i + 1)) < 1e-12, 'G1');
    assert.deepEqual(Object.keys(row.metrics).sort(), ['detRatio', 'logDetRatio', 'meanError', 'medianVarianceRatio', 'sdRatio', 'w2', 'w2Squared']);
    for (const metric of Object.values(row.metrics) as Record<string, unknown>[]) assert.deepEqual(Object.keys(metric).sort(), METRIC_KEYS);
    assert.equal(row.metrics.w2.theory, null);
    assert.equal(typeof row.metrics.detRatio.theory, 'number');
  }
});

test('gaussian: the same seed prints the same numbers; the table names the theory', async () => {
  const a = JSON.parse((await collapse('gaussian', '--strategy', 'fresh:0.5', ...small, '--json')).stdout);
  const b = JSON.parse((await collapse('gaussian', '--strategy', 'fresh:0.5', ...small, '--json')).stdout);
  assert.deepEqual(a.iterations, b.iterations);
  const { code, stdout } = await collapse('gaussian', '--strategy', 'accumulate-subsample', ...small);
  assert.equal(code, 0);
  assert.match(stdout, /backend host/);
  assert.match(stdout, /theory: none: no closed form is known for subsampled fits/);
});

test('gaussian --model kde: Monte Carlo only, with the held-out log-likelihood', async () => {
  const { code, stdout, stderr } = await collapse('gaussian', '--model', 'kde', '--strategy', 'accumulate', '--samples', '10', '--iterations', '2', '--trials', '20', '--test-samples', '30', '--json');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.equal(json.hasTheory, false);
  assert.ok(json.config.bandwidth > 0);
  for (const row of json.iterations) {
    assert.equal(row.theory, null);
    assert.deepEqual(Object.keys(row.metrics).sort(), ['heldOutNll', 'meanError', 'medianVarianceRatio']);
    assert.ok(Number.isFinite(row.metrics.heldOutNll.mean));
  }
});

test('gaussian --out writes the run directory; an existing one is refused without --force', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'collapse-gaussian-')), 'run');
  assert.equal((await collapse('gaussian', ...small, '--out', dir, '--quiet')).code, 0);
  const files = readdirSync(dir).sort();
  for (const name of ['config.json', 'environment.json', 'manifest.json', 'results.csv', 'results.json']) assert.ok(files.includes(name), `${name} in ${files}`);
  assert.equal(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').length, 4);
  const again = await collapse('gaussian', ...small, '--out', dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists and is not empty; pass --force/);
  assert.equal((await collapse('gaussian', ...small, '--out', dir, '--force', '--quiet')).code, 0);
  assert.ok(existsSync(join(dir, 'results.json')));
});

const BAD: [string[], RegExp][] = [
  [['--samples', '1'], /--samples must be an integer in \[2, 1000000\]; got "1"/],
  [['--dim', '0'], /--dim must be an integer in \[1, 64\]/],
  [['--dim', '65'], /--dim must be an integer in \[1, 64\]/],
  [['--dim', '3', '--samples', '3'], /--samples must be ≥ dim \+ 1 \(= 4\) so that every fitted covariance is nonsingular; got 3/],
  [['--estimator', 'biased'], /--estimator must be one of mle, unbiased; got "biased"/],
  [['--variance', 'fixed'], /--variance must be one of fitted, known/],
  [['--model', 'gmm'], /--model must be one of gaussian, kde/],
  [['--model', 'kde', '--estimator', 'unbiased'], /--estimator and --variance apply to --model gaussian/],
  [['--bandwidth', '0.3'], /--bandwidth and --test-samples apply to --model kde only/],
  [['--model', 'kde', '--bandwidth', '0'], /--bandwidth must be a number in \(0, 1000000\]/],
  [['--iterations', '1001'], /--iterations must be an integer in \[1, 1000\]/],
  [['--trials', '1'], /--trials must be an integer in \[2, 10000000\]/],
  [['--trials', '1000000', '--iterations', '100'], /--trials × --iterations must be ≤ 20000000/],
  [['--strategy', 'window:0'], /--strategy window:k needs an integer k ≥ 1/],
  [['--strategy', 'acumulate'], /did you mean 'accumulate'/],
  [['--samples', '1000000', '--iterations', '100', '--strategy', 'accumulate', '--dim', '1', '--trials', '2'], /exceed 50000000 numbers per trial/],
];
for (const value of ['-1', '0', '2.5', 'NaN', 'Infinity', '1e9', '0x10', 'five']) {
  BAD.push([['--samples', value], /--samples must be an integer in \[2, 1000000\]/]);
  BAD.push([['--seed', value === '0' ? '-0.5' : value === '1e9' ? '1e10' : value], /--seed must be an integer/]);
}

for (const [args, pattern] of BAD) {
  test(`gaussian ${args.join(' ')}: exit 2, one line on stderr, nothing on stdout`, async () => {
    const { code, stdout, stderr } = await collapse('gaussian', ...args, '--json');
    assert.equal(code, 2, stderr);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.equal(stdout, '');
  });
}
