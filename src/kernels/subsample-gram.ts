/**
 * The subsample method's work per generation as hand-written wasm on webasm's worker pool, each trial on one worker
 * from its labels to its fit, with the numbers of the gpu.js kernels and host code it replaces, bit for bit:
 * - the labels of each data set (subsample-labels-wasm.ts), kept in the kernel's memory for later draws;
 * - the subsample's draw, counts c_t and summed labels u_t (subsample-sample-wasm.ts);
 * - the block Gram Σ_t c_t·x_t x_tᵀ (here): linear.ts's BLOCK_GRAM cells. gpu.js's webasm code loads a lane-varying
 *   index one lane at a time and converts every index from float, ~55 wasm operations per row for a cell's 16
 *   multiply-adds; here a row costs one v128.load of X[t, k…k+3], the weight's splat and four v128.load32_splat of
 *   X[t, j…j+3], ~18. The arithmetic is BLOCK_GRAM's, in its order and float32 precision (wasm's f32x4 mul and add
 *   are IEEE binary32, no fused multiply-add): v = c_t·X[t,k]; s_n += v·X[t,j_n] over the drawn rows, t ascending;
 * - Xᵀu, the Cholesky factor and the solves (subsample-fit-wasm.ts).
 * X stays in the kernel's shared memory for the chunk (`load`), where gpu.js copied its arguments in on every call;
 * only the d-vector solutions (and, for minimum-norm fits, the counts and sums) are read on the main thread.
 */
import type { Backend } from './gpu-backend.js';
import { blockPairs, paddedColumns, unpackBlockGram, type LinearShape } from './linear.js';
import { factorSolveFunction, fitFunction, minNormBytes, minNormFunction, PIVOT_FLOOR_AT, RIDGE_AT, xtuFunction, type FitLayout } from './subsample-fit-wasm.js';
import { columnsOf, LABELS_AT, labelsFunction, paddedRows, SIGMA_AT, type LabelsLayout } from './subsample-labels-wasm.js';
import { POOL_COUNT_AT, sampleFunction, type SampleLayout } from './subsample-sample-wasm.js';
import { xoshiroState } from '../core/rng.js';
import { align16, Code, I32, OP, PAGE, poolModule, SIMD, V128, wasmModule, type WasmFunction } from './wasm-emit.js';

/** One chunk's subsample kernel: X loaded once, then a few calls per generation. release() frees its workers' copies. */
export interface SubsampleGram {
  /** padded trial-major X (padTrialMajor), B·T·dp values, kept for the calls that follow */
  load(Xpadded: Float32Array): void;
  /** Σ_t c[t]·x_t x_tᵀ per trial, float64 [trial·d² + j·d + k], both triangles filled, into `out` */
  gram(c: Float32Array, out: Float64Array): Promise<Float64Array>;
  /** the multiplicities c and summed labels u, [trial·T + t], in the kernel's memory: fit() draws them or reads them */
  readonly counts: Float32Array;
  readonly summed: Float32Array;
  /**
   * The next data set's labels y = Xw + σz [trial·T + t], kept in the kernel for the draws (at most `dataSets`):
   * the numbers of LinearKernels.drawTrialLabels. `drawNoise` fills its argument with z as trialNormals(T, seed,
   * first) draws it (the stream drawTrialLabels draws in-kernel); `w` is the model [k·B + trial]. Returns a view.
   */
  labels(w: Float32Array, sigma: number, drawNoise: (z: Float32Array) => Promise<unknown>): Promise<Float32Array>;
  /**
   * Per trial, on the workers. With `pool` and `keys`: draw the subsample — T of the pooled data sets' rows
   * without replacement (`pool`: indices of kept data sets, in labels() order), with the stream KeyedGenerator(
   * keys(trial)) and DistinctSampler's algorithm — into counts and summed; else they are read as written. Then,
   * unless `solve` is false: the Gram of counts plus `ridge` on its diagonal, its Cholesky factor (a pivot not above
   * `pivotFloor` × the largest diagonal entry fails), Xᵀsummed and the least-squares solution — the numbers of
   * weightedGram, xty, choleskyInPlace and choleskySolve; where that was not done or failed, the minimum-norm
   * fit (subsample.ts's minimumNorm). solutions[trial·dp + j] (dp = paddedColumns(d)); solved[trial]: 1 the Cholesky
   * solve, 2 the minimum-norm fit, 0 the drawn rows linearly dependent, 4 more than dp rows for the minimum-norm fit
   * (0 and 4: the caller's host fit decides). Views valid until the next call.
   */
  fit(options: FitOptions): Promise<{ solutions: Float64Array; solved: Int32Array }>;
  release(): void;
}

