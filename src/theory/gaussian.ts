/**
 * Closed forms for recursive Gaussian fitting (`collapse gaussian`), derived in proofs/gaussian.md.
 *
 * Setting: real data N(μ, Σ₀) in R^d (the run uses μ = 0, Σ₀ = I; every ratio below is the same for any μ, Σ₀);
 * every data set has m items; model n is the weighted Gaussian fit on pool n (src/loop/generation-loop.ts: item i
 * of set s carries weight w_i = a_{n,s}/m): μ̂ = Σ w_i x_i, and Σ̂ = Σ w_i (x_i − μ̂)(x_i − μ̂)ᵀ for the MLE, or that
 * divided by 1 − Σ w_i² for the unbiased estimator (the usual 1/(N − 1) when N items weigh 1/N each).
 */
import { logGamma } from '../core/special.js';
import { fraction, type Fraction } from '../core/fraction.js';
import { fractionToNumber } from '../core/fraction.js';
import { dataPlan, type PoolStrategy } from '../strategies/strategy.js';

/** The covariance estimator: 'mle' divides the centred sum of squares by the pool size, 'unbiased' by the pool's effective size minus one (proofs/gaussian.md). */
export type Estimator = 'mle' | 'unbiased';

/** Recursive Gaussian fitting: m items of R^d per data set, N(μ₀, Σ₀) real data, a covariance estimator, and optionally a known variance (fit the mean only). */
export interface GaussianSetting {
  /** d */
  dim: number;
  /** m, items per data set */
  samples: number;
  estimator: Estimator;
  /** fit only the mean; the covariance is known (Σ̂ = Σ₀ always) */
  knownVariance?: boolean;
}

/** The divisor c of one data set's scatter matrix: m (MLE) or m − 1 (unbiased). */
function divisor(m: number, estimator: Estimator): number {
  return estimator === 'mle' ? m : m - 1;
}

/**
 * Replace, MLE: E σ̂²_k / σ² = ((m − 1)/m)^k (1-D; in d dimensions E tr Σ̂_k / tr Σ₀, the same).
 * @source Shumailov et al. 2024, Nature 631:755 (arXiv:2305.17493), the single-Gaussian example; Kazdan et al. 2024, arXiv:2410.16713, multivariate Gaussian task-setting
 * @proof proofs/gaussian.md#G1
 * @example replaceVarianceRatio(10, 2).toString() // returns '0.81'
 */
export function replaceVarianceRatio(m: number, k: number): Fraction {
  return fraction(m - 1, m).pow(k) as Fraction;
}

/**
 * Replace: E det Σ̂_k / det Σ₀ = (Π_{i=1..d} (m − i)/c)^k, c = m (MLE) or m − 1 (unbiased).
 * @source Kazdan et al. 2024, arXiv:2410.16713, multivariate Gaussian under replace; E det of a Wishart from Bartlett's decomposition, Muirhead 1982, Thm 3.2.14
 * @proof proofs/gaussian.md#G2
 * @example replaceDetRatio(2, 10, 1, 'mle').toString() // returns '0.72'
 */
export function replaceDetRatio(d: number, m: number, k: number, estimator: Estimator): Fraction {
  const c = divisor(m, estimator);
  let step = fraction(1);
  for (let i = 1; i <= d; i++) step = step.mul(fraction(m - i, c));
  return step.pow(k) as Fraction;
}

/**
 * ln E[(det Σ̂_k / det Σ₀)^p] along a single-set chain of depth k (replace): by Bartlett's decomposition each fit's
 * det ratio is Π_{i=1..d} χ²_{m−i}/c, independent across fits, and E[(χ²_ν)^p] = 2^p Γ(ν/2 + p)/Γ(ν/2) (p > −ν/2).
 * Every moment of this skewed product is known, which is what verify's finite-sample band for its mean needs.
 * @source Muirhead 1982, Thm 3.2.14 (Bartlett decomposition); moments of χ² (Johnson, Kotz & Balakrishnan 1994, ch. 18)
 * @proof proofs/gaussian.md#G2
 * @example Math.exp(replaceDetRatioLogMoment(1, 10, 1, 'mle', 1)) // returns 0.9000000000000008
 */
