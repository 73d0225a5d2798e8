/**
 * Finite-sample tail bounds behind verify's linear checks (proofs/linear-fixed-design.md#P12). Unlike a z-score's
 * normal tail these hold for any number of trials, whatever the skew: each band is exceeded by a correct Monte Carlo
 * with probability at most the δ it is built for.
 *
 * - `chiSquareSumBand`: Σ a_i(ξ_i² − 1), a_i ≥ 0, ξ i.i.d. N(0, 1) — Laurent & Massart (2000), Lemma 1.
 * - `traceMeanBand`: the mean of N i.i.d. tr((XᵀX)⁻¹), X a T×d standard Gaussian design: Bernstein's inequality, below
 *   for a variable bounded below by 0, above for the values truncated where a union bound over the diagonal of
 *   (XᵀX)⁻¹ (each 1/χ²_{T−d+1}) makes exceeding the truncation improbable.
 */
import { logGamma } from '../core/special.js';
import { inverseWishartTraceMoments } from '../theory/linear-fixed-design.js';

export { logGamma };

/**
 * ln P(χ²_k ≤ y) for y below the mean (the lower tail the truncation needs): the series of the regularised lower
 * incomplete gamma function, P(a, x) = e^{−x} x^a / Γ(a + 1) · Σ_n x^n / ((a + 1)…(a + n)), a = k/2, x = y/2. All
 * terms are positive, so the partial sums only undershoot by the remainder, which is bounded by the last term times
 * x/(a + n + 1 − x)/(1 − …) and is added (an upper bound of the tail, as the union bound needs).
 */
export function logChiSquareLowerTail(k: number, y: number): number {
  const a = k / 2;
  const x = y / 2;
  if (!(x < a + 1)) throw new Error('logChiSquareLowerTail serves the lower tail only (y < k + 2)');
  let term = 1;
  let sum = 1;
  let n = 0;
  while (term > 1e-17 * sum) {
    n++;
    term *= x / (a + n);
    sum += term;
  }
  sum += (term * x) / (a + n + 1 - x); // geometric bound of what is left (ratio x/(a + n + 1) < 1)
  return -x + a * Math.log(x) - logGamma(a + 1) + Math.log(sum);
}

export interface Band {
  /** the statistic may fall this far below its expectation… */
  below: number;
  /** …and this far above it */
  above: number;
}

/**
 * Σ a_i(ξ_i² − 1) with a_i ≥ 0, ‖a‖₂ = `norm`, max a_i ≤ `largest`: P(Σ ≥ 2‖a‖√x + 2·largest·x) ≤ e^{−x} and
 * P(Σ ≤ −2‖a‖√x) ≤ e^{−x}; x = ln(2/δ) makes the two-sided band fail with probability ≤ δ.
 * @source Laurent & Massart 2000, Ann. Statist. 28(5), Lemma 1
 * @proof proofs/linear-fixed-design.md#P12
 */
export function chiSquareSumBand(norm: number, largest: number, delta: number): Band {
  const x = Math.log(2 / delta);
  return { below: 2 * norm * Math.sqrt(x), above: 2 * norm * Math.sqrt(x) + 2 * largest * x };
}

/**
 * Band for the mean of N i.i.d. copies of tr((XᵀX)⁻¹) around d/(T − d − 1) (T > d + 3), exceeded with probability ≤ δ.
 * Below (δ/2): Y ≥ 0, so Y − EY ≥ −EY and Bernstein's inequality bounds the mean's shortfall. Above (δ/2): with M = d/y
 * and N·d·P(χ²_{T−d+1} ≤ y) ≤ δ/4, no trial exceeds M except with probability δ/4 (tr ≤ d·max_j (A⁻¹)_jj, and
 * 1/(A⁻¹)_jj ~ χ²_{T−d+1}); min(Y, M) has mean ≤ EY, variance ≤ Var Y (a 1-Lipschitz map) and excess ≤ M, so
 * Bernstein's inequality bounds its mean's excess at δ/4.
 * @source Bernstein's inequality (Boucheron, Lugosi & Massart 2013, Concentration Inequalities, Thm 2.10); Muirhead 1982, Thm 3.2.11
 * @proof proofs/linear-fixed-design.md#P12
 */
export function traceMeanBand(d: number, T: number, trials: number, delta: number): Band {
  const { mean, variance } = inverseWishartTraceMoments(d, T);
  const bernstein = (L: number, range: number) => {
    const a = (2 * L * range) / 3;
    return (a + Math.sqrt(a * a + 8 * L * trials * variance)) / 2 / trials; // s² = 2L(N·Var + range·s/3), per trial
  };
  const below = bernstein(Math.log(2 / delta), mean); // Y ≥ 0: Y − EY ≥ −EY
  const k = T - d + 1;
  const target = Math.log(delta / 4 / (trials * d));
  // the largest y (≤ k) whose lower-tail probability is at most the target, by bisection on a monotone function
  let lo = 0;
  let hi = k;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (logChiSquareLowerTail(k, mid) <= target) lo = mid;
    else hi = mid;
  }
  return { below, above: bernstein(Math.log(4 / delta), d / lo) };
}

/**
 * Band for the mean of N i.i.d. copies of Y = ln X around EY = `mean`, where ln E X^s = `logMoment(s)` is known for
 * every s > `lowest` (its moment generating function: E e^{sY} = E X^s). Chernoff: P(Ȳ ≥ EY + u) ≤
 * exp(−N(s(EY + u) − ln E X^s)) for every s > 0, and the mirror for s < 0; each side at δ/2, minimised over a grid of s
 * (any s gives a valid bound, so a coarse grid only widens it). For log-determinant ratios, sums of ln χ² terms.
 * @source Chernoff 1952, Ann. Math. Statist. 23(4) (the exponential bound); moments of χ² as in replaceDetRatioLogMoment
 * @proof proofs/gaussian.md#G2
 */
export function logMomentMeanBand(logMoment: (s: number) => number, mean: number, lowest: number, trials: number, delta: number): Band {
  const L = Math.log(2 / delta) / trials;
  let above = Infinity;
  let below = Infinity;
  for (let i = 0; i <= 600; i++) {
    const t = 10 ** (-6 + (i * 8) / 600); // 1e-6 … 100
    above = Math.min(above, (L + logMoment(t)) / t - mean);
    const s = -Math.min(t, 0.999 * -lowest);
    below = Math.min(below, mean + (L + logMoment(s)) / -s);
  }
  return { below, above };
}
