/**
 * `collapse neural --backend wasm|webgpu|cpu|auto` end to end with the toy tfjs family (COLLAPSE_NEURAL_TOY=1, seconds):
 * a backend that cannot run is one line and exit 2 with nothing written; auto picks webgpu only on a hardware
 * adapter and says why it did not; the choice is recorded in manifest.json, environment.json and every report; a
 * webgpu run (in child processes, with checkpoints read back asynchronously) gives wasm's losses within 1e-4
 * relative (the tolerance of test/models/neural/webgpu.test.ts, where it is justified).
 *
 * No adapter is simulated with VK_ICD_FILENAMES naming a file that does not exist: the Vulkan loader then finds no
 * driver, Dawn no adapter (the probe's child process inherits the variable).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { peekAdapter } from '../../src/kernels/webgpu-adapter.js';
import { isOneLineError, mainInProcess } from './helpers.js';

process.env.COLLAPSE_NEURAL_TOY = '1';
process.env.COLLAPSE_NEURAL_PROCESSES = '1'; // one process (the machine is small); the webgpu test uses two
const TOY = ['neural', '--model', 'toy', '--quick', '--samples', '60', '--test-samples', '200', '--iterations', '2', '--seed', '5', '--schedule', 'steps', '--quiet'];
const root = mkdtempSync(join(tmpdir(), 'collapse-neural-backend-'));
const json = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));

type Reports = Record<string, { backend: string; backendReason: string; iterations: { mean: number; metrics: Record<string, number> }[] }>;

/** Run with the Vulkan loader seeing no driver. */
async function withoutAdapter<T>(run: () => Promise<T>): Promise<T> {
  const saved = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = join(root, 'no-such-driver.json');
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = saved;
  }
}

let wasm: Reports;

test('--backend wasm: recorded in manifest.json, environment.json and every report', async () => {
  const dir = join(root, 'wasm');
  const run = await mainInProcess([...TOY, '--backend', 'wasm', '--out', dir]);
  assert.equal(run.code, 0, run.stderr);
  wasm = json(dir, 'results.json');
  assert.deepEqual(Object.values(wasm).map((r) => r.backend), ['tfjs-wasm', 'tfjs-wasm']);
  assert.match(wasm['toy-replace'].backendReason, /^requested; tfjs 4\.22 wasm/);
  assert.equal(json(dir, 'manifest.json').backend, 'tfjs-wasm');
  assert.match(json(dir, 'manifest.json').backendReason, /^requested; tfjs 4\.22 wasm/);
  assert.equal(json(dir, 'environment.json').backend, 'tfjs-wasm');
  assert.equal(json(join(dir, 'runs', 'toy-replace'), 'manifest.json').backend, 'tfjs-wasm');
  assert.equal(json(dir, 'manifest.json').config.backend, 'wasm');
});

test('a bad --backend, or --backend webgpu where no adapter answers, is one line, exit 2, nothing written', async () => {
  const cases: [string[], RegExp, boolean][] = [
    [['--backend', 'cuda'], /^collapse: --backend must be one of wasm, webgpu, cpu, auto; got "cuda"$/m, false],
    [['--backend', 'webgpu'], /^collapse: --backend webgpu cannot run here: (no WebGPU adapter answered|no Vulkan loader)/, true],
  ];
  for (const [args, pattern, hidden] of cases) {
    const out = join(root, `bad-${args.join('')}`);
    const run = hidden ? await withoutAdapter(() => mainInProcess([...TOY, ...args, '--out', out])) : await mainInProcess([...TOY, ...args, '--out', out]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, pattern);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('--backend auto: wasm without an adapter or with a software one (and says which), webgpu on a hardware adapter', async () => {
  const dir = join(root, 'auto-none');
  const run = await withoutAdapter(() => mainInProcess([...TOY, '--backend', 'auto', '--out', dir]));
  assert.equal(run.code, 0, run.stderr);
  const reports: Reports = json(dir, 'results.json');
  assert.equal(reports['toy-replace'].backend, 'tfjs-wasm');
  assert.match(reports['toy-replace'].backendReason, /^auto: (no WebGPU adapter answered|no Vulkan loader \(libvulkan\.so\.1\) for Dawn); tfjs 4\.22 wasm/);
  assert.match(json(dir, 'manifest.json').backendReason, /^auto: /);
  assert.deepStrictEqual(reports['toy-replace'].iterations, wasm['toy-replace'].iterations, 'auto on wasm is wasm, bit for bit');
  // the adapter here, whatever it is: lavapipe in CI (software: wasm), a GPU (webgpu), or none
  const here = await peekAdapter();
  const json2 = await mainInProcess([...TOY, '--backend', 'auto', '--json']);
  assert.equal(json2.code, 0, json2.stderr);
  const chosen = (JSON.parse(json2.stdout) as Reports)['toy-replace'];
  if (here.missing) assert.match(chosen.backendReason, /^auto: .*; tfjs 4\.22 wasm/);
  else if (here.software) assert.match(chosen.backendReason, /^auto: the WebGPU adapter is a software one \(.+\); tfjs 4\.22 wasm/);
  else assert.match(chosen.backendReason, /^auto: tfjs 4\.22 webgpu on /);
  assert.equal(chosen.backend, here.missing || here.software ? 'tfjs-wasm' : 'tfjs-webgpu');
});

test('--backend webgpu (two child processes, checkpoints read back asynchronously): recorded, and wasm\'s losses within 1e-4', { timeout: 180_000 }, async (t) => {
  const here = await peekAdapter();
  if (here.missing) return t.skip(`no WebGPU adapter: ${here.missing}`);
  const dir = join(root, 'webgpu');
  delete process.env.COLLAPSE_NEURAL_PROCESSES; // two parts, two child processes: the backend travels in each part's job
  const run = await mainInProcess([...TOY, '--backend', 'webgpu', '--out', dir]);
  assert.equal(run.code, 0, run.stderr);
  const reports: Reports = json(dir, 'results.json');
  for (const [part, report] of Object.entries(reports)) {
    assert.equal(report.backend, 'tfjs-webgpu', part);
    assert.match(report.backendReason, /^requested; tfjs 4\.22 webgpu on /);
    report.iterations.forEach((row, i) => {
      const reference = wasm[part].iterations[i].mean;
      assert.ok(Math.abs(row.mean - reference) <= 1e-4 * Math.abs(reference), `${part} generation ${i + 1}: webgpu ${row.mean} vs wasm ${reference}`);
    });
    assert.equal(json(join(dir, 'runs', part), 'manifest.json').backend, 'tfjs-webgpu');
    assert.ok(existsSync(join(dir, 'runs', part, 'checkpoint.json')), `${part}: a checkpoint`);
  }
  assert.equal(json(dir, 'manifest.json').backend, 'tfjs-webgpu');
  assert.equal(json(dir, 'environment.json').backend, 'tfjs-webgpu');
});
