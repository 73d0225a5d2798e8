/**
 * `collapse verify`: a built-in grid of cases, Monte Carlo against the closed forms, PASS/FAIL per case.
 *
 * The family false-failure budget FAMILY_FALSE_FAILURE is split evenly over K events. Two kinds of check:
 *
 * - proven (least-squares linear cases): at every iteration n the design-conditional residual's mean lies in a
 *   Laurent–Massart band and the mean error in that band plus a Bernstein band for the mean of tr((XᵀX)⁻¹) (one
 *   event per case, shared by its iterations): N + 1 events per case, each exceeded with probability ≤ budget/K
 *   whatever the skew (src/verify/bounds.ts, proofs P12). The accumulate bound (mean_n ≤ π²/6 × first theory + band)
 *   follows from the unconditional band and costs nothing. Also proven: ridge z|X (Laurent–Massart for its χ² part,
 *   the exact normal law of its linear part, given X and w*), one event per iteration; and Gaussian logDetRatio along
 *   single-set chains, by a Chernoff band from its exact moments (proofs G2), one event per such iteration.
 * - normal approximation (the other Gaussian metrics): |z| < zStar(K), one event per iteration and metric
 *   (counted as 1 + the metrics per iteration, an upper bound). Not proven: a skewed statistic's t has a heavier tail
 *   than the normal (an audit simulated the replace/MLE d = 3, m = 50, n = 20 detRatio at 5000 trials: P(t < −5) ≈
 *   2e-4 against 2.9e-7), so detRatio, a product of χ² factors, is not judged, nor is the 1-D trace ratio along a
 *   single-set chain (the same product); their logarithm, logDetRatio, a sum, is judged by its band.
 */
import type { Backend } from '../kernels/backend.js';
import { normalQuantile, zStar, FAMILY_FALSE_FAILURE } from '../core/stats.js';
import { runLinear, type LinearConfig, type LinearReport } from './linear.js';
import type { Method } from '../models/linear/monte-carlo.js';
import { runGaussian, type GaussianConfig, type GaussianReport } from './gaussian.js';
import { GAUSSIAN_METRICS, replaceDetRatioLogMoment, singleSetDepths } from '../theory/gaussian.js';
import type { CategoricalReport } from './categorical.js';
import type { TailsReport } from './hutter.js';
import { categoricalCases, tailsCases } from './verify-bernstein.js';
import type { BernsteinCase, CaseVerdict } from './verify-case.js';
import { strongCases } from './verify-strong.js';
import type { StrongReport } from './strong.js';
import { curationCases } from './verify-curation.js';
import { chiSquareSumBand, logMomentMeanBand, traceMeanBand, type Band } from '../verify/bounds.js';
import { parseStrategy } from '../strategies/index.js';

/** Gaussian metrics not judged by z: products of χ² factors whose mean's t-statistic is far from normal. */
export const UNJUDGED_METRICS: ReadonlySet<string> = new Set(['detRatio']);

/** One case of the verify grid: a linear or a Gaussian configuration (trials, seed and backend come from the run). */
export type VerifyCase =
  | { kind: 'linear'; name: string; config: Omit<LinearConfig, 'trials' | 'seed' | 'backend'> }
  | { kind: 'gaussian'; name: string; config: Omit<GaussianConfig, 'trials' | 'seed'> }
  | BernsteinCase;

/**
 * Gaussian fitting with closed forms (proofs/gaussian.md): the MLE and unbiased replace laws, known-variance
 * accumulate, G6. m = 50 keeps the replace ratios (products of 20 χ²/m factors) light-tailed enough for the normal
 * approximation of their means at the band's tail.
 */
