/// <reference lib="dom" />
/**
 * The browser build's kernels/backend.ts (scripts/build-site.ts aliases it here): the same Backend, made by the same
 * gpuJsBackend, from gpu.js's browser bundle. Order webgpu → webgl2 → webgl → cpu; webgpu only after an adapter
 * answers (C3). WebGL and cpu cannot seed gpu.js's in-kernel Math.random, so there the normals come from the keyed
 * host streams the CLI's cpu backend uses: a page on cpu or WebGL draws exactly the numbers of `--backend cpu`.
 */
import { GPU } from 'gpu.js';
import { UsageError } from '../core/errors.js';
import { gpuJsBackend, type Backend, type BackendRequest, type GpuClass } from '../kernels/gpu-backend.js';

export { BACKENDS, type Backend, type BackendName, type BackendRequest, type GpuKernel, type KernelActivity } from '../kernels/gpu-backend.js';

export const BROWSER_BACKENDS = ['webgpu', 'webgl2', 'webgl', 'cpu'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];
export type BrowserBackendRequest = BrowserBackendName | 'auto';

const gpuClass = GPU as unknown as GpuClass & { isWebGL2Supported: boolean; isWebGLSupported: boolean };

/** Why WebGPU cannot run here, or null when an adapter answered (within timeoutMs). */
async function webgpuMissing(timeoutMs = 4000): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu)';
  const adapter = await Promise.race([gpu.requestAdapter().catch(() => null), new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs))]);
  return adapter ? null : 'no WebGPU adapter answered';
}

function missing(name: BrowserBackendName): string | null {
  if (name === 'webgl2') return gpuClass.isWebGL2Supported ? null : 'no WebGL2 context (the browser or its GPU blocklist refuses one)';
  if (name === 'webgl') return gpuClass.isWebGLSupported ? null : 'no WebGL context';
  return null;
}

function make(name: BrowserBackendName, reason: string): Backend<BrowserBackendName> {
  return gpuJsBackend(gpuClass, name, name, reason, { threaded: name !== 'cpu', inKernelRandom: name === 'webgpu' });
}

/** Pick a backend in the page; a requested one that cannot run is a UsageError (shown inline), never a silent fallback. */
export async function selectBrowserBackend(request: BrowserBackendRequest = 'auto'): Promise<Backend<BrowserBackendName>> {
  if (request === 'webgpu') {
    const why = await webgpuMissing();
    if (why) throw new UsageError(`backend webgpu cannot run here: ${why}`);
    return make('webgpu', 'requested; WebGPU adapter answered');
  }
  if (request !== 'auto') {
    const why = missing(request);
    if (why) throw new UsageError(`backend ${request} cannot run here: ${why}`);
    return make(request, 'requested');
  }
  const reasons: string[] = [];
  const noWebGPU = await webgpuMissing();
  if (!noWebGPU) return make('webgpu', 'auto: WebGPU adapter answered');
  reasons.push(noWebGPU);
  for (const name of ['webgl2', 'webgl'] as const) {
    const why = missing(name);
    if (!why) return make(name, `auto: ${reasons.join('; ')}; ${name} available`);
    reasons.push(why);
  }
  return make('cpu', `auto: ${reasons.join('; ')}`);
}

/**
 * What models/linear/run.ts calls when it is given no backend. The explorer always passes one (selectBrowserBackend),
 * so this only answers the CLI's names that exist in a page.
 */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<Backend> {
  if (request === 'webasm') throw new UsageError('backend webasm is not offered in the browser build; use auto, webgpu, webgl2, webgl or cpu');
  return (await selectBrowserBackend(request)) as Backend;
}