export function replaceDetRatioLogMoment(d: number, m: number, k: number, estimator: Estimator, p: number): number {
  const c = divisor(m, estimator);
  let one = 0;
  for (let i = 1; i <= d; i++) one += p * Math.log(2 / c) + logGamma((m - i) / 2 + p) - logGamma((m - i) / 2);
  return k * one;
}

/** Γ(x/2)/Γ((x − 1)/2) for an integer x ≥ 2, by r(x + 2) = r(x)·x/(x − 1) from r(2) = 1/√π, r(3) = √π/2. */
function halfGammaRatio(x: number): number {
  let r = x % 2 === 0 ? 1 / Math.sqrt(Math.PI) : Math.sqrt(Math.PI) / 2;
  for (let y = x % 2 === 0 ? 2 : 3; y < x; y += 2) r *= y / (y - 1);
  return r;
}

/**
 * c4(m) = √(2/(m − 1))·Γ(m/2)/Γ((m − 1)/2), the mean of the unbiased sample standard deviation of m normal items
 * over σ; unbiased replace gives E σ̂_k/σ = c4(m)^k.
 * @source Shumailov et al. 2024, Nature 631:755 (arXiv:2305.17493), single-Gaussian example; c4 as tabulated for control charts (Montgomery, Introduction to Statistical Quality Control)
 * @proof proofs/gaussian.md#G3
 * @example c4(2) // returns 0.7978845608028654
 */
export function c4(m: number): number {
  if (!Number.isInteger(m) || m < 2) throw new RangeError(`c4: m must be an integer ≥ 2; got ${m}`);
  return Math.sqrt(2 / (m - 1)) * halfGammaRatio(m);
}

/**
 * Replace, 1-D: E σ̂_k/σ = (κ·c4(m))^k with κ = 1 (unbiased) or √((m − 1)/m) (MLE).
 * @source Shumailov et al. 2024, Nature 631:755 (arXiv:2305.17493), single-Gaussian example
 * @proof proofs/gaussian.md#G3
 * @example replaceSdRatio(2, 1, 'unbiased') // returns 0.7978845608028654
 */
export function replaceSdRatio(m: number, k: number, estimator: Estimator): number {
  const kappa = estimator === 'mle' ? Math.sqrt((m - 1) / m) : 1;
  return (kappa * c4(m)) ** k;
}

const EULER_GAMMA = 0.5772156649015329;

/** ψ(x/2) for an integer x ≥ 1: ψ(n) = −γ + Σ_{j<n} 1/j, ψ(n + ½) = −γ − 2 ln 2 + Σ_{j≤n} 2/(2j − 1). */
function digammaHalf(x: number): number {
  if (x % 2 === 0) {
    let s = -EULER_GAMMA;
    for (let j = 1; j < x / 2; j++) s += 1 / j;
    return s;
  }
  let s = -EULER_GAMMA - 2 * Math.LN2;
  for (let j = 1; j <= (x - 1) / 2; j++) s += 2 / (2 * j - 1);
  return s;
}

/**
 * Replace: E log(det Σ̂_k / det Σ₀) = k·Σ_{i=1..d} [ψ((m − i)/2) + ln(2/c)] < 0, c = m or m − 1; so det Σ̂_k → 0
 * almost surely even where E σ̂²_k = σ² (unbiased, d = 1).
 * @source Shumailov et al. 2024, Nature 631:755 (arXiv:2305.17493), the variance collapses almost surely; E log det of a Wishart from Bartlett's decomposition, Muirhead 1982, Thm 3.2.14
 * @proof proofs/gaussian.md#G4
 * @example replaceLogDetRatio(1, 3, 1, 'unbiased') // returns -0.5772156649015329
 */
export function replaceLogDetRatio(d: number, m: number, k: number, estimator: Estimator): number {
  if (m <= d) return -Infinity;
  const c = divisor(m, estimator);
  let step = 0;
  for (let i = 1; i <= d; i++) step += digammaHalf(m - i) + Math.log(2 / c);
  return k * step;
}

