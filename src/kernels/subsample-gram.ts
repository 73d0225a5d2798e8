/**
 * The subsample method's block Gram as a hand-written wasm SIMD kernel on webasm's worker pool: the same cells as
 * linear.ts's BLOCK_GRAM, bit for bit, at several times its rate.
 *
 * gpu.js's webasm code loads a lane-varying index one lane at a time (four scalar loads and lane inserts, after
 * converting its float index), and every lane-uniform load converts a float index too: ~55 wasm operations per row
 * for a cell's 16 multiply-adds. Here a row costs one v128.load of X[t, k…k+3], one weight load and splat, and four
 * v128.load32_splat of X[t, j…j+3], ~18 operations for the same 16. The arithmetic is BLOCK_GRAM's, in its order
 * and its float32 precision (wasm's f32x4 mul and add are IEEE binary32, like gpu.js's f32 code; no fused
 * multiply-add): v = c_t·X[t,k]; s_n += v·X[t,j_n] for the rows with c_t > 0, t ascending.
 *
 * X stays in the kernel's own shared memory for a whole chunk (`load`), where gpu.js copies its arguments in on
 * every call; the caller writes each generation's weights c and summed labels u straight into it (`counts`,
 * `summed`). `fit` goes on, on the same workers, to each trial's Xᵀu, factorisation and solve
 * (subsample-fit-wasm.ts), so only the d-vector solutions come back to the main thread.
 */
import type { Backend } from './gpu-backend.js';
import { blockPairs, paddedColumns, unpackBlockGram, type LinearShape } from './linear.js';
import { fitFunction, PIVOT_FLOOR_AT, RIDGE_AT, xtuFunction, type FitLayout } from './subsample-fit-wasm.js';
import { columnsOf, labelsFunction, paddedRows, SIGMA_AT, type LabelsLayout } from './subsample-labels-wasm.js';
import { Code, I32, OP, SIMD, V128, wasmModule, type WasmFunction } from './wasm-emit.js';

/** One chunk's block Gram and fits: X loaded once, then one call per generation. release() frees its workers' copies. */
export interface SubsampleGram {
  /** padded trial-major X (padTrialMajor), B·T·dp values, kept for the calls that follow */
  load(Xpadded: Float32Array): void;
  /** Σ_t c[t]·x_t x_tᵀ per trial, float64 [trial·d² + j·d + k], both triangles filled, into `out` */
  gram(c: Float32Array, out: Float64Array): Promise<Float64Array>;
  /** where fit() reads the multiplicities c and the summed labels u, [trial·T + t]: the kernel's memory, write them here */
  readonly counts: Float32Array;
  readonly summed: Float32Array;
  /**
   * One data set's labels y = Xw + σz [trial·T + t], the numbers of LinearKernels.drawTrialLabels: `drawNoise` fills
   * its argument with z as trialNormals(T, seed, first) draws it (the stream drawTrialLabels draws in-kernel), `w`
   * is the model [k·B + trial]. A new array.
   */
  labels(w: Float32Array, sigma: number, drawNoise: (z: Float32Array) => Promise<unknown>): Promise<Float32Array>;
  /**
   * Per trial, on the workers: the Gram of `counts` plus `ridge` on its diagonal, its Cholesky factor (a pivot not
   * above `pivotFloor` × the largest diagonal entry fails the trial), Xᵀ`summed`, and the least-squares solution —
   * the numbers of weightedGram, xty, choleskyInPlaceBlocked and choleskySolve. solutions[trial·dp + j] (dp =
   * paddedColumns(d)), solved[trial] 1 or 0; views valid until the next call.
   */
  fit(ridge: number, pivotFloor: number): Promise<{ solutions: Float64Array; solved: Int32Array }>;
  release(): void;
}

const PAGE = 65536;

/** The slice of WebAssembly used here (Node's lib types lack it under the build's tsconfig, as in wasm-cache.ts). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
}
let entries = 0;

/**
 * The wasm kernel for this shape on `backend`'s worker pool, or null where it cannot run (not webasm, no pool, no
 * wasm SIMD or shared memory): the caller then uses LinearKernels.weightedGram, which gives the same numbers.
 */
