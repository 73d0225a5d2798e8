/**
 * The collapse profile (Schaeffer et al. 2025's eight definitions, src/models/collapse-profile.ts) of the linear and
 * the neural families. Linear verdicts come from the exact fixed-design theory only (proofs/linear-fixed-design.md
 * P1–P3, proofs/strategy-limits.md L1–L3, proofs/linear-variants.md P8); neural verdicts, which have no theory, from
 * a stated 95% interval over the run's seeds (basis 'measurement', an approximation the entry says it is).
 */
import { fraction } from '../core/fraction.js';
import { parseStrategy } from '../strategies/index.js';
import { noiseFactors, noiseFactorsArithmetic, noiseFactorsNumeric } from '../theory/pool-weights.js';
import { strategyLimit } from '../theory/strategy-limits.js';
import { notMeasurable, undecided, type CollapseProfile, type ProfileEntry } from '../models/collapse-profile.js';
import type { LinearConfig } from './linear.js';
import { summarise } from '../core/stats.js';

/** The configurations whose risk has the exact fixed-design form F_n·σ²·d/(T − d − 1) (P1, P4). */
const fixedDesignExact = (c: LinearConfig) => (c.design ?? 'fixed') === 'fixed' && !(c.ridge ?? 0) && c.samples >= c.dim + 2 && parseStrategy(c.strategy).fit !== 'subsample';

/**
 * Whether F_N > F_1 = 1, decided exactly, from the factors the run itself uses (noiseFactorsNumeric, cached per
 * strategy: no second computation): exact rationals rounded once keep their order against 1 (rounding is monotone
 * and 1 is a float), and where they were equal to the float 1 the rationals decide; certified intervals decide when
 * they exclude 1. Null where an interval holds 1.
 */
function factorGrows(strategyName: string, N: number): { holds: boolean; factor: number } | null {
  const strategy = parseStrategy(strategyName);
  const factor = noiseFactorsNumeric(strategy, N)[N - 1];
  const arithmetic = noiseFactorsArithmetic(strategy, N);
  if (arithmetic.method === 'exact') {
    if (factor !== 1) return { holds: factor > 1, factor };
    return { holds: noiseFactors(strategy, N)[N - 1].compare(fraction(1)) > 0, factor };
  }
  const spread = 2 * arithmetic.relativeError * factor;
  return factor - spread > 1 ? { holds: true, factor } : factor + spread < 1 ? { holds: false, factor } : null;
}

/**
 * The collapse profile of a `collapse linear` configuration. The population risk is the test error
 * E‖ŵ_n − w*‖² (what iterations[].mean estimates). Fixed design, least squares, T ≥ d + 2 and whole-pool fits:
 * risk_n = F_n·σ²·d/(T − d − 1) exactly (P1, P4), so anyRiskIncrease is F_N > F_1 = 1, divergingRisk is whether
 * F_n has a finite limit (L1–L3: replace and window:k diverge, accumulate, fresh:p, augment:r are bounded), and the
 * scaling law in T keeps its form d/(T − d − 1) at every n (F_n does not depend on T). Random-design replace adds
 * (n − 1)·σ²·d/(T − d − 1) per step (P8). The generator's label noise σ² is fixed by the setup (never refitted), so
 * no variance collapses; y | x is Gaussian: one mode, full support, no tail lost and nothing impossible sampled.
 * @source Schaeffer, Kazdan, Arulandu & Koyejo 2025, arXiv:2503.03150 (the eight definitions); Gerstgrasser et al. 2024, arXiv:2404.01413 (the error recursion)
 * @proof proofs/linear-fixed-design.md#P1
 */
