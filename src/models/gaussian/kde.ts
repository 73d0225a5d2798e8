/**
 * Kernel density estimation as a ModelFamily (Kazdan et al. 2024, arXiv:2410.16713, KDE task-setting): a model is the
 * weighted pool itself with a Gaussian kernel of fixed bandwidth h, p̂(x) = Σ_i w_i N(x; x_i, h²I). Sampling picks an
 * item with probability w_i and adds N(0, h²I); evaluation is the mean negative log-likelihood of held-out real
 * data. Monte Carlo only: no closed form is printed for it.
 */
import { KeyedGenerator, type Key } from '../../core/rng.js';
import type { Metrics, ModelFamily } from '../model.js';
import type { GaussianData } from './family.js';

/** A fitted kernel density estimate: its items and their weights. */
export interface KdeModel {
  /** the pooled items, row-major, and their weights (summing to 1) */
  readonly x: Float64Array;
  readonly weights: Float64Array;
  readonly rows: number;
}

/** Options of {@link kdeFamily}: the dimension and the kernel bandwidth h. */
export interface KdeOptions {
  dim: number;
  /** kernel bandwidth h (standard deviation of the Gaussian kernel) */
  bandwidth: number;
  /** an aborted signal stops an evaluation in progress (it throws signal.reason) */
  signal?: AbortSignal;
}

/** Silverman's rule of thumb for N(0, I_d) data of n items: h = (4/((d + 2)n))^{1/(d + 4)}. */
export function silvermanBandwidth(dim: number, n: number): number {
  return (4 / ((dim + 2) * n)) ** (1 / (dim + 4));
}

function draw(n: number, d: number, key: Key, model: KdeModel | null, h: number): GaussianData {
  const generator = new KeyedGenerator(key);
  const x = new Float64Array(n * d);
  let cumulative: Float64Array | null = null;
  if (model) {
    cumulative = new Float64Array(model.rows);
    let sum = 0;
    for (let i = 0; i < model.rows; i++) cumulative[i] = sum += model.weights[i];
  }
  for (let r = 0; r < n; r++) {
    let centre = -1;
    if (model && cumulative) {
      // binary search for the item whose cumulative weight first exceeds u·total
      const u = (1 - generator.uniform()) * cumulative[model.rows - 1];
      let lo = 0;
      let hi = model.rows - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      centre = lo;
    }
    for (let j = 0; j < d; j++) x[r * d + j] = (model ? model.x[centre * d + j] + h * generator.normal() : generator.normal());
  }
  return { rows: n, dim: d, x };
}

/** −log p̂(t) of held-out item t (log-sum-exp over the pool); `exponents` is scratch of the pool's length. */
function itemNll(model: KdeModel, logWeights: Float64Array, exponents: Float64Array, test: GaussianData, t: number, d: number, h: number): number {
  const { x, rows } = model;
  let largest = -Infinity;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (test.x[t * d + j] - x[i * d + j]) ** 2;
    const e = logWeights[i] - s / (2 * h * h);
    exponents[i] = e;
    if (e > largest) largest = e;
  }
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += Math.exp(exponents[i] - largest);
  return -(-0.5 * d * Math.log(2 * Math.PI * h * h) + largest + Math.log(sum));
}

/** The pool's weighted spread tr Σ_pool and its mean's squared norm. */
function poolMoments(model: KdeModel, d: number): { spread: number; meanError: number } {
  const { x, weights, rows } = model;
  const mean = new Float64Array(d);
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) mean[j] += weights[i] * x[i * d + j];
  let spread = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) spread += weights[i] * (x[i * d + j] - mean[j]) ** 2;
  let meanError = 0;
  for (let j = 0; j < d; j++) meanError += mean[j] * mean[j];
  return { spread, meanError };
}

/**
 * Metrics of a KDE against the real N(0, I_d): heldOutNll, the mean of −log p̂(t) over held-out real items t
 * (log-sum-exp over the pool); traceRatio, the KDE's own covariance tr(Σ_pool + h²I)/d with Σ_pool the weighted
 * covariance of the pooled items; meanError, ‖Σ_i w_i x_i‖².
 */
export function kdeMetrics(model: KdeModel, test: GaussianData, d: number, h: number): Metrics {
  const { spread, meanError } = poolMoments(model, d);
  const logWeights = Float64Array.from(model.weights, (w) => Math.log(w));
  const exponents = new Float64Array(model.rows);
  let nll = 0;
  for (let t = 0; t < test.rows; t++) nll += itemNll(model, logWeights, exponents, test, t, d, h);
  return { heldOutNll: nll / test.rows, traceRatio: (spread + d * h * h) / d, meanError };
}

/**
 * kdeMetrics (the same sums, in the same order) that lets the event loop run every ~50 ms and stops with
 * signal.reason once aborted: at --samples 1000000 one evaluation is minutes of work, and SIGINT must still stop it.
 */
async function kdeMetricsInterruptible(model: KdeModel, test: GaussianData, d: number, h: number, signal?: AbortSignal): Promise<Metrics> {
  const { spread, meanError } = poolMoments(model, d);
  const logWeights = Float64Array.from(model.weights, (w) => Math.log(w));
  const exponents = new Float64Array(model.rows);
  let nll = 0;
  let last = performance.now();
  for (let t = 0; t < test.rows; t++) {
    nll += itemNll(model, logWeights, exponents, test, t, d, h);
    if (signal && performance.now() - last > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      last = performance.now();
    }
  }
  return { heldOutNll: nll / test.rows, traceRatio: (spread + d * h * h) / d, meanError };
}

/** Kernel density estimation as a {@link ModelFamily}: the fit is the pooled items with their weights, a sample picks an item by weight and adds N(0, h²I), and the metric is the mean test log-likelihood on held-out N(0, I) data (Monte Carlo only: no closed form). */
export function kdeFamily(options: KdeOptions): ModelFamily<KdeModel, GaussianData> {
  const { dim: d, bandwidth: h } = options;
  return {
    name: 'kde',
    real: async (n, key) => draw(n, d, key, null, h),
    fit: async (pool) => {
      const rows = pool.reduce((total, part) => total + part.data.rows, 0);
      const x = new Float64Array(rows * d);
      const weights = new Float64Array(rows);
      let offset = 0;
      for (const part of pool) {
        x.set(part.data.x, offset * d);
        weights.fill(part.weight / part.data.rows, offset, offset + part.data.rows);
        offset += part.data.rows;
      }
      return { x, weights, rows };
    },
    sample: async (model, n, key) => draw(n, d, key, model, h),
    evaluate: (model, test) => kdeMetricsInterruptible(model, test, d, h, options.signal),
    size: (data) => data.rows,
    take: (data, rows) => {
      const x = new Float64Array(rows.length * d);
      rows.forEach((r, i) => x.set(data.x.subarray(r * d, (r + 1) * d), i * d));
      return { rows: rows.length, dim: d, x };
    },
  };
}
