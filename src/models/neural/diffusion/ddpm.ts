/**
 * A DDPM (Ho et al. 2020) on flat vectors, in one file: the scaled-down stand-in for GeoDiff's denoiser.
 *
 *   forward:   x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε,  ε ~ N(0, I),  t ∈ {0 … T−1}
 *   training:  minimise E‖ε̂_θ(x_t, t) − ε‖² / dim      (the "simple" loss; its test value is the family's metric)
 *   sampling:  x_{t−1} = (x_t − β_t/√(1 − ᾱ_t)·ε̂)/√α_t + σ_t·z,  σ_t² = β̃_t = β_t·(1 − ᾱ_{t−1})/(1 − ᾱ_t)
 *
 * ε̂_θ = √(1 − ᾱ_t)·x_t + MLP(x_t, emb(t)) (emb: sinusoidal features of the level; SiLU activations). The noise
 * schedule is Ho et al.'s linear one in continuous form, so T = 100 (quick) and 200 (full) both end in pure noise.
 * Batches, levels and training noise are drawn on the host from keyed streams (C7), so a fit depends only on its
 * key; the sampler's noise is tfjs randomNormal seeded from the key per chunk and level.
 */
import { foldIn, KeyedGenerator, type Key } from '../../../core/rng.js';
import { seedOf, type Tf, type Weights } from '../tf.js';
import type * as tfTypes from '@tensorflow/tfjs';

export interface DdpmConfig {
  /** length of one item (3 × heavy atoms: 57 for propranolol) */
  readonly dim: number;
  /** width of every hidden layer (256 full, 128 quick) */
  readonly hidden: number;
  /** hidden layers (3) */
  readonly layers: number;
  /** sinusoidal time-embedding features, even (32) */
  readonly timeFeatures: number;
  /** noise levels T (200 full, 100 quick) */
  readonly levels: number;
  /** Adam learning rate (3e-3 quick, 2e-3 full) */
  readonly learningRate: number;
  /** minibatch size (128) */
  readonly batch: number;
}

/** ᾱ_t and friends for t = 0 … T−1, float64. */
export interface NoiseSchedule {
  readonly betas: Float64Array;
  readonly alphaBars: Float64Array;
}

/**
 * Ho et al.'s linear schedule in its continuous form (the VP-SDE, Song et al. 2021): β(s) = 0.1 + 19.9·s on
 * s ∈ [0, 1], ᾱ(s) = exp(−0.1·s − 9.95·s²), read at s = (t + 1)/T; so ᾱ_{T−1} = e^−10.05 at every T and
 * β_t = 1 − ᾱ_t/ᾱ_{t−1} stays below 1 even at T = 20 (0.62). At T = 1000 it is Ho's 1e-4…0.02 to first order.
 * (The cosine schedule's last β ≈ 0.999 makes the first sampling step divide by √(1 − β) ≈ 0.03, which blew
 * samples up at T = 100.)
 */
export function linearSchedule(levels: number): NoiseSchedule {
  const alphaBar = (s: number) => Math.exp(-0.1 * s - 9.95 * s * s);
  const betas = new Float64Array(levels);
  const alphaBars = new Float64Array(levels);
  for (let t = 0; t < levels; t++) {
    alphaBars[t] = alphaBar((t + 1) / levels);
    betas[t] = 1 - alphaBars[t] / (t > 0 ? alphaBars[t - 1] : 1);
  }
  return { betas, alphaBars };
}

/**
 * emb(t) for every level: [sin(τ·ω_k), cos(τ·ω_k)], τ = 1000·t/T, ω_k = 10000^(−k/(F/2)); flat [levels × F] float32.
 * τ puts the level on the 0…1000 scale these frequencies were chosen for, whatever T is.
 */
export function timeEmbeddingTable(levels: number, features: number): Float32Array {
  const half = features / 2;
  const table = new Float32Array(levels * features);
  for (let t = 0; t < levels; t++) {
    for (let k = 0; k < half; k++) {
      const angle = ((1000 * t) / levels) * Math.exp((-Math.log(10000) * k) / half); // t on DDPM's 0…1000 scale
      table[t * features + k] = Math.sin(angle);
      table[t * features + half + k] = Math.cos(angle);
    }
  }
  return table;
}

/**
 * Fresh weights: He-normal hidden layers, zero biases, and an output layer 10× smaller than 1/√fan-in, so that an
 * untrained model is close to the Gaussian denoiser of the skip term (quick sizes, one fit: test loss 0.147 → 0.122,
 * bond error 0.37 → 0.31 Å against a full-size output layer; exactly 0 was no better). Created inside tidy (no leak).
 */
