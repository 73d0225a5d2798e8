/**
 * The part of the backend seam that needs no Node API: the Backend interface, flat kernel results and the gpu.js
 * wrapper. backend.ts picks a backend in Node (probing Dawn, worker threads); the explorer's browser build
 * (src/site/browser-backend.ts) picks one in a page; both wrap gpu.js through gpuJsBackend, so kernels run the same.
 */
import { mark, recordKernel, timingEnabled } from '../core/timing.js';

/** gpu.js's backends in the order 'auto' tries them: webgpu (Dawn), webasm (WebAssembly threads), cpu (plain JavaScript). */
export const BACKENDS = ['webgpu', 'webasm', 'cpu'] as const;
/** One of {@link BACKENDS}. */
export type BackendName = (typeof BACKENDS)[number];
/** A backend by name, or 'auto': the first of {@link BACKENDS} that works here. */
export type BackendRequest = BackendName | 'auto';

/** The slice of gpu.js's kernel object collapse-lab uses. */
export interface GpuKernel {
  /** the flat result (see Backend.createKernel), the caller's own array */
  (...args: unknown[]): Promise<Float32Array>;
  /** the flat result's values skip … skip + out.length − 1 written into `out` (no fresh array); resolves to out */
  into(out: Float32Array, skip: number, ...args: unknown[]): Promise<Float32Array>;
  /**
   * `into` for a kernel with in-kernel random numbers, its seed set when the call runs: calls queue (see flatKernel),
   * so a seed set when a call is made could be overwritten by another caller's before it runs.
   */
  seededInto(seed: number, out: Float32Array, skip: number, ...args: unknown[]): Promise<Float32Array>;
  kernel?: { constructor: { name: string }; fallbackReason?: string | null };
  /** Frees the kernel (gpu.js kernels that hold GPU buffers). */
  destroy?(): void;
}

/** A kernel as gpu.js makes it: called with the arguments, seeded with setRandomSeed. */
export interface RawKernel {
  (...args: unknown[]): Promise<unknown>;
  setRandomSeed(seed: number): unknown;
  kernel?: GpuKernel['kernel'];
  destroy?(): void;
}

export interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): RawKernel;
  destroy(): Promise<void> | void;
}

export interface GpuClass {
  new (settings: { mode: string }): GpuInstance;
  isWebGPUAvailable(): Promise<boolean>;
  isWebAssemblySupported: boolean;
}

/**
 * What a backend's kernels have done since it was made: calls, and the milliseconds during which at least one call was
 * running (overlapping calls counted once). A call runs from gpu.js taking it (its arguments copied in) to its result
 * copied out. Against wall time and the main thread's busy time it tells kernel-bound from host-bound (bench/).
 */
export interface KernelActivity {
  readonly calls: number;
  readonly busyMs: number;
}

class ActivityMeter implements KernelActivity {
  calls = 0;
  busyMs = 0;
  private running = 0;
  private since = 0;
  begin(): void {
    this.calls++;
    if (this.running++ === 0) this.since = performance.now();
  }
  end(): void {
    if (--this.running === 0) this.busyMs += performance.now() - this.since;
  }
}

/** A gpu.js backend, selected by selectBackend (Node) or the explorer's browser seam: makes the kernels of the linear Monte Carlo and says why it was chosen. Release it with destroy(). */
export interface Backend<N extends string = BackendName> {
  readonly name: N;
  /** calls and busy time of every kernel made here */
  readonly activity: KernelActivity;
  /** Why this backend ran, e.g. "auto: no WebGPU adapter (…); webasm available". */
  readonly reason: string;
  /** gpu.js's cpu mode cannot seed Math.random, so there the normal draws come from keyed host streams (hostTrialNormals). */
  readonly inKernelRandom: boolean;
  /** webgpu on a software fallback adapter (e.g. Mesa's lavapipe): its description; correct, but not a GPU */
  readonly software?: string;
  /** webasm: the worker pool its kernels share (hand-written wasm kernels dispatch to it too, see subsample-gram.ts) @internal */
  readonly workerPool?: WorkerPool;
  /**
   * A kernel whose every call resolves to one flat Float32Array, row-major over the output ([z][y][x], and the
   * components of an Array(n) return innermost): gpu.js would shape it into nested rows of subarrays, one object per
   * cell of an Array(n) output, which cost more than the kernel for the pair draws and the block Gram. `settings.label`
   * names the kernel in COLLAPSE_TIMING's report and is not passed to gpu.js.
   */
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  /** Frees the gpu.js instance and its worker threads. */
  destroy(): Promise<void>;
}

