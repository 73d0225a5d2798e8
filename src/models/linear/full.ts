/** The full method: new labels on the kernel, Xᵀy on the kernel, the pooled normal equations solved per trial. */
import { foldIn, STREAM } from '../../core/rng.js';
import { ModelStore, noiseSeed, recordEstimate, testWeights, type ChunkContext } from './chunk.js';
import { drawFullDesign } from './design.js';
import { PoolStore } from './pool-store.js';

export async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, root, chunk, first, live, plan, result } = context;
  const { B, T, d } = kernels.shape;
  const sigma = Math.sqrt(run.noise);
  const design = drawFullDesign(foldIn(root, STREAM.design), first, B, T, d, run.spectrum, run.ridge ?? 0);
  const weight = testWeights(run, d); // test error (ŵ − w*)ᵀΣ(ŵ − w*)
  for (let tr = 0; tr < live; tr++) result.traceGramInverse.add(design.traceGramInverse[tr]);
  const store = new PoolStore(B * d, plan);
  const models = new ModelStore<Float32Array>(plan, design.wStar32, () => new Float32Array(B * d)); // ŵ_k, kernel layout
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
