/**
 * The commands a sweep cell may run: any command with `--out DIR` (a run directory). One line per command (C1);
 * `resumable` says whether it has `--resume DIR` (an interrupted cell continues from its checkpoint) or is rerun
 * from the start with `--force`.
 */
import type { OptionSpec } from '../core/schema.js';
import { CATEGORICAL_OPTIONS, validateCategoricalConfig } from '../experiments/categorical.js';
import { GAUSSIAN_OPTIONS, validateGaussianConfig } from '../experiments/gaussian.js';
import { LINEAR_OPTIONS, validateLinearConfig } from '../experiments/linear.js';
import { LOOP_OPTIONS, validateLoopConfig } from '../experiments/external.js';
import { NEURAL_OPTIONS, validateNeuralConfig } from '../experiments/neural.js';
import { STRONG_OPTIONS, validateStrongConfig } from '../experiments/strong.js';
import { CURATE_OPTIONS, validateCurateConfig } from '../experiments/curate.js';

export interface SweepCommand {
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /** the full resolved configuration (defaults applied), exactly what the command writes into its manifest */
  resolve(raw: Record<string, unknown>): Record<string, unknown>;
  readonly resumable: boolean;
}

export const SWEEP_COMMANDS: readonly SweepCommand[] = [
  { name: 'linear', options: LINEAR_OPTIONS, resolve: (raw) => ({ ...validateLinearConfig(raw) }), resumable: true },
  { name: 'gaussian', options: GAUSSIAN_OPTIONS, resolve: (raw) => ({ ...validateGaussianConfig(raw) }), resumable: true },
  { name: 'categorical', options: CATEGORICAL_OPTIONS, resolve: (raw) => ({ ...validateCategoricalConfig(raw) }), resumable: true },
  { name: 'neural', options: NEURAL_OPTIONS, resolve: (raw) => ({ ...validateNeuralConfig(raw) }), resumable: true },
  { name: 'loop', options: LOOP_OPTIONS, resolve: (raw) => ({ ...validateLoopConfig(raw) }), resumable: true },
  { name: 'strong', options: STRONG_OPTIONS, resolve: (raw) => ({ ...validateStrongConfig(raw) }), resumable: true },
  { name: 'curate', options: CURATE_OPTIONS, resolve: (raw) => ({ ...validateCurateConfig(raw) }), resumable: true },
];
