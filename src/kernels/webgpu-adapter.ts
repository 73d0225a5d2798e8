/**
 * WebGPU in Node through the `webgpu` npm package (Dawn), shared by gpu.js's webgpu backend (./backend.ts) and
 * tfjs's (src/models/neural/backend.ts): one way to install `navigator.gpu`, one way to ask which adapter Dawn
 * would give, and one rule for what counts as a software adapter.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** What `requestAdapter()` answered. */
export interface WebGPUProbe {
  /** why there is no usable adapter, or null when one answered */
  missing: string | null;
  /** the adapter is a software fallback (e.g. Mesa's lavapipe): it runs the kernels, far slower than the CPU paths */
  software?: string;
  /** the adapter's vendor and description, as Dawn reports them */
  adapter?: string;
}

/** The fields of GPUAdapterInfo the probes read. */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/**
 * A CPU rasteriser behind Vulkan (Mesa's lavapipe/llvmpipe, Google's SwiftShader) answers like a GPU. Dawn marks it
 * `isFallbackAdapter`; the names are checked too, in case a driver does not say so.
 */
export function softwareAdapter(info: AdapterInfo | undefined | null): string | undefined {
  if (!info) return undefined;
  const names = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  if (!info.isFallbackAdapter && !/llvmpipe|lavapipe|swiftshader/i.test(names)) return undefined;
  return info.description || info.vendor || 'software adapter';
}

/** One line naming an adapter: vendor and description. */
export const adapterName = (info: AdapterInfo | undefined | null) => [info?.vendor, info?.description].filter(Boolean).join(' ') || 'unnamed adapter';

/** Dawn needs the Vulkan loader; without it, loading Dawn only prints a native warning on stderr, so look first. */
export function vulkanLoaderMissing(): string | null {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1'))) ? null : 'no Vulkan loader (libvulkan.so.1) for Dawn';
}

/**
 * Node 20 has no navigator.gpu: put the `webgpu` package's `globals` (GPUBufferUsage, …) on globalThis and
 * `navigator.gpu = create([])` (a Dawn instance), once per process. gpu.js and tfjs-backend-webgpu both find it there.
 */
export async function installNavigatorGpu(): Promise<void> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return;
  const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): unknown; globals: object };
  Object.assign(globalThis, webgpu.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
}

/**
 * What adapter Dawn would give, asked in a child process: Dawn writes its adapter warnings straight to file
 * descriptor 2, and an automatic choice that ends on the CPU (no adapter, or only a software one) must not leave them
 * on the user's stderr. ~0.1 s, and only where a Vulkan loader exists.
 */
export async function peekAdapter(timeoutMs = 8000): Promise<WebGPUProbe> {
  const noLoader = vulkanLoaderMissing();
  if (noLoader) return { missing: noLoader };
  const entry = pathToFileURL(require.resolve('webgpu')).href;
  const script = `const w = await import(${JSON.stringify(entry)});
const a = await w.create([]).requestAdapter();
const i = a && a.info;
process.stdout.write(JSON.stringify(a ? { info: i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } : null } : null));
process.exit(0);`;
  const out = await new Promise<string | null>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: timeoutMs }, (error, stdout) => resolve(error ? null : stdout));
  });
  let answer: { info: AdapterInfo | null } | null | undefined;
  try {
    answer = out === null ? undefined : (JSON.parse(out || 'null') as { info: AdapterInfo | null } | null);
  } catch {
    answer = undefined;
  }
  if (answer === undefined) return { missing: 'the WebGPU probe did not answer' };
  if (answer === null) return { missing: 'no WebGPU adapter answered' };
  return { missing: null, software: softwareAdapter(answer.info), adapter: adapterName(answer.info) };
}
