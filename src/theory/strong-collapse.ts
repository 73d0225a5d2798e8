/**
 * Strong model collapse (Dohmatob, Feng, Subramonian & Kempe, ICLR 2025, arXiv:2410.04840) in collapse-lab's
 * fixed-design least squares, exactly (proofs/strong-collapse.md).
 *
 * n rows X, of which n₂ carry labels from a shifted teacher w* + Δ and n₁ = n − n₂ from w*, noise σ². With A = XᵀX
 * and A₂ = X₂ᵀX₂ (the teacher rows), ŵ − w* = A⁻¹A₂Δ + A⁻¹Xᵀε, so given X the error is variance σ²·tr(A⁻¹) plus
 * bias ‖A⁻¹A₂Δ‖² (S1). For Gaussian rows the bias's expectation is a rational function of n, n₂, d (S2), which tends to
 * p₂²‖Δ‖² as n → ∞ at a fixed share p₂ = n₂/n: a floor no amount of data removes (S3).
 *
 * The recursive chain (S4): every data set keeps the split; later data sets are labelled by earlier models (on the
 * teacher rows only: `mixed`, or on every row: `pure`). With M = A⁻¹A₂ the error of model n is c_n(M)Δ plus the
 * noise Σ_j b_{n,j}(M)z_j, z_j = A⁻¹Xᵀε_j; c_n and b_{n,j} are polynomials fixed by the strategy's pool weights.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { fraction, type Fraction } from '../core/fraction.js';
import { UsageError } from '../core/errors.js';
import { dataPlan, type PoolStrategy } from '../strategies/strategy.js';
import type { Arithmetic } from './categorical.js';

/** How later data sets are labelled: `mixed` keeps the real rows real (labels w*), `pure` labels every row with the model. */
export type StrongChain = 'mixed' | 'pure';

/**
 * The number of teacher rows n₂ = round(p₂·n) at a share p₂ (the realised share is n₂/n; the theory uses n₂).
 * @source Dohmatob et al. 2025, arXiv:2410.04840 (a constant share p₂ of the n training rows is synthetic)
 * @proof proofs/strong-collapse.md#S3
 */
export function teacherRows(samples: number, share: number): number {
  return Math.round(share * samples);
}

/**
 * E‖A⁻¹A₂Δ‖²/‖Δ‖² for rows of X i.i.d. N(0, I_d), n > d + 1, exactly:
 * n₂(n₂ + 2)/(n(n + 2)) + n₁n₂(n + 1)(d − 1)/((n − 1)n(n + 2)(n − d − 1)).
 * @source Dohmatob et al. 2025, arXiv:2410.04840 (the setting; they state the n → ∞ limit); the finite-n form derived here
 * @proof proofs/strong-collapse.md#S2
 * @example strongBiasFactor(10, 5, 2).toFraction() // returns '62/189'
 */
export function strongBiasFactor(samples: number, teacher: number, dim: number): Fraction {
  const n = samples;
  const n2 = teacher;
  const n1 = n - n2;
  const d = dim;
  if (!(Number.isInteger(n2) && n2 >= 0 && n2 <= n)) throw new UsageError(`the teacher rows must be an integer in [0, ${n}]; got ${n2}`);
  if (n < d + 2) throw new UsageError(`--samples must be ≥ dim + 2 (= ${d + 2}) for the theory; got ${n}`);
  const first = fraction(n2 * (n2 + 2), n * (n + 2));
  if (n1 === 0 || n2 === 0 || d === 1) return first;
  const second = fraction(n1).mul(n2).mul(n + 1).mul(d - 1).div(fraction(n - 1).mul(n).mul(n + 2).mul(n - d - 1));
  return first.add(second);
}

/** The pieces of the strong-collapse error at one n: variance, bias and their sum (expectations over the design). */
export interface StrongError {
  variance: number;
  bias: number;
  total: number;
}