/** gpu.js's webasm and webgpu kernels hand their flat result to this method to be shaped; returning it skips that. */
const keepFlat = (data: Float32Array): Float32Array => data;

/**
 * gpu.js's webasm kernel copies its output out of the shared wasm memory with `slice`, a fresh array per call; on
 * these VMs fresh pages cost a page fault each (~11 µs per 4 KiB, measured: more than drawing the numbers in them).
 * Installed on the kernel's memory view, `slice` returns a view instead, which flatKernel copies out before the
 * kernel can run again.
 */
function viewSlice(this: Float32Array, start?: number, end?: number): Float32Array {
  return this.subarray(start, end);
}

/** Nested rows (gpu.js's cpu mode) as one flat row-major Float32Array; a flat result as it is. */
function flatten(result: unknown): Float32Array {
  if (result instanceof Float32Array) return result;
  const parts: Float32Array[] = [];
  const walk = (value: unknown): void => {
    if (ArrayBuffer.isView(value)) parts.push(value instanceof Float32Array ? value : Float32Array.from(value as unknown as ArrayLike<number>));
    else for (const item of value as unknown[]) walk(item);
  };
  walk(result);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The slice of gpu.js's backend kernel object flatKernel reaches into (gpu.js 2.24.1, pinned). */
interface InnerKernel {
  _shapeOutput?: unknown;
  _active?: { f32?: { slice: unknown } } | null;
  /** webasm only: the kernel's worker pool, null until its first threaded call makes one */
  _pool?: WorkerPool | null;
}

/** What a webasm kernel asks of its worker pool (gpu.js's WebAssemblyWorkerPool, 2.24.1). */
export interface WorkerPool {
  readonly size: number;
  dispatch(entry: { id: number }, tasks: unknown[]): Promise<void>;
  release(entryId: number): void;
  destroy(): void;
}

/**
 * One kernel's handle on a pool its backend shares among all its kernels. gpu.js gives every kernel a pool of its
 * own (one worker thread per core, started on the kernel's first call): a run's three or four kernels started
 * three or four times the threads, each ~30–60 ms of CPU to start, more than a short run's work. gpu.js's entry ids
 * are unique across kernels, so one pool can hold them all; a kernel's destroy() releases its own entries from the
 * shared workers instead of ending them. Which worker computes a range never changes what it computes: results are
 * the same bit for bit.
 */
function sharedPoolHandle(shared: WorkerPool): WorkerPool {
  const entries = new Set<number>();
  return {
    get size() {
      return shared.size;
    },
    dispatch(entry, tasks) {
      entries.add(entry.id);
      return shared.dispatch(entry, tasks);
    },
    release(entryId) {
      entries.delete(entryId);
      shared.release(entryId);
    },
    destroy() {
      for (const id of entries) shared.release(id);
      entries.clear();
    },
  };
}

/**
 * The kernel with flat results, and `into` to receive them in the caller's buffer. gpu.js builds its backend kernel
 * object on the first call (and may replace it, e.g. when it degrades a kernel to cpu) and its wasm memory whenever
 * the argument sizes change, so the hooks are checked before every call. Calls to one kernel queue and run one at a
 * time, each copied out before the next starts (a result may be a view of the kernel's memory until then), and a
 * call's seed is set when it runs: two chunks in flight (monte-carlo.ts) call the same kernels. Different kernels
 * run concurrently.
 */
export function flatKernel(kernel: RawKernel, meter: ActivityMeter, label = 'kernel', shape = '', pool?: WorkerPool): GpuKernel {
  let tail: Promise<unknown> = Promise.resolve();
  let timeFirstCall = timingEnabled;
  /** COLLAPSE_TIMING: the first call builds the kernel (gpu.js compiles on first use); its times go to core/timing. */
  const timed = (args: unknown[]): Promise<unknown> => {
    timeFirstCall = false;
    mark('firstKernelCall');
    const start = performance.now();
    const pending = kernel(...args);
    // webasm: gpu.js's build() alone (backend.ts times it); elsewhere the first call's synchronous part
    const built = (kernel.kernel as { buildMs?: number } | undefined)?.buildMs;
    const compileMs = built ?? performance.now() - start;
    return Promise.resolve(pending).then((value) => {
      recordKernel({ kernel: label, shape, compileMs, firstCallMs: performance.now() - start });
      mark('firstKernelResult');
      return value;
    });
  };
  const hook = (): void => {
    const inner = kernel.kernel as InnerKernel | undefined;
    if (!inner) return;
    if (typeof inner._shapeOutput === 'function' && inner._shapeOutput !== keepFlat) inner._shapeOutput = keepFlat;
    const memory = inner._active?.f32;
    if (memory && memory.slice !== viewSlice) memory.slice = viewSlice;
    if (pool && inner._pool === null) inner._pool = sharedPoolHandle(pool);
  };
  const run = (args: unknown[], out?: Float32Array, skip = 0, seed?: number): Promise<Float32Array> => {
    const result = tail.then(() => {
      meter.begin();
      hook();
      if (seed !== undefined) kernel.setRandomSeed(seed);
      return timeFirstCall ? timed(args) : kernel(...args);
    }).then((value) => {
      const flat = flatten(value);
      if (out) {
        out.set(flat.subarray(skip, skip + out.length));
        return out;
      }
      // a view of shared wasm memory is copied; anything else is already the caller's
      return isShared(flat.buffer) ? flat.slice() : flat;
    }).finally(() => meter.end());
    tail = result.then(noop, noop);
    return result;
  };
  const flat = Object.assign((...args: unknown[]) => run(args), {
    into: (out: Float32Array, skip: number, ...args: unknown[]) => run(args, out, skip),
    seededInto: (seed: number, out: Float32Array, skip: number, ...args: unknown[]) => run(args, out, skip, seed),
    destroy: () => kernel.destroy?.(),
  }) as unknown as GpuKernel;
  return Object.defineProperty(flat, 'kernel', { get: () => kernel.kernel });
}

const noop = (): void => undefined;

/** A browser page that is not cross-origin isolated has no SharedArrayBuffer at all. */
const isShared = (buffer: ArrayBufferLike): boolean => typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;

/**
 * A Backend over a gpu.js instance in `mode`. `threaded` turns on gpu.js's asyncMode (kernels off the main thread);
 * `inKernelRandom` says whether the mode honours setRandomSeed (cpu and WebGL do not: their normals come from keyed
 * host streams).
 */
export function gpuJsBackend<N extends string>(
  GPU: GpuClass,
  mode: string,
  name: N,
  reason: string,
  options: { threaded: boolean; inKernelRandom: boolean; software?: string; pool?: WorkerPool },
): Backend<N> {
  const gpu = new GPU({ mode });
  const pool = options.pool;
  const activity = new ActivityMeter();
  return {
    name,
    activity,
    reason,
    inKernelRandom: options.inKernelRandom,
    workerPool: pool,
    software: options.software,
    createKernel(source, settings) {
      const { label, ...gpuSettings } = settings; // label: ours, for COLLAPSE_TIMING; gpu.js never sees it
      const shape = `${JSON.stringify(gpuSettings.output)} ${String(gpuSettings.returnType ?? 'Number')}`;
      return flatKernel(gpu.createKernel(source, { ...gpuSettings, asyncMode: options.threaded }), activity, typeof label === 'string' ? label : 'kernel', shape, pool);
    },
    async destroy() {
      await gpu.destroy();
      pool?.destroy();
    },
  };
}
