/**
 * The command of a host family run through the generation loop (`gaussian`, `categorical`): configuration from flags
 * or --config, an optional run directory (src/core/run-store.ts: manifest, config, environment, results JSON and CSV,
 * written atomically) with a checkpoint of the trials done every ~2 s, and --resume DIR, which continues it and ends
 * bit-identical to a run never interrupted (trials run in order; their sums continue where they stopped).
 */
import { withConfigFile } from '../core/config-file.js';
import { UsageError } from '../core/errors.js';
import { plausibleMoments } from '../core/stats.js';
import { inspectRun, preflightOut, type Checkpoint, type Manifest } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { HOST_BACKEND, type TrialOptions, type TrialsCheckpoint } from '../loop/generation-loop.js';
import { rowsToCsv, type IterationRow } from '../verify/report.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
import type { CommonFlags } from './linear.js';
import { envMilliseconds, environment } from '../core/environment.js';
import { progressReporter } from './output.js';
import { configFromManifest, openRun, rejectResumeConflicts } from './resume.js';

/** What a loop command needs: its options, validation, one run, and how to print it. */
export interface LoopCommandSpec<Config extends { trials: number; iterations: number; seed: number }, Report extends { seconds: number; backend: string; backendReason: string; iterations: IterationRow[] }> {
  name: string;
  options: readonly OptionSpec[];
  validate: (raw: Record<string, unknown>) => Config;
  /** parse one flag the way validate would (for the resume comparison) */
  normalise?: (spec: OptionSpec, raw: unknown) => unknown;
  run: (config: Config, options: Omit<TrialOptions, 'keep'>) => Promise<Report>;
  label: (config: Config) => string;
  toJson: (report: Report) => Record<string, unknown>;
  render: (report: Report, out?: string) => string;
}

const pathFlag = (flag: 'out' | 'config' | 'resume', value: unknown) => parseOption({ flag, kind: 'string', meta: 'path', description: '' }, value) as string;

/** Per-iteration moments of n trials that real numbers could have given (finite, a variance ≥ 0). */
const isSums = (x: unknown, n: number) => Array.isArray(x) && x.every((m) => plausibleMoments(m, n));

/** The stored trials state, checked against the configuration before a resume trusts it. */
export function trialsState(state: unknown, config: { trials: number; iterations: number }, dir: string): TrialsCheckpoint {
  const s = state as Partial<TrialsCheckpoint> | null;
  const done = s?.trialsDone;
  const fits =
    typeof done === 'number' && Number.isSafeInteger(done) && done >= 1 && done < config.trials &&
    s?.moments !== undefined && Object.values(s.moments).every((series) => series.length === config.iterations && isSums(series, done)) &&
    s?.values !== undefined && Object.values(s.values).every((rows) => rows.length === config.iterations && rows.every((row) => Array.isArray(row) && row.length === done && row.every(Number.isFinite)));
  if (!fits) throw new UsageError(`--resume ${dir}: its checkpoint.json does not fit the run in its manifest.json; nothing was changed`);
  return s as TrialsCheckpoint;
}

export async function loopCommand<Config extends { trials: number; iterations: number; seed: number }, Report extends { seconds: number; backend: string; backendReason: string; iterations: IterationRow[]; trialIterationsPerSecond: number }>(
  spec: LoopCommandSpec<Config, Report>,
  flags: Record<string, unknown> & CommonFlags,
): Promise<number> {
  const normalise = spec.normalise ?? ((s: OptionSpec, raw: unknown) => parseOption(s, raw));
  const checkResume = (dir: string, given: Record<string, unknown>) => (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    const config = configFromManifest(manifest, dir, given, spec.options, spec.validate, normalise);
    const state = checkpoint ? trialsState(checkpoint.state, config, dir) : undefined;
    return { resumedFrom: state ? `trial ${state.trialsDone + 1} of ${config.trials}` : 'the start (no checkpoint had been written)', checked: { config, state } };
  };
  let config: Config;
  let dir: string | undefined;
  const resuming = flags.resume !== undefined;
  if (resuming) {
    dir = pathFlag('resume', flags.resume);
    rejectResumeConflicts(flags, dir);
    config = inspectRun(dir, spec.name, checkResume(dir, flags)).checked.config; // read-only first
  } else {
    const raw = Object.fromEntries(spec.options.map((o) => [o.flag, flags[o.flag]]));
    const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
    config = withConfigFile(configFile, raw, spec.options, spec.name, spec.validate);
    dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
    if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  }
  const { backendReason } = HOST_BACKEND;
  const { store, checked, priorSeconds } = openRun(dir, resuming, spec.name, checkResume(dir as string, {}), {
    force: Boolean(flags.force),
    run: { command: spec.name, config: { ...config }, seed: config.seed, backend: 'host', backendReason },
  });
  const resume = checked?.state;
  const watch = watchSignals();
  const interval = envMilliseconds('COLLAPSE_CHECKPOINT_INTERVAL_MS', 2000);
  let lastSave = -Infinity;
  const started = performance.now();
  try {
    if (!resuming) store?.writeJson('config.json', config);
    const progress = progressReporter(Boolean(flags.quiet) || Boolean(flags.json), spec.label(config));
    let report: Report;
    try {
      report = await spec.run(config, {
        onProgress: progress,
        resume,
        signal: watch.signal,
        onTrial: (done, snapshot) => {
          // the first trial at once (an early resume point), then at most every ~2 s; the last one needs none
          if (!store || done === config.trials || performance.now() - lastSave < interval) return;
          store.saveCheckpoint(snapshot(), priorSeconds + (performance.now() - started) / 1000);
          lastSave = performance.now();
        },
      });
    } finally {
      progress.end();
    }
    if (resuming) {
      const seconds = priorSeconds + report.seconds;
      report = { ...report, seconds, trialIterationsPerSecond: (config.trials * config.iterations) / seconds };
    }
    if (store) {
      store.writeJson('environment.json', environment({ backend: report.backend, backendReason: report.backendReason }));
      store.writeJson('results.json', spec.toJson(report));
      store.writeText('results.csv', rowsToCsv(report.iterations));
      store.finish('complete'); // last: a manifest that says complete has its results beside it
    }
    process.stdout.write(flags.json ? JSON.stringify(spec.toJson(report)) + '\n' : spec.render(report, dir));
    return 0;
  } catch (error) {
    const interrupted = error instanceof Interrupted ? error : null;
    store?.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    if (interrupted) {
      process.stderr.write(interruptedLine(spec.name, store ? dir : undefined) + '\n');
      return interrupted.exitCode;
    }
    throw error;
  } finally {
    watch.dispose();
  }
}
