/**
 * The run lifecycle every command with a run directory shares, written once: the configuration (flags, --config
 * FILE, or the manifest of --resume DIR, checked read-only before anything is written), the backend (a resumed run
 * keeps its own), the run directory (src/core/run-store.ts) created or resumed under its lock, SIGINT/SIGTERM
 * watched (src/cli/interrupt.ts), checkpoints at most every ~2 s (COLLAPSE_CHECKPOINT_INTERVAL_MS), the result files
 * written before the manifest says complete, and the one line an interrupted run prints. A command gives what is its
 * own: options, the check of its stored state, the run, its files and its printout.
 *
 * `trialsCommand` is that lifecycle for the host families run through the generation loop (`gaussian`,
 * `categorical`): a checkpoint of the trials done, and --resume ending bit-identical to a run never interrupted
 * (trials run in order; their sums continue where they stopped).
 */
import { withConfigFile } from '../core/config-file.js';
import { envMilliseconds, environment } from '../core/environment.js';
import { UsageError } from '../core/errors.js';
import { inspectRun, preflightOut, type Checkpoint, type Manifest, type RunStore } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { plausibleMoments } from '../core/stats.js';
import { HOST_BACKEND, type TrialOptions, type TrialsCheckpoint } from '../loop/generation-loop.js';
import { rowsToCsv, type IterationRow } from '../verify/report.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
import { progressReporter } from './output.js';
import { configFromManifest, openRun, rejectResumeConflicts } from './resume.js';

/** The flags every run command takes besides its own options. */
export interface CommonFlags {
  json?: boolean;
  out?: string;
  force?: boolean;
  quiet?: boolean;
  config?: string;
  resume?: string;
}

/** A path flag's value (a non-empty string), or a one-line UsageError naming the flag. */
export const pathFlag = (flag: 'out' | 'config' | 'resume', value: unknown) => parseOption({ flag, kind: 'string', meta: 'path', description: '' }, value) as string;

/**
 * The backend a run records in its manifest (and keeps when resumed); `destroy` when it holds resources. A null name:
 * the run chooses one later, if it needs one (`figures`).
 */
export interface RunBackend {
  name: string | null;
  reason: string | null;
  destroy?: () => Promise<void>;
}

/** What a resume of the run finds stored: where it continues from, and the checked state it continues with. */
export interface Resumed<Checked> {
  resumedFrom: string;
  checked: Checked;
}

/** What the run itself is given. */
export interface RunContext<Config, Checked, B extends RunBackend = RunBackend> {
  config: Config;
  /** the run directory as the user named it (--out or --resume), if any */
  dir?: string;
  store?: RunStore;
  /** the stored state a resume continues from (checked under the lock); undefined for a new run */
  resumed?: Checked;
  resuming: boolean;
  /** seconds of work behind the checkpoint a resume continues from (0 for a new run) */
  priorSeconds: number;
  backend: B;
  /** the backend a resumed run's manifest names, and why it was chosen then */
  stored: { name: string; reason: string | null } | null;
  signal: AbortSignal;
  /** the run's progress on stderr (nothing with --quiet or --json) */
  quiet: boolean;
  /**
   * Offer a checkpoint: saved at once the first time (an early resume point), then at most every ~2 s; the latest one
   * offered is kept for `flushOnExit`. `snapshot` is called only when it is saved.
   */
  offer(snapshot: () => unknown): void;
  /** Save a checkpoint now. */
  save(state: unknown): void;
}

