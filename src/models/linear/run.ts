/** `collapse linear`: options, validation, and one Monte Carlo run against its closed form. */
import { UsageError } from '../../core/errors.js';
import { parseOption, type OptionSpec } from '../../core/schema.js';
import { BACKENDS, selectBackend, type Backend, type BackendRequest } from '../../kernels/backend.js';
import { parseStrategy, STRATEGY_FORMS, type PoolStrategy } from '../../strategies/index.js';
import { ACCUMULATE_BOUND } from '../../theory/harmonic.js';
import { expectedTestError } from '../../theory/linear-fixed-design.js';
import { randomDesignReplaceError } from '../../theory/linear-random-design.js';
import { noiseFactorsArithmetic, noiseFactorsNumeric } from '../../theory/pool-weights.js';
import { ridgePolynomials } from '../../theory/ridge.js';
import { buildRows, type IterationRow } from '../../verify/report.js';
import { chunkBytes, METHODS, simulateLinear, type LinearRun, type Method, type Progress, type SimulationControl } from './monte-carlo.js';

/** One `collapse linear` configuration, field for flag (see docs/cli.md); {@link validateLinearConfig} fills the defaults and checks it. */
export interface LinearConfig {
  strategy: string;
  dim: number;
  samples: number;
  noise: number;
  iterations: number;
  trials: number;
  seed: number;
  method: Method;
  backend: BackendRequest;
  /** input covariance: 'isotropic' (default) or 'power:<α>' (λ_i ∝ i^−α, trace d) */
  spectrum?: string;
  /** ridge penalty λ ≥ 0 (default 0: least squares) */
  ridge?: number;
  /** 'fixed' (default): one X reused by every generation; 'random': a new X per data set */
  design?: 'fixed' | 'random';
  /** random design: size T0 and noise σ0² of the real data (default: --samples, --noise) */
  samples0?: number;
  noise0?: number;
  /** trials per kernel batch (default: as many as fit, at most 4096); the results do not depend on it */
  batch?: number;
}

export const LINEAR_OPTIONS: readonly OptionSpec[] = [
  { flag: 'strategy', kind: 'string', default: 'accumulate', meta: 'strategy', description: `how generation n's training pool is formed: ${STRATEGY_FORMS.join(', ')}` },
  { flag: 'dim', kind: 'int', default: 10, min: 1, max: 1024, description: 'd, features' },
  { flag: 'samples', kind: 'int', default: 100, min: 3, max: 1_000_000, description: 'T, samples per generation (≥ dim + 2)' },
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
];

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
  const bytes = chunkBytes(toRun(config));
  if (!(bytes <= MEMORY_LIMIT_BYTES)) {
    const shown = Number.isFinite(bytes) ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : 'more than one kernel buffer holds';
    throw new UsageError(`one trial of --samples ${config.samples} × --dim ${config.dim} needs ${shown}; lower --samples or --dim, or use --method reduced`);
  }
  return config;
}

/** T ≥ d + 2: every fit is determined and E tr((XᵀX)⁻¹) = d/(T − d − 1) is finite. */
function determined(config: LinearConfig): boolean {
  return config.samples >= config.dim + 2;
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
  /** Monte Carlo mean of tr((XᵀX)⁻¹) against its expectation d/(T − d − 1) */
  traceGramInverse: { mean: number; stderr: number; theory: number | null };
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
      traceGramInverse: {
        mean: moments.traceGramInverse.mean,
        stderr: moments.traceGramInverse.stderr,
        theory: determined(config) ? config.dim / (config.samples - config.dim - 1) : null,
      },
      iterations: buildRows(moments.error, theory, moments.conditionalResidual),
    };
  } finally {
    if (!options.backend) await backend.destroy();
  }
}
