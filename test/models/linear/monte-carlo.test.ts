/**
 * Monte Carlo against the closed forms, and the two methods against each other (C6).
 * Family false-failure budget 1e-6 for this file over K events, judged as `collapse verify` judges least squares:
 * finite-sample bands (proofs P12), proven whatever the skew of tr((XᵀX)⁻¹) — no normal tail. Each run is N + 1
 * events (the z|X residual at every n, and the mean trace once); full against reduced follows from the two runs'
 * bands and costs nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linearBands, judge } from '../../../src/experiments/verify.js';
import { sharedBackend } from '../../helpers/backend.js';
import { runLinear, type LinearConfig, type LinearReport } from '../../../src/experiments/linear.js';

const ITERATIONS = 8;
const SETTINGS = [
  { strategy: 'replace', method: 'full', trials: 3000 },
  { strategy: 'accumulate', method: 'full', trials: 3000 },
  { strategy: 'replace', method: 'reduced', trials: 20000 },
  { strategy: 'accumulate', method: 'reduced', trials: 20000 },
] as const;
// per setting: the z|X residual at every iteration and the mean trace once
const K = SETTINGS.length * (ITERATIONS + 1) + 3; // + the chunking test's run (2 iterations)
const DELTA = 1e-6 / K;

const backend = sharedBackend();
const reports = new Map<string, LinearReport>();

function config(strategy: string, method: 'full' | 'reduced', trials: number, seed = 11): LinearConfig {
  return { strategy, method, trials, seed, dim: 6, samples: 30, noise: 2.5, iterations: ITERATIONS, backend: 'auto' };
}

for (const s of SETTINGS) {
  test(`P12: ${s.strategy} ${s.method}: Monte Carlo mean and z|X residual within their finite-sample bands at every n`, async () => {
    const report = await runLinear(config(s.strategy, s.method, s.trials), { backend: backend() });
    reports.set(`${s.strategy} ${s.method}`, report);
    const first = 2.5 * 6 / (30 - 6 - 1);
    for (const row of report.iterations) {
      const expected = s.strategy === 'replace' ? first * row.iteration : first * Array.from({ length: row.iteration }, (_, i) => 1 / (i + 1) ** 2).reduce((a, b) => a + b);
      assert.ok(Math.abs(row.theory! - expected) <= 1e-12 * expected, `theory column n=${row.iteration}`);
      assert.ok(row.ci95 !== null && row.ci95[0] < row.mean && row.mean < row.ci95[1]);
    }
    const verdict = judge(`${s.strategy} ${s.method}`, report, Infinity, DELTA);
    assert.ok(verdict.pass, verdict.failures.join('; '));
  });
}

for (const strategy of ['replace', 'accumulate']) {
  test(`${strategy}: full and reduced methods agree within the sum of their bands at every n`, () => {
    const full = reports.get(`${strategy} full`);
    const reduced = reports.get(`${strategy} reduced`);
    assert.ok(full && reduced, 'the per-method tests ran first');
    const [bandA, bandB] = [linearBands(full, DELTA)!, linearBands(reduced, DELTA)!];
    for (let n = 0; n < ITERATIONS; n++) {
      const a = full.iterations[n];
      const b = reduced.iterations[n];
      const [ua, ub] = [bandA[n].unconditional!, bandB[n].unconditional!];
      assert.ok(a.mean - b.mean > -(ua.below + ub.above) && a.mean - b.mean < ua.above + ub.below, `n=${n + 1}: full ${a.mean} reduced ${b.mean}`);
    }
  });
}

test('a seeded run is reproducible bit for bit; another seed gives other numbers', async () => {
  for (const method of ['full', 'reduced'] as const) {
    const a = await runLinear(config('accumulate', method, 300, 5), { backend: backend() });
    const b = await runLinear(config('accumulate', method, 300, 5), { backend: backend() });
    const c = await runLinear(config('accumulate', method, 300, 6), { backend: backend() });
    assert.deepEqual(a.iterations, b.iterations, method);
    assert.notDeepEqual(a.iterations.map((r) => r.mean), c.iterations.map((r) => r.mean), method);
  }
});

/** Every chunk generator: each method, the subsample fit, random design, ridge with a window. */
const CHUNKED_VARIANTS: Partial<LinearConfig>[] = [
  { method: 'full' },
  { method: 'reduced' },
  { method: 'full', strategy: 'accumulate-subsample' },
  { method: 'full', design: 'random' },
  { method: 'reduced', design: 'random' },
  { method: 'full', strategy: 'window:2', ridge: 0.5 },
];

test('the batch width does not change a single bit: every method, fit and design draws by global trial (C7)', async () => {
  for (const variant of CHUNKED_VARIANTS) {
    const base = { ...config('accumulate', 'full', 45, 3), iterations: 3, ...variant } as LinearConfig;
    const wide = await runLinear({ ...base, batch: 45 }, { backend: backend() });
    const narrow = await runLinear({ ...base, batch: 7 }, { backend: backend() }); // 7 chunks, the last padded
    assert.deepEqual(narrow.iterations, wide.iterations, JSON.stringify(variant));
  }
});

test('chunks run two at a time give the numbers of chunks run one at a time, every method and fit', async () => {
  for (const variant of CHUNKED_VARIANTS) {
    const base = { ...config('accumulate', 'full', 45, 4), iterations: 3, batch: 7, ...variant } as LinearConfig;
    const one = await runLinear(base, { backend: backend(), control: { chunksInFlight: 1 } });
    const two = await runLinear(base, { backend: backend(), control: { chunksInFlight: 2 } });
    const three = await runLinear(base, { backend: backend(), control: { chunksInFlight: 3 } });
    assert.deepEqual(two.iterations, one.iterations, JSON.stringify(variant));
    assert.deepEqual(three.iterations, one.iterations, JSON.stringify(variant));
  }
});

test('more trials than one chunk: chunking pads and counts correctly', async () => {
  // d = 200, T = 1000 forces chunks of ⌊2^23 / 200000⌋ = 41 trials: 100 trials span 3 chunks, the last padded
  const report = await runLinear({ ...config('replace', 'full', 100), dim: 200, samples: 1000, iterations: 2 }, { backend: backend() });
  assert.equal(report.iterations.length, 2);
  assert.ok(report.iterations.every((r) => Number.isFinite(r.mean) && r.mean > 0));
  // with d = 200 the error concentrates: relative sd of ‖e‖² ≈ √(2/d) = 10%, so 100 trials pin the mean to ~1%
  const verdict = judge('d=200 T=1000', report, Infinity, DELTA); // 3 events of K
  assert.ok(verdict.pass, verdict.failures.join('; '));
});