/** One command's own part of the lifecycle. */
export interface RunCommandSpec<Config, Checked, Result, B extends RunBackend = RunBackend> {
  name: string;
  options: readonly OptionSpec[];
  validate: (raw: Record<string, unknown>) => Config;
  /** parse one flag the way validate would (for the resume comparison); default parseOption */
  normalise?: (spec: OptionSpec, raw: unknown) => unknown;
  /** checks of a stored manifest before its configuration is read (a part of a neural run, …) */
  checkManifest?: (manifest: Manifest, dir: string) => void;
  /** the stored checkpoint checked against the configuration: where a resume continues from, and with what */
  checkState: (config: Config, checkpoint: Checkpoint<unknown> | null, dir: string) => Resumed<Checked>;
  /** work on a fresh configuration before its directory is touched (data files read, timing marks) */
  prepare?: (config: Config) => void | Promise<void>;
  /** the backend, before the directory opens; `stored`: the one a resumed run's manifest names */
  backend: (config: Config, stored: { name: string; reason: string | null } | null, dir: string | undefined) => B | Promise<B>;
  run: (context: RunContext<Config, Checked, B>) => Promise<Result>;
  /** the run's files (results JSON, CSV, environment.json), written before the manifest says complete */
  write?: (result: Result, store: RunStore, context: RunContext<Config, Checked, B>) => void;
  /** print the result on stdout; returns the exit code */
  print: (result: Result, context: RunContext<Config, Checked, B>) => number;
  /** write config.json beside the manifest (default true) */
  writeConfig?: boolean;
  /** save the last checkpoint offered on failure or interruption too (its state stays valid once offered) */
  flushOnExit?: boolean;
  /** an error after a signal is the signal's doing (a child program that got the terminal's Ctrl-C as well) */
  signalExplainsFailure?: boolean;
  /** a command's own reading of an error, after the run directory recorded it */
  mapError?: (error: unknown, context: { resuming: boolean; dir?: string }) => unknown;
}

/** The configuration and the directory of one invocation: fresh from flags and --config, or --resume DIR's. */
async function resolve<Config extends { seed: number }, Checked, Result, B extends RunBackend>(spec: RunCommandSpec<Config, Checked, Result, B>, flags: Record<string, unknown> & CommonFlags) {
  const normalise = spec.normalise ?? ((s: OptionSpec, raw: unknown) => parseOption(s, raw));
  const check = (dir: string, given: Record<string, unknown>) => (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    spec.checkManifest?.(manifest, dir);
    const config = configFromManifest(manifest, dir, given, spec.options, spec.validate, normalise);
    const { resumedFrom, checked } = spec.checkState(config, checkpoint, dir);
    return { resumedFrom, checked: { config, checked } };
  };
  if (flags.resume !== undefined) {
    const dir = pathFlag('resume', flags.resume);
    rejectResumeConflicts(flags, dir);
    const { manifest, checked } = inspectRun(dir, spec.name, check(dir, flags)); // read-only first
    const stored = manifest.backend === null ? null : { name: manifest.backend, reason: manifest.backendReason };
    return { config: checked.config, dir, resuming: true, stored, check: check(dir, {}) };
  }
  const raw = Object.fromEntries(spec.options.map((o) => [o.flag, flags[o.flag]]));
  const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
  const config = withConfigFile(configFile, raw, spec.options, spec.name, spec.validate);
  await spec.prepare?.(config);
  const dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
  if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  return { config, dir, resuming: false, stored: null, check: check(dir as string, {}) };
}

/** Runs one command through the whole lifecycle; returns its exit code (the signal's after an interruption). */
export async function runCommand<Config extends { seed: number }, Checked, Result, B extends RunBackend = RunBackend>(
  spec: RunCommandSpec<Config, Checked, Result, B>,
  flags: Record<string, unknown> & CommonFlags,
): Promise<number> {
  const { config, dir, resuming, stored, check } = await resolve(spec, flags);
  const watch = watchSignals();
  const interval = envMilliseconds('COLLAPSE_CHECKPOINT_INTERVAL_MS', 2000);
  let backend: B | undefined;
  let store: RunStore | undefined;
  let latest: (() => unknown) | undefined;
  let lastSave = -Infinity;
  let started = performance.now();
  let priorSeconds = 0;
  const save = (state: unknown) => {
    store?.saveCheckpoint(state, priorSeconds + (performance.now() - started) / 1000);
    lastSave = performance.now();
  };
  const flush = () => {
    if (store && latest) save(latest());
    latest = undefined;
  };
  try {
    backend = await spec.backend(config, stored, dir);
    const interrupted = watch.interrupted();
    if (interrupted) throw interrupted;
    const opened = openRun(dir, resuming, spec.name, check, {
      force: Boolean(flags.force),
      run: { command: spec.name, config: { ...config }, seed: config.seed, backend: backend.name, backendReason: backend.reason },
    });
    store = opened.store;
    priorSeconds = opened.priorSeconds;
    if (spec.writeConfig !== false) store?.writeJson('config.json', config);
    started = performance.now();
    const context: RunContext<Config, Checked, B> = {
      config,
      dir,
      store,
      resumed: opened.checked?.checked,
      resuming,
      priorSeconds,
      backend,
      stored,
      signal: watch.signal,
      quiet: Boolean(flags.quiet) || Boolean(flags.json),
      offer(snapshot) {
        if (!store) return;
        latest = snapshot;
        if (lastSave === -Infinity || performance.now() - lastSave >= interval) flush();
      },
      save: (state) => save(state),
    };
    const result = await spec.run(context);
    if (store) {
      if (spec.flushOnExit) flush();
      spec.write?.(result, store, context);
      store.finish('complete'); // last: a manifest that says complete has its results beside it
    }
    return spec.print(result, context);
  } catch (error) {
    const interrupted = error instanceof Interrupted ? error : spec.signalExplainsFailure ? watch.interrupted() : null;
    if (store) {
      try {
        if (spec.flushOnExit) flush(); // the last whole step: resuming from it repeats nothing and loses nothing
      } catch {
        // the checkpoint on disk (if any) is the previous one, still whole; report the first error, not this one
      }
      store.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    }
    if (interrupted) {
      const line =
        store || resuming ? interruptedLine(spec.name, dir) // a resumed run's directory stays resumable even if this one never started
        : dir !== undefined ? 'collapse: interrupted before the run started; nothing was written'
        : interruptedLine(spec.name, undefined);
      process.stderr.write(line + '\n');
      return interrupted.exitCode;
    }
    throw spec.mapError ? spec.mapError(error, { resuming, dir }) : error;
  } finally {
    watch.dispose();
    await backend?.destroy?.();
  }
}

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

