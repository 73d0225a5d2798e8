/**
 * Conformance (C4): every kernel on every available backend against its float64 reference, at float32 tolerance.
 * An absent backend is a skip with its reason, never a pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillNormal, rootKey } from '../../src/core/rng.js';
import { BACKENDS } from '../../src/kernels/backend.js';
import { backendOrSkip } from '../helpers/backend.js';
import { createLinearKernels, leaseLinearKernels, paddedColumns, padTrialMajor, xtyIndex, type LinearShape } from '../../src/kernels/linear.js';
import { reference } from '../../src/kernels/linear-reference.js';
import { INLINE_MATH } from '../../src/kernels/normal-draw.js';
import { erfc, zStar } from '../../src/core/stats.js';

const shape: LinearShape = { B: 37, T: 23, d: 5 }; // odd sizes: SIMD tails and thread splits

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  fillNormal(out, rootKey(seed));
  return out;
}

/** max |got − want| / (1 + |want|): float32 kernels over sums of ≤ 23 products stay far below 1e-4. */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst;
}

for (const name of BACKENDS) {
  test(`kernels on ${name} match their float64 references`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    const kernels = createLinearKernels(backend, shape);
    const { B, T, d } = shape;
    const X = random(B * T * d, 1);
    const w = random(B * d, 2);
    const noise = random(B * T, 3);
    const y = await kernels.labels(X, w, noise, 0.7);
    assert.ok(maxError(y, reference.labels(X, w, noise, 0.7, shape)) < 1e-5, 'labels');
    // in-kernel noise: σ = 0 gives the deterministic part exactly; the noise itself is tested below
    const clean = await kernels.drawLabels(X, w, 0, 77);
    assert.ok(maxError(clean, reference.labels(X, w, new Float32Array(B * T), 0, shape)) < 1e-5, 'drawLabels, σ = 0');
    const noisy = await kernels.drawLabels(X, w, 2, 77);
    assert.deepEqual(noisy, await kernels.drawLabels(X, w, 2, 77), 'drawLabels: same seed, same labels');
    assert.ok(noisy.every((v, i) => Number.isFinite(v) && v !== clean[i]), 'drawLabels adds noise');
    // xty reads X trial-major padded, y trial-major
    const Xrows = random(B * T * d, 9); // [(trial·T + t)·d + k]
    const yRows = random(B * T, 10); // [trial·T + t]
    const b = await kernels.xty(padTrialMajor(Xrows, B, T, d, T * d), yRows);
    assert.ok(maxError(b, reference.xty(Xrows, yRows, shape)) < 1e-5, 'xty');
    // several y in one call, four per cell: each vector's Xᵀy where xtyIndex says
    for (const vectors of [4, 8]) {
      const Y = random(vectors * B * T, 11 + vectors); // [(s·B + trial)·T + t]
      const quads = await kernels.xtyQuads(padTrialMajor(Xrows, B, T, d, T * d), Y, vectors);
      for (let s = 0; s < vectors; s++) {
        const want = reference.xty(Xrows, Y.subarray(s * B * T, (s + 1) * B * T), shape);
        const got = new Float32Array(B * d).map((_, i) => quads[xtyIndex(paddedColumns(d), vectors, Math.floor(i / d), s, i % d)]);
        assert.ok(maxError(got, want) < 1e-5, `xtyQuads (${vectors} vectors), vector ${s}`);
      }
    }
    // trial-major labels are the same numbers as drawLabels, transposed
    const trialLabels = await kernels.drawTrialLabels(X, w, 2, 77);
    assert.ok(trialLabels.every((v, i) => v === noisy[(i % T) * B + Math.floor(i / T)]), 'drawTrialLabels = drawLabels transposed');
    // the block Gram reads X trial-major, padded to 4⌈d/4⌉ columns (d = 5: 3 zero columns, one partial block)
    const counts = random(B * T, 4).map((v) => Math.floor(Math.abs(v) * 2)); // multiplicities 0, 1, 2, …, [trial·T + t]
    const trialMajor = random(B * (T * d + d), 8); // as the design keeps it: T·d of X, then d of w*, per trial
    const unpadded = new Float32Array(B * T * d);
    for (let tr = 0; tr < B; tr++) unpadded.set(trialMajor.subarray(tr * (T * d + d), tr * (T * d + d) + T * d), tr * T * d);
    const gram = await kernels.weightedGram(padTrialMajor(trialMajor, B, T, d, T * d + d), counts);
    assert.ok(maxError(gram, reference.weightedGram(unpadded, counts, shape)) < 1e-5, 'weightedGram');
    assert.ok(!kernels.kernelClasses().some((c) => name !== 'cpu' && c.startsWith('CPU')), `a kernel degraded to cpu: ${kernels.kernelClasses()}`);
  });

  test(`normal draws on ${name}: same seed same stream, new seed new stream, moments and KS against N(0,1) (family rate 1e-6)`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    const kernels = createLinearKernels(backend, { B: 1000, T: 200, d: 1 });
    const rows = 200;
    const zeros = { X: new Float32Array(1000 * rows), w: new Float32Array(1000) };
    // both in-kernel noise sources: the normals kernel, and the labels kernel with X = 0 (which leaves σ·ξ)
    const sources: Record<string, (seed: number) => Promise<Float32Array>> = { normals: (seed) => kernels.normals(rows, seed) };
    if (backend.inKernelRandom) sources.labels = (seed) => kernels.drawLabels(zeros.X, zeros.w, 1, seed);
    // per source: 4 moment checks and one Kolmogorov–Smirnov test, plus 2 checks of the Box–Muller pairs; the file's
    // 1e-6 split evenly between the z checks and the KS tests
    const bound = zStar(4 * Object.keys(sources).length + 2, 5e-7);
    const ksBound = Math.sqrt(Math.log((2 * Object.keys(sources).length) / 5e-7) / 2); // P(√n·D > x) ≤ 2e^(−2x²)
    for (const [source, draw] of Object.entries(sources)) {
      const a = await draw(12345);
      assert.deepEqual(a, await draw(12345), `${source}: same seed, same stream`);
      assert.notDeepEqual(a, await draw(54321), `${source}: another seed, another stream`);
      // 200,000 draws: mean ~ N(0, 1/n), variance − 1 ~ N(0, 2/n), third moment ~ N(0, 15/n), lag-1 product ~ N(0, 1/n)
      const n = a.length;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let lag = 0;
      for (let i = 0; i < n; i++) {
        s1 += a[i];
        s2 += a[i] * a[i];
        s3 += a[i] ** 3;
        if (i > 0) lag += a[i] * a[i - 1]; // neighbouring trials (and neighbouring rows at row ends)
      }
      const zs = { mean: s1 / Math.sqrt(n), variance: (s2 / n - 1) / Math.sqrt(2 / n), skew: s3 / n / Math.sqrt(15 / n), lag: lag / (n - 1) / Math.sqrt(1 / (n - 1)) };
      for (const [label, z] of Object.entries(zs)) assert.ok(Math.abs(z) < bound, `${source} ${label}: z = ${z}`);
      const sorted = Float64Array.from(a).sort();
      let d = 0;
      sorted.forEach((x, i) => {
        const f = 0.5 * erfc(-x / Math.SQRT2);
        d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
      });
      assert.ok(d * Math.sqrt(n) < ksBound, `${source}: KS √n·D = ${d * Math.sqrt(n)} against N(0, 1)`);
    }
    // the two halves of a Box–Muller pair (draws 2i and 2i + 1 of the trial-major stream) are independent: E[z₀z₁] = 0
    // with variance 1 per pair, E[z₀²z₁²] = 1 with variance E[z⁴]² − 1 = 8
    const pairs = await kernels.trialNormals(rows, 12345);
    const m = pairs.length / 2;
    let product = 0;
    let squares = 0;
    for (let i = 0; i < m; i++) {
      product += pairs[2 * i] * pairs[2 * i + 1];
      squares += pairs[2 * i] ** 2 * pairs[2 * i + 1] ** 2;
    }
    assert.ok(Math.abs(product / Math.sqrt(m)) < bound, `pairs: E[z₀z₁] z = ${product / Math.sqrt(m)}`);
    assert.ok(Math.abs((squares / m - 1) / Math.sqrt(8 / m)) < bound, `pairs: E[z₀²z₁²] z = ${(squares / m - 1) / Math.sqrt(8 / m)}`);
  });
}

