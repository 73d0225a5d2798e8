/**
 * `collapse gaussian`: options, validation, and one Monte Carlo of recursive Gaussian fitting (or kernel density
 * estimation, --model kde) through the general generation loop, against the closed forms of src/theory/gaussian.ts.
 */
import { UsageError } from '../core/errors.js';
import { rootKey } from '../core/rng.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import { Moments, Z95 } from '../core/stats.js';
import { HOST_BACKEND, runTrials, type LoopConfig, type TrialOptions, type TrialSummary } from '../loop/generation-loop.js';
import { checkPoolWeights, dataPlan, parseStrategy, STRATEGY_FORMS } from '../strategies/index.js';
import { GAUSSIAN_METRICS, gaussianTheory, singleSetDepths, type Estimator } from '../theory/gaussian.js';
import { buildRows, type IterationRow } from '../verify/report.js';
import { notMeasurable, undecided, type CollapseProfile, type ProfileEntry } from '../models/collapse-profile.js';
import { gaussianFamily, GAUSSIAN_VERIFIERS } from '../models/gaussian/family.js';
import { kdeFamily, silvermanBandwidth } from '../models/gaussian/kde.js';
import { curationOf, curationOptions, validateCuration } from '../loop/curation.js';
import { curatedGaussianTheory, curatedProfile, curatedTheoryText } from './gaussian-curation.js';

/** The families of `collapse gaussian --model`: 'gaussian' fits N(μ̂, Σ̂); 'kde' a Gaussian kernel density estimate. */
export const GAUSSIAN_MODELS = ['gaussian', 'kde'] as const;

const DEFAULT_TRIALS = { gaussian: 10_000, kde: 200 } as const;

