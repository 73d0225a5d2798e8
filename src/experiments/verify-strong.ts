/**
 * `verify` cases of strong model collapse (proofs/strong-collapse.md): per row (the scaling table's fits and the
 * chain's models) the mean residual error − E[error | X] must lie in the finite-sample band of S6 — Laurent–Massart
 * for its χ² part, the exact normal law of its linear part — at the run's per-check δ. Proven whatever the skew.
 */
import { normalQuantile, twoSidedP } from '../core/stats.js';
import { runStrong, type StrongConfig, type StrongReport } from './strong.js';
import { chiSquareSumBand, type Band } from '../verify/bounds.js';
import type { BernsteinCase, CaseVerdict } from './verify-case.js';

/** Trials per case at most: the band holds for any count, and each trial simulates every row. */
export const STRONG_CASE_TRIALS = 5000;

/** Mixed accumulate (the shift shrinks) and pure replace (it persists), d = 3, one fit per n and a 5-model chain. */
export const STRONG_CASES: Omit<StrongConfig, 'trials' | 'seed'>[] = [
  { strategy: 'accumulate', chain: 'mixed', dim: 3, noise: 1, shift: 1, 'teacher-share': 0.2, samples: 40, sizes: [10, 40, 160], iterations: 5 },
  { strategy: 'replace', chain: 'pure', dim: 3, noise: 0.5, shift: 2, 'teacher-share': 0.5, samples: 20, sizes: [8, 32], iterations: 5 },
];

/** The S6 band of row r's mean residual, failing with probability ≤ δ: χ² part at δ/2, normal part at δ/2. */
export function strongBand(report: StrongReport, row: number, delta: number): Band {
  const inputs = report.bandInputs;
  const N = inputs.trials;
  const chi = chiSquareSumBand(Math.sqrt(inputs.chi4Sums[row]), inputs.chi4Max[row], delta / 2);
  const gauss = -normalQuantile(delta / 4) * 2 * Math.sqrt(inputs.gaussSums[row]);
  return { below: (chi.below + gauss) / N, above: (chi.above + gauss) / N };
}

/** Every row's mean residual within its band. */
export function judgeStrong(name: string, report: StrongReport, bound: number): CaseVerdict {
  const delta = twoSidedP(bound); // the per-check share of the run's family false-failure rate
  const failures: string[] = [];
  let worstBandRatio = 0;
  let maxAbsZ = 0;
  let maxAbsZConditional = 0;
  const rows = [...report.scaling.map((r) => ({ label: `n=${r.samples}`, row: r })), ...report.iterations.map((r) => ({ label: `model ${r.iteration}`, row: r }))];
  rows.forEach(({ label, row }, index) => {
    const residual = report.bandInputs.residualSums[index] / report.bandInputs.trials;
    const band = strongBand(report, index, delta);
    const ratio = residual >= 0 ? residual / band.above : -residual / band.below;
    worstBandRatio = Math.max(worstBandRatio, ratio);
    if (!(ratio < 1)) failures.push(`${label}: mean residual ${residual.toExponential(3)} outside (−${band.below.toExponential(3)}, ${band.above.toExponential(3)})`);
    if (row.z !== null) maxAbsZ = Math.max(maxAbsZ, Math.abs(row.z));
    if (row.zConditional !== null) maxAbsZConditional = Math.max(maxAbsZConditional, Math.abs(row.zConditional));
  });
  const chain = report.iterations;
  return {
    name, pass: failures.length === 0, worstBandRatio, maxAbsZ, maxAbsZConditional,
    growth: chain[chain.length - 1].mean / chain[0].mean,
    expectedGrowth: chain[chain.length - 1].theory !== null && chain[0].theory ? (chain[chain.length - 1].theory as number) / chain[0].theory : NaN,
    failures, kind: 'bernstein', report,
  };
}

/** The strong-collapse cases, one check per row. */
export function strongCases(): BernsteinCase[] {
  return STRONG_CASES.map((config) => {
    const name = `strong ${config.chain} ${config.strategy} p₂=${config['teacher-share']} ‖Δ‖=${config.shift} d=${config.dim} n=${config.sizes.join('/')} chain n=${config.samples}`;
    return {
      kind: 'bernstein' as const,
      name,
      checks: config.sizes.length + config.iterations,
      run: async (trials, seed, bound) => judgeStrong(name, await runStrong({ ...config, trials: Math.min(trials, STRONG_CASE_TRIALS), seed }), bound),
    };
  });
}
