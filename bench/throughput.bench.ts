/**
 * Monte Carlo throughput, in trial-iterations per second, for each available backend and both methods, with the
 * machine's ceilings measured in the same run and an independent numpy implementation as the peer.
 *
 *   npm run bench                 the table (add -- --json for machine-readable rows, -- --smoke for a seconds-long run,
 *                                 -- --iterations=N for N model-fitting iterations per trial instead of 50,
 *                                 -- --methods=reduced and -- --shapes=10x100 for a subset of the rows)
 *
 * Each row: median of REPEATS timed runs after one warm-up run, the spread (min–max), the work per trial-iteration
 * (flops, normal draws), the flop rate reached as a fraction of a register-blocked matmul kernel on the same backend, and the
 * ratio to numpy (full method, same workload). Results are also written to bench/results/throughput-<date>-<host>-<N>it.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BACKENDS, selectBackend, type Backend, type BackendName } from '../src/kernels/backend.js';
import { UsageError } from '../src/core/errors.js';
import { chunkTrials, simulateLinear, type Method } from '../src/models/linear/monte-carlo.js';
import { accumulate } from '../src/strategies/accumulate.js';
import type { BenchRow } from '../src/figures/kernel-throughput.js';
import { measureCeilings, type Ceilings } from './ceilings.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const smoke = args.has('--smoke');
const REPEATS = smoke ? 1 : 3;
// paper scale (the issue's d = 32 verification grid runs 50 iterations); --iterations=10 weighs the per-trial design more
const iterationsFlag = process.argv.find((a) => a.startsWith('--iterations='))?.slice('--iterations='.length);
const ITERATIONS = smoke ? 2 : iterationsFlag !== undefined ? Number(iterationsFlag) : 50;
if (!Number.isInteger(ITERATIONS) || ITERATIONS < 1 || ITERATIONS > 1000) {
  process.stderr.write(`bench: --iterations must be an integer in [1, 1000]; got ${JSON.stringify(iterationsFlag)}\n`);
  process.exit(2);
}
// --backends=webgpu,webasm: only these (the GPU check runs webgpu alone: bench/gpu/check.sh)
const backendsFlag = process.argv.find((a) => a.startsWith('--backends='))?.slice('--backends='.length);
const ONLY = backendsFlag === undefined ? null : backendsFlag.split(',');
if (ONLY && (ONLY.length === 0 || ONLY.some((b) => !(BACKENDS as readonly string[]).includes(b)))) {
  process.stderr.write(`bench: --backends takes a comma-separated list of ${BACKENDS.join(', ')}; got ${JSON.stringify(backendsFlag)}\n`);
  process.exit(2);
}
// the issue's sizes: the paper's d = 10 example, its d = 32 figure grid at two T, and the grid's largest cell
const ALL_SHAPES: [number, number][] = smoke ? [[10, 100]] : [[10, 100], [32, 316], [32, 1000], [100, 1000]];
// --shapes=10x100,32x316 and --methods=reduced: a subset of the rows (a quick look at one method's limit)
const shapesFlag = process.argv.find((a) => a.startsWith('--shapes='))?.slice('--shapes='.length);
const SHAPES: [number, number][] = shapesFlag === undefined ? ALL_SHAPES : shapesFlag.split(',').map((x) => x.split('x').map(Number) as [number, number]);
if (SHAPES.some(([d, T]) => !Number.isInteger(d) || !Number.isInteger(T) || d < 1 || T < d + 2)) {
  process.stderr.write(`bench: --shapes takes a comma-separated list of DxT with T ≥ D + 2; got ${JSON.stringify(shapesFlag)}\n`);
  process.exit(2);
}
const methodsFlag = process.argv.find((a) => a.startsWith('--methods='))?.slice('--methods='.length);
const METHODS_RUN = (methodsFlag ?? 'full,reduced').split(',');
if (METHODS_RUN.length === 0 || METHODS_RUN.some((m) => m !== 'full' && m !== 'reduced')) {
  process.stderr.write(`bench: --methods takes a comma-separated list of full, reduced; got ${JSON.stringify(methodsFlag)}\n`);
  process.exit(2);
}

/** A row of the results file; the figure (src/figures/kernel-throughput.ts) reads the same type. */
interface Row extends BenchRow {
  name: string;
  backend: BackendName;
  method: Method;
  fractionOfCeiling: number;
  /** normal draws per second reached (draws/ti × trial-it/s) over the same run's in-kernel draw ceiling */
  fractionOfDrawCeiling: number;
  /** against bench/peers/torch_full.py (on CUDA where a GPU is visible), null where torch is missing */
  torchRatio: number | null;
  /** of the median run (RunProfile): CPU time / (cores × wall), main thread busy / wall, some kernel call running / wall */
  cpuFraction: number;
  mainThreadBusy: number;
  kernelBusy: number;
  kernelCallsPerTrialIteration: number;
  /** kernel-busy time per call (overlapping calls counted once), µs */
  microsecondsPerKernelCall: number;
}