export interface FitOptions {
  ridge: number;
  pivotFloor: number;
  pool?: readonly number[];
  keys?: (trial: number) => number;
  /** false: only draw (the caller fits, e.g. minimum-norm) */
  solve?: boolean;
}

/** What run() does per trial, bits of the header's mode word. */
const SAMPLE = 1;
const GRAM = 2;
const FIT = 4;
const LABELS = 8;
const MIN_NORM = 16;
/** Shared wasm memory is capped at 4 GiB; beyond this the caller's host path runs instead (the same numbers). */
const MAX_BYTES = 2 ** 31;


/**
 * The wasm kernel for this shape on `backend`'s worker pool, keeping up to `dataSets` data sets' labels, or null
 * where it cannot run (not webasm, no pool, no wasm SIMD or shared memory, too large): the caller then uses
 * LinearKernels and the host, which give the same numbers.
 */
export function createSubsampleGram(backend: Backend, shape: LinearShape, dataSets = 0): SubsampleGram | null {
  const pool = backend.workerPool;
  if (backend.name !== 'webasm' || !pool || typeof SharedArrayBuffer === 'undefined') return null;
  const { B, T, d } = shape;
  const dp = paddedColumns(d);
  const pairs = blockPairs(d);
  const P = pairs.JQ.length;
  const tasks = Math.max(1, Math.min(pool.size, B));
  // memory, 16-byte aligned: the header (mode, ridge, pivot floor, σ, pool size, labels' destination), the pair
  // table (i32 byte offsets of the j and k blocks in a row), then each region below
  const pairOffset = 48;
  let end = pairOffset + P * 8;
  const region = (bytes: number) => {
    const at = align16(end);
    end = at + bytes;
    return at;
  };
  const xOffset = region(B * T * dp * 4);
  const cOffset = region(B * T * 4);
  const uOffset = region(B * T * 4);
  const outOffset = region(B * P * 64);
  const solOffset = region(B * dp * 8);
  const statusOffset = region(B * 4);
  const scratchOffset = region(tasks * dp * dp * 8);
  const minNormOffset = region(tasks * minNormBytes(dp));
  const xcOffset = region(B * d * paddedRows(T) * 4);
  const wOffset = region(B * d * 4);
  const zOffset = region(B * T * 4 + 16);
  const listOffset = region(tasks * T * 4);
  const labelsOffset = region(dataSets * B * T * 4);
  const poolOffset = region(dataSets * 4);
  const keysOffset = region(B * 16);
  const stampBytes = dataSets * T * 4;
  const stampsOffset = region(tasks * stampBytes);
  const epochsOffset = region(tasks * 4);
  if (end > MAX_BYTES) return null;
  const pages = Math.ceil(end / PAGE);
  const cellLayout: CellLayout = { T, dp, P, xOffset, cOffset, outOffset, pairOffset, listOffset };
  const fitLayout: FitLayout = { T, d, dp, P, pairOffset, xOffset, uOffset, outOffset, solOffset, statusOffset, scratchOffset };
  const labelsLayout: LabelsLayout = { B, T, d, xcOffset, wOffset, zOffset };
  const sampleLayout: SampleLayout = { T, cOffset, uOffset, keysOffset, poolOffset, stampsOffset, stampBytes, epochsOffset };
  const functions = [runFunction(cellLayout, statusOffset), cellFunction(cellLayout), xtuFunction(fitLayout), fitFunction(fitLayout), labelsFunction(labelsLayout), sampleFunction(sampleLayout), factorSolveFunction(fitLayout), minNormFunction({ ...fitLayout, cOffset, listOffset, minNormOffset })];
  const entry = poolModule(wasmModule(pages, functions), pages, 'subsample');
  if (!entry) return null;
  const buffer = entry.memory.buffer;
  const table = new Int32Array(buffer, pairOffset, P * 2);
  for (let p = 0; p < P; p++) {
    table[2 * p] = pairs.JQ[p] * 16;
    table[2 * p + 1] = pairs.KQ[p] * 16;
  }
  const header = new Int32Array(buffer, 0, 12);
  const parameters = new Float64Array(buffer, 0, 3);
  const sigmaF32 = new Float32Array(buffer, SIGMA_AT, 1);
  const X = new Float32Array(buffer, xOffset, B * T * dp);
  const Xc = new Float32Array(buffer, xcOffset, B * d * paddedRows(T));
  const model = new Float32Array(buffer, wOffset, B * d);
  const noise = new Float32Array(buffer, zOffset, B * T);
  const counts = new Float32Array(buffer, cOffset, B * T);
  const summed = new Float32Array(buffer, uOffset, B * T);
  const cells = new Float32Array(buffer, outOffset, B * P * 16);
  const solutions = new Float64Array(buffer, solOffset, B * dp);
  const solved = new Int32Array(buffer, statusOffset, B);
  const pooled = new Int32Array(buffer, poolOffset, dataSets);
  const keys = new Uint32Array(buffer, keysOffset, B * 4);
  // contiguous ranges of trials, one per task (trials cost alike); the task's index picks its scratch
  const ranges = Array.from({ length: tasks }, (_, w) => ({ start: Math.floor((w * B) / tasks), end: Math.floor(((w + 1) * B) / tasks), seed: w }));
  const run = (mode: number) => {
    header[0] = mode;
    return pool.dispatch(entry as unknown as { id: number }, ranges);
  };
  let stored = 0;
  let tail: Promise<unknown> = Promise.resolve();
  let released = false;
  // calls queue: one set of weights and cells in the memory at a time
  const queued = <R>(call: () => Promise<R>): Promise<R> => {
    const result = tail.then(call);
    tail = result.then(noop, noop);
    return result;
  };
  return {
    counts,
    summed,
    load(Xpadded) {
      X.set(Xpadded);
      columnsOf(Xpadded, B, T, d, dp, Xc);
    },
    gram(c, out) {
      return queued(async () => {
        counts.set(c);
        await run(GRAM);
        return unpackBlockGram(cells, pairs, B, d, out);
      });
    },
    labels(w, sigma, drawNoise) {
      return queued(async () => {
        if (stored >= dataSets) throw new Error(`subsample kernel: room for ${dataSets} data sets' labels, all used`);
        const at = labelsOffset + stored * B * T * 4;
        stored += 1;
        header[LABELS_AT / 4] = at;
        sigmaF32[0] = sigma;
        model.set(w);
        await drawNoise(noise);
        await run(LABELS);
        return new Float32Array(buffer, at, B * T);
      });
    },
    fit({ ridge, pivotFloor, pool: kept, keys: keyOf, solve = true }) {
      return queued(async () => {
        let mode = (solve ? GRAM | FIT : 0) | MIN_NORM;
        if (kept && keyOf) {
          if (kept.some((s) => !(s >= 0 && s < stored))) throw new Error(`subsample kernel: the pool names a data set not stored (${stored} are)`);
          pooled.set(kept.map((s) => labelsOffset + s * B * T * 4));
          header[POOL_COUNT_AT / 4] = kept.length;
          for (let tr = 0; tr < B; tr++) xoshiroState(keyOf(tr), keys, 4 * tr);
          mode |= SAMPLE;
        }
        parameters[RIDGE_AT / 8] = ridge;
        parameters[PIVOT_FLOOR_AT / 8] = pivotFloor;
        await run(mode);
        return { solutions, solved };
      });
    },
    release() {
      if (!released) pool.release(entry.id as unknown as number);
      released = true;
    },
  };
}

