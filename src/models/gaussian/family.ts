/**
 * Gaussian fitting as a ModelFamily: the real distribution is N(0, I_d); a model is N(μ̂, Σ̂) fit on a weighted pool
 * (MLE or unbiased covariance, or the mean only with Σ̂ = I known). Host float64 on typed arrays; every draw from
 * the key it is given. A data set's mean and covariance are computed once and cached, so a fit on an accumulated
 * pool of n sets costs O(n·d²), not O(n·m·d²).
 */
import { KeyedGenerator, type Key } from '../../core/rng.js';
import type { Estimator } from '../../theory/gaussian.js';
import type { Metrics, ModelFamily, Pool } from '../model.js';
import { psdCholesky, symmetricEigenvalues } from './matrix.js';

/** `rows` items of R^dim, row-major. */
export interface GaussianData {
  readonly rows: number;
  readonly dim: number;
  readonly x: Float64Array;
  /** the set's mean and own covariance, filled on first use (a WeakMap cache costs more in GC than the fit) */
  stats?: SetStats;
}

/** A fitted Gaussian N(μ̂, Σ̂), with Σ̂'s Cholesky factor. */
export interface GaussianModel {
  /** μ̂ (d) */
  readonly mean: Float64Array;
  /** Σ̂ (d×d, row-major) */
  readonly covariance: Float64Array;
  /** L with LLᵀ = Σ̂ (lower, row-major), for sampling and log det */
  readonly factor: Float64Array;
}

/** Options of {@link gaussianFamily}: the dimension, the covariance estimator, and whether the variance is known. */
export interface GaussianOptions {
  dim: number;
  estimator: Estimator;
  /** fit only the mean; Σ̂ = Σ₀ = I */
  knownVariance?: boolean;
}

/** A data set's mean and MLE covariance, cached on the set. */
export interface SetStats {
  mean: Float64Array;
  /** the set's own MLE covariance (1/rows)·Σ(x − x̄)(x − x̄)ᵀ */
  covariance: Float64Array;
}

function statistics(data: GaussianData): SetStats {
  const { rows, dim: d, x } = data;
  const mean = new Float64Array(d);
  const covariance = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= rows;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) {
      const cj = x[r * d + j] - mean[j];
      for (let k = 0; k <= j; k++) covariance[j * d + k] += cj * (x[r * d + k] - mean[k]);
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      covariance[j * d + k] /= rows;
      covariance[k * d + j] = covariance[j * d + k];
    }
  }
  return { mean, covariance };
}

/**
 * The weighted fit (proofs/gaussian.md, setting): μ̂ = Σ_p a_p x̄_p and
 * Σ̂_MLE = Σ_p a_p [C_p + (x̄_p − μ̂)(x̄_p − μ̂)ᵀ] (C_p the part's own MLE covariance) — the weighted covariance of all
 * pooled items, each of part p weighing a_p/rows_p; unbiased: Σ̂_MLE / (1 − Σ_i w_i²), Σ_i w_i² = Σ_p a_p²/rows_p.
 */
export function fitGaussian(pool: Pool<GaussianData>, options: GaussianOptions, stats: (data: GaussianData) => SetStats = statistics): GaussianModel {
  const d = options.dim;
  const mean = new Float64Array(d);
  const covariance = new Float64Array(d * d);
  for (const part of pool) {
    const own = stats(part.data).mean;
    for (let j = 0; j < d; j++) mean[j] += part.weight * own[j];
  }
  if (options.knownVariance) {
    for (let j = 0; j < d; j++) covariance[j * d + j] = 1;
  } else {
    let squares = 0;
    for (const { data, weight } of pool) {
      const own = stats(data);
      squares += (weight * weight) / data.rows;
      for (let j = 0; j < d; j++) {
        const dj = own.mean[j] - mean[j];
        for (let k = 0; k <= j; k++) covariance[j * d + k] += weight * (own.covariance[j * d + k] + dj * (own.mean[k] - mean[k]));
      }
    }
    const scale = options.estimator === 'mle' ? 1 : 1 / (1 - squares);
    for (let j = 0; j < d; j++) {
      for (let k = 0; k <= j; k++) {
        covariance[j * d + k] *= scale;
        covariance[k * d + j] = covariance[j * d + k];
      }
    }
  }
  const factor = new Float64Array(d * d);
  psdCholesky(covariance, d, factor);
  return { mean, covariance, factor };
}

/** Draw `n` items of N(mean, LLᵀ) from `key` (L lower); without a model, N(0, I). */
function draw(n: number, d: number, key: Key, mean: Float64Array | null, factor: Float64Array | null): GaussianData {
  const generator = new KeyedGenerator(key);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = generator.normal();
  if (factor && mean) {
    // x_r ← μ + L z_r in place: row j of L z only reads z_k for k ≤ j, so go from the last coordinate down
    for (let r = 0; r < n; r++) {
      const row = r * d;
      for (let j = d - 1; j >= 0; j--) {
        let v = mean[j];
        for (let k = 0; k <= j; k++) v += factor[j * d + k] * x[row + k];
        x[row + j] = v;
      }
    }
  }
  return { rows: n, dim: d, x };
}

