/**
 * `collapse linear`: one Monte Carlo run against the closed form. With --out DIR the run lives in a run directory
 * (src/core/run-store.ts): manifest, checkpoint every ~2 s and at the end, results; --resume DIR continues it and ends
 * bit-identical to a run never interrupted (same backend).
 */
import { CheckpointMismatchError, UsageError } from '../core/errors.js';
import { withConfigFile } from '../core/config-file.js';
import { inspectRun, preflightOut, RunStore, type Checkpoint, type Manifest } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { mark } from '../core/timing.js';
import { selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import type { MonteCarloCheckpoint } from '../models/linear/monte-carlo.js';
import { linearProfile } from '../models/family-profiles.js';
import { LINEAR_OPTIONS, runLinear, validateLinearConfig, type LinearConfig, type LinearReport } from '../models/linear/run.js';
import { parseStrategy } from '../strategies/index.js';
import { rowsToCsv } from '../verify/report.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
import { describeProgress, linearCheckpointState } from './linear-checkpoint.js';
import { envMilliseconds, environment, fmt, progressReporter, table } from './output.js';
import { configFromManifest, rejectResumeConflicts } from './resume.js';

export { LINEAR_OPTIONS };

export interface CommonFlags {
  json?: boolean;
  out?: string;
  force?: boolean;
  quiet?: boolean;
  config?: string;
  resume?: string;
}

const DIR_OPTION: OptionSpec = { flag: 'out', kind: 'string', meta: 'dir', description: '' };
const pathFlag = (flag: 'out' | 'resume' | 'config', value: unknown) => parseOption({ ...DIR_OPTION, flag }, value) as string;

function configFlags(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(LINEAR_OPTIONS.map((spec) => [spec.flag, flags[spec.flag]]));
}

const normalise = (spec: OptionSpec, raw: unknown) => (spec.flag === 'strategy' ? parseStrategy(raw).name : parseOption(spec, raw));

/** What one invocation runs: a new run (maybe into --out), or the continuation of a stored one. */
interface Job {
  config: LinearConfig;
  /** the run directory as the user named it */
  dir?: string;
  force: boolean;
  quiet: boolean;
  json: boolean;
  resume?: { state?: MonteCarloCheckpoint; elapsedSeconds: number; backend: string | null; backendReason: string | null };
}

export async function linearCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const quiet = Boolean(flags.quiet) || Boolean(flags.json);
  if (flags.resume !== undefined) {
    const dir = pathFlag('resume', flags.resume);
    rejectResumeConflicts(flags, dir);
    const { manifest, checkpoint, checked } = inspectRun(dir, 'linear', checkResume(dir, flags));
    return execute({
      config: checked.config,
      dir,
      force: false,
      quiet,
      json: Boolean(flags.json),
      resume: { state: checked.state, elapsedSeconds: checkpoint?.elapsedSeconds ?? 0, backend: manifest.backend, backendReason: manifest.backendReason },
    });
  }
  const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
  const config = withConfigFile(configFile, configFlags(flags), LINEAR_OPTIONS, 'linear', validateLinearConfig);
  mark('configValidated');
  const dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
  if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  return execute({ config, dir, force: Boolean(flags.force), quiet, json: Boolean(flags.json) });
}

/** The resume check: configuration from the manifest (flags must agree), checkpoint state that fits it. */
function checkResume(dir: string, flags: Record<string, unknown>) {
  return (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    const config = configFromManifest(manifest, dir, configFlags(flags), LINEAR_OPTIONS, validateLinearConfig, normalise);
    const state = checkpoint ? linearCheckpointState(checkpoint.state, config, dir) : undefined;
    return { resumedFrom: state ? describeProgress(state, config) : 'the start (no checkpoint had been written)', checked: { config, state } };
  };
}

