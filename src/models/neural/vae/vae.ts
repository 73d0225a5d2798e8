/**
 * An MLP variational autoencoder on binary images (Kingma & Welling 2014), the scaled-down stand-in for the paper's
 * CelebA VAE (arXiv 2404.01413, §4):
 *
 *   encoder  x (784) → ReLU(x·W₁ + b₁) (hidden) → [μ, log σ²] (2·latent)
 *   decoder  z (latent) → ReLU(z·W₃ + b₃) (hidden) → Bernoulli logits (784)
 *   loss     −ELBO(x) = Σ_pixels BCE(logits, x) + KL(N(μ, σ²) ‖ N(0, I)), one reparameterised z per image
 *
 * Written with raw tfjs ops and tf.variable (not tf.layers) so that every matMul is a plain 2-D one that the patched
 * wasm kernel runs fast (docs/neural.md, implementation notes). Every random op is seeded from a key; weights are
 * created inside tf.tidy so that no initialiser tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { foldIn, rootKey, type Key } from '../../../core/rng.js';
import type { Schedule } from '../family.js';
import { seedOf, type Weights } from '../tf.js';
import { PoolBatches } from './batches.js';
import type { ImageSet } from './mnist.js';

export interface VaeConfig {
  readonly hidden: number;
  readonly latent: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly schedule: Schedule;
}

/** One part of a fit's pool: images and their share of the pool's probability mass. */
export interface ImagePart {
  readonly images: ImageSet;
  readonly weight: number;
}

/** Images per forward pass in evaluation and sampling: bounds memory; fixed, because it decides which noise each image gets. */
const CHUNK = 1000;

/**
 * The evaluation noise: one fixed key, so every model is scored on the same reparameterisation draws and two models'
 * test losses differ only through their weights (a paired comparison across generations and strategies).
 */
const EVAL_KEY = foldIn(rootKey(0), 0x0e7a1);

/** Fresh weights: He-normal for layers into a ReLU, LeCun-normal for the linear heads; the output bias from `pixelMean`. */
export function initVae(pixels: number, config: VaeConfig, key: Key, pixelMean?: Float32Array): Weights {
  const { hidden: H, latent: L } = config;
  return tf.tidy(() => {
    const normal = (shape: [number, number], fanIn: number, gain: number, i: number) =>
      tf.variable(tf.randomNormal(shape, 0, Math.sqrt(gain / fanIn), 'float32', seedOf(key, i)), true, undefined);
    // start the decoder at the data's marginal: logit of each pixel's mean, clamped so that empty pixels stay finite
    const logit = (p: number) => Math.log(p / (1 - p));
    const outBias = pixelMean ? tf.tensor1d(pixelMean.map((p) => logit(Math.min(Math.max(p, 1e-3), 1 - 1e-3)))) : tf.zeros([pixels]);
    return {
      encoderHidden: normal([pixels, H], pixels, 2, 0),
      encoderHiddenBias: tf.variable(tf.zeros([H]), true, undefined),
      encoderOut: normal([H, 2 * L], H, 1, 1),
      encoderOutBias: tf.variable(tf.zeros([2 * L]), true, undefined),
      decoderHidden: normal([L, H], L, 2, 2),
      decoderHiddenBias: tf.variable(tf.zeros([H]), true, undefined),
      decoderOut: normal([H, pixels], H, 1, 3),
      decoderOutBias: tf.variable(outBias, true, undefined),
    };
  });
}

function decode(w: Weights, z: tf.Tensor2D): tf.Tensor2D {
  const h = tf.relu(tf.add(tf.matMul(z, w.decoderHidden), w.decoderHiddenBias));
  return tf.add(tf.matMul(h, w.decoderOut), w.decoderOutBias);
}

/** Per-image reconstruction NLL and KL (nats), with the reparameterisation noise `eps` given ([B, latent]). */
export function elboParts(w: Weights, x: tf.Tensor2D, eps: tf.Tensor2D): { nll: tf.Tensor1D; kl: tf.Tensor1D } {
  const latent = eps.shape[1];
  const h = tf.relu(tf.add(tf.matMul(x, w.encoderHidden), w.encoderHiddenBias));
  const stats = tf.add(tf.matMul(h, w.encoderOut), w.encoderOutBias);
  const mu = tf.slice(stats, [0, 0], [-1, latent]);
  const logVar = tf.slice(stats, [0, latent], [-1, latent]);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
  const logits = decode(w, z as tf.Tensor2D);
  // Bernoulli NLL with logits: softplus(l) − x·l, stable for large |l|
  const nll = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1);
  const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.exp(logVar), tf.square(mu)), tf.add(logVar, 1)), 1), 0.5);
  return { nll: nll as tf.Tensor1D, kl: kl as tf.Tensor1D };
}

/** Rows `rows[b]` of parts `parts[b]` as a float [batch, pixels] tensor of 0/1. */
function batchTensor(pool: readonly ImagePart[], parts: Int32Array, rows: Int32Array, pixels: number): tf.Tensor2D {
  const x = new Float32Array(parts.length * pixels);
  for (let b = 0; b < parts.length; b++) x.set(pool[parts[b]].images.pixels.subarray(rows[b] * pixels, (rows[b] + 1) * pixels), b * pixels);
  return tf.tensor2d(x, [parts.length, pixels]);
}

