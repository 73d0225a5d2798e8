/**
 * A model family of your own, in TypeScript: the Laplace scale model behind docs/your-own-model.md.
 * Real data are Laplace(0, b) items; a model is the scale b̂ = Σ weight·|x| over the pool, the maximum-likelihood
 * estimate when the location is known to be 0; sampling draws Laplace(0, b̂). test/api/package.test.ts installs the
 * packed package in a separate directory, runs this file from there and checks it against its closed form.
 */
import { KeyedGenerator, type Key, type ModelFamily } from 'collapse-lab';

export interface LaplaceModel {
  readonly scale: number;
}

export function laplaceFamily(scale = 1): ModelFamily<LaplaceModel, Float64Array> {
  // |x| of Laplace(0, b) is Exp(mean b): b·(−ln u) with u uniform on (0, 1]; the sign is a separate coin
  const draw = (b: number, n: number, key: Key) => {
    const random = new KeyedGenerator(key);
    return Float64Array.from({ length: n }, () => (random.uniform() < 0.5 ? -b : b) * -Math.log(random.uniform()));
  };
  return {
    name: 'laplace',
    real: async (n, key) => draw(scale, n, key),
    // each item of a part carries part.weight / part size (PoolPart): the weighted mean of |x|
    fit: async (pool) => ({ scale: pool.reduce((sum, part) => sum + (part.weight / part.data.length) * part.data.reduce((a, x) => a + Math.abs(x), 0), 0) }),
    sample: async (model, n, key) => draw(model.scale, n, key),
    evaluate: async (model) => ({ scale: model.scale, logScaleRatio: Math.log(model.scale / scale) }),
    size: (data) => data.length,
    take: (data, rows) => Float64Array.from(rows, (r) => data[r]),
  };
}
