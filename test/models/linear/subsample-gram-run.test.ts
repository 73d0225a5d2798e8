/**
 * accumulate-subsample gives the same numbers whichever block Gram runs: the wasm kernel (webasm's default, X loaded
 * once per chunk, chunks in flight together) or gpu.js's, which the run falls back to without a worker pool.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../../src/kernels/backend.js';
import { runLinear, type LinearConfig } from '../../../src/experiments/linear.js';
import { backendOrSkip } from '../../helpers/backend.js';

test('accumulate-subsample: wasm block Gram and gpu.js block Gram give identical runs (several chunks, ridge too)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  const withoutWasm: Backend = { ...backend, workerPool: undefined }; // createSubsampleGram needs the pool: gpu.js's Gram runs
  for (const extra of [{}, { ridge: 0.3 }]) {
    const config: LinearConfig = { strategy: 'accumulate-subsample', dim: 13, samples: 40, noise: 1, iterations: 5, trials: 50, batch: 16, seed: 5, method: 'full', backend: 'webasm', ...extra };
    const wasm = await runLinear(config, { backend });
    const gpujs = await runLinear(config, { backend: withoutWasm });
    assert.deepEqual(wasm.iterations, gpujs.iterations);
  }
});
