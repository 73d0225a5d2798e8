/**
 * The diffusion family: a DDPM on propranolol's heavy-atom conformations, the scaled-down stand-in for the paper's
 * GeoDiff on GEOM-Drugs (arXiv 2404.01413 §4). Items are flat Float32Arrays [n × 57] (19 atoms × xyz, Å, centred
 * and aligned to the lowest-energy mode); the DDPM sees them standardised by one fixed affine map (the real
 * distribution's Boltzmann-mean conformer and overall spread), the same for every generation.
 *
 * Metrics: `loss`, the test ε-MSE on held-out real conformers over a fixed grid of levels with fixed noise (the
 * paper's GeoDiff metric in kind, not scale); `bondLengthError`, mean |bond − reference| in Å over the 20
 * heavy-atom bonds of conformers the model samples with a fixed key (geometry degrading, in chemists' units).
 */
import { UsageError } from '../../../core/errors.js';
import { foldIn, rootKey, type Key } from '../../../core/rng.js';
import { STREAM_ROLES } from '../../../core/streams.js';
import type { Pool } from '../../model.js';
import type { NeuralFamily, NeuralFamilyFactory, NeuralModel, Schedule } from '../family.js';
import { EarlyStopping, holdOut, recordStop, stopMetrics, weightedLoss } from '../converge.js';
import { disposeWeights, loadTf, type Tf } from '../tf.js';
import { bondLengthError, ConformerDistribution } from './conformers.js';
import { denoisingLoss, initWeights, sampleAncestral, train, type DdpmConfig } from './ddpm.js';
import { PROPRANOLOL_MODES } from './propranolol-modes.js';
import { readConformers, type ConformerFile } from './sdf.js';

export type Conformers = Float32Array;

/** Resolved sizes of one diffusion family (echoed as `settings`). */
export interface DiffusionSizes extends DdpmConfig {
  /** m, real conformers per data set */
  readonly samples: number;
  /** held-out real conformers for `loss` */
  readonly testSamples: number;
  /** levels in the fixed evaluation grid of `loss` */
  readonly evalLevels: number;
  /** conformers sampled (fixed key) for `bondLengthError` */
  readonly bondSamples: number;
  /** jitter σ of the real distribution, Å per coordinate */
  readonly jitter: number;
}

/**
 * Quick, measured with seed 7 on the 2-core machine under a load average of 10–15 (timings inflated 2–3×):
 * 4 iterations, test loss (bond error Å) replace 0.106 (0.25) → 0.139 → 0.166 → 0.189 (0.44) in 40 s;
 * accumulate 0.106 (0.25) → 0.099 → 0.099 → 0.104 (0.29) in 79 s.
 * Full, same conditions, 6 iterations, the two strategies side by side: replace 0.064 (0.12) → 0.085 → 0.103 →
 * 0.123 → 0.139 → 0.151 (0.28) in 634 s; accumulate 0.064 (0.12) → 0.059 → 0.060 → 0.058 → 0.057 → 0.057 (0.13)
 * in 1014 s. The real conformers' own bond error (the jitter floor) is 0.056 Å.
 */
export const QUICK_SIZES: DiffusionSizes = {
  dim: 57, hidden: 128, layers: 3, timeFeatures: 32, levels: 100, learningRate: 3e-3, batch: 128,
  samples: 1000, testSamples: 1000, evalLevels: 10, bondSamples: 256, jitter: 0.05,
};
export const FULL_SIZES: DiffusionSizes = {
  ...QUICK_SIZES, hidden: 256, levels: 200, learningRate: 2e-3, samples: 2000, testSamples: 2000, bondSamples: 500,
};
export const QUICK_SCHEDULE: Schedule = { kind: 'epochs', amount: 50 };
export const FULL_SCHEDULE: Schedule = { kind: 'epochs', amount: 60 };

/** Keys of the evaluation's fixed randomness: the same noise and sampler seed score every model. */
const EVALUATION_KEY = rootKey(0x6e0d1ff);
const EVAL_NOISE = 1;
const EVAL_BONDS = 2;

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
    throw new UsageError(`diffusion: ${name} must be an integer ≥ ${min}; got ${shown}`);
  }
  return value;
}

