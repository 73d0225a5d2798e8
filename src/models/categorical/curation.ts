/**
 * `collapse categorical --curate`: what a verifier that keeps tokens by their model probability does
 * (proofs/curation.md#V7). Model 1 is fit on real data, so its row keeps the uncurated theory; after it no closed
 * form is derived (the admitted support is random), so the report is Monte Carlo only. What is exact: a token the
 * verifier rejects never comes back (under replace the support of model n + 1 lies in the admitted set of model n),
 * and the expected size of the first admitted set, {@link admittedOutcomes}.
 */
import type { RealDistribution } from './distribution.js';

/** The theory table with every row after the first set to null (model 1 never sees a curated set). */
export function firstModelOnly(theory: Record<string, (number | null)[]>): Record<string, (number | null)[]> {
  return Object.fromEntries(Object.entries(theory).map(([name, rows]) => [name, rows.map((t, n) => (n === 0 ? t : null))]));
}

/** P(Bin(m, p) ≥ k), summed from the lower tail in log space (exact up to float64 rounding). */
function binomialUpper(m: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > m || p <= 0) return 0;
  if (p >= 1) return 1;
  let logTerm = m * Math.log1p(-p); // log P(X = 0)
  let below = 0;
  for (let j = 0; j < k; j++) {
    below += Math.exp(logTerm);
    logTerm += Math.log((m - j) / (j + 1)) + Math.log(p) - Math.log1p(-p);
  }
  return Math.max(0, 1 - below);
}

/**
 * E #{i : p̂_i ≥ τ} for model 1 (the empirical frequencies of m real draws from π): Σ_i P(Bin(m, π_i) ≥ ⌈τm⌉), the
 * expected number of outcomes `threshold:τ` admits at generation 2 — an exact upper bound on model 2's expected
 * surviving outcomes (V7). τ must not be a multiple of 1/m (there float64 frequencies may fall either side of it).
 * @source Du et al., arXiv 2606.13732 (selection prunes tail modes); proofs/curation.md#V7
 */
export function admittedOutcomes(real: RealDistribution, m: number, tau: number): number {
  const k = Math.ceil(tau * m);
  let sum = 0;
  for (const p of real.probabilities) sum += binomialUpper(m, p, k);
  return sum;
}
