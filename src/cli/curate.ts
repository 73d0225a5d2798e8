/**
 * `collapse curate`: linear regression with a verifier (projecting, or filtering by residual) through the generation
 * loop, the Monte Carlo beside its exact theory and limits; run directory, checkpoints and --resume as every loop
 * command (src/cli/run-command.ts).
 */
import { CURATE_OPTIONS, runCurate, validateCurateConfig, type CurateReport } from '../experiments/curate.js';
import { reportHead } from './linear.js';
import type { CommonFlags } from './run-command.js';
import { trialsCommand } from './run-command.js';
import { fmt, table } from './output.js';

export { CURATE_OPTIONS };

export async function curateCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return trialsCommand({ name: 'curate', options: CURATE_OPTIONS, validate: validateCurateConfig, run: runCurate, label: (c) => `curate ${c.verifier}`, toJson, render }, flags);
}

/** The `gaussian` JSON shape: iterations[].mean/theory are E‖ŵ_n − w*‖², `metrics` verifierGap and drift; plus `limits`. */
export function toJson(report: CurateReport): Record<string, unknown> {
  return { ...reportHead(report), limits: report.limits, iterations: report.iterations };
}

function render(report: CurateReport, out?: string): string {
  const c = report.config;
  const m = (r: CurateReport['iterations'][number], name: string) => r.metrics[name];
  const header = ['n', 'E‖ŵ−w*‖²', 'stderr', 'theory', 'z', 'E‖ŵ−w_v‖²', 'theory', 'drift', 'theory'];
  const rows = report.iterations.map((r) => [
    String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.theory), fmt(r.z, 3),
    fmt(m(r, 'verifierGap').mean), fmt(m(r, 'verifierGap').theory), fmt(m(r, 'drift').mean), fmt(m(r, 'drift').theory),
  ]);
  const what = c.verifier === 'project' ? `project λ=${c.strength} k=${c.rank}` : `residual ${c.curate}`;
  const lines = [
    `collapse curate: verifier ${what}, b=${c.bias}, replace, d=${c.dim}, T=${c.samples}, σ²=${c.noise}, ${c.iterations} iterations, ${c.trials} trials, seed ${c.seed}`,
    `backend host (${report.backendReason}); ${report.seconds.toFixed(2)} s`,
    `theory: ${report.theoryFormula}; — = no closed form`,
    ...report.limits.map((l) => `${l.exact ? 'exact' : 'approximation (not exact)'}: ${l.formula}${l.value === null ? '' : ` = ${fmt(l.value)}`}`),
    '',
    table(header, rows),
  ];
  if (out) lines.push('', `wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
