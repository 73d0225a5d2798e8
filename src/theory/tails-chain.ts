/**
 * Hutter's model chained over generations (proofs/tails.md#H4): generation 1 trains on T contexts drawn from the
 * clean p; generation j + 1 on T contexts drawn from the empirical distribution of generation j's training sample
 * (the categorical family's fit, so the chain is its replace strategy with m = T). Model g errs on every context
 * absent from its own sample, so its error is the categorical family's lost real mass at depth g:
 * E_g(T) = Σ_i p_i Pr(X_g = 0), X_1 ~ Bin(T, p_i), X_{j+1} | X_j ~ Bin(T, X_j/T) (proofs/categorical.md#K4).
 */
import { fraction } from '../core/fraction.js';
import type { Arithmetic } from './categorical.js';

/**
 * E_g(T) exactly, generic in the arithmetic (exact rationals in the tests): the absorption probabilities
 * h_j(x) = Pr(X reaches 0 within j steps | X = x) by h_0 = δ_0, h_j(x) = Σ_y Bin(y; T, x/T) h_{j−1}(y), then
 * E_g = Σ_i p_i Σ_x Bin(x; T, p_i) h_{g−1}(x). Cost O(g·T² + K·T): for small T only.
 * @source Hutter 2021, arXiv:2102.04074 (the model); Dohmatob et al. 2024, arXiv:2402.07043 (synthetic generations cut the tail); the chain's exact form derived here from Wright–Fisher absorption (Ewens 2004, §3.1)
 * @proof proofs/tails.md#H4
 * @example chainedHutterErrorExact([fraction(1, 2), fraction(1, 2)], 2, 2, RATIONAL).toFraction() // returns '3/8'
 */
export function chainedHutterErrorExact<T>(p: readonly T[], samples: number, generations: number, F: Arithmetic<T>): T {
  if (!(Number.isInteger(samples) && samples >= 1 && Number.isInteger(generations) && generations >= 1)) throw new Error(`a chain needs integers T ≥ 1 and g ≥ 1; got ${samples}, ${generations}`);
  const m = samples;
  const choose: T[] = [F.one];
  for (let x = 1; x <= m; x++) choose.push(F.div(F.mul(choose[x - 1], F.of(fraction(m - x + 1))), F.of(fraction(x))));
  const pmf = (q: T): T[] => {
    const out: T[] = [];
    for (let x = 0; x <= m; x++) {
      let term = choose[x];
      for (let j = 0; j < x; j++) term = F.mul(term, q);
      for (let j = 0; j < m - x; j++) term = F.mul(term, F.sub(F.one, q));
      out.push(term);
    }
    return out;
  };
  const dot = (a: readonly T[], b: readonly T[]) => a.reduce((sum, x, i) => F.add(sum, F.mul(x, b[i])), F.zero);
  let h: T[] = Array.from({ length: m + 1 }, (_, x) => (x === 0 ? F.one : F.zero));
  const rows = Array.from({ length: m + 1 }, (_, x) => pmf(F.of(fraction(x, m))));
  for (let j = 1; j < generations; j++) h = rows.map((row) => dot(row, h));
  return p.reduce((sum, pi) => F.add(sum, F.mul(pi, dot(pmf(pi), h))), F.zero);
}

/** Most float operations the float64 sums may cost (g·T² for the absorption probabilities); beyond, null. */
export const CHAIN_BUDGET = 4e8;

/**
 * E_g(T) in float64 for every g in `generations`, sharing the absorption probabilities h_j (O(g·T²)). The sum over
 * contexts is cut where it cannot matter: past the mode, once a term is below 2⁻⁷⁰ of the sum so far and the pmf
 * ratio (T − x)p/((x + 1)(1 − p)) is below 1/2, the rest of the tail is at most that term (a geometric bound, and
 * h ≤ 1), far below float64 rounding; so a rare context costs a few terms, not T. Null entries where the cost
 * passes CHAIN_BUDGET. The categorical family computes the same sums without the cut (singleSetSurvival, K4); the
 * tests check that both agree.
 * @source Hutter 2021, arXiv:2102.04074 (the model); Dohmatob et al. 2024, arXiv:2402.07043; the chain derived here (Wright–Fisher absorption, Ewens 2004, §3.1)
 * @proof proofs/tails.md#H4
 */
export function chainedHutterErrors(p: Float64Array, samples: number, generations: readonly number[]): (number | null)[] {
  const m = samples;
  const deepest = Math.max(1, ...generations);
  if ((deepest - 1) * (m + 1) ** 2 > CHAIN_BUDGET) return generations.map(() => null);
  const h: Float64Array[] = [new Float64Array(m + 1)];
  h[0][0] = 1;
  const row = new Float64Array(m + 1);
  for (let j = 1; j < deepest; j++) {
    const next = new Float64Array(m + 1);
    for (let x = 0; x <= m; x++) {
      binomialRow(m, x / m, row);
      let sum = 0;
      for (let y = 0; y <= m; y++) sum += row[y] * h[j - 1][y];
      next[x] = sum;
    }
    h.push(next);
  }
  const totals = generations.map(() => 0);
  for (let i = 0; i < p.length; i++) {
    const q = p[i];
    if (q >= 1) continue; // X_1 = T, and Bin(T, 1) = T forever: never absent
    // Bin(m, q) pmf from x = 0 in log space, cut as documented above
    let log = m * Math.log1p(-q);
    const odds = q > 0 ? Math.log(q) - Math.log1p(-q) : -Infinity;
    const partial = generations.map(() => 0);
    let mass = 0;
    for (let x = 0; x <= m; x++) {
      const term = Math.exp(log);
      mass += term;
      generations.forEach((g, k) => (partial[k] += term * h[g - 1][x]));
      if (x >= m) break;
      const ratio = ((m - x) / (x + 1)) * Math.exp(odds);
      if (x >= m * q && ratio < 0.5 && term < mass * 2 ** -70) break;
      log += Math.log((m - x) / (x + 1)) + odds;
    }
    generations.forEach((_, k) => (totals[k] += q * partial[k]));
  }
  return totals;
}

/**
 * One E_g(T) (see chainedHutterErrors), or null past its budget.
 * @source Hutter 2021, arXiv:2102.04074 (the model); Dohmatob et al. 2024, arXiv:2402.07043; the chain derived here (Wright–Fisher absorption, Ewens 2004, §3.1)
 * @proof proofs/tails.md#H4
 */
export function chainedHutterError(p: Float64Array, samples: number, generations: number): number | null {
  return chainedHutterErrors(p, samples, [generations])[0];
}

/** The Bin(m, q) pmf at 0 … m into `out` (log space: no underflow at large m). */
function binomialRow(m: number, q: number, out: Float64Array): void {
  if (q <= 0 || q >= 1) {
    out.fill(0);
    out[q <= 0 ? 0 : m] = 1;
    return;
  }
  let log = m * Math.log1p(-q);
  const odds = Math.log(q) - Math.log1p(-q);
  out[0] = Math.exp(log);
  for (let x = 0; x < m; x++) {
    log += Math.log((m - x) / (x + 1)) + odds;
    out[x + 1] = Math.exp(log);
  }
}

/** A chain curve's label in tables and figures. */
export const chainLabel = (generations: number): string => `chain g=${generations}`;