/** The family with explicit sizes (tests use small ones); `create` below picks quick or full. */
export async function createDiffusion(sizes: DiffusionSizes, schedule: Schedule, tf?: Tf, source?: ConformerFile): Promise<NeuralFamily<Conformers>> {
  const tfjs = tf ?? (await loadTf());
  // a user's file: its training conformers drawn uniformly, no jitter; its held-out ones the test set
  const modes = source?.train ?? PROPRANOLOL_MODES;
  const jitter = source ? 0 : sizes.jitter;
  const real = new ConformerDistribution(modes, { jitter });
  const heldOut = source && new ConformerDistribution(source.test, { jitter: 0 });
  if (sizes.dim !== real.dim) throw new UsageError(`diffusion: dim must be ${real.dim} (3 × heavy atoms); got ${sizes.dim}`);
  checkCount('samples', sizes.samples, 1);
  checkCount('testSamples', sizes.testSamples, 1);
  checkCount(`schedule ${schedule.kind}`, schedule.amount, 1);
  const { dim } = real;
  // the fixed standardisation: Boltzmann-mean conformer and RMS spread about it (modes' spread plus the jitter)
  const mean = new Float64Array(dim);
  modes.coordinates.forEach((mode, k) => mode.forEach((x, c) => (mean[c] += real.weights[k] * x)));
  let spread = 0;
  modes.coordinates.forEach((mode, k) => mode.forEach((x, c) => (spread += (real.weights[k] * (x - mean[c]) ** 2) / dim)));
  const scale = Math.sqrt(spread + jitter ** 2);
  if (!(scale > 0)) throw new UsageError(`diffusion: the training conformers${source ? ` of ${modes.smiles}` : ''} are all identical; there is nothing to learn`);
  const standardise = (data: Float32Array) => data.map((x, i) => (x - mean[i % dim]) / scale);
  const toAngstrom = (data: Float32Array) => data.map((x, i) => x * scale + mean[i % dim]);
  const levelGrid = Array.from({ length: sizes.evalLevels }, (_, j) => Math.floor(((j + 0.5) * sizes.levels) / sizes.evalLevels));
  const size = (data: Conformers) => data.length / dim;

  const family: NeuralFamily<Conformers> = {
    name: 'diffusion',
    metric: 'test denoising loss (ε-MSE per coordinate, fixed grid of levels and noise)',
    standIn:
      `GeoDiff on GEOM-Drugs, scaled down: an MLP DDPM (${sizes.layers}×${sizes.hidden}, ${sizes.levels} levels) on the ` +
      (source
        ? `${source.description}; real data sets drawn uniformly from the training conformers`
        : `${real.atoms} heavy atoms of (S)-propranolol; real conformers = Boltzmann mixture (${real.temperature} K) over ` +
          `${PROPRANOLOL_MODES.energies.length} MMFF94s+ minima from openchemlib (${real.effectiveModes().toFixed(1)} effective) ` +
          `+ ${sizes.jitter} Å Gaussian jitter, centred and Kabsch-aligned`),
    settings: { ...sizes, jitter, schedule: schedule.kind, scheduleAmount: schedule.amount, modes: modes.energies.length, ...(source && { data: source.description }) },
    schedule,

    async real(n: number, key: Key) {
      return real.sample(checkCount('real: n', n, 0), key);
    },
    ...(heldOut && { heldOut: async (n: number, key: Key) => heldOut.sample(checkCount('test: n', n, 0), key) }),

    async fit(whole: Pool<Conformers>, key: Key): Promise<NeuralModel> {
      // converge: train on the pool less a validation split of it, stop when its denoising loss stops falling
      const split = schedule.kind === 'converge' ? holdOut(whole, foldIn(key, STREAM_ROLES.convergeSplit), size, family.take) : undefined;
      const pool = split?.train ?? whole;
      // one standardised copy of the pool; rows drawn part by weight, then uniformly within the part
      const parts = pool.filter((p) => p.weight > 0 && size(p.data) > 0);
      if (parts.length === 0) throw new Error('diffusion: fit on an empty pool');
      const data = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
      const offsets: number[] = [];
      const cumulative: number[] = [];
      let rows = 0;
      let mass = 0;
      for (const part of parts) {
        data.set(standardise(part.data), rows * dim);
        offsets.push(rows);
        rows += size(part.data);
        cumulative.push((mass += part.weight));
      }
      const steps = schedule.kind !== 'epochs' ? schedule.amount : Math.ceil((schedule.amount * rows) / sizes.batch);
      const weights = initWeights(tfjs, sizes, foldIn(key, 0));
      const validation = split?.validation.map((p) => ({ ...p, data: standardise(p.data) }));
      const validationKey = foldIn(key, STREAM_ROLES.convergeValidation);
      const stopper = validation && new EarlyStopping(tfjs, weights, schedule, () => weightedLoss(validation, async (d) => denoisingLoss(tfjs, weights, sizes, d, levelGrid, validationKey)));
      await train(tfjs, weights, sizes, data, (generator) => {
        const u = (1 - generator.uniform()) * mass; // [0, mass)
        let p = 0;
        while (p < parts.length - 1 && u >= cumulative[p]) p++;
        const count = size(parts[p].data);
        return offsets[p] + (Math.floor(generator.uniform() * count) % count);
      }, steps, foldIn(key, 1), stopper && ((step) => stopper.after(step)));
      const model = { weights };
      if (stopper) recordStop(model, stopper.finish());
      return model;
    },

    async sample(model: NeuralModel, n: number, key: Key) {
      return toAngstrom(await sampleAncestral(tfjs, model.weights, sizes, checkCount('sample: n', n, 0), key));
    },

    async evaluate(model: NeuralModel, test: Conformers) {
      const loss = await denoisingLoss(tfjs, model.weights, sizes, standardise(test), levelGrid, foldIn(EVALUATION_KEY, EVAL_NOISE));
      const drawn = toAngstrom(await sampleAncestral(tfjs, model.weights, sizes, sizes.bondSamples, foldIn(EVALUATION_KEY, EVAL_BONDS)));
      return { loss, bondLengthError: bondLengthError(drawn, real.atoms, modes.bonds, real.referenceBondLengths), ...stopMetrics(model) };
    },

    size,

    async baselines(_train: Conformers, test: Conformers) {
      // all-zero weights leave the skip alone: ε̂ = √(1 − ᾱ_t)·x_t, the exact denoiser were the standardised data N(0, I)
      const shapes = initWeights(tfjs, sizes, rootKey(0));
      const zero = Object.fromEntries(Object.entries(shapes).map(([name, v]) => [name, tfjs.zerosLike(v)]));
      tfjs.dispose(Object.values(shapes));
      const isotropic = await denoisingLoss(tfjs, zero as never, sizes, standardise(test), levelGrid, foldIn(EVALUATION_KEY, EVAL_NOISE));
      tfjs.dispose(Object.values(zero));
      return {
        values: { isotropicGaussian: isotropic },
        target: 'isotropicGaussian',
        references: { bondLengthError: bondLengthError(test, real.atoms, modes.bonds, real.referenceBondLengths) },
        description: "the skip alone (the exact denoiser of standardised isotropic Gaussian data); bondLengthError's floor is that of held-out real conformers (their jitter)",
      };
    },
    take(data: Conformers, rows: readonly number[]) {
      const out = new Float32Array(rows.length * dim);
      rows.forEach((row, i) => out.set(data.subarray(row * dim, (row + 1) * dim), i * dim));
      return out;
    },
    dispose(model: NeuralModel) {
      disposeWeights(model.weights);
    },
    encodeData(data: Conformers) {
      return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    },
    decodeData(bytes: Uint8Array) {
      if (bytes.byteLength % (4 * dim) !== 0) throw new UsageError(`diffusion: data of ${bytes.byteLength} bytes is not whole conformers of ${4 * dim} bytes`);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
  };
  return family;
}

/** The family for `collapse neural --model diffusion`: quick or full sizes, overridden by the options given. */
export const create: NeuralFamilyFactory<Conformers> = async (options) => {
  if (options.temperature !== undefined && options.temperature !== 1) {
    throw new UsageError(`--temperature applies to the lm only; diffusion samples at 1; got ${JSON.stringify(options.temperature)}`);
  }
  const base = options.quick ? QUICK_SIZES : FULL_SIZES;
  const source = options.data === undefined ? undefined : await readConformers(options.data);
  const sizes: DiffusionSizes = {
    ...base,
    ...(source && { dim: 3 * source.train.atomicNumbers.length }),
    samples: options.samples ?? base.samples,
    testSamples: options.testSamples ?? base.testSamples,
    hidden: options.sizes?.['ddpm-width'] ?? base.hidden,
    levels: options.sizes?.['ddpm-steps'] ?? base.levels,
  };
  return createDiffusion(sizes, options.schedule ?? (options.quick ? QUICK_SCHEDULE : FULL_SCHEDULE), undefined, source);
};