/**
 * Work per trial-iteration (multiply-add = 2 flops) and normal draws, the per-trial design spread over the iterations.
 * Full: Xᵀε on the kernel (2·T·d), then on the host (XᵀX)w (2·d²) and the solve with (XᵀX)⁻¹ (2·d²); T draws; per
 * trial X and w* ((T + 1)·d draws), XᵀX's lower triangle (T·d·(d + 1) flops) and its inverse by Cholesky (~2·d³).
 * Reduced: d draws and O(d) flops; per trial a Wishart spectrum (2d − 1 chi-square draws, an O(d²) QL sweep).
 */
function work(method: Method, d: number, T: number) {
  const N = ITERATIONS;
  return method === 'full'
    ? { flops: 2 * T * d + 4 * d * d + (T * d * (d + 1) + 2 * d ** 3) / N, draws: T + ((T + 1) * d) / N }
    : { flops: 6 * d + (10 * d * d) / N, draws: d + (2 * d - 1) / N }; // scale and add the noise, extend the prefix sums, pool, square
}

/** Trials per timed run: enough for ~1 s on webasm, fewer on the slow cpu backend. */
function trialsFor(backend: BackendName, method: Method, d: number, T: number): number {
  if (smoke) return 256;
  const budget = (backend === 'cpu' ? 2e8 : 2e9) / ITERATIONS;
  // reduced: 100·d (was 400·d, whose 9,984 trials at d = 10 ran 0.17 s: three chunks, mostly the first chunk's setup)
  const perTrial = method === 'full' ? 2 * T * d + 4 * d * d : 100 * d;
  return Math.max(256, Math.min(200_000, Math.round(budget / perTrial / 256) * 256));
}

interface PeerResult {
  trialIterationsPerSecond: number;
  /** torch: 'cuda' or 'cpu'; numpy runs on the CPU */
  device?: string;
  deviceName?: string;
}

/**
 * An independent implementation of the same full workload in python3 (bench/peers/<script>), or null where python3
 * or its library is missing: the ratio column then says so. numpy_full.py: float64 einsum on the CPU;
 * torch_full.py: float32 bmm on CUDA when a GPU is visible (the GPU peer of webgpu), else on the CPU.
 */
function pythonPeer(script: 'numpy_full.py' | 'torch_full.py', d: number, T: number, trials: number): PeerResult | null {
  try {
    const out = execFileSync('python3', [new URL(`./peers/${script}`, import.meta.url).pathname, String(d), String(T), String(trials), String(ITERATIONS), String(REPEATS)], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 600_000,
    });
    return JSON.parse(out.toString()) as PeerResult;
  } catch {
    return null;
  }
}

/**
 * Where a timed run's time went, to tell what limits it: the process's CPU time over all cores (main thread and
 * kernel workers) as a fraction of cores × wall, the main thread's busy fraction (event-loop utilisation: host
 * float64 work, argument copies, dispatch), the fraction of wall time some kernel call was running, and the calls.
 */
interface RunProfile {
  seconds: number;
  cpuFraction: number;
  mainThreadBusy: number;
  kernelBusy: number;
  kernelCalls: number;
}

/**
 * Trials for the timed runs: trialsFor's CPU-sized count, except on webgpu, where a GPU may run that in milliseconds:
 * there a pilot run at that count sets the count for ~1 s per run (at most 2·10⁶ trials).
 */