/**
 * E‖ŵ − w*‖² over a Gaussian design, exactly: σ²·d/(n − d − 1) + ‖Δ‖²·{@link strongBiasFactor}.
 * @source Dohmatob et al. 2025, arXiv:2410.04840; Gerstgrasser et al. 2024, arXiv:2404.01413 (the d/(n−d−1) factor)
 * @proof proofs/strong-collapse.md#S2
 * @example strongCollapseError({ sigma2: 1, dim: 2, samples: 10, teacher: 5, shift2: 1 }).total // returns 0.6137566137566137
 */
export function strongCollapseError(setting: { sigma2: number; dim: number; samples: number; teacher: number; shift2: number }): StrongError {
  const { sigma2, dim: d, samples: n, teacher, shift2 } = setting;
  const variance = (sigma2 * d) / (n - d - 1);
  const bias = shift2 * strongBiasFactor(n, teacher, d).valueOf();
  return { variance, bias, total: variance + bias };
}

/**
 * The asymptotic form the literature prints, σ²d/(n − d − 1) + p₂²‖Δ‖² — an approximation (exact only at n₂ ∈ {0, n}
 * or d = 1 in the limit): it omits the bias's finite-n terms, O(p₂(1 − p₂)d/n)‖Δ‖².
 * @source Dohmatob et al. 2025, arXiv:2410.04840 (the floor p₂²‖Δ‖²)
 * @proof proofs/strong-collapse.md#S3
 */
export function strongCollapseAsymptotic(setting: { sigma2: number; dim: number; samples: number; share: number; shift2: number }): number {
  const { sigma2, dim: d, samples: n, share, shift2 } = setting;
  return (sigma2 * d) / (n - d - 1) + share * share * shift2;
}

/** Ascending coefficients of the chain's polynomials in x (x stands for M = A⁻¹A₂), model n = 1 … N at index n − 1. */
export interface StrongChainPolynomials<T> {
  /** c_n: the teacher shift's factor, e_n's mean is c_n(M)Δ */
  shift: T[][];
  /** q_n = Σ_j b_{n,j}²: the noise factor (S4) */
  noise: T[][];
  /** b_{n,j}: the noise of data set j in model n */
  coefficients: T[][][];
}

const polyAdd = <T>(into: T[], p: readonly T[], scale: T, lift: number, F: Arithmetic<T>) => {
  for (let k = 0; k < p.length; k++) into[k + lift] = F.add(into[k + lift], F.mul(scale, p[k]));
};

/**
 * c_n and b_{n,j} for n = 1 … N (S4): with e_0 = Δ (the teacher), a data set labelled by model s adds ρ_s(M)e_s + z,
 * ρ_0 = M; ρ_s = M (mixed) or 1 (pure) for s ≥ 1. So c_n = Σ_g a_{n,g}·x^{[ρ]}·c_{s(g)}, c_0 = 1, and
 * b_{n,j} = a_{n,j} + Σ_g a_{n,g}·x^{[ρ]}·b_{s(g),j}, b_0 = 0. Generic in the arithmetic (exact rationals in tests).
 * @source derived here for the chain of Dohmatob et al. 2025, arXiv:2410.04840, with the pool weights of Gerstgrasser et al. 2024
 * @proof proofs/strong-collapse.md#S4
 * @example strongChainPolynomials(accumulate, 2, 'mixed', RATIONAL).shift[1].map(String) // returns ['0', '0.5', '0.5']
 */
