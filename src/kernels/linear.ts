/**
 * gpu.js kernels for the fixed-design linear-regression Monte Carlo, batched over trials.
 *
 * Two layouts, chosen by which loads the SIMD lanes of webasm share (it loads a lane-varying index one lane at a
 * time, a lane-uniform one once): the labels kernels run lanes along trials, X[(t·d + k)·B + trial], v[k·B + trial];
 * the reductions (Xᵀy, the block Gram) run lanes along features on trial-major X padded to 4⌈d/4⌉ columns,
 * X[(trial·T + t)·dp + k], so y[t] and c[t] are shared by the four lanes. Random kernels draw trial-major.
 * B is the number of trials in a chunk; every buffer stays below MAX_BUFFER elements so that indices are exact
 * in float32 on every backend. Kernels are float32; each has a float64 reference for conformance tests (C4).
 */
import { foldIn, KeyedGenerator } from '../core/rng.js';
import type { Backend, GpuKernel } from './backend.js';
import { NORMAL_PAIR, NORMALS, pairSpan, streamSeed } from './normal-draw.js';
import { ResidentXtyPool, type ResidentXty } from './noise-moments.js';

/** Largest buffer (elements) a kernel indexes: 2^23 keeps every flat index exact in float32 with margin. */
export const MAX_BUFFER = 2 ** 23;

export interface LinearShape {
  /** trials per chunk */
  B: number;
  /** samples per generation */
  T: number;
  /** features */
  d: number;
}

/** y[t] = Σ_k X[t,k]·w[k] + σ·noise[t]: one generation's labels (output [B, T]). */
const LABELS = `function(X, w, noise, sigma) {
  const tr = this.thread.x;
  const t = this.thread.y;
  let s = 0;
  for (let k = 0; k < this.constants.d; k += 1) {
    s += X[(t * this.constants.d + k) * this.constants.B + tr] * w[k * this.constants.B + tr];
  }
  return s + sigma * noise[t * this.constants.B + tr];
}`;

/**
 * The same labels with the noise drawn in the kernel, two per cell (Box–Muller's pair, see NORMAL_PAIR) on the
 * trial-major stream [trial·T + t] that normals(T, …) draws: cell p labels entries 2p − offset and 2p + 1 − offset
 * of the chunk (offset: the parity of the chunk's first draw, pairSpan), which may belong to two trials. Entries
 * outside the chunk are clamped to it for the loads and dropped by the caller. No noise buffer.
 */
const LABELS_RANDOM = `function(X, w, sigma, offset) {${NORMAL_PAIR}
  const g0 = Math.max(2 * this.thread.x - offset, 0);
  const g1 = Math.min(2 * this.thread.x + 1 - offset, this.constants.B * this.constants.T - 1);
  const tr0 = Math.floor(g0 / this.constants.T);
  const t0 = g0 - tr0 * this.constants.T;
  const tr1 = Math.floor(g1 / this.constants.T);
  const t1 = g1 - tr1 * this.constants.T;
  let label0 = 0;
  let label1 = 0;
  for (let k = 0; k < this.constants.d; k += 1) {
    label0 += X[(t0 * this.constants.d + k) * this.constants.B + tr0] * w[k * this.constants.B + tr0];
    label1 += X[(t1 * this.constants.d + k) * this.constants.B + tr1] * w[k * this.constants.B + tr1];
  }
  return [label0 + sigma * z0, label1 + sigma * z1];
}`;

/**
 * (Xᵀy)[k] = Σ_t X[t,k]·y[t] per trial (the data pass of a least-squares refit), from padded trial-major X
 * (padTrialMajor) and y [trial·T + t]; output [dp, 1, B], one cell per (k, trial). Lanes run along k, so y[t] is one
 * load for the four lanes (gpu.js's webasm loads lane-varying indices one lane at a time): half the loads of a
 * trial-fastest layout. Two partial sums pipeline the adds; the bounds are constants (gpu.js caps computed loop
 * bounds at 1000 iterations). Several vectors over the same X: XTY_QUADS.
 */
const XTY = `function(X, Y) {
  const tr = this.thread.z;
  let ix = tr * this.constants.T * this.constants.dp + this.thread.x;
  let iy = tr * this.constants.T;
  let s0 = 0;
  let s1 = 0;
  for (let t = 0; t < this.constants.T2; t += 2) {
    s0 += X[ix] * Y[iy];
    s1 += X[ix + this.constants.dp] * Y[iy + 1];
    ix += 2 * this.constants.dp;
    iy += 2;
  }
  for (let u = this.constants.T2; u < this.constants.T; u += 1) {
    s0 += X[ix] * Y[iy];
    ix += this.constants.dp;
    iy += 1;
  }
  return s0 + s1;
}`;