const noop = (): void => undefined;

/**
 * run(start, end, task), what the worker pool calls, for trials start … end − 1 as the header's mode says: the
 * labels (LABELS); or the subsample drawn (SAMPLE), the block Gram's cells (GRAM), Xᵀu and the fit with its status
 * (FIT).
 */
function runFunction(L: CellLayout, statusOffset: number): WasmFunction {
  const [TR, C, CEND, MODE, LIST, LP, CB, T4, TEND] = [3, 4, 5, 6, 7, 8, 9, 10, 11];
  const c = new Code();
  const when = (bit: number, body: () => void) => {
    c.get(MODE).i32(bit).op(OP.i32And).if();
    body();
    c.end();
  };
  c.i32(0).i32Load(0).set(MODE).get(0).set(TR);
  c.get(2).i32(L.T * 4).op(OP.i32Mul).i32(L.listOffset).op(OP.i32Add).set(LIST).i32(L.T * 4).set(TEND);
  c.whileBelow(TR, 1, () => {
    when(LABELS, () => c.get(TR).call(4));
    when(SAMPLE, () => c.get(TR).get(2).call(5));
    when(GRAM, () => {
      // the rows this trial's subsample drew (c > 0), as byte offsets t·4, without a branch per row: every cell
      // then walks them with no test
      c.get(TR).i32(L.T * 4).op(OP.i32Mul).i32(L.cOffset).op(OP.i32Add).set(CB);
      c.get(LIST).set(LP).i32(0).set(T4);
      c.whileBelow(T4, TEND, () => {
        c.get(LP).get(T4).i32Store();
        c.get(LP).get(CB).get(T4).op(OP.i32Add).f32Load().f32(0).op(OP.f32Gt).i32(2).op(OP.i32Shl).op(OP.i32Add).set(LP);
        c.addTo(T4, 4);
      });
      c.get(TR).i32(L.P).op(OP.i32Mul).tee(C).i32(L.P).op(OP.i32Add).set(CEND);
      c.whileBelow(C, CEND, () => c.get(C).get(LIST).get(LP).call(1).addTo(C, 1));
    });
    when(FIT, () => {
      c.get(TR).call(2);
      c.get(TR).i32(4).op(OP.i32Mul).i32(statusOffset).op(OP.i32Add).get(TR).get(2).call(3).i32Store();
    });
    // the minimum-norm fit where no Gram was factored (T ≤ d) or its factorisation failed (fewer than d rows)
    when(MIN_NORM, () => {
      c.get(MODE).i32(FIT).op(OP.i32And).op(OP.i32Eqz).get(TR).i32(4).op(OP.i32Mul).i32(statusOffset).op(OP.i32Add).i32Load().op(OP.i32Eqz).op(OP.i32Or).if();
      c.get(TR).i32(4).op(OP.i32Mul).i32(statusOffset).op(OP.i32Add).get(TR).get(2).call(7).i32Store();
      c.end();
    });
    c.addTo(TR, 1);
  });
  return { params: [I32, I32, I32], results: [], locals: new Array<number>(9).fill(I32), code: c };
}

