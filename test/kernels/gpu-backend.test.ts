/**
 * webasm's worker threads: one pool per backend, shared by its kernels (gpu-backend.ts), instead of gpu.js's pool per
 * kernel. Counts the threads started, and checks that kernels made after others were released draw the same numbers
 * (whole runs against the previous build: the Monte Carlo's reproducibility tests).
 */
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { test } from 'node:test';
import worker_threads from 'node:worker_threads';
import { createLinearKernels } from '../../src/kernels/linear.js';
import { backendOrSkip } from '../helpers/backend.js';

test('webasm: all kernels of a backend run on one pool of threads (one per core), and a destroyed kernel leaves it working', async (t) => {
  const Original = worker_threads.Worker;
  let started = 0;
  // gpu.js reads worker_threads.Worker when it starts a thread: count them
  (worker_threads as { Worker: unknown }).Worker = class extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      started++;
    }
  };
  try {
    const backend = await backendOrSkip('webasm', t);
    if (!backend) return;
    const B = 8192; // above gpu.js's 4,096 cells per thread, so every kernel call spreads over the threads
    const kernels = createLinearKernels(backend, { B, T: 4, d: 2 });
    const a = await kernels.trialNormals(4, 11);
    const b = await kernels.trialNormals(6, 12); // a second kernel (another row count)
    const c = await kernels.trialNormals(2, 13); // and a third
    assert.ok(a.length === 4 * B && b.length === 6 * B && c.length === 2 * B);
    // gpu.js alone starts a pool per kernel: 3 × cores threads here
    assert.ok(started <= cpus().length, `${started} threads started for 3 kernels on ${cpus().length} cores`);
    // releasing one shape's kernels frees their entries but keeps the shared threads for the next kernels
    kernels.release();
    const again = createLinearKernels(backend, { B, T: 4, d: 2 });
    const a2 = await again.trialNormals(4, 11);
    assert.deepEqual(a2, a, 'the same seed draws the same numbers after the release');
    assert.ok(started <= cpus().length, `${started} threads after the release`);
    again.release();
  } finally {
    (worker_threads as { Worker: unknown }).Worker = Original;
  }
});
