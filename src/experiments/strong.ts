/**
 * `collapse strong`: strong model collapse (Dohmatob et al., ICLR 2025, arXiv:2410.04840) in fixed-design least
 * squares, Monte Carlo beside the exact theory of src/theory/strong-collapse.ts (proofs/strong-collapse.md).
 *
 * Host float64, row by row: per trial a design X (n×d, rows N(0, I)), a truth w* and a shift Δ (uniform direction,
 * norm --shift); the first n₂ = round(p₂n) rows carry teacher labels X₂(w* + Δ) + ε, the rest Xw* + ε. Two tables:
 * the scaling table (one fit per n in --sizes: the floor) and the chain (--iterations models at n = --samples under
 * --strategy, later data sets labelled by earlier models, --chain mixed or pure). Each row: the error ‖ŵ − w*‖², the
 * exact expectation over the design where it closes (S2; generation 1), and the exact expectation given the design
 * (S1, S4) with the residual error − E[error | X] that verify judges by a finite-sample band.
 */
import { UsageError } from '../core/errors.js';
import { foldIn, KeyedGenerator, rootKey } from '../core/rng.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import { Moments, plausibleMoments, plausibleNumber, Z95 } from '../core/stats.js';
import { choleskyInPlace, choleskySolve, gram } from '../core/linalg.js';
import { HOST_BACKEND, type TrialOptions, type TrialsCheckpoint } from '../loop/generation-loop.js';
import { numericPlan } from '../strategies/plan.js';
import { parseStrategy, STRATEGY_FORMS } from '../strategies/index.js';
import { FLOAT } from '../theory/categorical.js';
import {
  evaluatePolynomial, strongChainApproximation, strongChainExpectation, strongChainConditional, strongChainPolynomials, strongCollapseAsymptotic,
  strongCollapseError, teacherRows, type StrongChain, type StrongChainPolynomials,
} from '../theory/strong-collapse.js';
import type { IterationRow } from '../verify/report.js';
import type { HostRunHeader } from './gaussian.js';

