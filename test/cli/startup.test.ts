/**
 * The CLI's start-up work (bench/startup.bench.ts measures it; nothing here is timed): a command loads only its own
 * modules, the kernel cache changes no number, a damaged cache entry is ignored, and COLLAPSE_TIMING reports phases.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeEntry, encodeEntry } from '../../src/kernels/wasm-cache.js';
import { BIN, collapseSync } from './helpers.js';

const RUN = ['linear', '--strategy', 'accumulate', '--dim', '3', '--samples', '12', '--noise', '1', '--iterations', '3', '--trials', '3000', '--backend', 'webasm', '--json'];

/** The ESM and CommonJS files a CLI invocation loads, from a loader hook and Module._load. */
function loadedFiles(args: string[]): string[] {
  const hook = `data:text/javascript,${encodeURIComponent(`
import { register, Module } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function load(u, c, n) { process.stderr.write("LOADED " + u + "\\\\n"); return n(u, c); }'));
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try { process.stderr.write('LOADED ' + Module._resolveFilename(request, parent, isMain) + '\\n'); } catch {}
  return load.apply(this, arguments);
};`)}`;
  const result = spawnSync(process.execPath, ['--import', hook, BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
}

test('collapse linear loads neither the other commands nor their stacks (tfjs, BullMQ, Plotly, yaml, mathjs)', () => {
  const files = loadedFiles([...RUN.slice(0, -1), '--iterations', '1', '--trials', '100']);
  assert.ok(files.some((f) => f.includes('/dist/cli/linear.js')), 'the linear command itself was loaded');
  assert.ok(files.some((f) => f.includes('/gpu.js/') || f.endsWith('/dist/vendor/gpu.cjs')), 'gpu.js was loaded');
  for (const unwanted of ['/dist/cli/neural.js', '/dist/cli/figures.js', '/dist/cli/sweep.js', '/dist/cli/verify.js', '/dist/cli/gaussian.js', '/dist/figures/', '/dist/sweep/', '@tensorflow', 'bullmq', 'ioredis', 'plotly', 'playwright', 'openchemlib', '/yaml/', 'mathjs']) {
    assert.ok(!files.some((f) => f.includes(unwanted)), `${unwanted} was loaded: ${files.filter((f) => f.includes(unwanted)).join(', ')}`);
  }
});

test('help without a command still lists every command', () => {
  const out = collapseSync(['--help']);
  assert.equal(out.code, 0, out.stderr);
  for (const name of ['linear', 'gaussian', 'neural', 'verify', 'sweep', 'worker', 'figures']) assert.match(out.stdout, new RegExp(`\\b${name}\\b`));
});

test('the kernel cache: a cold run fills it, a warm run reads it, and both equal a run without it bit for bit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-cache-test-'));
  try {
    const off = collapseSync(RUN, { COLLAPSE_CACHE: '0', COLLAPSE_CACHE_DIR: dir });
    assert.equal(off.code, 0, off.stderr);
    assert.throws(() => readdirSync(join(dir, 'wasm')), 'COLLAPSE_CACHE=0 writes nothing');
    const cold = collapseSync(RUN, { COLLAPSE_CACHE_DIR: dir });
    assert.equal(cold.code, 0, cold.stderr);
    const entries = readdirSync(join(dir, 'wasm')).filter((f) => f.endsWith('.bin'));
    assert.ok(entries.length >= 2, `entries: ${entries.join(', ')}`);
    const warm = collapseSync(RUN, { COLLAPSE_CACHE_DIR: dir });
    // a damaged entry (here: every one) is ignored and rewritten, never run
    for (const f of entries) writeFileSync(join(dir, 'wasm', f), Buffer.from('not a module, and far too short to be one of them'));
    const damaged = collapseSync(RUN, { COLLAPSE_CACHE_DIR: dir });
    assert.equal(damaged.code, 0, damaged.stderr);
    const iterations = (o: { stdout: string }) => JSON.stringify((JSON.parse(o.stdout) as { iterations: unknown }).iterations);
    assert.equal(iterations(cold), iterations(off));
    assert.equal(iterations(warm), iterations(off));
    assert.equal(iterations(damaged), iterations(off));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache entries: a round trip keeps the bytes and limits; a flipped byte or a truncation is rejected', () => {
  // the smallest valid module: magic and version
  const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const file = encodeEntry({ bytes, initial: 17, maximum: 4096 });
  assert.deepEqual(decodeEntry(file), { bytes, initial: 17, maximum: 4096 });
  const flipped = file.slice();
  flipped[flipped.length - 1] ^= 1;
  assert.equal(decodeEntry(flipped), null);
  assert.equal(decodeEntry(file.subarray(0, file.length - 1)), null);
  assert.equal(decodeEntry(file.subarray(0, 20)), null);
});

test('COLLAPSE_TIMING=1: one line of phase marks in order and a compile time per kernel shape', () => {
  const out = collapseSync(RUN, { COLLAPSE_TIMING: '1', COLLAPSE_CACHE: '0' });
  assert.equal(out.code, 0, out.stderr);
  const line = out.stderr.split('\n').find((l) => l.startsWith('collapse timing: '));
  assert.ok(line, out.stderr);
  const report = JSON.parse(line.slice('collapse timing: '.length)) as { marks: Record<string, number>; kernels: { kernel: string; shape: string; compileMs: number; firstCallMs: number }[] };
  const order = ['nodeReady', 'main', 'commandLoaded', 'configValidated', 'gpuJsLoaded', 'backendSelected', 'firstKernelCall', 'firstKernelResult', 'end'];
  for (let i = 1; i < order.length; i++) assert.ok(report.marks[order[i - 1]] <= report.marks[order[i]], `${order[i - 1]} before ${order[i]}: ${JSON.stringify(report.marks)}`);
  assert.ok(report.kernels.length >= 2);
  for (const k of report.kernels) assert.ok(k.compileMs > 0 && k.firstCallMs >= 0 && /^\[[\d,]+\] /.test(k.shape), JSON.stringify(k));
  // without the variable nothing is printed
  const quiet = collapseSync(RUN, { COLLAPSE_CACHE: '0' });
  assert.ok(!quiet.stderr.includes('collapse timing'));
});