/**
 * Xᵀy_s for four vectors per cell (the full method's noise moments Xᵀε_s): output [dp, V/4, B], Array(4), cell
 * (k, q, trial) returning (Xᵀy_{4q+j})[k] for j = 0…3, from padded trial-major X and Y [(s·B + trial)·T + t]. Each
 * X[t, k] load (lane-varying, so one lane at a time on webasm) serves four multiply-adds instead of one: 3.3× the
 * rate of XTY per vector at d = 10, T = 100 (measured, 3.0 GFLOP/s on 2 cores).
 */
const XTY_QUADS = `function(X, Y) {
  const tr = this.thread.z;
  let ix = tr * this.constants.T * this.constants.dp + this.thread.x;
  let iy = (this.thread.y * 4 * this.constants.B + tr) * this.constants.T;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let t = 0; t < this.constants.T; t += 1) {
    const x = X[ix];
    s0 += x * Y[iy];
    s1 += x * Y[iy + this.constants.BT];
    s2 += x * Y[iy + 2 * this.constants.BT];
    s3 += x * Y[iy + 3 * this.constants.BT];
    ix += this.constants.dp;
    iy += 1;
  }
  return [s0, s1, s2, s3];
}`;

/**
 * Where xtyQuads puts (Xᵀy_s)[k] of a trial, for `vectors` vectors (a multiple of 4) and dp = paddedColumns(d);
 * entry k + 1 lies 4 further on.
 */
export function xtyIndex(dp: number, vectors: number, trial: number, s: number, k: number): number {
  return ((trial * (vectors >> 2) + (s >> 2)) * dp + k) * 4 + (s & 3);
}

/**
 * G[j,k] = Σ_t c[t]·X[t,j]·X[t,k], the Gram of a row subsample with multiplicities c, per trial, from trial-major X
 * with rows padded to dp = 4⌈d/4⌉ columns (padTrialMajor). A cell is one 4×4 block pair (JQ[p], KQ[p]) of the lower
 * block triangle: its four lanes run along k (contiguous in memory, one SIMD load), and it returns four j's, so a
 * row's X[t, j…j+3] is loaded once for 16 multiply-adds; rows a subsample did not draw (c = 0, the same for all
 * lanes) are skipped. 5.4 GFLOP/s at d = 100, T = 1000 on 2 cores, against ~0.4 for the trial-fastest layout, whose
 * every load missed cache once a trial's X outgrew it.
 */
const BLOCK_GRAM = `function(X, c, JQ, KQ) {
  const k = KQ[this.thread.y] * 4 + this.thread.x;
  const j = JQ[this.thread.y] * 4;
  const base = this.thread.z * this.constants.T * this.constants.dp;
  let ik = base + k;
  let ij = base + j;
  let ic = this.thread.z * this.constants.T;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let t = 0; t < this.constants.T; t += 1) {
    const weight = c[ic];
    if (weight > 0) {
      const v = weight * X[ik];
      s0 += v * X[ij];
      s1 += v * X[ij + 1];
      s2 += v * X[ij + 2];
      s3 += v * X[ij + 3];
    }
    ik += this.constants.dp;
    ij += this.constants.dp;
    ic += 1;
  }
  return [s0, s1, s2, s3];
}`;

/** The lower block triangle's (j-block, k-block) pairs of the block Gram, JQ ≥ KQ, in the order its cells come out. */
export function blockPairs(d: number): { JQ: Float32Array; KQ: Float32Array } {
  const blocks = paddedColumns(d) / 4;
  const pairs = { JQ: new Float32Array((blocks * (blocks + 1)) / 2), KQ: new Float32Array((blocks * (blocks + 1)) / 2) };
  for (let j = 0, p = 0; j < blocks; j++) for (let k = 0; k <= j; k++, p++) [pairs.JQ[p], pairs.KQ[p]] = [j, k];
  return pairs;
}

/**
 * The block Gram's cells [((trial·P + p)·4 + lane)·4 + n] (k = 4·KQ[p] + lane, j = 4·JQ[p] + n) as float64
 * [trial·d² + j·d + k], both triangles filled, into `out` when given.
 */
