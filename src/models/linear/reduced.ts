/** The reduced method: the estimators sampled in XᵀX's eigenbasis, O(d) per trial-iteration (proofs P5). */
import { ModelStore, noiseSeed, record, recordRidgeSpread } from './chunk.js';
import type { ReducedDesign } from './wishart.js';
import { reducedDesignFor } from './wishart-thread.js';
import type { ChunkContext, LinearMethod } from './method.js';
import { ridgeConditionalError } from '../../theory/ridge.js';
import { liveGenerations, PoolStore, type PoolPlan } from './pool-store.js';
import { StepArena } from './reduced-wasm.js';

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
  // the chunk's vectors: in its slot's wasm arena, where the fused step runs in wasm (reduced-wasm.ts), else in the
  // slot's scratch; either way reused by the slot's next chunk, since fresh memory costs ~1.6 MB of page faults per
  // chunk at d = 10 (~4 ms). Every vector is written in full before it is read.
  const arena = StepArena.forChunk(scratch, arenaBytes(plan, B, d));
  let vectors = 0;
  const reused = (): Float64Array => (arena ? arena.float64(B * d) : scratch.float64(`reduced vector ${vectors++}`, B * d));
  // the second ξ buffer fits in what sharedFloats counts for a data set's T > d labels, which this method never holds
  const xiBuffers = arena ? [arena.float32(B * d), arena.float32(B * d)] : [scratch.float32('xi', B * d), scratch.float32('xi ahead', B * d)];
  const noise = prefetchedNoise(context, d, xiBuffers); // the first draw runs while the host draws the spectra
  const design = await reducedDesignFor(context); // drawn ahead on another thread where the run has several chunks
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
  const store = new PoolStore(B * d, plan, reused);
  const errors = new ModelStore<Float64Array>(plan, reused().fill(0), reused); // e_k; e_0 = 0
  const squared = arena ? arena.float64(B) : new Float64Array(B);
  const copy = (source: Float64Array): Float64Array => {
    const target = reused();
    target.set(source);
    return target;
  };
  const inArena = arena && {
    ns: copy(design.noiseScale),
    shrink: design.shrink && copy(design.shrink),
    wStar: design.wStar && copy(design.wStar),
    zero: reused().fill(0), // lo where the pool starts at P_0: (P − 0)·a = P·a exactly
  };
  for (let n = 1; n <= run.iterations; n++) {
    const e = errors.buffer();
    const added = plan.added[n - 1];
    let pooled = false;
    for (let k = 0; k < added.length; k++) {
      const s = added[k];
      const xi = await noise.next(s);
      const parent = errors.get(plan.sources[s - 1]);
      // the step's last data set, where its pool is the range that ends there: pool and square in the same pass
      const fused = k === added.length - 1 ? store.rangeEndingAtNext(n) : null;
      const step: NoiseStep = { B, d, sigma, design, parent, xi };
      // the data set's contribution v_s added straight onto the prefix sums (PoolStore.pushWith): the same float64
      // value as storing v_s first and adding it, one pass over the vectors fewer
      store.pushWith(fused ? (next, last) => {
        const inWasm = inArena && arena.step({ next, last, parent, xi, e, sq: squared, lo: fused.lo ?? inArena.zero, ...inArena }, B, d, sigma, fused.scale);
        if (!inWasm) pushPoolSquare(step, next, last, fused.lo, fused.scale, e, squared);
      } : (next, last) => push(step, next, last));
      pooled = fused !== null;
    }
    if (pooled) {
      store.release(n);
    } else {
      store.pooled(n, e);
      // ‖e‖² per trial, the rows of e read in order (not one stride-B load per term); each trial's sum still adds
      // j = 0, 1, … onto 0, so the float64 results are the same bit for bit
      squared.fill(0);
      for (let j = 0; j < d; j++) {
        for (let tr = 0, i = j * B; tr < live; tr++, i++) squared[tr] += e[i] ** 2;
      }
    }
    for (let tr = 0; tr < live; tr++) record(context, n - 1, tr, squared[tr], design.traceGramInverse[tr]);
    errors.settle(n, e);
    yield n;
  }
}

/** What one data set's contribution v_s reads: ξ as drawn, trial-major [trial·d + j], and the model it is labelled by. */
interface NoiseStep {
  B: number;
  d: number;
  sigma: number;
  design: ReducedDesign;
  parent: Float64Array;
  xi: Float32Array;
}

