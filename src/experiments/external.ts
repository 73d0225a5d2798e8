/**
 * `collapse loop --family external`: options, validation, and the run — every strategy × seed is one trajectory of
 * the generation loop (src/loop/) over the external family, in order; trajectory (strategy, seed s) has the key
 * rootKey(s), so every strategy sees the same real data. With a run directory the state is checkpointed after every
 * generation (src/loop/checkpoint.ts: data sets and models as content-addressed blobs), and a resumed run continues
 * the trajectory it stopped in: bit-identical where the program is deterministic given its seeds.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { rootKey } from '../core/rng.js';
import type { RunStore } from '../core/run-store.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import { Moments } from '../core/stats.js';
import { checkStoredTrajectory, plausibleMetrics, TrajectoryCheckpoints } from '../loop/checkpoint.js';
import { loopPlan, runTrajectory } from '../loop/generation-loop.js';
import { parseStrategy, STRATEGY_FORMS } from '../strategies/index.js';
import type { Metrics } from '../models/model.js';
import { parseStrategyList } from './neural.js';
import { externalFamily } from '../models/external/family.js';
import { loadSpec, type ExternalSpec } from '../models/external/spec.js';

/** The families `collapse loop` runs: so far the external-process family. */
export const LOOP_FAMILIES = ['external'] as const;