/** The pool's per-pixel mean under its weights (the decoder's initial output bias). */
function weightedPixelMean(pool: readonly ImagePart[], pixels: number): Float32Array {
  const mean = new Float64Array(pixels);
  const total = pool.reduce((sum, p) => sum + p.weight, 0);
  for (const { images, weight } of pool) {
    const scale = weight / total / images.count;
    for (let r = 0; r < images.count; r++) for (let j = 0; j < pixels; j++) mean[j] += images.pixels[r * pixels + j] * scale;
  }
  return Float32Array.from(mean);
}

/** Optimiser steps a fit takes on a pool of `total` rows. */
export function stepsFor(schedule: Schedule, total: number, batch: number): number {
  return schedule.kind !== 'epochs' ? schedule.amount : Math.ceil((schedule.amount * total) / batch);
}

/**
 * A fresh VAE trained with Adam on minibatches from the weighted pool (batches.ts); `key` decides the initial
 * weights, the batch order and the reparameterisation noise.
 */
export async function trainVae(pool: readonly ImagePart[], config: VaeConfig, key: Key, afterStep?: (step: number, weights: Weights) => Promise<boolean>): Promise<Weights> {
  const { width, height } = pool[0].images;
  const pixels = width * height;
  for (const p of pool) {
    if (p.images.width !== width || p.images.height !== height) throw new Error(`pool mixes ${width}×${height} and ${p.images.width}×${p.images.height} images`);
  }
  const weights = initVae(pixels, config, foldIn(key, 0), weightedPixelMean(pool, pixels));
  const batches = new PoolBatches(
    pool.map((p) => ({ size: p.images.count, weight: p.weight })),
    foldIn(key, 1),
  );
  const noiseKey = foldIn(key, 2);
  const steps = stepsFor(config.schedule, batches.total, config.batch);
  const variables = Object.values(weights);
  const optimizer = tf.train.adam(config.learningRate);
  const parts = new Int32Array(config.batch);
  const rows = new Int32Array(config.batch);
  try {
    for (let step = 0; step < steps; step++) {
      batches.next(config.batch, parts, rows);
      tf.tidy(() => {
        const x = batchTensor(pool, parts, rows, pixels);
        const eps = tf.randomNormal([config.batch, config.latent], 0, 1, 'float32', seedOf(noiseKey, step)) as tf.Tensor2D;
        optimizer.minimize(() => {
          const { nll, kl } = elboParts(weights, x, eps);
          return tf.mean(tf.add(nll, kl)) as tf.Scalar;
        }, false, variables);
      });
      if (await afterStep?.(step + 1, weights)) break; // the converge schedule stopped the fit
    }
  } finally {
    optimizer.dispose();
  }
  return weights;
}

export interface VaeMetrics {
  /** mean test −ELBO (nats/image) */
  loss: number;
  /** mean reconstruction NLL E_q[−log p(x|z)] (nats/image), one z per image */
  reconstruction: number;
  /** mean KL(q(z|x) ‖ p(z)) (nats/image) */
  kl: number;
}

/** Test −ELBO and its parts on `test`, with the fixed evaluation noise (deterministic for given weights). */
export async function evaluateVae(weights: Weights, test: ImageSet, latent: number): Promise<VaeMetrics> {
  const pixels = test.width * test.height;
  let nllSum = 0;
  let klSum = 0;
  for (let start = 0, chunk = 0; start < test.count; start += CHUNK, chunk++) {
    const count = Math.min(CHUNK, test.count - start);
    // chunk c's noise is fixed by c, so the metric does not depend on what was evaluated before
    const [nll, kl] = tf.tidy(() => {
      const x = tf.tensor2d(Float32Array.from(test.pixels.subarray(start * pixels, (start + count) * pixels)), [count, pixels]);
      const eps = tf.randomNormal([count, latent], 0, 1, 'float32', seedOf(EVAL_KEY, chunk)) as tf.Tensor2D;
      const parts = elboParts(weights, x, eps);
      return [tf.sum(parts.nll), tf.sum(parts.kl)];
    });
    // asynchronous readbacks (webgpu cannot read synchronously in Node); the values are dataSync's
    nllSum += (await nll.data())[0];
    klSum += (await kl.data())[0];
    nll.dispose();
    kl.dispose();
  }
  const n = Math.max(test.count, 1);
  return { loss: (nllSum + klSum) / n, reconstruction: nllSum / n, kl: klSum / n };
}

/** `n` images from the model: z ~ N(0, I), then each pixel ~ Bernoulli(sigmoid(logit)); all draws from `key`. */
export async function sampleVae(weights: Weights, n: number, width: number, height: number, latent: number, key: Key): Promise<ImageSet> {
  const pixels = width * height;
  const out = new Uint8Array(n * pixels);
  for (let start = 0, chunk = 0; start < n; start += CHUNK, chunk++) {
    const count = Math.min(CHUNK, n - start);
    const bits = tf.tidy(() => {
      const z = tf.randomNormal([count, latent], 0, 1, 'float32', seedOf(key, 2 * chunk)) as tf.Tensor2D;
      const u = tf.randomUniform([count, pixels], 0, 1, 'float32', seedOf(key, 2 * chunk + 1));
      return tf.cast(tf.less(u, tf.sigmoid(decode(weights, z))), 'int32');
    });
    const values = await bits.data();
    for (let i = 0; i < values.length; i++) out[start * pixels + i] = values[i];
    bits.dispose();
  }
  return { count: n, width, height, pixels: out };
}
