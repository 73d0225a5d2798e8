/**
 * peekAdapterCached keeps the WebGPU probe's answer where no GPU answered, and asks again when it must: a GPU's answer,
 * an unclear one, a changed Vulkan setup, or the cache turned off.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { peekAdapterCached, type WebGPUProbe } from '../../src/kernels/webgpu-adapter.js';

test('the WebGPU probe: a software or missing adapter is kept on disk, a GPU never; a changed setup asks again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-probe-'));
  try {
    const env = { COLLAPSE_CACHE_DIR: dir };
    let asked = 0;
    const answering = (probe: WebGPUProbe) => async () => {
      asked++;
      return probe;
    };
    const software = answering({ missing: null, software: 'llvmpipe (LLVM 15)' });
    assert.deepEqual(await peekAdapterCached(software, env), { missing: null, software: 'llvmpipe (LLVM 15)' });
    assert.deepEqual(await peekAdapterCached(software, env), { missing: null, software: 'llvmpipe (LLVM 15)' });
    assert.equal(asked, 1, 'the second run reads the kept answer');
    // another driver manifest path (a driver installed or chosen): asked again
    await peekAdapterCached(software, { ...env, VK_ICD_FILENAMES: '/opt/gpu/icd.json' });
    assert.equal(asked, 2);
    // a GPU's answer is not kept: every run asks (and uses it)
    const other = mkdtempSync(join(tmpdir(), 'collapse-probe-'));
    try {
      const gpu = answering({ missing: null, adapter: 'NVIDIA H100' });
      await peekAdapterCached(gpu, { COLLAPSE_CACHE_DIR: other });
      await peekAdapterCached(gpu, { COLLAPSE_CACHE_DIR: other });
      assert.equal(asked, 4);
      // nor an unclear one (a slow start is not a missing GPU)
      const silent = answering({ missing: 'the WebGPU probe did not answer' });
      await peekAdapterCached(silent, { COLLAPSE_CACHE_DIR: other });
      await peekAdapterCached(silent, { COLLAPSE_CACHE_DIR: other });
      assert.equal(asked, 6);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    // COLLAPSE_CACHE=0: always asked
    await peekAdapterCached(software, { ...env, COLLAPSE_CACHE: '0' });
    assert.equal(asked, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
