/**
 * The hand-written wasm block Gram (src/kernels/subsample-gram.ts) gives the gpu.js block Gram's numbers bit for bit
 * (the subsample method's results must not depend on which one ran), and is absent off webasm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctSampler, fillNormal, foldIn, KeyedGenerator, rootKey } from '../../src/core/rng.js';
import { createLinearKernels, padTrialMajor, toTrialFastest, type LinearShape } from '../../src/kernels/linear.js';
import { createSubsampleGram } from '../../src/kernels/subsample-gram.js';
import { choleskyInPlace, choleskySolve } from '../../src/core/linalg.js';
import { minimumNorm, MinimumNormWork } from '../../src/models/linear/subsample.js';
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

test('the wasm fit equals the host fit bit for bit: Xᵀu, the ridge, the Cholesky factor, the solves and the failed pivots (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // odd and even d (the factor's odd first columns and pairs), d ≥ 9 (its blocks of eight), odd T (XTY's odd row),
  // B below the pool's size, trials with fewer distinct rows than d (a pivot fails: status 0)
  const shapes: LinearShape[] = [{ B: 9, T: 31, d: 5 }, { B: 4, T: 40, d: 13 }, { B: 1, T: 7, d: 1 }, { B: 6, T: 101, d: 32 }, { B: 3, T: 30, d: 18 }];
  let failures = 0;
  for (const [i, shape] of shapes.entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const fast = createSubsampleGram(backend, shape);
    assert.ok(fast, 'webasm makes the wasm kernel');
    const Xpadded = padTrialMajor(random(B * (T * d + d), 40 + i), B, T, d, T * d + d);
    fast.load(Xpadded);
    for (const [ridge, seed] of [[0, 1], [0.75, 2], [0, 3]] as const) {
      const c = counts(B * T, 60 + 3 * i + seed);
      if (seed === 3) for (let tr = 0; tr < B; tr += 2) for (let t = Math.min(d - 1, T); t < T; t++) c[tr * T + t] = 0; // < d rows
      const u = random(B * T, 80 + 3 * i + seed);
      fast.counts.set(c);
      fast.summed.set(u);
      const fitted = await fast.fit({ ridge, pivotFloor: 1e-5 });
      const solutions: Float64Array = fitted.solutions;
      const solved: Int32Array = fitted.solved;
      const gram = await kernels.weightedGram(Xpadded, c);
      const rhs = await kernels.xty(Xpadded, u);
      const dp = 4 * Math.ceil(d / 4);
      for (let tr = 0; tr < B; tr++) {
        const lower = gram.slice(tr * d * d, (tr + 1) * d * d);
        let largest = 0;
        for (let j = 0; j < d; j++) largest = Math.max(largest, (lower[j * d + j] += ridge));
        const ok = choleskyInPlace(lower, d, 1e-5 * largest);
        assert.equal(solved[tr] === 1, ok, `B=${B} T=${T} d=${d} ridge=${ridge} trial ${tr}: status`);
        if (!ok) {
          failures++;
          continue;
        }
        const want = Float64Array.from(rhs.subarray(tr * d, (tr + 1) * d));
        choleskySolve(lower, d, want);
        for (let j = 0; j < d; j++) assert.ok(Object.is(solutions[tr * dp + j], want[j]), `B=${B} T=${T} d=${d} ridge=${ridge} trial ${tr} entry ${j}: ${solutions[tr * dp + j]} ≠ ${want[j]}`);
      }
    }
    fast.release();
    kernels.release();
  }
  assert.ok(failures > 0, 'some trials had fewer distinct rows than d');
});

test('the wasm labels equal the gpu.js labels with their in-kernel noise bit for bit (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // T not a multiple of 4 (a trial's last rows alone), B odd (a worker's range ends inside a block), chunks that do
  // not start at trial 0 (the stream's offset), σ that float32 rounds
  const shapes: LinearShape[] = [{ B: 7, T: 31, d: 5 }, { B: 4, T: 40, d: 13 }, { B: 1, T: 7, d: 1 }, { B: 5, T: 102, d: 32 }];
  for (const [i, shape] of shapes.entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const fast = createSubsampleGram(backend, shape, 3);
    assert.ok(fast, 'webasm makes the wasm kernel');
    const trialMajor = random(B * (T * d + d), 70 + i);
    fast.load(padTrialMajor(trialMajor, B, T, d, T * d + d));
    const X = toTrialFastest(trialMajor, B, T * d + d).subarray(0, T * d * B);
    for (const [sigma, seed, first] of [[Math.sqrt(0.1), 11, 0], [1, 12, 3], [Math.sqrt(10), 13, 17]] as const) {
      const w = random(B * d, 90 + seed + i);
      const want = await kernels.drawTrialLabels(X, w, sigma, seed, first);
      const got: Float32Array = await fast.labels(w, sigma, (z) => kernels.trialNormals(T, seed, first, z));
      assert.equal(got.length, B * T);
      for (let e = 0; e < want.length; e++) assert.ok(Object.is(got[e], want[e]), `B=${B} T=${T} d=${d} σ=${sigma} first=${first} label ${e}: ${got[e]} ≠ ${want[e]}`);
    }
    fast.release();
    kernels.release();
  }
});

test('the wasm draw equals the host draw bit for bit: the same rows, multiplicities and float32 label sums (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  for (const [i, shape] of ([{ B: 7, T: 31, d: 5 }, { B: 3, T: 100, d: 2 }, { B: 1, T: 9, d: 1 }] as LinearShape[]).entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const sets = 5;
    const fast = createSubsampleGram(backend, shape, sets);
    assert.ok(fast, 'webasm makes the wasm kernel');
    const trialMajor = random(B * (T * d + d), 100 + i);
    fast.load(padTrialMajor(trialMajor, B, T, d, T * d + d));
    const labels: Float32Array[] = [];
    for (let s = 0; s < sets; s++) labels.push((await fast.labels(random(B * d, 110 + s), 0.7, (z) => kernels.trialNormals(T, 120 + s, 0, z))).slice());
    // pools as the strategies make them (one set, all, a gap), and repeated draws (each a fresh Floyd stamp)
    for (const [g, pool] of [[0], [0, 1, 2, 3, 4], [1, 3, 4], [0, 1, 2, 3, 4]].entries()) {
      const key = (tr: number) => foldIn(foldIn(rootKey(9), g), 5 + tr);
      await fast.fit({ ridge: 0, pivotFloor: 1e-5, pool, keys: key, solve: false });
      const sampler = new DistinctSampler();
      for (let tr = 0; tr < B; tr++) {
        const counts = new Float32Array(T);
        const summed = new Float32Array(T);
        for (const index of sampler.draw(pool.length * T, T, new KeyedGenerator(key(tr)))) {
          const row = index % T;
          counts[row] += 1;
          summed[row] += labels[pool[(index - row) / T]][tr * T + row];
        }
        for (let row = 0; row < T; row++) {
          assert.equal(fast.counts[tr * T + row], counts[row], `B=${B} T=${T} pool ${pool} trial ${tr} row ${row}: count`);
          assert.ok(Object.is(fast.summed[tr * T + row], summed[row]), `B=${B} T=${T} pool ${pool} trial ${tr} row ${row}: ${fast.summed[tr * T + row]} ≠ ${summed[row]}`);
        }
      }
    }
    await assert.rejects(fast.fit({ ridge: 0, pivotFloor: 1e-5, pool: [sets], keys: () => 1 }), /not stored/);
    await assert.rejects(fast.labels(random(B * d, 1), 1, (z) => kernels.trialNormals(T, 1, 0, z)), /all used/);
    fast.release();
    kernels.release();
  }
});

test('the wasm minimum-norm fit equals the host one bit for bit, where T ≤ d and where a Gram pivot fails (webasm)', async (t) => {
  const backend = await backendOrSkip('webasm', t);
  if (!backend) return;
  // T ≤ d (every fit), T just above d (fewer than d distinct rows: the Gram fails, then the minimum norm), odd d
  for (const [i, shape] of ([{ B: 6, T: 9, d: 12 }, { B: 5, T: 14, d: 11 }, { B: 3, T: 4, d: 5 }, { B: 4, T: 33, d: 30 }] as LinearShape[]).entries()) {
    const { B, T, d } = shape;
    const kernels = createLinearKernels(backend, shape);
    const fast = createSubsampleGram(backend, shape, 3);
    assert.ok(fast, 'webasm makes the wasm kernel');
    const trialMajor = random(B * (T * d + d), 130 + i);
    fast.load(padTrialMajor(trialMajor, B, T, d, T * d + d));
    for (let s = 0; s < 3; s++) await fast.labels(random(B * d, 140 + s), 0.5, (z) => kernels.trialNormals(T, 150 + s, 0, z));
    const work = new MinimumNormWork(T, d);
    const want = new Float64Array(d);
    let minimumNorms = 0;
    for (const g of [1, 2]) {
      const keys = (tr: number) => foldIn(foldIn(rootKey(11), g), tr);
      const fitted = await fast.fit({ ridge: 0, pivotFloor: 1e-5, pool: [0, 1, 2], keys, solve: T > d });
      const solved: Int32Array = fitted.solved;
      const dp = 4 * Math.ceil(d / 4);
      for (let tr = 0; tr < B; tr++) {
        if (solved[tr] !== 2) continue;
        minimumNorms++;
        minimumNorm(trialMajor, T * d + d, fast.counts, fast.summed, T, d, tr, want, work);
        for (let k = 0; k < d; k++) assert.ok(Object.is(fitted.solutions[tr * dp + k], want[k]), `B=${B} T=${T} d=${d} trial ${tr} entry ${k}: ${fitted.solutions[tr * dp + k]} ≠ ${want[k]}`);
      }
    }
    // every fit where T ≤ d; some where the Gram fails
    if (T <= d) assert.equal(minimumNorms, 2 * B, `B=${B} T=${T} d=${d}: minimum-norm fits on the workers`);
    else assert.ok(minimumNorms > 0, `B=${B} T=${T} d=${d}: no minimum-norm fit on the workers`);
    fast.release();
    kernels.release();
  }
});

test('off webasm there is no wasm block Gram: the caller keeps the gpu.js kernel', async (t) => {
  const backend = await backendOrSkip('cpu', t);
  if (!backend) return;
  assert.equal(createSubsampleGram(backend, { B: 4, T: 10, d: 3 }), null);
});
