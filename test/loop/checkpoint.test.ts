/**
 * Trajectory checkpoints (src/loop/checkpoint.ts) with a tiny tfjs family (src/models/neural/toy.ts): a run stopped
 * after generation 1 and resumed from disk gives metrics bit-identical to one never stopped; blobs are content-
 * addressed, written once, pruned; a damaged blob or state is a one-line UsageError; no tensor leaks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { readSealed } from '../../src/core/atomic-file.js';
import { UsageError } from '../../src/core/errors.js';
import { RunStore } from '../../src/core/run-store.js';
import { BLOB_DIR, TrajectoryCheckpoints, verifyStoredTrajectory } from '../../src/loop/checkpoint.js';
import { loopPlan, runTrajectory, type LoopConfig } from '../../src/loop/generation-loop.js';
import type { Metrics } from '../../src/models/model.js';
import type { NeuralModel } from '../../src/models/neural/family.js';
import { decodeWeights, encodeWeights, neuralCodec } from '../../src/experiments/neural.js';
import * as tfModule from '../../src/models/neural/tf.js';
import { createToy } from '../../src/models/neural/toy.js';
import { parseStrategy } from '../../src/strategies/index.js';

const ITERATIONS = 3;
const KEY = 777;
const root = mkdtempSync(join(tmpdir(), 'collapse-checkpoint-'));
let runs = 0;

async function setup(strategy: string) {
  const family = await createToy({ quick: true, samples: 60, testSamples: 200 });
  const config: LoopConfig = { strategy: parseStrategy(strategy), iterations: ITERATIONS, samples: 60, testSamples: 200 };
  return { family, config, plan: loopPlan(config.strategy, ITERATIONS) };
}

function newStore(): RunStore {
  return RunStore.create(join(root, `run-${runs++}`), false, { command: 'neural', config: { test: true }, seed: 0, backend: 'tfjs', backendReason: 'test' });
}

const checkpointState = (store: RunStore) => (readSealed(store.path('checkpoint.json')) as { state: { trajectory: unknown } }).state;

/** Run with a checkpoint after every generation, stopping (as an abort would) after `stopAfter` generations. */
async function runUntil(strategy: string, store: RunStore, stopAfter: number): Promise<Metrics[] | 'stopped'> {
  const { family, config, plan } = await setup(strategy);
  const codec = neuralCodec(family, tfModule);
  const checkpoints = new TrajectoryCheckpoints(store.dir, codec);
  const controller = new AbortController();
  try {
    return await runTrajectory(family, config, KEY, plan, {
      release: (m) => family.dispose(m),
      signal: controller.signal,
      onGeneration: async (state) => {
        await codec.prepare(state.models.values());
        checkpoints.save(store, state, 0);
        if (state.done === stopAfter) controller.abort(new Error('stop'));
      },
    });
  } catch (error) {
    if ((error as Error).message === 'stop') return 'stopped';
    throw error;
  }
}

async function resume(strategy: string, store: RunStore): Promise<Metrics[]> {
  const { family, config, plan } = await setup(strategy);
  const codec = neuralCodec(family, tfModule);
  const checkpoints = new TrajectoryCheckpoints(store.dir, codec);
  const state = checkpoints.load(checkpointState(store).trajectory, store.dir, ITERATIONS);
  return runTrajectory(family, config, KEY, plan, {
    resume: state,
    release: (m) => family.dispose(m),
    onGeneration: async (s) => {
      await codec.prepare(s.models.values());
      checkpoints.save(store, s, 0);
    },
  });
}

for (const strategy of ['replace', 'accumulate']) {
  test(`${strategy}: stopped after generation 1 and resumed from disk = never stopped, bit for bit; no tensor leaks`, async () => {
    const { family, config, plan } = await setup(strategy);
    const before = tf.memory().numTensors;
    const reference = await runTrajectory(family, config, KEY, plan, { release: (m) => family.dispose(m) });
    assert.equal(tf.memory().numTensors, before, 'every model released');
    assert.equal(reference.length, ITERATIONS);
    const store = newStore();
    assert.equal(await runUntil(strategy, store, 1), 'stopped');
    assert.equal((checkpointState(store).trajectory as { done: number }).done, 1);
    const resumed = await resume(strategy, store);
    assert.deepStrictEqual(resumed, reference); // Object.is on every float
    // the comparison can fail: another trajectory key changes every number
    const other = await runTrajectory(family, config, KEY + 1, plan, { release: (m) => family.dispose(m) });
    for (let n = 0; n < ITERATIONS; n++) assert.notEqual(other[n].loss, reference[n].loss);
    assert.equal(tf.memory().numTensors, before, 'no leaks across stop and resume');
    // the sanity of the toy: replace drifts from the real N(1.5, 0.7²), and every loss is a real number
    for (const row of reference) assert.ok(Number.isFinite(row.loss) && row.loss > 0.5 && row.loss < 5, String(row.loss));
    store.release();
  });
}

