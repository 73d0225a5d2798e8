import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { arraysToWeights, disposeWeights, isMatMulPatched, loadTf, seedOf, unpatchWasmMatMul, weightsToArrays } from '../../../src/models/neural/tf.js';
import { rootKey } from '../../../src/core/rng.js';

test('the patched wasm BatchMatMul equals the unpatched tfjs kernel bit for bit, for every transpose combination', async () => {
  await loadTf('wasm');
  assert.equal(isMatMulPatched(), true);
  const a = tf.randomNormal([3, 17, 9], 0, 1, 'float32', 1);
  const b = tf.randomNormal([3, 17, 9], 0, 1, 'float32', 2);
  const products = () =>
    [[false, true], [true, false], [false, false], [true, true]].map(([ta, tb]) => {
      const x = ta ? tf.transpose(a, [0, 2, 1]) : a; // shapes so that op(x)·op(y) is [3,17,17]
      const y = tb ? b : tf.transpose(b, [0, 2, 1]);
      return Array.from(tf.matMul(x, y, ta, tb).dataSync());
    });
  const withPatch = products();
  unpatchWasmMatMul();
  try {
    assert.equal(isMatMulPatched(), false);
    assert.deepEqual(withPatch, products());
  } finally {
    await loadTf('wasm');
  }
  assert.equal(isMatMulPatched(), true);
});

test('the patch gives the same bits as the cpu backend gradient of a matMul chain, up to float32 rounding', async () => {
  const run = async (backend: 'wasm' | 'cpu') => {
    await loadTf(backend);
    const w = tf.variable(tf.randomNormal([8, 5], 0, 1, 'float32', 3));
    const x = tf.randomNormal([16, 8], 0, 1, 'float32', 4);
    const g = tf.grad((v: tf.Tensor) => tf.matMul(x, v).square().sum())(w);
    const out = g.dataSync().slice();
    w.dispose();
    return out;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  await loadTf('wasm');
  for (let i = 0; i < wasm.length; i++) assert.ok(Math.abs(wasm[i] - cpu[i]) <= 1e-4 * (1 + Math.abs(cpu[i])), `entry ${i}: ${wasm[i]} vs ${cpu[i]}`);
});

test('seedOf is a pure function of the key and index, and weights round-trip through arrays', async () => {
  const key = rootKey(7);
  assert.equal(seedOf(key, 3), seedOf(key, 3));
  assert.notEqual(seedOf(key, 3), seedOf(key, 4));
  await loadTf('wasm');
  const weights = { w: tf.variable(tf.tensor([[1, 2], [3, 4]])) };
  const back = arraysToWeights(await weightsToArrays(weights));
  assert.deepEqual(Array.from(back.w.dataSync()), [1, 2, 3, 4]);
  assert.deepEqual(back.w.shape, [2, 2]);
  disposeWeights(weights);
  disposeWeights(back);
});
