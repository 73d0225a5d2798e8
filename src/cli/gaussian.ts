/**
 * `collapse gaussian`: recursive Gaussian fitting (or kernel density estimation) through the generation loop. With
 * --out DIR the run lives in a run directory (src/core/run-store.ts: manifest, config, environment, results JSON and
 * CSV, written atomically) and checkpoints the trials done so far every ~2 s; --resume DIR continues it and ends
 * bit-identical to a run never interrupted (trials run in order; their sums continue where they stopped).
 */
import { withConfigFile } from '../core/config-file.js';
import { UsageError } from '../core/errors.js';
import { plausibleMoments } from '../core/stats.js';
import { inspectRun, preflightOut, type Checkpoint, type Manifest } from '../core/run-store.js';
import { parseOption } from '../core/schema.js';
import type { TrialsCheckpoint } from '../loop/generation-loop.js';
import { GAUSSIAN_OPTIONS, runGaussian, validateGaussianConfig, type GaussianConfig, type GaussianReport } from '../models/gaussian/run.js';
import { rowsToCsv } from '../verify/report.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
import { reportHead, type CommonFlags } from './linear.js';
import { envMilliseconds, environment, fmt, progressReporter, table } from './output.js';
import { configFromManifest, openRun, rejectResumeConflicts } from './resume.js';

export { GAUSSIAN_OPTIONS };

const pathFlag = (flag: 'out' | 'config' | 'resume', value: unknown) => parseOption({ flag, kind: 'string', meta: 'path', description: '' }, value) as string;

/** Per-iteration moments of n trials that real numbers could have given (finite, a variance ≥ 0). */
const isSums = (x: unknown, n: number) => Array.isArray(x) && x.every((m) => plausibleMoments(m, n));

/** The stored trials state, checked against the configuration before a resume trusts it. */
function trialsState(state: unknown, config: GaussianConfig, dir: string): TrialsCheckpoint {
  const s = state as Partial<TrialsCheckpoint> | null;
  const done = s?.trialsDone;
  const fits =
    typeof done === 'number' && Number.isSafeInteger(done) && done >= 1 && done < config.trials &&
    s?.moments !== undefined && Object.values(s.moments).every((series) => series.length === config.iterations && isSums(series, done)) &&
    s?.values !== undefined && Object.values(s.values).every((rows) => rows.length === config.iterations && rows.every((row) => Array.isArray(row) && row.length === done && row.every(Number.isFinite)));
  if (!fits) throw new UsageError(`--resume ${dir}: its checkpoint.json does not fit the run in its manifest.json; nothing was changed`);
  return s as TrialsCheckpoint;
}

function checkResume(dir: string, flags: Record<string, unknown>) {
  return (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    const config = configFromManifest(manifest, dir, flags, GAUSSIAN_OPTIONS, validateGaussianConfig, (spec, raw) => parseOption(spec, raw));
    const state = checkpoint ? trialsState(checkpoint.state, config, dir) : undefined;
    return { resumedFrom: state ? `trial ${state.trialsDone + 1} of ${config.trials}` : 'the start (no checkpoint had been written)', checked: { config, state } };
  };
}