/**
 * next = last + v_s, v_s = parent + σ·noiseScale·ξ (ridge: m·(parent − w*)… below), the vectors [j·B + trial] and ξ
 * read across, trial-major [trial·d + j], with no transposed copy.
 */
function push({ B, d, sigma, design, parent, xi }: NoiseStep, next: Float64Array, last: Float64Array): void {
  const { shrink, wStar, noiseScale } = design;
  for (let j = 0; j < d; j++) {
    const i0 = j * B;
    if (shrink && wStar) {
      // ridge: ŵ_s − w* = m·(w_src − w*) + (m − 1)·w* + σ·√μ/(μ + λ)·ξ, coordinate by coordinate
      for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) next[i] = last[i] + (shrink[i] * parent[i] + (shrink[i] - 1) * wStar[i] + sigma * noiseScale[i] * xi[x]);
    } else {
      for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) next[i] = last[i] + (parent[i] + sigma * noiseScale[i] * xi[x]);
    }
  }
}

/**
 * push, and in the same pass the pool e = (next − lo)·scale (lo null: P_0 = 0, e = next·scale, the same value) and
 * ‖e‖² per trial (squared[tr] = 0 + e_0² + e_1² + …, j in order): the float64 operations of push, PoolStore.pooled
 * and the squares loop, each entry's in the same order, in one pass over the vectors instead of three.
 */
function pushPoolSquare(step: NoiseStep, next: Float64Array, last: Float64Array, lo: Float64Array | null, scale: number, e: Float64Array, squared: Float64Array): void {
  const { B, d, sigma, design, parent, xi } = step;
  const { shrink, wStar, noiseScale } = design;
  squared.fill(0);
  for (let j = 0; j < d; j++) {
    const i0 = j * B;
    if (shrink && wStar) {
      for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) {
        const p = last[i] + (shrink[i] * parent[i] + (shrink[i] - 1) * wStar[i] + sigma * noiseScale[i] * xi[x]);
        next[i] = p;
        const out = lo ? (p - lo[i]) * scale : p * scale;
        e[i] = out;
        squared[tr] += out ** 2;
      }
    } else if (lo) {
      for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) {
        const p = last[i] + (parent[i] + sigma * noiseScale[i] * xi[x]);
        next[i] = p;
        const out = (p - lo[i]) * scale;
        e[i] = out;
        squared[tr] += out ** 2;
      }
    } else {
      for (let tr = 0, i = i0, x = j; tr < B; tr++, i++, x += d) {
        const p = last[i] + (parent[i] + sigma * noiseScale[i] * xi[x]);
        next[i] = p;
        const out = p * scale;
        e[i] = out;
        squared[tr] += out ** 2;
      }
    }
  }
}

/**
 * ξ of each data set, drawn one data set ahead: the noise does not depend on the models, so the next data set's
 * kernel call runs on the worker threads while the host pools this one. Two buffers: a draw lands in the one whose
 * data set is done (`buffers`, two of B·d). next(s) must be called for the data sets in the order plan.added lists them.
 */
function prefetchedNoise({ kernels, root, first, plan }: ChunkContext, d: number, buffers: Float32Array[]): { next(s: number): Promise<Float32Array> } {
  const order = plan.added.flat();
  const draw = (k: number): Promise<Float32Array> => {
    const pending = kernels.trialNormals(d, noiseSeed(root, order[k]), first, buffers[k % 2]);
    pending.catch(noop); // awaited by next(); a chunk that fails first must not leave it unhandled
    return pending;
  };
  let k = 0;
  let ahead = order.length > 0 ? draw(0) : null;
  return {
    next(s) {
      if (order[k] !== s || !ahead) throw new Error(`reduced: data set ${s} drawn out of order`);
      const current = ahead;
      k += 1;
      ahead = k < order.length ? draw(k) : null;
      return current;
    },
  };
}

const noop = (): void => undefined;

/**
 * Bytes of a chunk's arena: the prefixes and models alive at once (liveGenerations) and the model being fitted, the
 * design's noiseScale, shrink and w* and a zero vector (float64, B·d each), ‖e‖² per trial, and two ξ buffers
 * (float32), each rounded up to 16 bytes. A vector beyond it would be an ordinary array (the step then runs in JS).
 */
function arenaBytes(plan: PoolPlan, B: number, d: number): number {
  const round = (bytes: number): number => (bytes + 15) & ~15;
  return (liveGenerations(plan) + 1 + 4) * round(8 * B * d) + round(8 * B) + 2 * round(4 * B * d);
}