test('blobs: content-addressed, accumulate writes its real set once, only referenced blobs stay', async () => {
  const store = newStore();
  const metrics = await runUntil('accumulate', store, 0);
  assert.ok(Array.isArray(metrics));
  const stored = checkpointState(store).trajectory as { done: number; sets: { index: number; sha256: string }[]; models: unknown[] };
  // after the last generation accumulate needs no set and no model any more
  assert.equal(stored.done, ITERATIONS);
  assert.deepEqual(readdirSync(join(store.dir, BLOB_DIR)), []);
  const mid = newStore();
  await runUntil('accumulate', mid, 2);
  const midStored = checkpointState(mid).trajectory as { sets: { index: number; sha256: string }[]; models: { index: number }[] };
  assert.deepEqual(midStored.sets.map((r) => r.index), [1, 2], 'sets 1 (real) and 2 (model 1) are read by step 3');
  assert.deepEqual(midStored.models.map((r) => r.index), [2], 'model 2 labels set 3');
  assert.deepEqual(readdirSync(join(mid.dir, BLOB_DIR)).sort(), [...midStored.sets, ...(midStored.models as unknown as { sha256: string }[])].map((r) => `${r.sha256}.bin`).sort());
  store.release();
  mid.release();
});

test('a damaged, missing or mismatched checkpoint is a one-line UsageError naming the directory', async () => {
  const store = newStore();
  await runUntil('replace', store, 1);
  const { family } = await setup('replace');
  const checkpoints = new TrajectoryCheckpoints(store.dir, neuralCodec(family, tfModule));
  const stored = checkpointState(store).trajectory as { sets: { sha256: string }[]; models: { sha256: string }[] };
  const blob = join(store.dir, BLOB_DIR, `${stored.models[0].sha256}.bin`);
  const good = readFileSync(blob);
  const oneLine = (pattern: RegExp) => (error: unknown) => error instanceof UsageError && !error.message.includes('\n') && pattern.test(error.message);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] ^= 1;
  writeFileSync(blob, flipped);
  assert.throws(() => checkpoints.load(checkpointState(store).trajectory, 'DIR', ITERATIONS), oneLine(/^--resume DIR: the checkpoint's model 1 .* is damaged/));
  writeFileSync(blob, good.subarray(0, 10));
  assert.throws(() => checkpoints.load(checkpointState(store).trajectory, 'DIR', ITERATIONS), oneLine(/damaged/));
  assert.deepEqual(stored.sets, [], 'replace needs no data set after generation 1, only model 1');
  rmSync(blob);
  assert.throws(() => checkpoints.load(checkpointState(store).trajectory, 'DIR', ITERATIONS), oneLine(/model 1 .* is missing/));
  writeFileSync(blob, good);
  assert.equal(checkpoints.load(checkpointState(store).trajectory, 'DIR', ITERATIONS).done, 1, 'and loads once whole again');
  for (const bad of [null, [], {}, { done: 0, metrics: [], sets: [], models: [] }, { done: 4, metrics: [{}, {}, {}, {}], sets: [], models: [] }, { done: 1, metrics: [{ loss: 'x' }], sets: [], models: [] }, { done: 1, metrics: [{ loss: 1 }], sets: [{ index: 1, sha256: 'abc', bytes: 1 }], models: [] }]) {
    assert.throws(() => checkpoints.load(bad, 'DIR', ITERATIONS), oneLine(/^--resume DIR: its checkpoint.json does not fit/), JSON.stringify(bad));
  }
  store.release();
});

test('a re-sealed trajectory is range-checked: metrics within ±1e100, models no later than the generations done', async () => {
  const store = newStore();
  await runUntil('replace', store, 1);
  const good = checkpointState(store).trajectory as { done: number; metrics: Metrics[]; sets: unknown[]; models: { index: number }[] };
  assert.equal(verifyStoredTrajectory(store.dir, good, 'DIR', ITERATIONS).done, 1);
  const name = Object.keys(good.metrics[0])[0];
  const edits: [string, Record<string, unknown>][] = [
    ['a metric of 5e303', { metrics: [{ ...good.metrics[0], [name]: 5e303 }] }],
    ['a model fit after the generations done', { models: good.models.map((r) => ({ ...r, index: 2 })) }],
    ['one model twice', { models: [...good.models, ...good.models] }],
    ['generations done > iterations', { done: ITERATIONS + 1, metrics: new Array(ITERATIONS + 1).fill(good.metrics[0]) }],
    ['a metric of -1e150 in generation 2', { done: 2, metrics: [good.metrics[0], { ...good.metrics[0], [name]: -1e150 }] }],
  ];
  for (const [what, edit] of edits) {
    assert.throws(() => verifyStoredTrajectory(store.dir, { ...good, ...edit }, 'DIR', ITERATIONS), (e: unknown) => e instanceof UsageError && /^--resume DIR: its checkpoint.json does not fit the run/.test(e.message), what);
  }
  store.release();
});

test('weights codec: encode → decode is exact, and a short blob is refused', async () => {
  const { family, config, plan } = await setup('replace');
  let model: NeuralModel | undefined;
  await runTrajectory(family, { ...config, iterations: 1 }, KEY, loopPlan(config.strategy, 1), { onModel: (m) => void (model = m) });
  void plan;
  const arrays = await tfModule.weightsToArrays((model as NeuralModel).weights);
  const bytes = encodeWeights(arrays);
  const back = decodeWeights(bytes);
  assert.deepEqual(Object.keys(back), Object.keys(arrays));
  for (const name of Object.keys(arrays)) {
    assert.deepEqual(back[name].shape, arrays[name].shape);
    assert.deepEqual(Array.from(back[name].values), Array.from(arrays[name].values));
  }
  assert.throws(() => decodeWeights(bytes.subarray(0, bytes.length - 4)), /past the end/);
  family.dispose(model as NeuralModel);
});
