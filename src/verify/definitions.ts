/**
 * Which definitions of collapse (Schaeffer et al. 2025; the stable names of src/models/collapse-profile.ts) a verify
 * case checks: the quantities it compares with their theory, each named by the definition it measures.
 */
import { COLLAPSE_DEFINITIONS, type CollapseDefinition } from '../models/collapse-profile.js';

/** Quantity (a report's `mean` or a metric name) → the definition it measures, per kind of case. */
const MEASURES: Readonly<Record<'linear' | 'gaussian' | 'categorical' | 'tails' | 'chain' | 'strong' | 'curated', Readonly<Record<string, CollapseDefinition>>>> = {
  // the test error E‖ŵ_n − w*‖² per n: the population risk, whose growth and limit the two definitions are about
  linear: { mean: 'anyRiskIncrease' },
  gaussian: {
    mean: 'collapsingVariance', // E tr Σ̂_n / tr Σ₀
    detRatio: 'collapsingVariance',
    logDetRatio: 'collapsingVariance',
    medianVarianceRatio: 'collapsingVariance',
    sdRatio: 'collapsingVariance',
    meanError: 'anyRiskIncrease',
    w2: 'anyRiskIncrease',
    w2Squared: 'anyRiskIncrease',
  },
  categorical: { mean: 'collapsingVariance', entropy: 'collapsingVariance', squaredDistance: 'anyRiskIncrease', surviving: 'tailDisappearance', tailMassLost: 'tailDisappearance' },
  // Hutter's test error against T for clean, cut and mixed data: the scaling law and its plateau
  tails: { mean: 'scalingLawChange' },
  // Hutter's chained generations: the real mass missing from generation g's sample (proofs/tails.md#H4)
  chain: { mean: 'tailDisappearance' },
  // strong model collapse: the error against n stops at a floor (the scaling table), and along the chain
  strong: { scaling: 'scalingLawChange', mean: 'anyRiskIncrease' },
  // a curated Gaussian chain: E tr Σ̂_n / tr Σ₀ under the verifier's selection (proofs/curation.md V3)
  curated: { mean: 'collapsingVariance' },
};

/** The family of a verify case from its kind and name (the Bernstein-style cases are named "categorical …", "tails chain …", "tails …", "strong …" and "gaussian curated …"). */
function family(kind: string, name: string): keyof typeof MEASURES | null {
  if (kind === 'linear' || kind === 'gaussian') return kind;
  if (kind !== 'bernstein') return null;
  if (name.startsWith('categorical ')) return 'categorical';
  if (name.startsWith('tails chain ')) return 'chain';
  if (name.startsWith('strong ')) return 'strong';
  if (name.startsWith('gaussian curated ')) return 'curated';
  return name.startsWith('tails ') ? 'tails' : null;
}

/** Every definition the case's checked quantities measure, in the paper's order (empty for an unknown case). */
export function caseDefinitions(kind: string, name: string): CollapseDefinition[] {
  const f = family(kind, name);
  if (f === null) return [];
  const named = new Set(Object.values(MEASURES[f]));
  return COLLAPSE_DEFINITIONS.filter((d) => named.has(d));
}

/** The definition one checked quantity of a case measures ('mean' or a metric name), or null. */
export function quantityDefinition(kind: string, name: string, quantity: string): CollapseDefinition | null {
  const f = family(kind, name);
  return f === null ? null : (MEASURES[f][quantity] ?? null);
}