export function linearProfile(config: LinearConfig): CollapseProfile {
  const N = config.iterations;
  const strategy = parseStrategy(config.strategy);
  const exact = fixedDesignExact(config);
  const randomReplace = config.design === 'random' && strategy.name === 'replace' && !(config.ridge ?? 0);
  const why = !exact && !randomReplace ? noTheory(config) : '';
  let anyRisk: ProfileEntry;
  if (exact) {
    const grows = N >= 2 ? factorGrows(strategy.name, N) : null;
    anyRisk = grows
      ? { measurable: true, holds: grows.holds, basis: 'theory', why: `exact risk ratio risk_N/risk_1 = F_${N} ${grows.holds ? '>' : '≤'} 1 (F_${N} ≈ ${grows.factor.toPrecision(6)}; P1)` }
      : undecided(N < 2 ? 'one model: nothing to compare (run --iterations ≥ 2)' : `F_${N} is within its certified interval's width of 1`);
  } else if (randomReplace) {
    anyRisk = N >= 2
      ? { measurable: true, holds: true, basis: 'theory', why: 'random-design replace: risk_n = σ0²d/(T0−d−1) + (n−1)σ²d/(T−d−1) grows with n (P8)' }
      : undecided('one model: nothing to compare (run --iterations ≥ 2)');
  } else anyRisk = undecided(`${why} (Monte Carlo under iterations[].mean)`);
  let diverging: ProfileEntry;
  if (exact) {
    const limit = strategyLimit(strategy);
    diverging = limit.value !== null
      ? { measurable: true, holds: false, basis: 'theory', why: `bounded: F_n → ${limit.exact ?? limit.value.toPrecision(6)}, so risk_n → F_∞·σ²d/(T−d−1) (${limit.why})` }
      : limit.why.startsWith('diverges')
        ? { measurable: true, holds: true, basis: 'theory', why: `risk_n = F_n·σ²d/(T−d−1) with F_n → ∞: ${limit.why}` }
        : undecided(limit.why);
  } else if (randomReplace) {
    diverging = { measurable: true, holds: true, basis: 'theory', why: 'random-design replace: risk_n grows by σ²d/(T−d−1) per model, without bound (P8)' };
  } else diverging = undecided(why);
  return {
    catastrophicRiskIncrease: notMeasurable('needs a level of risk that makes a model useless; the study must set it (the risk is iterations[].mean)'),
    anyRiskIncrease: anyRisk,
    divergingRisk: diverging,
    scalingLawChange: exact
      ? { measurable: true, holds: false, basis: 'theory', why: 'risk_n = F_n·σ²d/(T−d−1) with F_n independent of T: every model keeps the real data\'s law in T, only the constant F_n changes (P1, P4)' }
      : undecided(randomReplace ? 'random design: the law depends on which size grows, the real T0 or the synthetic T (P8)' : why),
    collapsingVariance: { measurable: true, holds: false, basis: 'theory', why: 'every generator labels with the fixed noise σ² (not refitted): its spread never shrinks; the fitted coefficients spread more (E‖ŵ_n‖² = ‖w*‖² + risk_n)' },
    modeEntanglement: notMeasurable('y | x is Gaussian for every model: one mode'),
    tailDisappearance: notMeasurable('every model\'s label noise is N(0, σ²): full support and the real tails, so no tail region can be lost'),
    hallucinatedData: notMeasurable('every model has full support, as the real data: no sample is impossible under the real distribution'),
  };
}

function noTheory(c: LinearConfig): string {
  if (c.ridge) return 'ridge: no unconditional closed form (the exact error given X is checked as z|X, P11)';
  if (c.samples < c.dim + 2) return `T = ${c.samples} < d + 2: no finite closed form`;
  if (parseStrategy(c.strategy).fit === 'subsample') return 'subsampled fits: no closed form';
  return 'random design: only replace has a closed form (P8)';
}

/** What {@link neuralProfile} reads of a neural report (a NeuralPartReport of `collapse neural --json`). */
export interface NeuralCurve {
  /** the family: lm, vae, diffusion (or toy) */
  model: string;
  /** per generation the test loss on held-out real data (its mean over the seeds), and the other metrics (means) */
  iterations: readonly { mean: number; metrics?: Readonly<Record<string, number>> }[];
  /** with --seeds K > 1: every trajectory's losses (and the lm's rareMass), in generation order */
  trajectories?: readonly { loss: readonly number[]; rareMass?: readonly number[] }[];
}