/**
 * Accumulate, known variance (fit only the mean): E(μ̂_k − μ)² = (σ²/m)·Σ_{i≤k} 1/i² (< π²/6 × the first error).
 * @source Dey & Donoho 2024, arXiv:2410.22812 (Gaussian mean, augment workflow); Gerstgrasser et al. 2024, arXiv:2404.01413 Thm 2 (same recursion)
 * @proof proofs/gaussian.md#G5
 * @example accumulateMeanError(1, 10, 2).toString() // returns '0.125'
 */
export function accumulateMeanError(sigma2: number, m: number, k: number): Fraction {
  let sum = fraction(0);
  for (let i = 1; i <= k; i++) sum = sum.add(fraction(1, i * i));
  return sum.mul(fraction(sigma2)).div(m) as Fraction;
}

/** Per model n = 1 … N: E tr Σ̂_n / tr Σ₀ and E‖μ̂_n − μ‖² / tr Σ₀. */
export interface GaussianMoments<T> {
  traceRatio: T[];
  meanError: T[];
}

/** The G6 recursion in exact rationals (gaussianMomentsNumeric is its float64 copy). */
function exactMoments(strategy: PoolStrategy, setting: GaussianSetting, iterations: number): GaussianMoments<Fraction> {
  const zero = fraction(0);
  const one = fraction(1);
  const m = setting.samples;
  const { sources, added } = dataPlan(strategy, iterations);
  const size = sources.length;
  // index 0 is the real distribution: v_0 = 1, M_0 = 0, b_0 = 0
  const v: Fraction[] = [one];
  const M: Fraction[] = [zero];
  const b: Fraction[][] = [Array.from({ length: size }, () => zero)];
  let existing = 0; // data sets drawn by step n: b_{n,j} = 0 for every later j
  for (let n = 1; n <= iterations; n++) {
    existing += added[n - 1].length;
    const row = Array.from({ length: size }, () => zero);
    let within = zero; // Σ_s a_s (v_{s(s)} + M_{s(s)})
    let squares = zero; // Σ_s a_s²
    strategy.poolWeights(n).forEach((weight, s) => {
      if (Number(weight.n) === 0) return;
      const source = sources[s];
      row[s] = row[s].add(weight);
      for (let j = 0; j < existing; j++) if (Number(b[source][j].n) !== 0) row[j] = row[j].add(weight.mul(b[source][j]));
      within = within.add(weight.mul(v[source].add(M[source])));
      squares = squares.add(weight.mul(weight));
    });
    b.push(row);
    let mean = zero; // M_n = Σ_j b_{n,j}² v_{s(j)} / m
    for (let j = 0; j < existing; j++) mean = mean.add(row[j].mul(row[j]).mul(v[sources[j]]));
    M.push(mean.div(m));
    const mle = within.sub(M[n]);
    v.push(setting.knownVariance ? one : setting.estimator === 'mle' ? mle : mle.div(one.sub(squares.div(m))));
  }
  return { traceRatio: v.slice(1), meanError: M.slice(1) };
}

/**
 * Every weighted strategy, exactly: E tr Σ̂_n/tr Σ₀ = v_n and E‖μ̂_n − μ‖²/tr Σ₀ = M_n with v_0 = 1, M_0 = 0,
 * M_n = Σ_j b_{n,j}² v_{s(j)}/m (b from the pool-weight recursion of proofs/linear-fixed-design.md#P1) and
 * v_n = [Σ_s a_{n,s}(v_{s(s)} + M_{s(s)}) − M_n] / (1 for the MLE, 1 − Σ_s a_{n,s}²/m unbiased); v_n = 1 if known.
 * Replace gives ((m−1)/m)^n (G1); accumulate with known variance (1/m)Σ1/i² (G5). Null for subsampled fits.
 * @source derived here from the pool-weight recursion of Gerstgrasser et al. 2024, arXiv:2404.01413 (proof of Thm 2), applied to Gaussian fitting as in Kazdan et al. 2024, arXiv:2410.16713
 * @proof proofs/gaussian.md#G6
 * @example gaussianMomentsExact(accumulate, { dim: 1, samples: 4, estimator: 'mle' }, 2)?.traceRatio.map(String) // returns ['0.75', '0.703125']
 */
