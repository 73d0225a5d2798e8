/**
 * `collapse gaussian`: recursive Gaussian fitting (or kernel density estimation) through the generation loop; run
 * directory, checkpoints and --resume as every trials command (src/cli/run-command.ts).
 */
import { GAUSSIAN_OPTIONS, runGaussian, validateGaussianConfig, type GaussianReport } from '../experiments/gaussian.js';
import { reportHead } from './linear.js';
import { trialsCommand, type CommonFlags } from './run-command.js';
import { fmt, table } from './output.js';

export { GAUSSIAN_OPTIONS };

export function gaussianCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return trialsCommand(
    {
      name: 'gaussian',
      options: GAUSSIAN_OPTIONS,
      validate: validateGaussianConfig,
      run: runGaussian,
      label: (config) => `${config.model} ${config.strategy}`,
      toJson,
      render,
    },
    flags,
  );
}

/**
 * The JSON shape of `collapse linear` ({ config, backend, seconds, iterations: [{ iteration, mean, stderr, ci95,
 * theory, z, … }] }), each iteration with `metrics`: { name: { mean, stderr, ci95, theory, z } }.
 */
export function toJson(report: GaussianReport): Record<string, unknown> {
  return { ...reportHead(report), profile: report.profile, iterations: report.iterations };
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
