/**
 * The neural backend choice without tfjs (src/models/neural/backend.ts) and the software-adapter rule it shares with
 * gpu.js (src/kernels/webgpu-adapter.ts): names checked, a resumed run keeps its own backend, software adapters
 * recognised from their info.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { softwareAdapter } from '../../../src/kernels/webgpu-adapter.js';
import { parseNeuralBackend, resolveNeuralBackend, resumeNeuralBackend, storedNeuralBackend } from '../../../src/models/neural/backend.js';

const oneLine = (pattern: RegExp) => (error: unknown) => error instanceof UsageError && !error.message.includes('\n') && pattern.test(error.message);

/** `run` with COLLAPSE_NEURAL_BACKEND and VK_ICD_FILENAMES set as given (undefined: unset), restored after. */
async function withEnv<T>(env: Record<string, string | undefined>, run: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const put = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  put(env);
  try {
    return await run();
  } finally {
    put(saved);
  }
}

test('names: wasm, webgpu, cpu, auto; anything else is one line naming them', () => {
  for (const name of ['wasm', 'webgpu', 'cpu', 'auto']) assert.equal(parseNeuralBackend(name), name);
  for (const bad of ['cuda', '', 'WASM', 3, null]) assert.throws(() => parseNeuralBackend(bad), oneLine(/^--backend must be one of wasm, webgpu, cpu, auto; got /));
});

test('the default is COLLAPSE_NEURAL_BACKEND, else wasm; wasm and cpu need no probe', async () => {
  assert.deepEqual((await withEnv({ COLLAPSE_NEURAL_BACKEND: undefined }, () => resolveNeuralBackend())).name, 'wasm');
  assert.deepEqual((await withEnv({ COLLAPSE_NEURAL_BACKEND: 'cpu' }, () => resolveNeuralBackend())).name, 'cpu');
  await withEnv({ COLLAPSE_NEURAL_BACKEND: 'gpu' }, () => assert.rejects(resolveNeuralBackend(), oneLine(/^COLLAPSE_NEURAL_BACKEND must be one of/)));
  assert.match((await resolveNeuralBackend('wasm')).reason, /^requested; tfjs 4\.22 wasm/);
});

test('without an adapter: webgpu is refused with one line, auto falls back to wasm and says why', async () => {
  await withEnv({ VK_ICD_FILENAMES: '/nonexistent/collapse-lab-no-driver.json' }, async () => {
    await assert.rejects(resolveNeuralBackend('webgpu'), oneLine(/^--backend webgpu cannot run here: (no WebGPU adapter answered|no Vulkan loader)/));
    const auto = await resolveNeuralBackend('auto');
    assert.equal(auto.name, 'wasm');
    assert.match(auto.reason, /^auto: (no WebGPU adapter answered|no Vulkan loader \(libvulkan\.so\.1\) for Dawn); tfjs 4\.22 wasm/);
    await assert.rejects(resumeNeuralBackend('tfjs-webgpu', 'requested; …', 'DIR'), oneLine(/^--resume DIR: the run used tfjs-webgpu, which cannot run here \(--backend webgpu cannot run here: /));
  });
});

test('--resume keeps the run\'s own backend and reason; another named by COLLAPSE_NEURAL_BACKEND, or a name not ours, is refused', async () => {
  await withEnv({ COLLAPSE_NEURAL_BACKEND: undefined }, async () => {
    assert.equal(storedNeuralBackend('tfjs-webgpu', 'DIR'), 'webgpu');
    assert.deepEqual(await resumeNeuralBackend('tfjs-wasm', 'tfjs 4.22; one part per process', 'DIR'), { name: 'wasm', reason: 'tfjs 4.22; one part per process' });
    assert.throws(() => storedNeuralBackend('tfjs-cuda', 'DIR'), oneLine(/^--resume DIR: its manifest.json names backend "tfjs-cuda", not one of tfjs-wasm, tfjs-webgpu, tfjs-cpu$/));
    assert.throws(() => storedNeuralBackend(undefined, 'DIR'), UsageError);
  });
  await withEnv({ COLLAPSE_NEURAL_BACKEND: 'cpu' }, () => {
    assert.throws(() => storedNeuralBackend('tfjs-wasm', 'DIR'), oneLine(/^--resume: DIR ran on tfjs-wasm, this process would use tfjs-cpu; set COLLAPSE_NEURAL_BACKEND=wasm to resume it$/));
    assert.equal(storedNeuralBackend('tfjs-cpu', 'DIR'), 'cpu');
  });
});

test('software adapters: Dawn\'s isFallbackAdapter, or lavapipe/llvmpipe/SwiftShader by name; a GPU is not one', () => {
  assert.equal(softwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: true }), 'llvmpipe (LLVM 15.0.6, 256 bits)');
  assert.equal(softwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: false }), 'SwiftShader Device (Subzero)');
  assert.equal(softwareAdapter({ vendor: 'mesa', device: 'lavapipe' }), 'mesa');
  assert.equal(softwareAdapter({ isFallbackAdapter: true }), 'software adapter');
  assert.equal(softwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: false }), undefined);
  assert.equal(softwareAdapter(null), undefined);
});
