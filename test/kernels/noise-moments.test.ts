/**
 * The resident wasm Xᵀy (src/kernels/noise-moments.ts) gives gpu.js's XTY_QUADS numbers bit for bit (the full
 * method's results must not depend on which one ran), keeps X across calls and chunks, and is absent off webasm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillNormal, rootKey } from '../../src/core/rng.js';
import { createLinearKernels, padTrialMajor, type LinearShape } from '../../src/kernels/linear.js';
import type { ResidentXty } from '../../src/kernels/noise-moments.js';
import { unpackDesignGram } from '../../src/kernels/design-gram.js';
import { gram } from '../../src/core/linalg.js';
import { Scratch } from '../../src/core/scratch.js';
import { drawFullDesign } from '../../src/models/linear/design.js';
import { backendOrSkip } from '../helpers/backend.js';

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  fillNormal(out, rootKey(seed));
  return out;
}

/** Entry by entry with Object.is (so 0 and −0 differ), over the features the callers read (k < d). */
function assertSame(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let e = 0; e < want.length; e++) assert.ok(Object.is(got[e], want[e]), `${label} entry ${e}: ${got[e]} ≠ ${want[e]}`);
}

test('the resident wasm Xᵀy equals gpu.js xtyQuads bit for bit, X kept across calls and chunks (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // d not a multiple of 4 (padding lanes), odd T and B (uneven worker ranges), one feature, one trial, d = 32
  const shapes: LinearShape[] = [{ B: 37, T: 23, d: 5 }, { B: 3, T: 101, d: 13 }, { B: 1, T: 9, d: 1 }, { B: 10, T: 64, d: 32 }];
  for (const [i, shape] of shapes.entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    for (const vectors of [4, 8]) {
      const first = kernels.residentXty(vectors);
      assert.ok(first, 'webasm makes the wasm kernel');
      for (const chunk of [0, 1]) {
        // a second chunk gets the instance the first gave back, with its own X
        const resident: ResidentXty | null = chunk === 0 ? first : kernels.residentXty(vectors);
        assert.equal(resident, first, 'a returned instance is reused');
        if (!resident) return;
        const Xpadded = padTrialMajor(random(B * (T * d + d), 10 + 4 * i + chunk), B, T, d, T * d + d);
        resident.load(Xpadded);
        for (const call of [0, 1]) {
          const Y = random(vectors * B * T, 100 * i + 10 * chunk + call + vectors);
          Y[0] = 0; // a zero row and tiny values: products that round or vanish in float32
          Y[1] = 1e-30;
          resident.Y.set(Y);
          const got = Float32Array.from(await resident.project());
          const want = await kernels.xtyQuads(Xpadded, Y, vectors);
          assertSame(got, want, `B=${B} T=${T} d=${d} vectors=${vectors} chunk ${chunk} call ${call}`);
        }
        resident.done();
      }
    }
    kernels.release();
  }
});

test('the resident kernel\'s XᵀX equals core/linalg gram bit for bit (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // d not a multiple of 4, T not a multiple of 4 (the rows after the blocks of four), T < 4, one feature, d = 32
  const shapes: LinearShape[] = [{ B: 37, T: 23, d: 5 }, { B: 3, T: 101, d: 13 }, { B: 2, T: 3, d: 1 }, { B: 5, T: 64, d: 32 }, { B: 4, T: 12, d: 8 }];
  for (const [i, shape] of shapes.entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const resident = kernels.residentXty(8);
    assert.ok(resident, 'webasm makes the wasm kernel');
    const z = random(B * (T * d + d), 300 + i).map((v, e) => v * 10 ** ((e % 7) - 3)); // mixed magnitudes
    padTrialMajor(z, B, T, d, T * d + d, resident.X);
    const got = new Float64Array(B * d * d).fill(Number.NaN);
    unpackDesignGram(await resident.gram(), B, d, 4 * Math.ceil(d / 4), got);
    const want = new Float64Array(d * d);
    for (let tr = 0; tr < B; tr++) {
      gram(z.subarray(tr * (T * d + d), tr * (T * d + d) + T * d), T, d, want);
      for (let e = 0; e < d * d; e++) assert.ok(Object.is(got[tr * d * d + e], want[e]), `B=${B} T=${T} d=${d} trial ${tr} entry ${e}: ${got[tr * d * d + e]} ≠ ${want[e]}`);
    }
    resident.done();
    kernels.release();
  }
});

test('a full design drawn through the resident kernel (X and XᵀX on the pool) equals the host design bit for bit (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  const cases = [{ B: 7, T: 23, d: 5, ridge: 0, spectrum: false }, { B: 3, T: 40, d: 13, ridge: 0.5, spectrum: true }, { B: 4, T: 9, d: 12, ridge: 0, spectrum: false }];
  for (const [i, { B, T, d, ridge, spectrum }] of cases.entries()) {
    const kernels = createLinearKernels(backend, { B, T, d });
    const resident = kernels.residentXty(8);
    assert.ok(resident);
    const s = spectrum ? Float64Array.from({ length: d }, (_, k) => (2 * d * (k + 1)) / (d * (d + 1))) : undefined;
    const seed = 40 + i;
    const fast = await drawFullDesign(kernels, seed, 3, s, ridge, new Scratch(), resident);
    const host = await drawFullDesign(kernels, seed, 3, s, ridge, new Scratch());
    const bits = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (const key of ['Xpadded', 'wStar32', 'gram', 'gramInverse', 'traceGramInverse', 'trialMajor'] as const) {
      assert.deepEqual(bits(fast[key]), bits(host[key]), `B=${B} T=${T} d=${d}: ${key}`);
    }
    resident.done();
    kernels.release();
  }
});

test('resident instances: one per chunk in flight; when none is held one is kept for the next run (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  const kernels = createLinearKernels(backend, { B: 5, T: 7, d: 3 });
  const [a, b] = [kernels.residentXty(8), kernels.residentXty(8)];
  assert.ok(a && b && a !== b, 'two chunks in flight hold two instances');
  a.done();
  assert.equal(kernels.residentXty(8), a, 'a later chunk takes the one given back');
  a.done();
  b.done();
  const kept = kernels.residentXty(8);
  assert.equal(kept, b, 'the run over, the last one given back is kept');
  const fresh = kernels.residentXty(8);
  assert.ok(fresh && fresh !== a && fresh !== b, 'the other was freed');
  kept?.done();
  fresh?.done();
  kernels.release();
});

test('off webasm there is no resident Xᵀy: the full method keeps gpu.js xtyQuads', async (t) => {
  const backend = await backendOrSkip('cpu', t);
  if (!backend) return;
  assert.equal(createLinearKernels(backend, { B: 4, T: 10, d: 3 }).residentXty(8), null);
});
