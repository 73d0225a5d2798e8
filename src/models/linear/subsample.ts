/**
 * accumulate-subsample (Kazdan et al. 2024): every fit draws T rows uniformly without replacement from all rows of
 * the pooled data sets, then refits ordinary least squares on those rows. The rows share the fixed X, so a
 * subsample is row multiplicities c_t and summed labels u_t: the fit is (Σ_t c_t x_t x_tᵀ)⁻¹ Xᵀu, with both sums on
 * the kernels. No closed form exists: the driver reports Monte Carlo only.
 */
import { NumericError } from '../../core/errors.js';
import { choleskyInPlace, choleskySolve } from '../../core/linalg.js';
import { DistinctSampler, foldIn, KeyedGenerator } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import { paddedColumns } from '../../kernels/linear.js';
import { createSubsampleGram, type FitOptions } from '../../kernels/subsample-gram.js';
import { noiseSeed, openFullChunk, recordEstimate } from './chunk.js';
import { trialFastestX, type FullDesign } from './design.js';
import { fullDesignFloats } from './full.js';
import type { ChunkContext, LinearMethod, LinearRun } from './method.js';
import { poolPlan } from './pool-store.js';
import { rowInnerProducts } from './subsample-solve.js';

/**
 * The minimum-norm least-squares fit when the r distinct rows drawn are at most d: they are linearly independent,
 * so the fit interpolates each row's mean label ȳ_t = u_t/c_t and ŵ = X_rᵀ(X_r X_rᵀ)⁻¹ȳ_r. O(r²d + r³), in float64
 * from the trial-major X (`trialMajor`, rowsPerTrial values per trial, X row-major first).
 */
export function minimumNorm(
  trialMajor: Float32Array, rowsPerTrial: number, counts: Float32Array, summed: Float32Array, T: number, d: number, tr: number, out: Float64Array,
  work: MinimumNormWork,
): void {
  const rows = work.rows;
  let r = 0;
  for (let t = 0; t < T; t++) if (counts[tr * T + t] > 0) rows[r++] = t;
  const x = (row: number) => tr * rowsPerTrial + row * d; // offset of X[row, 0] of this trial
  const drawn = work.drawn; // the drawn rows in float64, contiguous
  const kernel = work.kernel.subarray(0, r * r);
  const alpha = work.alpha.subarray(0, r);
  for (let a = 0; a < r; a++) {
    alpha[a] = summed[tr * T + rows[a]] / counts[tr * T + rows[a]];
    drawn.set(trialMajor.subarray(x(rows[a]), x(rows[a]) + d), a * d);
  }
  rowInnerProducts(drawn, r, d, kernel);
  if (!choleskyInPlace(kernel, r)) throw new NumericError(`the subsampled rows are linearly dependent (trial ${tr})`);
  choleskySolve(kernel, r, alpha);
  out.fill(0);
  for (let a = 0; a < r; a++) {
    const xa = x(rows[a]);
    for (let k = 0; k < d; k++) out[k] += trialMajor[xa + k] * alpha[a];
  }
}

/**
 * The Gram comes from a float32 kernel: a subsample with fewer than d distinct rows is singular only up to float32
 * rounding, so Cholesky pivots below this fraction of the largest diagonal entry are treated as zero.
 */
const PIVOT_FLOOR = 1e-5;

/** Floats per trial the subsample chunk adds: every data set's labels, the float64 Gram, counts and sums, X padded. */
function subsampleFloats(run: LinearRun): number {
  const { samples: T, dim: d } = run;
  return T * poolPlan(run.strategy, run.iterations).sources.length + 2 * d * d + 2 * T + T * paddedColumns(d);
}