async function timedTrials(backend: Backend, method: Method, d: number, T: number): Promise<number> {
  const trials = trialsFor(backend.name, method, d, T);
  if (backend.name !== 'webgpu' || smoke) return trials;
  const run = { strategy: accumulate, dim: d, samples: T, noise: 1, iterations: ITERATIONS, trials, seed: 1, method };
  await simulateLinear({ ...run, trials: chunkTrials(run) }, backend); // compile first: the pilot times the run, not the compile
  const started = performance.now();
  await simulateLinear(run, backend);
  const seconds = (performance.now() - started) / 1000;
  return Math.max(trials, Math.min(2_000_000, Math.round((trials / Math.max(seconds, 1e-3)) / 256) * 256));
}

async function timeRun(backend: Backend, method: Method, d: number, T: number, trials: number): Promise<RunProfile[]> {
  const run = { strategy: accumulate, dim: d, samples: T, noise: 1, iterations: ITERATIONS, trials, seed: 1, method };
  await simulateLinear({ ...run, trials: chunkTrials(run) }, backend); // warm-up, one chunk of the timed runs' width: compile this shape, JIT, worker pool
  const runs: RunProfile[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const { calls, busyMs } = backend.activity;
    const loop = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await simulateLinear({ ...run, seed: r + 2 }, backend);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    runs.push({
      seconds: ms / 1000,
      cpuFraction: (used.user + used.system) / 1000 / (ms * cpus().length),
      mainThreadBusy: performance.eventLoopUtilization(loop).utilization,
      kernelBusy: (backend.activity.busyMs - busyMs) / ms,
      kernelCalls: backend.activity.calls - calls,
    });
  }
  return runs.sort((a, b) => a.seconds - b.seconds);
}

const ratio = (r: number | null): string => (r === null ? '—' : r.toFixed(2));

