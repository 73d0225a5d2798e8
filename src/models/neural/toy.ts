/**
 * The smallest neural family: a 1-D Gaussian N(μ, σ²) whose μ and log σ are tf.Variables fit by Adam on the pool's
 * weighted negative log-likelihood. Not a model of the paper: it exists so that the neural command, its child
 * processes, checkpoints and resume are tested in seconds without the real families (and it shows the NeuralFamily
 * contract in ~100 lines). The CLI accepts `--model toy` only when COLLAPSE_NEURAL_TOY=1.
 *
 * Real data: N(1.5, 0.7²). Metric `loss`: mean test NLL (nats/item) on held-out real items.
 */
import { NumericError, UsageError } from '../../core/errors.js';
import type { Key } from '../../core/rng.js';
import { foldIn } from '../../core/rng.js';
import { STREAM_ROLES } from '../../core/streams.js';
import type { Pool } from '../model.js';
import { EarlyStopping, holdOut, recordStop, stopMetrics, weightedLoss } from './converge.js';
import type { NeuralFamily, NeuralFamilyOptions, NeuralModel } from './family.js';
import { disposeWeights, loadTf, readAndDispose, seedOf } from './tf.js';

const REAL_MEAN = 1.5;
const REAL_SD = 0.7;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Fault injection for the CLI's tests: with COLLAPSE_NEURAL_TOY_FAIL=k a fit on a pool of k or more data sets fails
 * with a NumericError (so accumulate fails at generation k while replace runs on).
 */
export const TOY_FAIL_ENV = 'COLLAPSE_NEURAL_TOY_FAIL';

export interface ToySettings {
  /** Adam steps per fit (full batch) under 'steps'; under 'epochs' an epoch counts as pool items / batch steps */
  steps: number;
  batch: number;
  learningRate: number;
  samples: number;
  testSamples: number;
}

/** Any registered family, the toy included (a name is a string: the registry, ./index.ts, lists them). */
export type AnyNeuralFamily<D = unknown> = NeuralFamily<D>;

export async function createToy(options: NeuralFamilyOptions): Promise<AnyNeuralFamily<Float32Array>> {
  const tf = await loadTf();
  if (options.temperature !== undefined && options.temperature !== 1) throw new UsageError(`--temperature applies to the lm only; the toy samples at 1 (got ${options.temperature})`);
  const schedule = options.schedule ?? { kind: 'steps' as const, amount: options.quick ? 40 : 200 };
  const settings: ToySettings = {
    steps: schedule.amount,
    batch: 20,
    learningRate: 0.05,
    samples: options.samples ?? (options.quick ? 100 : 1000),
    testSamples: options.testSamples ?? 500,
  };
  const poolItems = new WeakMap<NeuralModel, number>(); // items a model was fit on (tests read augment's r·m)
  // every readback asynchronous (webgpu cannot read synchronously in Node): readAndDispose
  const draw = (n: number, mean: number, sd: number, key: Key) => readAndDispose(tf.randomNormal([n], mean, sd, 'float32', seedOf(key)));
  const nll = (w: NeuralModel['weights'], x: import('@tensorflow/tfjs').Tensor1D, p: import('@tensorflow/tfjs').Tensor1D) => {
    const z = x.sub(w.mean).div(w.logSd.exp());
    return z.square().mul(0.5).add(w.logSd).add(HALF_LOG_2PI).mul(p).sum() as import('@tensorflow/tfjs').Scalar;
  };
  return {
    name: 'toy',
    metric: 'test NLL (nats/item)',
    standIn: 'a 1-D Gaussian fit by Adam (a test fixture, not an experiment of the paper)',
    settings: { ...settings },
    schedule,
    real: async (n, key) => draw(n, REAL_MEAN, REAL_SD, key),
    size: (data) => data.length,
    take: (data, rows) => Float32Array.from(rows, (r) => data[r]),
    async fit(whole: Pool<Float32Array>, key: Key): Promise<NeuralModel> {
      const split = schedule.kind === 'converge' ? holdOut(whole, foldIn(key, STREAM_ROLES.convergeSplit), (d) => d.length, (d, rows) => Float32Array.from(rows, (r) => d[r])) : undefined;
      const pool = split?.train ?? whole;
      const failAt = Number(process.env[TOY_FAIL_ENV] ?? Infinity);
      if (pool.length >= failAt) throw new NumericError(`toy: injected failure on a pool of ${pool.length} data sets (${TOY_FAIL_ENV})`);
      const xs = pool.flatMap((part) => Array.from(part.data));
      const ps = pool.flatMap((part) => Array.from(part.data, () => part.weight / part.data.length));
      const variable = (init: import('@tensorflow/tfjs').Tensor) => {
        const v = tf.variable(init, true);
        init.dispose(); // a variable holds its own reference to the data
        return v;
      };
      const weights = { mean: variable(tf.randomNormal([], 0, 0.1, 'float32', seedOf(foldIn(key, 1)))), logSd: variable(tf.zeros([])) };
      const optimizer = tf.train.adam(settings.learningRate);
      const x = tf.tensor1d(xs);
      const p = tf.tensor1d(ps);
      const steps = schedule.kind !== 'epochs' ? settings.steps : Math.max(1, Math.ceil((schedule.amount * xs.length) / settings.batch));
      const validationNll = async (d: Float32Array) => (await readAndDispose(tf.tidy(() => nll(weights, tf.tensor1d(d), tf.fill([d.length], 1 / d.length) as import('@tensorflow/tfjs').Tensor1D))))[0];
      const stopper = split && new EarlyStopping(tf, weights, schedule, () => weightedLoss(split.validation, validationNll));
      for (let step = 0; step < steps; step++) {
        optimizer.minimize(() => nll(weights, x, p), true, [weights.mean, weights.logSd])?.dispose();
        if (await stopper?.after(step + 1)) break;
      }
      optimizer.dispose();
      tf.dispose([x, p]);
      const model = { weights };
      if (stopper) recordStop(model, stopper.finish());
      poolItems.set(model, whole.reduce((n, part) => n + part.data.length, 0));
      return model;
    },
    async sample(model, n, key) {
      const mean = (await model.weights.mean.data())[0];
      const sd = Math.exp((await model.weights.logSd.data())[0]);
      return draw(n, mean, sd, key);
    },
    async evaluate(model, test) {
      const loss = (await readAndDispose(tf.tidy(() => nll(model.weights, tf.tensor1d(test), tf.fill([test.length], 1 / test.length) as import('@tensorflow/tfjs').Tensor1D))))[0];
      return { loss, sd: Math.exp((await model.weights.logSd.data())[0]), poolItems: poolItems.get(model) ?? NaN, ...stopMetrics(model) };
    },
    dispose: (model) => disposeWeights(model.weights),
    encodeData: (data) => new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    decodeData: (bytes) => {
      if (bytes.length % 4 !== 0) throw new Error(`toy data of ${bytes.length} bytes is not float32`);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    },
  };
}