export function createSubsampleGram(backend: Backend, shape: LinearShape): SubsampleGram | null {
  const pool = backend.workerPool;
  if (backend.name !== 'webasm' || !pool || typeof SharedArrayBuffer === 'undefined') return null;
  const { B, T, d } = shape;
  const dp = paddedColumns(d);
  const pairs = blockPairs(d);
  const P = pairs.JQ.length;
  const tasks = Math.max(1, Math.min(pool.size, B));
  // memory, 16-byte aligned: a header (mode, ridge, pivot floor), the pair table (i32 byte offsets of the j and k
  // blocks in a row), X, c, u, the cells, the solutions, the status words, each task's factor
  const pairOffset = 32;
  const xOffset = align(pairOffset + P * 8);
  const cOffset = align(xOffset + B * T * dp * 4);
  const uOffset = align(cOffset + B * T * 4);
  const outOffset = align(uOffset + B * T * 4);
  const solOffset = align(outOffset + B * P * 64);
  const statusOffset = align(solOffset + B * dp * 8);
  const scratchOffset = align(statusOffset + B * 4);
  const xcOffset = align(scratchOffset + tasks * dp * dp * 8);
  const wOffset = align(xcOffset + B * d * paddedRows(T) * 4);
  const zOffset = align(wOffset + B * d * 4);
  const yOffset = align(zOffset + B * T * 4 + 16);
  const listOffset = align(yOffset + B * T * 4);
  const pages = Math.ceil((listOffset + tasks * T * 4) / PAGE);
  const cellLayout: CellLayout = { T, dp, P, xOffset, cOffset, outOffset, pairOffset, listOffset };
  const layout: FitLayout = { T, d, dp, P, pairOffset, xOffset, uOffset, outOffset, solOffset, statusOffset, scratchOffset };
  const labelsLayout: LabelsLayout = { B, T, d, xcOffset, wOffset, zOffset, yOffset };
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm) return null;
  let module: object;
  let memory: { buffer: ArrayBufferLike };
  try {
    module = new wasm.Module(wasmModule(pages, [runFunction(cellLayout, statusOffset), cellFunction(cellLayout), xtuFunction(layout), fitFunction(layout), labelsFunction(labelsLayout)]));
    memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null; // no SIMD or no threads in this engine
  }
  const table = new Int32Array(memory.buffer, pairOffset, P * 2);
  for (let p = 0; p < P; p++) {
    table[2 * p] = pairs.JQ[p] * 16;
    table[2 * p + 1] = pairs.KQ[p] * 16;
  }
  const header = new Int32Array(memory.buffer, 0, 2);
  const parameters = new Float64Array(memory.buffer, 0, 3);
  const sigmaF32 = new Float32Array(memory.buffer, SIGMA_AT, 1);
  const Xc = new Float32Array(memory.buffer, xcOffset, B * d * paddedRows(T));
  const model = new Float32Array(memory.buffer, wOffset, B * d);
  const noise = new Float32Array(memory.buffer, zOffset, B * T);
  const labels = new Float32Array(memory.buffer, yOffset, B * T);
  const X = new Float32Array(memory.buffer, xOffset, B * T * dp);
  const counts = new Float32Array(memory.buffer, cOffset, B * T);
  const summed = new Float32Array(memory.buffer, uOffset, B * T);
  const cells = new Float32Array(memory.buffer, outOffset, B * P * 16);
  const solutions = new Float64Array(memory.buffer, solOffset, B * dp);
  const solved = new Int32Array(memory.buffer, statusOffset, B);
  const entry = { id: `collapse-subsample-gram-${++entries}`, module, memory, mathImports: [] as string[], sizeX: 1 };
  // contiguous ranges of trials, one per task (trials cost alike); the task's index picks its scratch
  const ranges = Array.from({ length: tasks }, (_, w) => ({ start: Math.floor((w * B) / tasks), end: Math.floor(((w + 1) * B) / tasks), seed: w }));
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
    labels(w, sigma, drawNoise) {
      return queued(async () => {
        header[0] = 2;
        sigmaF32[0] = sigma;
        model.set(w);
        await drawNoise(noise);
        await pool.dispatch(entry as unknown as { id: number }, ranges);
        return labels.slice();
      });
    },
    gram(c, out) {
      return queued(async () => {
        counts.set(c);
        header[0] = 0;
        await pool.dispatch(entry as unknown as { id: number }, ranges);
        return unpackBlockGram(cells, pairs, B, d, out);
      });
    },
    fit(ridge, pivotFloor) {
      return queued(async () => {
        header[0] = 1;
        parameters[RIDGE_AT / 8] = ridge;
        parameters[PIVOT_FLOOR_AT / 8] = pivotFloor;
        await pool.dispatch(entry as unknown as { id: number }, ranges);
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
const align = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * run(start, end, task), what the worker pool calls: trials start … end − 1, each its block Gram's cells, then (mode
 * 1) its Xᵀu and fit, the status stored; or (mode 2) its labels.
 */
function runFunction(L: CellLayout, statusOffset: number): WasmFunction {
  const [TR, C, CEND, MODE, LIST, LP, CB, T4, TEND] = [3, 4, 5, 6, 7, 8, 9, 10, 11];
  const c = new Code();
  c.i32(0).i32Load(0).set(MODE).get(0).set(TR);
  c.get(2).i32(L.T * 4).op(OP.i32Mul).i32(L.listOffset).op(OP.i32Add).set(LIST).i32(L.T * 4).set(TEND);
  c.whileBelow(TR, 1, () => {
    c.get(MODE).i32(2).op(OP.i32Eq).if();
    c.get(TR).call(4);
    c.else();
    // the rows this trial's subsample drew (c > 0), as byte offsets t·4, without a branch per row: every cell then
    // walks them with no test, where a test per row and cell mispredicted on the random pattern
    c.get(TR).i32(L.T * 4).op(OP.i32Mul).i32(L.cOffset).op(OP.i32Add).set(CB);
    c.get(LIST).set(LP).i32(0).set(T4);
    c.whileBelow(T4, TEND, () => {
      c.get(LP).get(T4).i32Store();
      c.get(LP).get(CB).get(T4).op(OP.i32Add).f32Load().op(0x43, 0, 0, 0, 0).op(OP.f32Gt).i32(2).op(OP.i32Shl).op(OP.i32Add).set(LP);
      c.addTo(T4, 4);
    });
    c.get(TR).i32(L.P).op(OP.i32Mul).tee(C).i32(L.P).op(OP.i32Add).set(CEND);
    c.whileBelow(C, CEND, () => c.get(C).get(LIST).get(LP).call(1).addTo(C, 1));
    c.get(MODE).if();
    c.get(TR).call(2);
    c.get(TR).i32(4).op(OP.i32Mul).i32(statusOffset).op(OP.i32Add).get(TR).get(2).call(3).i32Store();
    c.end();
    c.end();
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
