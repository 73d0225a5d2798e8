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

/** Data sets whose Xᵀε one kernel call computes: every call copies X into the kernel, so it is shared by this many. */
export const NOISE_SPAN = 8;

/**
 * σ-free noise moments Xᵀε_s of the chunk's data sets, in the order the steps add them. The noise never depends on
 * the models, so NOISE_SPAN data sets are drawn (each from its own stream, as one at a time would) and projected in
 * one call, ahead of the steps that pool them.
 */
class ProjectedNoise {
  private readonly ready = new Map<number, Float32Array>();
  private readonly order: number[];
  private next = 0;
  constructor(private readonly context: ChunkContext, private readonly Xpadded: Float32Array) {
    this.order = context.plan.added.flat();
  }
  async take(dataSet: number): Promise<Float32Array> {
    if (!this.ready.has(dataSet)) {
      const { kernels, root, first } = this.context;
      const span = this.order.slice(this.next, this.next + NOISE_SPAN);
      this.next += span.length;
      const noises: Float32Array[] = [];
      for (const s of span) noises.push(await kernels.trialNormals(kernels.shape.T, noiseSeed(root, s), first));
      const moments = await kernels.xtyMany(this.Xpadded, noises);
      span.forEach((s, i) => this.ready.set(s, moments[i]));
    }
    const moment = this.ready.get(dataSet) as Float32Array;
    this.ready.delete(dataSet);
    return moment;
  }
}

export async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, plan } = context;
  const { B, d } = kernels.shape;
  const { design, weight, sigma, models } = await openFullChunk(context);
  const store = new PoolStore(B * d, plan);
  const noise = new ProjectedNoise(context, design.Xpadded);
  const pooled = new Float64Array(B * d);
  const moment = new Float64Array(B * d);
  const rhs = new Float64Array(d);
  const solution = new Float64Array(d);
  for (let n = 1; n <= run.iterations; n++) {
    for (const s of plan.added[n - 1]) {
      const projected = await noise.take(s); // Xᵀε, layout [trial·d + k]
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
