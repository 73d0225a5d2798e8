/**
 * WebGPU in Node through the `webgpu` npm package (Dawn), shared by gpu.js's webgpu backend (./backend.ts) and
 * tfjs's (src/models/neural/backend.ts): one way to install `navigator.gpu`, one way to ask which adapter Dawn
 * would give, and one rule for what counts as a software adapter.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wasmCacheDir } from './wasm-cache.js';

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

/** Where the Vulkan loader looks for driver manifests (and the variables that override it). */
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** What the probe's answer depends on: the webgpu package, the Vulkan loader and every driver manifest (name, size, time). */
function probeKey(env: NodeJS.ProcessEnv): string {
  const files: string[] = [];
  const stamp = (path: string) => {
    try {
      const s = statSync(path);
      files.push(`${path}:${s.size}:${s.mtimeMs}`);
    } catch {
      files.push(`${path}:absent`);
    }
  };
  for (const dir of ICD_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      files.push(`${dir}:absent`);
    }
    for (const name of names) stamp(join(dir, name));
  }
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib']) stamp(join(dir, 'libvulkan.so.1'));
  const version = (require('webgpu/package.json') as { version: string }).version;
  return JSON.stringify({ version, node: process.versions.modules, files, env: [env.VK_ICD_FILENAMES, env.VK_DRIVER_FILES, env.LD_LIBRARY_PATH] });
}

/**
 * peekAdapter, its answer kept on disk where no GPU answered (no adapter, or a software one): the probe starts a Node
 * with Dawn, ~0.25 s of every `auto` run on a machine with a software Vulkan (Mesa's lavapipe, which the tests'
 * setup installs). Keyed by probeKey, so installing a driver asks again; a GPU's answer is never kept (those runs
 * use it). In the kernel cache's directory (wasm-cache.ts: COLLAPSE_CACHE_DIR, …; COLLAPSE_CACHE=0 turns it off).
 */
export async function peekAdapterCached(peek: () => Promise<WebGPUProbe> = peekAdapter, env: NodeJS.ProcessEnv = process.env): Promise<WebGPUProbe> {
  const dir = wasmCacheDir(env);
  if (!dir) return peek();
  const file = join(dirname(dir), 'webgpu-probe.json');
  const key = probeKey(env);
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { key: string; probe: WebGPUProbe };
    if (kept.key === key && (kept.probe.missing || kept.probe.software)) return kept.probe;
  } catch {
    // absent or unreadable: ask
  }
  const probe = await peek();
  // "did not answer" may be a slow machine, not a missing GPU: only a definite answer is kept
  if ((probe.missing && probe.missing !== 'the WebGPU probe did not answer') || probe.software) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ key, probe }));
      renameSync(temporary, file);
    } catch {
      // a read-only cache only costs the probe next time
    }
  }
  return probe;
}
