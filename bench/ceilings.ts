/** The machine's ceilings on one backend, measured in the same run as the benchmark they normalise. */
import type { Backend } from '../src/kernels/backend.js';
import { createLinearKernels } from '../src/kernels/linear.js';
import { createSubsampleGram } from '../src/kernels/subsample-gram.js';

export interface Ceilings {
  /** square matmul kernel on this backend, four rows of C per cell (register-blocked like the Gram kernels), GFLOP/s */
  matmulGflops: number;
  /** the same product one entry per cell (gpu.js's textbook kernel), GFLOP/s: a third of the blocked one on webasm */
  naiveMatmulGflops: number;
  matmulSize: number;
  /** in-kernel (or, on cpu, host) standard-normal draws per second */
  drawsPerSecond: number;
}

const NAIVE = `function(a, b) {
  let s = 0;
  for (let i = 0; i < this.constants.n; i++) s += a[this.thread.y * this.constants.n + i] * b[i * this.constants.n + this.thread.x];
  return s;
}`;

/** C[4y + q, x] for q = 0…3: one load of B[k, x] serves four multiply-adds (the A loads are uniform across lanes). */
const BLOCKED = `function(a, b) {
  let ia = this.thread.y * 4 * this.constants.n;
  let ib = this.thread.x;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < this.constants.n; k += 1) {
    const v = b[ib];
    s0 += a[ia] * v;
    s1 += a[ia + this.constants.n] * v;
    s2 += a[ia + 2 * this.constants.n] * v;
    s3 += a[ia + 3 * this.constants.n] * v;
    ia += 1;
    ib += this.constants.n;
  }
  return [s0, s1, s2, s3];
}`;

/** The fastest of `repeats` timed calls after one untimed call, in seconds. */
async function best(f: () => Promise<unknown>, repeats: number): Promise<number> {
  return (await timed(f, repeats)).seconds;
}

/**
 * The fastest wall time of `repeats` calls after one untimed call, and the process's CPU seconds per call (all
 * threads, averaged): on a machine shared with other work the CPU time is the steadier of the two.
 */
export async function timed(f: () => Promise<unknown>, repeats: number): Promise<{ seconds: number; cpuSeconds: number }> {
  await f();
  let fastest = Infinity;
  const cpuStarted = process.cpuUsage();
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    await f();
    fastest = Math.min(fastest, (performance.now() - started) / 1000);
  }
  const cpu = process.cpuUsage(cpuStarted);
  return { seconds: fastest, cpuSeconds: (cpu.user + cpu.system) / 1e6 / repeats };
}

export async function measureCeilings(backend: Backend, smoke: boolean): Promise<Ceilings> {
  const n = smoke || backend.name === 'cpu' ? 128 : 384;
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 101) / 101);
  const product = new Float32Array(n * n); // results land in memory already touched: a fresh array costs page faults
  const naive = backend.createKernel(NAIVE, { output: [n, n], constants: { n } });
  const blocked = backend.createKernel(BLOCKED, { output: [n, n / 4], constants: { n }, returnType: 'Array(4)' });
  const repeats = smoke ? 1 : 3;
  const naiveSeconds = await best(() => naive.into(product, 0, a, a), repeats);
  const blockedSeconds = await best(() => blocked.into(product, 0, a, a), repeats);
  naive.destroy?.();
  blocked.destroy?.();
  const rows = smoke ? 16 : 64;
  const B = 16384;
  const kernels = createLinearKernels(backend, { B, T: rows, d: 1 });
  const draws = new Float32Array(B * rows);
  // the draws as the kernels make them (trial-major), without the transpose some callers add
  const drawSeconds = await best(() => kernels.trialNormals(rows, 99, 0, draws), repeats);
  kernels.release();
  const flops = 2 * n ** 3;
  return { matmulGflops: flops / blockedSeconds / 1e9, naiveMatmulGflops: flops / naiveSeconds / 1e9, matmulSize: n, drawsPerSecond: (rows * B) / drawSeconds };
}

/** The grid's own kernels at its heaviest shape, timed as the runs call them (bench:grid). */
export interface GridCeilings {
  /** the block Gram (LinearKernels.weightedGram, its float64 unpacking included) with every row drawn once, useful GFLOP/s: B·T·d(d+1) flops per call */
  gramGflops: number;
  /** the same Gram by the hand-written wasm kernel the subsample runs use on webasm (subsample-gram.ts); null elsewhere */
  wasmGramGflops: number | null;
  /** normal draws per second of LinearKernels.trialNormals at the design's shape (T·d + d rows per trial) */
  designDrawsPerSecond: number;
  /** per CPU second (process, all threads) instead of per wall second: the wasm Gram (else gpu.js's) and the design's draws */
  gramGflopsPerCpuSecond: number;
  drawsPerCpuSecond: number;
  shape: { B: number; T: number; d: number };
}

export async function measureGridCeilings(backend: Backend, shape: { B: number; T: number; d: number }, smoke: boolean): Promise<GridCeilings> {
  const { B, T, d } = shape;
  const kernels = createLinearKernels(backend, shape);
  const dp = 4 * Math.ceil(d / 4);
  const X = new Float32Array(B * T * dp).map((_, i) => (i % dp < d ? (((i * 7919) % 101) - 50) / 50 : 0));
  const counts = new Float32Array(B * T).fill(1);
  const repeats = smoke ? 1 : 3;
  const out = new Float64Array(B * d * d);
  const gramSeconds = await best(() => kernels.weightedGram(X, counts, out), repeats);
  const wasm = createSubsampleGram(backend, shape);
  wasm?.load(X);
  const wasmTimes = wasm ? await timed(() => wasm.gram(counts, out), repeats) : null;
  const gpuTimes = await timed(() => kernels.weightedGram(X, counts, out), repeats);
  wasm?.release();
  const rows = T * d + d;
  const draws = new Float32Array(B * rows);
  const drawTimes = await timed(() => kernels.trialNormals(rows, 7, 0, draws), repeats);
  kernels.release();
  const flops = B * T * d * (d + 1);
  return {
    gramGflops: flops / gramSeconds / 1e9,
    wasmGramGflops: wasmTimes === null ? null : flops / wasmTimes.seconds / 1e9,
    designDrawsPerSecond: (B * rows) / drawTimes.seconds,
    gramGflopsPerCpuSecond: flops / (wasmTimes ?? gpuTimes).cpuSeconds / 1e9,
    drawsPerCpuSecond: (B * rows) / drawTimes.cpuSeconds,
    shape,
  };
}
