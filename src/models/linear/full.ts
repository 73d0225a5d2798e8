/** The full method: new labels on the kernel, Xᵀy on the kernel, the pooled normal equations solved per trial. */
import { noiseSeed, openFullChunk, recordEstimate, type ChunkContext } from './chunk.js';
import { PoolStore } from './pool-store.js';

export async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, chunk, plan } = context;
  const { B, d } = kernels.shape;
  const { design, weight, sigma, models } = openFullChunk(context);
  const store = new PoolStore(B * d, plan);
  const pooled = new Float64Array(B * d);
  const rhs = new Float64Array(d);
  const solution = new Float64Array(d);
  for (let n = 1; n <= run.iterations; n++) {
    for (const s of plan.added[n - 1]) {
      const y = await kernels.drawLabels(design.X, models.get(plan.sources[s - 1]), sigma, noiseSeed(root, s, chunk));
      store.push(await kernels.xty(design.X, y));
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
