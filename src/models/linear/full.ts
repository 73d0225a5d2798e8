/**
 * The full method: every data set gets fresh label noise and the pooled normal equations are solved per trial.
 *
 * A data set labelled by model w is y = Xw + σε with ε ~ N(0, I_T) drawn in full (T draws per trial). Its normal-
 * equation right-hand side is formed as Xᵀy = (XᵀX)w + σ·Xᵀε: the same number as Xᵀ(Xw + σε) in exact arithmetic,
 * with the O(T·d) pass on the kernel (Xᵀε) and the O(d²) term from the float64 Gram the solve uses anyway. It
 * saves the label pass over X, half the kernel work, without touching the statistics: every refit still sees all
 * T noise draws of every data set it pools.
 */
import { symmetricMatVec } from '../../core/linalg.js';
import { xtyIndex, paddedColumns } from '../../kernels/linear.js';
import type { ResidentXty } from '../../kernels/noise-moments.js';
import { noiseSeed, openFullChunk, recordEstimate } from './chunk.js';
import type { FullDesign } from './design.js';
import type { ChunkContext, LinearMethod, LinearRun } from './method.js';
import { PoolStore } from './pool-store.js';

/** Data sets whose Xᵀε one kernel call computes: gpu.js copies X into the kernel every call, shared by this many. */
export const NOISE_SPAN = 8;

/**
 * σ-free noise moments Xᵀε_s of the chunk's data sets, in the order the steps add them. The noise never depends on
 * the models, so up to NOISE_SPAN data sets are drawn (each from its own stream, as one at a time would) straight
 * into one buffer and projected in one call, four per kernel cell, ahead of the steps that pool them.
 */
class ProjectedNoise {
  private readonly spanOf = new Map<number, ProjectedSet>();
  private readonly order: number[];
  private next = 0;
  /**
   * Vectors per kernel call, the same for every span of the run: a short last span leaves some unused, where a kernel
   * of its own width would cost a compile and its own freshly touched memory (~0.1 s at d = 10, T = 100, B = 4000).
   */
  private readonly vectors: number;
  /**
   * webasm: the Xᵀy kernel that holds the chunk's X (the design is padded straight into it) and takes the noise in
   * its own memory: no copies per span
   */
  readonly resident: ResidentXty | null;
  private Xpadded: Float32Array | undefined;
  constructor(private readonly context: ChunkContext) {
    this.order = context.plan.added.flat();
    this.vectors = 4 * Math.ceil(Math.min(NOISE_SPAN, this.order.length) / 4);
    this.resident = context.kernels.residentXty(this.vectors);
  }
  /** The chunk's padded X: in the resident kernel already, or what gpu.js's xtyQuads is given. */
  useDesign(Xpadded: Float32Array): void {
    if (this.resident && Xpadded !== this.resident.X) this.resident.load(Xpadded);
    this.Xpadded = Xpadded;
  }
  /** The chunk is done with its noise: the resident kernel goes back for the next chunk. */
  done(): void {
    this.resident?.done();
  }
  /** Xᵀε of `dataSet`, valid until the next span is drawn: entry (trial, k) at xtyIndex(dp, vectors, trial, index, k). */
  async take(dataSet: number): Promise<ProjectedSet> {
    if (!this.spanOf.has(dataSet)) {
      const { kernels, root, first, scratch } = this.context;
      const { B, T } = kernels.shape;
      const span = this.order.slice(this.next, this.next + NOISE_SPAN);
      this.next += span.length;
      const vectors = this.vectors; // the kernel takes quads; a short span's last ones are unused
      const noise = this.resident?.Y ?? scratch.float32('noise', vectors * B * T);
      for (const [i, s] of span.entries()) await kernels.trialNormals(T, noiseSeed(root, s), first, noise.subarray(i * B * T, (i + 1) * B * T));
      const moments = this.resident
        ? await this.resident.project()
        : await kernels.xtyQuads(this.Xpadded as Float32Array, noise, vectors, scratch.float32('moments', B * vectors * paddedColumns(kernels.shape.d)));
      this.spanOf.clear();
      span.forEach((s, index) => this.spanOf.set(s, { moments, vectors, index }));
    }
    return this.spanOf.get(dataSet) as ProjectedSet;
  }
}

interface ProjectedSet {
  moments: Float32Array;
  vectors: number;
  index: number;
}