/** accumulate-subsample on one fixed design (it draws rows, so it always refits on the real X: --method does not apply). */
export const subsampleMethod: LinearMethod = {
  name: 'subsample',
  selects: (run) => run.design !== 'random' && run.strategy.fit === 'subsample',
  floatsPerTrial: (run) => fullDesignFloats(run) + subsampleFloats(run),
  widestBuffer(run) {
    const { samples: T, dim: d } = run;
    const T0 = run.samples0 ?? T;
    // X and w* in one normals call; X padded for the weighted Gram and Xᵀu kernels; the d×d Grams
    return Math.max((T + 1) * d, Math.max(T, T0) * paddedColumns(d), T, T0, d * d);
  },
  chunk: subsampleChunk,
};

/** minimumNorm's buffers, reused across its calls (fresh ones per call kept the garbage collector busy). */
export class MinimumNormWork {
  readonly rows: Int32Array;
  readonly drawn: Float64Array;
  readonly kernel: Float64Array;
  readonly alpha: Float64Array;
  constructor(T: number, d: number) {
    this.rows = new Int32Array(T);
    this.drawn = new Float64Array(T * d);
    this.kernel = new Float64Array(T * T);
    this.alpha = new Float64Array(T);
  }
}

export async function* subsampleChunk(context: ChunkContext): AsyncGenerator<number> {
  const { kernels } = context;
  // webasm: the design's XᵀX on the worker pool, X padded into the resident Xᵀy kernel (its Xᵀy is not used here)
  const resident = kernels.residentXty(4);
  try {
    yield* subsampleGenerations(context, await openFullChunk(context, resident ?? undefined));
  } finally {
    resident?.done();
  }
}

async function* subsampleGenerations(context: ChunkContext, chunk: Awaited<ReturnType<typeof openFullChunk>>): AsyncGenerator<number> {
  const { run, kernels, root, first, plan } = context;
  const { B, T, d } = kernels.shape;
  const { design, weight, sigma, models } = chunk;
  const ridge = run.ridge ?? 0;
  const interpolating = T <= d && ridge === 0;
  // webasm: the labels, the draws, the block Gram, Xᵀu and the fits as hand-written wasm on the workers, X and the
  // labels kept in the kernel for the chunk; elsewhere the kernels and the host below, with the same numbers
  const fast = createSubsampleGram(kernels.backend, kernels.shape, plan.sources.length);
  fast?.load(design.Xpadded);
  const host = fast ? null : new HostSubsample(context, design);
  const counts = fast?.counts ?? (host as HostSubsample).counts;
  const summed = fast?.summed ?? (host as HostSubsample).summed;
  const solution = new Float64Array(d);
  const subsampleKey = foldIn(root, STREAM.subsample);
  let work: MinimumNormWork | undefined; // made on the first minimum-norm fit (T² floats: rare when T > d)
  const dp = paddedColumns(d);
  try {
    for (let n = 1; n <= run.iterations; n++) {
      for (const s of plan.added[n - 1]) {
        const model = models.get(plan.sources[s - 1]);
        const seed = noiseSeed(root, s);
        if (fast) await fast.labels(model, sigma, (z) => kernels.trialNormals(T, seed, first, z));
        else await (host as HostSubsample).addLabels(model, sigma, seed);
      }
      const pool = plan.weights[n - 1].flatMap((w, s) => (w > 0 ? [s] : []));
      const generation = foldIn(subsampleKey, n);
      const keys = (tr: number) => foldIn(generation, first + tr);
      // T ≤ d without ridge: at most d distinct rows, so least squares interpolates them; no Gram is needed
      const options = { ridge, pivotFloor: PIVOT_FLOOR, pool, keys, solve: !interpolating };
      const { solutions, solved } = await (fast ? fast.fit(options) : (host as HostSubsample).fit(options));
      const estimate = models.buffer();
      for (let tr = 0; tr < B; tr++) {
        // 1: the Gram's Cholesky solve; 2: the minimum-norm fit, where T ≤ d or fewer than d distinct rows were drawn
        // (least squares takes the minimum-norm solution, numpy's lstsq/pinv), on the workers
        if (solved[tr] === 1 || solved[tr] === 2) {
          recordEstimate(context, n, tr, solutions.subarray(tr * dp, tr * dp + d), design, weight, estimate);
          continue;
        }
        // the minimum-norm fit on the host: off webasm, more than dp rows, or rows dependent (it reports them)
        minimumNorm(design.trialMajor, T * d + d, counts, summed, T, d, tr, solution, (work ??= new MinimumNormWork(T, d)));
        recordEstimate(context, n, tr, solution, design, weight, estimate);
      }
      models.settle(n, estimate);
      yield n;
    }
  } finally {
    fast?.release();
  }
}

