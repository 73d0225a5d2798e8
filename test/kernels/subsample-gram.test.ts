/**
 * The hand-written wasm block Gram (src/kernels/subsample-gram.ts) gives the gpu.js block Gram's numbers bit for bit
 * (the subsample method's results must not depend on which one ran), and is absent off webasm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillNormal, rootKey } from '../../src/core/rng.js';
import { createLinearKernels, padTrialMajor, type LinearShape } from '../../src/kernels/linear.js';
import { createSubsampleGram } from '../../src/kernels/subsample-gram.js';
import { backendOrSkip } from '../helpers/backend.js';

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  fillNormal(out, rootKey(seed));
  return out;
}

/** Multiplicities as a subsample makes them: 0 (not drawn, skipped), 1, 2, 3, and the odd large one. */
function counts(n: number, seed: number): Float32Array {
  const u = random(n, seed);
  return u.map((z) => (z < -0.35 ? 0 : z < 0.35 ? 1 : z < 1.2 ? 2 : z < 2.3 ? 3 : 17));
}

test('the wasm block Gram equals the gpu.js block Gram bit for bit (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // d not a multiple of 4 (padding lanes), odd T and B (uneven worker ranges), a 1-feature and a one-trial shape
  const shapes: LinearShape[] = [{ B: 37, T: 23, d: 5 }, { B: 3, T: 101, d: 13 }, { B: 1, T: 9, d: 1 }, { B: 10, T: 64, d: 32 }];
  for (const [i, shape] of shapes.entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const fast = createSubsampleGram(backend, shape);
    assert.ok(fast, 'webasm makes the wasm kernel');
    const Xpadded = padTrialMajor(random(B * (T * d + d), 10 + i), B, T, d, T * d + d);
    fast.load(Xpadded);
    for (const seed of [1, 2]) {
      const c = counts(B * T, 20 + 2 * i + seed);
      const want = await kernels.weightedGram(Xpadded, c);
      const got = await fast.gram(c, new Float64Array(B * d * d).fill(Number.NaN));
      for (let e = 0; e < want.length; e++) assert.ok(Object.is(got[e], want[e]), `B=${B} T=${T} d=${d} entry ${e}: ${got[e]} ≠ ${want[e]}`);
    }
    // calls made together queue, each with its own weights
    const [c1, c2] = [counts(B * T, 90 + i), counts(B * T, 95 + i)];
    const [g1, g2] = await Promise.all([fast.gram(c1, new Float64Array(B * d * d)), fast.gram(c2, new Float64Array(B * d * d))]);
    assert.deepEqual(g1, await kernels.weightedGram(Xpadded, c1));
    assert.deepEqual(g2, await kernels.weightedGram(Xpadded, c2));
    fast.release();
    kernels.release();
  }
});

test('off webasm there is no wasm block Gram: the caller keeps the gpu.js kernel', async (t) => {
  const backend = await backendOrSkip('cpu', t);
  if (!backend) return;
  assert.equal(createSubsampleGram(backend, { B: 4, T: 10, d: 3 }), null);
});
