/**
 * The numbers `collapse linear` reports beside the error table: what the trace line is (ridge, random design, T < d + 2),
 * which rows may carry z, z|X and a 95% interval (infinite variance for T ≤ d + 3), and which noise levels the
 * arithmetic resolves. No statistical checks here: every assertion is exact or deterministic (fixed seeds).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { infiniteVarianceReason, leastResolvedNoise, runLinear, validateLinearConfig, type LinearConfig } from '../../../src/experiments/linear.js';
import { builtInCases, judge } from '../../../src/experiments/verify.js';
import { sharedBackend } from '../../helpers/backend.js';

const backend = sharedBackend();
const base: LinearConfig = { strategy: 'accumulate', dim: 6, samples: 20, noise: 0.8, iterations: 3, trials: 300, seed: 5, method: 'full', backend: 'auto' };

test('--ridge: the trace line is tr((XᵀX + λI)⁻¹), with no theory (not d/(T−d−1), which is tr((XᵀX)⁻¹)\'s)', async () => {
  for (const method of ['full', 'reduced'] as const) {
    const report = await runLinear({ ...base, method, ridge: 5 }, { backend: backend() });
    const trace = report.traceGramInverse!;
    assert.match(trace.quantity, /λI/);
    assert.equal(trace.theory, null);
    // (XᵀX + λI)⁻¹ ≤ I/λ: every trial's trace is below d/λ, so the mean is too; d/(T−d−1) is not a bound of it
    assert.ok(trace.mean < base.dim / 5, `${method}: ${trace.mean}`);
  }
});

test('--design random with --samples0 ≠ --samples: the trace is the real data\'s, so its theory is d/(T0−d−1)', async () => {
  const report = await runLinear({ ...base, strategy: 'replace', design: 'random', dim: 4, samples: 12, samples0: 30, noise0: 2 }, { backend: backend() });
  const trace = report.traceGramInverse!;
  assert.equal(trace.theory, 4 / (30 - 4 - 1));
  assert.equal(trace.quantity, 'tr((XᵀX)⁻¹)');
});

test('T ≤ d + 3: z, z|X and ci95 are null with a reason; T = d + 4 keeps them', async () => {
  const infinite = await runLinear({ ...base, dim: 5, samples: 7 }, { backend: backend() });
  assert.match(infinite.noIntervalReason ?? '', /infinite variance/);
  for (const row of infinite.iterations) {
    assert.equal(row.z, null);
    assert.equal(row.zConditional, null);
    assert.equal(row.ci95, null);
    assert.notEqual(row.theory, null, 'the mean is finite for T ≥ d + 2: the theory stays');
  }
  assert.equal(infinite.traceGramInverse!.stderr, null);
  const finite = await runLinear({ ...base, dim: 5, samples: 9 }, { backend: backend() });
  assert.equal(finite.noIntervalReason, null);
  for (const row of finite.iterations) assert.ok(row.z !== null && row.zConditional !== null && row.ci95 !== null);
  // random design: the smaller of T0 and T decides; ridge bounds the inverse, so the variance is finite
  assert.notEqual(infiniteVarianceReason({ ...base, design: 'random', dim: 4, samples: 12, samples0: 7 }), null);
  assert.equal(infiniteVarianceReason({ ...base, dim: 5, samples: 7, ridge: 1 }), null);
  // minimum-norm fits: tr((XXᵀ)⁻¹) with XXᵀ ~ W_T(d): finite variance for d ≥ T + 4 only
  assert.equal(infiniteVarianceReason({ ...base, dim: 32, samples: 20 }), null);
  assert.notEqual(infiniteVarianceReason({ ...base, dim: 32, samples: 30 }), null);
});

test('verify never judges a case of infinite variance by z, and none of its built-in cases is one', async () => {
  const report = await runLinear({ ...base, dim: 5, samples: 7 }, { backend: backend() });
  assert.throws(() => judge('d=5 T=7', report, 6), /infinite variance/);
  for (const c of builtInCases()) {
    if (c.kind === 'linear') assert.equal(infiniteVarianceReason({ ...c.config, trials: 2, seed: 0, backend: 'auto' }), null, c.name);
  }
});

test('T < d + 2: no tr((XᵀX)⁻¹) is reported (singular for T ≤ d, infinite mean at T = d + 1)', async () => {
  const wide = await runLinear({ ...base, dim: 32, samples: 20, iterations: 2, trials: 20 }, { backend: backend() });
  assert.equal(wide.traceGramInverse, null);
  const square = await runLinear({ ...base, dim: 6, samples: 7, iterations: 1, trials: 20 }, { backend: backend() });
  assert.equal(square.traceGramInverse, null);
});

test('noise float32 cannot resolve is refused in one line; the floor is where full refits stop scaling with σ²', async () => {
  const refuse = (raw: Record<string, unknown>, pattern: RegExp) => assert.throws(() => validateLinearConfig(raw), (e: Error) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'));
  refuse({ noise: 1e-300, method: 'reduced', strategy: 'replace', dim: 10, samples: 12, iterations: 5, trials: 2000 }, /float64/);
  refuse({ noise: 1e-30, strategy: 'replace', dim: 10, samples: 12, iterations: 5, trials: 2000 }, /float32/);
  refuse({ design: 'random', noise0: 1e-30, strategy: 'replace', dim: 4, samples: 12, iterations: 2 }, /--noise0/);
  // the reduced method keeps errors in float64: 1e-30 is fine there
  validateLinearConfig({ noise: 1e-30, method: 'reduced', strategy: 'replace', dim: 10, samples: 12, iterations: 5 });
  // the full method's errors scale exactly as σ² (same seed, same draws) down to the floor: the mean of error/σ² at the
  // least accepted σ² stays within 0.2% of σ² = 1's (rounding ≤ 0.1% by construction, plus its spread), and is far off
  // a factor 10⁴ below (which is refused)
  const config = { ...base, strategy: 'replace', dim: 10, samples: 12, iterations: 5, trials: 200 };
  const least = leastResolvedNoise({ dim: 10, samples: 12, iterations: 5, float32Models: true });
  validateLinearConfig({ ...config, noise: least });
  assert.throws(() => validateLinearConfig({ ...config, noise: least * 0.99 }), UsageError);
  const unit = await runLinear({ ...config, noise: 1 }, { backend: backend() });
  const floor = await runLinear({ ...config, noise: least }, { backend: backend() });
  const below = await runLinear({ ...config, noise: least * 1e-4 }, { backend: backend() }); // runLinear does not validate
  for (let n = 0; n < 5; n++) {
    const ratio = floor.iterations[n].mean / least / unit.iterations[n].mean;
    assert.ok(Math.abs(ratio - 1) < 2e-3, `n=${n + 1}: at the floor ${ratio}`);
  }
  const off = below.iterations[4].mean / (least * 1e-4) / unit.iterations[4].mean;
  assert.ok(Math.abs(off - 1) > 2e-2, `a factor 10⁴ below the floor the error no longer scales with σ²: ${off}`);
});
