/** The machine's ceilings on one backend, measured in the same run as the benchmark they normalise. */
import type { Backend } from '../src/kernels/backend.js';
import { createLinearKernels } from '../src/kernels/linear.js';

export interface Ceilings {
  /** naive square matmul kernel on this backend, GFLOP/s */
  matmulGflops: number;
  matmulSize: number;
  /** in-kernel (or, on cpu, host) standard-normal draws per second */
  drawsPerSecond: number;
}

const MATMUL = `function(a, b) {
  let s = 0;
  for (let i = 0; i < this.constants.n; i++) s += a[this.thread.y * this.constants.n + i] * b[i * this.constants.n + this.thread.x];
  return s;
}`;

async function best(f: () => Promise<unknown>, repeats: number): Promise<number> {
  await f();
  let fastest = Infinity;
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    await f();
    fastest = Math.min(fastest, (performance.now() - started) / 1000);
  }
  return fastest;
}

export async function measureCeilings(backend: Backend, smoke: boolean): Promise<Ceilings> {
  const n = smoke || backend.name === 'cpu' ? 128 : 384;
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 101) / 101);
  const matmul = backend.createKernel(MATMUL, { output: [n, n], constants: { n } });
  const matmulSeconds = await best(() => matmul(a, a) as Promise<unknown>, smoke ? 1 : 3);
  const rows = smoke ? 16 : 64;
  const B = 16384;
  const kernels = createLinearKernels(backend, { B, T: rows, d: 1 });
  // the draws as the kernels make them (trial-major), without the transpose some callers add
  const drawSeconds = await best(() => kernels.trialNormals(rows, 99), smoke ? 1 : 3);
  return { matmulGflops: (2 * n ** 3) / matmulSeconds / 1e9, matmulSize: n, drawsPerSecond: (rows * B) / drawSeconds };
}