test('the shape cache keeps the kernels a run holds, however many shapes come after, and evicts them once returned', async (t) => {
  const backend = await backendOrSkip('cpu', t);
  if (!backend) return;
  const held = leaseLinearKernels(backend, { B: 8, T: 5, d: 2 });
  const others = [3, 4, 5, 6, 7, 8].map((d) => leaseLinearKernels(backend, { B: 8, T: 20, d }));
  others.forEach((lease) => lease.done());
  const again = leaseLinearKernels(backend, { B: 8, T: 5, d: 2 });
  assert.equal(again.kernels, held.kernels, 'a held shape is never evicted');
  assert.deepEqual(await held.kernels.trialNormals(5, rootKey(9)), await createLinearKernels(backend, { B: 8, T: 5, d: 2 }).trialNormals(5, rootKey(9)));
  held.done();
  again.done();
  [3, 4, 5, 6, 7].map((d) => leaseLinearKernels(backend, { B: 8, T: 40, d })).forEach((lease) => lease.done());
  const fresh = leaseLinearKernels(backend, { B: 8, T: 5, d: 2 });
  assert.notEqual(fresh.kernels, held.kernels, 'returned and least recently used: evicted');
  fresh.done();
});

for (const name of BACKENDS) {
  test(`concurrent seeded calls on ${name} draw what the same calls made one at a time draw (calls queue; each runs with its own seed)`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    const kernels = createLinearKernels(backend, { B: 64, T: 9, d: 3 });
    const seeds = [rootKey(1), rootKey(2), rootKey(3), rootKey(4)];
    const alone: Float32Array[] = [];
    const before = { ...backend.activity };
    for (const seed of seeds) alone.push(await kernels.trialNormals(9, seed));
    // the backend's meter counts every kernel call (the cpu backend draws on the host: no kernel calls)
    assert.equal(backend.activity.calls - before.calls, backend.inKernelRandom ? seeds.length : 0);
    if (backend.inKernelRandom) assert.ok(backend.activity.busyMs > before.busyMs);
    const together = await Promise.all(seeds.map((seed, i) => kernels.trialNormals(9, seed, i % 2 ? 64 : 0)));
    const shifted = await Promise.all([kernels.trialNormals(9, seeds[1], 64), kernels.trialNormals(9, seeds[3], 64)]);
    assert.deepEqual(together[0], alone[0]);
    assert.deepEqual(together[2], alone[2]);
    assert.deepEqual(together[1], shifted[0]);
    assert.deepEqual(together[3], shifted[1]);
    assert.notDeepEqual(together[0], together[2]);
    kernels.release();
  });
}