type TrialsConfig = { trials: number; iterations: number; seed: number };
type TrialsReport = { seconds: number; backend: string; backendReason: string; iterations: IterationRow[]; trialIterationsPerSecond: number };

/** What a host family's command gives: its options, validation, one run, and how to print it. */
export interface TrialsCommandSpec<Config extends TrialsConfig, Report extends TrialsReport> {
  name: string;
  options: readonly OptionSpec[];
  validate: (raw: Record<string, unknown>) => Config;
  /** parse one flag the way validate would (for the resume comparison) */
  normalise?: (spec: OptionSpec, raw: unknown) => unknown;
  /** check a stored checkpoint's state against the configuration (default: {@link trialsState}, one series per iteration) */
  checkState?: (state: unknown, config: Config, dir: string) => TrialsCheckpoint;
  run: (config: Config, options: Omit<TrialOptions, 'keep'>) => Promise<Report>;
  label: (config: Config) => string;
  toJson: (report: Report) => Record<string, unknown>;
  render: (report: Report, out?: string) => string;
}

/** `gaussian` and `categorical`: trials through the generation loop on the host, checkpointed every ~2 s. */
export function trialsCommand<Config extends TrialsConfig, Report extends TrialsReport>(spec: TrialsCommandSpec<Config, Report>, flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return runCommand<Config, TrialsCheckpoint | undefined, Report>(
    {
      ...spec,
      checkState: (config, checkpoint, dir) => {
        const state = checkpoint ? (spec.checkState ?? trialsState)(checkpoint.state, config, dir) : undefined;
        return { resumedFrom: state ? `trial ${state.trialsDone + 1} of ${config.trials}` : 'the start (no checkpoint had been written)', checked: state };
      },
      backend: () => ({ name: 'host', reason: HOST_BACKEND.backendReason }),
      run: async ({ config, resumed, resuming, priorSeconds, signal, quiet, offer }) => {
        const progress = progressReporter(quiet, spec.label(config));
        let report: Report;
        try {
          report = await spec.run(config, {
            onProgress: progress,
            resume: resumed,
            signal,
            // the last trial needs no checkpoint: the results follow
            onTrial: (done, snapshot) => (done === config.trials ? undefined : offer(snapshot)),
          });
        } finally {
          progress.end();
        }
        if (!resuming) return report;
        const seconds = priorSeconds + report.seconds;
        return { ...report, seconds, trialIterationsPerSecond: (config.trials * config.iterations) / seconds };
      },
      write: (report, store) => {
        store.writeJson('environment.json', environment({ backend: report.backend, backendReason: report.backendReason }));
        store.writeJson('results.json', spec.toJson(report));
        store.writeText('results.csv', rowsToCsv(report.iterations));
      },
      print: (report, { dir }) => {
        process.stdout.write(flags.json ? JSON.stringify(spec.toJson(report)) + '\n' : spec.render(report, dir));
        return 0;
      },
    },
    flags,
  );
}
