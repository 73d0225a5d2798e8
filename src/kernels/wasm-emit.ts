/**
 * What a hand-written wasm kernel needs to be put together (subsample-*.ts, noise-moments.ts, design-gram.ts,
 * models/linear/reduced-wasm.ts): LEB128 numbers, the instructions, named, a module of several functions over one
 * imported memory exporting `run` — the interface gpu.js's webasm worker pool calls — and the pool entry and dispatch.
 * The bytes follow the WebAssembly core specification (binary format, §5) with the fixed-width SIMD proposal's
 * opcodes (prefix 0xfd). No text format and no toolchain: the kernels' shapes are constants baked into the code, so
 * each chunk assembles its own module in microseconds.
 */
import type { WorkerPool } from './gpu-backend.js';

/** Bytes of a wasm page. */
export const PAGE = 65536;

/** n rounded up to a multiple of 16 (a v128's alignment). */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** SIMD opcodes (after the 0xfd prefix) the kernels use. */
export const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f32x4ExtractLane: 0x1f,
  load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
} as const;

/** One function's instructions, appended in order; every method returns the builder so code reads top to bottom. */
export class Code {
  readonly bytes: number[] = [];
  op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  i32(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  f32(value: number): this {
    return this.op(0x43, ...new Uint8Array(new Float32Array([value]).buffer));
  }
  f64(value: number): this {
    return this.op(0x44, ...new Uint8Array(new Float64Array([value]).buffer));
  }
  get(local: number): this {
    return this.op(0x20, local);
  }
  set(local: number): this {
    return this.op(0x21, local);
  }
  tee(local: number): this {
    return this.op(0x22, local);
  }
  /** Memory access with a constant byte offset; `align` is log2 of the natural alignment. */
  mem(opcode: number, align: number, offset = 0): this {
    return this.op(opcode, align, ...uleb(offset));
  }
  i32Load(offset = 0): this {
    return this.mem(0x28, 2, offset);
  }
  i32Store(offset = 0): this {
    return this.mem(0x36, 2, offset);
  }
  f32Load(offset = 0): this {
    return this.mem(0x2a, 2, offset);
  }
  f32Store(offset = 0): this {
    return this.mem(0x38, 2, offset);
  }
  f64Load(offset = 0): this {
    return this.mem(0x2b, 3, offset);
  }
  f64Store(offset = 0): this {
    return this.mem(0x39, 3, offset);
  }
  simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...immediates);
  }
  simdMem(opcode: number, align: number, offset = 0): this {
    return this.simd(opcode, align, ...uleb(offset));
  }
  v128Load(offset = 0): this {
    return this.simdMem(SIMD.load, 4, offset);
  }
  v128Store(offset = 0): this {
    return this.simdMem(SIMD.store, 4, offset);
  }
  v128Zero(): this {
    return this.simd(SIMD.const, ...new Array<number>(16).fill(0));
  }
  /** local += step (i32) */
  addTo(local: number, step: number): this {
    return this.get(local).i32(step).op(0x6a).set(local);
  }
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, depth);
  }
  brIf(depth: number): this {
    return this.op(0x0d, depth);
  }
  call(fn: number): this {
    return this.op(0x10, ...uleb(fn));
  }
  return(): this {
    return this.op(0x0f);
  }
  /**
   * `while (local < limit) { body; }` with `limit` a local (unsigned compare); inside the body, br(1) continues and
   * br(2) breaks.
   */
  whileBelow(local: number, limit: number, body: (code: this) => void): this {
    this.block().loop().get(local).get(limit).op(0x4f).brIf(1); // i32.ge_u: done
    body(this);
    return this.br(0).end().end();
  }
}

/** i32 opcodes used by name. */
export const OP = {
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
  select: 0x1b,
  f32Add: 0x92,
  f64Floor: 0x9c,
  f64PromoteF32: 0xbb,
  i32TruncF64U: 0xab,
  f64ConvertI32U: 0xb8,
  f32Gt: 0x5e,
  f64Gt: 0x64,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Max: 0xa5,
} as const;