export function strongChainPolynomials<T>(strategy: PoolStrategy, iterations: number, chain: StrongChain, F: Arithmetic<T>): StrongChainPolynomials<T> {
  if (strategy.fit === 'subsample') throw new UsageError(`--strategy ${strategy.name}: a subsampled pool has no exact theory; use a weighted strategy`);
  const { sources } = dataPlan(strategy, iterations);
  const sets = sources.length;
  const zeros = (length: number) => Array.from({ length }, () => F.zero);
  const shift: T[][] = [[F.one]];
  const coefficients: T[][][] = [Array.from({ length: sets }, () => [F.zero])];
  const noise: T[][] = [];
  for (let n = 1; n <= iterations; n++) {
    const a = strategy.poolWeights(n).map((w) => F.of(w));
    const c = zeros(n + 1);
    const b = Array.from({ length: sets }, () => zeros(n + 1));
    a.forEach((w, g) => {
      if (w === F.zero) return;
      const source = sources[g];
      const lift = source === 0 || chain === 'mixed' ? 1 : 0;
      polyAdd(c, shift[source], w, lift, F);
      b[g][0] = F.add(b[g][0], w);
      coefficients[source].forEach((parent, j) => polyAdd(b[j], parent, w, lift, F));
    });
    const q = zeros(2 * n + 1);
    for (const poly of b) for (let i = 0; i < poly.length; i++) polyAdd(q, poly, poly[i], i, F);
    shift.push(c);
    coefficients.push(b);
    noise.push(q);
  }
  return { shift: shift.slice(1), noise, coefficients: coefficients.slice(1) };
}

/**
 * Σ_k p_k·x^k by Horner, in any arithmetic: the chain's polynomials at an eigenvalue of H or at x = p₂.
 * @source Horner's rule; the polynomials of proofs/strong-collapse.md S4
 * @proof proofs/strong-collapse.md#S4
 */
export function evaluatePolynomial<T>(p: readonly T[], x: T, F: Arithmetic<T>): T {
  let value = F.zero;
  for (let k = p.length - 1; k >= 0; k--) value = F.add(F.mul(value, x), p[k]);
  return value;
}

/**
 * The isotropic approximation of the chain, M ≈ p₂I: c_n(p₂)²‖Δ‖² + σ²·d/(n − d − 1)·q_n(p₂). Exact at n = 1 only in
 * the limit n → ∞; printed as an approximation (proofs/strong-collapse.md#S5).
 * @source derived here (S5)
 * @proof proofs/strong-collapse.md#S5
 */
export function strongChainApproximation(
  polynomials: StrongChainPolynomials<number>, setting: { sigma2: number; dim: number; samples: number; share: number; shift2: number }, F: Arithmetic<number>,
): number[] {
  const { sigma2, dim: d, samples: n, share, shift2 } = setting;
  return polynomials.shift.map((c, i) => evaluatePolynomial(c, share, F) ** 2 * shift2 + ((sigma2 * d) / (n - d - 1)) * evaluatePolynomial(polynomials.noise[i], share, F));
}

/**
 * E‖ŵ_n − w*‖² over a Gaussian design where it closes (S4, corollary): when c_n(x) = κ_n·x and q_n is a constant (every
 * pure chain; model 1 of any chain whose first pool is one data set), e_n = κ_n·MΔ + Σ_j b_{n,j}z_j with scalar b, so
 * the expectation is κ_n²·‖Δ‖²·strongBiasFactor + σ²·d/(n − d − 1)·q_n. Null where c_n or q_n has another power of x.
 * @source derived here (S4) with S2
 * @proof proofs/strong-collapse.md#S4
 */
export function strongChainExpectation(
  polynomials: StrongChainPolynomials<number>, setting: { sigma2: number; dim: number; samples: number; teacher: number; shift2: number },
): (number | null)[] {
  const { variance, bias } = strongCollapseError(setting);
  return polynomials.shift.map((c, n) => {
    const q = polynomials.noise[n];
    const linear = c.every((x, k) => k === 1 || x === 0) && q.every((x, k) => k === 0 || x === 0);
    return linear ? c[1] * c[1] * bias + variance * q[0] : null;
  });
}

/** One model's error given the design (S4): bias ‖c_n(M)Δ‖², variance tr S, and the spread of the error around it. */
export interface StrongConditional {
  bias: number;
  variance: number;
  /** tr S² with S = Cov(e_n | X): the Laurent–Massart part of verify's band */
  chi4: number;
  /** μᵀSμ with μ = c_n(M)Δ: the normal part of verify's band */
  gauss: number;
}

