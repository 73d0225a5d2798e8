/**
 * `collapse curate`: fixed-design linear regression with a verifier (Yi, Liu, Cheng & Xu 2025, arXiv:2510.16657)
 * through the generation loop under replace, host float64, against the exact theory of proofs/curation.md:
 *
 * - `--verifier project`: the verifier replaces a share λ of the synthetic fit's component in the span of the first
 *   k coordinates by its own w_v = w* + Δ (V5): the error per n exactly, its limit, and the knowledge centre
 *   c = Pw_v + (I − P)w*;
 * - `--verifier residual --curate threshold:−τ`: synthetic rows are kept iff |y − xᵀw_v| ≤ τ (V6): E ŵ_n → w_v, so
 *   the drift ⟨ŵ_n − w_v, Δ/‖Δ‖⟩ tends to 0 and the error to b² + E‖ŵ_∞ − w_v‖²; that last term only as a marked
 *   approximation (a linearisation).
 */
import { UsageError } from '../core/errors.js';
import { rootKey } from '../core/rng.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import type { Moments } from '../core/stats.js';
import { parseCurationRule } from '../loop/curation.js';
import { HOST_BACKEND, runTrials, type LoopConfig, type TrialOptions } from '../loop/generation-loop.js';
import { parseStrategy } from '../strategies/index.js';
import { FLOAT } from '../theory/categorical.js';
import { projectingError, projectingLimit, thresholdGapApproximation } from '../theory/curation.js';
import { buildRows } from '../verify/report.js';
import { metricRows, type GaussianIterationRow, type HostRunHeader } from './gaussian.js';
import { linearFamily } from '../models/linear/family.js';
import { LINEAR_VERIFIERS } from '../models/linear/verifier.js';

