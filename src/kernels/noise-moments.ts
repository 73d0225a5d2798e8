/**
 * The full method's noise moments Xᵀε_s as a hand-written wasm SIMD kernel on webasm's worker pool: linear.ts's
 * XTY_QUADS numbers, bit for bit, with X resident in the kernel's own shared memory for a whole chunk.
 *
 * gpu.js copies every argument into its memory on every call: X (B·T·dp floats) once per NOISE_SPAN data sets,
 * and the noise, which the caller first copied out of the normals kernel. Here X is loaded once per chunk (`load`)
 * and the noise is drawn straight into the kernel's memory (`Y`), so a span costs no copy in and none out (the
 * moments are read where the kernel wrote them). A cell is one trial and one block of four features: per row t it
 * loads X[t, k…k+3] once (one v128.load) and each vector's ε[t] once (v128.load32_splat), where gpu.js's webasm
 * loads the lane-varying X[t, k] one lane at a time. The arithmetic is XTY_QUADS's in its order and precision
 * (wasm's f32x4 mul and add are IEEE binary32, no fused multiply-add): s ← s + X[t,k]·ε[t] from s = 0, t ascending.
 */
import { Scratch } from '../core/scratch.js';
import type { Backend } from './gpu-backend.js';
import { designGramCode } from './design-gram.js';
import { align16, assembleRun, Code, dispatchCells, I32, PAGE, poolModule, uleb, V128 } from './wasm-emit.js';

/** The kernels' shape (linear.ts's LinearShape, not imported: linear.ts imports this file). */
interface Shape {
  B: number;
  T: number;
  d: number;
}

/** One chunk's Xᵀy for `vectors` vectors per call, X loaded once. */
export interface ResidentXty {
  readonly vectors: number;
  /** padded trial-major X (padTrialMajor), B·T·dp values, kept for the calls that follow: write it here, or load it */
  readonly X: Float32Array;
  /** the vectors, [(s·B + trial)·T + t]: write them here (the noise is drawn straight into it) */
  readonly Y: Float32Array;
  /**
   * Host buffers for the chunk that holds this instance (its design, Gram and inverse), kept with the instance: later
   * chunks, and later runs of the same shape (sweeps, the grid's cells), reuse memory already touched instead of
   * page-faulting fresh buffers in (~3 ms per MB on these VMs: more than the arithmetic at d = 100).
   */
  readonly scratch: Scratch;
  /** copy X in (where it was not written in place) */
  load(Xpadded: Float32Array): void;
  /**
   * XᵀX of every trial from the X held (core/linalg's `gram`, bit for bit; design-gram.ts), padded: dp×dp per trial,
   * [trial·dp² + j·dp + k] for k ≤ j. A view, valid until the next call.
   */
  gram(): Promise<Float64Array>;
  /** Xᵀy of every vector in Y, laid out as linear.ts's xtyIndex says: a view, valid until the next call */
  project(): Promise<Float32Array>;
  /** Give it back to its pool for a later chunk (its memory stays touched: no page faults the second time). */
  done(): void;
}

/**
 * Instances for one shape, reused from chunk to chunk (the chunks in flight hold one each). A fresh instance's memory
 * is page-faulted in on first touch (~3 ms per MB on these VMs), so instances are kept, not made per chunk. When no
 * chunk holds one (a run ended), one is kept for the shape's next run and the others are freed: an instance is about
 * a chunk's memory (up to ~256 MB by the chunk sizing), and the kernel cache keeps several shapes.
 */
export class ResidentXtyPool {
  private readonly free: Instance[] = [];
  private inUse = 0;
  private unavailable = false;
  private closed = false;
  constructor(private readonly backend: Backend, private readonly shape: Shape) {}

  /** An instance for `vectors` vectors (a multiple of 4), or null off webasm (the caller keeps gpu.js's xtyQuads). */
  acquire(vectors: number): ResidentXty | null {
    if (this.unavailable) return null;
    const at = this.free.findIndex((instance) => instance.handle.vectors === vectors);
    const instance = at >= 0 ? this.free.splice(at, 1)[0] : createInstance(this.backend, this.shape, vectors, (given) => this.giveBack(given));
    if (!instance) {
      this.unavailable = true;
      return null;
    }
    this.inUse++;
    return instance.handle;
  }

  private giveBack(instance: Instance): void {
    this.inUse--;
    if (this.closed) return instance.release();
    this.free.push(instance);
    if (this.inUse === 0) for (const extra of this.free.splice(0, this.free.length - 1)) extra.release();
  }

  /** Free the idle instances' memory and their copies in the workers; instances still held are freed when given back. */
  release(): void {
    this.closed = true;
    for (const instance of this.free.splice(0)) instance.release();
  }
}

interface Instance {
  handle: ResidentXty;
  release(): void;
}