/** The options of `collapse gaussian`: one declaration for the flags, --help, validation and {@link GaussianConfig}. */
export const GAUSSIAN_OPTIONS = [
  { flag: 'model', kind: 'enum', default: 'gaussian', choices: GAUSSIAN_MODELS, description: 'gaussian: fit N(μ̂, Σ̂); kde: Gaussian kernel density estimate (Monte Carlo only)' },
  { flag: 'strategy', kind: 'string', default: 'accumulate', meta: 'strategy', description: `how generation n's training pool is formed: ${STRATEGY_FORMS.join(', ')}` },
  { flag: 'dim', kind: 'int', default: 1, min: 1, max: 64, description: 'd, dimension of the data' },
  { flag: 'samples', kind: 'int', default: 100, min: 2, max: 1_000_000, description: 'm, items per data set (≥ dim + 1)' },
  { flag: 'estimator', kind: 'enum', default: 'mle', choices: ['mle', 'unbiased'], description: 'covariance estimator: mle (divide by the pool size) or unbiased' },
  { flag: 'variance', kind: 'enum', default: 'fitted', choices: ['fitted', 'known'], description: 'fitted: fit mean and covariance; known: fit the mean only (Σ̂ = Σ₀)' },
  { flag: 'iterations', kind: 'int', default: 20, min: 1, max: 1000, description: 'model-fitting iterations n' },
  { flag: 'trials', kind: 'int', min: 2, max: 10_000_000, description: `Monte Carlo trials (default ${DEFAULT_TRIALS.gaussian}; ${DEFAULT_TRIALS.kde} for --model kde)` },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
  { flag: 'bandwidth', kind: 'number', above: 0, max: 1e6, description: 'kde: kernel bandwidth h (default Silverman\'s rule (4/((d+2)m))^(1/(d+4)))' },
  { flag: 'test-samples', kind: 'int', min: 1, max: 100_000, description: 'kde: held-out real items per trial for the test log-likelihood (default 200)' },
  ...curationOptions(GAUSSIAN_VERIFIERS),
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse gaussian` configuration, field for flag (docs/cli.md), derived from {@link GAUSSIAN_OPTIONS}, but
 * `trials` is always set (its default depends on --model) and --test-samples is the field `testSamples` (kde only:
 * held-out real items per trial for the test log-likelihood). `variance` 'fitted' fits mean and covariance, 'known'
 * the mean only (Σ̂ = Σ₀); `bandwidth` (kde only) defaults to Silverman's rule; `curate` and `verifier` absent: no
 * curation. {@link validateGaussianConfig} fills the defaults and checks it.
 */
export type GaussianConfig = Omit<ConfigOf<typeof GAUSSIAN_OPTIONS>, 'trials' | 'test-samples'> & {
  trials: number;
  testSamples?: number;
};

/** Values kept for medians (trials × iterations doubles) and items held at once per trial, at most. */
export const KEPT_VALUES_LIMIT = 20_000_000;
export const ITEMS_LIMIT = 50_000_000;

/** Apply defaults and check every field and the cross-field rules; throws a one-line UsageError. */
export function validateGaussianConfig(raw: Record<string, unknown>): GaussianConfig {
  const out: Record<string, unknown> = {};
  for (const spec of GAUSSIAN_OPTIONS) {
    const value = raw[spec.flag];
    const key = spec.flag === 'test-samples' ? 'testSamples' : spec.flag;
    if (spec.flag === 'strategy' && value !== undefined) {
      out.strategy = parseStrategy(value).name;
      continue;
    }
    if (value === undefined) {
      if (spec.flag === 'trials') out.trials = DEFAULT_TRIALS[out.model as GaussianConfig['model']];
      else if ('default' in spec && spec.default !== undefined) out[key] = spec.default;
      continue;
    }
    out[key] = parseOption(spec, value);
  }
  const config = Object.assign(out, validateCuration(raw, GAUSSIAN_VERIFIERS)) as unknown as GaussianConfig;
  if (config.model === 'kde' && config.curate !== undefined) throw new UsageError('--curate applies to --model gaussian (its verifier is the fitted likelihood)');
  if (config.model === 'kde') {
    // the stored configuration of a kde run holds the defaults (mle, fitted), so --resume must accept them
    if ((raw.variance !== undefined && raw.variance !== 'fitted') || (raw.estimator !== undefined && raw.estimator !== 'mle')) {
      throw new UsageError('--estimator and --variance apply to --model gaussian; a kde has no fitted covariance (its bandwidth is --bandwidth)');
    }
    config.bandwidth ??= silvermanBandwidth(config.dim, config.samples);
    config.testSamples ??= 200;
  } else if (config.bandwidth !== undefined || config.testSamples !== undefined) {
    throw new UsageError('--bandwidth and --test-samples apply to --model kde only');
  }
  if (config.model === 'gaussian' && config.variance === 'fitted' && config.samples < config.dim + 1) {
    throw new UsageError(
      `--samples must be ≥ dim + 1 (= ${config.dim + 1}) so that every fitted covariance is nonsingular; got ${config.samples} (or use --variance known)`,
    );
  }
  if (config.trials * config.iterations > KEPT_VALUES_LIMIT) {
    throw new UsageError(`--trials × --iterations must be ≤ ${KEPT_VALUES_LIMIT} (each trial's variance ratio is kept for the median); got ${config.trials} × ${config.iterations}`);
  }
  const sets = dataPlan(parseStrategy(config.strategy), config.iterations).sources.length;
  if (sets * config.samples * config.dim > ITEMS_LIMIT) {
    throw new UsageError(`${sets} data sets × --samples ${config.samples} × --dim ${config.dim} items exceed ${ITEMS_LIMIT} numbers per trial; lower --iterations or --samples`);
  }
  checkPoolWeights(parseStrategy(config.strategy), config.iterations); // before any run directory exists
  return config;
}

/** One metric at one iteration: Monte Carlo mean, its standard error and 95% CI, the closed form or null, and z. */
export interface MetricRow {
  mean: number;
  stderr: number;
  ci95: [number, number];
  theory: number | null;
  z: number | null;
}

/** One iteration of a {@link GaussianReport}: the trace ratio as an {@link IterationRow}, and every metric by name. */
export interface GaussianIterationRow extends IterationRow {
  metrics: Record<string, MetricRow>;
}

/**
 * What every host Monte Carlo report starts with (`gaussian`, `categorical`, `strong`, `curate`): its configuration,
 * the host backend, timing, and what the rows' theory is.
 */
export interface HostRunHeader<Config> {
  config: Config;
  backend: 'host';
  backendReason: string;
  seconds: number;
  trialIterationsPerSecond: number;
  /** what iterations[].mean and .theory are, and where the theory comes from or why there is none */
  theoryFormula: string;
  hasTheory: boolean;
}

/**
 * The report of a host family run through the generation loop (`gaussian`, `categorical`): the header, the collapse
 * profile and one row per iteration (the trace ratio E tr Σ̂_n/tr Σ₀ or the family's own, every other metric as a
 * {@link MetricRow}).
 */
export interface HostRunReport<Config> extends HostRunHeader<Config> {
  /** Schaeffer et al. 2025's eight definitions of collapse, decided from exact theory (or proved bounds) only */
  profile: CollapseProfile;
  iterations: GaussianIterationRow[];
}

