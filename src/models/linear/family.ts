/**
 * Fixed-design linear regression as a ModelFamily: the general path through src/loop/, beside the fast batched
 * kernels of src/models/linear/ (monte-carlo.ts). A test fixture: only the agreement test below runs it. One family per trial holds that trial's design X (T×d, rows N(0, I)) and
 * w* ~ N(0, I/d); a data set is T labels over rows of X, y = X w_src + ε, ε ~ N(0, σ²). A fit on a weighted pool is
 * weighted least squares with each row of part p weighing a_p/rows_p, i.e. argmin Σ_g a_g ‖y_g − Xw‖² for whole
 * generations (the fast path's estimator) and ordinary least squares on the drawn rows for a subsample.
 * test/loop/linear-agreement.test.ts checks that both paths agree with each other and with the closed form.
 */
import { NumericError } from '../../core/errors.js';
import { choleskyInPlace, choleskySolve } from '../../core/linalg.js';
import { foldIn, KeyedGenerator, type Key } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import type { Metrics, ModelFamily, Pool } from '../model.js';
import { linearVerifier, type LinearData, type LinearVerifierOptions } from './verifier.js';

export type { LinearData } from './verifier.js';

export interface LinearFamilyOptions {
  dim: number;
  /** T, rows of the design (every data set labels all of them) */
  samples: number;
  /** σ², label-noise variance */
  noise: number;
  /** a verifier of synthetic labels (src/models/linear/verifier.ts); absent: none, and the metrics are { error } */
  verifier?: LinearVerifierOptions;
}

/** The family of one trial: its design and w* come from `key` (role STREAM.design under the trial's key). */
export function linearFamily(options: LinearFamilyOptions, key: Key): ModelFamily<Float64Array, LinearData> {
  const { dim: d, samples: T, noise } = options;
  const sigma = Math.sqrt(noise);
  const design = new KeyedGenerator(foldIn(key, STREAM.design));
  const X = new Float64Array(T * d);
  for (let i = 0; i < T * d; i++) X[i] = design.normal();
  const wStar = Float64Array.from({ length: d }, () => design.normal() / Math.sqrt(d));
  // XᵀX, factored once: a pool of whole generations has the Gram XᵀX (the weights sum to 1)
  const fullGram = new Float64Array(d * d);
  for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) fullGram[j * d + k] += X[t * d + j] * X[t * d + k];
  const fullFactor = Float64Array.from(fullGram);
  const fullOk = choleskyInPlace(fullFactor, d);

  const label = (w: Float64Array, n: number, labelKey: Key): LinearData => {
    if (n === 0) return { rows: [], y: new Float64Array(0) }; // the loop's (unused) held-out set
    if (n !== T) throw new Error(`linear family: a data set labels all ${T} rows of the fixed design; asked for ${n}`);
    const generator = new KeyedGenerator(labelKey);
    const y = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += X[t * d + j] * w[j];
      y[t] = v + sigma * generator.normal();
    }
    return { rows: null, y };
  };

  const fit = (pool: Pool<LinearData>): Float64Array => {
    const rhs = new Float64Array(d);
    const whole = pool.every((p) => p.data.rows === null);
    const gram = whole ? null : new Float64Array(d * d);
    for (const { data, weight } of pool) {
      const count = data.rows === null ? T : data.rows.length;
      const w = weight / count;
      for (let i = 0; i < count; i++) {
        const t = data.rows === null ? i : data.rows[i];
        for (let j = 0; j < d; j++) {
          rhs[j] += w * X[t * d + j] * data.y[i];
          if (gram) for (let k = 0; k < d; k++) gram[j * d + k] += w * X[t * d + j] * X[t * d + k];
        }
      }
    }
    // whole generations: Σ_p (a_p/T)·XᵀX = XᵀX/T; scale the right-hand side back by T
    if (gram === null) {
      if (!fullOk) throw new NumericError('the design XᵀX is singular (T < d?)');
      for (let j = 0; j < d; j++) rhs[j] *= T;
      choleskySolve(fullFactor, d, rhs);
      return rhs;
    }
    if (!choleskyInPlace(gram, d)) throw new NumericError('a subsampled pool has fewer than d independent rows');
    choleskySolve(gram, d, rhs);
    return rhs;
  };

  const verifier = options.verifier ? linearVerifier(options.verifier, X, T, d, wStar, (rhs) => {
    if (!fullOk) throw new NumericError('the design XᵀX is singular (T < d?)');
    choleskySolve(fullFactor, d, rhs);
  }) : null;

  return {
    name: 'linear',
    real: async (n, labelKey) => label(wStar, n, labelKey),
    fit: async (pool) => fit(pool),
    sample: async (w, n, labelKey) => (verifier ? verifier.correct(label(w, n, labelKey)) : label(w, n, labelKey)),
    evaluate: async (w): Promise<Metrics> => {
      let error = 0;
      for (let j = 0; j < d; j++) error += (w[j] - wStar[j]) ** 2;
      return verifier ? { error, ...verifier.metrics(w) } : { error };
    },
    ...(verifier ? { score: (data: LinearData, name: string) => verifier.score(data, name), concat: (sets: readonly LinearData[]) => verifier.concat(sets) } : {}),
    size: (data) => (data.rows === null ? T : data.rows.length),
    take: (data, rows) => ({ rows: rows.map((r) => (data.rows === null ? r : data.rows[r])), y: Float64Array.from(rows, (r) => data.y[r]) }),
  };
}