export async function gaussianCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  let config: GaussianConfig;
  let dir: string | undefined;
  const resuming = flags.resume !== undefined;
  if (resuming) {
    dir = pathFlag('resume', flags.resume);
    rejectResumeConflicts(flags, dir);
    config = inspectRun(dir, 'gaussian', checkResume(dir, flags)).checked.config; // read-only first
  } else {
    const raw = Object.fromEntries(GAUSSIAN_OPTIONS.map((spec) => [spec.flag, flags[spec.flag]]));
    const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
    config = withConfigFile(configFile, raw, GAUSSIAN_OPTIONS, 'gaussian', validateGaussianConfig);
    dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
    if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  }
  const backendReason = 'host float64: the generation loop on typed arrays (no gpu.js kernels)';
  const { store, checked, priorSeconds } = openRun(dir, resuming, 'gaussian', checkResume(dir as string, {}), {
    force: Boolean(flags.force),
    run: { command: 'gaussian', config: { ...config }, seed: config.seed, backend: 'host', backendReason },
  });
  const resume = checked?.state;
  const watch = watchSignals();
  const interval = envMilliseconds('COLLAPSE_CHECKPOINT_INTERVAL_MS', 2000);
  let lastSave = -Infinity;
  const started = performance.now();
  try {
    if (!resuming) store?.writeJson('config.json', config);
    const progress = progressReporter(Boolean(flags.quiet) || Boolean(flags.json), `${config.model} ${config.strategy}`);
    let report: GaussianReport;
    try {
      report = await runGaussian(config, {
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
      store.writeJson('results.json', toJson(report));
      store.writeText('results.csv', rowsToCsv(report.iterations));
      store.finish('complete'); // last: a manifest that says complete has its results beside it
    }
    process.stdout.write(flags.json ? JSON.stringify(toJson(report)) + '\n' : render(report, dir));
    return 0;
  } catch (error) {
    const interrupted = error instanceof Interrupted ? error : null;
    store?.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    if (interrupted) {
      process.stderr.write(interruptedLine('gaussian', store ? dir : undefined) + '\n');
      return interrupted.exitCode;
    }
    throw error;
  } finally {
    watch.dispose();
  }
}

/**
 * The JSON shape of `collapse linear` ({ config, backend, seconds, iterations: [{ iteration, mean, stderr, ci95,
 * theory, z, … }] }), each iteration with `metrics`: { name: { mean, stderr, ci95, theory, z } }.
 */
export function toJson(report: GaussianReport): Record<string, unknown> {
  return { ...reportHead(report), iterations: report.iterations };
}
function render(report: GaussianReport, out?: string): string {
  const c = report.config;
  const kde = c.model === 'kde';
  const m = (r: GaussianReport['iterations'][number], name: string) => r.metrics[name];
  const header = kde
    ? ['n', 'tr ratio', 'stderr', 'median', 'E‖μ̂−μ‖²', 'held-out NLL', 'stderr']
    : ['n', 'tr ratio', 'stderr', 'theory', 'z', 'det ratio', 'theory', 'median', 'E‖μ̂−μ‖²', 'theory', 'E W2', 'theory'];
  const rows = report.iterations.map((r) =>
    kde
      ? [String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(m(r, 'medianVarianceRatio').mean), fmt(m(r, 'meanError').mean), fmt(m(r, 'heldOutNll').mean), fmt(m(r, 'heldOutNll').stderr, 3)]
      : [
          String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.theory), fmt(r.z, 3),
          fmt(m(r, 'detRatio').mean), fmt(m(r, 'detRatio').theory), fmt(m(r, 'medianVarianceRatio').mean),
          fmt(m(r, 'meanError').mean), fmt(m(r, 'meanError').theory), fmt(m(r, 'w2').mean), fmt(m(r, 'w2').theory),
        ],
  );
  const what = kde
    ? `kde h=${fmt(c.bandwidth ?? null, 4)}, ${c.testSamples} held-out items`
    : `${c.estimator}${c.variance === 'known' ? ', variance known' : ''}`;
  const lines = [
    `collapse gaussian: ${c.model}, ${c.strategy}, d=${c.dim}, m=${c.samples}, ${what}, ${c.iterations} iterations, ${c.trials} trials, seed ${c.seed}`,
    `backend host (${report.backendReason}); ${report.seconds.toFixed(2)} s, ${Math.round(report.trialIterationsPerSecond)} trial-iterations/s`,
    kde ? `theory: ${report.theoryFormula}` : `theory: ${report.theoryFormula}; — = no closed form; --json gives every metric (log det, sd ratio, W2²) with its theory`,
    '',
    table(header, rows),
  ];
  if (out) lines.push('', `wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
