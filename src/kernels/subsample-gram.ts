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
 * every call; each call then copies only the weights c (B·T floats).
 */
import type { Backend, WorkerPool } from './gpu-backend.js';
import { blockPairs, paddedColumns, unpackBlockGram, type LinearShape } from './linear.js';

/** One chunk's block Gram: X loaded once, then one call per generation's weights. release() frees its workers' copies. */
export interface SubsampleGram {
  /** padded trial-major X (padTrialMajor), B·T·dp values, kept for the calls that follow */
  load(Xpadded: Float32Array): void;
  /** Σ_t c[t]·x_t x_tᵀ per trial, float64 [trial·d² + j·d + k], both triangles filled, into `out` */
  gram(c: Float32Array, out: Float64Array): Promise<Float64Array>;
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
  // memory: the pair table (i32 byte offsets of the j and k blocks in a row), X, c, the cells; 16-byte aligned
  const pairOffset = 0;
  const xOffset = align(P * 8);
  const cOffset = align(xOffset + B * T * dp * 4);
  const outOffset = align(cOffset + B * T * 4);
  const bytes = outOffset + B * P * 64;
  const pages = Math.ceil(bytes / PAGE);
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm) return null;
  let module: object;
  let memory: { buffer: ArrayBufferLike };
  try {
    module = new wasm.Module(assemble({ T, dp, P, pages, xOffset, cOffset, outOffset, pairOffset, rowBytes: T * dp * 4 }));
    memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null; // no SIMD or no threads in this engine
  }
  const table = new Int32Array(memory.buffer, pairOffset, P * 2);
  for (let p = 0; p < P; p++) {
    table[2 * p] = pairs.JQ[p] * 16;
    table[2 * p + 1] = pairs.KQ[p] * 16;
  }
  const X = new Float32Array(memory.buffer, xOffset, B * T * dp);
  const weights = new Float32Array(memory.buffer, cOffset, B * T);
  const cells = new Float32Array(memory.buffer, outOffset, B * P * 16);
  const entry = { id: `collapse-subsample-gram-${++entries}`, module, memory, mathImports: [] as string[], sizeX: 1 };
  const cellCount = B * P;
  let tail: Promise<unknown> = Promise.resolve();
  let released = false;
  return {
    load(Xpadded) {
      X.set(Xpadded);
    },
    gram(c, out) {
      // calls queue: one set of weights and cells in the memory at a time
      const result = tail.then(async () => {
        weights.set(c);
        await dispatch(pool, entry, cellCount);
        return unpackBlockGram(cells, pairs, B, d, out);
      });
      tail = result.then(noop, noop);
      return result;
    },
    release() {
      if (!released) pool.release(entry.id as unknown as number);
      released = true;
    },
  };
}

const noop = (): void => undefined;
const align = (n: number): number => Math.ceil(n / 16) * 16;

/** Contiguous ranges of cells, one per worker (cells cost alike: each walks its trial's T rows). */
function dispatch(pool: WorkerPool, entry: object, cells: number): Promise<void> {
  const workers = Math.max(1, Math.min(pool.size, cells));
  const tasks = Array.from({ length: workers }, (_, w) => ({ start: Math.floor((w * cells) / workers), end: Math.floor(((w + 1) * cells) / workers), seed: 0 }));
  return pool.dispatch(entry as { id: number }, tasks);
}

interface Layout {
  T: number;
  dp: number;
  P: number;
  pages: number;
  xOffset: number;
  cOffset: number;
  outOffset: number;
  pairOffset: number;
  rowBytes: number;
}

/**
 * The module: imports env.memory (shared), exports run(start, end, seed) computing cells start … end − 1, the
 * interface gpu.js's worker pool calls (seed unused).
 */