export function initWeights(tf: Tf, config: DdpmConfig, key: Key): Weights {
  return tf.tidy(() => {
    const weights: Weights = {};
    const widths = [config.dim + config.timeFeatures, ...Array<number>(config.layers).fill(config.hidden), config.dim];
    for (let l = 0; l + 1 < widths.length; l++) {
      const output = l + 2 === widths.length;
      const std = output ? 0.1 / Math.sqrt(widths[l]) : Math.sqrt(2 / widths[l]);
      weights[`w${l}`] = tf.variable(tf.randomNormal([widths[l], widths[l + 1]], 0, std, 'float32', seedOf(key, l)), true);
      weights[`b${l}`] = tf.variable(tf.zeros([widths[l + 1]]), true);
    }
    return weights;
  });
}

/**
 * ε̂ for inputs [rows, dim + timeFeatures] (x_t beside emb(t)) and skip [rows, 1] (√(1 − ᾱ_t) per row) → [rows, dim]:
 *
 *   ε̂ = √(1 − ᾱ_t)·x_t + MLP(x_t, emb(t))
 *
 * The first term is E[ε | x_t] for standardised Gaussian data, so the MLP learns only the residual. Without it
 * the MLP's small bias at high noise (≈0.04 where the ideal is ≈0, T = 100) compounds over the sampling steps and
 * samples diverged (RMS 6 instead of 1, measured).
 */
export function predictNoise(tf: Tf, weights: Weights, input: tfTypes.Tensor2D, skip: tfTypes.Tensor2D, config: DdpmConfig): tfTypes.Tensor2D {
  let h = input;
  for (let l = 0; l < config.layers; l++) {
    const z = tf.add(tf.matMul(h, weights[`w${l}`]), weights[`b${l}`]) as tfTypes.Tensor2D;
    h = tf.mul(z, tf.sigmoid(z)); // SiLU
  }
  const residual = tf.add(tf.matMul(h, weights[`w${config.layers}`]), weights[`b${config.layers}`]);
  return tf.add(tf.mul(tf.slice(input, [0, 0], [-1, config.dim]), skip), residual) as tfTypes.Tensor2D;
}

/**
 * Writes the network input [x_t, emb(t)], the target ε and the skip weight √(1 − ᾱ_t) of one row: x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε.
 * `x0` holds the row at `from`; `input` and `target` receive it at row `row`.
 */
function noisedRow(
  x0: ArrayLike<number>, from: number, t: number, noise: () => number, config: DdpmConfig, schedule: NoiseSchedule,
  embedding: Float32Array, input: Float32Array, target: Float32Array, skip: Float32Array, row: number,
): void {
  const { dim, timeFeatures } = config;
  const a = Math.sqrt(schedule.alphaBars[t]);
  const b = Math.sqrt(1 - schedule.alphaBars[t]);
  const width = dim + timeFeatures;
  for (let c = 0; c < dim; c++) {
    const e = noise();
    target[row * dim + c] = e;
    input[row * width + c] = a * x0[from * dim + c] + b * e;
  }
  input.set(embedding.subarray(t * timeFeatures, (t + 1) * timeFeatures), row * width + dim);
  skip[row] = b;
}

/**
 * Trains `weights` in place for `steps` Adam steps. `drawRow(generator)` picks a training row (an index into
 * `data`, [rows × dim], already normalised) from the pool; everything random comes from `key`.
 * Returns the mean training loss of the last 10% of steps.
 */
export async function train(
  tf: Tf, weights: Weights, config: DdpmConfig, data: Float32Array, drawRow: (generator: KeyedGenerator) => number, steps: number, key: Key,
  afterStep?: (step: number) => Promise<boolean>,
): Promise<number> {
  const schedule = linearSchedule(config.levels);
  const embedding = timeEmbeddingTable(config.levels, config.timeFeatures);
  const generator = new KeyedGenerator(key);
  const noise = () => generator.normal();
  const { batch, dim, timeFeatures } = config;
  const input = new Float32Array(batch * (dim + timeFeatures));
  const target = new Float32Array(batch * dim);
  const skip = new Float32Array(batch);
  const optimizer = tf.train.adam(config.learningRate);
  const variables = Object.values(weights);
  let tail = 0;
  let tailCount = 0;
  try {
    for (let step = 0; step < steps; step++) {
      for (let r = 0; r < batch; r++) {
        const t = Math.floor(generator.uniform() * config.levels) % config.levels;
        noisedRow(data, drawRow(generator), t, noise, config, schedule, embedding, input, target, skip, r);
      }
      const lossTensor = tf.tidy(() => {
        const x = tf.tensor2d(input, [batch, dim + timeFeatures]);
        const eps = tf.tensor2d(target, [batch, dim]);
        const s = tf.tensor2d(skip, [batch, 1]);
        const loss = () => tf.mean(tf.squaredDifference(predictNoise(tf, weights, x, s, config), eps)) as tfTypes.Scalar;
        return optimizer.minimize(loss, true, variables) as tfTypes.Scalar;
      });
      const stop = (await afterStep?.(step + 1)) ?? false; // the converge schedule stopped the fit
      if (stop || step >= steps - Math.max(1, Math.floor(steps / 10))) {
        if (stop) [tail, tailCount] = [0, 0]; // the last step's loss stands for the tail it never reached
        tail += (await lossTensor.data())[0]; // asynchronous: webgpu cannot read synchronously in Node
        tailCount++;
      }
      lossTensor.dispose();
      if (stop) break;
    }
  } finally {
    optimizer.dispose();
  }
  return tail / tailCount;
}