/**
 * Floats per trial of a chunk on the real fixed design (full and subsample): X padded and trial-major, XᵀX and its
 * inverse (float64: two units each), a span's noise and its Xᵀε (counted as twice the noise: NOISE_SPAN·4⌈d/4⌉
 * moments, below NOISE_SPAN·T when T ≥ 4⌈d/4⌉; 4d² dominates otherwise).
 */
export function fullDesignFloats(run: LinearRun): number {
  const { samples: T, dim: d } = run;
  return 2 * T * (d + 3) + 4 * d * d + 2 * NOISE_SPAN * T;
}

/** The paper's procedure on one fixed design: whole data sets pooled with their weights, refit by refit. */
export const fullMethod: LinearMethod = {
  name: 'full',
  selects: (run) => run.design !== 'random' && run.strategy.fit !== 'subsample' && run.method === 'full',
  floatsPerTrial: fullDesignFloats,
  widestBuffer(run) {
    const { samples: T, dim: d } = run;
    const T0 = run.samples0 ?? T;
    // one normals call draws X and w*, (T + 1)·d; X padded for the Xᵀy and Gram kernels; NOISE_SPAN noise vectors
    return Math.max((T + 1) * d, Math.max(T, T0) * paddedColumns(d), NOISE_SPAN * T, T, T0, d);
  },
  chunk: fullChunk,
};

export async function* fullChunk(context: ChunkContext): AsyncGenerator<number> {
  const { run, kernels, plan } = context;
  const { B, d } = kernels.shape;
  const noise = new ProjectedNoise(context);
  try {
    const { resident } = noise;
    const { design, weight, sigma, models } = await openFullChunk(context, resident ?? undefined);
    noise.useDesign(design.Xpadded);
    const store = new PoolStore(B * d, plan);
    const pooled = new Float64Array(B * d);
    const moment = new Float64Array(B * d);
    const work: Work = { source: new Float64Array(d), product: new Float64Array(d) };
    for (let n = 1; n <= run.iterations; n++) {
      for (const s of plan.added[n - 1]) {
        formMoment(await noise.take(s), models.get(plan.sources[s - 1]), design.gram, sigma, B, d, moment, work);
        store.push(moment);
      }
      store.pooled(n, pooled);
      const estimate = models.buffer();
      solvePooled(context, n, pooled, design, weight, estimate, work);
      models.settle(n, estimate);
      yield n;
    }
  } finally {
    noise.done();
  }
}

/**
 * Xᵀy_s = (XᵀX)w + σ·Xᵀε_s per trial into `moment` [k·B + trial], for data set s labelled by model w [j·B + trial].
 * The design's Gram and inverse are exactly symmetric (both triangles hold one value), as symmetricMatVec needs.
 */
function formMoment(projected: ProjectedSet, w: Float32Array, gram: Float64Array, sigma: number, B: number, d: number, moment: Float64Array, work: Work): void {
  const { moments, vectors, index } = projected;
  const dp = paddedColumns(d);
  const { source, product } = work;
  for (let tr = 0; tr < B; tr++) {
    for (let j = 0; j < d; j++) source[j] = w[j * B + tr];
    symmetricMatVec(gram, tr * d * d, d, source, product);
    let m = xtyIndex(dp, vectors, tr, index, 0); // entry k is 4k further on
    for (let k = 0; k < d; k++, m += 4) moment[k * B + tr] = product[k] + sigma * moments[m];
  }
}

/** Every trial's refit ŵ_n = (XᵀX)⁻¹·pooled, stored into `estimate` and its error recorded. */
function solvePooled(context: ChunkContext, n: number, pooled: Float64Array, design: FullDesign, weight: Float64Array, estimate: Float32Array, work: Work): void {
  const { B, d } = context.kernels.shape;
  const { source: rhs, product: solution } = work;
  for (let tr = 0; tr < B; tr++) {
    for (let k = 0; k < d; k++) rhs[k] = pooled[k * B + tr];
    symmetricMatVec(design.gramInverse, tr * d * d, d, rhs, solution);
    recordEstimate(context, n, tr, solution, design, weight, estimate);
  }
}

/** One trial's d-vectors, reused across the chunk's steps. */
interface Work {
  source: Float64Array;
  product: Float64Array;
}
