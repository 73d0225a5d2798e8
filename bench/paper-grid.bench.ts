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
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { selectBackend } from '../src/kernels/backend.js';
import { runLinear, type LinearConfig } from '../src/models/linear/run.js';

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

const backend = await selectBackend('auto');
const cells: { strategy: string; dim: number; samples: number; noise: number; seconds: number; lastMean: number }[] = [];
const started = performance.now();
try {
  const total = DIMS.length * SAMPLES.length * NOISES.length * STRATEGIES.length;
  for (const strategy of STRATEGIES) {
    for (const dim of DIMS) {
      for (const samples of SAMPLES) {
        for (const noise of NOISES) {
          const config: LinearConfig = { strategy, dim, samples, noise, iterations: ITERATIONS, trials: SEEDS, seed: cells.length, method: 'full', backend: backend.name };
          const report = await runLinear(config, { backend });
          cells.push({ strategy, dim, samples, noise, seconds: report.seconds, lastMean: report.iterations[ITERATIONS - 1].mean });
          const elapsed = ((performance.now() - started) / 1000).toFixed(0);
          if (!json && process.stderr.isTTY) process.stderr.write(`\r${cells.length}/${total} cells, ${elapsed} s`);
          else if (!json && cells.length % 25 === 0) process.stderr.write(`${cells.length}/${total} cells, ${elapsed} s\n`);
        }
      }
    }
  }
} finally {
  await backend.destroy();
}
const seconds = (performance.now() - started) / 1000;
const refits = cells.length * SEEDS * ITERATIONS;
const byStrategy = Object.fromEntries(STRATEGIES.map((s) => [s, cells.filter((c) => c.strategy === s).reduce((a, c) => a + c.seconds, 0)]));
const slowest = [...cells].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
const summary = { backend: backend.name, seeds: SEEDS, iterations: ITERATIONS, strategies: STRATEGIES, refits, seconds, byStrategy, cells };
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
    ...Object.entries(byStrategy).map(([s, t]) => `  ${s.padEnd(22)} ${t.toFixed(1)} s`),
    'slowest cells:',
    ...slowest.map((c) => `  ${c.strategy} d=${c.dim} T=${c.samples} σ²=${c.noise}: ${c.seconds.toFixed(2)} s`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
