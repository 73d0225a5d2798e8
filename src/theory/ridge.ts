/**
 * Fixed-design ridge under any pool-weighting strategy: the error of model n given X and w*, exactly.
 *
 * In XᵀX's eigenbasis (proofs P10) coordinate j of every fit shrinks the labelling models by m_j = μ_j/(μ_j + λ) and
 * adds independent noise of variance v_j = σ²·μ_j/(μ_j + λ)². Both the mean and the noise coefficients of model n
 * are polynomials in m with nonnegative coefficients that depend only on the strategy's pool weights, so they are
 * computed once per strategy and evaluated per trial and coordinate (Horner, no cancellation for m ∈ [0, 1]).
 */
import type { PoolStrategy } from '../strategies/strategy.js';
import { numericPlan } from '../strategies/plan.js';

/** Coefficients (ascending powers of m) of P_n (the mean factor) and Q_n (the noise factor), n = 1 … N. */
export interface RidgePolynomials {
  mean: Float64Array[];
  noise: Float64Array[];
}

/**
 * P_n(m) and Q_n(m) for n = 1 … iterations: E[ŵ_n | X, w*]_j = P_n(m_j)·w̃*_j and
 * Var[ŵ_n | X, w*]_j = v_j·Q_n(m_j), from P_0 = 1, P_n = m·Σ_s a_{n,s} P_{s(s)}, and the noise coefficients
 * c_{n,t} = Σ_s a_{n,s} (m·c_{s(s),t} + [s = t]), Q_n = Σ_t c_{n,t}². At m = 1 they are 1 and P2's noise factor.
 * @source Dohmatob, Feng & Kempe 2024, arXiv:2402.07712 (ridge collapse setting), with the pool weights of Gerstgrasser et al. 2024
 * @proof proofs/linear-variants.md#P11
 * @example Array.from(ridgePolynomials(replace, 2).noise[1]) // returns [1, 0, 1]
 */
export function ridgePolynomials(strategy: PoolStrategy, iterations: number): RidgePolynomials {
  const { sources, weights } = numericPlan(strategy, iterations);
  const sets = sources.length;
  // polynomial helpers on ascending coefficient arrays
  const shiftAdd = (into: Float64Array, p: Float64Array, scale: number) => {
    for (let k = 0; k < p.length; k++) into[k + 1] += scale * p[k];
  };
  const mean: Float64Array[] = [Float64Array.of(1)];
  // coefficients[k][t]: c_{k,t}(m) (degree < k); model 0 (w*) carries no noise
  const coefficients: Float64Array[][] = [Array.from({ length: sets }, () => new Float64Array(1))];
  const noise: Float64Array[] = [];
  for (let n = 1; n <= iterations; n++) {
    const a = weights[n - 1];
    const p = new Float64Array(n + 1);
    const c = Array.from({ length: sets }, () => new Float64Array(n));
    a.forEach((w, s) => {
      if (w === 0) return;
      const source = sources[s];
      shiftAdd(p, mean[source], w);
      c[s][0] += w;
      coefficients[source].forEach((parent, t) => {
        for (let k = 0; k < parent.length && k + 1 < n; k++) c[t][k + 1] += w * parent[k];
      });
    });
    const q = new Float64Array(2 * n - 1);
    for (const poly of c) {
      for (let i = 0; i < poly.length; i++) {
        if (poly[i] === 0) continue;
        for (let k = 0; k < poly.length; k++) q[i + k] += poly[i] * poly[k];
      }
    }
    mean.push(p);
    coefficients.push(c);
    noise.push(q);
  }
  return { mean: mean.slice(1), noise };
}

/** Σ_k p_k·m^k by Horner. */
function evaluate(p: Float64Array, m: number): number {
  let value = 0;
  for (let k = p.length - 1; k >= 0; k--) value = value * m + p[k];
  return value;
}

/**
 * E[‖ŵ_n − w*‖² | X, w*] for n = 1 … N (isotropic test inputs), from XᵀX's eigenvalues μ and w* in its eigenbasis:
 * Σ_j (P_n(m_j) − 1)²·w̃*_j² + σ²·μ_j/(μ_j + λ)²·Q_n(m_j). Writes into `out` (length N).
 * @source Dohmatob, Feng & Kempe 2024, arXiv:2402.07712 (ridge collapse setting), exact given X
 * @proof proofs/linear-variants.md#P11
 * @example Array.from(ridgeConditionalError(ridgePolynomials(replace, 2), [1], [0], 1, 1, new Float64Array(2))) // returns [0.25, 0.3125]
 */
export function ridgeConditionalError(
  polynomials: RidgePolynomials, eigenvalues: ArrayLike<number>, wStarEigen: ArrayLike<number>, lambda: number, sigma2: number, out: Float64Array,
): Float64Array {
  out.fill(0);
  for (let j = 0; j < eigenvalues.length; j++) {
    const mu = Math.max(0, eigenvalues[j]);
    const m = mu / (mu + lambda);
    const v = (sigma2 * mu) / (mu + lambda) ** 2;
    const w2 = wStarEigen[j] ** 2;
    for (let n = 0; n < out.length; n++) out[n] += (evaluate(polynomials.mean[n], m) - 1) ** 2 * w2 + v * evaluate(polynomials.noise[n], m);
  }
  return out;
}

/**
 * The spread of the ridge error around its P11 expectation, given X and w*: per coordinate the error is
 * (μ_j + s_j ξ_j)² with μ_j = (P_n(m_j) − 1)·w̃*_j and s_j² = σ²μ_j/(μ_j + λ)²·Q_n(m_j), so error − expectation =
 * Σ_j s_j²(ξ_j² − 1) + 2μ_j s_j ξ_j. Writes Σ_j s_j⁴ into `chi4` and Σ_j μ_j² s_j² into `gauss` (length N each): the
 * Laurent–Massart and Gaussian parts of verify's finite-sample band for ridge (proofs P12).
 * @source P11's conditional law; Laurent & Massart 2000, Ann. Statist. 28(5), Lemma 1
 * @proof proofs/linear-fixed-design.md#P12
 */
export function ridgeConditionalSpread(
  polynomials: RidgePolynomials, eigenvalues: ArrayLike<number>, wStarEigen: ArrayLike<number>, lambda: number, sigma2: number, chi4: Float64Array, gauss: Float64Array,
): void {
  chi4.fill(0);
  gauss.fill(0);
  for (let j = 0; j < eigenvalues.length; j++) {
    const mu = Math.max(0, eigenvalues[j]);
    const m = mu / (mu + lambda);
    const v = (sigma2 * mu) / (mu + lambda) ** 2;
    for (let n = 0; n < chi4.length; n++) {
      const s2 = v * evaluate(polynomials.noise[n], m);
      const shift = (evaluate(polynomials.mean[n], m) - 1) * wStarEigen[j];
      chi4[n] += s2 * s2;
      gauss[n] += shift * shift * s2;
    }
  }
}
