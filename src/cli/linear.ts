/** `collapse linear`: one Monte Carlo run against the closed form. */
import { rowsToCsv } from '../verify/report.js';
import { runLinear, validateLinearConfig, type LinearReport } from '../models/linear/run.js';
import { checkOutDir, environment, fmt, progressReporter, table, writeRunDir } from './output.js';

export interface CommonFlags {
  json?: boolean;
  out?: string;
  force?: boolean;
  quiet?: boolean;
}

export async function linearCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const config = validateLinearConfig(flags);
  if (flags.out) checkOutDir(flags.out, Boolean(flags.force));
  const progress = progressReporter(Boolean(flags.quiet) || Boolean(flags.json), `${config.strategy} ${config.method}`);
  const report = await runLinear(config, { onProgress: progress });
  progress.end();
  if (flags.out) {
    writeRunDir(
      flags.out,
      {
        'config.json': JSON.stringify(config, null, 2) + '\n',
        'environment.json': JSON.stringify(environment({ backend: report.backend, backendReason: report.backendReason, kernels: report.kernels }), null, 2) + '\n',
        'results.json': JSON.stringify(toJson(report), null, 2) + '\n',
        'results.csv': rowsToCsv(report.iterations),
      },
      Boolean(flags.force),
    );
  }
  process.stdout.write(flags.json ? JSON.stringify(toJson(report)) + '\n' : render(report, flags.out));
  return 0;
}

/** The stable JSON shape: { config, backend, seconds, iterations: [{ iteration, mean, stderr, ci95, theory, … }] }. */
export function toJson(report: LinearReport): Record<string, unknown> {
  return {
    config: report.config,
    backend: report.backend,
    backendReason: report.backendReason,
    seconds: report.seconds,
    trialIterationsPerSecond: report.trialIterationsPerSecond,
    theoryFormula: report.theoryFormula,
    hasTheory: report.hasTheory,
    accumulateBound: report.accumulateBound,
    traceGramInverse: report.traceGramInverse,
    iterations: report.iterations,
  };
}

function render(report: LinearReport, out?: string): string {
  const c = report.config;
  const rows = report.iterations.map((r) => [
    String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.ci95[0]), fmt(r.ci95[1]), fmt(r.theory), fmt(r.z, 3), fmt(r.zConditional, 3),
  ]);
  const lines = [
    `collapse linear: ${c.strategy}, d=${c.dim}, T=${c.samples}, σ²=${c.noise}, ${c.iterations} iterations, ${c.trials} trials, seed ${c.seed}, method ${c.method}`,
    `backend ${report.backend} (${report.backendReason}); ${report.seconds.toFixed(2)} s, ${Math.round(report.trialIterationsPerSecond)} trial-iterations/s`,
    report.hasTheory
      ? `theory: E‖ŵ_n − w*‖² = ${report.theoryFormula}; z = (mean − theory)/stderr; z|X uses σ²·tr((XᵀX)⁻¹) per trial`
      : `theory: ${report.theoryFormula}`,
    '',
    table(['n', 'mean', 'stderr', 'ci95 low', 'ci95 high', 'theory', 'z', 'z|X'], rows),
    '',
    `tr((XᵀX)⁻¹): Monte Carlo ${fmt(report.traceGramInverse.mean)} ± ${fmt(report.traceGramInverse.stderr, 2)}, theory d/(T−d−1) = ${fmt(report.traceGramInverse.theory)}`,
  ];
  if (report.accumulateBound !== null) {
    const worst = Math.max(...report.iterations.map((r) => r.mean));
    lines.push(`accumulate bound π²/6 × first error = ${fmt(report.accumulateBound)}; largest Monte Carlo mean ${fmt(worst)}`);
  }
  if (out) lines.push(`wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