/**
 * Whether a per-generation series moves from n = 1 to n = N, from K paired series (one per seed): the differences
 * x_N − x_1 give a 95% Student-t interval (approximate for K small: normal per-seed values assumed). `up` says
 * whether the definition holds when the interval lies above 0 (loss) or below 0 (rare mass lost).
 */
function pairedChange(series: readonly (readonly number[])[], N: number, what: string, up: boolean): ProfileEntry {
  if (N < 2) return undecided('one generation: nothing to compare (run --iterations ≥ 2)');
  if (series.length < 2) return undecided(`one trajectory: ${what} ${series[0][0].toPrecision(4)} at n = 1, ${series[0][N - 1].toPrecision(4)} at n = ${N}, no interval (run --seeds K ≥ 2)`);
  const diff = summarise(series.map((x) => x[N - 1] - x[0]));
  const [lo, hi] = diff.ci95 as [number, number];
  const interval = `${what} at n = ${N} minus n = 1, paired over ${series.length} seeds: ${diff.mean.toPrecision(4)}, 95% t-interval [${lo.toPrecision(4)}, ${hi.toPrecision(4)}] (approximate: normal per-seed values assumed)`;
  return lo > 0 || hi < 0 ? { measurable: true, holds: up ? lo > 0 : hi < 0, basis: 'measurement', why: interval } : undecided(`${interval} holds 0`);
}

/**
 * The collapse profile of one neural curve (a family under one strategy, K seeds). No theory exists, so every
 * verdict is a paired 95% Student-t interval of x_N − x_1 over the K trajectories (an approximation for K small,
 * src/experiments/neural-seeds.ts): anyRiskIncrease from the test loss on held-out real data (holds when the
 * interval lies above 0), and for the lm tailDisappearance from metrics.rareMass, the share of a generation's
 * synthetic character bigrams in the real text's rare set (src/models/neural/lm/tails.ts; holds when the interval
 * lies below 0, fails above). Undecided when the interval holds 0 or K = 1. The families record no spread or mode
 * occupancy of their samples, so those definitions are not measured.
 */
export function neuralProfile(report: NeuralCurve): CollapseProfile {
  const N = report.iterations.length;
  const losses = report.trajectories?.map((t) => t.loss) ?? [report.iterations.map((row) => row.mean)];
  const rare = report.trajectories
    ? report.trajectories.every((t) => t.rareMass) ? report.trajectories.map((t) => t.rareMass as readonly number[]) : undefined
    : report.iterations.every((row) => row.metrics?.rareMass !== undefined) ? [report.iterations.map((row) => row.metrics?.rareMass as number)] : undefined;
  const tail = rare
    ? pairedChange(rare, N, 'metrics.rareMass (synthetic bigrams in the real rarest 10%)', false)
    : notMeasurable(report.model === 'lm' ? 'this corpus gives no rare set (no finite training text, or its rarest bigram already holds over 10% of it)' : `the ${report.model} family records no tail statistic of its samples`);
  return {
    catastrophicRiskIncrease: notMeasurable('needs a level of loss that makes a model useless; the study must set it (the family\'s baselines are under baselines)'),
    anyRiskIncrease: pairedChange(losses, N, 'test loss', true),
    divergingRisk: notMeasurable('a finite run of trained networks cannot show a limit, and no theory gives one'),
    scalingLawChange: notMeasurable('needs runs over several data sizes (--samples)'),
    collapsingVariance: notMeasurable(`the ${report.model} family records no spread or diversity of its samples`),
    modeEntanglement: notMeasurable(report.model === 'diffusion' ? 'samples are not assigned to the conformer modes' : `the ${report.model} family tracks no modes`),
    tailDisappearance: tail,
    hallucinatedData:
      report.model === 'diffusion'
        ? undecided('metrics.bondLengthError measures implausible geometry (means over seeds only: no interval per seed is kept)')
        : notMeasurable(`the ${report.model} family has no test of whether a sample is impossible under the real data`),
  };
}
