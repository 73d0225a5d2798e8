/**
 * Curation by a verifier (proofs/curation.md): what the loop's filter (src/loop/curation.ts) does to the Gaussian
 * family (a truncated-normal factor per generation), and where fixed-design regression with a verifier goes in the long
 * run (the verifier's "knowledge centre", Yi, Liu, Cheng & Xu 2025, arXiv:2510.16657). Everything here is exact
 * except {@link thresholdGapApproximation}, which is a linearisation and says so.
 */
import { fraction } from '../core/fraction.js';
import { logGamma } from '../core/special.js';
import { erfc } from '../core/stats.js';
import type { CurationRule } from '../loop/curation.js';
import type { Arithmetic } from './categorical.js';

/**
 * S(a, x) − 1 = Σ_{n≥1} xⁿ/((a+1)…(a+n)), the series of the regularised lower incomplete gamma function:
 * P(a, x) = xᵃe⁻ˣ/Γ(a+1) · S(a, x). Summed without the leading 1, so small x loses no digits.
 */
function gammaSeriesTail(a: number, x: number): number {
  let term = 1;
  let sum = 0;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

/**
 * P(a, x) = γ(a, x)/Γ(a), the regularised lower incomplete gamma function (the CDF of Gamma(a) at x; χ²_d at 2x
 * for a = d/2), by its power series.
 * @source Abramowitz & Stegun 1964, 6.5.29 (the series of γ(a, x))
 * @proof proofs/curation.md#V1
 */
export function regularizedGammaP(a: number, x: number): number {
  if (!(x > 0)) return 0;
  if (x > a + 60 * Math.sqrt(a + 1) + 60) return 1; // Q(a, x) < 1e-17 there
  return Math.exp(a * Math.log(x) - x - logGamma(a + 1)) * (1 + gammaSeriesTail(a, x));
}

/**
 * ρ_d(x) = E[‖z‖² | ‖z‖² ≤ 2x]/d for z ~ N(0, I_d) = P(d/2 + 1, x)/P(d/2, x) = 1 − 1/S(d/2, x): the covariance
 * factor of a standard normal truncated to the Mahalanobis ball of radius² 2x (d = 1: 1 − 2cφ(c)/(2Φ(c) − 1), c = √(2x)).
 * @source the truncated normal (Johnson, Kotz & Balakrishnan 1994, §13.10); proofs/curation.md#V1
 * @proof proofs/curation.md#V1
 */
export function truncatedVarianceFactor(dim: number, x: number): number {
  if (!(x > 0)) return 0;
  if (x > 700) return 1;
  const tail = gammaSeriesTail(dim / 2, x);
  return tail / (1 + tail);
}

/**
 * E[z⁴ | z² ≤ 2x] for z ~ N(0, 1): 3ρ − 2x(1 − ρ), ρ = ρ₁(x) (the recursion E[z^k; |z| < c] = (k − 1)E[z^{k−2}; |z| < c] − 2c^{k−1}φ(c)).
 * @source Johnson, Kotz & Balakrishnan 1994, §13.10 (moments of the truncated normal)
 * @proof proofs/curation.md#V1
 */
export function truncatedFourthMoment(x: number): number {
  const rho = truncatedVarianceFactor(1, x);
  return 3 * rho - 2 * x * (1 - rho);
}

/** x with P(a, x) = u (0 < u < 1): safeguarded Newton on a bracket. */
function inverseGammaP(a: number, u: number): number {
  let lo = 0;
  let hi = Math.max(1, a);
  while (regularizedGammaP(a, hi) < u) hi *= 2;
  let x = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const f = regularizedGammaP(a, x) - u;
    if (f < 0) lo = x;
    else hi = x;
    if (Math.abs(f) < 1e-15 || hi - lo < 1e-15 * hi) break;
    const density = Math.exp((a - 1) * Math.log(x) - x - logGamma(a));
    const next = x - f / density;
    x = next > lo && next < hi ? next : (lo + hi) / 2;
  }
  return x;
}

/**
 * E g(X) where 2X is the (m+1)-th smallest squared Mahalanobis radius of M i.i.d. N(0, I_d) draws: P(d/2, X) ~
 * Beta(m + 1, M − m). Composite Simpson in x over the Beta's ±12 sd, 4000 panels, normalised by the same rule.
 */