function gaussianCases(): VerifyCase[] {
  const base = { model: 'gaussian' as const, iterations: 20, variance: 'fitted' as const };
  const cases: Omit<GaussianConfig, 'trials' | 'seed'>[] = [
    { ...base, strategy: 'replace', dim: 1, samples: 50, estimator: 'mle' },
    { ...base, strategy: 'replace', dim: 1, samples: 50, estimator: 'unbiased' },
    { ...base, strategy: 'replace', dim: 3, samples: 50, estimator: 'mle' },
    { ...base, strategy: 'accumulate', dim: 1, samples: 50, estimator: 'mle' },
    { ...base, strategy: 'accumulate', dim: 1, samples: 50, estimator: 'mle', variance: 'known' },
    { ...base, strategy: 'fresh:0.5', dim: 2, samples: 50, estimator: 'unbiased' },
  ];
  return cases.map((config) => ({
    kind: 'gaussian',
    name: `gaussian ${config.strategy} ${config.estimator}${config.variance === 'known' ? ' known-variance' : ''} d=${config.dim} m=${config.samples}`,
    config,
  }));
}

const STRATEGIES = ['replace', 'accumulate'] as const;
const METHODS: readonly Method[] = ['full', 'reduced'];

/** Every other strategy with a closed form, checked at d = 10, T = 100, σ² = 1. */
const LITERATURE = ['window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'] as const;

/**
 * d = 10, T = 100, σ² = 1 for replace, accumulate and the literature's strategies; and the paper's figure grid
 * d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, 1, 100}, 50 iterations, for replace and accumulate.
 */
export function builtInCases(): VerifyCase[] {
  const cases: VerifyCase[] = [];
  const add = (dim: number, samples: number, noise: number, iterations: number, strategies: readonly string[] = STRATEGIES) => {
    for (const method of METHODS) {
      for (const strategy of strategies) {
        cases.push({ kind: 'linear', name: `${strategy} ${method} d=${dim} T=${samples} σ²=${noise}`, config: { strategy, method, dim, samples, noise, iterations } });
      }
    }
  };
  add(10, 100, 1, 20);
  add(10, 100, 1, 20, LITERATURE);
  // ridge: no unconditional closed form, but the exact error given X and w* (P11) — judged on z|X alone
  for (const method of METHODS) {
    for (const strategy of STRATEGIES) {
      cases.push({ kind: 'linear', name: `${strategy} ${method} ridge λ=5 d=10 T=100 σ²=1`, config: { strategy, method, dim: 10, samples: 100, noise: 1, iterations: 20, ridge: 5 } });
    }
  }
  for (const samples of [100, 316, 1000]) for (const noise of [0.01, 1, 100]) add(32, samples, noise, 50);
  return [...cases, ...gaussianCases(), ...categoricalCases(), ...tailsCases(), ...strongCases(), ...curationCases()];
}

export type { CaseVerdict } from './verify-case.js';

/** What {@link runVerify} returns: the band, the number of checks, every verdict and the overall PASS. */
export interface VerifyReport {
  zStar: number;
  familyFalseFailure: number;
  /** events K the budget is split over; each is exceeded by a correct implementation with probability ≤ budget/K */
  checks: number;
  /** the part of the claim that is proven (finite-sample bands) and the part that rests on a normal approximation */
  claim: { proven: { checks: number; falseFailure: number }; normalApproximation: { checks: number; falseFailure: number } };
  cases: CaseVerdict[];
  pass: boolean;
  seconds: number;
}

/** Options of {@link runVerify}. */
export interface VerifyOptions {
  /** trials per case for the full and the reduced method (Gaussian cases, on the host, use the reduced count) */
  trials: { full: number; reduced: number };
  seed: number;
  backend: Backend;
  cases?: VerifyCase[];
  /** verdicts of the first cases from an interrupted run (--resume): reused, not run again; names must match */
  completed?: readonly CaseVerdict[];
  /** after every case run here (not the reused ones), with every verdict so far */
  onCase?: (index: number, total: number, verdict: CaseVerdict, verdicts: readonly CaseVerdict[]) => void;
}