/** The options of `collapse curate`: one declaration for the flags, --help, validation and {@link CurateConfig}. */
export const CURATE_OPTIONS = [
  { flag: 'verifier', kind: 'enum', default: 'project', choices: LINEAR_VERIFIERS, description: 'project: replace a share λ of the fit in a subspace; residual: filter rows' },
  { flag: 'curate', kind: 'string', meta: 'rule', description: 'residual: threshold:−τ keeps rows with |y − xᵀw_v| ≤ τ (labels redrawn until they pass)' },
  { flag: 'strength', kind: 'number', default: 0.5, above: 0, max: 1, description: 'project: λ, the share of the subspace component replaced' },
  { flag: 'rank', kind: 'int', min: 1, max: 64, description: 'project: k, the verifier knows the first k coordinates (default d)' },
  { flag: 'bias', kind: 'number', default: 0.5, above: 0, inclusive: true, max: 1e6, description: 'b = ‖w_v − w*‖, the verifier\'s own error' },
  { flag: 'dim', kind: 'int', default: 5, min: 1, max: 64, description: 'd, dimension' },
  { flag: 'samples', kind: 'int', default: 50, min: 2, max: 100_000, description: 'T, rows of the fixed design (≥ d + 2)' },
  { flag: 'noise', kind: 'number', default: 1, above: 0, max: 1e6, description: 'σ², label noise' },
  { flag: 'iterations', kind: 'int', default: 20, min: 1, max: 1000, description: 'model-fitting iterations n' },
  { flag: 'trials', kind: 'int', default: 2000, min: 2, max: 10_000_000, description: 'Monte Carlo trials' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
] as const satisfies readonly OptionSpec[];

/**
 * One `collapse curate` configuration, field for flag, derived from {@link CURATE_OPTIONS}, but with the fields that
 * validation always sets: `curate` (residual only: the rule threshold:τ, τ ≤ 0 keeping rows with |residual| ≤ −τ;
 * null without --curate) and `rank` (project only: k, the verifier's subspace is the first k coordinates; default d).
 * `strength` is λ ∈ (0, 1] (project only); `bias` b = ‖w_v − w*‖.
 */
export type CurateConfig = Omit<ConfigOf<typeof CURATE_OPTIONS>, 'curate' | 'rank'> & { curate: string | null; rank: number };

/** Apply defaults and check every field and the cross-field rules; throws a one-line UsageError. */
export function validateCurateConfig(raw: Record<string, unknown>): CurateConfig {
  const value = (flag: string) => {
    const spec = CURATE_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    const given = raw[flag];
    return given === undefined || given === null ? (spec as { default?: unknown }).default : parseOption(spec, given);
  };
  const config = Object.fromEntries(CURATE_OPTIONS.map((o) => [o.flag, value(o.flag)])) as unknown as CurateConfig;
  config.rank ??= config.dim;
  config.curate ??= null;
  if (config.samples < config.dim + 2) throw new UsageError(`--samples must be ≥ dim + 2 (= ${config.dim + 2}) so that E tr(XᵀX)⁻¹ is finite; got ${config.samples}`);
  if (config.rank > config.dim) throw new UsageError(`--rank must be ≤ --dim (${config.dim}); got ${config.rank}`);
  if (config.verifier === 'residual') {
    const rule = config.curate === null ? null : parseCurationRule(config.curate);
    if (rule?.kind !== 'threshold' || !(rule.tau < 0)) {
      throw new UsageError(`--verifier residual needs --curate threshold:τ with τ < 0 (keep rows with |residual| ≤ −τ); got ${JSON.stringify(config.curate ?? null)}`);
    }
    config.curate = `threshold:${rule.tau}`;
    if (raw.strength !== undefined || raw.rank !== undefined) throw new UsageError('--strength and --rank apply to --verifier project');
  } else if (config.curate !== null) {
    throw new UsageError('--curate applies to --verifier residual (the projecting verifier corrects labels, it keeps them all)');
  }
  return config;
}

/** What `collapse curate` prints: per n the error ‖ŵ_n − w*‖² (iterations[].mean) and `metrics` (verifierGap, drift), each with its exact theory or null. */
export interface CurateReport extends HostRunHeader<CurateConfig> {
  /** the knowledge centre and the limits: exact, or an approximation that says so */
  limits: { name: string; value: number | null; formula: string; exact: boolean }[];
  iterations: GaussianIterationRow[];
}

/** Exact theory per metric and n (null where none): error, drift (project: every n; residual: n = 1). */
export function curateTheory(config: CurateConfig): Record<string, (number | null)[]> {
  const N = config.iterations;
  const { dim: d, rank: k, bias: b } = config;
  if (config.verifier === 'residual') {
    const first = (x: number) => Array.from({ length: N }, (_, n) => (n === 0 ? x : null));
    return { error: first((config.noise * d) / (config.samples - d - 1)), drift: first(-b), verifierGap: new Array(N).fill(null) };
  }
  const setting = { dim: d, samples: config.samples, sigma2: config.noise, bias2: b * b, strength: config.strength, rank: k };
  const error = projectingError(setting, N, FLOAT);
  // E⟨ŵ_n − w_v, Δ/‖Δ‖⟩ = −b[(d − k)/d + (1 − λ)^{n−1}k/d] and E‖ŵ_n − w_v‖² = b²[(d − k)/d + (1 − λ)^{2(n−1)}k/d]
  // plus the same noise term as the error (V5)
  const keep = (n: number) => (1 - config.strength) ** n; // (1 − λ)^{n−1} at index n
  const drift = error.map((_, n) => -b * ((d - k) / d + (keep(n) * k) / d));
  const verifierGap = error.map((e, n) => e - (1 - keep(n)) ** 2 * ((b * b * k) / d) + b * b * ((d - k) / d + (keep(n) ** 2 * k) / d));
  return { error, drift, verifierGap };
}

/** The long-run statements printed beside the table: exact (V5, V6) or a marked approximation. */
export function curateLimits(config: CurateConfig): CurateReport['limits'] {
  const { dim: d, rank: k, bias: b, samples: T, noise } = config;
  if (config.verifier === 'project') {
    const limit = projectingLimit({ dim: d, samples: T, sigma2: noise, bias2: b * b, strength: config.strength, rank: k }, FLOAT);
    return [
      { name: 'knowledgeCentre', value: null, formula: k === d ? 'E ŵ_n → w_v (the verifier\'s model)' : `E ŵ_n → P w_v + (I − P) w*, P onto the first ${k} coordinates`, exact: true },
      {
        name: 'errorLimit',
        value: limit,
        formula: limit === null ? `none: outside the verifier's subspace the error grows like n·σ²(d − k)/(T − d − 1)` : 'E‖ŵ_∞ − w*‖² = b² + σ²d/(T − d − 1)·r/(1 − r), r = (1 − λ)² (V5)',
        exact: true,
      },
    ];
  }
  const rule = parseCurationRule(config.curate);
  const tau = rule.kind === 'threshold' ? -rule.tau : NaN; // validated: threshold with τ < 0
  const gap = thresholdGapApproximation(d, T, noise, tau);
  return [
    { name: 'knowledgeCentre', value: null, formula: 'E ŵ_n → w_v: the drift ⟨ŵ_n − w_v, Δ/‖Δ‖⟩ → 0 (V6)', exact: true },
    { name: 'driftLimit', value: 0, formula: 'lim E⟨ŵ_n − w_v, Δ/‖Δ‖⟩ = 0 (V6)', exact: true },
    { name: 'verifierGapLimit', value: gap, formula: 'E‖ŵ_∞ − w_v‖² ≈ ρσ²d/((T − d − 1)(1 − ρ²)), ρ = ρ₁(τ²/2σ²) (linearised, V6)', exact: false },
    { name: 'errorLimit', value: b * b + gap, formula: 'E‖ŵ_∞ − w*‖² = b² + E‖ŵ_∞ − w_v‖² (exact), ≈ b² + the linearised gap', exact: false },
  ];
}

/** Progress, resume and stop hooks of {@link runCurate} (the generation loop's). */
export type CurateRunOptions = Omit<TrialOptions, 'keep'>;

/** The Monte Carlo of `collapse curate`: `trials` trajectories of the linear family with its verifier through the loop (replace), against {@link curateTheory}. */
export async function runCurate(config: CurateConfig, options: CurateRunOptions = {}): Promise<CurateReport> {
  const verifier = { bias: config.bias, project: config.verifier === 'project' ? { strength: config.strength, rank: config.rank } : undefined };
  const loop: LoopConfig = {
    strategy: parseStrategy('replace'),
    iterations: config.iterations,
    samples: config.samples,
    testSamples: 0,
    curation: config.verifier === 'residual' ? { rule: parseCurationRule(config.curate), verifier: 'residual' } : undefined,
  };
  const started = performance.now();
  const summary = await runTrials((_, key) => linearFamily({ dim: config.dim, samples: config.samples, noise: config.noise, verifier }, key), loop, config.trials, rootKey(config.seed), options);
  const seconds = (performance.now() - started) / 1000;
  const theory = curateTheory(config);
  const hasTheory = theory.error.every((t) => t !== null);
  const rows = buildRows(summary.moments.get('error') as Moments[], hasTheory ? (theory.error as number[]) : null, null);
  const main = metricRows(summary.moments.get('error') as Moments[], theory.error);
  const extra = Object.fromEntries(['verifierGap', 'drift'].map((name) => [name, metricRows(summary.moments.get(name) as Moments[], theory[name])]));
  return {
    config,
    ...HOST_BACKEND,
    seconds,
    trialIterationsPerSecond: (config.trials * config.iterations) / seconds,
    theoryFormula:
      config.verifier === 'project'
        ? 'E‖ŵ_n − w*‖² = (1 − (1−λ)^(n−1))²b²k/d + σ²/(T−d−1)·[n(d−k) + k(Σ_{j<n} r^j + r^(n−1))], r = (1−λ)² (proofs/curation.md#V5)'
        : 'exact at n = 1 only (σ²d/(T−d−1)); after it Monte Carlo, with the exact limits below (proofs/curation.md#V6)',
    hasTheory,
    limits: curateLimits(config),
    iterations: rows.map((row, n) => ({ ...row, theory: main[n].theory, z: main[n].z, metrics: { verifierGap: extra.verifierGap[n], drift: extra.drift[n] } })),
  };
}