export function gaussianMomentsExact(strategy: PoolStrategy, setting: GaussianSetting, iterations: number): GaussianMoments<Fraction> | null {
  if (strategy.fit === 'subsample') return null;
  return exactMoments(strategy, setting, iterations);
}

/**
 * gaussianMomentsExact in float64: the same recursion on typed arrays, O(N·D²) for D data sets (0.3 s at N = 1000
 * accumulate); relative error a few n·ε, checked against the exact values.
 * @source as gaussianMomentsExact (derived from Gerstgrasser et al. 2024, arXiv:2404.01413, proof of Thm 2)
 * @proof proofs/gaussian.md#G6
 */
export function gaussianMomentsNumeric(strategy: PoolStrategy, setting: GaussianSetting, iterations: number): GaussianMoments<number> | null {
  if (strategy.fit === 'subsample') return null;
  const m = setting.samples;
  const { sources, added } = dataPlan(strategy, iterations);
  const v = new Float64Array(iterations + 1);
  const M = new Float64Array(iterations + 1);
  v[0] = 1;
  const b: Float64Array[] = [new Float64Array(sources.length)];
  let existing = 0;
  for (let n = 1; n <= iterations; n++) {
    existing += added[n - 1].length;
    const a = strategy.poolWeights(n).map(fractionToNumber);
    const row = new Float64Array(sources.length);
    let within = 0;
    let squares = 0;
    for (let s = 0; s < a.length; s++) {
      const weight = a[s];
      if (weight === 0) continue;
      const source = sources[s];
      row[s] += weight;
      if (source > 0) {
        const parent = b[source];
        for (let j = 0; j < existing; j++) row[j] += weight * parent[j];
      }
      within += weight * (v[source] + M[source]);
      squares += weight * weight;
    }
    b.push(row);
    let mean = 0;
    for (let j = 0; j < existing; j++) mean += row[j] * row[j] * v[sources[j]];
    M[n] = mean / m;
    v[n] = setting.knownVariance ? 1 : setting.estimator === 'mle' ? within - M[n] : (within - M[n]) / (1 - squares / m);
  }
  return { traceRatio: Array.from(v.subarray(1)), meanError: Array.from(M.subarray(1)) };
}

/**
 * depth[n − 1] = k when pool n is a single data set whose chain of sources reaches the real data after k fits
 * (replace: k = n; fresh:1: k = 1), else null. Along such a chain Σ̂_n = L (W/c) Lᵀ with W ~ Wishart(m − 1, I)
 * independent of the past, so every multiplicative law of replace holds with k = depth (G1–G4).
 * @source derived here (proofs/gaussian.md#G7); the replace case is Kazdan et al. 2024, arXiv:2410.16713, multivariate Gaussian task-setting
 * @proof proofs/gaussian.md#G7
 * @example singleSetDepths(replace, 3) // returns [1, 2, 3]
 */
export function singleSetDepths(strategy: PoolStrategy, iterations: number): (number | null)[] {
  if (strategy.fit === 'subsample') return new Array<number | null>(iterations).fill(null);
  const { sources } = dataPlan(strategy, iterations);
  const depth: (number | null)[] = [0];
  for (let n = 1; n <= iterations; n++) {
    const a = strategy.poolWeights(n);
    const positive = a.flatMap((w, s) => (Number(w.n) !== 0 ? [s] : []));
    const parent = positive.length === 1 ? depth[sources[positive[0]]] : null;
    depth.push(parent === null ? null : parent + 1);
  }
  return depth.slice(1);
}

/** E‖Z‖ for Z ~ N(0, I_d): √2·Γ((d + 1)/2)/Γ(d/2). */
function chiMean(d: number): number {
  return Math.SQRT2 * halfGammaRatio(d + 1);
}