/**
 * E[‖ŵ_n − w*‖² | X] = ‖c_n(M)Δ‖² + σ²·tr(Σ_j b_{n,j}(M)A⁻¹b_{n,j}(M)ᵀ) for n = 1 … N, from A = XᵀX and A₂ (row-major
 * d×d): with A = LLᵀ and H = L⁻¹A₂L⁻ᵀ = VΛVᵀ, p(M) = L⁻ᵀp(H)Lᵀ, so with W = L⁻ᵀV and u = VᵀLᵀΔ the bias is
 * ‖W c_n(Λ) u‖² and Cov(e_n | X) = σ²W q_n(Λ) Wᵀ (S4). O(d³) per design, O(d²) per model.
 * @source derived here (S4)
 * @proof proofs/strong-collapse.md#S4
 */
export function strongChainConditional(
  polynomials: StrongChainPolynomials<number>, gram: Float64Array, teacherGram: Float64Array, shift: ArrayLike<number>, sigma2: number, d: number, F: Arithmetic<number>,
): StrongConditional[] {
  // L (lower) with A = LLᵀ, then Linv = L⁻¹
  const L = new Float64Array(gram);
  for (let j = 0; j < d; j++) {
    let diagonal = L[j * d + j];
    for (let k = 0; k < j; k++) diagonal -= L[j * d + k] ** 2;
    if (!(diagonal > 0)) throw new UsageError('the design XᵀX is singular: use more samples than features');
    L[j * d + j] = Math.sqrt(diagonal);
    for (let i = j + 1; i < d; i++) {
      let s = L[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = s / L[j * d + j];
    }
    for (let k = j + 1; k < d; k++) L[j * d + k] = 0;
  }
  const Linv = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i * d + k] * Linv[k * d + c];
      Linv[i * d + c] = s / L[i * d + i];
    }
  }
  // H = L⁻¹ A₂ L⁻ᵀ (symmetric), its eigenvectors V and eigenvalues λ ∈ [0, 1]
  const H: number[][] = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const T = new Float64Array(d * d); // L⁻¹A₂
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += Linv[i * d + k] * teacherGram[k * d + j];
    T[i * d + j] = s;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k <= j; k++) s += T[i * d + k] * Linv[j * d + k];
    H[i][j] = s;
    H[j][i] = s;
  }
  const evd = new EigenvalueDecomposition(new Matrix(H), { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  // W = L⁻ᵀV (columns w_k), K = WᵀW, u = VᵀLᵀΔ
  const W = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    let s = 0;
    for (let m = i; m < d; m++) s += Linv[m * d + i] * V.get(m, k);
    W[i * d + k] = s;
  }
  const K = new Float64Array(d * d);
  for (let k = 0; k < d; k++) for (let l = 0; l <= k; l++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += W[i * d + k] * W[i * d + l];
    K[k * d + l] = s;
    K[l * d + k] = s;
  }
  const LtDelta = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let m = i; m < d; m++) s += L[m * d + i] * shift[m];
    LtDelta[i] = s;
  }
  const u = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += V.get(i, k) * LtDelta[i];
    u[k] = s;
  }
  const cu = new Float64Array(d);
  const q = new Float64Array(d);
  const Kcu = new Float64Array(d);
  return polynomials.shift.map((c, n) => {
    for (let k = 0; k < d; k++) {
      cu[k] = evaluatePolynomial(c, lambda[k], F) * u[k];
      q[k] = sigma2 * evaluatePolynomial(polynomials.noise[n], lambda[k], F);
    }
    let bias = 0;
    let variance = 0;
    let chi4 = 0;
    let gauss = 0;
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let l = 0; l < d; l++) {
        s += K[k * d + l] * cu[l];
        chi4 += q[k] * q[l] * K[k * d + l] ** 2;
      }
      Kcu[k] = s;
      bias += cu[k] * s;
      variance += q[k] * K[k * d + k];
    }
    for (let k = 0; k < d; k++) gauss += q[k] * Kcu[k] ** 2;
    return { bias, variance, chi4, gauss };
  });
}