function orderStatisticExpectation(dim: number, m: number, M: number, g: (x: number) => number): number {
  const a = dim / 2;
  const alpha = m + 1;
  const beta = M - m;
  const mean = alpha / (alpha + beta);
  const sd = Math.sqrt((alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1)));
  const lo = inverseGammaP(a, Math.max(1e-300, mean - 12 * sd));
  const hi = inverseGammaP(a, Math.min(1 - 1e-13, mean + 12 * sd));
  const panels = 4000;
  const h = (hi - lo) / panels;
  let mass = 0;
  let sum = 0;
  for (let i = 0; i <= panels; i++) {
    const x = lo + i * h;
    const u = regularizedGammaP(a, x);
    const logDensity = (alpha - 1) * Math.log(u) + (beta - 1) * Math.log1p(-u) + (a - 1) * Math.log(x) - x - logGamma(a);
    const w = (i === 0 || i === panels ? 1 : i % 2 === 1 ? 4 : 2) * Math.exp(logDensity);
    mass += w;
    sum += w * g(x);
  }
  return sum / mass;
}

/**
 * κ, the expected covariance factor of one curated generation under the 'likelihood' verifier: threshold:τ (τ < 0)
 * keeps the ball ‖z‖² ≤ −2τ, κ = ρ_d(−τ); top:q keeps the m nearest of M = ⌈m/q⌉ draws, κ = E ρ_d(X) over the
 * (m+1)-th order statistic (V2); top:1 keeps all, κ = 1.
 * @source Yi et al. 2025, arXiv:2510.16657 (verifier filtering); proofs/curation.md#V1, #V2
 * @proof proofs/curation.md#V2
 */
export function curationFactor(dim: number, m: number, rule: CurationRule, candidates: number): number {
  if (rule.kind === 'threshold') return truncatedVarianceFactor(dim, -rule.tau);
  if (candidates <= m) return 1;
  return orderStatisticExpectation(dim, m, candidates, (x) => truncatedVarianceFactor(dim, x));
}

/** The Gaussian setting of a curated chain: d, m, the estimator and a known variance, as `collapse gaussian` has them. */
export interface CuratedGaussianSetting {
  dim: number;
  samples: number;
  estimator: 'mle' | 'unbiased';
  knownVariance: boolean;
}

/**
 * Replace with a curated synthetic set each generation (the first model is fit on real data):
 * E tr Σ̂_n/tr Σ₀ = cⁿ κ^{n−1} (c = (m − 1)/m for the MLE, 1 unbiased; 1 with a known variance) and
 * E‖μ̂_n − μ‖² = d/m + (κd/m) Σ_{j<n} E tr Σ̂_j/tr Σ₀.
 * @source Yi et al. 2025, arXiv:2510.16657 (filtering); Shumailov et al. 2024 (the uncurated chain, κ = 1)
 * @proof proofs/curation.md#V3
 */
export function curatedGaussianReplace(setting: CuratedGaussianSetting, kappa: number, iterations: number): { traceRatio: number[]; meanError: number[] } {
  const { dim: d, samples: m } = setting;
  const c = setting.knownVariance ? 1 : setting.estimator === 'mle' ? (m - 1) / m : 1;
  const k = setting.knownVariance ? 1 : kappa; // the known covariance is never refit: only the mean feels κ
  const traceRatio: number[] = [];
  const meanError: number[] = [];
  let error = d / m;
  for (let n = 1; n <= iterations; n++) {
    const ratio = c ** n * k ** (n - 1);
    if (n > 1) error += (kappa * d * traceRatio[n - 2]) / m;
    traceRatio.push(ratio);
    meanError.push(error);
  }
  return { traceRatio, meanError };
}

/**
 * d = 1, fitted variance: E[(σ̂²_n/σ₀²)²] = E f₁² · (E f²)^{n−1}, with E f₁² = (m² − 1)/m² (MLE) and, per curated
 * generation, E f² = E[((m−1)²μ₄ + (m−1)(m² − 2m + 3)μ₂²)/m³] over the truncation (μ₂ = ρ₁, μ₄ the truncated
 * fourth moment); unbiased: each factor times (m/(m − 1))². With {@link curatedGaussianReplace} it gives the exact
 * variance of the trace ratio, which sizes the verify band (V4).
 * @source the moments of the sample variance (Cramér 1946, §27.4) of truncated-normal items
 * @proof proofs/curation.md#V4
 */
