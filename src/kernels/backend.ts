/**
 * Backend choice (C3): webgpu → webasm → cpu, webgpu only after an adapter answers. The choice and the reason are
 * recorded in every result. gpu.js is CommonJS; this is the one module that touches its GPU class.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../core/errors.js';

const require = createRequire(import.meta.url);

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
interface RawKernel {
  (...args: unknown[]): Promise<unknown>;
  setRandomSeed(seed: number): unknown;
  kernel?: GpuKernel['kernel'];
  destroy?(): void;
}

interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): RawKernel;
  destroy(): Promise<void> | void;
}

interface GpuClass {
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

/** A gpu.js backend, selected by {@link selectBackend}: makes the kernels of the linear Monte Carlo and says why it was chosen. Release it with destroy(). */
export interface Backend {
  readonly name: BackendName;
  /** calls and busy time of every kernel made here */
  readonly activity: KernelActivity;
  /** Why this backend ran, e.g. "auto: no WebGPU adapter (…); webasm available". */
  readonly reason: string;
  /** gpu.js's cpu mode cannot seed Math.random, so there the normal draws come from keyed host streams (hostTrialNormals). */
  readonly inKernelRandom: boolean;
  /** webgpu on a software fallback adapter (e.g. Mesa's lavapipe): its description; correct, but not a GPU */
  readonly software?: string;
  /**
   * A kernel whose every call resolves to one flat Float32Array, row-major over the output ([z][y][x], and the
   * components of an Array(n) return innermost): gpu.js would shape it into nested rows of subarrays, one object per
   * cell of an Array(n) output, which cost more than the kernel for the pair draws and the block Gram.
   */
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  /** Frees the gpu.js instance and its worker threads. */
  destroy(): Promise<void>;
}

function gpuClass(): GpuClass {
  return (require('gpu.js') as { GPU: GpuClass }).GPU;
}

interface WebGPUProbe {
  /** why there is no usable adapter, or null when one answered */
  missing: string | null;
  /** the adapter is a software fallback (e.g. Mesa's lavapipe): it runs the kernels, far slower than webasm */
  software?: string;
}

/**
 * Ask for a WebGPU adapter through the `webgpu` package (Dawn). Node 20 has no navigator.gpu, so install one first:
 * the package's `globals` (GPUBufferUsage, …) on globalThis and `navigator.gpu = create([])`, which gpu.js then finds.
 */
async function probeWebGPU(timeoutMs = 8000): Promise<WebGPUProbe> {
  const missing = await probeAdapter(timeoutMs);
  if (missing) return { missing };
  // a CPU rasteriser behind Vulkan (lavapipe/llvmpipe) answers like a GPU: say so, so that auto does not pick it
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  const adapter = (await gpu?.requestAdapter().catch(() => null)) as { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; description?: string; vendor?: string } } | null;
  const fallback = adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter;
  return { missing: null, software: fallback ? adapter?.info?.description || adapter?.info?.vendor || 'software adapter' : undefined };
}

/** Dawn needs the Vulkan loader; without it, loading Dawn only prints a native warning on stderr, so look first. */
function vulkanLoaderMissing(): string | null {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1'))) ? null : 'no Vulkan loader (libvulkan.so.1) for Dawn';
}

async function probeAdapter(timeoutMs: number): Promise<string | null> {
  const noLoader = vulkanLoaderMissing();
  if (noLoader) return noLoader;
  try {
    const g = globalThis as Record<string, unknown>;
    if (!(g.navigator as { gpu?: unknown } | undefined)?.gpu) {
      const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): unknown; globals: object };
      Object.assign(globalThis, webgpu.globals);
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
    }
    const answered = await Promise.race([
      gpuClass().isWebGPUAvailable(),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    return answered ? null : 'no WebGPU adapter answered';
  } catch (error) {
    return `WebGPU unavailable (${(error as Error).message.split('\n')[0]})`;
  }
}

/**
 * What adapter Dawn would give, asked in a child process: Dawn writes its adapter warnings straight to file
 * descriptor 2, and an automatic choice that ends on webasm (no adapter, or only a software one) must not leave them
 * on the user's stderr. ~0.1 s, and only where a Vulkan loader exists.
 */
