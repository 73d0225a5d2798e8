/// <reference lib="dom" />
/**
 * The browser build's kernels/backend.ts (scripts/build-site.ts aliases it here): the same Backend, made by the same
 * gpuJsBackend, from gpu.js's browser bundle. Order webgpu → webgl2 → webgl → cpu; webgpu only after an adapter
 * answers, and auto passes software renderers by, as the CLI passes lavapipe by (C3). WebGL and cpu cannot seed gpu.js's in-kernel Math.random, so there the normals come from the keyed
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

interface Probe {
  /** why the backend cannot run here, or null */
  missing: string | null;
  /** a software renderer (SwiftShader, llvmpipe): correct, but slower than gpu.js's cpu mode, so auto passes it by */
  software?: string;
}

/** Ask for a WebGPU adapter (within timeoutMs). */
async function probeWebGPU(timeoutMs = 4000): Promise<Probe> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { missing: 'this browser has no WebGPU (navigator.gpu)' };
  const adapter = (await Promise.race([gpu.requestAdapter().catch(() => null), new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs))])) as
    | { info?: { isFallbackAdapter?: boolean; architecture?: string; description?: string } }
    | null;
  if (!adapter) return { missing: 'no WebGPU adapter answered' };
  const info = adapter.info;
  return { missing: null, software: info?.isFallbackAdapter ? `WebGPU adapter is a software fallback (${info.architecture || info.description || 'unnamed'})` : undefined };
}

function probeWebGL(name: 'webgl2' | 'webgl'): Probe {
  const supported = name === 'webgl2' ? gpuClass.isWebGL2Supported : gpuClass.isWebGLSupported;
  if (!supported) return { missing: `no ${name === 'webgl2' ? 'WebGL2' : 'WebGL'} context (the browser or its GPU blocklist refuses one)` };
  const gl = document.createElement('canvas').getContext(name) as WebGLRenderingContext | null;
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl ? String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : '';
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return { missing: null, software: /swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? `${name} renders in software (${renderer})` : undefined };
}

function make(name: BrowserBackendName, reason: string): Backend<BrowserBackendName> {
  return gpuJsBackend(gpuClass, name, name, reason, { threaded: name !== 'cpu', inKernelRandom: name === 'webgpu' });
}

/**
 * Pick a backend in the page; a requested one that cannot run is a UsageError (shown inline), never a silent
 * fallback. auto takes a GPU (WebGPU, else WebGL2, else WebGL) and passes software renderers by for gpu.js's cpu mode.
 */
export async function selectBrowserBackend(request: BrowserBackendRequest = 'auto'): Promise<Backend<BrowserBackendName>> {
  const probe = async (name: BrowserBackendName): Promise<Probe> => (name === 'webgpu' ? probeWebGPU() : name === 'cpu' ? { missing: null } : probeWebGL(name));
  if (request !== 'auto') {
    const found = await probe(request);
    if (found.missing) throw new UsageError(`backend ${request} cannot run here: ${found.missing}`);
    return make(request, `requested${found.software ? `; ${found.software}` : ''}`);
  }
  const reasons: string[] = [];
  for (const name of ['webgpu', 'webgl2', 'webgl'] as const) {
    const found = await probe(name);
    if (!found.missing && !found.software) return make(name, `auto: ${[...reasons, `${name} available`].join('; ')}`);
    reasons.push(found.missing ?? (found.software as string));
  }
  return make('cpu', `auto: ${reasons.join('; ')}`);
}

/**
 * What experiments/linear.ts calls when it is given no backend. The explorer always passes one (selectBrowserBackend),
 * so this only answers the CLI's names that exist in a page.
 */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<Backend> {
  if (request === 'webasm') throw new UsageError('backend webasm is not offered in the browser build; use auto, webgpu, webgl2, webgl or cpu');
  return (await selectBrowserBackend(request)) as Backend;
}