/** The options of `collapse strong`: one declaration for the flags, --help, validation and {@link StrongConfig}. */
export const STRONG_OPTIONS = [
  { flag: 'teacher-share', kind: 'number', default: 0.2, above: 0, inclusive: true, max: 1, description: 'p₂, the share of rows labelled by the shifted teacher w* + Δ' },
  { flag: 'shift', kind: 'number', default: 1, above: 0, inclusive: true, max: 1e6, description: '‖Δ‖, the teacher\'s shift' },
  { flag: 'dim', kind: 'int', default: 5, min: 1, max: 64, description: 'd, features' },
  { flag: 'noise', kind: 'number', default: 1, above: 0, inclusive: true, max: 1e6, description: 'σ², the label noise' },
  { flag: 'sizes', kind: 'string', default: '20,50,100,200,500,1000,2000', meta: 'n,n,…', description: 'the n of the scaling table (one fit each)' },
  { flag: 'samples', kind: 'int', default: 100, min: 3, max: 1_000_000, description: 'n, rows of the chain\'s design' },
  { flag: 'strategy', kind: 'string', default: 'accumulate', meta: 'strategy', description: `the chain's pools: ${STRATEGY_FORMS.filter((s) => s !== 'accumulate-subsample').join(', ')}` },
  { flag: 'chain', kind: 'enum', default: 'mixed', choices: ['mixed', 'pure'], description: 'later data sets: model labels on the teacher rows only (mixed) or on all rows (pure)' },
  { flag: 'iterations', kind: 'int', default: 10, min: 1, max: 200, description: 'models in the chain' },
  { flag: 'trials', kind: 'int', default: 1000, min: 2, max: 10_000_000, description: 'Monte Carlo trials (designs)' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse strong` configuration, field for flag (keys are the flag names, e.g. 'teacher-share': --config,
 * --resume), derived from {@link STRONG_OPTIONS}, but `sizes` (the n of the scaling table) is the parsed list of
 * --sizes. `noise` is σ², the label noise of every row; `shift` ‖Δ‖, the teacher's shift; 'teacher-share' p₂, the
 * share of rows labelled by the teacher (n₂ = round(p₂n)); `samples` the n of the chain.
 * {@link validateStrongConfig} fills the defaults.
 */
export type StrongConfig = Omit<ConfigOf<typeof STRONG_OPTIONS>, 'sizes'> & { sizes: number[] };

/** Rows × d numbers drawn per trial, at most: keeps one trial under a second. */
export const STRONG_WORK_LIMIT = 20_000_000;

/** --sizes: a comma-separated list (or an array, from --config or a manifest) of integers in [d + 2, 10⁶]. */
export function parseSizes(raw: unknown, dim: number): number[] {
  const text = Array.isArray(raw) ? raw.join(',') : typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  const sizes = text.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : NaN));
  if (sizes.length === 0 || sizes.length > 30 || sizes.some((n) => !Number.isSafeInteger(n) || n < dim + 2 || n > 1_000_000)) {
    throw new UsageError(`--sizes must be 1 to 30 comma-separated integers in [dim + 2 = ${dim + 2}, 1000000]; got ${JSON.stringify(text.slice(0, 80))}`);
  }
  return sizes;
}

/** Apply defaults and check every field and the cross-field rules; throws a one-line UsageError. */
export function validateStrongConfig(raw: Record<string, unknown>): StrongConfig {
  const value = (flag: string) => {
    const spec = STRONG_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    return raw[flag] === undefined || raw[flag] === null ? (spec as { default?: unknown }).default : parseOption(spec, raw[flag]);
  };
  const dim = value('dim') as number;
  const parsedSizes = parseSizes(raw.sizes ?? (STRONG_OPTIONS.find((o) => o.flag === 'sizes') as { default: string }).default, dim);
  const strategy = parseStrategy(value('strategy'));
  if (strategy.fit === 'subsample') throw new UsageError(`--strategy ${strategy.name}: a subsampled pool has no exact theory; use a weighted strategy`);
  const config: StrongConfig = {
    strategy: strategy.name,
    chain: value('chain') as StrongChain,
    dim,
    noise: value('noise') as number,
    shift: value('shift') as number,
    'teacher-share': value('teacher-share') as number,
    samples: value('samples') as number,
    sizes: parsedSizes,
    iterations: value('iterations') as number,
    trials: value('trials') as number,
    seed: value('seed') as number,
  };
  if (config.samples < dim + 2) throw new UsageError(`--samples must be ≥ dim + 2 (= ${dim + 2}) so that E tr((XᵀX)⁻¹) is finite; got ${config.samples}`);
  const sets = numericPlan(strategy, config.iterations).sources.length;
  const work = (parsedSizes.reduce((a, b) => a + b, 0) + config.samples * sets) * dim;
  if (work > STRONG_WORK_LIMIT) throw new UsageError(`(Σ --sizes + --samples × ${sets} data sets) × --dim = ${work} numbers per trial exceed ${STRONG_WORK_LIMIT}; lower them`);
  return config;
}

/** A scaling-table row: one fit on n rows, n₂ of them from the teacher. */
export interface StrongScalingRow extends IterationRow {
  samples: number;
  teacherRows: number;
  /** the realised share n₂/n */
  share: number;
  /** exact over the design (S2): σ²d/(n − d − 1) and ‖Δ‖²·strongBiasFactor */
  varianceTheory: number;
  biasTheory: number;
  /** the Monte Carlo mean of the exact bias given the design, ‖A⁻¹A₂Δ‖² */
  bias: number;
  /** σ²d/(n − d − 1) + p₂²‖Δ‖²: an approximation (S3), not theory */
  asymptotic: number;
  /** p₂²‖Δ‖²: the bias's limit as n → ∞ (S3) */
  floor: number;
}

/** A chain row: model n at the chain's n rows. */
export interface StrongChainRow extends IterationRow {
  /** the Monte Carlo mean of E[error | X] (S4, exact given the design) */
  theoryConditional: number;
  /** the Monte Carlo means of the bias ‖c_n(M)Δ‖² and the variance given the design */
  bias: number;
  variance: number;
  /** c_n(p₂): the shift's factor at M ≈ p₂I */
  shiftFactor: number;
  /** c_n(p₂)²‖Δ‖² + σ²d/(n − d − 1)·q_n(p₂): an approximation (S5), not theory */
  approximation: number;
}

/** The inputs of verify's finite-sample band per row (scaling rows, then chain rows). */
export interface StrongBandInputs {
  trials: number;
  residualSums: number[];
  chi4Sums: number[];
  chi4Max: number[];
  gaussSums: number[];
}

/** What `collapse strong` prints. */
export interface StrongReport extends HostRunHeader<StrongConfig> {
  scaling: StrongScalingRow[];
  iterations: StrongChainRow[];
  bandInputs: StrongBandInputs;
}

/** A resumable point: {@link TrialsCheckpoint} plus the per-row maxima of √tr S² (verify's band needs them). */
export interface StrongCheckpoint extends TrialsCheckpoint {
  maxima: number[];
}

const METRICS = ['error', 'residual', 'conditional', 'bias', 'variance', 'chi4', 'gauss'] as const;
const rowCount = (config: StrongConfig) => config.sizes.length + config.iterations;

/** A stored checkpoint that fits the configuration (every series one entry per row, counts = trials done), or a UsageError. */
export function strongState(state: unknown, config: StrongConfig, dir: string): StrongCheckpoint {
  const s = state as Partial<StrongCheckpoint> | null;
  const done = s?.trialsDone;
  const rows = rowCount(config);
  const fits =
    typeof done === 'number' && Number.isSafeInteger(done) && done >= 1 && done < config.trials &&
    s?.moments !== undefined && METRICS.every((m) => Array.isArray(s.moments?.[m]) && s.moments[m].length === rows &&
      s.moments[m].every((x) => plausibleMoments(x, done, m !== 'residual'))) &&
    Array.isArray(s.maxima) && s.maxima.length === rows && s.maxima.every((x) => plausibleNumber(x) && x >= 0);
  if (!fits) throw new UsageError(`--resume ${dir}: its checkpoint.json does not fit the run in its manifest.json; nothing was changed`);
  return { trialsDone: done as number, moments: s!.moments!, values: {}, maxima: s!.maxima! };
}

/**
 * One design and its chain, simulated row by row: returns ‖ŵ_n − w*‖² for n = 1 … N and the design's Grams and shift
 * (for the theory given the design). `plan` gives every data set's source and model n's pool weights.
 */
export function simulateChain(
  generator: KeyedGenerator, setting: { samples: number; teacher: number; dim: number; sigma: number; shift: number; chain: StrongChain },
  plan: { sources: readonly number[]; added: readonly (readonly number[])[]; weights: readonly number[][] },
): { errors: number[]; gram: Float64Array; teacherGram: Float64Array; delta: Float64Array } {
  const { samples: n, teacher: n2, dim: d, sigma, chain } = setting;
  const X = new Float64Array(n * d);
  for (let i = 0; i < X.length; i++) X[i] = generator.normal();
  const wStar = Float64Array.from({ length: d }, () => generator.normal());
  const delta = Float64Array.from({ length: d }, () => generator.normal());
  const norm = Math.hypot(...delta);
  for (let k = 0; k < d; k++) delta[k] *= setting.shift / norm;
  const A = new Float64Array(d * d);
  const A2 = new Float64Array(d * d);
  gram(X, n, d, A);
  gram(X.subarray(0, n2 * d), n2, d, A2);
  const L = new Float64Array(A);
  if (!choleskyInPlace(L, d)) throw new UsageError('a design XᵀX is singular: use more samples than features');
  const teacherW = wStar.map((w, k) => w + delta[k]);
  const models: Float64Array[] = [teacherW];
  const moments: Float64Array[] = []; // Xᵀy of every data set
  const errors: number[] = [];
  plan.added.forEach((sets, index) => {
    for (const s of sets) {
      const source = plan.sources[s - 1];
      const r = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const row = X.subarray(i * d, i * d + d);
        // the teacher rows follow the source (teacher or a model); real rows stay real unless the chain is pure
        const w = i < n2 ? models[source] : source > 0 && chain === 'pure' ? models[source] : wStar;
        let y = sigma * generator.normal();
        for (let k = 0; k < d; k++) y += row[k] * w[k];
        for (let k = 0; k < d; k++) r[k] += row[k] * y;
      }
      moments.push(r);
    }
    const a = plan.weights[index];
    const fit = new Float64Array(d);
    a.forEach((weight, g) => {
      for (let k = 0; k < d; k++) fit[k] += weight * moments[g][k];
    });
    choleskySolve(L, d, fit);
    models.push(fit);
    let error = 0;
    for (let k = 0; k < d; k++) error += (fit[k] - wStar[k]) ** 2;
    errors.push(error);
  });
  return { errors, gram: A, teacherGram: A2, delta };
}

/** Run both tables: `trials` designs each, trial t of table τ (size i) keyed by (seed, τ, i, t). */
export async function runStrong(config: StrongConfig, options: Omit<TrialOptions, 'keep'> = {}): Promise<StrongReport> {
  const started = performance.now();
  const strategy = parseStrategy(config.strategy);
  const chainPlan = numericPlan(strategy, config.iterations);
  const single = { sources: [0], added: [[1]], weights: [[1]] };
  const chainPolys = strongChainPolynomials(strategy, config.iterations, config.chain, FLOAT);
  const singlePolys: StrongChainPolynomials<number> = { shift: [[0, 1]], noise: [[1]], coefficients: [[[1]]] };
  const rows = rowCount(config);
  const resume = options.resume as StrongCheckpoint | undefined;
  const moments = Object.fromEntries(
    METRICS.map((m) => [m, Array.from({ length: rows }, (_, r) => (resume ? Object.assign(new Moments(), resume.moments[m][r]) : new Moments()))]),
  ) as Record<(typeof METRICS)[number], Moments[]>;
  const maxima = resume ? [...resume.maxima] : new Array<number>(rows).fill(0);
  const sigma = Math.sqrt(config.noise);
  const root = rootKey(config.seed);
  const record = (row: number, error: number, c: { bias: number; variance: number; chi4: number; gauss: number }) => {
    const conditional = c.bias + c.variance;
    moments.error[row].add(error);
    moments.residual[row].add(error - conditional);
    moments.conditional[row].add(conditional);
    moments.bias[row].add(c.bias);
    moments.variance[row].add(c.variance);
    moments.chi4[row].add(c.chi4);
    moments.gauss[row].add(c.gauss);
    maxima[row] = Math.max(maxima[row], Math.sqrt(c.chi4));
  };
  const snapshot = (done: number): StrongCheckpoint => ({
    trialsDone: done,
    moments: Object.fromEntries(METRICS.map((m) => [m, moments[m].map((x) => ({ n: x.n, sum: x.sum, sumSq: x.sumSq }))])),
    values: {},
    maxima: [...maxima],
  });
  let lastYield = performance.now();
  for (let t = resume?.trialsDone ?? 0; t < config.trials; t++) {
    if (performance.now() - lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve)); // let signal handlers and timers run
      lastYield = performance.now();
    }
    options.signal?.throwIfAborted();
    config.sizes.forEach((n, i) => {
      const generator = new KeyedGenerator(foldIn(foldIn(foldIn(root, 1), i), t));
      const setting = { samples: n, teacher: teacherRows(n, config['teacher-share']), dim: config.dim, sigma, shift: config.shift, chain: config.chain };
      const run = simulateChain(generator, setting, single);
      record(i, run.errors[0], strongChainConditional(singlePolys, run.gram, run.teacherGram, run.delta, config.noise, config.dim, FLOAT)[0]);
    });
    const generator = new KeyedGenerator(foldIn(foldIn(root, 2), t));
    const setting = { samples: config.samples, teacher: teacherRows(config.samples, config['teacher-share']), dim: config.dim, sigma, shift: config.shift, chain: config.chain };
    const run = simulateChain(generator, setting, chainPlan);
    const conditional = strongChainConditional(chainPolys, run.gram, run.teacherGram, run.delta, config.noise, config.dim, FLOAT);
    run.errors.forEach((error, n) => record(config.sizes.length + n, error, conditional[n]));
    if (!run.errors.every(Number.isFinite)) throw new UsageError(`trial ${t + 1}: a non-finite error; lower --shift or --noise`);
    options.onProgress?.((t + 1) * rows, config.trials * rows);
    await options.onTrial?.(t + 1, () => snapshot(t + 1));
  }
  const seconds = (performance.now() - started) / 1000;
  return buildReport(config, chainPolys, moments, maxima, seconds);
}

function buildReport(
  config: StrongConfig, polys: StrongChainPolynomials<number>, moments: Record<(typeof METRICS)[number], Moments[]>, maxima: number[], seconds: number,
): StrongReport {
  const shift2 = config.shift ** 2;
  // n ≤ d + 3: E tr((XᵀX)⁻¹)² = ∞, so the error's variance is infinite and a standard error estimates nothing
  const finiteVariance = (n: number) => n > config.dim + 3;
  const base = (row: number, theory: number | null, iteration: number, n: number): IterationRow => {
    const { mean, stderr } = moments.error[row];
    const residual = moments.residual[row];
    const intervals = finiteVariance(n);
    return {
      iteration, mean, stderr, ci95: intervals ? [mean - Z95 * stderr, mean + Z95 * stderr] : null, theory,
      z: theory === null || !intervals ? null : (mean - theory) / stderr,
      zConditional: residual.stderr > 0 ? residual.mean / residual.stderr : 0,
    };
  };
  const scaling = config.sizes.map((n, i): StrongScalingRow => {
    const teacher = teacherRows(n, config['teacher-share']);
    const exact = strongCollapseError({ sigma2: config.noise, dim: config.dim, samples: n, teacher, shift2 });
    const share = teacher / n;
    return {
      ...base(i, exact.total, i + 1, n), samples: n, teacherRows: teacher, share, varianceTheory: exact.variance, biasTheory: exact.bias,
      bias: moments.bias[i].mean, asymptotic: strongCollapseAsymptotic({ sigma2: config.noise, dim: config.dim, samples: n, share, shift2 }), floor: share * share * shift2,
    };
  });
  const n = config.samples;
  const teacher = teacherRows(n, config['teacher-share']);
  const approximation = strongChainApproximation(polys, { sigma2: config.noise, dim: config.dim, samples: n, share: teacher / n, shift2 }, FLOAT);
  const exact = strongChainExpectation(polys, { sigma2: config.noise, dim: config.dim, samples: n, teacher, shift2 });
  const iterations = polys.shift.map((c, k): StrongChainRow => {
    const row = config.sizes.length + k;
    return {
      ...base(row, exact[k], k + 1, n),
      theoryConditional: moments.conditional[row].mean, bias: moments.bias[row].mean, variance: moments.variance[row].mean,
      shiftFactor: evaluatePolynomial(c, teacher / n, FLOAT), approximation: approximation[k],
    };
  });
  const all = [...moments.residual.keys()];
  return {
    config,
    backend: 'host',
    backendReason: `${HOST_BACKEND.backendReason}; float64 least squares row by row`,
    seconds,
    trialIterationsPerSecond: (config.trials * all.length) / seconds,
    theoryFormula: 'E‖ŵ − w*‖² = σ²d/(n−d−1) + ‖Δ‖²[n₂(n₂+2)/(n(n+2)) + n₁n₂(n+1)(d−1)/((n−1)n(n+2)(n−d−1))] (exact, Gaussian design, one fit); the chain exact given X (z|X)',
    hasTheory: true,
    scaling,
    iterations,
    bandInputs: {
      trials: config.trials,
      residualSums: all.map((r) => moments.residual[r].sum),
      chi4Sums: all.map((r) => moments.chi4[r].sum),
      chi4Max: [...maxima],
      gaussSums: all.map((r) => moments.gauss[r].sum),
    },
  };
}