/**
 * Runs the verify grid ({@link builtInCases} unless `cases` is given) and judges every case, the family false-failure
 * rate 1e-6 split evenly over the K checks of the run (Bonferroni): proven checks by finite-sample bands (least squares,
 * ridge z|X, Gaussian log det, the Bernstein cases), the rest by |z| < zStar(K), a normal approximation. The report's
 * `claim` says how many checks are of each kind.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const cases = options.cases ?? builtInCases();
  const proven = cases.reduce(
    (sum, c) =>
      sum +
      (c.kind === 'linear'
        ? conditionalOnly(c.config) ? c.config.iterations : c.config.iterations + 1
        : c.kind === 'bernstein'
          ? c.checks // empirical Bernstein bands: finite-sample, whatever the skew
          : logDetDepths(c.config).filter((k) => k !== null).length),
    0,
  );
  const approximate = cases.reduce(
    (sum, c) =>
      sum +
      (c.kind === 'gaussian'
        ? (1 + GAUSSIAN_METRICS.length - UNJUDGED_METRICS.size) * c.config.iterations - logDetDepths(c.config).filter((k) => k !== null).length
        : 0),
    0,
  );
  const checks = proven + approximate;
  const bound = zStar(checks);
  const delta = FAMILY_FALSE_FAILURE / checks;
  const started = performance.now();
  const verdicts: CaseVerdict[] = [];
  for (const [index, c] of cases.entries()) {
    const reused = options.completed?.[index];
    if (reused) {
      if (reused.name !== c.name) throw new Error(`a completed verdict is for "${reused.name}", case ${index + 1} is "${c.name}"`);
      verdicts.push(reused);
      continue;
    }
    const seed = options.seed + index;
    const verdict =
      c.kind === 'linear'
        ? judge(c.name, await runLinear({ ...c.config, trials: options.trials[c.config.method], seed, backend: options.backend.name }, { backend: options.backend }), bound, delta)
        : c.kind === 'bernstein'
          ? await c.run(options.trials.reduced, seed, bound) // Bernstein bands at δ = twoSidedP(bound), the same per-check share
          : judgeGaussian(c.name, await runGaussian({ ...c.config, trials: options.trials.reduced, seed }), bound, delta);
    verdicts.push(verdict);
    options.onCase?.(index, cases.length, verdict, verdicts);
  }
  return {
    zStar: bound,
    familyFalseFailure: FAMILY_FALSE_FAILURE,
    checks,
    claim: { proven: { checks: proven, falseFailure: proven * delta }, normalApproximation: { checks: approximate, falseFailure: approximate * delta } },
    cases: verdicts,
    pass: verdicts.every((v) => v.pass),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Ridge cases have only the design-conditional theory (P11): z|X is judged (by its band), there is no unconditional z. */
const conditionalOnly = (config: { ridge?: number }) => (config.ridge ?? 0) > 0;

/**
 * The finite-sample bands of a least-squares case at every iteration, each event exceeded with probability ≤ delta:
 * `conditional` for the mean of R_n (Laurent–Massart, given the designs), `unconditional` for mean_n − theory_n (that
 * band plus σ²β_n² times the Bernstein band of the mean trace, one event for all n). Null where the report has no
 * band inputs (ridge, random design, infinite variance, no closed form).
 */
