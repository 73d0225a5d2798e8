/**
 * Whole-process speed of short runs, as a new user meets it: `collapse linear` started afresh each time (Node's start,
 * module loading, kernel compilation and the run), against bench/peers/numpy_full.py doing the same work in its own
 * python3 process.
 *
 *   npm run bench:startup              five runs of each, interleaved, medians (-- --runs=N for another count)
 *   npm run bench:startup -- --json    the result object as one JSON line; -- --smoke: one small run of each
 *
 * Workload: accumulate, d = 10, T = 100, σ² = 1, 10 iterations, 20,000 trials (full refit); the trivial run is
 * 1 iteration × 100 trials. numpy runs the same work once after its own 256-trial, 2-iteration warm-up
 * (numpy_full.py with one repeat), so its process is timed whole too. The CLI's runs print their phase times
 * (COLLAPSE_TIMING=1, src/core/timing.ts): Node ready, main() entered (the CLI's first modules loaded), the command's
 * modules loaded, the configuration validated, gpu.js loaded, the first kernel call and its result, the end; and per kernel the compile time of
 * its shape. The kernel cache (src/kernels/wasm-cache.ts) lives in a fresh directory: the first CLI run fills it
 * (reported as the cold run), the timed runs find it warm; one more variant runs with the cache off.
 * Results go to bench/results/startup-<date>-<host>.json. Never in unit tests: the machine's load decides these.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TimingReport } from '../src/core/timing.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const json = args.includes('--json');
const runsFlag = args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length);
const RUNS = smoke ? 1 : runsFlag === undefined ? 5 : Number(runsFlag);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) {
  process.stderr.write(`bench: --runs must be an integer in [1, 50]; got ${JSON.stringify(runsFlag)}\n`);
  process.exit(2);
}

const WORK = { dim: 10, samples: 100, noise: 1, iterations: smoke ? 2 : 10, trials: smoke ? 2000 : 20000 };
const TRIVIAL = { ...WORK, iterations: 1, trials: 100 };
const cli = new URL('../bin/collapse.js', import.meta.url).pathname;
const numpyPeer = new URL('./peers/numpy_full.py', import.meta.url).pathname;
const cacheDir = mkdtempSync(join(tmpdir(), 'collapse-startup-'));

interface Run {
  seconds: number;
  timing: TimingReport | null;
}

function cliArgs(w: typeof WORK): string[] {
  return [cli, 'linear', '--strategy', 'accumulate', '--dim', String(w.dim), '--samples', String(w.samples), '--noise', String(w.noise), '--iterations', String(w.iterations), '--trials', String(w.trials), '--quiet'];
}

/** One whole process, wall-clock from spawn to exit. */
function timeProcess(command: string, argv: string[], env: NodeJS.ProcessEnv = {}): Run {
  const started = performance.now();
  const result = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status ?? result.signal}): ${(result.stderr || String(result.error)).split('\n')[0]}`);
  const line = result.stderr.split('\n').find((l) => l.startsWith('collapse timing: '));
  return { seconds, timing: line ? (JSON.parse(line.slice('collapse timing: '.length)) as TimingReport) : null };
}

const runCli = (w: typeof WORK, cache: 'on' | 'off'): Run =>
  timeProcess(process.execPath, cliArgs(w), { COLLAPSE_TIMING: '1', COLLAPSE_CACHE_DIR: cacheDir, COLLAPSE_CACHE: cache === 'off' ? '0' : '1' });

function numpyAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Phase durations of one CLI run, in ms: each from the previous mark (Node ready from the process's start). */
function phases(t: TimingReport): Record<string, number> {
  const m = t.marks;
  const at = (k: string) => m[k] ?? NaN;
  return {
    nodeStart: at('nodeReady'),
    cliModules: at('main') - at('nodeReady'),
    commandModules: at('commandLoaded') - at('main'),
    config: at('configValidated') - at('commandLoaded'),
    gpuJs: at('gpuJsLoaded') - at('configValidated'),
    toFirstKernelCall: at('firstKernelCall'),
    firstKernelCall: at('firstKernelResult') - at('firstKernelCall'),
    untilEnd: at('end') - at('firstKernelResult'),
  };
}

function medianPhases(runs: Run[]): Record<string, number> {
  const all = runs.map((r) => (r.timing ? phases(r.timing) : {}));
  const keys = Object.keys(all[0] ?? {});
  return Object.fromEntries(keys.map((k) => [k, median(all.map((p) => (p as Record<string, number>)[k]))]));
}

/** Per kernel shape, the median compile and first-call ms over the runs. */
function medianKernels(runs: Run[]): { kernel: string; shape: string; compileMs: number; firstCallMs: number }[] {
  const by = new Map<string, { kernel: string; shape: string; compile: number[]; first: number[] }>();
  for (const r of runs) {
    for (const k of r.timing?.kernels ?? []) {
      const key = `${k.kernel} ${k.shape}`;
      if (!by.has(key)) by.set(key, { kernel: k.kernel, shape: k.shape, compile: [], first: [] });
      by.get(key)?.compile.push(k.compileMs);
      by.get(key)?.first.push(k.firstCallMs);
    }
  }
  return [...by.values()].map((k) => ({ kernel: k.kernel, shape: k.shape, compileMs: median(k.compile), firstCallMs: median(k.first) }));
}

function summary(runs: Run[]) {
  const seconds = runs.map((r) => r.seconds);
  return { medianSeconds: median(seconds), minSeconds: Math.min(...seconds), maxSeconds: Math.max(...seconds), seconds, phasesMs: medianPhases(runs), kernels: medianKernels(runs) };
}

function main(): void {
  const loadBefore = loadavg();
  const withNumpy = numpyAvailable();
  if (!json) process.stderr.write(`startup bench: ${RUNS} run(s) of each, interleaved; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`);
  const cold = runCli(WORK, 'on'); // fills the fresh kernel cache: the first run a new user makes
  const variants: Record<string, Run[]> = { cli: [], numpy: [], cliNoCache: [], trivial: [] };
  for (let i = 0; i < RUNS; i++) {
    variants.cli.push(runCli(WORK, 'on'));
    if (withNumpy) variants.numpy.push(timeProcess('python3', [numpyPeer, String(WORK.dim), String(WORK.samples), String(WORK.trials), String(WORK.iterations), '1']));
    variants.cliNoCache.push(runCli(WORK, 'off'));
    variants.trivial.push(runCli(TRIVIAL, 'on'));
    if (!json) process.stderr.write(`  round ${i + 1}: cli ${variants.cli[i].seconds.toFixed(2)} s, numpy ${withNumpy ? variants.numpy[i].seconds.toFixed(2) + ' s' : '—'}, cli without cache ${variants.cliNoCache[i].seconds.toFixed(2)} s, trivial ${variants.trivial[i].seconds.toFixed(2)} s\n`);
  }
  rmSync(cacheDir, { recursive: true, force: true });
  const cliSummary = summary(variants.cli);
  const numpySummary = withNumpy ? summary(variants.numpy) : null;
  const result = {
    machine: { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString(), loadBefore, loadAfter: loadavg() },
    smoke,
    runs: RUNS,
    workload: WORK,
    trivialWorkload: TRIVIAL,
    cli: cliSummary,
    numpy: numpySummary ? { medianSeconds: numpySummary.medianSeconds, minSeconds: numpySummary.minSeconds, maxSeconds: numpySummary.maxSeconds, seconds: numpySummary.seconds } : null,
    /** numpy's whole-process median over the CLI's: above 1 the CLI finishes first */
    numpyOverCli: numpySummary ? numpySummary.medianSeconds / cliSummary.medianSeconds : null,
    cliNoCache: summary(variants.cliNoCache),
    trivial: summary(variants.trivial),
    coldFirstRun: { seconds: cold.seconds, phasesMs: cold.timing ? phases(cold.timing) : null, kernels: cold.timing?.kernels ?? [] },
  };
  if (!smoke) {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL(`./results/startup-${result.machine.date.slice(0, 10)}-${result.machine.host}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n');
  }
  if (json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const s = (x: number) => `${x.toFixed(3)} s`;
  const row = (name: string, r: { medianSeconds: number; minSeconds: number; maxSeconds: number }) => `${name.padEnd(34)} ${s(r.medianSeconds)}  (${s(r.minSeconds)}–${s(r.maxSeconds)})`;
  const ph = cliSummary.phasesMs;
  const lines = [
    `collapse-lab start-up: ${RUNS} run(s) each, interleaved, whole process; ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${result.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
    `workload: linear accumulate d=${WORK.dim} T=${WORK.samples} σ²=${WORK.noise}, ${WORK.iterations} iterations × ${WORK.trials} trials (full refit); trivial: ${TRIVIAL.iterations} × ${TRIVIAL.trials}`,
    '',
    row('collapse linear (kernel cache warm)', cliSummary),
    numpySummary ? row('numpy_full.py (same work)', numpySummary) : 'numpy_full.py                      unavailable (python3 with numpy not found)',
    result.numpyOverCli === null ? '' : `numpy / collapse = ${result.numpyOverCli.toFixed(2)}× (above 1: collapse finishes first)`,
    row('collapse linear, cache off', result.cliNoCache),
    row('collapse linear, trivial run', result.trivial),
    `first run with an empty cache: ${s(cold.seconds)}`,
    '',
    `phases of collapse linear (median ms): Node start ${ph.nodeStart.toFixed(0)}, CLI modules ${ph.cliModules.toFixed(0)}, command modules ${ph.commandModules.toFixed(0)}, config (with the exact noise factors) ${ph.config.toFixed(0)}, gpu.js (and the worker threads started) ${ph.gpuJs.toFixed(0)}; first kernel call at ${ph.toFirstKernelCall.toFixed(0)} ms after the process started, its result ${ph.firstKernelCall.toFixed(0)} ms later; the rest ${ph.untilEnd.toFixed(0)}`,
    `trivial run: first kernel call at ${result.trivial.phasesMs.toFirstKernelCall.toFixed(0)} ms; module loading (CLI + command) ${(result.trivial.phasesMs.cliModules + result.trivial.phasesMs.commandModules).toFixed(0)} ms`,
    'compile per kernel shape (ms, median; cold = first run, empty cache; off = cache off):',
    ...cliSummary.kernels.map((k) => {
      const coldK = cold.timing?.kernels.find((c) => c.kernel === k.kernel && c.shape === k.shape);
      const off = result.cliNoCache.kernels.find((c) => c.kernel === k.kernel && c.shape === k.shape);
      return `  ${k.kernel.padEnd(18)} ${k.shape.padEnd(22)} warm ${k.compileMs.toFixed(1)}, off ${off ? off.compileMs.toFixed(1) : '—'}, cold ${coldK ? coldK.compileMs.toFixed(1) : '—'}; first call ${k.firstCallMs.toFixed(1)}`;
    }),
  ];
  process.stdout.write(lines.filter((l, i) => l !== '' || i > 0).join('\n') + '\n');
}

main();