/**
 * Metrics of N(μ̂, Σ̂) against the real N(0, I_d) (no test data needed):
 * traceRatio tr Σ̂/d; detRatio det Σ̂; logDetRatio log det Σ̂; sdRatio √(tr Σ̂/d); meanError ‖μ̂‖²;
 * w2Squared = ‖μ̂‖² + Σ_i (√λ_i − 1)² (λ the eigenvalues of Σ̂; the closed form between Gaussians with Σ₀ = I,
 * proofs/gaussian.md#G8) and w2 its square root.
 */
export function gaussianMetrics(model: GaussianModel, d: number, scratch = { a: new Float64Array(d * d), values: new Float64Array(d), off: new Float64Array(d) }): Metrics {
  const { mean, covariance, factor } = model;
  let trace = 0;
  let logDet = 0;
  let meanError = 0;
  for (let j = 0; j < d; j++) {
    trace += covariance[j * d + j];
    logDet += 2 * Math.log(factor[j * d + j]);
    meanError += mean[j] * mean[j];
  }
  let spread = 0; // Σ_i (√λ_i − 1)²
  if (d === 1) spread = (Math.sqrt(Math.max(0, covariance[0])) - 1) ** 2;
  else {
    scratch.a.set(covariance);
    symmetricEigenvalues(scratch.a, d, scratch.values, scratch.off);
    for (let i = 0; i < d; i++) spread += (Math.sqrt(Math.max(0, scratch.values[i])) - 1) ** 2;
  }
  const w2Squared = meanError + spread;
  return {
    traceRatio: trace / d,
    detRatio: Math.exp(logDet),
    logDetRatio: logDet,
    sdRatio: Math.sqrt(trace / d),
    meanError,
    w2: Math.sqrt(w2Squared),
    w2Squared,
  };
}

/** Gaussian fitting as a {@link ModelFamily}: real data N(0, I_d); the fit is the weighted mean and covariance of the pool ({@link fitGaussian}); samples are μ̂ + L̂z; metrics compare N(μ̂, Σ̂) with N(0, I) (trace and det ratios, W2). */
export function gaussianFamily(options: GaussianOptions): ModelFamily<GaussianModel, GaussianData> {
  const d = options.dim;
  const stats = (data: GaussianData): SetStats => (data.stats ??= statistics(data));
  const scratch = { a: new Float64Array(d * d), values: new Float64Array(d), off: new Float64Array(d) };
  return {
    name: 'gaussian',
    real: async (n, key) => draw(n, d, key, null, null),
    fit: async (pool) => fitGaussian(pool, options, stats),
    sample: async (model, n, key) => draw(n, d, key, model.mean, model.factor),
    evaluate: async (model) => gaussianMetrics(model, d, scratch),
    size: (data) => data.rows,
    take: (data, rows) => {
      const x = new Float64Array(rows.length * d);
      rows.forEach((r, i) => x.set(data.x.subarray(r * d, (r + 1) * d), i * d));
      return { rows: rows.length, dim: d, x };
    },
    score: (data, verifier, model) => likelihoodScores(data, verifier, model),
    concat: (sets) => {
      const x = new Float64Array(sets.reduce((n, set) => n + set.x.length, 0));
      let at = 0;
      for (const set of sets) x.set(set.x, (at += set.x.length) - set.x.length);
      return { rows: x.length / d, dim: d, x };
    },
  };
}

/** The verifiers of the Gaussian family (`--verifier`). */
export const GAUSSIAN_VERIFIERS = ['likelihood'] as const;

/**
 * Verifier 'likelihood': log(p(x)/p(μ̂)) = −½(x − μ̂)ᵀΣ̂⁻¹(x − μ̂) under the model that generated x (≤ 0; the
 * items nearest the mean score highest), so `threshold:τ` keeps a Mahalanobis ball of radius² −2τ (proofs/curation.md#V1).
 */
export function likelihoodScores(data: GaussianData, verifier: string, model: GaussianModel): Float64Array {
  if (verifier !== 'likelihood') throw new Error(`gaussian family: no verifier ${JSON.stringify(verifier)} (verifiers: ${GAUSSIAN_VERIFIERS.join(', ')})`);
  const { rows, dim: d, x } = data;
  const { mean, factor } = model;
  const out = new Float64Array(rows);
  const z = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      // forward substitution L z = x − μ̂
      let v = x[r * d + j] - mean[j];
      for (let k = 0; k < j; k++) v -= factor[j * d + k] * z[k];
      z[j] = v / factor[j * d + j];
      sum += z[j] * z[j];
    }
    out[r] = -0.5 * sum;
  }
  return out;
}