/** The options of `collapse loop`: one declaration for the flags, --help, validation and {@link ExternalLoopConfig}. */
export const LOOP_OPTIONS = [
  { flag: 'family', kind: 'enum', default: 'external', choices: LOOP_FAMILIES, description: 'external: a program in any language, named by --spec' },
  { flag: 'spec', kind: 'string', meta: 'file', description: 'the external family: a JSON or YAML file naming its real, fit, sample and evaluate commands (docs/your-own-model.md)' },
  { flag: 'strategy', kind: 'string', default: 'replace,accumulate', meta: 'strategies', description: `comma-separated strategies (${STRATEGY_FORMS.join(', ')}), one set of trajectories each` },
  { flag: 'iterations', kind: 'int', default: 10, min: 1, max: 1000, description: 'models fit per trajectory' },
  { flag: 'samples', kind: 'int', default: 100, min: 1, max: 10_000_000, description: 'm, items per data set' },
  { flag: 'test-samples', kind: 'int', default: 1000, min: 1, max: 10_000_000, description: 'held-out real items per trajectory, passed to every evaluate' },
  { flag: 'seeds', kind: 'int', default: 5, min: 1, max: 10_000, description: 'trajectories per strategy: seeds seed, seed + 1, …' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff - 10_000, description: 'the first seed' },
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse loop` configuration; keys are the flag names. Derived from {@link LOOP_OPTIONS}, but `spec` is
 * required (validation refuses a run without it) and `strategy` is the parsed list of canonical strategy names.
 */
export type ExternalLoopConfig = Omit<ConfigOf<typeof LOOP_OPTIONS>, 'spec' | 'strategy'> & { spec: string; strategy: string[] };

/** Defaults applied and every field checked; a one-line UsageError otherwise. The spec file is read by the run. */
export function validateLoopConfig(raw: Record<string, unknown>): ExternalLoopConfig {
  const out: Record<string, unknown> = {};
  for (const spec of LOOP_OPTIONS) {
    const value = raw[spec.flag];
    // a stored configuration (--resume, sweeps) holds the list; the flag and config files give the comma-separated text
    if (spec.flag === 'strategy') out.strategy = parseStrategyList(Array.isArray(value) ? value.join(',') : (value ?? (spec as { default?: unknown }).default));
    else out[spec.flag] = value === undefined ? (spec as { default?: unknown }).default : parseOption(spec, value);
  }
  if (out.spec === undefined) throw new UsageError('--family external needs --spec FILE (a JSON or YAML file naming the real, fit, sample and evaluate commands; docs/your-own-model.md)');
  return out as unknown as ExternalLoopConfig;
}

/** Loads the configuration's spec (relative paths: from the working directory). */
export const loadLoopSpec = (config: ExternalLoopConfig): ExternalSpec => loadSpec(config.spec, (bytes) => createHash('sha256').update(bytes).digest('hex'));

/** One trajectory's id in checkpoints and results. */
const trajectoryId = (strategy: string, seed: number) => `${strategy}/seed-${seed}`;

/** The checkpoint state of a loop run: finished trajectories, and the one in progress (StoredTrajectory). */
export interface LoopState {
  specSha256: string;
  completed: Record<string, Metrics[]>;
  current?: string;
  trajectory?: unknown;
}

/** Checks a stored LoopState against the configuration and spec before a resume trusts it (one-line UsageError). */
export function checkLoopState(state: unknown, config: ExternalLoopConfig, spec: ExternalSpec, dir: string): LoopState {
  const s = state as Partial<LoopState> | null;
  const ids = new Set(config.strategy.flatMap((st) => Array.from({ length: config.seeds }, (_, k) => trajectoryId(st, config.seed + k))));
  const bad = (why: string) => new UsageError(`--resume ${dir}: its checkpoint.json does not fit the run in its manifest.json (${why}); nothing was changed`);
  if (!s || typeof s !== 'object' || typeof s.completed !== 'object' || s.completed === null) throw bad('no loop state');
  if (s.specSha256 !== spec.sha256) throw new UsageError(`--resume ${dir}: --spec ${config.spec} changed since the run started (its SHA-256 differs); restore it, or start afresh with --out`);
  for (const [id, rows] of Object.entries(s.completed)) {
    if (!ids.has(id) || !plausibleMetrics(rows, config.iterations)) throw bad(`trajectory ${id}`);
  }
  if (s.current !== undefined) {
    if (!ids.has(s.current) || s.current in s.completed) throw bad(`trajectory ${s.current}`);
    checkStoredTrajectory(s.trajectory, dir, config.iterations);
  }
  return s as LoopState;
}

/**
 * Per strategy and generation: every metric's mean and standard error over the seeds, and each seed's value;
 * `mean` and `stderr` repeat those of the report's primary metric (what sweep tables and figures plot).
 */
export interface LoopStrategyReport {
  strategy: string;
  iterations: { iteration: number; mean: number; stderr: number | null; metrics: Record<string, { mean: number; stderr: number | null; values: number[] }> }[];
}

/** What {@link runExternalLoop} returns. */
export interface LoopReport {
  config: ExternalLoopConfig;
  family: { name: string; specSha256: string };
  /** the primary metric, iterations[].mean: `loss` if the family reports one, else the first metric it wrote */
  metric: string;
  seconds: number;
  strategies: LoopStrategyReport[];
}

/** How a loop run is watched and stored. */
export interface LoopControl {
  /** the run directory: a checkpoint after every generation, the work folder under it */
  store?: RunStore;
  /** continue from this state (checked with checkLoopState) */
  resume?: { state: LoopState; label: string; elapsedSeconds: number };
  signal?: AbortSignal;
  /** after every generation of every trajectory: how many of the run's trajectory-generations are done */
  onProgress?: (done: number, total: number) => void;
}

/** Runs (or continues) every trajectory; results in the order strategies × seeds. */
export async function runExternalLoop(config: ExternalLoopConfig, spec: ExternalSpec, control: LoopControl = {}): Promise<LoopReport> {
  const started = performance.now();
  const prior = control.resume?.elapsedSeconds ?? 0;
  const seconds = () => prior + (performance.now() - started) / 1000;
  const completed: Record<string, Metrics[]> = { ...(control.resume?.state.completed ?? {}) };
  const total = config.strategy.length * config.seeds * config.iterations;
  const scratch = control.store ? undefined : mkdtempSync(join(tmpdir(), 'collapse-loop-'));
  const work = control.store ? control.store.path('work') : (scratch as string);
  try {
    for (const name of config.strategy) {
      const strategy = parseStrategy(name);
      const plan = loopPlan(strategy, config.iterations);
      for (let k = 0; k < config.seeds; k++) {
        const seed = config.seed + k;
        const id = trajectoryId(name, seed);
        if (completed[id]) continue;
        const family = externalFamily(spec, join(work, `${name.replace(/[^\w.-]+/g, '_')}-seed-${seed}`), control.signal);
        const checkpoints = control.store ? new TrajectoryCheckpoints(control.store.dir, family.codec) : undefined;
        const stored = control.resume?.state.current === id ? control.resume : undefined;
        const resume = stored && checkpoints ? checkpoints.load(stored.state.trajectory, stored.label, config.iterations) : undefined;
        const doneBefore = () => Object.keys(completed).length * config.iterations;
        try {
          const metrics = await runTrajectory(family, { strategy, iterations: config.iterations, samples: config.samples, testSamples: config['test-samples'] }, rootKey(seed), plan, {
            resume,
            signal: control.signal,
            release: (model) => family.release(model),
            onGeneration: (state) => {
              checkpoints?.save(control.store as RunStore, state, seconds(), { specSha256: spec.sha256, completed, current: id });
              control.onProgress?.(doneBefore() + state.done, total);
            },
          });
          completed[id] = metrics;
          control.store?.saveCheckpoint({ specSha256: spec.sha256, completed }, seconds());
        } finally {
          family.dispose();
        }
      }
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  const first = Object.keys(Object.values(completed)[0]?.[0] ?? {});
  const metric = first.includes('loss') ? 'loss' : first[0];
  return { config, family: { name: spec.name, specSha256: spec.sha256 }, metric, seconds: seconds(), strategies: summarise(config, completed, metric) };
}

function summarise(config: ExternalLoopConfig, completed: Record<string, Metrics[]>, metric: string): LoopStrategyReport[] {
  return config.strategy.map((strategy) => {
    const runs = Array.from({ length: config.seeds }, (_, k) => completed[trajectoryId(strategy, config.seed + k)]);
    const iterations = Array.from({ length: config.iterations }, (_, n) => {
      const names = [...new Set(runs.flatMap((r) => Object.keys(r[n])))];
      const metrics = Object.fromEntries(
        names.map((name) => {
          const values = runs.map((r, k) => {
            const v = r[n][name];
            if (v === undefined) throw new UsageError(`external family: the evaluate command gave no ${name} at generation ${n + 1} of ${trajectoryId(strategy, config.seed + k)} (every call must give the same metrics)`);
            return v;
          });
          const m = new Moments();
          for (const v of values) m.add(v);
          return [name, { mean: m.mean, stderr: values.length > 1 ? m.stderr : null, values }];
        }),
      );
      return { iteration: n + 1, mean: metrics[metric].mean, stderr: metrics[metric].stderr, metrics };
    });
    return { strategy, iterations };
  });
}

/** One CSV row per strategy, seed, generation and metric. */
export function loopCsv(report: LoopReport): string {
  const lines = ['strategy,seed,iteration,metric,value'];
  for (const s of report.strategies) {
    for (const row of s.iterations) {
      for (const [name, m] of Object.entries(row.metrics)) m.values.forEach((v, k) => lines.push([s.strategy, report.config.seed + k, row.iteration, name, v].join(',')));
    }
  }
  return lines.join('\n') + '\n';
}