export function curatedTraceSecondMoment(m: number, estimator: 'mle' | 'unbiased', rule: CurationRule, candidates: number, iterations: number): number[] {
  const second = (x: number) => {
    const mu2 = truncatedVarianceFactor(1, x);
    const mu4 = truncatedFourthMoment(x);
    return ((m - 1) ** 2 * mu4 + (m - 1) * (m * m - 2 * m + 3) * mu2 * mu2) / m ** 3;
  };
  const scale = estimator === 'mle' ? 1 : (m / (m - 1)) ** 2;
  const first = ((m * m - 1) / (m * m)) * scale;
  const curated = (rule.kind === 'threshold' ? second(-rule.tau) : candidates <= m ? ((m - 1) * (m + 1)) / m ** 2 : orderStatisticExpectation(1, m, candidates, second)) * scale;
  return Array.from({ length: iterations }, (_, n) => first * curated ** n);
}

/** The fixed-design regression setting of `collapse curate`: d, T, σ², the verifier's bias b, λ and rank k. */
export interface ProjectingSetting<T> {
  dim: number;
  samples: number;
  sigma2: T;
  /** b² = ‖w_v − w*‖² */
  bias2: T;
  /** λ ∈ (0, 1] */
  strength: T;
  /** k: the verifier's subspace is spanned by the first k coordinates */
  rank: number;
}

/**
 * The projecting verifier under replace (rows of X i.i.d. N(0, I_d), Δ = (b/√d)·1, r = (1 − λ)²):
 * E‖ŵ_n − w*‖² = (1 − (1−λ)^{n−1})²·b²k/d + σ²/(T − d − 1)·[n(d − k) + k(Σ_{j=1}^{n−1} r^j + r^{n−1})]. Generic in
 * the arithmetic (exact on rationals). The mean tends to the knowledge centre c = Pw_v + (I − P)w*.
 * @source Yi, Liu, Cheng & Xu 2025, arXiv:2510.16657 §4 (convergence to the verifier's knowledge centre)
 * @proof proofs/curation.md#V5
 */
export function projectingError<T>(setting: ProjectingSetting<T>, iterations: number, F: Arithmetic<T>): T[] {
  const { dim: d, samples: T, rank: k } = setting;
  const keep = F.sub(F.one, setting.strength); // 1 − λ
  const r = F.mul(keep, keep);
  const perTrace = F.div(setting.sigma2, F.of(fraction(T - d - 1)));
  const bias = F.div(F.mul(setting.bias2, F.of(fraction(k))), F.of(fraction(d)));
  const out: T[] = [];
  let power = F.one; // (1 − λ)^{n−1}
  let rPower = F.one; // r^{n−1}
  let rSum = F.zero; // Σ_{j=1}^{n−1} r^j
  for (let n = 1; n <= iterations; n++) {
    const pull = F.sub(F.one, power);
    const noise = F.add(F.of(fraction(n * (d - k))), F.mul(F.of(fraction(k)), F.add(rSum, rPower)));
    out.push(F.add(F.mul(F.mul(pull, pull), bias), F.mul(perTrace, noise)));
    power = F.mul(power, keep);
    rPower = F.mul(rPower, r);
    rSum = F.add(rSum, rPower);
  }
  return out;
}

/**
 * The limit of {@link projectingError} for a full-rank verifier (k = d, 0 < λ ≤ 1): b² + σ²d/(T − d − 1)·r/(1 − r),
 * r = (1 − λ)²; null for k < d (the error outside the verifier's subspace grows like n·σ²(d − k)/(T − d − 1)).
 * @source Yi et al. 2025, arXiv:2510.16657 §4; proofs/curation.md#V5
 * @proof proofs/curation.md#V5
 */
export function projectingLimit<T>(setting: ProjectingSetting<T>, F: Arithmetic<T>): T | null {
  if (setting.rank < setting.dim) return null;
  const keep = F.sub(F.one, setting.strength);
  const r = F.mul(keep, keep);
  const noise = F.div(F.mul(setting.sigma2, F.of(fraction(setting.dim))), F.of(fraction(setting.samples - setting.dim - 1)));
  return F.add(setting.bias2, F.mul(noise, F.div(r, F.sub(F.one, r))));
}