function assemble(L: Layout): Uint8Array {
  const code: number[] = [];
  const op = (...b: number[]) => code.push(...b);
  const i32 = (v: number) => op(0x41, ...sleb(v));
  const get = (l: number) => op(0x20, l);
  const set = (l: number) => op(0x21, l);
  const simd = (o: number, ...rest: number[]) => op(0xfd, ...uleb(o), ...rest);
  // locals: 0 start, 1 end, 2 seed (params); 3 cell, 4 tr, 5 p, 6 xk, 7 xj, 8 cp, 9 cEnd, 10 o (i32); 11 w (f32);
  // 12–15 s0…s3, 16 v (v128)
  const [CELL, TR, PP, XK, XJ, CP, CEND, O, W, S, V] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16];
  get(0);
  set(CELL);
  op(0x02, 0x40); // block $done
  op(0x03, 0x40); // loop $cells
  get(CELL);
  get(1);
  op(0x4f); // i32.ge_u
  op(0x0d, 1); // br_if $done
  // tr = cell / P, p = cell − tr·P
  get(CELL);
  i32(L.P);
  op(0x6e);
  set(TR);
  get(CELL);
  get(TR);
  i32(L.P);
  op(0x6c, 0x6b);
  set(PP);
  // xk = xOffset + tr·rowBytes + table[2p + 1]; xj likewise with table[2p]
  get(TR);
  i32(L.rowBytes);
  op(0x6c);
  i32(L.xOffset);
  op(0x6a);
  set(XJ);
  get(XJ);
  get(PP);
  i32(8);
  op(0x6c);
  op(0x28, 2, ...uleb(L.pairOffset + 4)); // i32.load k block
  op(0x6a);
  set(XK);
  get(XJ);
  get(PP);
  i32(8);
  op(0x6c);
  op(0x28, 2, ...uleb(L.pairOffset)); // i32.load j block
  op(0x6a);
  set(XJ);
  // cp = cOffset + tr·T·4, cEnd = cp + T·4
  get(TR);
  i32(L.T * 4);
  op(0x6c);
  i32(L.cOffset);
  op(0x6a);
  op(0x22, CP); // local.tee
  i32(L.T * 4);
  op(0x6a);
  set(CEND);
  for (let n = 0; n < 4; n++) {
    simd(0x0c, ...new Array(16).fill(0)); // v128.const 0
    set(S + n);
  }
  op(0x03, 0x40); // loop $rows
  op(0x02, 0x40); // block $skip
  get(CP);
  op(0x2a, 2, 0); // f32.load c[t]
  op(0x22, W);
  op(0x43, 0, 0, 0, 0); // f32.const 0
  op(0x5e); // f32.gt
  op(0x45); // i32.eqz
  op(0x0d, 0); // br_if $skip: rows not drawn add nothing, as BLOCK_GRAM skips them
  get(W);
  simd(0x13); // f32x4.splat
  get(XK);
  simd(0x00, 4, 0); // v128.load X[t, k…k+3]
  simd(0xe6); // f32x4.mul: v = c·X[t,k], rounded to float32
  set(V);
  for (let n = 0; n < 4; n++) {
    get(S + n);
    get(V);
    get(XJ);
    simd(0x09, 2, ...uleb(4 * n)); // v128.load32_splat X[t, j + n]
    simd(0xe6); // f32x4.mul
    simd(0xe4); // f32x4.add: s_n + v·X[t, j + n]
    set(S + n);
  }
  op(0x0b); // end $skip
  get(XK);
  i32(L.dp * 4);
  op(0x6a);
  set(XK);
  get(XJ);
  i32(L.dp * 4);
  op(0x6a);
  set(XJ);
  get(CP);
  i32(4);
  op(0x6a);
  op(0x22, CP);
  get(CEND);
  op(0x49); // i32.lt_u
  op(0x0d, 0); // br_if $rows
  op(0x0b); // end $rows
  // cells[((cell·4 + lane)·4 + n] = s_n[lane]
  get(CELL);
  i32(64);
  op(0x6c);
  i32(L.outOffset);
  op(0x6a);
  set(O);
  for (let lane = 0; lane < 4; lane++) {
    for (let n = 0; n < 4; n++) {
      get(O);
      get(S + n);
      simd(0x1f, lane); // f32x4.extract_lane
      op(0x38, 2, ...uleb((lane * 4 + n) * 4)); // f32.store
    }
  }
  get(CELL);
  i32(1);
  op(0x6a);
  set(CELL);
  op(0x0c, 0); // br $cells
  op(0x0b); // end $cells
  op(0x0b); // end $done
  op(0x0b); // end function
  const locals = [3, 8, 0x7f, 1, 0x7d, 5, 0x7b]; // 3 groups: 8 i32, 1 f32, 5 v128
  const body = [...locals, ...code];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(L.pages), ...uleb(L.pages)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('run'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
