/**
 * Random design (Dohmatob et al. 2024, "Model collapse demystified"): every data set draws its own X_s, rows N(0, I).
 * Real data sets (source 0) have T0 samples and noise σ0², synthetic ones T and σ². Model n is least squares on the
 * weighted pool: ŵ_n = (Σ_s a_{n,s} X_sᵀX_s)⁻¹ Σ_s a_{n,s} X_sᵀy_s, so both sums are pooled.
 *
 * full:    X_s drawn on the kernel, labels and X_sᵀy_s, X_sᵀX_s on the kernels; the pooled system solved per trial.
 * reduced: (X_sᵀX_s, X_sᵀy_s) are sufficient: X_sᵀX_s = LLᵀ by Bartlett (L_ii = √χ²_{T_s−i}, L_ij ~ N(0, 1)) and
 *          X_sᵀy_s = X_sᵀX_s·w_src + σ_s·Lξ, since X_sᵀε ~ N(0, X_sᵀX_s) given X_s. O(d³) per trial and data set.
 * Only replace has an exact closed form here: Σ_{g≤n} σ_g²·d/(T_g − d − 1).
 */
import { choleskyInPlace, choleskySolve } from '../../core/linalg.js';
import { foldIn, KeyedGenerator, normalStream } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import { paddedColumns, padTrialMajor, toTrialFastest, type LinearKernels } from '../../kernels/linear.js';
import { ModelStore, noiseSeed, recordEstimate } from './chunk.js';
import { fullDesignFloats } from './full.js';
import type { ChunkContext, LinearMethod } from './method.js';
import { liveGenerations, poolPlan, PoolStore } from './pool-store.js';

/** A new X per data set, under either --method (full: X drawn; reduced: Bartlett's sufficient statistics). */
export const randomDesignMethod: LinearMethod = {
  name: 'random-design',
  selects: (run) => run.design === 'random',
  // the pooled Gram prefixes, (live + 2)·d² in float64, on top of the --method's own state
  floatsPerTrial: (run) =>
    (run.method === 'full' ? fullDesignFloats(run) : 2 * run.dim) + (liveGenerations(poolPlan(run.strategy, run.iterations)) + 2) * run.dim * run.dim * 2,
  widestBuffer(run) {
    const { samples: T, dim: d } = run;
    const T0 = run.samples0 ?? T;
    const rows = Math.max(T, T0);
    // a data set's X drawn in one call, then padded for the Xᵀy and Gram kernels; the d×d Grams
    return Math.max(rows * d, rows * paddedColumns(d), T, T0, d * d);
  },
  chunk: randomDesignChunk,
};

