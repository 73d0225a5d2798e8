/**
 * The full method: every data set gets fresh label noise and the pooled normal equations are solved per trial.
 *
 * A data set labelled by model w is y = Xw + σε with ε ~ N(0, I_T) drawn in full (T draws per trial). Its normal-
 * equation right-hand side is formed as Xᵀy = (XᵀX)w + σ·Xᵀε: the same number as Xᵀ(Xw + σε) in exact arithmetic,
 * with the O(T·d) pass on the kernel (Xᵀε) and the O(d²) term from the float64 Gram the solve uses anyway. It
 * saves the label pass over X, half the kernel work, without touching the statistics: every refit still sees all
 * T noise draws of every data set it pools.
 */
import { noiseSeed, openFullChunk, recordEstimate, type ChunkContext } from './chunk.js';
import { PoolStore } from './pool-store.js';

export async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, plan, first } = context;
  const { B, T, d } = kernels.shape;
  const { design, weight, sigma, models } = await openFullChunk(context);
  const store = new PoolStore(B * d, plan);
  const pooled = new Float64Array(B * d);
  const moment = new Float64Array(B * d);
  const rhs = new Float64Array(d);
  const solution = new Float64Array(d);
  for (let n = 1; n <= run.iterations; n++) {
    for (const s of plan.added[n - 1]) {
      const noise = await kernels.trialNormals(T, noiseSeed(root, s), first);
      const projected = await kernels.xty(design.Xpadded, noise); // Xᵀε, layout [trial·d + k]
      const w = models.get(plan.sources[s - 1]);
      for (let tr = 0; tr < B; tr++) {
        const g = tr * d * d;
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += design.gram[g + k * d + j] * w[j * B + tr];
          moment[k * B + tr] = s + sigma * projected[tr * d + k];
        }
      }
      store.push(moment);
    }
    store.pooled(n, pooled);
    const estimate = models.buffer();
    for (let tr = 0; tr < B; tr++) {
      for (let k = 0; k < d; k++) rhs[k] = pooled[k * B + tr];
      const inverse = tr * d * d;
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += design.gramInverse[inverse + j * d + k] * rhs[k];
        solution[j] = s;
      }
      recordEstimate(context, n, tr, solution, design, weight, estimate);
    }
    models.settle(n, estimate);
    yield n;
  }
}