function createInstance(backend: Backend, shape: Shape, vectors: number, giveBack: (instance: Instance) => void): Instance | null {
  const pool = backend.workerPool;
  if (backend.name !== 'webasm' || !pool || vectors % 4 !== 0 || vectors > 8) return null;
  const { B, T, d } = shape;
  const dp = 4 * Math.ceil(d / 4);
  const xOffset = 0;
  const yOffset = align16(xOffset + B * T * dp * 4);
  const outOffset = align16(yOffset + vectors * B * T * 4);
  const gOffset = align16(outOffset + B * vectors * dp * 4);
  const pages = Math.ceil((gOffset + B * dp * dp * 8) / PAGE);
  const entry = poolModule(assemble({ B, T, dp, vectors, pages, xOffset, yOffset, outOffset }), pages, 'noise-moments');
  if (!entry) return null;
  const gramCode = designGramCode({ T, dp, xOffset, gOffset });
  const gramEntry = poolModule(assembleRun(pages, gramCode.locals, gramCode.code), pages, 'design-gram', entry.memory);
  if (!gramEntry) return null;
  const G = new Float64Array(entry.memory.buffer, gOffset, B * dp * dp);
  const X = new Float32Array(entry.memory.buffer, xOffset, B * T * dp);
  const Y = new Float32Array(entry.memory.buffer, yOffset, vectors * B * T);
  const out = new Float32Array(entry.memory.buffer, outOffset, B * vectors * dp);
  const cells = B * (dp / 4);
  let released = false;
  const instance: Instance = {
    handle: {
      vectors,
      X,
      Y,
      scratch: new Scratch(),
      load(Xpadded) {
        X.set(Xpadded);
      },
      async project() {
        await dispatchCells(pool, entry, cells);
        return out;
      },
      async gram() {
        await dispatchCells(pool, gramEntry, B);
        return G;
      },
      done() {
        if (!released) giveBack(instance);
      },
    },
    release() {
      if (!released) {
        pool.release(entry.id as unknown as number);
        pool.release(gramEntry.id as unknown as number);
      }
      released = true;
    },
  };
  return instance;
}

interface Layout {
  B: number;
  T: number;
  dp: number;
  vectors: number;
  pages: number;
  xOffset: number;
  yOffset: number;
  outOffset: number;
}

/** run(start, end, seed) computes cells start … end − 1, cell = trial·(dp/4) + feature block (seed unused). */
function assemble(L: Layout): Uint8Array {
  // the instructions through wasm-emit's builder, named as the code below uses them
  const emit = new Code();
  const op = (...b: number[]) => emit.op(...b);
  const i32 = (v: number) => emit.i32(v);
  const get = (l: number) => emit.get(l);
  const set = (l: number) => emit.set(l);
  const simd = (o: number, ...rest: number[]) => emit.simd(o, ...rest);
  const V = L.vectors;
  const blocks = L.dp / 4;
  // locals: 0 start, 1 end, 2 seed (params); 3 cell, 4 tr, 5 kb, 6 xp, 7 yp, 8 yEnd, 9 o (i32); 10 x, 11… s_v (v128)
  const [CELL, TR, KB, XP, YP, YEND, O, XV, S] = [3, 4, 5, 6, 7, 8, 9, 10, 11];
  get(0);
  set(CELL);
  op(0x02, 0x40); // block $done
  op(0x03, 0x40); // loop $cells
  get(CELL);
  get(1);
  op(0x4f); // i32.ge_u
  op(0x0d, 1); // br_if $done
  // tr = cell / blocks, kb = cell − tr·blocks
  get(CELL);
  i32(blocks);
  op(0x6e); // i32.div_u
  set(TR);
  get(CELL);
  get(TR);
  i32(blocks);
  op(0x6c, 0x6b); // i32.mul, i32.sub
  set(KB);
  // xp = xOffset + tr·T·dp·4 + kb·16; yp = yOffset + tr·T·4 (vector v is v·B·T·4 bytes further on); yEnd = yp + T·4
  get(TR);
  i32(L.T * L.dp * 4);
  op(0x6c);
  get(KB);
  i32(16);
  op(0x6c, 0x6a);
  i32(L.xOffset);
  op(0x6a);
  set(XP);
  get(TR);
  i32(L.T * 4);
  op(0x6c);
  i32(L.yOffset);
  op(0x6a);
  op(0x22, YP); // local.tee
  i32(L.T * 4);
  op(0x6a);
  set(YEND);
  for (let v = 0; v < V; v++) {
    simd(0x0c, ...new Array(16).fill(0)); // v128.const 0
    set(S + v);
  }
  op(0x03, 0x40); // loop $rows
  get(XP);
  simd(0x00, 4, 0); // v128.load X[t, k…k+3]
  set(XV);
  for (let v = 0; v < V; v++) {
    get(S + v);
    get(XV);
    get(YP);
    simd(0x09, 2, ...uleb(v * L.B * L.T * 4)); // v128.load32_splat ε_v[t]
    simd(0xe6); // f32x4.mul: X[t,k]·ε_v[t], rounded to float32
    simd(0xe4); // f32x4.add: s_v + X[t,k]·ε_v[t]
    set(S + v);
  }
  get(XP);
  i32(L.dp * 4);
  op(0x6a);
  set(XP);
  get(YP);
  i32(4);
  op(0x6a);
  op(0x22, YP);
  get(YEND);
  op(0x49); // i32.lt_u
  op(0x0d, 0); // br_if $rows
  op(0x0b); // end $rows
  // out[((tr·V/4 + v/4)·dp + 4·kb + lane)·4 + v mod 4] = s_v[lane]
  get(TR);
  i32((V / 4) * L.dp * 16);
  op(0x6c);
  get(KB);
  i32(64);
  op(0x6c, 0x6a);
  i32(L.outOffset);
  op(0x6a);
  set(O);
  for (let v = 0; v < V; v++) {
    for (let lane = 0; lane < 4; lane++) {
      get(O);
      get(S + v);
      simd(0x1f, lane); // f32x4.extract_lane
      op(0x38, 2, ...uleb(16 * ((v >> 2) * L.dp + lane) + 4 * (v & 3))); // f32.store
    }
  }
  get(CELL);
  i32(1);
  op(0x6a);
  set(CELL);
  op(0x0c, 0); // br $cells
  op(0x0b); // end $cells
  op(0x0b); // end $done
  return assembleRun(L.pages, [[7, I32], [1 + V, V128]], emit.bytes);
}
