/**
 * What a hand-written wasm kernel for webasm's worker pool needs to be put together: LEB128 numbers, a one-function
 * module that imports a shared memory and exports run(start, end, seed) (the interface gpu.js's pool calls), and the
 * dispatch of a range of cells over the pool's workers. The module bytes follow the WebAssembly core specification
 * (binary format, §5) with the fixed-width SIMD proposal's opcodes (prefix 0xfd).
 */
import type { WorkerPool } from './gpu-backend.js';

/** Bytes of a wasm page. */
export const PAGE = 65536;

/** The slice of WebAssembly used here (Node's lib types lack it under the build's tsconfig, as in wasm-cache.ts). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
}

/** A module and its shared memory, as the pool's workers instantiate it; null where the engine lacks SIMD or threads. */
export interface PoolModule {
  id: string;
  module: object;
  memory: { buffer: ArrayBufferLike };
  mathImports: string[];
  sizeX: number;
}

let entries = 0;

/**
 * Compile `bytes` (a module from assembleRun) with a shared memory of `pages` pages (`memory`, where given: a second
 * kernel on another's memory), or null where that fails.
 */
export function poolModule(bytes: Uint8Array, pages: number, name: string, shared?: { buffer: ArrayBufferLike }): PoolModule | null {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || typeof SharedArrayBuffer === 'undefined') return null;
  try {
    const module = new wasm.Module(bytes);
    const memory = shared ?? new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    return { id: `collapse-${name}-${++entries}`, module, memory, mathImports: [], sizeX: 1 };
  } catch {
    return null; // no SIMD or no threads in this engine
  }
}

/** Contiguous ranges of cells, one per worker (for cells that cost alike). */
export function dispatchCells(pool: WorkerPool, entry: PoolModule, cells: number): Promise<void> {
  const workers = Math.max(1, Math.min(pool.size, cells));
  const tasks = Array.from({ length: workers }, (_, w) => ({ start: Math.floor((w * cells) / workers), end: Math.floor(((w + 1) * cells) / workers), seed: 0 }));
  return pool.dispatch(entry as unknown as { id: number }, tasks);
}

/**
 * The module bytes: imports env.memory (shared, `pages` pages), one function run(start, end, seed: i32) with `locals`
 * (groups of [count, type byte]) and `code` (its body's instructions, without the closing end), exported as "run".
 */
export function assembleRun(pages: number, locals: [number, number][], code: number[]): Uint8Array {
  const body = [...uleb(locals.length), ...locals.flatMap(([count, type]) => [...uleb(count), type]), ...code, 0x0b];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('run'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** Value types of locals. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export const F64 = 0x7c;

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

/** n rounded up to a multiple of 16 (v128 alignment). */
export const align16 = (n: number): number => Math.ceil(n / 16) * 16;
