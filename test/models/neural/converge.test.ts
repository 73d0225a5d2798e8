/**
 * The converge schedule (src/models/neural/converge.ts): the validation split is a disjoint share of each pool part;
 * early stopping stops after `patience` checks without a new best and puts the best weights back; each family
 * (lm, vae, diffusion) fits under it and records where it stopped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldIn, rootKey } from '../../../src/core/rng.js';
import { checkEvery, EarlyStopping, holdOut, weightedLoss } from '../../../src/models/neural/converge.js';
import { createDiffusion } from '../../../src/models/neural/diffusion/index.js';
import { corpusOf } from '../../../src/models/neural/lm/corpus.js';
import { createLm } from '../../../src/models/neural/lm/index.js';
import { loadTf } from '../../../src/models/neural/tf.js';
import { vaeFamily, VAE_QUICK } from '../../../src/models/neural/vae/index.js';

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => i);
const take = (d: number[], rows: readonly number[]) => rows.map((r) => d[r]);

test('holdOut: 10% of every part (at least one row of a part with two), disjoint from the rows trained on, same weights; keyed', async () => {
  const pool = [
    { data: rowsOf(100).map((i) => 1000 + i), weight: 0.5, set: 1 },
    { data: rowsOf(30).map((i) => 2000 + i), weight: 0.5, set: 2 },
    { data: [3000], weight: 0, set: 3 },
  ];
  const { train, validation } = holdOut(pool, rootKey(1), (d) => d.length, take);
  assert.deepEqual(validation.map((p) => [p.data.length, p.weight, p.set]), [[10, 0.5, 1], [3, 0.5, 2]]);
  assert.deepEqual(train.map((p) => [p.data.length, p.weight, p.set]), [[90, 0.5, 1], [27, 0.5, 2], [1, 0, 3]]);
  pool.slice(0, 2).forEach((part, i) => assert.deepEqual([...train[i].data, ...validation[i].data].sort((a, b) => a - b), part.data));
  assert.deepEqual(holdOut(pool, rootKey(1), (d) => d.length, take), { train, validation }, 'the key decides');
  assert.notDeepEqual(holdOut(pool, rootKey(2), (d) => d.length, take).validation, validation);
  assert.equal(await weightedLoss([{ data: [1], weight: 0.25, set: 1 }, { data: [3], weight: 0.75, set: 2 }], async (d) => d[0]), 2.5);
});

test('EarlyStopping: checks every max(10, cap/40) steps, stops after `patience` checks without a new best, restores the best weights', async () => {
  const tf = await loadTf();
  const weights = { w: tf.variable(tf.scalar(0)) };
  const losses = [5, 3, 4, 2, 2.5, 2.1, 9, 1];
  let check = 0;
  const stopper = new EarlyStopping(tf, weights, { kind: 'converge', amount: 400, patience: 3 }, async () => losses[check++]);
  assert.equal(stopper.every, checkEvery(400));
  assert.equal(checkEvery(400), 10);
  assert.equal(checkEvery(4000), 100);
  let stoppedAt = 0;
  for (let step = 1; step <= 400; step++) {
    weights.w.assign(tf.scalar(step));
    if (await stopper.after(step)) {
      stoppedAt = step;
      break;
    }
  }
  // best 2 at the 4th check (step 40); 2.5, 2.1, 9 are three checks without a new best: stop at step 70
  assert.equal(stoppedAt, 70);
  assert.deepEqual(stopper.finish(), { steps: 70, bestStep: 40, bestLoss: 2 });
  assert.equal(weights.w.dataSync()[0], 40, 'the best check\'s weights');
  weights.w.dispose();
});

const NURSERY = corpusOf('nursery', Array.from({ length: 200 }, (_, i) => `the ${['cat', 'dog', 'hen', 'fox'][i % 4]} sat on the ${['mat', 'rug', 'log'][i % 3]}.`));

test('every family fits under converge:<cap>:<patience>: steps ≤ cap, and a fit stopped early stopped patience checks after its best', async () => {
  const tf = await loadTf();
  const schedule = { kind: 'converge' as const, amount: 400, patience: 2 };
  const lm = await createLm({ quick: true, schedule }, { sizes: { context: 16, dModel: 16, layers: 1, heads: 2, batch: 16, samples: 64, testSamples: 32, evalBatch: 32, learningRate: 1e-2 }, corpus: NURSERY });
  const vae = vaeFamily({ ...VAE_QUICK, hidden: 32, latent: 4, batch: 64, schedule, samples: 256, testSamples: 64 });
  const diffusion = await createDiffusion(
    { dim: 57, hidden: 32, layers: 2, timeFeatures: 8, levels: 20, learningRate: 2e-3, batch: 64, samples: 256, testSamples: 64, evalLevels: 4, bondSamples: 16, jitter: 0.05 },
    schedule,
    tf,
  );
  for (const family of [lm, vae, diffusion] as { name: string; real(n: number, k: ReturnType<typeof rootKey>): Promise<unknown>; fit(p: unknown, k: unknown): Promise<{ weights: object }>; evaluate(m: unknown, t: unknown): Promise<Record<string, number>>; dispose(m: unknown): void; settings: Record<string, unknown> }[]) {
    const key = rootKey(3);
    const data = await family.real(Number(family.settings.samples), foldIn(key, 1));
    const model = await family.fit([{ data, weight: 1, set: 1 }], foldIn(key, 2));
    const metrics = await family.evaluate(model, await family.real(32, foldIn(key, 3)));
    assert.ok(metrics.steps >= 1 && metrics.steps <= 400, `${family.name}: ${metrics.steps} steps`);
    assert.ok(metrics.bestStep >= 10 && metrics.bestStep <= metrics.steps, `${family.name}: best ${metrics.bestStep}`);
    if (metrics.steps < 400) assert.equal(metrics.steps - metrics.bestStep, 2 * checkEvery(400), family.name);
    assert.ok(Number.isFinite(metrics.validationLoss) && Number.isFinite(metrics.loss), family.name);
    family.dispose(model);
  }
});
