/**
 * `verify` cases of curation by a verifier (proofs/curation.md): the 1-D curated Gaussian chain under replace, its
 * trace ratio per generation against V3, judged by a median-of-means band sized from the exact variance (V4) — a
 * finite-sample band (Chebyshev per group, Hoeffding over the groups) that holds whatever the skew of the per-trial
 * ratio, a product of independent factors. Counted with the proven checks (the BernsteinCase interface).
 */
import { rootKey } from '../core/rng.js';
import { Moments, twoSidedP } from '../core/stats.js';
import { curationOf, topCandidates } from '../loop/curation.js';
import { HOST_BACKEND, runTrials } from '../loop/generation-loop.js';
import { curatedGaussianTheory, curatedProfile, curatedTheoryText } from './gaussian-curation.js';
import { gaussianFamily } from '../models/gaussian/family.js';
import { gaussianProfile, metricRows, validateGaussianConfig, type GaussianConfig, type GaussianReport } from './gaussian.js';
import { parseStrategy } from '../strategies/index.js';
import { curatedTraceSecondMoment } from '../theory/curation.js';
import { buildRows } from '../verify/report.js';
import type { BernsteinCase, CaseVerdict } from './verify-case.js';

/** Groups k = ⌈8 ln(1/δ)⌉ and half-width ε = 2√(Vk/n) of the median-of-means band: P(|MoM − mean| > ε) ≤ δ (V4). */
export function medianOfMeansBand(variance: number, n: number, delta: number): { groups: number; band: number } {
  const groups = Math.min(n, Math.ceil(8 * Math.log(1 / delta)));
  return { groups, band: 2 * Math.sqrt((variance * groups) / n) };
}

/** The median of the means of `groups` consecutive groups (sizes differ by at most 1) of `values`. */
export function medianOfMeans(values: ArrayLike<number>, groups: number): number {
  const n = values.length;
  const means: number[] = [];
  for (let g = 0; g < groups; g++) {
    const lo = Math.floor((g * n) / groups);
    const hi = Math.floor(((g + 1) * n) / groups);
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += values[i];
    means.push(sum / (hi - lo));
  }
  means.sort((a, b) => a - b);
  return groups % 2 === 1 ? means[(groups - 1) >> 1] : (means[groups / 2 - 1] + means[groups / 2]) / 2;
}

/** The curated configurations verify runs: 1-D, m = 50, MLE, replace, 8 generations, threshold and top rules. */
export const CURATION_CASES: readonly Omit<GaussianConfig, 'trials' | 'seed'>[] = ['threshold:-1.35', 'top:0.5'].map((curate) => ({
  model: 'gaussian' as const,
  strategy: 'replace',
  dim: 1,
  samples: 50,
  estimator: 'mle' as const,
  variance: 'fitted' as const,
  iterations: 8,
  curate,
  verifier: 'likelihood',
}));

/** Run one curated configuration and judge its trace ratio at every generation by the V4 band at δ per check. */
export async function judgeCuratedGaussian(name: string, config: GaussianConfig, delta: number): Promise<CaseVerdict> {
  const started = performance.now();
  const family = gaussianFamily({ dim: 1, estimator: config.estimator });
  const loop = { strategy: parseStrategy('replace'), iterations: config.iterations, samples: config.samples, testSamples: 0, curation: curationOf(config) };
  const summary = await runTrials(() => family, loop, config.trials, rootKey(config.seed), { keep: ['traceRatio'] });
  const seconds = (performance.now() - started) / 1000;
  const theory = curatedGaussianTheory(config);
  const rule = curationOf(config)?.rule ?? { kind: 'top', q: 1 };
  const second = curatedTraceSecondMoment(config.samples, config.estimator, rule, rule.kind === 'top' ? topCandidates(config.samples, rule.q) : config.samples, config.iterations);
  const values = summary.values.get('traceRatio') as Float64Array[];
  const failures: string[] = [];
  let worst = 0;
  const mean = theory.traceRatio as number[];
  for (let n = 0; n < config.iterations; n++) {
    const { groups, band } = medianOfMeansBand(second[n] - mean[n] ** 2, config.trials, delta);
    const miss = Math.abs(medianOfMeans(values[n], groups) - mean[n]);
    worst = Math.max(worst, miss / band);
    if (!(miss <= band)) failures.push(`n=${n + 1} traceRatio: median of means misses ${mean[n].toPrecision(6)} by ${miss.toPrecision(3)} > band ${band.toPrecision(3)}`);
  }
  const moments = summary.moments.get('traceRatio') as Moments[];
  const rows = buildRows(moments, mean, null);
  const names = ['meanError', 'logDetRatio', 'detRatio', 'sdRatio', 'w2', 'w2Squared'];
  const perMetric = Object.fromEntries(names.map((metric) => [metric, metricRows(summary.moments.get(metric) as Moments[], theory[metric])]));
  const report: GaussianReport = {
    config,
    ...HOST_BACKEND,
    seconds,
    trialIterationsPerSecond: (config.trials * config.iterations) / seconds,
    theoryFormula: curatedTheoryText(config),
    hasTheory: true,
    profile: curatedProfile(gaussianProfile(config, theory), config, theory),
    iterations: rows.map((row, n) => ({ ...row, metrics: Object.fromEntries(names.map((metric) => [metric, perMetric[metric][n]])) })),
  };
  const last = rows[rows.length - 1];
  return { name, pass: failures.length === 0, worstBandRatio: worst, maxAbsZ: Math.max(...rows.map((r) => Math.abs(r.z ?? 0))), maxAbsZConditional: NaN, growth: last.mean / rows[0].mean, expectedGrowth: mean[mean.length - 1] / mean[0], failures, kind: 'bernstein', report };
}

/** The curation cases of the verify grid: one check per generation each, proven (median of means, V4). */
export function curationCases(): BernsteinCase[] {
  return CURATION_CASES.map((base) => {
    const name = `gaussian curated ${base.curate} likelihood replace mle d=${base.dim} m=${base.samples}`;
    return {
      kind: 'bernstein' as const,
      name,
      checks: base.iterations,
      run: async (trials, seed, bound) => judgeCuratedGaussian(name, validateGaussianConfig({ ...base, trials, seed }), twoSidedP(bound)),
    };
  });
}
