/**
 * The reduced method's one-pass step (reduced.ts pushPoolSquare) as a small hand-written wasm function over an arena
 * of the chunk's vectors. V8 compiles the JavaScript loop, with its eight typed arrays, to ~5 ns an entry whether the
 * vectors are in cache or not; the wasm loop takes ~3 (micro-benchmark at d = 10, B = 4,000, eight sets of vectors
 * in turn: 28–32 against 51–52 ns per trial-iteration; trial by trial instead of row by row was slower in both,
 * 35 and 95). The arithmetic is the JavaScript's, operation for operation and in its order: wasm's f64 add, sub and mul are
 * IEEE binary64 with round to nearest and no fused multiply-add, f32 → f64 is exact, and x·x is what V8 gives for
 * x ** 2 (fdlibm's pow returns x·x for y = 2). So the results are the same bit for bit (test/models/linear/
 * reduced-fused.test.ts compares them).
 *
 * The arena is one WebAssembly.Memory per chunk slot, carved into the chunk's vectors from the start on every chunk
 * (its previous chunk is done with them). A vector it has no room for is an ordinary array; a step that touches one
 * runs the JavaScript loop instead.
 */
import type { Scratch } from '../../core/scratch.js';
import { Code, F64, I32, sleb, wasmModule } from '../../kernels/wasm-emit.js';

/** The slice of WebAssembly used here (Node's lib types lack it under the build's tsconfig, as in wasm-cache.ts). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
}

type StepFunction = (next: number, last: number, parent: number, ns: number, xi: number, lo: number, e: number, sq: number, shrink: number, wStar: number, B: number, d: number, sigma: number, scale: number, ridge: number) => void;

const PAGE = 65536;

/** A chunk slot's vectors in wasm memory, and the step over them. */
export class StepArena {
  /** false: no arena, every step in JavaScript (the tests run both paths) */
  static enabled = true;
  /** steps run in wasm, process-wide (the tests check the wasm path ran) */
  static steps = 0;
  private used = 0;
  private constructor(
    private readonly memory: { buffer: ArrayBuffer },
    private readonly run: StepFunction,
  ) {}

  /** The arena of this slot, at least `bytes` large (a larger one replaces it: the slot's last chunk is done), or null without wasm. */
  static forChunk(scratch: Scratch, bytes: number): StepArena | null {
    if (!StepArena.enabled) return null;
    let arena = arenas.get(scratch);
    if (!arena || arena.memory.buffer.byteLength < bytes) {
      const made = StepArena.make(bytes);
      if (!made) return null;
      arenas.set(scratch, (arena = made));
    }
    arena.used = 0;
    return arena;
  }

  private static make(bytes: number): StepArena | null {
    const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
    if (!wasm) return null;
    try {
      const memory = new wasm.Memory({ initial: Math.ceil(bytes / PAGE) });
      const instance = new wasm.Instance(new wasm.Module(assemble()), { env: { memory } });
      return new StepArena(memory, instance.exports.step as StepFunction);
    } catch {
      return null;
    }
  }

  /** `length` float64 values of the arena (contents: what its last user left), or a fresh array when it is full. */
  float64(length: number): Float64Array {
    const at = this.take(length * 8);
    return at === null ? new Float64Array(length) : new Float64Array(this.memory.buffer, at, length);
  }

  float32(length: number): Float32Array {
    const at = this.take(length * 4);
    return at === null ? new Float32Array(length) : new Float32Array(this.memory.buffer, at, length);
  }

  private take(bytes: number): number | null {
    const at = this.used;
    if (at + bytes > this.memory.buffer.byteLength) return null;
    this.used = at + ((bytes + 15) & ~15);
    return at;
  }

  private offset(view: Float64Array | Float32Array): number | null {
    return view.buffer === this.memory.buffer ? view.byteOffset : null;
  }

  /**
   * pushPoolSquare's step in wasm: next = last + v, e = (next − lo)·scale, sq[tr] = Σ_j e² onto 0; v = parent + σ·ns·ξ,
   * or with ridge shrink·parent + (shrink − 1)·w* + σ·ns·ξ. lo: a zero vector where the pool starts at P_0. Returns
   * false, touching nothing, where a vector is not in the arena.
   */
  step(a: { next: Float64Array; last: Float64Array; parent: Float64Array; ns: Float64Array; xi: Float32Array; lo: Float64Array; e: Float64Array; sq: Float64Array; shrink?: Float64Array; wStar?: Float64Array }, B: number, d: number, sigma: number, scale: number): boolean {
    const ridge = a.shrink !== undefined && a.wStar !== undefined;
    const at = [a.next, a.last, a.parent, a.ns, a.xi, a.lo, a.e, a.sq, ridge ? (a.shrink as Float64Array) : a.ns, ridge ? (a.wStar as Float64Array) : a.ns].map((v) => this.offset(v));
    if (at.some((x) => x === null)) return false;
    const [next, last, parent, ns, xi, lo, e, sq, shrink, wStar] = at as number[];
    this.run(next, last, parent, ns, xi, lo, e, sq, shrink, wStar, B, d, sigma, scale, ridge ? 1 : 0);
    StepArena.steps += 1;
    return true;
  }
}

const arenas = new WeakMap<Scratch, StepArena>();

// --- the wasm module, assembled here (no toolchain at build time) ---