for (const name of BACKENDS) {
  test(`the in-kernel ln u, cos 2πv and sin 2πv on ${name} agree with Math.log, Math.cos and Math.sin over their whole domain`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    // u: PCG's float32 uniforms, so 1 − u ∈ [2⁻²⁴, 1]; a log-spaced grid over every binade plus a dense grid near 1
    const n = 40_000;
    const U = new Float32Array(n).map((_, i) => (i < n / 2 ? 2 ** (-24 + (24 * i) / (n / 2 - 1)) : 0.5 + (0.5 * (i - n / 2)) / (n / 2 - 1)));
    const V = new Float32Array(n).map((_, i) => i / n);
    const log = backend.createKernel(`function(U) { let u = U[this.thread.x];${INLINE_MATH.log}\n  return logU; }`, { output: [n] });
    const sinCos = backend.createKernel(`function(V) { let v = V[this.thread.x];${INLINE_MATH.sinCos}\n  return [cosine, sine]; }`, { output: [n], returnType: 'Array(2)' });
    const logs = await log(U);
    const pairs = await sinCos(V); // [2i]: cos, [2i + 1]: sin
    // float32: a few units in the last place of the result (ln's absolute error near u = 1 scales with |ln u|)
    let worstLog = 0;
    let worstCos = 0;
    let worstSin = 0;
    for (let i = 0; i < n; i++) {
      worstLog = Math.max(worstLog, Math.abs(logs[i] - Math.log(U[i])) / (2 ** -23 * Math.max(Math.abs(Math.log(U[i])), 2 ** -10)));
      worstCos = Math.max(worstCos, Math.abs(pairs[2 * i] - Math.cos(2 * Math.PI * V[i])) / 2 ** -23);
      worstSin = Math.max(worstSin, Math.abs(pairs[2 * i + 1] - Math.sin(2 * Math.PI * V[i])) / 2 ** -23);
    }
    assert.ok(worstLog < 8, `ln: worst error ${worstLog} float32 ulps of |ln u|`);
    assert.ok(worstCos < 8, `cos: worst error ${worstCos} float32 ulps of 1`);
    assert.ok(worstSin < 8, `sin: worst error ${worstSin} float32 ulps of 1`);
    log.destroy?.();
    sinCos.destroy?.();
  });
}