export function unpackBlockGram(cells: Float32Array, pairs: { JQ: Float32Array; KQ: Float32Array }, B: number, d: number, out: Float64Array = new Float64Array(B * d * d)): Float64Array {
  const P = pairs.JQ.length;
  for (let tr = 0; tr < B; tr++) {
    const g = tr * d * d;
    for (let p = 0; p < P; p++) {
      for (let lane = 0; lane < 4; lane++) {
        const k = pairs.KQ[p] * 4 + lane;
        if (k >= d) break;
        const cell = ((tr * P + p) * 4 + lane) * 4;
        for (let n = 0; n < 4; n++) {
          const j = pairs.JQ[p] * 4 + n;
          if (j < k || j >= d) continue;
          const v = cells[cell + n];
          out[g + j * d + k] = v;
          out[g + k * d + j] = v;
        }
      }
    }
  }
  return out;
}

/** Columns of the padded trial-major X the block Gram reads. */
export const paddedColumns = (d: number): number => 4 * Math.ceil(d / 4);

/**
 * X of every trial, trial-major and padded for BLOCK_GRAM: [(trial·T + t)·dp + k], zeros for k ≥ d. `z` holds
 * `rowsPerTrial` values per trial whose first T·d are X row-major (the design's draws: X, then w*). Written into
 * `out` when given (a reused buffer: the padding is zeroed here too).
 */
export function padTrialMajor(z: Float32Array, B: number, T: number, d: number, rowsPerTrial: number, out?: Float32Array): Float32Array {
  const dp = paddedColumns(d);
  const padded = out ?? new Float32Array(B * T * dp);
  for (let tr = 0; tr < B; tr++) {
    for (let t = 0; t < T; t++) {
      const from = tr * rowsPerTrial + t * d;
      const to = (tr * T + t) * dp;
      for (let k = 0; k < d; k++) padded[to + k] = z[from + k]; // a loop: subarray + set per row costs 10× at small d
      if (out) for (let k = d; k < dp; k++) padded[to + k] = 0;
    }
  }
  return padded;
}

/**
 * A trial-major 1-D output [trial·rows + row] into the kernels' layout [row·B + trial], in 64×64 tiles: a plain
 * double loop strides one side through memory and took 5× longer (4.2 ms against 0.8 ms for 4096 × 100).
 */
export function toTrialFastest(flat: ArrayLike<number>, B: number, rows: number): Float32Array {
  const TILE = 64;
  const out = new Float32Array(B * rows);
  for (let t0 = 0; t0 < B; t0 += TILE) {
    const t1 = Math.min(B, t0 + TILE);
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE);
      for (let r = r0; r < r1; r++) {
        const row = r * B;
        for (let tr = t0; tr < t1; tr++) out[row + tr] = flat[tr * rows + r];
      }
    }
  }
  return out;
}

export interface LinearKernels {
  readonly backend: Backend;
  readonly shape: LinearShape;
  /**
   * `rows`×B standard normals, layout [row·B + trial], for global trials first … first + B − 1 of the stream named
   * by `seed`: a (trial, row) draws the same number whatever chunk it falls in (in-kernel PCG; host on cpu).
   */
  normals(rows: number, seed: number, first?: number): Promise<Float32Array>;
  /**
   * the same draws in trial-major layout [trial·rows + row] (each trial's rows contiguous, as host code wants them),
   * written into `out` (B·rows values) when given
   */
  trialNormals(rows: number, seed: number, first?: number, out?: Float32Array): Promise<Float32Array>;
  labels(X: Float32Array, w: Float32Array, noise: Float32Array, sigma: number): Promise<Float32Array>;
  /** labels with fresh N(0, 1) noise, the same numbers as normals(T, seed, first): drawn in the kernel where it can be seeded */
  drawTrialLabels(X: Float32Array, w: Float32Array, sigma: number, seed: number, first?: number): Promise<Float32Array>;
  /** the same labels in the kernels' layout [t·B + trial] */
  drawLabels(X: Float32Array, w: Float32Array, sigma: number, seed: number, first?: number): Promise<Float32Array>;
  /** Xᵀy per trial from padded trial-major X (padTrialMajor) and y [trial·T + t]; out [trial·d + k] */
  xty(Xpadded: Float32Array, y: Float32Array): Promise<Float32Array>;
  /**
   * xty for `vectors` vectors (a multiple of 4) in one call, X copied into the kernel once: Y [(s·B + trial)·T + t],
   * out laid out as xtyIndex says
   */
  xtyQuads(Xpadded: Float32Array, Y: Float32Array, vectors: number, out?: Float32Array): Promise<Float32Array>;
  /**
   * Σ_t c[t]·x_t x_tᵀ per trial from padded trial-major X (padTrialMajor) and c [trial·T + t]; float64 out,
   * trial-major [trial·d² + j·d + k], both triangles filled; written into `out` (B·d² values) when given: a fresh
   * output per call costs page faults (~1 ms per MB on these VMs)
   */
  weightedGram(Xpadded: Float32Array, c: Float32Array, out?: Float64Array): Promise<Float64Array>;
  /**
   * webasm: xtyQuads' numbers with X kept in the kernel's memory for a chunk (noise-moments.ts), one instance per
   * chunk in flight, reused; null elsewhere
   */
  residentXty(vectors: number): ResidentXty | null;
  /** Free the compiled kernels and their memory. */
  release(): void;
  /** Which gpu.js kernel classes ran (a kernel gpu.js degraded to cpu shows up here). */
  kernelClasses(): string[];
}