export function linearBands(report: LinearReport, delta: number): { conditional: Band; unconditional: Band | null }[] | null {
  const inputs = report.bandInputs;
  if (!inputs) return null;
  const N = inputs.trials;
  if (inputs.ridgeSpread) {
    // ridge, given X and w*: Σ s²(ξ² − 1) (Laurent–Massart, δ/2) + Σ 2μsξ (exactly normal, sd 2√Σμ²s², δ/2)
    const z = -normalQuantile(delta / 4);
    return inputs.ridgeSpread.map((spread) => {
      const chi = chiSquareSumBand(Math.sqrt(spread.chi4Sum), Math.sqrt(spread.chi4Max), delta / 2);
      const gauss = 2 * z * Math.sqrt(spread.gaussSum);
      return { conditional: { below: (chi.below + gauss) / N, above: (chi.above + gauss) / N }, unconditional: null };
    });
  }
  const squares = inputs.gramInverseSquares as { sum: number; max: number };
  const { dim: d, samples: T } = report.config;
  const trace = traceMeanBand(d, T, N, delta);
  const perTrace = d / (T - d - 1);
  return report.iterations.map((row) => {
    const c = (row.theory as number) / perTrace; // σ²β_n²
    const sum = chiSquareSumBand(c * Math.sqrt(squares.sum), c * Math.sqrt(squares.max), delta);
    const conditional = { below: sum.below / N, above: sum.above / N };
    return { conditional, unconditional: { below: conditional.below + c * trace.below, above: conditional.above + c * trace.above } };
  });
}

/** How far x lies toward the edge of its band (≥ 1: outside). */
const bandRatio = (x: number, band: Band) => (x >= 0 ? x / band.above : -x / band.below);

/**
 * Least-squares cases are judged by their finite-sample bands (proven); ridge cases, which have no band inputs, by
 * |z|X| < bound (normal approximation). `delta`: each band's false-failure probability.
 */
export function judge(name: string, report: LinearReport, bound: number, delta = FAMILY_FALSE_FAILURE): CaseVerdict {
  // a standard error estimates nothing where the variance is infinite: such a case cannot be judged by z at all
  if (report.noIntervalReason) throw new Error(`verify cannot judge "${name}": ${report.noIntervalReason}`);
  const failures: string[] = [];
  const unconditional = !conditionalOnly(report.config);
  const bands = linearBands(report, delta);
  if (unconditional && !bands) throw new Error(`verify cannot judge "${name}": no finite-sample band for it (only fixed-design least squares has one)`);
  let maxAbsZ = unconditional ? 0 : NaN;
  let maxAbsZConditional = 0;
  let worstBandRatio = bands ? 0 : NaN;
  for (const [n, row] of report.iterations.entries()) {
    const z = row.z ?? NaN;
    const zc = row.zConditional ?? NaN;
    if (unconditional) maxAbsZ = Math.max(maxAbsZ, Math.abs(z));
    maxAbsZConditional = Math.max(maxAbsZConditional, Math.abs(zc));
    if (bands && report.bandInputs) {
      const residual = report.bandInputs.residualSums[n] / report.bandInputs.trials;
      const rc = bandRatio(residual, bands[n].conditional);
      worstBandRatio = Math.max(worstBandRatio, rc);
      const unconditionalBand = bands[n].unconditional;
      if (unconditionalBand) {
        const deviation = row.mean - (row.theory as number);
        const ru = bandRatio(deviation, unconditionalBand);
        worstBandRatio = Math.max(worstBandRatio, ru);
        if (!(ru < 1)) failures.push(`n=${row.iteration}: mean − theory = ${deviation.toExponential(3)} outside (−${unconditionalBand.below.toExponential(3)}, ${unconditionalBand.above.toExponential(3)})`);
      }
      if (!(rc < 1)) failures.push(`n=${row.iteration}: conditional residual ${residual.toExponential(3)} outside (−${bands[n].conditional.below.toExponential(3)}, ${bands[n].conditional.above.toExponential(3)})`);
    } else if (!(Math.abs(zc) < bound)) {
      failures.push(`n=${row.iteration}: conditional z=${zc.toFixed(2)}`);
    }
  }
  const rows = report.iterations;
  let growth: number;
  const expectedGrowth =
    report.accumulateBound !== null ? Math.PI ** 2 / 6 : unconditional ? (rows[rows.length - 1].theory as number) / (rows[0].theory as number) : NaN;
  if (report.accumulateBound !== null && bands) {
    const first = rows[0].theory as number;
    growth = Math.max(...rows.map((r) => r.mean / first));
    // mean_n ≤ theory_n + band ≤ π²/6 × first + band whenever the unconditional checks pass: no extra budget
    const over = rows.findIndex((r, n) => !(r.mean - (report.accumulateBound as number) < (bands[n].unconditional as Band).above));
    if (over >= 0) failures.push(`n=${over + 1}: exceeds π²/6 × first error by more than its band`);
  } else {
    growth = rows[rows.length - 1].mean / rows[0].mean;
  }
  return { name, pass: failures.length === 0, worstBandRatio, maxAbsZ, maxAbsZConditional, growth, expectedGrowth, failures, kind: 'linear', report };
}