for (const name of BACKENDS) {
  test(`random kernels on ${name} draw by global trial: any chunking gives the same numbers (C7)`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    const T = 9;
    const d = 3;
    const wide = createLinearKernels(backend, { B: 13, T, d });
    const narrow = createLinearKernels(backend, { B: 4, T, d });
    const X = random(13 * T * d, 5);
    const w = random(13 * d, 6);
    // trials 6 … 9 of the wide chunk are trials 0 … 3 of a narrow chunk that starts at global trial 6
    const pick = (buffer: Float32Array, B: number, rows: number, from: number, count: number) => {
      const out = new Float32Array(rows * count);
      for (let r = 0; r < rows; r++) for (let tr = 0; tr < count; tr++) out[r * count + tr] = buffer[r * B + from + tr];
      return out;
    };
    // T = 9: a chunk at trial 6 starts on an even draw (54), one at trial 5 on an odd one (45), inside a Box–Muller pair
    assert.deepEqual(await narrow.normals(T, 4242, 6), pick(await wide.normals(T, 4242, 0), 13, T, 6, 4), 'normals');
    assert.deepEqual(await narrow.normals(T, 4242, 5), pick(await wide.normals(T, 4242, 0), 13, T, 5, 4), 'normals, odd start');
    const narrowX = pick(X, 13, T * d, 6, 4);
    const narrowW = pick(w, 13, d, 6, 4);
    assert.deepEqual(await narrow.drawLabels(narrowX, narrowW, 1.5, 99, 6), pick(await wide.drawLabels(X, w, 1.5, 99, 0), 13, T, 6, 4), 'drawLabels');
    const oddX = pick(X, 13, T * d, 5, 4);
    const oddW = pick(w, 13, d, 5, 4);
    assert.deepEqual(await narrow.drawLabels(oddX, oddW, 1.5, 99, 5), pick(await wide.drawLabels(X, w, 1.5, 99, 0), 13, T, 5, 4), 'drawLabels, odd start');
    wide.release();
    narrow.release();
  });
}

for (const name of BACKENDS) {
  test(`xty on ${name} with T = 4403: unrolled loops past gpu.js's 1000-iteration cap for computed bounds stay exact`, async (t) => {
    const backend = await backendOrSkip(name, t);
    if (!backend) return;
    const big: LinearShape = { B: 5, T: 4403, d: 3 };
    const kernels = createLinearKernels(backend, big);
    const X = random(big.B * big.T * big.d, 7);
    const y = random(big.B * big.T, 8);
    // X [(trial·T + t)·d + k], y [trial·T + t]; sums of 4403 float32 products of N(0,1): rounding far below 1e-4·√T
    const got = await kernels.xty(padTrialMajor(X, big.B, big.T, big.d, big.T * big.d), y);
    const want = reference.xty(X, y, big);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4 * Math.sqrt(big.T), `entry ${i}: ${got[i]} vs ${want[i]}`);
    // the four-vector kernel's loop has the same constant bound; vector 2 of four is y
    const Y = new Float32Array(4 * big.B * big.T);
    Y.set(y, 2 * big.B * big.T);
    const quads = await kernels.xtyQuads(padTrialMajor(X, big.B, big.T, big.d, big.T * big.d), Y, 4);
    for (let i = 0; i < want.length; i++) {
      const q = quads[xtyIndex(paddedColumns(big.d), 4, Math.floor(i / big.d), 2, i % big.d)];
      assert.ok(Math.abs(q - want[i]) < 1e-4 * Math.sqrt(big.T), `xtyQuads entry ${i}: ${q} vs ${want[i]}`);
    }
    kernels.release();
  });
}