/**
 * Given the design (Q = (XᵀX)⁻¹, d×d row-major) and Δ: ŵ_n − w* ~ N(μ_n, Σ_n) with μ_n = (1 − (1−λ)^{n−1})PΔ and
 * Σ_n = σ²[Σ_{j=1}^{n−1} A^jQA^j + A^{n−1}QA^{n−1}], A = I − λP; so E‖ŵ_n − w*‖² = ‖μ_n‖² + tr Σ_n and
 * Var‖ŵ_n − w*‖² = 2 tr Σ_n² + 4μ_nᵀΣ_nμ_n (V5).
 * @source Yi et al. 2025, arXiv:2510.16657 §4 (the linear recursion); proofs/curation.md#V5
 * @proof proofs/curation.md#V5
 */
export function projectingConditional(Q: Float64Array, delta: Float64Array, setting: ProjectingSetting<number>, iterations: number): { mean: number[]; variance: number[] } {
  const d = setting.dim;
  const lambda = setting.strength;
  const a = (j: number) => (j < setting.rank ? 1 - lambda : 1); // A is diagonal
  const mean: number[] = [];
  const variance: number[] = [];
  const sum = new Float64Array(d * d); // Σ_{j=1}^{n−1} A^jQA^j
  const power = new Float64Array(d).fill(1); // diag A^{n−1}
  for (let n = 1; n <= iterations; n++) {
    const sigma = Float64Array.from(sum, (s, i) => setting.sigma2 * (s + power[Math.floor(i / d)] * Q[i] * power[i % d]));
    const mu = Float64Array.from(delta, (x, j) => (j < setting.rank ? (1 - power[j]) * x : 0));
    let trace = 0;
    let trace2 = 0;
    let quad = 0;
    let norm = 0;
    for (let i = 0; i < d; i++) {
      trace += sigma[i * d + i];
      norm += mu[i] * mu[i];
      for (let j = 0; j < d; j++) {
        trace2 += sigma[i * d + j] * sigma[j * d + i];
        quad += mu[i] * sigma[i * d + j] * mu[j];
      }
    }
    mean.push(norm + trace);
    variance.push(2 * trace2 + 4 * quad);
    for (let j = 0; j < d; j++) power[j] *= a(j);
    for (let i = 0; i < d * d; i++) sum[i] += power[Math.floor(i / d)] * Q[i] * power[i % d];
  }
  return { mean, variance };
}

/**
 * The residual verifier (keep a synthetic row iff |y − xᵀw_v| ≤ τ, each row redrawn until it passes), one step
 * exactly: given the model's prediction μ = xᵀŵ, the kept label's offset from the verifier, y − xᵀw_v, has mean
 * h(u) = u + σ(φ(α) − φ(β))/(Φ(β) − Φ(α)), u = μ − xᵀw_v, α = (−τ − u)/σ, β = (τ − u)/σ. h is odd with 0 < h' < 1,
 * so w_v is the fixed point of the mean map (V6).
 * @source Yi et al. 2025, arXiv:2510.16657 (thresholding verifier); the truncated normal mean (Johnson, Kotz & Balakrishnan 1994, §13.10)
 * @proof proofs/curation.md#V6
 */
export function truncatedMean(u: number, sigma: number, tau: number): number {
  const a = (-tau - u) / sigma;
  const b = (tau - u) / sigma;
  const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  // the mass Φ(β) − Φ(α) from the tail nearer to zero, so far windows lose no digits
  const cdf = (z: number) => 0.5 * erfc(-z / Math.SQRT2);
  const mass = a > 0 ? cdf(-a) - cdf(-b) : cdf(b) - cdf(a);
  return u + (sigma * (phi(a) - phi(b))) / mass;
}

/**
 * APPROXIMATION (a linearisation, not exact): the residual verifier's stationary E‖ŵ − w_v‖² ≈
 * ρσ²d/((T − d − 1)(1 − ρ²)), ρ = ρ₁(τ²/(2σ²)): near w_v each step is ŵ' ≈ w_v + ρ(ŵ − w_v) + G η, Var η = ρσ².
 * The exact statements are V6 (E ŵ_n → w_v) and error_∞ = b² + E‖ŵ_∞ − w_v‖².
 * @source Yi et al. 2025, arXiv:2510.16657 (the knowledge centre); proofs/curation.md#V6 (the linearisation)
 * @proof proofs/curation.md#V6
 */
export function thresholdGapApproximation(dim: number, samples: number, sigma2: number, tau: number): number {
  const rho = truncatedVarianceFactor(1, (tau * tau) / (2 * sigma2));
  return (rho * sigma2 * dim) / ((samples - dim - 1) * (1 - rho * rho));
}