async function chooseBackend(job: Job): Promise<Backend> {
  if (!job.resume?.backend) return selectBackend(job.config.backend);
  try {
    return await selectBackend(job.resume.backend as BackendRequest); // the run's own backend: results stay bit-identical
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--resume ${job.dir}: the run used backend ${job.resume.backend}, which cannot run here (${error.message})`);
    throw error;
  }
}

async function execute(job: Job): Promise<number> {
  const { config } = job;
  const watch = watchSignals();
  const interval = envMilliseconds('COLLAPSE_CHECKPOINT_INTERVAL_MS', 2000);
  let backend: Backend | undefined;
  let store: RunStore | undefined;
  let latest: MonteCarloCheckpoint | undefined;
  let unsaved = false;
  let lastSave = -Infinity;
  let simulationStart = performance.now();
  let priorSeconds = job.resume?.elapsedSeconds ?? 0;
  const save = () => {
    if (!store || !latest || !unsaved) return;
    store.saveCheckpoint(latest, priorSeconds + (performance.now() - simulationStart) / 1000);
    unsaved = false;
    lastSave = performance.now();
  };
  try {
    backend = await chooseBackend(job);
    const interrupted = watch.interrupted();
    if (interrupted) throw interrupted;
    if (job.dir !== undefined) {
      if (job.resume) {
        const resumed = RunStore.resume(job.dir, 'linear', checkResume(job.dir, {})); // checked again, under the lock
        store = resumed.store;
        job.resume.state = resumed.checked.state;
        job.resume.elapsedSeconds = resumed.checkpoint?.elapsedSeconds ?? 0;
      } else {
        store = RunStore.create(job.dir, job.force, { command: 'linear', config: { ...config }, seed: config.seed, backend: backend.name, backendReason: backend.reason });
      }
      store.writeJson('config.json', config);
    }
    priorSeconds = job.resume?.elapsedSeconds ?? 0;
    const progress = progressReporter(job.quiet, `linear ${config.strategy} ${config.method}`);
    simulationStart = performance.now();
    let report: LinearReport;
    try {
      report = await runLinear(config, {
        backend,
        onProgress: progress,
        control: {
          resume: job.resume?.state,
          signal: watch.signal,
          onChunk: (checkpoint) => {
            latest = checkpoint;
            unsaved = true;
            // the first chunk at once (a resume point early), then at most every ~2 s, and always at the end
            if (lastSave === -Infinity || performance.now() - lastSave >= interval) save();
          },
        },
      });
    } finally {
      progress.end();
    }
    if (job.resume) {
      const seconds = priorSeconds + report.seconds;
      report = { ...report, seconds, trialIterationsPerSecond: (config.trials * config.iterations) / seconds, backendReason: job.resume.backendReason ?? report.backendReason };
    }
    if (store) {
      save();
      store.writeJson('environment.json', environment({ backend: report.backend, backendReason: report.backendReason, kernels: report.kernels }));
      store.writeJson('results.json', toJson(report));
      store.writeText('results.csv', rowsToCsv(report.iterations));
      store.finish('complete'); // last: a manifest that says complete has its results beside it
    }
    process.stdout.write(job.json ? JSON.stringify(toJson(report)) + '\n' : render(report, job.dir));
    return 0;
  } catch (error) {
    const interrupted = error instanceof Interrupted ? error : watch.interrupted();
    if (store) {
      try {
        save(); // the last whole chunk: resuming from it repeats nothing and loses nothing
      } catch {
        // the checkpoint on disk (if any) is the previous one, still whole; report the first error, not this one
      }
      store.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    }
    if (interrupted && (error === interrupted || error instanceof Interrupted)) {
      const line =
        store || job.resume ? interruptedLine('linear', job.dir) // a resumed run's directory stays resumable even if this one never started
        : job.dir !== undefined ? 'collapse: interrupted before the run started; nothing was written'
        : interruptedLine('linear', undefined);
      process.stderr.write(line + '\n');
      return interrupted.exitCode;
    }
    if (job.resume && error instanceof CheckpointMismatchError) {
      throw new UsageError(`--resume ${job.dir}: its checkpoint does not fit this version of collapse (its chunking or its recorded sums changed); start the run afresh`);
    }
    throw error;
  } finally {
    watch.dispose();
    await backend?.destroy();
  }
}

/** The fields every command's JSON starts with, in this order. */
export function reportHead(report: {
  config: object; backend: string; backendReason: string; seconds: number; trialIterationsPerSecond: number; theoryFormula: string; hasTheory: boolean;
}): Record<string, unknown> {
  const { config, backend, backendReason, seconds, trialIterationsPerSecond, theoryFormula, hasTheory } = report;
  return { config, backend, backendReason, seconds, trialIterationsPerSecond, theoryFormula, hasTheory };
}

/** The stable JSON shape: { config, backend, seconds, iterations: [{ iteration, mean, stderr, ci95, theory, … }] }. */
export function toJson(report: LinearReport): Record<string, unknown> {
  return {
    ...reportHead(report),
    profile: linearProfile(report.config),
    accumulateBound: report.accumulateBound,
    traceGramInverse: report.traceGramInverse,
    noIntervalReason: report.noIntervalReason,
    bandInputs: report.bandInputs,
    iterations: report.iterations,
  };
}

/** The trace the first fit's error scales with, named for what it is; no number where it does not exist. */
function traceLine(report: LinearReport): string {
  const t = report.traceGramInverse;
  const c = report.config;
  if (t === null) {
    return c.samples <= c.dim
      ? `tr((XᵀX)⁻¹): none (T = ${c.samples} ≤ d = ${c.dim}: XᵀX is singular; the fits are minimum-norm)`
      : `tr((XᵀX)⁻¹): none (T = ${c.samples} = d + 1: its expectation is infinite, proofs P4)`;
  }
  const spread = t.stderr === null ? ' (no ± : infinite variance)' : ` ± ${fmt(t.stderr, 2)}`;
  const T = c.design === 'random' ? 'T0' : 'T';
  const theory = t.theory === null ? 'no closed form (Monte Carlo only)' : `theory d/(${T}−d−1) = ${fmt(t.theory)}`;
  return `${t.quantity}: Monte Carlo ${fmt(t.mean)}${spread}, ${theory}`;
}

function render(report: LinearReport, out?: string): string {
  const c = report.config;
  const rows = report.iterations.map((r) => [
    String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.ci95?.[0] ?? null), fmt(r.ci95?.[1] ?? null), fmt(r.theory), fmt(r.z, 3), fmt(r.zConditional, 3),
  ]);
  const lines = [
    `collapse linear: ${c.strategy}, d=${c.dim}, T=${c.samples}, σ²=${c.noise}, ${c.iterations} iterations, ${c.trials} trials, seed ${c.seed}, method ${c.method}`,
    `backend ${report.backend} (${report.backendReason}); ${report.seconds.toFixed(2)} s, ${Math.round(report.trialIterationsPerSecond)} trial-iterations/s`,
    report.hasTheory
      ? `theory: E‖ŵ_n − w*‖² = ${report.theoryFormula}; z = (mean − theory)/stderr; z|X uses σ²·tr((XᵀX)⁻¹) per trial`
      : `theory: ${report.theoryFormula}`,
    '',
    table(['n', 'mean', 'stderr', 'ci95 low', 'ci95 high', 'theory', 'z', 'z|X'], rows),
    ...(report.noIntervalReason ? [report.noIntervalReason] : []),
    '',
    traceLine(report),
  ];
  if (report.accumulateBound !== null) {
    const worst = Math.max(...report.iterations.map((r) => r.mean));
    lines.push(`accumulate bound π²/6 × first error = ${fmt(report.accumulateBound)}; largest Monte Carlo mean ${fmt(worst)}`);
  }
  if (out) lines.push(`wrote ${out}/{manifest.json, config.json, checkpoint.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