/**
 * Per iteration, the depth k of the single-set chain whose log-determinant ratio is a sum of independent ln χ² terms
 * (fitted covariance, Gaussian model), or null: there logDetRatio is judged by an exact Chernoff band (proven).
 */
export function logDetDepths(config: { model: string; strategy: string; variance: string; iterations: number }): (number | null)[] {
  if (config.model !== 'gaussian' || config.variance !== 'fitted') return new Array<null>(config.iterations).fill(null);
  return singleSetDepths(parseStrategy(config.strategy), config.iterations);
}

/**
 * Every Gaussian row and metric with a closed form must sit within its band; rows without one are not judged.
 * logDetRatio along a single-set chain: the Chernoff band of its mean (every moment of det ratio is known), proven;
 * the rest: |z| < bound, a normal approximation; detRatio (UNJUDGED_METRICS), and in 1-D along such a chain the
 * trace ratio (the same product), not judged.
 */
export function judgeGaussian(name: string, report: GaussianReport, bound: number, delta = FAMILY_FALSE_FAILURE): CaseVerdict {
  const failures: string[] = [];
  let maxAbsZ = 0;
  let worstBandRatio = NaN;
  const { dim: d, samples: m, estimator, trials } = report.config;
  const depths = logDetDepths(report.config);
  for (const [n, row] of report.iterations.entries()) {
    const checks: [string, number | null][] = [['mean', row.z], ...Object.entries(row.metrics).map(([metric, m]): [string, number | null] => [metric, m.z])];
    for (const [label, z] of checks) {
      const theory = label === 'mean' ? row.theory : row.metrics[label].theory;
      const k = depths[n];
      // in 1-D along a single-set chain the trace ratio is the det ratio: the same skewed product, judged through its log
      if (theory === null || UNJUDGED_METRICS.has(label) || (label === 'mean' && d === 1 && k !== null)) continue;
      if (label === 'logDetRatio' && k !== null) {
        const band = logMomentMeanBand((p) => replaceDetRatioLogMoment(d, m, k, estimator, p), theory, -(m - d) / 2, trials, delta);
        const deviation = row.metrics[label].mean - theory;
        const ratio = bandRatio(deviation, band);
        worstBandRatio = Number.isNaN(worstBandRatio) ? ratio : Math.max(worstBandRatio, ratio);
        if (!(ratio < 1)) failures.push(`n=${row.iteration} logDetRatio: mean − theory = ${deviation.toExponential(3)} outside (−${band.below.toExponential(3)}, ${band.above.toExponential(3)})`);
        continue;
      }
      if (z === null || !(Math.abs(z) < bound)) failures.push(`n=${row.iteration} ${label}: z=${z === null ? 'none' : z.toFixed(2)}`);
      else maxAbsZ = Math.max(maxAbsZ, Math.abs(z));
    }
  }
  const rows = report.iterations;
  const last = rows[rows.length - 1];
  const expectedGrowth = last.theory !== null && rows[0].theory ? last.theory / rows[0].theory : NaN;
  return { name, pass: failures.length === 0, worstBandRatio, maxAbsZ, maxAbsZConditional: NaN, growth: last.mean / rows[0].mean, expectedGrowth, failures, kind: 'gaussian', report };
}
