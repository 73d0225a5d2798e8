/**
 * Linear-regression variants: a non-isotropic input covariance (P7: the law of the error does not depend on it) and
 * random design with different real/synthetic sizes and noises (P8: replace's closed form; none for accumulate).
 * Family false-failure budget 1e-6 for this file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zStar } from '../../../src/core/stats.js';
import { judge } from '../../../src/experiments/verify.js';
import { sharedBackend } from '../../helpers/backend.js';
import { runLinear, validateLinearConfig, type LinearConfig } from '../../../src/experiments/linear.js';
import { randomDesignReplaceError } from '../../../src/theory/linear-random-design.js';
import { UsageError } from '../../../src/core/errors.js';

const N = 6;
// spectrum: 2 strategies × (N + 1) band events (P12, proven); the rest |z| < zStar(K), a normal approximation:
// random replace: 2 methods × N; random accumulate full vs reduced: N; the two minimum-norm checks; ridge full vs
// reduced; ridge z|X (P11)
const K = 2 * (N + 1) + 2 * N + N + 2 + 2 * N + 4 * N;
const Z = zStar(K);
const DELTA = 1e-6 / K;

const backend = sharedBackend();

const base: LinearConfig = { strategy: 'accumulate', dim: 6, samples: 30, noise: 1.5, iterations: N, trials: 4000, seed: 21, method: 'full', backend: 'auto' };

for (const strategy of ['replace', 'accumulate']) {
  test(`P7 + P12: ${strategy} with a power-law input covariance (full refits) matches the isotropic closed form within its finite-sample bands`, async () => {
    const report = await runLinear({ ...base, strategy, spectrum: 'power:1.5' }, { backend: backend() });
    const verdict = judge(`${strategy} power:1.5`, report, Infinity, DELTA);
    assert.ok(verdict.pass, verdict.failures.join('; '));
  });
}

const random: LinearConfig = { ...base, design: 'random', samples0: 40, noise0: 3, samples: 25, noise: 1 };

test('P8: random design, replace, T0 ≠ T and σ0² ≠ σ²: both methods match σ0²d/(T0−d−1) + (n−1)σ²d/(T−d−1)', async () => {
  const theory = randomDesignReplaceError({ sigma2: 1, dim: 6, samples: 25, noise0: 3, samples0: 40 }, N);
  for (const method of ['full', 'reduced'] as const) {
    const report = await runLinear({ ...random, strategy: 'replace', method, trials: method === 'full' ? 4000 : 20000 }, { backend: backend() });
    for (const row of report.iterations) {
      assert.ok(Math.abs(row.theory! - theory[row.iteration - 1]) < 1e-12, 'theory column');
      assert.ok(Math.abs(row.z!) < Z, `${method} n=${row.iteration}: ${row.mean} vs ${row.theory}, z ${row.z}`);
      assert.equal(row.zConditional, null);
    }
  }
});

test('P8: random design, accumulate: no closed form printed; full and reduced agree (two-sample z)', async () => {
  const full = await runLinear({ ...random, method: 'full', trials: 4000 }, { backend: backend() });
  const reduced = await runLinear({ ...random, method: 'reduced', trials: 20000 }, { backend: backend() });
  assert.equal(full.hasTheory, false);
  assert.match(full.theoryFormula, /only replace has a closed form/);
  for (let n = 0; n < N; n++) {
    const a = full.iterations[n];
    const b = reduced.iterations[n];
    assert.equal(a.theory, null);
    const z = (a.mean - b.mean) / Math.hypot(a.stderr, b.stderr);
    assert.ok(Math.abs(z) < Z, `n=${n + 1}: full ${a.mean} reduced ${b.mean}, z ${z}`);
  }
});

test('variant options are validated with one-line errors', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ samples0: '40' }, /--samples0 and --noise0 need --design random/],
    [{ noise0: '2' }, /--samples0 and --noise0 need --design random/],
    [{ design: 'random', strategy: 'accumulate-subsample' }, /--design random does not support --strategy accumulate-subsample/],
    [{ design: 'random', spectrum: 'power:1' }, /--design random takes isotropic inputs only/],
    [{ design: 'random', samples0: '5' }, /--samples0 must be ≥ dim \+ 2/],
    [{ design: 'sideways' }, /--design must be one of fixed, random/],
    [{ spectrum: 'power:-1' }, /--spectrum must be isotropic or power:<α>/],
    [{ spectrum: 'exponential' }, /--spectrum must be isotropic or power:<α>/],
    [{ ridge: '-0.5' }, /--ridge must be a number in \[0, 1000000\]/],
    [{ ridge: 'NaN' }, /--ridge must be a number/],
  ];
  for (const [flags, message] of bad) {
    assert.throws(() => validateLinearConfig(flags), (e: Error) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'), JSON.stringify(flags));
  }
});

test('P9: over-parameterised (T < d): minimum-norm refits, no theory printed; model 1 matches the known min-norm risk', async () => {
  // E‖ŵ − w*‖² = E‖P_null w*‖² + σ²·E tr((XXᵀ)⁻¹) = (d − T)/d + σ²·T/(d − T − 1) for w* ~ N(0, I/d), T ≤ d − 2
  // (Hastie, Montanari, Rosset & Tibshirani 2022, Ann. Stat. 50(2), §2 finite-sample isotropic case)
  const [d, T, sigma2] = [20, 10, 1];
  const expected = (d - T) / d + (sigma2 * T) / (d - T - 1);
  // accumulate refits with (XᵀX)⁺; accumulate-subsample's first fit draws all T rows: the same min-norm fit
  for (const strategy of ['accumulate', 'accumulate-subsample']) {
    const report = await runLinear({ ...base, strategy, dim: d, samples: T, noise: sigma2, trials: 4000 }, { backend: backend() });
    assert.equal(report.hasTheory, false);
    assert.match(report.theoryFormula, /Monte Carlo only/);
    assert.ok(report.iterations.every((r) => r.theory === null && Number.isFinite(r.mean)));
    const first = report.iterations[0];
    assert.ok(Math.abs((first.mean - expected) / first.stderr) < Z, `${strategy} n=1: ${first.mean} vs ${expected}`);
  }
});

for (const strategy of ['replace', 'accumulate']) {
  test(`P10, P11: ridge (λ = 5), ${strategy}: no closed form printed; full and reduced agree, and both match the exact error given X`, async () => {
    const config: LinearConfig = { ...base, strategy, ridge: 5 };
    const full = await runLinear({ ...config, method: 'full', trials: 4000 }, { backend: backend() });
    const reduced = await runLinear({ ...config, method: 'reduced', trials: 20000 }, { backend: backend() });
    assert.match(full.theoryFormula, /ridge/);
    for (let n = 0; n < N; n++) {
      const [a, b] = [full.iterations[n], reduced.iterations[n]];
      assert.equal(a.theory, null);
      const z = (a.mean - b.mean) / Math.hypot(a.stderr, b.stderr);
      assert.ok(Math.abs(z) < Z, `n=${n + 1}: full ${a.mean} reduced ${b.mean}, z ${z}`);
      // P11: error − E[error | X, w*] has mean 0 in each method
      for (const [method, row] of [['full', a], ['reduced', b]] as const) {
        assert.ok(row.zConditional !== null && Math.abs(row.zConditional) < Z, `${method} n=${n + 1}: z|X ${row.zConditional}`);
      }
    }
  });
}

test('P10: ridge 0 is least squares, bit for bit', async () => {
  for (const method of ['full', 'reduced'] as const) {
    const plain = await runLinear({ ...base, method, trials: 300 }, { backend: backend() });
    const ridge0 = await runLinear({ ...base, method, trials: 300, ridge: 0 }, { backend: backend() });
    assert.deepEqual(ridge0.iterations, plain.iterations, method);
  }
});