/**
 * The subsample's draws and fits off webasm (cpu, webgpu): the gpu.js kernels for the labels, the block Gram and
 * Xᵀu, the draws and the factorisation on the host. The same numbers as the wasm kernel's (subsample-gram.ts).
 */
class HostSubsample {
  readonly counts: Float32Array;
  readonly summed: Float32Array;
  private readonly labels: Float32Array[] = []; // labels[s][trial·T + t]: every data set's labels are kept, they may be drawn again
  private readonly X: Float32Array;
  private readonly sampler = new DistinctSampler();
  private readonly gramAll: Float64Array; // every trial's Gram, reused by the generations
  private readonly lower: Float64Array;
  private readonly solutions: Float64Array;
  private readonly solved: Int32Array;
  constructor(
    private readonly context: ChunkContext,
    private readonly design: FullDesign,
  ) {
    const { B, T, d } = context.kernels.shape;
    this.X = trialFastestX(design, T, d); // the labels kernel's layout
    this.counts = new Float32Array(T * B); // [trial·T + t], the kernels' trial-major layout
    this.summed = new Float32Array(T * B);
    this.gramAll = new Float64Array(B * d * d);
    this.lower = new Float64Array(d * d);
    this.solutions = new Float64Array(B * paddedColumns(d));
    this.solved = new Int32Array(B);
  }

  async addLabels(model: Float32Array, sigma: number, seed: number): Promise<void> {
    this.labels.push(await this.context.kernels.drawTrialLabels(this.X, model, sigma, seed, this.context.first));
  }

  async fit({ ridge, pivotFloor, pool, keys, solve }: Required<FitOptions>): Promise<{ solutions: Float64Array; solved: Int32Array }> {
    const { kernels } = this.context;
    const { B, T, d } = kernels.shape;
    const { counts, summed, labels, lower, solutions, solved } = this;
    const dp = paddedColumns(d);
    counts.fill(0);
    summed.fill(0);
    for (let tr = 0; tr < B; tr++) {
      for (const index of this.sampler.draw(pool.length * T, T, new KeyedGenerator(keys(tr)))) {
        const t = index % T;
        counts[tr * T + t] += 1;
        summed[tr * T + t] += labels[pool[(index - t) / T]][tr * T + t];
      }
    }
    if (!solve) return { solutions, solved };
    await kernels.weightedGram(this.design.Xpadded, counts, this.gramAll);
    const rhs = await kernels.xty(this.design.Xpadded, summed); // [trial·d + j]
    for (let tr = 0; tr < B; tr++) {
      lower.set(this.gramAll.subarray(tr * d * d, (tr + 1) * d * d));
      for (let j = 0; j < d; j++) lower[j * d + j] += ridge;
      let largest = 0;
      for (let j = 0; j < d; j++) largest = Math.max(largest, lower[j * d + j]);
      solved[tr] = choleskyInPlace(lower, d, pivotFloor * largest) ? 1 : 0;
      if (!solved[tr]) continue;
      // one factorisation and two triangular solves: d³/6 + d², a third of forming the inverse
      const solution = solutions.subarray(tr * dp, tr * dp + d);
      for (let j = 0; j < d; j++) solution[j] = rhs[tr * d + j];
      choleskySolve(lower, d, solution);
    }
    return { solutions, solved };
  }
}
