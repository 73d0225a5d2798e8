/**
 * An on-disk cache of the WebAssembly that gpu.js's webasm backend generates for a kernel. gpu.js compiles a kernel
 * on its first call: it parses and types the JavaScript source, then emits wasm bytes for the argument sizes of
 * that call; the emission is the larger part (measured: ~60% of a build), and every process paid it again for the
 * same kernels. The bytes are a pure function of what the key holds (gpu.js's version and its webasm sources, the
 * kernel's source, output, constants, argument types and sizes, the typed trace, the memory layout, SIMD support),
 * so a later process reuses them; the typing pass still runs (it sets up the state the kernel's calls read).
 *
 * Where: $COLLAPSE_CACHE_DIR, else $XDG_CACHE_HOME/collapse-lab, else ~/.cache/collapse-lab; COLLAPSE_CACHE=0 turns
 * it off. A file holds the memory limits, a SHA-256 of the bytes and the bytes, written atomically; one that is
 * unreadable, fails its hash or does not validate is ignored and rewritten. Any error of the cache itself leaves
 * gpu.js to emit as it always did: the cache can make a start slower never wrong.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';

interface Assembled {
  bytes: Uint8Array;
  initial: number;
  maximum: number;
}

/** The state of gpu.js's WebAssemblyKernel (2.24.1) that _assembleModule reads, besides its arguments. */
interface KernelState {
  source: unknown;
  output: unknown;
  constants: unknown;
  constantTypes: unknown;
  argumentTypes: unknown;
  argumentSizes: unknown;
  returnType: unknown;
  componentCount: unknown;
  usesRandom: unknown;
  usedMathImports: Set<string> | null;
  tracedFunctions: unknown;
  threadDim: unknown;
  precision: unknown;
  loopMaxIterations: unknown;
  fixIntegerDivisionAccuracy: unknown;
  functions: unknown;
  nativeFunctions: unknown;
  _assembleModule(layout: unknown, cells: number, shared: boolean): Assembled;
}

interface KernelClass {
  prototype: KernelState;
  isSIMDSupported?: boolean;
}

const HEADER = 8 + 32; // initial, maximum (u32 little-endian), SHA-256 of the bytes

/** The cache directory, or null when COLLAPSE_CACHE=0. */
export function wasmCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.COLLAPSE_CACHE === '0') return null;
  if (env.COLLAPSE_CACHE_DIR) return join(env.COLLAPSE_CACHE_DIR, 'wasm');
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'collapse-lab', 'wasm');
}

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

/** JSON with typed arrays and sets written as plain lists, so that equal contents give equal keys. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (v instanceof Set) return [...(v as Set<unknown>)].sort();
    return v;
  });
}

/**
 * gpu.js's version and the size and time of its webasm sources (and of the one-file build of it, where that is what
 * runs): an edited node_modules copy or a rebuilt bundle is a new key.
 */
function generatorIdentity(version: string, loadedFrom: string | undefined): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('gpu.js/src/backend/web-assembly/kernel.js'));
  const files = [...['kernel.js', 'function-node.js', 'wasm-builder.js'].map((name) => join(dir, name)), ...(loadedFrom ? [loadedFrom] : [])].map((path) => {
    const stat = statSync(path);
    return `${path}:${stat.size}:${stat.mtimeMs}`;
  });
  return `gpu.js ${version} ${files.join(' ')}`;
}

export function decodeEntry(file: Uint8Array): Assembled | null {
  if (file.length <= HEADER) return null;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const bytes = file.slice(HEADER);
  if (!sha256(bytes).equals(file.subarray(8, HEADER)) || !(globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly.validate(bytes)) return null;
  return { bytes, initial: view.getUint32(0, true), maximum: view.getUint32(4, true) };
}

export function encodeEntry(entry: Assembled): Uint8Array {
  const file = new Uint8Array(HEADER + entry.bytes.length);
  const view = new DataView(file.buffer);
  view.setUint32(0, entry.initial, true);
  view.setUint32(4, entry.maximum, true);
  file.set(sha256(entry.bytes), 8);
  file.set(entry.bytes, HEADER);
  return file;
}

const installed = new WeakSet<object>();

/** Wrap WebAssemblyKernel's emission with the cache (once per process; a no-op where the cache is off). */
export function installWasmCache(kernelClass: object, version: string, loadedFrom?: string): void {
  const dir = wasmCacheDir();
  if (installed.has(kernelClass) || dir === null) return;
  installed.add(kernelClass);
  const Kernel = kernelClass as KernelClass;
  const assemble = Kernel.prototype._assembleModule;
  if (typeof assemble !== 'function') return;
  let identity: string | null = null;
  Kernel.prototype._assembleModule = function (this: KernelState, layout: unknown, cells: number, shared: boolean): Assembled {
    let path: string | null = null;
    try {
      identity ??= generatorIdentity(version, loadedFrom);
      const key = stable([
        identity, Kernel.isSIMDSupported, this.source, this.output, this.constants, this.constantTypes, this.argumentTypes,
        this.argumentSizes, this.returnType, this.componentCount, this.usesRandom, this.usedMathImports, this.tracedFunctions,
        this.threadDim, this.precision, this.loopMaxIterations, this.fixIntegerDivisionAccuracy, this.functions,
        this.nativeFunctions, layout, cells, shared,
      ]);
      path = join(dir, `${sha256(key).toString('hex')}.bin`);
      const hit = decodeEntry(readFileSync(path));
      if (hit) return hit;
    } catch {
      // no entry yet (or an unreadable one): emit below
    }
    const made = assemble.call(this, layout, cells, shared);
    if (path !== null) {
      try {
        mkdirSync(dir, { recursive: true });
        writeFileAtomic(path, encodeEntry(made));
      } catch {
        // a read-only or full disk: the next process emits again
      }
    }
    return made;
  };
}
