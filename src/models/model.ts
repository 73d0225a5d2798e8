/**
 * One interface for every model family the generation loop runs (C10): Gaussian fitting, kernel density estimation,
 * linear regression through the general path, and later the neural adapters. Every method is async (neural
 * families train on gpu.js kernels) and every random choice comes from the key it is given (C7), so a trajectory
 * depends only on the keys, never on batch size or call order.
 *
 * P is a fitted model (parameters), D a data set: a batch of i.i.d. items, e.g. m points of R^d.
 */
import type { Key } from '../core/rng.js';

/** Scalar metrics of one fitted model, by stable name (JSON keys). */
export type Metrics = Readonly<Record<string, number>>;

/**
 * One pooled data set in a fit: `weight` is its share of the pool's probability mass (the weights of a pool sum to
 * 1), spread evenly over its rows, so each row of `data` carries weight / size(data). src/loop/generation-loop.ts
 * documents how a strategy's pool weights become these parts.
 */
export interface PoolPart<D> {
  readonly data: D;
  readonly weight: number;
  /** the data set (1-based, as in the strategy's data plan) these rows come from */
  readonly set: number;
}

/** A fit's training pool: the weighted union of its parts. */
export type Pool<D> = readonly PoolPart<D>[];

/** A model family the generation loop runs: real data, a weighted fit, sampling and evaluation, all async and keyed. P is a fitted model, D a data set (a batch of i.i.d. items). Every random choice must come from the key given (never Math.random), so a trajectory depends only on its keys. docs/your-own-model.md writes one (a Laplace family) in 15 lines. */
export interface ModelFamily<P, D> {
  /** one id everywhere (C1): 'gaussian', 'kde', 'linear', … */
  readonly name: string;
  /** `n` i.i.d. items from the real distribution: data sets of source 0, and held-out test data. */
  real(n: number, key: Key): Promise<D>;
  /**
   * `n` held-out real items for evaluation, where the real data is a finite corpus with its own test split (MNIST's
   * test images) that `real` must never draw from; absent: the loop draws the test set with `real`.
   */
  heldOut?(n: number, key: Key): Promise<D>;
  /** The model fit on a weighted pool (weights as probabilities, see PoolPart). */
  fit(pool: Pool<D>, key: Key): Promise<P>;
  /** `n` i.i.d. items from a fitted model. */
  sample(params: P, n: number, key: Key): Promise<D>;
  /** Metrics of a fitted model against the real distribution, using held-out real data `test` where it needs data. */
  evaluate(params: P, test: D): Promise<Metrics>;
  /**
   * Metrics of the data sets step n drew (each with its source: 0 real, k model k), merged after evaluate's into
   * model n's metrics: statistics of a generation's synthetic data (the LM's rareMass). Absent: none.
   */
  drawnMetrics?(drawn: readonly { data: D; source: number }[]): Metrics;
  /** Items in a data set. */
  size(data: D): number;
  /** The items at `rows` (indices into `data`, repeats allowed), as a new data set: subsampled pools. */
  take(data: D, rows: readonly number[]): D;
  /**
   * Scores of the items of `data` (sampled from `model`) under the named verifier, higher = better: what `--curate`
   * filters on (src/loop/curation.ts). Absent: the family cannot be curated.
   */
  score?(data: D, verifier: string, model: P): Float64Array;
  /** The items of several data sets, in order, as one (curation joins candidate rounds with it). */
  concat?(sets: readonly D[]): D;
}

/**
 * Byte codecs for a family's data sets and models, for checkpoints of a trajectory (src/loop/checkpoint.ts);
 * decode(encode(x)) must compute exactly what x computes.
 */
export interface TrajectoryCodec<P, D> {
  /** A data set as bytes. */
  encodeData(data: D): Uint8Array;
  /** The data set encodeData wrote. */
  decodeData(bytes: Uint8Array): D;
  /** A model as bytes. */
  encodeModel(model: P): Uint8Array;
  /** The model encodeModel wrote. */
  decodeModel(bytes: Uint8Array): P;
}