export async function* randomDesignChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, first, live, plan, result } = context;
  const { B, d } = kernels.shape;
  const real = { T: run.samples0 ?? run.samples, sigma: Math.sqrt(run.noise0 ?? run.noise), kernels: context.realKernels ?? kernels };
  const synthetic = { T: run.samples, sigma: Math.sqrt(run.noise), kernels };
  const wStar = new Float64Array(B * d);
  for (let tr = 0; tr < B; tr++) {
    const next = normalStream(foldIn(foldIn(root, STREAM.design), first + tr));
    for (let k = 0; k < d; k++) wStar[k * B + tr] = Math.fround(next() / Math.sqrt(d));
  }
  const wStar32 = Float32Array.from(wStar);
  // no single design to condition on: the conditional check is off (NaN trace), the error is isotropic
  const target = { wStar32, traceGramInverse: new Float64Array(B).fill(NaN) };
  const unit = new Float64Array(d).fill(1);
  const grams = new PoolStore(B * d * d, plan);
  const moments = new PoolStore(B * d, plan);
  const models = new ModelStore<Float32Array>(plan, wStar32, () => new Float32Array(B * d));
  const pooledGram = new Float64Array(B * d * d);
  const pooledMoment = new Float64Array(B * d);
  const system = new Float64Array(d * d);
  const solution = new Float64Array(d);
  const ones = new Float32Array(Math.max(real.T, synthetic.T) * B).fill(1);
  for (let n = 1; n <= run.iterations; n++) {
    for (const s of plan.added[n - 1]) {
      const source = plan.sources[s - 1];
      const set = source === 0 ? real : synthetic;
      const w = models.get(source);
      const seed = noiseSeed(root, s);
      if (run.method === 'full') {
        const drawn = await set.kernels.trialNormals(set.T * d, foldIn(seed, 1), first); // [trial·T·d + t·d + k]
        const X = toTrialFastest(drawn, B, set.T * d);
        const y = await set.kernels.drawTrialLabels(X, w, set.sigma, foldIn(seed, 2), first);
        const padded = padTrialMajor(drawn, B, set.T, d, set.T * d);
        moments.push(await set.kernels.xty(padded, y));
        grams.push(await set.kernels.weightedGram(padded, ones.subarray(0, set.T * B)));
      } else {
        const [gram, moment] = await sufficientStatistics(set.kernels, set.T, set.sigma, w, B, d, seed, first);
        moments.push(moment);
        grams.push(gram);
      }
    }
    grams.pooled(n, pooledGram);
    moments.pooled(n, pooledMoment);
    const estimate = models.buffer();
    for (let tr = 0; tr < B; tr++) {
      system.set(pooledGram.subarray(tr * d * d, (tr + 1) * d * d));
      for (let j = 0; j < d; j++) system[j * d + j] += run.ridge ?? 0;
      for (let j = 0; j < d; j++) solution[j] = pooledMoment[tr * d + j];
      if (!choleskyInPlace(system, d)) throw new Error(`the pooled Gram matrix is singular (trial ${first + tr}, step ${n})`);
      if (n === 1 && tr < live) result.traceGramInverse.add(traceInverseFromCholesky(system, d));
      choleskySolve(system, d, solution);
      recordEstimate(context, n, tr, solution, target, unit, estimate);
    }
    models.settle(n, estimate);
    yield n;
  }
}

/** tr((LLᵀ)⁻¹) = ‖L⁻¹‖_F² from the Cholesky factor, by forward substitution column by column. */
function traceInverseFromCholesky(l: Float64Array, d: number): number {
  let total = 0;
  const column = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * d + k] * column[k];
      column[i] = s / l[i * d + i];
      total += column[i] * column[i];
    }
  }
  return total;
}

/** Reduced method: (XᵀX, Xᵀy) of one data set per trial without X, layouts [trial·d² + j·d + k] and [trial·d + j]. */
async function sufficientStatistics(
  kernels: LinearKernels, T: number, sigma: number, w: Float32Array, B: number, d: number, seed: number, first: number,
): Promise<[Float64Array, Float64Array]> {
  const xi = await kernels.normals(d, foldIn(seed, 3), first);
  const gram = new Float64Array(B * d * d);
  const moment = new Float64Array(B * d);
  const L = new Float64Array(d * d);
  for (let tr = 0; tr < B; tr++) {
    const generator = new KeyedGenerator(foldIn(foldIn(seed, 4), first + tr));
    L.fill(0);
    for (let i = 0; i < d; i++) {
      L[i * d + i] = Math.sqrt(generator.chisquare(T - i));
      for (let j = 0; j < i; j++) L[i * d + j] = generator.normal();
    }
    for (let j = 0; j < d; j++) {
      let noise = 0;
      for (let k = 0; k <= j; k++) noise += L[j * d + k] * xi[k * B + tr];
      let signal = 0;
      for (let k = 0; k < d; k++) {
        let g = 0;
        for (let i = 0; i <= Math.min(j, k); i++) g += L[j * d + i] * L[k * d + i];
        gram[tr * d * d + j * d + k] = g;
        signal += g * w[k * B + tr];
      }
      moment[tr * d + j] = signal + sigma * noise;
    }
  }
  return [gram, moment];
}
