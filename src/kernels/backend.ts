/**
 * Backend choice (C3): webgpu → webasm → cpu, webgpu only after an adapter answers. The choice and the reason are
 * recorded in every result. gpu.js is CommonJS; this module loads its GPU class in Node and gpu-backend.ts wraps it (the
 * browser build's src/site/browser-backend.ts loads gpu.js's browser bundle instead).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { mark, timingEnabled } from '../core/timing.js';
import { BACKENDS, gpuJsBackend, type Backend, type BackendName, type BackendRequest, type GpuClass, type WorkerPool } from './gpu-backend.js';
import { installWasmCache } from './wasm-cache.js';
import { installNavigatorGpu, peekAdapterCached, softwareAdapter, vulkanLoaderMissing, type AdapterInfo, type WebGPUProbe } from './webgpu-adapter.js';

const require = createRequire(import.meta.url);

export { BACKENDS, type Backend, type BackendName, type BackendRequest, type GpuKernel, type KernelActivity } from './gpu-backend.js';

/**
 * gpu.js as one file where the build made it (scripts/bundle-gpujs.mjs: dist/vendor/gpu.cjs, loaded ~40% faster than
 * the package's 121 files), else the package. WebGPU always takes the package: its kernels cannot be checked here
 * (no GPU), so they keep running exactly the code they were checked with.
 */
const BUNDLE = fileURLToPath(new URL('../vendor/gpu.cjs', import.meta.url));

function gpuClass(name?: BackendName): GpuClass {
  const from = name !== 'webgpu' && existsSync(BUNDLE) ? BUNDLE : undefined;
  const gpujs = require(from ?? 'gpu.js') as { GPU: GpuClass; WebAssemblyKernel: object };
  installWasmCache(gpujs.WebAssemblyKernel, (require('gpu.js/package.json') as { version: string }).version, from);
  if (timingEnabled) timeBuilds(gpujs.WebAssemblyKernel as { prototype: { build(...args: unknown[]): unknown } });
  mark('gpuJsLoaded');
  return gpujs.GPU;
}

const buildsTimed = new WeakSet<object>();

/** COLLAPSE_TIMING: each webasm kernel's build() (translation, emission, compile, instantiation) as its buildMs. */
function timeBuilds(kernelClass: { prototype: { build(...args: unknown[]): unknown } }): void {
  if (buildsTimed.has(kernelClass)) return;
  buildsTimed.add(kernelClass);
  const build = kernelClass.prototype.build;
  kernelClass.prototype.build = function (this: { buildMs?: number }, ...args: unknown[]) {
    const start = performance.now();
    try {
      return build.apply(this, args);
    } finally {
      this.buildMs = (this.buildMs ?? 0) + performance.now() - start;
    }
  };
}

interface StartablePool extends WorkerPool {
  /** gpu.js spawns worker `index` here if it is not running yet */
  _worker(index: number): unknown;
}

/** A pool whose threads were started before gpu.js loaded, waiting for the backend that will use it. */
let startedPool: StartablePool | undefined;

/**
 * webasm's worker pool, its threads started now: a thread takes ~30–60 ms of CPU to start, which then overlaps the
 * main thread's loading of gpu.js and compiling of kernels instead of delaying the first kernel call. One pool per
 * backend, shared by its kernels (gpu-backend.ts). Idle workers do not keep the process alive (gpu.js unrefs them).
 */
function startWorkerPool(): StartablePool {
  if (!startedPool) {
    const { WebAssemblyWorkerPool } = require('gpu.js/src/backend/web-assembly/worker-pool.js') as { WebAssemblyWorkerPool: new () => StartablePool };
    startedPool = new WebAssemblyWorkerPool();
    for (let i = 0; i < startedPool.size; i++) startedPool._worker(i);
  }
  return startedPool;
}

function takeWorkerPool(): WorkerPool {
  const pool = startWorkerPool();
  startedPool = undefined;
  return pool;
}

/**
 * Ask for a WebGPU adapter through the `webgpu` package (Dawn), in this process: navigator.gpu installed first
 * (./webgpu-adapter.ts), which gpu.js then finds.
 */
async function probeWebGPU(timeoutMs = 8000): Promise<WebGPUProbe> {
  const missing = await probeAdapter(timeoutMs);
  if (missing) return { missing };
  // a CPU rasteriser behind Vulkan (lavapipe/llvmpipe) answers like a GPU: say so, so that auto does not pick it
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  const adapter = (await gpu?.requestAdapter().catch(() => null)) as { isFallbackAdapter?: boolean; info?: AdapterInfo } | null;
  return { missing: null, software: softwareAdapter(adapter?.info ?? (adapter ? { isFallbackAdapter: adapter.isFallbackAdapter } : null)) };
}

async function probeAdapter(timeoutMs: number): Promise<string | null> {
  const noLoader = vulkanLoaderMissing();
  if (noLoader) return noLoader;
  try {
    await installNavigatorGpu();
    const answered = await Promise.race([
      gpuClass('webgpu').isWebGPUAvailable(),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    return answered ? null : 'no WebGPU adapter answered';
  } catch (error) {
    return `WebGPU unavailable (${(error as Error).message.split('\n')[0]})`;
  }
}

function makeBackend(name: BackendName, reason: string, software?: string): Backend {
  mark('backendSelected');
  const pool = name === 'webasm' ? takeWorkerPool() : undefined;
  return gpuJsBackend(gpuClass(name), name, name, reason, { threaded: name !== 'cpu', inKernelRandom: name !== 'cpu', software, pool });
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
  // webasm is certain (asked for, or auto where Dawn has no Vulkan loader): start its threads before gpu.js loads
  if (request === 'webasm' || (request === 'auto' && vulkanLoaderMissing() && typeof (globalThis as { WebAssembly?: unknown }).WebAssembly === 'object')) startWorkerPool();
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
  const peek = await peekAdapterCached();
  if (!peek.missing && !peek.software) {
    const probe = await probeWebGPU(); // a GPU answered the child: now load Dawn here
    if (!probe.missing && !probe.software) return makeBackend('webgpu', 'auto: WebGPU adapter answered');
  }
  const why = peek.missing ?? (peek.software ? `the WebGPU adapter is a software fallback (${peek.software})` : 'WebGPU adapter lost');
  if (gpuClass().isWebAssemblySupported) return makeBackend('webasm', `auto: ${why}; WebAssembly available`);
  return makeBackend('cpu', `auto: ${why}; no WebAssembly`);
}
