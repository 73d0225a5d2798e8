/**
 * `collapse linear`: one Monte Carlo run against the closed form. With --out DIR the run lives in a run directory
 * (src/core/run-store.ts): manifest, checkpoint every ~2 s and at the end, results; --resume DIR continues it and ends
 * bit-identical to a run never interrupted (same backend).
 */
import { environment } from '../core/environment.js';
import { CheckpointMismatchError, UsageError } from '../core/errors.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { mark } from '../core/timing.js';
import { LINEAR_OPTIONS, runLinear, validateLinearConfig, type LinearConfig, type LinearReport } from '../experiments/linear.js';
import { selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import type { MonteCarloCheckpoint } from '../models/linear/monte-carlo.js';
import { linearProfile } from '../experiments/profiles.js';
import { parseStrategy } from '../strategies/index.js';
import { rowsToCsv } from '../verify/report.js';
import { describeProgress, linearCheckpointState } from './linear-checkpoint.js';
import { fmt, progressReporter, table } from './output.js';
import { runCommand, type CommonFlags } from './run-command.js';

export { LINEAR_OPTIONS };

const normalise = (spec: OptionSpec, raw: unknown) => (spec.flag === 'strategy' ? parseStrategy(raw).name : parseOption(spec, raw));

/** The run's backend; a resumed run keeps its own, so its results stay bit-identical. */
async function chooseBackend(config: LinearConfig, stored: { name: string } | null, dir: string | undefined): Promise<Backend> {
  if (!stored) return selectBackend(config.backend);
  try {
    return await selectBackend(stored.name as BackendRequest);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--resume ${dir}: the run used backend ${stored.name}, which cannot run here (${error.message})`);
    throw error;
  }
}

export function linearCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return runCommand<LinearConfig, MonteCarloCheckpoint | undefined, LinearReport, Backend>(
    {
      name: 'linear',
      options: LINEAR_OPTIONS,
      validate: validateLinearConfig,
      normalise,
      checkState: (config, checkpoint, dir) => {
        const state = checkpoint ? linearCheckpointState(checkpoint.state, config, dir) : undefined;
        return { resumedFrom: state ? describeProgress(state, config) : 'the start (no checkpoint had been written)', checked: state };
      },
      prepare: () => mark('configValidated'),
      backend: chooseBackend,
      flushOnExit: true, // the last whole chunk: resuming from it repeats nothing and loses nothing
      run: async ({ config, backend, stored, resumed, resuming, priorSeconds, signal, quiet, offer }) => {
        const progress = progressReporter(quiet, `linear ${config.strategy} ${config.method}`);
        let report: LinearReport;
        try {
          // the first chunk at once (a resume point early), then at most every ~2 s, and always at the end
          report = await runLinear(config, { backend, onProgress: progress, control: { resume: resumed, signal, onChunk: (checkpoint) => offer(() => checkpoint) } });
        } finally {
          progress.end();
        }
        if (!resuming) return report;
        const seconds = priorSeconds + report.seconds;
        return { ...report, seconds, trialIterationsPerSecond: (config.trials * config.iterations) / seconds, backendReason: stored?.reason ?? report.backendReason };
      },
      write: (report, store) => {
        store.writeJson('environment.json', environment({ backend: report.backend, backendReason: report.backendReason, kernels: report.kernels }));
        store.writeJson('results.json', toJson(report));
        store.writeText('results.csv', rowsToCsv(report.iterations));
      },
      print: (report, { dir }) => {
        process.stdout.write(flags.json ? JSON.stringify(toJson(report)) + '\n' : render(report, dir));
        return 0;
      },
      mapError: (error, { resuming, dir }) =>
        resuming && error instanceof CheckpointMismatchError
          ? new UsageError(`--resume ${dir}: its checkpoint does not fit this version of collapse (its chunking or its recorded sums changed); start the run afresh`)
          : error,
    },
    flags,
  );
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