async function peekAdapter(timeoutMs = 8000): Promise<WebGPUProbe> {
  const noLoader = vulkanLoaderMissing();
  if (noLoader) return { missing: noLoader };
  const entry = pathToFileURL(require.resolve('webgpu')).href;
  const script = `const w = await import(${JSON.stringify(entry)});
const a = await w.create([]).requestAdapter();
const info = a && a.info;
process.stdout.write(JSON.stringify(a ? { software: info && info.isFallbackAdapter ? info.description || info.vendor || 'software adapter' : null } : null));
process.exit(0);`;
  const out = await new Promise<string | null>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: timeoutMs }, (error, stdout) => resolve(error ? null : stdout));
  });
  let answer: { software: string | null } | null;
  try {
    answer = out === null ? null : (JSON.parse(out || 'null') as { software: string | null } | null);
  } catch {
    answer = null;
  }
  if (out === null || answer === undefined) return { missing: 'the WebGPU probe did not answer' };
  if (!answer) return { missing: 'no WebGPU adapter answered' };
  return { missing: null, software: answer.software ?? undefined };
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
}

/**
 * The kernel with flat results, and `into` to receive them in the caller's buffer. gpu.js builds its backend kernel
 * object on the first call (and may replace it, e.g. when it degrades a kernel to cpu) and its wasm memory whenever
 * the argument sizes change, so the hooks are checked before every call. Calls to one kernel queue and run one at a
 * time, each copied out before the next starts (a result may be a view of the kernel's memory until then), and a
 * call's seed is set when it runs: two chunks in flight (monte-carlo.ts) call the same kernels. Different kernels
 * run concurrently.
 */
function flatKernel(kernel: RawKernel, meter: ActivityMeter): GpuKernel {
  let tail: Promise<unknown> = Promise.resolve();
  const hook = (): void => {
    const inner = kernel.kernel as InnerKernel | undefined;
    if (!inner) return;
    if (typeof inner._shapeOutput === 'function' && inner._shapeOutput !== keepFlat) inner._shapeOutput = keepFlat;
    const memory = inner._active?.f32;
    if (memory && memory.slice !== viewSlice) memory.slice = viewSlice;
  };
  const run = (args: unknown[], out?: Float32Array, skip = 0, seed?: number): Promise<Float32Array> => {
    const result = tail.then(() => {
      meter.begin();
      hook();
      if (seed !== undefined) kernel.setRandomSeed(seed);
      return kernel(...args);
    }).then((value) => {
      const flat = flatten(value);
      if (out) {
        out.set(flat.subarray(skip, skip + out.length));
        return out;
      }
      // a view of shared wasm memory is copied; anything else is already the caller's
      return flat.buffer instanceof SharedArrayBuffer ? flat.slice() : flat;
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

function makeBackend(name: BackendName, reason: string, software?: string): Backend {
  const GPU = gpuClass();
  const gpu = new GPU({ mode: name });
  const threaded = name !== 'cpu';
  const activity = new ActivityMeter();
  return {
    name,
    activity,
    reason,
    inKernelRandom: name !== 'cpu',
    software,
    createKernel(source, settings) {
      return flatKernel(gpu.createKernel(source, { ...settings, asyncMode: threaded }), activity);
    },
    async destroy() {
      await gpu.destroy();
    },
  };
}

/** Pick a backend. A forced backend that cannot run is a UsageError, never a silent fallback. */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<Backend> {
  const env = process.env.COLLAPSE_BACKEND;
  if (request === 'auto' && env) {
    if (!(BACKENDS as readonly string[]).includes(env)) {
      throw new UsageError(`COLLAPSE_BACKEND must be one of ${BACKENDS.join(', ')}; got ${JSON.stringify(env)}`);
    }
    request = env as BackendName;
  }
  if (request === 'webgpu') {
    const probe = await probeWebGPU();
    if (probe.missing) throw new UsageError(`--backend webgpu cannot run here: ${probe.missing}`);
    return makeBackend('webgpu', `requested; WebGPU adapter answered${probe.software ? ` (software fallback: ${probe.software})` : ''}`, probe.software);
  }
  if (request === 'webasm') {
    if (!gpuClass().isWebAssemblySupported) throw new UsageError('--backend webasm cannot run here: WebAssembly is not supported');
    return makeBackend('webasm', 'requested');
  }
  if (request === 'cpu') return makeBackend('cpu', 'requested');
  const peek = await peekAdapter();
  if (!peek.missing && !peek.software) {
    const probe = await probeWebGPU(); // a GPU answered the child: now load Dawn here
    if (!probe.missing && !probe.software) return makeBackend('webgpu', 'auto: WebGPU adapter answered');
  }
  const why = peek.missing ?? (peek.software ? `the WebGPU adapter is a software fallback (${peek.software})` : 'WebGPU adapter lost');
  if (gpuClass().isWebAssemblySupported) return makeBackend('webasm', `auto: ${why}; WebAssembly available`);
  return makeBackend('cpu', `auto: ${why}; no WebAssembly`);
}