/**
 * Host normals where the backend cannot seed its kernels (gpu.js cpu mode): one keyed stream per global trial, so
 * these too do not depend on the chunking. Layout [trial·rows + row], into `out` when given.
 */
export function hostTrialNormals(rows: number, B: number, seed: number, first: number, out: Float32Array = new Float32Array(rows * B)): Float32Array {
  for (let tr = 0; tr < B; tr++) {
    const generator = new KeyedGenerator(foldIn(seed, first + tr));
    for (let r = 0, i = tr * rows; r < rows; r++, i++) out[i] = generator.normal();
  }
  return out;
}

/** Compile the kernels for one shape. Shapes are baked into the kernels, so a new shape compiles anew. */
export function createLinearKernels(backend: Backend, shape: LinearShape): LinearKernels {
  const { B, T, d } = shape;
  const constants = { B, T, d };
  const compiled: GpuKernel[] = [];
  const make = (source: string, rows: number, extra: Record<string, unknown> = {}) => {
    const kernel = backend.createKernel(source, { output: [B, rows], constants, ...extra });
    compiled.push(kernel);
    return kernel;
  };
  const labels = make(LABELS, T, { label: 'labels' });
  let labelsRandom: GpuKernel | undefined;
  let weightedGram: GpuKernel | undefined;
  const pairs = blockPairs(d);
  const dp = paddedColumns(d);
  let xty: GpuKernel | undefined;
  const xtyKernels = new Map<number, GpuKernel>(); // XTY_QUADS by the number of vectors per call
  const normalKernels = new Map<number, GpuKernel>();
  const gramCells: Float32Array[] = []; // the block Gram's raw results, one buffer per call in flight, reused
  const residents = new ResidentXtyPool(backend, shape);
  return {
    backend,
    shape,
    release() {
      for (const kernel of compiled) kernel.destroy?.();
      residents.release();
    },
    residentXty(vectors) {
      return residents.acquire(vectors);
    },
    async trialNormals(rows, seed, first = 0, out) {
      if (!backend.inKernelRandom) return hostTrialNormals(rows, B, seed, first, out);
      const span = pairSpan(first * rows, B * rows);
      let kernel = normalKernels.get(rows);
      if (!kernel) {
        kernel = backend.createKernel(NORMALS, { label: `normals ${rows} rows`, output: [span.cells], constants, randomSeed: 1, returnType: 'Array(2)' });
        compiled.push(kernel);
        normalKernels.set(rows, kernel);
      }
      return kernel.seededInto(streamSeed(seed, span.firstCell), out ?? new Float32Array(B * rows), span.offset);
    },
    async normals(rows, seed, first = 0) {
      return toTrialFastest(await this.trialNormals(rows, seed, first), B, rows);
    },
    async labels(X, w, noise, sigma) {
      return labels(X, w, noise, sigma);
    },
    async drawTrialLabels(X, w, sigma, seed, first = 0) {
      if (!backend.inKernelRandom) {
        const y = await this.drawLabels(X, w, sigma, seed, first); // [t·B + trial]
        const out = new Float32Array(B * T);
        for (let tr = 0; tr < B; tr++) for (let t = 0; t < T; t++) out[tr * T + t] = y[t * B + tr];
        return out;
      }
      const span = pairSpan(first * T, B * T);
      if (!labelsRandom) {
        labelsRandom = backend.createKernel(LABELS_RANDOM, { label: 'labels with drawn noise', output: [span.cells], constants, randomSeed: 1, returnType: 'Array(2)' });
        compiled.push(labelsRandom);
      }
      return labelsRandom.seededInto(streamSeed(seed, span.firstCell), new Float32Array(B * T), span.offset, X, w, sigma, span.offset);
    },
    async drawLabels(X, w, sigma, seed, first = 0) {
      if (!backend.inKernelRandom) return this.labels(X, w, await this.normals(T, seed, first), sigma);
      return toTrialFastest(await this.drawTrialLabels(X, w, sigma, seed, first), B, T);
    },
    async xty(Xpadded, y) {
      if (!xty) {
        xty = backend.createKernel(XTY, { label: 'Xᵀy', output: [dp, 1, B], constants: { ...constants, dp, T2: T - (T % 2) } });
        compiled.push(xty);
      }
      const cells = await xty(Xpadded, y); // [trial·dp + k]
      const out = new Float32Array(B * d);
      for (let tr = 0; tr < B; tr++) out.set(cells.subarray(tr * dp, tr * dp + d), tr * d);
      return out;
    },
    async xtyQuads(Xpadded, Y, vectors, out) {
      let kernel = xtyKernels.get(vectors);
      if (!kernel) {
        kernel = backend.createKernel(XTY_QUADS, { label: `Xᵀy ${vectors} vectors`, output: [dp, vectors / 4, B], returnType: 'Array(4)', constants: { B, T, dp, BT: B * T } });
        compiled.push(kernel);
        xtyKernels.set(vectors, kernel);
      }
      return kernel.into(out ?? new Float32Array(B * vectors * dp), 0, Xpadded, Y);
    },
    async weightedGram(Xpadded, c, given) {
      if (!weightedGram) {
        weightedGram = backend.createKernel(BLOCK_GRAM, {
          label: 'block Gram',
          output: [4, pairs.JQ.length, B],
          constants: { T, dp: paddedColumns(d) },
          returnType: 'Array(4)',
        });
        compiled.push(weightedGram);
      }
      const P = pairs.JQ.length;
      const cells = await weightedGram.into(gramCells.pop() ?? new Float32Array(B * P * 16), 0, Xpadded, c, pairs.JQ, pairs.KQ); // [((trial·P + p)·4 + lane)·4 + n]
      const out = unpackBlockGram(cells, pairs, B, d, given);
      gramCells.push(cells);
      return out;
    },
    kernelClasses() {
      return [...new Set(compiled.map((k) => k.kernel?.constructor.name ?? 'unknown'))];
    },
  };
}

