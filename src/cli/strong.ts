/**
 * `collapse strong`: strong model collapse (Dohmatob et al., ICLR 2025) — a share of labels from a shifted teacher
 * puts a floor under least squares' error — theory beside host float64 Monte Carlo, per n (the scaling table) and per
 * generation of a chain; run directory, checkpoints and --resume as every loop command (src/cli/run-command.ts).
 */
import { parseOption, type OptionSpec } from '../core/schema.js';
import { parseSizes, runStrong, strongState, STRONG_OPTIONS, validateStrongConfig, type StrongReport } from '../experiments/strong.js';
import { parseStrategy } from '../strategies/index.js';
import { reportHead } from './linear.js';
import type { CommonFlags } from './run-command.js';
import { trialsCommand } from './run-command.js';
import { fmt, table } from './output.js';

export { STRONG_OPTIONS };

const normalise = (spec: OptionSpec, raw: unknown) =>
  spec.flag === 'strategy' ? parseStrategy(raw).name : spec.flag === 'sizes' ? parseSizes(raw, 1) : parseOption(spec, raw);

export async function strongCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return trialsCommand(
    {
      name: 'strong',
      options: STRONG_OPTIONS,
      validate: validateStrongConfig,
      normalise,
      checkState: strongState,
      run: runStrong,
      label: (c) => `strong p₂=${c['teacher-share']} ${c.strategy}`,
      toJson,
      render,
    },
    flags,
  );
}

/**
 * { config, backend, seconds, theoryFormula, scaling: [{ samples, teacherRows, share, mean, stderr, ci95, theory,
 * z, zConditional, varianceTheory, biasTheory, bias, asymptotic, floor }], iterations: [{ iteration, mean, stderr,
 * ci95, theory, z, zConditional, theoryConditional, bias, variance, shiftFactor, approximation }] }.
 */
export function toJson(report: StrongReport): Record<string, unknown> {
  return {
    ...reportHead(report),
    approximations: {
      asymptotic: 'scaling[].asymptotic = σ²d/(n−d−1) + p₂²‖Δ‖² (Dohmatob et al. 2025): an approximation, not exact',
      approximation: 'iterations[].approximation = c_n(p₂)²‖Δ‖² + σ²d/(n−d−1)·q_n(p₂) (M ≈ p₂I): an approximation, not exact',
    },
    scaling: report.scaling,
    iterations: report.iterations,
  };
}

function render(report: StrongReport, out?: string): string {
  const c = report.config;
  const scaling = table(
    ['n', 'n₂', 'E‖ŵ−w*‖²', 'stderr', 'theory', 'z', 'z|X', 'bias MC', 'bias theory', 'floor p₂²‖Δ‖²', '≈ asymptotic'],
    report.scaling.map((r) => [
      String(r.samples), String(r.teacherRows), fmt(r.mean), fmt(r.stderr, 3), fmt(r.theory), fmt(r.z, 3), fmt(r.zConditional, 3),
      fmt(r.bias), fmt(r.biasTheory), fmt(r.floor), fmt(r.asymptotic),
    ]),
  );
  const chain = table(
    ['model', 'E‖ŵ−w*‖²', 'stderr', 'theory', 'E[·|X] MC', 'z|X', 'bias|X', 'variance|X', 'c_n(p₂)', '≈ isotropic'],
    report.iterations.map((r) => [
      String(r.iteration), fmt(r.mean), fmt(r.stderr, 3), fmt(r.theory), fmt(r.theoryConditional), fmt(r.zConditional, 3),
      fmt(r.bias), fmt(r.variance), fmt(r.shiftFactor), fmt(r.approximation),
    ]),
  );
  const lines = [
    `collapse strong: p₂=${c['teacher-share']}, ‖Δ‖=${c.shift}, d=${c.dim}, σ²=${c.noise}, ${c.trials} trials, seed ${c.seed}`,
    `backend host (${report.backendReason}); ${report.seconds.toFixed(2)} s`,
    '',
    'one fit per n (a share p₂ of the rows from the teacher w* + Δ): the error stops at the floor p₂²‖Δ‖²',
    'theory: E‖ŵ−w*‖² = σ²d/(n−d−1) + ‖Δ‖²[n₂(n₂+2)/(n(n+2)) + n₁n₂(n+1)(d−1)/((n−1)n(n+2)(n−d−1))], exact for a Gaussian design;',
    '≈ asymptotic = σ²d/(n−d−1) + p₂²‖Δ‖² is an approximation (Dohmatob et al. 2025), not exact',
    '',
    scaling,
    '',
    `the chain: n=${c.samples} rows, ${c.strategy}, ${c.chain} (${c.chain === 'mixed' ? 'later data sets: the previous models label the teacher rows, real rows stay real' : 'later data sets: the previous models label every row'})`,
    'theory: model 1 exact over the design (as above); every model exact given X: E[·|X] = ‖c_n(M)Δ‖² + σ² tr Σ_j b_{n,j}(M)A⁻¹b_{n,j}(M)ᵀ,',
    'M = A⁻¹A₂ (z|X judges it); — = no closed form over the design; ≈ isotropic (M ≈ p₂I) is an approximation, not exact',
    '',
    chain,
  ];
  if ([...report.scaling.map((r) => r.samples), c.samples].some((n) => n <= c.dim + 3)) {
    lines.push('', `n ≤ d + 3 = ${c.dim + 3}: the error's variance is infinite (E tr((XᵀX)⁻¹)² = ∞), so those rows have no interval and no z; z|X stays valid`);
  }
  if (out) lines.push('', `wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