const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21,
  f32Load: 0x2a, f64Load: 0x2b, f64Store: 0x39,
  i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a, i32Mul: 0x6c, i32Shl: 0x74,
  f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64PromoteF32: 0xbb,
} as const;
const VOID = 0x40;

/** The module: imports env.memory, exports step (parameters as StepFunction's). */
function assemble(): Uint8Array {
  // parameters 0–9: byte offsets next, last, parent, ns, xi, lo, e, sq, shrink, wStar; 10 B; 11 d; 12 σ; 13 scale; 14 ridge
  const [NEXT, LAST, PARENT, NS, XI, LO, E, SQ, SHRINK, WSTAR, B, D, SIGMA, SCALE, RIDGE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  // locals: 15 j, 16 tr, 17 ib (byte offset of [j·B + tr]), 18 xb (byte offset of ξ[tr·d + j]), 19 p, 20 out, 21 v
  const [J, TR, IB, XB, P, OUT, V] = [15, 16, 17, 18, 19, 20, 21];
  const get = (l: number) => [Op.localGet, l];
  const set = (l: number) => [Op.localSet, l];
  const i32 = (n: number) => [Op.i32Const, ...sleb(n)];
  const f64zero = [Op.f64Const, 0, 0, 0, 0, 0, 0, 0, 0];
  const load64 = (base: number, at: number) => [...get(base), ...get(at), Op.i32Add, Op.f64Load, 3, 0];
  const store64 = (base: number, at: number, value: number[]) => [...get(base), ...get(at), Op.i32Add, ...value, Op.f64Store, 3, 0];
  const xi = [...get(XI), ...get(XB), Op.i32Add, Op.f32Load, 2, 0, Op.f64PromoteF32];
  // σ·ns·ξ as (σ·ns)·ξ
  const noise = [...get(SIGMA), ...load64(NS, IB), Op.f64Mul, ...xi, Op.f64Mul];
  const one = [Op.f64Const, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
  const body = [
    // sq[tr] = 0 for every trial
    ...i32(0), ...set(TR),
    Op.block, VOID, Op.loop, VOID,
    ...get(TR), ...get(B), Op.i32LtU, Op.i32Eqz, Op.brIf, 1,
    ...get(SQ), ...get(TR), ...i32(3), Op.i32Shl, Op.i32Add, ...f64zero, Op.f64Store, 3, 0,
    ...get(TR), ...i32(1), Op.i32Add, ...set(TR),
    Op.br, 0,
    Op.end, Op.end,
    ...i32(0), ...set(J),
    Op.block, VOID, Op.loop, VOID,
    ...get(J), ...get(D), Op.i32LtU, Op.i32Eqz, Op.brIf, 1,
    // ib = (j·B)·8, xb = j·4
    ...get(J), ...get(B), Op.i32Mul, ...i32(3), Op.i32Shl, ...set(IB),
    ...get(J), ...i32(2), Op.i32Shl, ...set(XB),
    ...i32(0), ...set(TR),
    Op.block, VOID, Op.loop, VOID,
    ...get(TR), ...get(B), Op.i32LtU, Op.i32Eqz, Op.brIf, 1,
    // v = ridge ? shrink·parent + (shrink − 1)·w* + σ·ns·ξ : parent + σ·ns·ξ
    ...get(RIDGE), Op.if, VOID,
    ...load64(SHRINK, IB), ...load64(PARENT, IB), Op.f64Mul,
    ...load64(SHRINK, IB), ...one, Op.f64Sub, ...load64(WSTAR, IB), Op.f64Mul, Op.f64Add,
    ...noise, Op.f64Add, ...set(V),
    Op.else,
    ...load64(PARENT, IB), ...noise, Op.f64Add, ...set(V),
    Op.end,
    // p = last + v; next = p; out = (p − lo)·scale; e = out; sq[tr] += out·out
    ...load64(LAST, IB), ...get(V), Op.f64Add, ...set(P),
    ...store64(NEXT, IB, get(P)),
    ...get(P), ...load64(LO, IB), Op.f64Sub, ...get(SCALE), Op.f64Mul, ...set(OUT),
    ...store64(E, IB, get(OUT)),
    ...get(SQ), ...get(TR), ...i32(3), Op.i32Shl, Op.i32Add,
    ...get(SQ), ...get(TR), ...i32(3), Op.i32Shl, Op.i32Add, Op.f64Load, 3, 0,
    ...get(OUT), ...get(OUT), Op.f64Mul, Op.f64Add, Op.f64Store, 3, 0,
    // tr += 1, ib += 8, xb += 4·d
    ...get(TR), ...i32(1), Op.i32Add, ...set(TR),
    ...get(IB), ...i32(8), Op.i32Add, ...set(IB),
    ...get(XB), ...get(D), ...i32(2), Op.i32Shl, Op.i32Add, ...set(XB),
    Op.br, 0,
    Op.end, Op.end,
    ...get(J), ...i32(1), Op.i32Add, ...set(J),
    Op.br, 0,
    Op.end, Op.end,
  ];
  const params = [...Array(12).fill(I32), F64, F64, I32];
  return wasmModule({ pages: 1 }, [{ params, results: [], locals: [I32, I32, I32, I32, F64, F64, F64], code: new Code().op(...body) }], 'step');
}