const CACHED_SHAPES = 4;
interface CachedShape {
  kernels: LinearKernels;
  /** runs using these kernels now: a shape in use is never evicted (runs can overlap, e.g. the grid bench's cells) */
  users: number;
}
const cache = new WeakMap<Backend, Map<string, CachedShape>>();

/** Kernels a run holds until it calls done(); after that the cache may release them. */
export interface KernelLease {
  kernels: LinearKernels;
  done(): void;
}

/**
 * The kernels of a shape, compiled once per backend and kept for the few most recent shapes: verify and sweeps run
 * many configurations of one shape, and a compile plus the worker pool's setup costs more than a small run.
 */
export function leaseLinearKernels(backend: Backend, shape: LinearShape): KernelLease {
  let shapes = cache.get(backend);
  if (!shapes) cache.set(backend, (shapes = new Map()));
  const key = `${shape.B}x${shape.T}x${shape.d}`;
  let entry = shapes.get(key);
  if (entry) shapes.delete(key); // re-insert: Map order is the recency order
  else entry = { kernels: createLinearKernels(backend, shape), users: 0 };
  shapes.set(key, entry);
  entry.users++;
  // the least recently used shapes that no run holds go; shapes in use may keep the cache above its size a while
  for (const [name, old] of shapes) {
    if (shapes.size <= CACHED_SHAPES) break;
    if (old.users > 0) continue;
    shapes.delete(name);
    old.kernels.release();
  }
  const held = entry;
  let returned = false;
  return {
    kernels: held.kernels,
    done() {
      if (!returned) held.users--;
      returned = true;
    },
  };
}