/** What {@link runGaussian} returns; its profile is decided from exact theory only (proofs/gaussian.md#G9). */
export type GaussianReport = HostRunReport<GaussianConfig>;

/** Rows for one metric; theory entries may be null per iteration (no closed form there). Shared by the loop families' reports. */
export function metricRows(moments: readonly Moments[], theory: readonly (number | null)[]): MetricRow[] {
  const rows = buildRows(moments, theory.map((t) => (t === null ? NaN : t)), null);
  return rows.map((r, n) => {
    const expected = theory[n];
    // a metric the estimator fixes (a known variance) has stderr 0: z = 0 when it equals its theory exactly
    const z = expected === null ? null : r.stderr === 0 ? (r.mean === expected ? 0 : null) : r.z;
    return { mean: r.mean, stderr: r.stderr, ci95: r.ci95, theory: expected, z };
  });
}

/**
 * The sample median with a distribution-free 95% interval from order statistics (ranks n/2 ∓ 1.96·√n/2), and as
 * stderr the interval's half-width over 1.96.
 */
export function medianRow(values: Float64Array, theory: number | null): MetricRow {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (rank: number) => sorted[Math.min(n - 1, Math.max(0, rank))];
  const median = n % 2 === 1 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const half = (Z95 * Math.sqrt(n)) / 2;
  const ci95: [number, number] = [at(Math.floor(n / 2 - half) - 1), at(Math.ceil(n / 2 + half))];
  const stderr = (ci95[1] - ci95[0]) / (2 * Z95);
  const z = theory === null ? null : stderr === 0 ? (median === theory ? 0 : null) : (median - theory) / stderr;
  return { mean: median, stderr, ci95, theory, z };
}

function theoryText(config: GaussianConfig, hasTheory: boolean): string {
  if (config.model === 'kde') return 'none: no closed form for kernel density estimation (Monte Carlo only); mean = tr Cov(KDE)/tr Σ₀';
  if (!hasTheory) return 'none: no closed form is known for subsampled fits (Monte Carlo only); mean = tr Σ̂/tr Σ₀';
  if (config.variance === 'known') return 'variance known: tr Σ̂/tr Σ₀ = 1; E‖μ̂−μ‖² = (d/m)·Σ_j b_{n,j}² (proofs/gaussian.md#G5, #G6)';
  if (config.strategy === 'replace') {
    return config.estimator === 'mle' ? 'E tr Σ̂_n/tr Σ₀ = ((m−1)/m)^n (proofs/gaussian.md#G1)' : 'E tr Σ̂_n/tr Σ₀ = 1 (proofs/gaussian.md#G1)';
  }
  return 'E tr Σ̂_n/tr Σ₀ from the exact pool-weight recursion (proofs/gaussian.md#G6)';
}

/** Run one configuration through the generation loop. */
/** Progress, checkpoints, resume and abort for runGaussian: runTrials' options less the metrics it keeps. */
export type GaussianRunOptions = Omit<TrialOptions, 'keep'>;