/**
 * Test denoising loss: mean ε-MSE over the rows of `data` (normalised, [rows × dim]) at each level of `grid`, with
 * noise that depends only on (noiseKey, level, row): deterministic, and the same for every model it scores.
 */
export async function denoisingLoss(tf: Tf, weights: Weights, config: DdpmConfig, data: Float32Array, grid: readonly number[], noiseKey: Key): Promise<number> {
  const schedule = linearSchedule(config.levels);
  const embedding = timeEmbeddingTable(config.levels, config.timeFeatures);
  const { dim, timeFeatures } = config;
  const rows = data.length / dim;
  const chunk = Math.min(rows, 2048);
  const input = new Float32Array(chunk * (dim + timeFeatures));
  const target = new Float32Array(chunk * dim);
  const skip = new Float32Array(chunk);
  let total = 0;
  for (const t of grid) {
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      for (let r = 0; r < count; r++) {
        const generator = new KeyedGenerator(foldIn(foldIn(noiseKey, t), start + r));
        noisedRow(data, start + r, t, () => generator.normal(), config, schedule, embedding, input, target, skip, r);
      }
      const sum = tf.tidy(() => {
        const x = tf.tensor2d(input.subarray(0, count * (dim + timeFeatures)), [count, dim + timeFeatures]);
        const eps = tf.tensor2d(target.subarray(0, count * dim), [count, dim]);
        const s = tf.tensor2d(skip.subarray(0, count), [count, 1]);
        return tf.sum(tf.squaredDifference(predictNoise(tf, weights, x, s, config), eps));
      });
      total += (await sum.data())[0];
      sum.dispose();
    }
  }
  return total / (grid.length * rows * dim);
}

/**
 * `n` samples by ancestral sampling from pure noise, in chunks of `chunk` rows; chunk c's noise at level t comes from
 * seedOf(foldIn(key, c), t), so a result depends on (key, n, chunk) only. Returns [n × dim] float32, normalised.
 */
export async function sampleAncestral(tf: Tf, weights: Weights, config: DdpmConfig, n: number, key: Key, chunk = 1000): Promise<Float32Array> {
  const schedule = linearSchedule(config.levels);
  const embedding = timeEmbeddingTable(config.levels, config.timeFeatures);
  const { dim, timeFeatures, levels } = config;
  const out = new Float32Array(n * dim);
  for (let start = 0, c = 0; start < n; start += chunk, c++) {
    const rows = Math.min(chunk, n - start);
    const chunkKey = foldIn(key, c);
    let x = tf.randomNormal([rows, dim], 0, 1, 'float32', seedOf(chunkKey, levels)) as tfTypes.Tensor2D;
    for (let t = levels - 1; t >= 0; t--) {
      const beta = schedule.betas[t];
      const alphaBar = schedule.alphaBars[t];
      const previous = t > 0 ? schedule.alphaBars[t - 1] : 1;
      const sigma = Math.sqrt((beta * (1 - previous)) / (1 - alphaBar));
      const next = tf.tidy(() => {
        const time = tf.tile(tf.tensor2d(embedding.subarray(t * timeFeatures, (t + 1) * timeFeatures), [1, timeFeatures]), [rows, 1]);
        const skip = tf.fill([rows, 1], Math.sqrt(1 - alphaBar)) as tfTypes.Tensor2D;
        const eps = predictNoise(tf, weights, tf.concat([x, time], 1) as tfTypes.Tensor2D, skip, config);
        const mean = tf.div(tf.sub(x, tf.mul(eps, beta / Math.sqrt(1 - alphaBar))), Math.sqrt(1 - beta));
        return t > 0 ? tf.add(mean, tf.mul(tf.randomNormal([rows, dim], 0, 1, 'float32', seedOf(chunkKey, t)), sigma)) : mean;
      }) as tfTypes.Tensor2D;
      x.dispose();
      x = next;
    }
    out.set(await x.data(), start * dim);
    x.dispose();
  }
  return out;
}
