/**
 * `collapse gaussian --curate`: the exact theory of a curated Gaussian chain (proofs/curation.md V1–V3) in the shape
 * of {@link gaussianTheory}'s table. Model 1 is fit on real data, so its row is the uncurated theory; after it, replace
 * with a fitted Gaussian has the trace ratio and mean error exactly (V3), every other metric and strategy null.
 */
import { curationOf, topCandidates } from '../loop/curation.js';
import { parseStrategy } from '../strategies/index.js';
import { curatedGaussianReplace, curationFactor } from '../theory/curation.js';
import { GAUSSIAN_METRICS, gaussianTheory, type Estimator } from '../theory/gaussian.js';

/** The fields of a `collapse gaussian` configuration (GaussianConfig, ./gaussian.ts) the curated theory reads. */
export interface GaussianConfig {
  model: string;
  strategy: string;
  dim: number;
  samples: number;
  estimator: Estimator;
  variance: 'fitted' | 'known';
  iterations: number;
  curate?: string;
  verifier?: string;
}
import { undecided, type CollapseProfile, type ProfileEntry } from '../models/collapse-profile.js';

/** κ of a curated configuration: the expected covariance factor of one curated generation (V2). */
export function gaussianCurationFactor(config: GaussianConfig): number {
  const curation = curationOf(config);
  if (!curation) return 1;
  const candidates = curation.rule.kind === 'top' ? topCandidates(config.samples, curation.rule.q) : config.samples;
  return curationFactor(config.dim, config.samples, curation.rule, candidates);
}

/** Every metric's exact prediction per iteration under --curate, or null where none is derived. */
export function curatedGaussianTheory(config: GaussianConfig): Record<string, (number | null)[]> {
  const strategy = parseStrategy(config.strategy);
  const setting = { dim: config.dim, samples: config.samples, estimator: config.estimator, knownVariance: config.variance === 'known' };
  const plain = gaussianTheory(strategy, setting, 1); // model 1 never sees a curated set
  const out: Record<string, (number | null)[]> = Object.fromEntries(
    GAUSSIAN_METRICS.map((name) => [name, Array.from({ length: config.iterations }, (_, n) => (n === 0 ? plain[name][0] : null))]),
  );
  if (config.model !== 'gaussian' || config.strategy !== 'replace') return out;
  const exact = curatedGaussianReplace(setting, gaussianCurationFactor(config), config.iterations);
  out.traceRatio = exact.traceRatio;
  out.meanError = exact.meanError;
  return out;
}

/** What iterations[].theory is under --curate. */
export function curatedTheoryText(config: GaussianConfig): string {
  const kappa = gaussianCurationFactor(config).toPrecision(6);
  if (config.model !== 'gaussian' || config.strategy !== 'replace') {
    return `curated (${config.curate}, verifier ${config.verifier}): exact for model 1 only (real data); after it, none for this strategy (Monte Carlo only)`;
  }
  return `curated (${config.curate}, verifier ${config.verifier}): E tr Σ̂_n/tr Σ₀ = cⁿκ^(n−1), κ = ${kappa} (proofs/curation.md#V3)`;
}

/** The collapse profile under --curate: collapsingVariance from V3 (replace, fitted covariance), else undecided. */
export function curatedProfile(profile: CollapseProfile, config: GaussianConfig, theory: Record<string, (number | null)[]>): CollapseProfile {
  const ratio = theory.traceRatio;
  const last = ratio[ratio.length - 1];
  const variance: ProfileEntry =
    config.variance === 'known'
      ? { measurable: true, holds: false, basis: 'theory', why: 'the variance is known: Σ̂ = Σ₀ for every model' }
      : last !== null && config.iterations >= 2
        ? { measurable: true, holds: true, basis: 'theory', why: `curated replace: E tr Σ̂_n/tr Σ₀ = cⁿκ^(n−1) with cκ < 1 falls to ${last.toPrecision(4)} at n = ${config.iterations} and tends to 0 (proofs/curation.md#V3)` }
        : undecided('no exact trace ratio of a curated chain for this strategy');
  return { ...profile, collapsingVariance: variance };
}
