/**
 * The authors' linear-regression grid, full refit (arXiv:2404.01413's sweep): d ∈ {1, 3, 10, 32, 100} ×
 * T ∈ {10, 32, 100, 316, 1000} × σ² ∈ {0.1, 1, 10} × {replace, accumulate, accumulate-subsample} × 100 seeds ×
 * 100 iterations = 2.25 M least-squares refits. Their per-seed Python loop takes ~5 CPU-hours; the target here is
 * under a minute on 2 cores (issue 20; it was 5 minutes). Cells with T < d + 2 run minimum-norm fits (Monte Carlo only), as pinv does.
 *
 *   npm run bench:grid                   the full grid
 *   npm run bench:grid -- --quick        20 seeds × 20 iterations (a smoke run)
 *   npm run bench:grid -- --json         one JSON object with per-cell seconds
 *   npm run bench:grid -- --strategies=replace,accumulate    a subset of the strategies
 *   npm run bench:grid -- --cells-at-once=N                   N cells at a time for every strategy
 *   npm run bench:grid -- --dims=100 --samples=1000          a sub-grid (iterating on one kind of cell)
 *
 * With the times it prints the grid's work, counted analytically (grid-work.ts: kernel and host flops, normal and
 * uniform draws), and the fractions of the ceilings it reaches, measured in the same process before the grid: the
 * blocked matmul kernel (ceilings.ts), the block Gram and the normal draws at the grid's heaviest shape.
 *
 * Every strategy runs two cells at a time in this process (one backend, its kernels shared): a 100-trial cell is one
 * or two chunks whose host work and kernel calls alternate and leave a core idle, which the other cell fills
 * (replace + accumulate 42.4–43.4 s → 38.4–39.2 s, 2026-12-06). accumulate-subsample ran one at a time while the
 * gpu.js block Gram kept both cores busy (two contended: 148.4 s → 156.7 s); since its Gram is the wasm kernel
 * (src/kernels/subsample-gram.ts) the host work is the larger part, and two at a time were faster (d = 100,
 * T = 1000: 186.7 s → 129.8 s for its three cells, measured back to back at load average ~14). Each strategy's
 * cells are timed together (wall clock and the process's CPU time); a cell's own seconds overlap its neighbour's.
 * They start heaviest first (by their analytic work), so that no heavy cell is left to run alone at the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { selectBackend } from '../src/kernels/backend.js';
import { MAX_BUFFER, paddedColumns } from '../src/kernels/linear.js';
import { measureCeilings, measureGridCeilings } from './ceilings.js';
import { addWork, cellWork, type CellWork } from './grid-work.js';
import { runLinear, type LinearConfig } from '../src/experiments/linear.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const json = args.has('--json');
const smoke = args.has('--smoke'); // seconds-long: 2 seeds × 2 iterations on a corner of the grid (CI)
const SEEDS = smoke ? 2 : quick ? 20 : 100;
const ITERATIONS = smoke ? 2 : quick ? 20 : 100;
const listFlag = (name: string): number[] | null => {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return null;
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    process.stderr.write(`bench:grid: --${name} takes positive integers separated by commas; got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return values;
};
const DIMS = listFlag('dims') ?? (smoke ? [1, 10] : [1, 3, 10, 32, 100]);
const SAMPLES = listFlag('samples') ?? (smoke ? [10, 32] : [10, 32, 100, 316, 1000]);
const subGrid = process.argv.some((a) => a.startsWith('--dims=') || a.startsWith('--samples='));
const NOISES = smoke ? [1] : [0.1, 1, 10];
const only = process.argv.find((a) => a.startsWith('--strategies='));
const STRATEGIES = only ? only.slice('--strategies='.length).split(',') : ['replace', 'accumulate', 'accumulate-subsample'];
const atOnceFlag = process.argv.find((a) => a.startsWith('--cells-at-once='))?.slice('--cells-at-once='.length);
const CELLS_AT_ONCE = atOnceFlag === undefined ? null : Number(atOnceFlag);
if (CELLS_AT_ONCE !== null && (!Number.isInteger(CELLS_AT_ONCE) || CELLS_AT_ONCE < 1 || CELLS_AT_ONCE > 16)) {
  process.stderr.write(`bench:grid: --cells-at-once must be an integer in [1, 16]; got ${JSON.stringify(atOnceFlag)}\n`);
  process.exit(2);
}

/** A draw's cost in flops, roughly (the normal and uniform draws' rate against the matmul's on this machine), for ordering only. */
const DRAW_FLOPS = 40;
type Cell = { strategy: string; dim: number; samples: number; noise: number; seconds: number; lastMean: number; work: CellWork };
const plan = STRATEGIES.flatMap((strategy) => DIMS.flatMap((dim) => SAMPLES.flatMap((samples) => NOISES.map((noise) => ({ strategy, dim, samples, noise })))));
const backend = await selectBackend('auto');
// the heaviest cell's shape as the runs chunk it: the widest kernel buffer (X padded, T·dp per trial) stays under
// MAX_BUFFER, and chunks are equal (monte-carlo.ts chunkTrials)
const heaviest = { T: Math.max(...SAMPLES), d: Math.max(...DIMS) };
const most = Math.min(SEEDS, Math.floor(MAX_BUFFER / (heaviest.T * paddedColumns(heaviest.d))));
const ceilingShape = { B: Math.ceil(SEEDS / Math.ceil(SEEDS / most)), ...heaviest };
const loadBefore = loadavg();
const ceilings = { ...(await measureCeilings(backend, smoke)), grid: await measureGridCeilings(backend, ceilingShape, smoke) };
const cells: Cell[] = new Array(plan.length);
const byStrategy: Record<string, number> = {};
const cpuByStrategy: Record<string, number> = {}; // process CPU seconds (main and worker threads): robust to the machine's load
const cellsAtOnce = Object.fromEntries(STRATEGIES.map((s) => [s, CELLS_AT_ONCE ?? 2]));
let finished = 0;
const started = performance.now();
// heaviest first (by the analytic work), so the last cells to finish are short ones: in grid order the three
// d = 100, T = 1000 cells came last and the third ran alone
const cost = (cell: (typeof plan)[number]) => {
  const w = cellWork({ ...cell, trials: SEEDS, iterations: ITERATIONS });
  return w.kernelFlops + w.hostFlops + DRAW_FLOPS * (w.normalDraws + w.uniformDraws);
};
/** Run `todo` with `lanes` cells at a time; its wall and process CPU seconds. */
const runCells = async (todo: ((typeof plan)[number] & { seed: number })[], lanes: number) => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < todo.length) {
      const { seed, ...cell } = todo[next++];
      const config: LinearConfig = { ...cell, iterations: ITERATIONS, trials: SEEDS, seed, method: 'full', backend: backend.name };
      const report = await runLinear(config, { backend });
      const work = cellWork({ ...cell, trials: SEEDS, iterations: ITERATIONS });
      cells[seed] = { ...cell, seconds: report.seconds, lastMean: report.iterations[ITERATIONS - 1].mean, work };
      const elapsed = ((performance.now() - started) / 1000).toFixed(0);
      finished++;
      if (!json && process.stderr.isTTY) process.stderr.write(`\r${finished}/${plan.length} cells, ${elapsed} s`);
      else if (!json && finished % 25 === 0) process.stderr.write(`${finished}/${plan.length} cells, ${elapsed} s\n`);
    }
  };
  const wallStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  await Promise.all(Array.from({ length: lanes }, lane));
  const cpu = process.cpuUsage(cpuStarted);
  return { wall: (performance.now() - wallStarted) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
};
const byCost = (a: (typeof plan)[number], b: (typeof plan)[number]) => cost(b) - cost(a);
let cpuTotal = 0;
try {
  // strategy by strategy: one queue of all cells (tried) took more CPU, 98.5 s against 88.9 s, and more time
  for (const strategy of STRATEGIES) {
    const todo = plan.map((cell, seed) => ({ ...cell, seed })).filter((cell) => cell.strategy === strategy).sort(byCost);
    const { wall, cpu } = await runCells(todo, cellsAtOnce[strategy]);
    byStrategy[strategy] = wall;
    cpuByStrategy[strategy] = cpu;
    cpuTotal += cpu;
  }
} finally {
  await backend.destroy();
}
const seconds = (performance.now() - started) / 1000;
const loadAfter = loadavg();
const refits = cells.length * SEEDS * ITERATIONS;
const slowest = [...cells].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
// the fastest Gram kernel here: the wasm one where the subsample runs use it (webasm), else gpu.js's block Gram
const gramCeiling = ceilings.grid.wasmGramGflops ?? ceilings.grid.gramGflops;
/** What a set of cells did in `wall` seconds, against the ceilings measured above. */
const reached = (work: CellWork, wall: number, cpuSeconds: number) => {
  const gflops = (work.kernelFlops + work.hostFlops) / wall / 1e9;
  return {
    ...work,
    cpuSeconds,
    gflops,
    // per CPU second against the Gram's and the draws' per CPU second: what the machine's load changes least
    cpuFractionOfGram: (work.kernelFlops + work.hostFlops) / cpuSeconds / 1e9 / ceilings.grid.gramGflopsPerCpuSecond,
    cpuFractionOfDraws: work.normalDraws / cpuSeconds / ceilings.grid.drawsPerCpuSecond,
    fractionOfMatmul: gflops / ceilings.matmulGflops,
    fractionOfGram: gflops / gramCeiling,
    gramFractionOfGram: work.gramFlops / wall / 1e9 / gramCeiling,
    drawsPerSecond: work.normalDraws / wall,
    fractionOfDraws: work.normalDraws / wall / ceilings.drawsPerSecond,
  };
};
const work = {
  total: reached(addWork(cells.map((c) => c.work)), seconds, cpuTotal),
  byStrategy: Object.fromEntries(STRATEGIES.map((s) => [s, reached(addWork(cells.filter((c) => c.strategy === s).map((c) => c.work)), byStrategy[s], cpuByStrategy[s])])),
};
const load = { before: loadBefore, after: loadAfter };
const summary = { backend: backend.name, cellsAtOnce, seeds: SEEDS, iterations: ITERATIONS, strategies: STRATEGIES, dims: DIMS, samples: SAMPLES, refits, seconds, byStrategy, cpuByStrategy, ceilings, work, load, cells };
if (!smoke && !quick) {
  // a full (or strategy-subset) grid is a measurement worth keeping, with the machine it ran on and its load
  const machine = { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
  const shapes = subGrid ? `-d${DIMS.join(',')}-T${SAMPLES.join(',')}` : '';
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/paper-grid-${machine.date.slice(0, 10)}-${machine.host}-${STRATEGIES.join('+')}${shapes}.json`, import.meta.url), JSON.stringify({ machine, ...summary }, null, 2) + '\n');
}
if (json) {
  process.stdout.write(JSON.stringify(summary) + '\n');
} else {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const lines = [
    `paper grid, full refit: ${cells.length} cells × ${SEEDS} seeds × ${ITERATIONS} iterations = ${refits.toLocaleString('en')} refits on ${backend.name}, ${cpus().length} cores`,
    `total ${seconds.toFixed(1)} s (${Math.round(refits / seconds).toLocaleString('en')} refits/s); target < 60 s for the full grid (issue 20)`,
    ...Object.entries(byStrategy).map(([s, t]) => `  ${s.padEnd(22)} ${t.toFixed(1)} s (${cellsAtOnce[s]} cell${cellsAtOnce[s] > 1 ? 's' : ''} at a time; process CPU ${cpuByStrategy[s].toFixed(1)} s)`),
    ...workLines(),
    'slowest cells:',
    ...slowest.map((c) => `  ${c.strategy} d=${c.dim} T=${c.samples} σ²=${c.noise}: ${c.seconds.toFixed(2)} s`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function workLines(): string[] {
  const g = (flops: number) => `${(flops / 1e9).toFixed(1)} GFLOP`;
  const m = (draws: number) => `${(draws / 1e6).toFixed(1)} M`;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const { grid } = ceilings;
  const row = (name: string, w: ReturnType<typeof reached>) => [
    `  ${name.padEnd(21)} kernel ${g(w.kernelFlops)} (Gram ${g(w.gramFlops)}), host float64 ${g(w.hostFlops)}; ${m(w.normalDraws)} normal, ${m(w.uniformDraws)} host uniform draws`,
    `  ${''.padEnd(21)} ${w.gflops.toFixed(2)} GFLOP/s = ${pct(w.fractionOfMatmul)} of the matmul ceiling, ${pct(w.fractionOfGram)} of the Gram's` +
      (w.gramFlops > 0 ? ` (the Gram alone ${pct(w.gramFractionOfGram)})` : '') +
      `; ${(w.drawsPerSecond / 1e6).toFixed(1)} M draws/s = ${pct(w.fractionOfDraws)} of the draw ceiling`,
    `  ${''.padEnd(21)} per CPU second (${w.cpuSeconds.toFixed(1)} s): ${pct(w.cpuFractionOfGram)} of the Gram's flops, ${pct(w.cpuFractionOfDraws)} of the draws' per CPU second`,
  ];
  return [
    `ceilings (same process, before the grid): blocked matmul ${ceilings.matmulSize}³ ${ceilings.matmulGflops.toFixed(2)} GFLOP/s; ` +
      `block Gram at B=${grid.shape.B} T=${grid.shape.T} d=${grid.shape.d}, every row drawn: gpu.js ${grid.gramGflops.toFixed(2)} GFLOP/s` +
      (grid.wasmGramGflops === null ? ';' : `, wasm (what the runs use) ${grid.wasmGramGflops.toFixed(2)} GFLOP/s;`),
    `  normal draws ${(ceilings.drawsPerSecond / 1e6).toFixed(0)} M/s (${(grid.designDrawsPerSecond / 1e6).toFixed(0)} M/s at the design's shape, T·d + d rows per trial);`,
    `  per CPU second: the Gram ${grid.gramGflopsPerCpuSecond.toFixed(2)} GFLOP, the design's draws ${(grid.drawsPerCpuSecond / 1e6).toFixed(0)} M`,
    'work (analytic, leading terms only: bench/grid-work.ts) and the fraction of the ceilings reached:',
    ...Object.entries(work.byStrategy).flatMap(([s, w]) => row(s, w)),
    ...row('whole grid', work.total),
    `load average (1, 5, 15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores)`,
  ];
}