/** The metric names of `collapse gaussian`, in report order; traceRatio is iterations[].mean. */
export const GAUSSIAN_METRICS = ['traceRatio', 'detRatio', 'logDetRatio', 'medianVarianceRatio', 'sdRatio', 'meanError', 'w2', 'w2Squared'] as const;
/** One metric name of {@link GAUSSIAN_METRICS}. */
export type GaussianMetric = (typeof GAUSSIAN_METRICS)[number];

/**
 * The prediction of every metric at every iteration, or null where no closed form holds (never an approximation):
 * traceRatio and meanError (G6, every weighted strategy); detRatio, logDetRatio and, in 1-D, sdRatio and w2Squared
 * along single-set chains (G1–G4, G7, G8); with a known variance also w2 and the covariance metrics (G8).
 * medianVarianceRatio has none unless the variance is known. Subsampled fits: none, except what a known variance fixes.
 * @source assembled from G1–G8 of proofs/gaussian.md (Shumailov et al. 2024; Kazdan et al. 2024, arXiv:2410.16713; Dey & Donoho 2024, arXiv:2410.22812)
 * @proof proofs/gaussian.md#G8
 */
export function gaussianTheory(strategy: PoolStrategy, setting: GaussianSetting, iterations: number): Record<GaussianMetric, (number | null)[]> {
  const { dim: d, samples: m, estimator } = setting;
  const none = () => new Array<number | null>(iterations).fill(null);
  const out = Object.fromEntries(GAUSSIAN_METRICS.map((name) => [name, none()])) as Record<GaussianMetric, (number | null)[]>;
  const moments = gaussianMomentsNumeric(strategy, setting, iterations);
  if (setting.knownVariance) {
    for (const name of ['traceRatio', 'detRatio', 'medianVarianceRatio', 'sdRatio'] as const) out[name].fill(1);
    out.logDetRatio.fill(0);
    if (moments) {
      out.meanError = moments.meanError.map((x) => d * x);
      out.w2Squared = moments.meanError.map((x) => d * x);
      out.w2 = moments.meanError.map((x) => Math.sqrt(x) * chiMean(d));
    }
    return out;
  }
  if (!moments) return out;
  out.traceRatio = moments.traceRatio;
  out.meanError = moments.meanError.map((x) => d * x);
  const depths = singleSetDepths(strategy, iterations);
  depths.forEach((k, index) => {
    if (k === null) return;
    out.detRatio[index] = fractionToNumber(replaceDetRatio(d, m, k, estimator));
    out.logDetRatio[index] = replaceLogDetRatio(d, m, k, estimator);
    if (d === 1) {
      const sd = replaceSdRatio(m, k, estimator);
      out.sdRatio[index] = sd;
      // W2² = (μ̂ − μ)² + (σ̂ − σ)² in 1-D, σ = 1
      out.w2Squared[index] = moments.meanError[index] + moments.traceRatio[index] - 2 * sd + 1;
    }
  });
  return out;
}

/**
 * fresh:p with the MLE, the G6 recursion's fixed point: E‖μ̂_∞ − μ‖²/tr Σ₀ = M_∞ = (2p² − 2p + 1)/((m − 1)p(2 − p) + 1)
 * and E tr Σ̂_∞/tr Σ₀ = v_∞ = 1 − M_∞ (p in (0, 1]; p = 0 is replace, v_n → 0). The Gaussian counterpart of the
 * linear limit (2p² − 2p + 1)/(p(2 − p)) of proofs/strategy-limits.md#L1, which it approaches as m·M_∞ for large m.
 * @source derived here from G6 (the pool-weight recursion of Gerstgrasser et al. 2024, arXiv:2404.01413, applied to Gaussian fitting); the fresh-data loop of Alemohammad et al. 2023, arXiv:2307.01850
 * @proof proofs/gaussian.md#G10
 * @example freshFixedPoint(fraction(1, 2), 10).meanError.toFraction() // returns '2/31'
 */
export function freshFixedPoint(p: Fraction, m: number): { traceRatio: Fraction; meanError: Fraction } {
  const one = fraction(1);
  const meanError = p.mul(p).mul(2).sub(p.mul(2)).add(one).div(p.mul(fraction(2).sub(p)).mul(m - 1).add(one));
  return { traceRatio: one.sub(meanError), meanError };
}
