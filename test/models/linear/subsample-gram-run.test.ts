/**
 * accumulate-subsample gives the same numbers whichever path runs: the wasm kernel (webasm's default: labels, draws,
 * block Gram, Xᵀu and fits on the workers, X and the labels kept per chunk, chunks in flight together) or the gpu.js
 * kernels and the host, which the run falls back to without a worker pool.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../../src/kernels/backend.js';
import { runLinear, type LinearConfig } from '../../../src/experiments/linear.js';
import { backendOrSkip } from '../../helpers/backend.js';

test('accumulate-subsample: the wasm kernel and the gpu.js kernels with the host give identical runs (several chunks, ridge, minimum-norm fits)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  const withoutWasm: Backend = { ...backend, workerPool: undefined }; // createSubsampleGram needs the pool: gpu.js's Gram runs
  // T ≤ d: every fit minimum-norm; T = d + 2: some subsamples draw fewer than d distinct rows (a failed pivot)
  for (const extra of [{}, { ridge: 0.3 }, { dim: 12, samples: 10 }, { dim: 10, samples: 12 }]) {
    const config: LinearConfig = { strategy: 'accumulate-subsample', dim: 13, samples: 40, noise: 1, iterations: 5, trials: 50, batch: 16, seed: 5, method: 'full', backend: 'webasm', ...extra };
    const wasm = await runLinear(config, { backend });
    const gpujs = await runLinear(config, { backend: withoutWasm });
    assert.deepEqual(wasm.iterations, gpujs.iterations);
  }
});
