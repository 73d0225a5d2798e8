/**
 * The shapes of a `collapse neural` run: its configuration, its parts (one trajectory each) and their reports, with
 * the per-seed records of --seeds K. Types only, below both the run (./neural.ts) and the summary over the seeds
 * (./neural-seeds.ts), which each use them; both re-export the ones they always named.
 */
import type { SeedSummary } from '../core/stats.js';
import type { CollapseProfile } from '../models/collapse-profile.js';
import type { Metrics } from '../models/model.js';
import type { Baselines, Schedule } from '../models/neural/family.js';
import type { NeuralConfig } from './neural-options.js';

// the configuration type is derived from the options' declaration
export type { NeuralConfig } from './neural-options.js';

/** One trajectory: a family under one strategy (the unit a child process runs and a sub-run directory holds). */
export interface NeuralPart extends Omit<NeuralConfig, 'model' | 'strategy' | 'seeds' | 'schedule'> {
  /** `${model}-${strategy}`, then `.${schedule}` when several are compared, `.seed${k}` when --seeds > 1: sub-directory name */
  part: string;
  model: string;
  strategy: string;
  /** one schedule (undefined: the family's default) */
  schedule?: string;
  /** k of --seeds K (absent when K = 1) */
  trajectory?: number;
}

/** Which trajectories are one curve: `${model}-${strategy}`, with `.${schedule}` when several schedules run (results.json's keys). */
export interface PartGroup {
  id: string;
  model: string;
  strategy: string;
  schedule?: string;
  parts: NeuralPart[];
}

/** One generation of a part's curve: the test loss (with --seeds K, over the seeds) and the family's metrics. */
export interface NeuralIterationRow {
  iteration: number;
  /** the test loss on held-out real data (lower is better); with --seeds K its mean over the K trajectories */
  mean: number;
  /** over the seeds: s/√K and mean ± t_{0.975,K−1}·s/√K (null with one seed) */
  stderr: number | null;
  ci95: [number, number] | null;
  theory: null;
  z: null;
  metrics: Metrics;
}

/** One part's result: the JSON shape of the other commands ({ config, backend, seconds, iterations }) plus labels. */
export interface NeuralPartReport {
  config: NeuralPart;
  backend: string;
  backendReason: string;
  seconds: number;
  model: string;
  strategy: string;
  metric: string;
  standIn: string;
  schedule: Schedule;
  settings: Readonly<Record<string, number | string | boolean>>;
  iterations: NeuralIterationRow[];
  /** --seeds K > 1: K, and every trajectory's losses */
  seeds?: number;
  trajectories?: TrajectoryLosses[];
  /** on replace's report when accumulate ran beside it: replace − accumulate, paired seed by seed */
  pairedDifference?: PairedDifference;
  /** simple models' test losses on the same test set (fit on generation 1's real data); means over the seeds */
  baselines?: Baselines;
  /** the collapse definitions this curve decides (src/experiments/profiles.ts); set on the aggregated report */
  profile?: CollapseProfile;
}

/** The per-seed losses of one trajectory, for the record (results.json keeps every seed's curve). */
export interface TrajectoryLosses {
  part: string;
  trajectory: number;
  loss: number[];
  /** the lm: metrics.rareMass per generation (the profile's tailDisappearance pairs it over the seeds) */
  rareMass?: number[];
}

/** replace − accumulate per generation over the paired seeds. */
export interface PairedDifference {
  minus: string;
  iterations: ({ iteration: number } & SeedSummary)[];
}
