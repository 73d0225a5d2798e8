/**
 * The GPU path (issue 6): the same Monte Carlo on webgpu and on webasm. Both draw from the same seeded PCG with the
 * same float32 Box–Muller, so the draws are identical and the runs agree to float32 rounding — a far sharper check
 * than two samples agreeing statistically. Runs where a WebGPU adapter answers (a GPU, or Mesa's lavapipe in
 * software); skipped with the reason elsewhere, as in CI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendOrSkip } from '../../helpers/backend.js';
import { createLinearKernels } from '../../../src/kernels/linear.js';
import { runLinear, type LinearConfig } from '../../../src/experiments/linear.js';

test('webgpu draws exactly the normals webasm draws (same seed, same cells)', async (t) => {
  const gpu = await backendOrSkip('webgpu', t);
  const wasm = gpu && (await backendOrSkip('webasm', t));
  if (!gpu || !wasm) return;
  const shape = { B: 37, T: 29, d: 3 };
  const a = await createLinearKernels(gpu, shape).trialNormals(29, 1234, 5);
  const b = await createLinearKernels(wasm, shape).trialNormals(29, 1234, 5);
  assert.deepEqual(a, b);
});

const CASES: Partial<LinearConfig>[] = [
  { strategy: 'accumulate', method: 'full' },
  { strategy: 'replace', method: 'reduced' },
  { strategy: 'accumulate-subsample', method: 'full' },
  { strategy: 'accumulate', method: 'full', design: 'random' },
];

for (const c of CASES) {
  test(`${c.strategy} ${c.method}${c.design ? ` (${c.design} design)` : ''}: webgpu and webasm agree to float32 rounding at every iteration`, async (t) => {
    const gpu = await backendOrSkip('webgpu', t);
    const wasm = gpu && (await backendOrSkip('webasm', t));
    if (!gpu || !wasm) return;
    const config = { dim: 5, samples: 23, noise: 1.5, iterations: 5, trials: 301, seed: 3, backend: 'auto', ...c } as LinearConfig;
    const [onGpu, onWasm] = [await runLinear(config, { backend: gpu }), await runLinear(config, { backend: wasm })];
    for (const [i, row] of onWasm.iterations.entries()) {
      // same draws, same per-cell sums: bit-identical on lavapipe; a GPU may contract to fused multiply-adds, ~1e-7
      // relative per operation, far below 1e-5; a wrong kernel is off by O(1)
      const other = onGpu.iterations[i].mean;
      assert.ok(Math.abs(other - row.mean) <= 1e-5 * row.mean, `n=${row.iteration}: webgpu ${other} vs webasm ${row.mean}`);
    }
  });
}