/** The Monte Carlo of recursive Gaussian fitting (or KDE) through {@link runTrials}: `trials` trajectories of the generation loop, every metric per iteration against its closed form from {@link gaussianTheory} (null where none holds), medians with distribution-free intervals. */
export async function runGaussian(config: GaussianConfig, options: GaussianRunOptions = {}): Promise<GaussianReport> {
  const strategy = parseStrategy(config.strategy);
  const loop: LoopConfig = { strategy, iterations: config.iterations, samples: config.samples, testSamples: config.model === 'kde' ? (config.testSamples ?? 200) : 0, curation: curationOf(config) };
  const started = performance.now();
  const root = rootKey(config.seed);
  let summary: TrialSummary;
  if (config.model === 'kde') {
    const family = kdeFamily({ dim: config.dim, bandwidth: config.bandwidth as number, signal: options.signal });
    summary = await runTrials(() => family, loop, config.trials, root, { ...options, keep: ['traceRatio'] });
  } else {
    const family = gaussianFamily({ dim: config.dim, estimator: config.estimator, knownVariance: config.variance === 'known' });
    summary = await runTrials(() => family, loop, config.trials, root, { ...options, keep: ['traceRatio'] });
  }
  const seconds = (performance.now() - started) / 1000;
  const names = config.model === 'kde' ? ['meanError', 'heldOutNll'] : GAUSSIAN_METRICS.filter((name) => name !== 'traceRatio' && name !== 'medianVarianceRatio');
  const none = new Array<number | null>(config.iterations).fill(null);
  const theory: Record<string, (number | null)[]> =
    config.model === 'kde'
      ? {}
      : config.curate !== undefined
        ? curatedGaussianTheory(config)
        : gaussianTheory(strategy, { dim: config.dim, samples: config.samples, estimator: config.estimator, knownVariance: config.variance === 'known' }, config.iterations);
  const main = theory.traceRatio ?? none;
  const hasTheory = main.every((t) => t !== null);
  const trace = summary.moments.get('traceRatio') as Moments[];
  const rows = buildRows(trace, hasTheory ? (main as number[]) : null, null);
  const mainRows = metricRows(trace, main); // the same numbers, with z = 0 where a known variance fixes the ratio
  const perMetric = Object.fromEntries(names.map((name) => [name, metricRows(summary.moments.get(name) as Moments[], theory[name] ?? none)]));
  const kept = summary.values.get('traceRatio') as Float64Array[];
  const iterations = rows.map((row, n) => {
    const metrics: Record<string, MetricRow> = { medianVarianceRatio: medianRow(kept[n], (theory.medianVarianceRatio ?? none)[n]) };
    for (const name of names) metrics[name] = perMetric[name][n];
    return { ...row, z: mainRows[n].z, metrics };
  });
  return {
    config,
    ...HOST_BACKEND,
    seconds,
    trialIterationsPerSecond: (config.trials * config.iterations) / seconds,
    theoryFormula: config.curate !== undefined ? curatedTheoryText(config) : theoryText(config, hasTheory),
    hasTheory,
    profile: config.curate !== undefined ? curatedProfile(gaussianProfile(config, theory), config, theory) : gaussianProfile(config, theory),
    iterations,
  };
}

/**
 * The collapse profile of a Gaussian run (proofs/gaussian.md#G9): anyRiskIncrease compares the exact E W2² at 1 and N
 * where it exists (G8); collapsingVariance holds along growing single-set chains (det Σ̂ → 0 a.s., G4, G7) and fails
 * with a known variance (Σ̂ = Σ₀); a Gaussian has one mode and full support, so entanglement, tails and
 * hallucinations are not measured; catastrophe and scaling laws need a threshold or several runs. kde: only the
 * definitions no family measures in one run are decided (not measurable); the rest undecided.
 */
export function gaussianProfile(config: GaussianConfig, theory: Record<string, (number | null)[]>): CollapseProfile {
  const N = config.iterations;
  const risk = theory.w2Squared ?? [];
  const depths = singleSetDepths(parseStrategy(config.strategy), N);
  const chain = config.model === 'gaussian' && N >= 2 && depths.every((k, n) => k === n + 1);
  const variance: ProfileEntry =
    config.model === 'gaussian' && config.variance === 'known'
      ? { measurable: true, holds: false, basis: 'theory', why: 'the variance is known: Σ̂ = Σ₀ for every model' }
      : chain
        ? { measurable: true, holds: true, basis: 'theory', why: `every model is one step deeper on a single-set chain: E log det Σ̂_n/det Σ₀ = n·${((theory.logDetRatio?.[0] as number) ?? NaN).toPrecision(4)} → −∞ and det Σ̂_n → 0 almost surely (G4, G7)` }
        : undecided('no almost-sure limit of Σ̂ is derived for this strategy (E tr Σ̂ per n is exact, G6)');
  return {
    catastrophicRiskIncrease: notMeasurable('needs a level of risk that makes a model useless; the study must set it'),
    anyRiskIncrease:
      risk[0] == null || risk[N - 1] == null
        ? undecided('no exact E W2² for this configuration (G8: 1-D single-set chains, or a known variance)')
        : { measurable: true, holds: (risk[N - 1] as number) > (risk[0] as number), basis: 'theory', why: `exact E W2²: ${(risk[0] as number).toPrecision(6)} at n = 1, ${(risk[N - 1] as number).toPrecision(6)} at n = ${N} (G8)` },
    divergingRisk: undecided('no limit of the risk is derived'),
    scalingLawChange: notMeasurable('needs runs over several data sizes'),
    collapsingVariance: variance,
    modeEntanglement: notMeasurable(config.model === 'kde' ? 'modes of a kernel density estimate are not tracked' : 'a Gaussian has one mode'),
    tailDisappearance: notMeasurable('a fitted Gaussian has full support: no tail region is lost outright (its shrinking spread is collapsingVariance)'),
    hallucinatedData: notMeasurable('real and fitted distributions both have full support: no sample is impossible under the real data'),
  };
}