interface CellLayout {
  T: number;
  /** per task T i32: the drawn rows of the trial at hand */
  listOffset: number;
  dp: number;
  P: number;
  xOffset: number;
  cOffset: number;
  outOffset: number;
  pairOffset: number;
}

/**
 * cell(index, list, listEnd): one (trial, block pair) of the block Gram over the drawn rows listed, BLOCK_GRAM's
 * arithmetic in its order (t ascending, rows with c = 0 skipped), into the cells.
 */
function cellFunction(L: CellLayout): WasmFunction {
  const c = new Code();
  const rowBytes = L.T * L.dp * 4;
  // locals: 0 cell, 1 list, 2 listEnd (params); 3 tr, 4 p, 5 xk, 6 xj, 7 cb, 8 lp, 9 o, 10 t4, 11 xo (i32); 12 w (f32);
  // 13–16 s0…s3, 17 v (v128)
  const [CELL, LIST, LEND, TR, PP, XK, XJ, CB, LP, O, T4, XO, W, S, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17];
  // tr = cell / P, p = cell − tr·P
  c.get(CELL).i32(L.P).op(OP.i32DivU).set(TR);
  c.get(CELL).get(TR).i32(L.P).op(OP.i32Mul).op(OP.i32Sub).set(PP);
  // xj = xOffset + tr·rowBytes; xk = xj + table[2p + 1]; xj += table[2p]
  c.get(TR).i32(rowBytes).op(OP.i32Mul).i32(L.xOffset).op(OP.i32Add).set(XJ);
  c.get(XJ).get(PP).i32(8).op(OP.i32Mul).i32Load(L.pairOffset + 4).op(OP.i32Add).set(XK);
  c.get(XJ).get(PP).i32(8).op(OP.i32Mul).i32Load(L.pairOffset).op(OP.i32Add).set(XJ);
  c.get(TR).i32(L.T * 4).op(OP.i32Mul).i32(L.cOffset).op(OP.i32Add).set(CB);
  for (let n = 0; n < 4; n++) c.v128Zero().set(S + n);
  c.get(LIST).set(LP);
  c.whileBelow(LP, LEND, () => {
    c.get(LP).i32Load().tee(T4).i32(L.dp).op(OP.i32Mul).set(XO); // row t: X at t·dp·4, c at t·4
    c.get(CB).get(T4).op(OP.i32Add).f32Load().set(W);
    c.get(W).simd(SIMD.f32x4Splat).get(XK).get(XO).op(OP.i32Add).v128Load(0).simd(SIMD.f32x4Mul).set(V); // v = c·X[t, k…k+3], rounded to float32
    c.get(XJ).get(XO).op(OP.i32Add).set(XO);
    for (let n = 0; n < 4; n++) {
      // s_n + v·X[t, j + n]
      c.get(S + n).get(V).get(XO).simdMem(SIMD.load32Splat, 2, 4 * n).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S + n);
    }
    c.addTo(LP, 4);
  });
  // cells[((cell·4 + lane)·4 + n] = s_n[lane]
  c.get(CELL).i32(64).op(OP.i32Mul).i32(L.outOffset).op(OP.i32Add).set(O);
  for (let lane = 0; lane < 4; lane++) {
    for (let n = 0; n < 4; n++) c.get(O).get(S + n).simd(SIMD.f32x4ExtractLane, lane).f32Store((lane * 4 + n) * 4);
  }
  return { params: [I32, I32, I32], results: [], locals: [...new Array<number>(9).fill(I32), 0x7d, V128, V128, V128, V128, V128], code: c };
}
