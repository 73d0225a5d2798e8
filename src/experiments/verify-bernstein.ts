/**
 * `verify` cases whose per-trial values are bounded, judged by an empirical Bernstein bound rather than a normal z:
 * the categorical family (E Σp² and the lost tail mass in [0, 1], ‖p − π‖² in [0, 2], surviving outcomes in [1, K])
 * and Hutter's model (the error given a training set, in [0, 1]). A finite-sample tail bound holds whatever the skew
 * of the per-trial values (which, for replace near total collapse, is far from normal).
 *
 * Maurer & Pontil 2009 (arXiv:0907.3740), Theorem 4: for n ≥ 2 i.i.d. values in [0, 1] with sample variance V_n,
 * P(E X − mean > √(2V_n ln(2/δ)/n) + 7 ln(2/δ)/(3(n − 1))) ≤ δ. Applied to X and 1 − X with δ/2 each and rescaled to
 * a range R: |mean − E X| ≤ √(2V ln(4/δ)/n) + 7R ln(4/δ)/(3(n − 1)) with probability ≥ 1 − δ. With δ the per-check
 * share of the run's family false-failure rate (the same Bonferroni split as the z checks), a correct implementation
 * fails the run by chance with probability below 1e-6.
 */
import { twoSidedP } from '../core/stats.js';
import { runCategorical, type CategoricalConfig, type CategoricalReport } from './categorical.js';
import { runTails, type TailsConfig, type TailsReport } from './hutter.js';
import type { BernsteinCase, CaseVerdict } from './verify-case.js';

export type { BernsteinCase } from './verify-case.js';

/** The half-width of the two-sided empirical Bernstein band: `stderr` of the mean of n values in a range R. */
export function empiricalBernsteinBand(stderr: number, n: number, range: number, delta: number): number {
  const log = Math.log(4 / delta);
  return stderr * Math.sqrt(2 * log) + (7 * range * log) / (3 * (n - 1));
}

/** The range of each metric that has theory (its Bernstein R). */
export function metricRange(metric: string, categories: number): number | null {
  switch (metric) {
    case 'mean':
    case 'collision':
    case 'tailMassLost':
      return 1;
    case 'squaredDistance':
      return 2;
    case 'surviving':
      return categories - 1;
    default:
      return null;
  }
}

/** Metrics judged per iteration at most (E Σp², ‖p − π‖², surviving, tail mass lost): the checks this case adds. */
export const CATEGORICAL_CHECKS_PER_ITERATION = 4;

export type CategoricalCaseConfig = Omit<CategoricalConfig, 'trials' | 'seed'>;

/** Zipf(1) over 20 outcomes with m = 50 under every strategy with theory, and SUBTLEX-US words under replace. */
export function categoricalCases(): BernsteinCase[] {
  const base = { categories: 20, zipf: 1, counts: null, samples: 50, iterations: 20 } as const;
  const configs: CategoricalCaseConfig[] = [
    ...['replace', 'accumulate', 'fresh:0.5', 'augment:1', 'window:3', 'weights:2^(i-n)'].map((strategy) => ({ ...base, strategy })),
    { strategy: 'replace', categories: 1000, zipf: null, counts: 'subtlex', samples: 200, iterations: 10 },
  ];
  return configs.map((config) => {
    const name = `categorical ${config.strategy} ${config.counts ?? `zipf(${config.zipf})`} K=${config.categories} m=${config.samples}`;
    return {
      kind: 'bernstein' as const,
      name,
      checks: CATEGORICAL_CHECKS_PER_ITERATION * config.iterations,
      run: async (trials, seed, bound) => judgeCategorical(name, await runCategorical({ ...config, trials, seed }), bound),
    };
  });
}

/** Hutter's model, K = 1000 contexts, Zipf(1.5): clean, cut at k = 50, and mixed with a clean share 0.2; T = 10, 100, 1000. */
export const TAILS_CASE: Omit<TailsConfig, 'trials' | 'seed'> = {
  contexts: 1000,
  zipf: 1.5,
  sizes: [10, 100, 1000],
  sources: [{ kind: 'clean' }, { kind: 'cut', k: 50 }, { kind: 'mix', k: 50, share: 0.2 }],
};

