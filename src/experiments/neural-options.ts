/**
 * The options of `collapse neural` (one declaration, C9): the flags, --help, validation and, derived from them, the
 * configuration type {@link NeuralConfig}. Declarations only, below the run (./neural.ts) and its report types
 * (./neural-report.ts).
 */
import type { ConfigOf, OptionSpec } from '../core/schema.js';
import { STRATEGY_FORMS } from '../strategies/index.js';
import { NEURAL_BACKEND_OPTION, type NeuralBackendRequest } from '../models/neural/backend.js';

/** Size flags, each for one family (refused with another --model): the network the family builds. */
export const SIZE_FLAGS = [
  { flag: 'width', family: 'lm', max: 1024, description: 'lm: model width d (a multiple of --heads)' },
  { flag: 'layers', family: 'lm', max: 32, description: 'lm: transformer layers' },
  { flag: 'heads', family: 'lm', max: 64, description: 'lm: attention heads' },
  { flag: 'context', family: 'lm', max: 1024, description: 'lm: context length T (characters)' },
  { flag: 'hidden', family: 'vae', max: 4096, description: 'vae: hidden units of encoder and decoder' },
  { flag: 'latent', family: 'vae', max: 1024, description: 'vae: latent dimensions' },
  { flag: 'ddpm-width', family: 'diffusion', max: 4096, description: 'diffusion: hidden units of each MLP layer' },
  { flag: 'ddpm-steps', family: 'diffusion', max: 5000, description: 'diffusion: noise levels (diffusion steps) of the DDPM' },
] as const;
export type SizeFlag = (typeof SIZE_FLAGS)[number]['flag'];

/** Data flags, each for one family: the real data it learns from (checked when the family is built). */
export const DATA_FLAGS = [
  { flag: 'corpus', family: 'lm', meta: 'text', description: 'lm: real text: wordnet (WordNet glosses, default), brown (the Brown corpus, fiction) or brown-all, or FILE, a text / JSON Lines file split by document' },
  { flag: 'images', family: 'vae', meta: 'DIR|FILE', description: 'vae: real images: a folder of PNG files or an IDX file (binarised at > 127), instead of MNIST' },
  { flag: 'conformers', family: 'diffusion', meta: 'FILE.sdf', description: 'diffusion: real conformers of one molecule from a multi-conformer SDF file (every 10th held out), instead of propranolol' },
] as const;

/** The options of `collapse neural`: one declaration for the flags, --help, validation and {@link NeuralConfig}. */
export const NEURAL_OPTIONS = [
  { flag: 'model', kind: 'string', default: 'all', meta: 'families', description: 'neural families to run, comma-separated: lm, vae, diffusion, or all (every family)' },
  { flag: 'strategy', kind: 'string', default: 'replace,accumulate', meta: 'strategies', description: `strategies, comma-separated (${STRATEGY_FORMS.join(', ')}); each family runs under each` },
  { flag: 'iterations', kind: 'int', min: 1, max: 100, description: 'generations (models fit) per trajectory (default 5; 4 with --quick)' },
  { flag: 'temperature', kind: 'number', above: 0, inclusive: true, max: 100, description: 'sampling temperature of the lm (the paper: 1 and 0.3; 0: greedy); other families sample at 1' },
  { flag: 'schedule', kind: 'string', meta: 'schedules', description: 'training per fit, comma-separated to compare several: epochs[:k] passes over the pool (the paper\'s; accumulate\'s cost grows) or steps[:k] optimiser steps (fixed compute; bare steps: the steps replace gets under the family\'s epochs); default: the family\'s (epochs,steps with --quick)' },
  { flag: 'samples', kind: 'int', min: 2, max: 1_000_000, description: 'm, real items per data set (and synthetic items per generation); default: the family\'s' },
  { flag: 'test-samples', kind: 'int', min: 1, max: 1_000_000, description: 'held-out real items for the test loss; default: the family\'s' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
  { flag: 'seeds', kind: 'int', default: 1, min: 1, max: 100, description: 'K independent trajectories per family, strategy and schedule: mean, standard error and 95% t-interval per generation, and replace − accumulate paired' },
  { flag: 'quick', kind: 'boolean', description: 'laptop sizes: every family, replace and accumulate, in minutes on 2 cores' },
  ...SIZE_FLAGS.map(({ flag, max, description }) => ({ flag, kind: 'int', min: 1, max, description }) as const),
  ...DATA_FLAGS.map(({ flag, meta, description }) => ({ flag, kind: 'string', meta, description }) as const),
  NEURAL_BACKEND_OPTION,
] as const satisfies readonly OptionSpec[];

/**
 * The resolved configuration of `collapse neural` (flag names as keys, as in --config files and manifest.json), derived
 * from {@link NEURAL_OPTIONS}, but with the fields validation sets otherwise: `model` and `strategy` are the parsed
 * lists, `iterations` and `quick` are always set, and `backend` is --backend as given (wasm, webgpu, cpu, auto); the
 * backend that ran is in the manifest and every report.
 */
export type NeuralConfig = Omit<ConfigOf<typeof NEURAL_OPTIONS>, 'model' | 'strategy' | 'iterations' | 'quick' | 'backend'> & {
  model: string[];
  strategy: string[];
  iterations: number;
  quick: boolean;
  backend?: NeuralBackendRequest;
};
