/** `collapse linear`: options, validation, and one Monte Carlo run against its closed form. */
import { UsageError } from '../core/errors.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import { BACKENDS, selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import { parseStrategy, STRATEGY_FORMS, type PoolStrategy } from '../strategies/index.js';
import { ACCUMULATE_BOUND } from '../theory/harmonic.js';
import { expectedTestError } from '../theory/linear-fixed-design.js';
import { randomDesignReplaceError } from '../theory/linear-random-design.js';
import { noiseFactorsArithmetic, noiseFactorsNumeric } from '../theory/pool-weights.js';
import { ridgePolynomials } from '../theory/ridge.js';
import { buildRows, type IterationRow } from '../verify/report.js';
import type { Moments } from '../core/stats.js';
import { chunkBytes, METHODS, simulateLinear, type LinearRun, type Method, type MonteCarloMoments, type Progress, type SimulationControl } from '../models/linear/monte-carlo.js';

/** The options of `collapse linear`: one declaration for the flags, --help, validation and {@link LinearConfig}. */
export const LINEAR_OPTIONS = [
  { flag: 'strategy', kind: 'string', default: 'accumulate', meta: 'strategy', description: `how generation n's training pool is formed: ${STRATEGY_FORMS.join(', ')}` },
  { flag: 'dim', kind: 'int', default: 10, min: 1, max: 1024, description: 'd, features' },
  { flag: 'samples', kind: 'int', default: 100, min: 3, max: 1_000_000, description: 'T, samples per generation; theory needs ≥ dim + 2 (below: --method full, fixed design, minimum-norm fits, Monte Carlo only)' },
  { flag: 'noise', kind: 'number', default: 1, above: 0, max: 1e6, description: 'σ², label-noise variance' },
  { flag: 'iterations', kind: 'int', default: 20, min: 1, max: 1000, description: 'model-fitting iterations n' },
  { flag: 'trials', kind: 'int', default: 10_000, min: 2, max: 100_000_000, description: 'Monte Carlo trials (independent designs)' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
  { flag: 'method', kind: 'enum', default: 'full', choices: METHODS, description: 'full: regenerate labels and refit; reduced: sufficient statistics' },
  { flag: 'backend', kind: 'enum', default: 'auto', choices: ['auto', ...BACKENDS], description: 'gpu.js backend (auto: webgpu, else webasm, else cpu)' },
  { flag: 'ridge', kind: 'number', default: 0, above: 0, inclusive: true, max: 1e6, description: 'ridge penalty λ against one generation of data (0: least squares); λ > 0: no unconditional closed form, z|X checks the exact error given X (proofs P11)' },
  { flag: 'design', kind: 'enum', default: 'fixed', choices: ['fixed', 'random'], description: 'fixed: one X for every generation (the paper); random: a new X per data set (Dohmatob et al. 2024)' },
  { flag: 'samples0', kind: 'int', min: 3, max: 1_000_000, description: 'random design: T0, samples of the real data (default --samples)' },
  { flag: 'noise0', kind: 'number', above: 0, max: 1e6, description: 'random design: σ0², noise of the real data (default --noise)' },
  { flag: 'batch', kind: 'int', min: 1, max: 4096, description: 'trials per kernel batch (default: the most that fit, ≤ 4096); results are bit-identical whatever it is' },
  { flag: 'spectrum', kind: 'string', default: 'isotropic', meta: 'isotropic|power:<α>', description: 'input covariance Σ shared by train and test: isotropic, or diagonal λ_i ∝ i^−α with tr Σ = d' },
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse linear` configuration, field for flag (see docs/cli.md), derived from {@link LINEAR_OPTIONS}:
 * `spectrum` (input covariance: isotropic, or power:<α>), `ridge` (penalty λ ≥ 0) and `design` ('fixed': one X for
 * every generation; 'random': a new X per data set) may be left out, as the flags without a default may;
 * {@link validateLinearConfig} fills the defaults and checks it.
 */
export type LinearConfig = ConfigOf<typeof LINEAR_OPTIONS, 'spectrum' | 'ridge' | 'design'>;

/** Σ's diagonal from --spectrum, or undefined for isotropic inputs. */
export function parseSpectrum(text: string, dim: number): Float64Array | undefined {
  if (text === 'isotropic') return undefined;
  const match = /^power:(\d+(\.\d+)?)$/.exec(text);
  const alpha = match ? Number(match[1]) : NaN;
  if (!(alpha >= 0 && alpha <= 10)) throw new UsageError(`--spectrum must be isotropic or power:<α> with 0 ≤ α ≤ 10; got ${JSON.stringify(text)}`);
  const raw = Float64Array.from({ length: dim }, (_, i) => (i + 1) ** -alpha);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => (v * dim) / total);
}

/** Most bytes a chunk may hold; above this a run is refused before anything is allocated. */
export const MEMORY_LIMIT_BYTES = 4 * 2 ** 30;

/** Apply defaults and check every field and the cross-field rules; throws a one-line UsageError. */
export function validateLinearConfig(raw: Record<string, unknown>): LinearConfig {
  const out: Record<string, unknown> = {};
  for (const spec of LINEAR_OPTIONS) {
    const value = raw[spec.flag];
    if (spec.flag === 'strategy' && value !== undefined) {
      out.strategy = parseStrategy(value).name; // its error lists strategies and suggests the nearest
      continue;
    }
    out[spec.flag] = value === undefined ? (spec as { default?: unknown }).default : parseOption(spec, value);
  }
  const config = out as unknown as LinearConfig;
  if (config.method === 'reduced' && !hasTheory(parseStrategy(config.strategy))) {
    throw new UsageError(`--method reduced samples whole-data-set fits; --strategy ${config.strategy} subsamples rows, so use --method full`);
  }
  parseSpectrum(config.spectrum ?? 'isotropic', config.dim);
  if (config.design !== 'random') {
    if (config.samples0 !== undefined || config.noise0 !== undefined) {
      throw new UsageError('--samples0 and --noise0 need --design random: a fixed design shares one X, so every generation has --samples rows');
    }
  } else {
    if (!hasTheory(parseStrategy(config.strategy))) throw new UsageError(`--design random does not support --strategy ${config.strategy}`);
    if ((config.spectrum ?? 'isotropic') !== 'isotropic') throw new UsageError('--design random takes isotropic inputs only; drop --spectrum');
    if ((config.samples0 ?? config.samples) < config.dim + 2) {
      throw new UsageError(`--samples0 must be ≥ dim + 2 (= ${config.dim + 2}) so the first fit is determined; got ${config.samples0}`);
    }
  }
  if (config.samples < config.dim + 2 && (config.method === 'reduced' || config.design === 'random')) {
    throw new UsageError(
      `--samples must be ≥ dim + 2 (= ${config.dim + 2}) for --method reduced and --design random; got ${config.samples} (T < d + 2 runs with --method full, fixed design, minimum-norm fits)`,
    );
  }
  checkResolution(config);
  const bytes = chunkBytes(toRun(config));
  if (!(bytes <= MEMORY_LIMIT_BYTES)) {
    const shown = Number.isFinite(bytes) ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : 'more than one kernel buffer holds';
    throw new UsageError(`one trial of --samples ${config.samples} × --dim ${config.dim} needs ${shown}; lower --samples or --dim, or use --method reduced`);
  }
  return config;
}

/** float32 unit roundoff 2⁻²⁴: the relative rounding of every model the full, subsample and random-design methods store. */
const FLOAT32_ROUNDOFF = 2 ** -24;
/** Rounding may bias the test error by at most this fraction of the noise it measures (far below any stderr shown). */
const ROUNDING_SHARE = 1e-3;
/** Typical squared test errors must stay above this, or the float64 sums of squares (the stderr) underflow. */
const SQUARE_FLOOR = 1e-290;

/**
 * Refuse a noise level the arithmetic cannot resolve, before anything runs. The full, subsample and random-design
 * methods store each model in float32: rounding ŵ (‖ŵ‖² ≈ ‖w*‖² = 1 in expectation) adds about (2⁻²⁴)²/3 ≈ 1.2e-15 per
 * generation to ‖ŵ_n − w*‖², whatever σ² is; it must stay below ROUNDING_SHARE of the noise a generation adds,
 * ≥ σ²·d/T. (At --noise 1e-30 a full run measured 2.5e-26 against the theory's 1e-29.) The reduced method keeps the
 * errors in float64, where only their squares can fail: below ~1e-145 they underflow and the stderr becomes 0.
 */
function checkResolution(config: LinearConfig): void {
  const d = config.dim;
  const levels = [{ flag: '--noise', sigma2: config.noise, T: config.samples }];
  if (config.design === 'random') levels.push({ flag: '--noise0', sigma2: config.noise0 ?? config.noise, T: config.samples0 ?? config.samples });
  const float32Models = config.method === 'full' || config.design === 'random' || !hasTheory(parseStrategy(config.strategy));
  for (const { flag, sigma2, T } of levels) {
    const perGeneration = (sigma2 * Math.min(d, T)) / T; // the noise one fit adds, at least (σ²·d/(T−d−1) for T ≥ d + 2)
    const least = leastResolvedNoise({ dim: d, samples: T, iterations: config.iterations, float32Models });
    if (sigma2 >= least) continue;
    if (float32Models) {
      const other = config.design !== 'random' && hasTheory(parseStrategy(config.strategy)) && config.samples >= d + 2 ? ', or use --method reduced (float64 errors)' : '';
      throw new UsageError(
        `${flag} ${sigma2} is below what float32 resolves: models are stored in float32, whose rounding adds ~${(FLOAT32_ROUNDOFF ** 2 / 3).toExponential(1)} per generation to the test error against σ²·d/T = ${perGeneration.toExponential(1)}; use ${flag} ≥ ${least.toExponential(1)}${other}`,
      );
    }
    throw new UsageError(`${flag} ${sigma2} is too small for float64: the squared test errors (~${perGeneration.toExponential(1)}²) underflow and the standard error would be 0; use ${flag} ≥ ${least.toExponential(1)}`);
  }
}

/** The least σ² checkResolution accepts for data sets of `samples` rows (see there). */
export function leastResolvedNoise(setting: { dim: number; samples: number; iterations: number; float32Models: boolean }): number {
  const scale = setting.samples / Math.min(setting.dim, setting.samples); // σ² per unit of noise a fit adds
  if (setting.float32Models) return ((setting.iterations * FLOAT32_ROUNDOFF ** 2) / 3 / ROUNDING_SHARE) * scale;
  return Math.sqrt(SQUARE_FLOOR) * scale;
}

/** T ≥ d + 2: every fit is determined and E tr((XᵀX)⁻¹) = d/(T − d − 1) is finite. */
function determined(config: LinearConfig): boolean {
  return config.samples >= config.dim + 2;
}

/** Rows of the design the recorded trace comes from: the real data's T0 under random design, else T. */
function firstSamples(config: LinearConfig): number {
  return config.design === 'random' ? (config.samples0 ?? config.samples) : config.samples;
}

/**
 * Why the test error has infinite variance here, or null. Without ridge the error scales with tr((XᵀX)⁻¹), whose
 * second moment is finite only for T > d + 3 (proofs P4), and the residual of z|X has variance 2σ⁴β⁴·E tr((XᵀX)⁻²),
 * finite under the same condition (P6). Minimum-norm fits (T ≤ d) scale with tr((XXᵀ)⁻¹), XXᵀ ~ W_T(d, I): finite
 * variance needs d > T + 3 (P9, T and d exchanged). Ridge bounds (XᵀX + λI)⁻¹ by 1/λ: always finite.
 */
export function infiniteVarianceReason(config: LinearConfig): string | null {
  if ((config.ridge ?? 0) > 0) return null;
  const d = config.dim;
  const sizes = config.design === 'random' ? [config.samples0 ?? config.samples, config.samples] : [config.samples];
  const T = Math.min(...sizes);
  const label = config.design === 'random' && T !== config.samples ? 'T0' : 'T';
  if (T > d + 3 || (T <= d - 4 && config.design !== 'random')) return null;
  const why = T > d ? `${label} = ${T} ≤ d + 3 = ${d + 3}: tr((XᵀX)⁻¹) has infinite variance (proofs P4, P6)` : `T = ${T} is within 3 of d = ${d}: the minimum-norm fits' tr((XXᵀ)⁻¹) has infinite variance (proofs P9, P4)`;
  return `no z, z|X or 95% interval: with ${why}, so the test error's variance is infinite and a standard error estimates nothing`;
}

/** Whether fixed-design OLS theory is exact under this strategy (every fit uses whole pooled data sets). */
export function hasTheory(strategy: PoolStrategy): boolean {
  return strategy.fit !== 'subsample';
}

function toRun(config: LinearConfig): LinearRun {
  const strategy = parseStrategy(config.strategy);
  return {
    strategy,
    dim: config.dim,
    samples: config.samples,
    noise: config.noise,
    iterations: config.iterations,
    trials: config.trials,
    seed: config.seed,
    method: config.method,
    // subsampled fits have no exact fixed-design theory: no factors, no conditional check, theory null
    noiseFactors: hasTheory(strategy) && config.design !== 'random' && determined(config) && !(config.ridge ?? 0) ? noiseFactorsNumeric(strategy, config.iterations) : undefined,
    // ridge: no unconditional closed form, but the exact error given X and w* (P11) for the z|X check
    ridgePolynomials:
      hasTheory(strategy) && config.design !== 'random' && (config.ridge ?? 0) > 0 && (config.spectrum ?? 'isotropic') === 'isotropic'
        ? ridgePolynomials(strategy, config.iterations)
        : undefined,
    spectrum: parseSpectrum(config.spectrum ?? 'isotropic', config.dim),
    design: config.design ?? 'fixed',
    ridge: config.ridge ?? 0,
    samples0: config.samples0,
    noise0: config.noise0,
    batch: config.batch,
  };
}

/** What {@link runLinear} returns: per iteration the Monte Carlo mean of ‖ŵ_n − w*‖² with its standard error, 95% interval, the closed form (or null) and z = (mean − theory)/stderr; the backend that ran, and the tr((XᵀX)⁻¹) check against d/(T − d − 1). */
export interface LinearReport {
  config: LinearConfig;
  backend: string;
  backendReason: string;
  /** gpu.js kernel classes that ran (shows a kernel gpu.js degraded to its cpu backend) */
  kernels: string[];
  seconds: number;
  trialIterationsPerSecond: number;
  /** the closed form the theory column evaluates, or why there is none */
  theoryFormula: string;
  /** false where no closed form holds (theory and z are then null: Monte Carlo only) */
  hasTheory: boolean;
  /** accumulate only: π²/6 times the first model's expected error, the bound no iteration can exceed */
  accumulateBound: number | null;
  /**
   * Monte Carlo mean of the trace the first fit's error scales with: tr((XᵀX)⁻¹) against d/(T − d − 1) (T0 under
   * random design; tr(Σ(XᵀX)⁻¹), equal in law, with --spectrum), or tr((XᵀX + λI)⁻¹) under ridge, which has no closed
   * form here. Null where the quantity does not exist: T < d + 2 without ridge (XᵀX singular, or E tr = ∞).
   * stderr is null where tr((XᵀX)⁻¹) has infinite variance (T ≤ d + 3).
   */
  traceGramInverse: { quantity: string; mean: number; stderr: number | null; theory: number | null } | null;
  /**
   * Fixed-design least squares with a closed form and finite variance: per iteration Σ_trials R_n (R_n = error −
   * σ²β_n²·tr, the z|X residual) and Σ/max over trials of tr(M²) — what verify's finite-sample bands need
   * (src/verify/bounds.ts, proofs P12). Null elsewhere.
   */
  bandInputs: {
    trials: number;
    residualSums: number[];
    /** least squares: Σ and max over trials of tr(M²) */
    gramInverseSquares?: { sum: number; max: number };
    /** ridge: per iteration Σ_trials Σ_j s_j⁴, its largest trial, and Σ_trials Σ_j μ_j²s_j² (ridgeConditionalSpread) */
    ridgeSpread?: { chi4Sum: number; chi4Max: number; gaussSum: number }[];
  } | null;
  /** why z, z|X and the 95% interval are null (the test error's variance is infinite), or null when they are given */
  noIntervalReason: string | null;
  iterations: IterationRow[];
}

const FORMULAS: Record<string, string> = {
  replace: 'σ²·d/(T−d−1)·n',
  accumulate: 'σ²·d/(T−d−1)·Σ_{i≤n} 1/i²',
};

/** The fixed-design formula and how its Σ_j b_{n,j}² were computed: exact rationals, or certified float64 intervals. */
function fixedDesignFormula(run: LinearRun): string {
  const formula = FORMULAS[run.strategy.name] ?? 'σ²·d/(T−d−1)·Σ_j b_{n,j}², b from the pool-weight recursion';
  const arithmetic = noiseFactorsArithmetic(run.strategy, run.iterations);
  return arithmetic.method === 'exact'
    ? `${formula} (exact rationals, rounded once to float64)`
    : `${formula} (float64 intervals certified to hold the exact value, relative half-width ≤ ${arithmetic.relativeError.toExponential(1)}; exact rationals would grow too large here)`;
}

/** The closed form of this configuration, or null where none holds. */
function linearTheory(config: LinearConfig, run: LinearRun): number[] | null {
  if (!hasTheory(run.strategy) || !determined(config) || (run.ridge ?? 0) > 0) return null;
  if (run.design === 'random') {
    if (run.strategy.name !== 'replace') return null;
    const setting = { sigma2: config.noise, dim: config.dim, samples: config.samples, noise0: config.noise0 ?? config.noise, samples0: config.samples0 ?? config.samples };
    return randomDesignReplaceError(setting, config.iterations);
  }
  return expectedTestError(run.strategy, { sigma2: config.noise, dim: config.dim, samples: config.samples }, config.iterations);
}

function noTheoryReason(run: LinearRun): string {
  if ((run.ridge ?? 0) > 0) {
    return run.ridgePolynomials
      ? 'none unconditionally for ridge (it averages over the eigenvalues of XᵀX; Dohmatob et al. 2024 give random-matrix limits); Monte Carlo, with z|X against the exact error given X and w* (proofs P11)'
      : 'none: no exact finite-sample closed form for ridge is implemented here (Dohmatob et al. 2024 give random-matrix limits); Monte Carlo only';
  }
  if (run.samples < run.dim + 2) {
    return `none: with T = ${run.samples} < d + 2 = ${run.dim + 2} the fits are minimum-norm (T ≤ d) or E tr((XᵀX)⁻¹) is infinite; Monte Carlo only`;
  }
  if (!hasTheory(run.strategy)) return 'none: no closed form is known for subsampled fits (Monte Carlo only)';
  return `none: under random design only replace has a closed form; ${run.strategy.name} pools different designs and differs from the fixed-design formula (Monte Carlo only)`;
}

/** What verify's finite-sample bands need (see LinearReport.bandInputs), or null where no band is proven. */
function bandInputs(config: LinearConfig, moments: MonteCarloMoments, exact: boolean): LinearReport['bandInputs'] {
  const residual = moments.conditionalResidual;
  if (!residual || infiniteVarianceReason(config) !== null || config.design === 'random') return null;
  const residualSums = residual.map((m) => m.sum);
  if (exact && moments.gramInverseSquares) {
    return { trials: config.trials, residualSums, gramInverseSquares: { sum: moments.gramInverseSquares.sum, max: moments.gramInverseSquares.max } };
  }
  if (moments.ridgeSpread) {
    const { chi4, gauss } = moments.ridgeSpread;
    return { trials: config.trials, residualSums, ridgeSpread: chi4.map((c, n) => ({ chi4Sum: c.sum, chi4Max: c.max, gaussSum: gauss[n].sum })) };
  }
  return null;
}

/** What the recorded per-trial trace is, with its closed form where one holds (see LinearReport.traceGramInverse). */
function traceReport(config: LinearConfig, trace: Moments): LinearReport['traceGramInverse'] {
  const d = config.dim;
  const T = firstSamples(config);
  const lambda = config.ridge ?? 0;
  if (lambda > 0) return { quantity: `tr((XᵀX + λI)⁻¹), λ = ${lambda}`, mean: trace.mean, stderr: trace.stderr, theory: null };
  if (T < d + 2) return null; // T ≤ d: XᵀX is singular; T = d + 1: E tr((XᵀX)⁻¹) = ∞ (P4)
  const spectral = (config.spectrum ?? 'isotropic') !== 'isotropic' && config.design !== 'random';
  return {
    quantity: spectral ? 'tr(Σ(XᵀX)⁻¹)' : 'tr((XᵀX)⁻¹)',
    mean: trace.mean,
    stderr: T > d + 3 ? trace.stderr : null,
    theory: d / (T - d - 1),
  };
}

/** Run one configuration. Pass a backend to reuse it across runs (verify, bench); otherwise one is selected and released. */
export async function runLinear(
  config: LinearConfig,
  options: { backend?: Backend; onProgress?: Progress; control?: SimulationControl } = {},
): Promise<LinearReport> {
  const run = toRun(config);
  const backend = options.backend ?? (await selectBackend(config.backend));
  try {
    const started = performance.now();
    const moments = await simulateLinear(run, backend, options.onProgress, options.control);
    const seconds = (performance.now() - started) / 1000;
    const theory = linearTheory(config, run);
    const exact = theory !== null;
    return {
      config,
      backend: backend.name,
      backendReason: backend.reason,
      kernels: moments.kernelClasses,
      seconds,
      trialIterationsPerSecond: (config.trials * config.iterations) / seconds,
      theoryFormula: exact ? (run.design === 'random' ? 'σ0²·d/(T0−d−1) + (n−1)·σ²·d/(T−d−1)' : fixedDesignFormula(run)) : noTheoryReason(run),
      hasTheory: exact,
      accumulateBound: theory && run.strategy.name === 'accumulate' ? ACCUMULATE_BOUND * theory[0] : null,
      traceGramInverse: traceReport(config, moments.traceGramInverse),
      noIntervalReason: infiniteVarianceReason(config),
      bandInputs: bandInputs(config, moments, exact),
      iterations: buildRows(moments.error, theory, moments.conditionalResidual, infiniteVarianceReason(config) === null),
    };
  } finally {
    if (!options.backend) await backend.destroy();
  }
}