export interface WasmFunction {
  params: number[];
  results: number[];
  /** types of the locals after the parameters */
  locals: number[];
  code: Code;
}

/** The imported memory's limits: shared ones need a maximum (the worker pool's kernels); a main-thread one may grow. */
export interface MemoryLimits {
  pages: number;
  maximum?: number;
  shared?: boolean;
}

/**
 * A module importing `env.memory` (a fixed, shared memory of `memory` pages when a number) with `functions` (indices
 * in order), exporting function 0 as `exportName` (`run`: the interface gpu.js's webasm worker pool calls).
 */
export function wasmModule(memory: number | MemoryLimits, functions: WasmFunction[], exportName = 'run'): Uint8Array {
  const limits = typeof memory === 'number' ? { pages: memory, maximum: memory, shared: true } : memory;
  const flags = limits.shared ? 0x03 : limits.maximum === undefined ? 0x00 : 0x01;
  const max = limits.maximum === undefined ? [] : uleb(limits.maximum);
  const types = functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]);
  const bodies = functions.map((f) => {
    const groups: number[][] = [];
    for (const type of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body = [...uleb(groups.length), ...groups.flatMap(([count, type]) => [...uleb(count), type]), ...f.code.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, flags, ...uleb(limits.pages), ...max]),
    ...section(3, [...uleb(functions.length), ...functions.map((_, i) => uleb(i)).flat()]),
    ...section(7, [1, ...name(exportName), 0x00, 0]),
    ...section(10, [...uleb(bodies.length), ...bodies.flat()]),
  ]);
}

/**
 * One function run(start, end, seed: i32) with `locals` (groups of [count, type byte]) and `code` (its instructions,
 * without the closing end), over a fixed shared memory of `pages` pages: the one-function modules of noise-moments.ts
 * and design-gram.ts.
 */
export function assembleRun(pages: number, locals: [number, number][], code: number[]): Uint8Array {
  const types = locals.flatMap(([count, type]) => new Array<number>(count).fill(type));
  return wasmModule(pages, [{ params: [I32, I32, I32], results: [], locals: types, code: new Code().op(...code) }]);
}

/** The slice of WebAssembly used here (Node's lib types lack it under the build's tsconfig, as in wasm-cache.ts). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
}

/** A module and its shared memory, as the pool's workers instantiate it. */
export interface PoolModule {
  id: string;
  module: object;
  memory: { buffer: ArrayBufferLike };
  mathImports: string[];
  sizeX: number;
}

let entries = 0;

/**
 * Compile `bytes` (a module importing a shared memory of `pages` pages) with a new such memory (or `shared`, where
 * given: a second kernel on another's memory), or null where that fails: no wasm, SIMD, threads or memory that large.
 */
export function poolModule(bytes: Uint8Array, pages: number, name: string, shared?: { buffer: ArrayBufferLike }): PoolModule | null {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || typeof SharedArrayBuffer === 'undefined') return null;
  try {
    const module = new wasm.Module(bytes);
    const memory = shared ?? new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    return { id: `collapse-${name}-${++entries}`, module, memory, mathImports: [], sizeX: 1 };
  } catch {
    return null;
  }
}

/** Contiguous ranges of cells, one per worker (for cells that cost alike). */
export function dispatchCells(pool: WorkerPool, entry: PoolModule, cells: number): Promise<void> {
  const workers = Math.max(1, Math.min(pool.size, cells));
  const tasks = Array.from({ length: workers }, (_, w) => ({ start: Math.floor((w * cells) / workers), end: Math.floor(((w + 1) * cells) / workers), seed: 0 }));
  return pool.dispatch(entry as unknown as { id: number }, tasks);
}

export function uleb(value: number): number[] {
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

export function sleb(value: number): number[] {
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
