/**
 * `collapse categorical`: categorical (token) resampling through the generation loop against its exact theory; run
 * directory, checkpoints and --resume as every trials command (src/cli/run-command.ts).
 */
import { CATEGORICAL_OPTIONS, runCategorical, validateCategoricalConfig, type CategoricalReport } from '../experiments/categorical.js';
import { parseStrategy } from '../strategies/index.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { reportHead } from './linear.js';
import { trialsCommand, type CommonFlags } from './run-command.js';
import { fmt, table } from './output.js';

export { CATEGORICAL_OPTIONS };

const normalise = (spec: OptionSpec, raw: unknown) => (spec.flag === 'strategy' ? parseStrategy(raw).name : parseOption(spec, raw));

export function categoricalCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return trialsCommand(
    { name: 'categorical', options: CATEGORICAL_OPTIONS, validate: validateCategoricalConfig, normalise, run: runCategorical, label: (c) => `categorical ${c.strategy}`, toJson, render },
    flags,
  );
}

/** The `gaussian` JSON shape: iterations[].mean/theory are E Σ p_i², other metrics under `metrics`; plus `real`. */
export function toJson(report: CategoricalReport): Record<string, unknown> {
  return { ...reportHead(report), real: report.real, profile: report.profile, approximations: report.approximations, iterations: report.iterations };
}

function render(report: CategoricalReport, out?: string): string {
  const c = report.config;
  const m = (r: CategoricalReport['iterations'][number], name: string) => r.metrics[name];
  const header = ['n', 'E Σp²', 'stderr', 'theory', 'z', 'surviving', 'theory', 'tail lost', 'theory', 'entropy'];
  const rows = report.iterations.map((r) => [
    String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.theory), fmt(r.z, 3),
    fmt(m(r, 'surviving').mean), fmt(m(r, 'surviving').theory), fmt(m(r, 'tailMassLost').mean), fmt(m(r, 'tailMassLost').theory), fmt(m(r, 'entropy').mean),
  ]);
  const lines = [
    `collapse categorical: ${c.strategy}, π = ${report.real.label} (S₀ = Σπ² = ${fmt(report.real.s0, 6)}), m=${c.samples}, ${c.iterations} iterations, ${c.trials} trials, seed ${c.seed}`,
    `backend host (${report.backendReason}); ${report.seconds.toFixed(2)} s, ${Math.round(report.trialIterationsPerSecond)} trial-iterations/s`,
    `theory: ${report.theoryFormula}; surviving outcomes and tail mass lost exact along single-set chains (K4) and for strategies that keep the first real set (K5); — = no closed form (entropy never); --json adds ‖p − π‖²`,
    ...report.approximations.map((a) => `approximation (not exact): ${a.formula} = ${fmt(a.value)}`),
    '',
    table(header, rows),
  ];
  if (out) lines.push('', `wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