async function main(): Promise<void> {
  const rows: Row[] = [];
  const ceilings: Record<string, Ceilings> = {};
  const skipped: string[] = [];
  const peers = new Map<string, number | null>();
  const torchPeers = new Map<string, PeerResult | null>();
  for (const name of BACKENDS.filter((b) => !ONLY || ONLY.includes(b))) {
    let backend: Backend;
    try {
      backend = await selectBackend(name);
    } catch (error) {
      if (error instanceof UsageError) {
        skipped.push(`${name}: ${error.message}`);
        continue;
      }
      throw error;
    }
    if (backend.software) {
      // a CPU rasteriser behind WebGPU runs the kernels correctly (the tests use it) but measures no GPU
      skipped.push(`${name}: the only WebGPU adapter is a software fallback (${backend.software}), not a GPU`);
      await backend.destroy();
      continue;
    }
    try {
      ceilings[name] = await measureCeilings(backend, smoke);
      for (const [d, T] of SHAPES) {
        for (const method of METHODS_RUN as Method[]) {
          const trials = await timedTrials(backend, method, d, T);
          const runs = await timeRun(backend, method, d, T, trials);
          const { seconds: median, cpuFraction, mainThreadBusy, kernelBusy, kernelCalls } = runs[Math.floor(runs.length / 2)];
          const rate = (trials * ITERATIONS) / median;
          const { flops, draws } = work(method, d, T);
          let numpyRatio: number | null = null;
          let torchRatio: number | null = null;
          if (method === 'full' && name !== 'cpu') {
            const key = `${d}x${T}`;
            // the peers hold X for every trial at once: cap it near 200 MB (numpy, float64) and 100 MB (torch, float32)
            const peerTrials = Math.min(trials, smoke ? 256 : Math.floor(25e6 / (T * d)));
            if (!peers.has(key)) peers.set(key, pythonPeer('numpy_full.py', d, T, peerTrials)?.trialIterationsPerSecond ?? null);
            if (!torchPeers.has(key)) torchPeers.set(key, pythonPeer('torch_full.py', d, T, peerTrials));
            const peer = peers.get(key);
            const torch = torchPeers.get(key);
            numpyRatio = peer ? rate / peer : null;
            torchRatio = torch ? rate / torch.trialIterationsPerSecond : null;
          }
          rows.push({
            name: `${name}/${method}/d${d}/T${T}`,
            backend: name,
            method,
            dim: d,
            samples: T,
            trials,
            iterations: ITERATIONS,
            medianSeconds: median,
            spread: [runs[0].seconds, runs[runs.length - 1].seconds],
            trialIterationsPerSecond: rate,
            flopsPerTrialIteration: flops,
            drawsPerTrialIteration: draws,
            fractionOfCeiling: (rate * flops) / (ceilings[name].matmulGflops * 1e9),
            fractionOfDrawCeiling: (rate * draws) / ceilings[name].drawsPerSecond,
            numpyRatio,
            torchRatio,
            cpuFraction,
            mainThreadBusy,
            kernelBusy,
            kernelCallsPerTrialIteration: kernelCalls / (trials * ITERATIONS),
            microsecondsPerKernelCall: (kernelBusy * median * 1e6) / Math.max(kernelCalls, 1),
          });
          if (!json) process.stderr.write(`  ${rows[rows.length - 1].name}: ${Math.round(rate)} trial-it/s\n`);
        }
      }
    } finally {
      await backend.destroy();
    }
  }
  const machine = { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
  const torchRun = [...torchPeers.values()].find((p) => p !== null) ?? null;
  const torch = torchRun ? { device: torchRun.device, deviceName: torchRun.deviceName, ...Object.fromEntries([...torchPeers].map(([k, p]) => [k, p?.trialIterationsPerSecond ?? null])) } : null;
  const result = { machine, smoke, iterations: ITERATIONS, repeats: REPEATS, ceilings, skipped, numpy: Object.fromEntries(peers), torch, rows };
  if (!smoke) {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    // a subset of the rows gets a name of its own: it never replaces a full run's file
    const subset = `${methodsFlag === undefined ? '' : `-${METHODS_RUN.join('+')}`}${shapesFlag === undefined ? '' : `-${SHAPES.map(([d, T]) => `${d}x${T}`).join('+')}`}`;
    writeFileSync(new URL(`./results/throughput-${machine.date.slice(0, 10)}-${machine.host}-${ITERATIONS}it${subset}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n');
  }
  if (json) {
    const stable = rows.map((r) => ({ name: r.name, backend: r.backend, method: r.method, dim: r.dim, samples: r.samples, trials: r.trials, trialIterationsPerSecond: r.trialIterationsPerSecond, fractionOfCeiling: r.fractionOfCeiling, fractionOfDrawCeiling: r.fractionOfDrawCeiling }));
    process.stdout.write(JSON.stringify(stable) + '\n');
    return;
  }
  const lines = [
    `collapse-lab throughput: accumulate, ${ITERATIONS} iterations, median of ${REPEATS} after a warm-up; ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}`,
    ...Object.entries(ceilings).map(([b, c]) => `ceiling ${b}: matmul ${c.matmulGflops.toFixed(2)} GFLOP/s (${c.matmulSize}³, four rows per cell; one entry per cell: ${c.naiveMatmulGflops.toFixed(2)}), normal draws ${(c.drawsPerSecond / 1e6).toFixed(1)} M/s`),
    ...skipped.map((s) => `skipped ${s}`),
    '',
    ['backend', 'method', 'd', 'T', 'trials', 'median s', 'spread s', 'trial-it/s', 'flop/ti', 'draws/ti', '% ceiling', '% draws', '× numpy', '× torch', '% cpu', '% main', '% kernel', 'µs/call'].join('\t'),
    ...rows.map((r) => [
      r.backend, r.method, r.dim, r.samples, r.trials, r.medianSeconds.toFixed(3), `${r.spread[0].toFixed(3)}–${r.spread[1].toFixed(3)}`, Math.round(r.trialIterationsPerSecond),
      Math.round(r.flopsPerTrialIteration), r.drawsPerTrialIteration.toFixed(1), (100 * r.fractionOfCeiling).toFixed(1), (100 * r.fractionOfDrawCeiling).toFixed(1), ratio(r.numpyRatio), ratio(r.torchRatio),
      (100 * r.cpuFraction).toFixed(0), (100 * r.mainThreadBusy).toFixed(0), (100 * r.kernelBusy).toFixed(0), Math.round(r.microsecondsPerKernelCall),
    ].join('\t')),
    '',
    `numpy peer (bench/peers/numpy_full.py, same full workload): ${[...peers].map(([k, v]) => `${k}: ${v === null ? 'unavailable' : Math.round(v) + ' trial-it/s'}`).join(', ') || 'not run'}`,
    `torch peer (bench/peers/torch_full.py, float32${torchRun ? ` on ${torchRun.deviceName ?? torchRun.device}` : ''}): ${[...torchPeers].map(([k, p]) => `${k}: ${p === null ? 'unavailable' : Math.round(p.trialIterationsPerSecond) + ' trial-it/s'}`).join(', ') || 'not run'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
