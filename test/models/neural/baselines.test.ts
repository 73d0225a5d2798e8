/**
 * Baselines printed beside the neural families' test losses: the LM's character n-grams and the VAE's independent
 * pixels on hand-computed cases (exact rationals), and the diffusion's isotropic-Gaussian denoiser and floor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootKey } from '../../../src/core/rng.js';
import { createDiffusion } from '../../../src/models/neural/diffusion/index.js';
import { ngramLosses } from '../../../src/models/neural/lm/ngram.js';
import { loadTf } from '../../../src/models/neural/tf.js';
import { independentPixelNll } from '../../../src/models/neural/vae/index.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-14 * Math.abs(b), `${a} vs ${b}`);

test('n-grams: add-one unigram, Witten–Bell bigram and trigram, by hand on two windows of a 3-symbol alphabet', () => {
  const train = { items: 2, length: 3, tokens: Uint8Array.from([0, 1, 2, 0, 1, 1]) };
  const test = { items: 1, length: 3, tokens: Uint8Array.from([0, 1, 2]) };
  const { unigram, bigram, trigram } = ngramLosses(train, test, 3);
  // unigram (n+1)/(4+3): p(1) = 4/7, p(2) = 2/7; bigram p(1|0) = (2 + 1·4/7)/3 = 6/7, p(2|1) = (1 + 2·2/7)/4 = 11/28;
  // trigram p(2|0,1) = (1 + 2·11/28)/4 = 25/56 (its first position has one character of context: the bigram's 6/7)
  close(unigram, -(Math.log(4 / 7) + Math.log(2 / 7)) / 2);
  close(bigram, -(Math.log(6 / 7) + Math.log(11 / 28)) / 2);
  close(trigram, -(Math.log(6 / 7) + Math.log(25 / 56)) / 2);
  assert.throws(() => ngramLosses(train, { items: 1, length: 2, tokens: Uint8Array.from([0, 1]) }, 3), /windows of 3 tokens, test windows of 2/);
});

test('independent pixels: p_j = (ones_j + ½)/(n + 1), exact NLL per image', () => {
  const train = { count: 2, width: 2, height: 1, pixels: Uint8Array.from([1, 0, 1, 1]) };
  const test = { count: 2, width: 2, height: 1, pixels: Uint8Array.from([1, 0, 0, 0]) };
  // p = (5/6, 1/2): image [1,0] costs −ln(5/6) − ln(1/2); image [0,0] costs −ln(1/6) − ln(1/2)
  close(independentPixelNll(train, test), (-Math.log(5 / 6) - Math.log(1 / 2) - Math.log(1 / 6) - Math.log(1 / 2)) / 2);
});

test('diffusion: the isotropic-Gaussian denoiser is the ε-MSE of an all-zero network, and the bond-length floor is the real data\'s', async () => {
  const tf = await loadTf();
  const sizes = { dim: 57, hidden: 16, layers: 2, timeFeatures: 8, levels: 20, learningRate: 2e-3, batch: 64, samples: 64, testSamples: 64, evalLevels: 4, bondSamples: 16, jitter: 0.05 };
  const family = await createDiffusion(sizes, { kind: 'steps', amount: 1 }, tf);
  const before = tf.memory().numTensors;
  const test = await family.real(64, rootKey(5));
  const base = await (family.baselines as NonNullable<typeof family.baselines>)(test, test);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  const model = await family.fit([{ data: test, weight: 1, set: 1 }], rootKey(6));
  for (const v of Object.values(model.weights)) v.assign(tf.zerosLike(v));
  const metrics = await family.evaluate(model, test);
  assert.equal(base.values.isotropicGaussian, metrics.loss);
  // standardised data are not N(0, I), so the skip alone is imperfect but far better than predicting ε = 0 (≈ 1)
  assert.ok(base.values.isotropicGaussian > 0.05 && base.values.isotropicGaussian < 0.9, String(base.values.isotropicGaussian));
  // the jitter (σ = 0.05 Å per coordinate) alone moves bond lengths by ~0.05·√2·√(2/π) ≈ 0.056 Å on average
  assert.ok(base.references?.bondLengthError && base.references.bondLengthError > 0.03 && base.references.bondLengthError < 0.09, String(base.references?.bondLengthError));
  family.dispose(model);
});