/** Chained generations of Hutter's model (proofs/tails.md#H4), on TAILS_CASE's contexts and sizes. */
export const TAILS_CHAIN: readonly number[] = [2, 5];

/** Hutter's model (clean, cut and mixed training data; and chained generations) as verify cases: every cell's error, in [0, 1], against its exact sum. */
export function tailsCases(): BernsteinCase[] {
  const name = `tails hutter zipf(${TAILS_CASE.zipf}) K=${TAILS_CASE.contexts} clean/cut/mix`;
  const chainName = `tails chain hutter zipf(${TAILS_CASE.zipf}) K=${TAILS_CASE.contexts} g=${TAILS_CHAIN.join(',')}`;
  return [
    {
      kind: 'bernstein',
      name,
      checks: TAILS_CASE.sizes.length * TAILS_CASE.sources.length,
      run: async (trials, seed, bound) => judgeBounded(name, runTails({ ...TAILS_CASE, trials, seed }), bound, () => 1, trials),
    },
    {
      kind: 'bernstein',
      name: chainName,
      checks: TAILS_CASE.sizes.length * TAILS_CHAIN.length,
      run: async (trials, seed, bound) => judgeBounded(chainName, runTails({ ...TAILS_CASE, sources: [], chain: TAILS_CHAIN, trials, seed }), bound, () => 1, trials),
    },
  ];
}

/**
 * Every row (and every metric of a row) with theory must sit within its Bernstein band at the run's per-check δ.
 * `range(metric)` gives R, or null for a metric without a bounded range (not judged).
 */
export function judgeBounded(
  name: string,
  report: { iterations: { iteration: number; mean: number; stderr: number; theory: number | null; z: number | null; metrics?: Record<string, { mean: number; stderr: number; theory: number | null; z: number | null }> }[] } & (CategoricalReport | TailsReport),
  bound: number,
  range: (metric: string) => number | null,
  n: number,
): CaseVerdict {
  const delta = twoSidedP(bound); // the per-check false-failure share the z checks use too
  const failures: string[] = [];
  let maxAbsZ = 0;
  let worstBandRatio = 0;
  for (const row of report.iterations) {
    const checks: [string, { mean: number; stderr: number; theory: number | null; z: number | null }][] = [['mean', row], ...Object.entries(row.metrics ?? {})];
    for (const [metric, m] of checks) {
      const r = range(metric);
      if (m.theory === null || r === null) continue;
      const band = empiricalBernsteinBand(m.stderr, n, r, delta);
      const miss = Math.abs(m.mean - m.theory);
      worstBandRatio = Math.max(worstBandRatio, miss / band);
      if (!(miss <= band)) failures.push(`row ${row.iteration} ${metric}: |${m.mean.toPrecision(6)} − ${m.theory.toPrecision(6)}| > band ${band.toPrecision(3)}`);
      if (m.z !== null) maxAbsZ = Math.max(maxAbsZ, Math.abs(m.z));
    }
  }
  const rows = report.iterations;
  const last = rows[rows.length - 1];
  return {
    name,
    pass: failures.length === 0,
    worstBandRatio,
    maxAbsZ,
    maxAbsZConditional: NaN,
    growth: last.mean / rows[0].mean,
    expectedGrowth: last.theory !== null && rows[0].theory ? last.theory / rows[0].theory : NaN,
    failures,
    kind: 'bernstein',
    report,
  };
}

/** Every categorical metric with theory, at every iteration, within its Bernstein band (E Σp² is the row's mean). */
export function judgeCategorical(name: string, report: CategoricalReport, bound: number): CaseVerdict {
  return judgeBounded(name, report, bound, (metric) => metricRange(metric === 'mean' ? 'collision' : metric, report.config.categories), report.config.trials);
}
