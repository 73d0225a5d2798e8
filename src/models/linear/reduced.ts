/** The reduced method: the estimators sampled in XᵀX's eigenbasis, O(d) per trial-iteration (proofs P5). */
import { foldIn } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import { ModelStore, noiseSeed, record, recordRidgeSpread } from './chunk.js';
import { drawReducedDesign } from './design.js';
import type { ChunkContext, LinearMethod } from './method.js';
import { ridgeConditionalError } from '../../theory/ridge.js';
import { PoolStore } from './pool-store.js';

/** Sufficient statistics on one fixed design: whole data sets only, so not a subsampling strategy. */
export const reducedMethod: LinearMethod = {
  name: 'reduced',
  selects: (run) => run.design !== 'random' && run.strategy.fit !== 'subsample' && run.method === 'reduced',
  floatsPerTrial: (run) => 2 * run.dim,
  widestBuffer: (run) => Math.max(run.dim, run.samples, run.samples0 ?? run.samples),
  chunk: reducedChunk,
};

export async function* reducedChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, first, live, plan, result, scratch } = context;
  const { B, T, d } = kernels.shape;
  const sigma = Math.sqrt(run.noise);
  const design = drawReducedDesign(foldIn(root, STREAM.wishart), first, B, T, d, run.ridge ?? 0);
  for (let tr = 0; tr < live; tr++) result.traceGramInverse.add(design.traceGramInverse[tr]);
  if (result.gramInverseSquares) {
    // tr((XᵀX)⁻²) = Σ_j 1/μ_j² (noiseScale = μ^−½ without ridge); the reduced error is isotropic in law (P7)
    for (let tr = 0; tr < live; tr++) {
      let q = 0;
      for (let j = 0; j < d; j++) q += design.noiseScale[j * B + tr] ** 4;
      result.gramInverseSquares.add(q);
    }
  }
  if (run.ridgePolynomials && design.eigenvalues && design.wStar) {
    // P11: the exact error given this trial's eigenvalues and w*, for the design-conditional check
    const N = run.iterations;
    const expected = new Float64Array(B * N);
    const mu = new Float64Array(d);
    const w = new Float64Array(d);
    for (let tr = 0; tr < live; tr++) {
      for (let j = 0; j < d; j++) {
        mu[j] = design.eigenvalues[j * B + tr];
        w[j] = design.wStar[j * B + tr];
      }
      ridgeConditionalError(run.ridgePolynomials, mu, w, run.ridge ?? 0, run.noise, expected.subarray(tr * N, (tr + 1) * N));
      recordRidgeSpread(context, run.ridgePolynomials, mu, w);
    }
    context.ridgeExpected = expected;
  }
  const store = new PoolStore(B * d, plan);
  const errors = new ModelStore<Float64Array>(plan, new Float64Array(B * d), () => new Float64Array(B * d)); // e_k; e_0 = 0
  const squared = new Float64Array(B);
  const xi = scratch.float32('xi', B * d);
  for (let n = 1; n <= run.iterations; n++) {
    for (const s of plan.added[n - 1]) {
      // ξ as drawn, trial-major [trial·d + j], read across where the vectors are [j·B + trial]: no transposed copy
      await kernels.trialNormals(d, noiseSeed(root, s), first, xi);
      const parent = errors.get(plan.sources[s - 1]);
      const { shrink, wStar, noiseScale } = design;
      // the data set's contribution v_s added straight onto the prefix sums (PoolStore.pushWith): the same float64
      // value as storing v_s first and adding it, one pass over the vectors fewer
      store.pushWith((next, last) => {
        for (let j = 0; j < d; j++) {
          const i0 = j * B;
          if (shrink && wStar) {
            // ridge: ŵ_s − w* = m·(w_src − w*) + (m − 1)·w* + σ·√μ/(μ + λ)·ξ, coordinate by coordinate
            for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) next[i] = last[i] + (shrink[i] * parent[i] + (shrink[i] - 1) * wStar[i] + sigma * noiseScale[i] * xi[x]);
          } else {
            for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) next[i] = last[i] + (parent[i] + sigma * noiseScale[i] * xi[x]);
          }
        }
      });
    }
    const e = errors.buffer();
    store.pooled(n, e);
    // ‖e‖² per trial, the rows of e read in order (not one stride-B load per term); each trial's sum still adds
    // j = 0, 1, … onto 0, so the float64 results are the same bit for bit
    squared.fill(0);
    for (let j = 0; j < d; j++) {
      for (let tr = 0, i = j * B; tr < live; tr++, i++) squared[tr] += e[i] ** 2;
    }
    for (let tr = 0; tr < live; tr++) record(context, n - 1, tr, squared[tr], design.traceGramInverse[tr]);
    errors.settle(n, e);
    yield n;
  }
}
