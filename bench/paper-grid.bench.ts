/**
 * The authors' linear-regression grid, full refit (arXiv:2404.01413's sweep): d ∈ {1, 3, 10, 32, 100} ×
 * T ∈ {10, 32, 100, 316, 1000} × σ² ∈ {0.1, 1, 10} × {replace, accumulate, accumulate-subsample} × 100 seeds ×
 * 100 iterations = 2.25 M least-squares refits. Their per-seed Python loop takes ~5 CPU-hours; the target here is
 * under 5 minutes on 2 cores. Cells with T < d + 2 run minimum-norm fits (Monte Carlo only), as pinv does.
 *
 *   npm run bench:grid                   the full grid
 *   npm run bench:grid -- --quick        20 seeds × 20 iterations (a smoke run)
 *   npm run bench:grid -- --json         one JSON object with per-cell seconds
 *   npm run bench:grid -- --strategies=replace,accumulate    a subset of the strategies
 *   npm run bench:grid -- --cells-at-once=N                   N cells at a time for every strategy
 *
 * replace and accumulate run two cells at a time in this process (one backend, its kernels shared): a 100-trial cell
 * is one chunk, so its host refits and kernel calls alternate and leave a core idle, which the other cell fills
 * (replace + accumulate 42.4–43.4 s → 38.4–39.2 s, 2026-12-06). accumulate-subsample runs one at a time: its cells
 * keep both cores busy with the block Gram, and two of them only contend (148.4 s → 156.7 s). Each strategy's cells
 * are timed together (wall clock); a cell's own seconds overlap its neighbour's where two run at once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { selectBackend } from '../src/kernels/backend.js';
import { runLinear, type LinearConfig } from '../src/experiments/linear.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const json = args.has('--json');
const smoke = args.has('--smoke'); // seconds-long: 2 seeds × 2 iterations on a corner of the grid (CI)
const SEEDS = smoke ? 2 : quick ? 20 : 100;
const ITERATIONS = smoke ? 2 : quick ? 20 : 100;
const DIMS = smoke ? [1, 10] : [1, 3, 10, 32, 100];
const SAMPLES = smoke ? [10, 32] : [10, 32, 100, 316, 1000];
const NOISES = smoke ? [1] : [0.1, 1, 10];
const only = process.argv.find((a) => a.startsWith('--strategies='));
const STRATEGIES = only ? only.slice('--strategies='.length).split(',') : ['replace', 'accumulate', 'accumulate-subsample'];
const atOnceFlag = process.argv.find((a) => a.startsWith('--cells-at-once='))?.slice('--cells-at-once='.length);
const CELLS_AT_ONCE = atOnceFlag === undefined ? null : Number(atOnceFlag);
if (CELLS_AT_ONCE !== null && (!Number.isInteger(CELLS_AT_ONCE) || CELLS_AT_ONCE < 1 || CELLS_AT_ONCE > 16)) {
  process.stderr.write(`bench:grid: --cells-at-once must be an integer in [1, 16]; got ${JSON.stringify(atOnceFlag)}\n`);
  process.exit(2);
}

type Cell = { strategy: string; dim: number; samples: number; noise: number; seconds: number; lastMean: number };
const plan = STRATEGIES.flatMap((strategy) => DIMS.flatMap((dim) => SAMPLES.flatMap((samples) => NOISES.map((noise) => ({ strategy, dim, samples, noise })))));
const backend = await selectBackend('auto');
const cells: Cell[] = new Array(plan.length);
const byStrategy: Record<string, number> = {};
const cellsAtOnce = Object.fromEntries(STRATEGIES.map((s) => [s, CELLS_AT_ONCE ?? (s === 'accumulate-subsample' ? 1 : 2)]));
let finished = 0;
const started = performance.now();
try {
  for (const strategy of STRATEGIES) {
    const todo = plan.map((cell, seed) => ({ ...cell, seed })).filter((cell) => cell.strategy === strategy);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < todo.length) {
        const { seed, ...cell } = todo[next++];
        const config: LinearConfig = { ...cell, iterations: ITERATIONS, trials: SEEDS, seed, method: 'full', backend: backend.name };
        const report = await runLinear(config, { backend });
        cells[seed] = { ...cell, seconds: report.seconds, lastMean: report.iterations[ITERATIONS - 1].mean };
        const elapsed = ((performance.now() - started) / 1000).toFixed(0);
        finished++;
        if (!json && process.stderr.isTTY) process.stderr.write(`\r${finished}/${plan.length} cells, ${elapsed} s`);
        else if (!json && finished % 25 === 0) process.stderr.write(`${finished}/${plan.length} cells, ${elapsed} s\n`);
      }
    };
    const strategyStarted = performance.now();
    await Promise.all(Array.from({ length: cellsAtOnce[strategy] }, lane));
    byStrategy[strategy] = (performance.now() - strategyStarted) / 1000;
  }
} finally {
  await backend.destroy();
}
const seconds = (performance.now() - started) / 1000;
const refits = cells.length * SEEDS * ITERATIONS;
const slowest = [...cells].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
const summary = { backend: backend.name, cellsAtOnce, seeds: SEEDS, iterations: ITERATIONS, strategies: STRATEGIES, refits, seconds, byStrategy, cells };
if (!smoke && !quick) {
  // a full (or strategy-subset) grid is a measurement worth keeping, with the machine it ran on
  const machine = { host: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/paper-grid-${machine.date.slice(0, 10)}-${machine.host}-${STRATEGIES.join('+')}.json`, import.meta.url), JSON.stringify({ machine, ...summary }, null, 2) + '\n');
}
if (json) {
  process.stdout.write(JSON.stringify(summary) + '\n');
} else {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const lines = [
    `paper grid, full refit: ${cells.length} cells × ${SEEDS} seeds × ${ITERATIONS} iterations = ${refits.toLocaleString('en')} refits on ${backend.name}, ${cpus().length} cores`,
    `total ${seconds.toFixed(1)} s (${Math.round(refits / seconds).toLocaleString('en')} refits/s); target < 300 s for the full grid`,
    ...Object.entries(byStrategy).map(([s, t]) => `  ${s.padEnd(22)} ${t.toFixed(1)} s (${cellsAtOnce[s]} cell${cellsAtOnce[s] > 1 ? 's' : ''} at a time)`),
    'slowest cells:',
    ...slowest.map((c) => `  ${c.strategy} d=${c.dim} T=${c.samples} σ²=${c.noise}: ${c.seconds.toFixed(2)} s`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
