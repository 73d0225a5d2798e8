/**
 * The categorical (token) family as a ModelFamily: a model is a distribution over K outcomes, fit as the weighted
 * empirical frequency of its pool (the MLE); sampling draws m outcomes from it. Under replace this is neutral
 * Wright–Fisher resampling. Models are sparse (only outcomes seen in the pool), so a step costs O(m log m + support)
 * whatever K is; the real distribution is sampled by binary search on its cumulative sums.
 */
import { KeyedGenerator, type Key } from '../../core/rng.js';
import type { Metrics, ModelFamily, Pool } from '../model.js';
import { searchCumulative, type RealDistribution } from './distribution.js';

/** m draws: outcome indices. */
export interface CategoricalData {
  readonly items: Uint32Array;
}

/** p over its support: p[j] is the probability of outcome outcomes[j] (every p[j] > 0). */
export interface CategoricalModel {
  readonly outcomes: Uint32Array;
  readonly p: Float64Array;
  readonly cumulative: Float64Array;
}

/** Draw n outcomes by inverse CDF on `cumulative` (u in (0, 1], so a zero-mass outcome is never drawn). */
function draw(n: number, key: Key, cumulative: Float64Array, map: Uint32Array | null): CategoricalData {
  const generator = new KeyedGenerator(key);
  const items = new Uint32Array(n);
  const total = cumulative[cumulative.length - 1];
  for (let r = 0; r < n; r++) {
    const j = searchCumulative(cumulative, generator.uniform() * total);
    items[r] = map ? map[j] : j;
  }
  return { items };
}

/** The weighted empirical distribution of a pool: each item of part q weighs a_q / size_q. */
export function fitCategorical(pool: Pool<CategoricalData>, scratch: Float64Array): CategoricalModel {
  const touched: number[] = [];
  for (const { data, weight } of pool) {
    const each = weight / data.items.length;
    for (const i of data.items) {
      if (scratch[i] === 0) touched.push(i);
      scratch[i] += each;
    }
  }
  touched.sort((a, b) => a - b);
  const outcomes = Uint32Array.from(touched);
  const p = new Float64Array(touched.length);
  const cumulative = new Float64Array(touched.length);
  let sum = 0;
  touched.forEach((i, j) => {
    p[j] = scratch[i];
    cumulative[j] = sum += scratch[i];
    scratch[i] = 0;
  });
  return { outcomes, p, cumulative };
}

/** The metric names of `collapse categorical`, report order; collision is iterations[].mean. */
export const CATEGORICAL_METRICS = ['collision', 'squaredDistance', 'surviving', 'tailMassLost', 'entropy'] as const;

/**
 * collision Σ p_i²; squaredDistance ‖p − π‖²; surviving #{i: p_i > 0}; tailMassLost Σ_{i: p_i = 0} π_i, the real
 * mass the model cannot produce any more; entropy −Σ p_i ln p_i (nats).
 */
export function categoricalMetrics(model: CategoricalModel, real: RealDistribution): Metrics {
  let collision = 0;
  let entropy = 0;
  let kept = 0;
  let near = 0; // Σ over the support of (p_i − π_i)²
  let keptSquares = 0;
  model.outcomes.forEach((i, j) => {
    const p = model.p[j];
    const q = real.probabilities[i];
    collision += p * p;
    entropy -= p * Math.log(p);
    kept += q;
    near += (p - q) * (p - q);
    keptSquares += q * q;
  });
  return {
    collision,
    squaredDistance: near + Math.max(0, real.s0 - keptSquares),
    surviving: model.outcomes.length,
    tailMassLost: Math.max(0, 1 - kept),
    entropy,
  };
}

/** The categorical family over the real distribution π: empirical-frequency fits, draws by inverse CDF, verifier 'probability'. */
export function categoricalFamily(real: RealDistribution): ModelFamily<CategoricalModel, CategoricalData> {
  const scratch = new Float64Array(real.probabilities.length);
  return {
    name: 'categorical',
    real: async (n, key) => draw(n, key, real.cumulative, null),
    fit: async (pool) => fitCategorical(pool, scratch),
    sample: async (model, n, key) => draw(n, key, model.cumulative, model.outcomes),
    evaluate: async (model) => categoricalMetrics(model, real),
    size: (data) => data.items.length,
    take: (data, rows) => ({ items: Uint32Array.from(rows, (r) => data.items[r]) }),
    score: (data, verifier, model) => probabilityScores(data, verifier, model),
    concat: (sets) => {
      const items = new Uint32Array(sets.reduce((n, set) => n + set.items.length, 0));
      let at = 0;
      for (const set of sets) items.set(set.items, (at += set.items.length) - set.items.length);
      return { items };
    },
  };
}

/** The verifiers of the categorical family (`--verifier`). */
export const CATEGORICAL_VERIFIERS = ['probability'] as const;

/** Verifier 'probability': the generating model's probability p_i of each drawn outcome i (0 off its support). */
export function probabilityScores(data: CategoricalData, verifier: string, model: CategoricalModel): Float64Array {
  if (verifier !== 'probability') throw new Error(`categorical family: no verifier ${JSON.stringify(verifier)} (verifiers: ${CATEGORICAL_VERIFIERS.join(', ')})`);
  return Float64Array.from(data.items, (i) => {
    let lo = 0; // outcomes is sorted: binary search for i
    let hi = model.outcomes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (model.outcomes[mid] < i) lo = mid + 1;
      else hi = mid;
    }
    return model.outcomes[lo] === i ? model.p[lo] : 0;
  });
}
