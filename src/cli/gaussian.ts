/**
 * `collapse gaussian`: recursive Gaussian fitting (or kernel density estimation) through the generation loop. With
 * --out DIR the run lives in a run directory (src/core/run-store.ts: manifest, config, environment, results JSON and
 * CSV, written atomically); the loop has no checkpoints yet, so there is no --resume.
 */
import { withConfigFile } from '../core/config-file.js';
import { preflightOut, RunStore } from '../core/run-store.js';
import { parseOption } from '../core/schema.js';
import { GAUSSIAN_OPTIONS, runGaussian, validateGaussianConfig, type GaussianReport } from '../models/gaussian/run.js';

export { GAUSSIAN_OPTIONS };
import { rowsToCsv } from '../verify/report.js';
import { reportHead, type CommonFlags } from './linear.js';
import { environment, fmt, progressReporter, table } from './output.js';

const pathFlag = (flag: 'out' | 'config', value: unknown) => parseOption({ flag, kind: 'string', meta: 'path', description: '' }, value) as string;

export async function gaussianCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const raw = Object.fromEntries(GAUSSIAN_OPTIONS.map((spec) => [spec.flag, flags[spec.flag]]));
  const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
  const config = withConfigFile(configFile, raw, GAUSSIAN_OPTIONS, 'gaussian', validateGaussianConfig);
  const dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
  if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  const backendReason = 'host float64: the generation loop on typed arrays (no gpu.js kernels)';
  const store = dir === undefined ? undefined : RunStore.create(dir, Boolean(flags.force), { command: 'gaussian', config: { ...config }, seed: config.seed, backend: 'host', backendReason });
  try {
    store?.writeJson('config.json', config);
    const progress = progressReporter(Boolean(flags.quiet) || Boolean(flags.json), `${config.model} ${config.strategy}`);
    let report: GaussianReport;
    try {
      report = await runGaussian(config, { onProgress: progress });
    } finally {
      progress.end();
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
    store?.finish('failed', error instanceof Error ? error.message : String(error));
    throw error;
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
