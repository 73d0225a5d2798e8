/**
 * How Monte Carlo throughput scales, on the auto-selected backend: against trials (10³ … 10⁵, or 10⁶ with --large),
 * against d at T = 316 and against T at d = 10, for both methods. For `full`, the cost per trial-iteration should
 * grow ∝ T·d once overheads are amortised; the "ns per T·d" column shows where that holds and where fixed costs
 * (kernel calls, per-trial design) dominate. For `reduced` it should grow ∝ d.
 *
 *   npm run bench:scaling [-- --json] [-- --large] [-- --smoke]
 */
import { cpus } from 'node:os';
import { selectBackend, type Backend } from '../src/kernels/backend.js';
import { chunkTrials, simulateLinear, type Method } from '../src/models/linear/monte-carlo.js';
import { accumulate } from '../src/strategies/accumulate.js';

const args = new Set(process.argv.slice(2));
const smoke = args.has('--smoke'); // seconds-long: proves the bench runs (CI), measures nothing
const ITERATIONS = smoke ? 2 : 10;

interface Row { axis: string; method: Method; dim: number; samples: number; trials: number; seconds: number; trialIterationsPerSecond: number; nsPerUnit: number }

async function measure(backend: Backend, axis: string, method: Method, dim: number, samples: number, trials: number): Promise<Row> {
  const run = { strategy: accumulate, dim, samples, noise: 1, iterations: ITERATIONS, trials, seed: 5, method };
  await simulateLinear({ ...run, trials: chunkTrials(run) }, backend); // one chunk of the same width: compiles this shape's kernels
  const started = performance.now();
  await simulateLinear(run, backend);
  const seconds = (performance.now() - started) / 1000;
  const rate = (trials * ITERATIONS) / seconds;
  const unit = method === 'full' ? samples * dim : dim; // the work the method should scale with
  return { axis, method, dim, samples, trials, seconds, trialIterationsPerSecond: rate, nsPerUnit: 1e9 / rate / unit };
}

const backend = await selectBackend('auto');
const rows: Row[] = [];
try {
  const trialCounts = smoke ? [256] : args.has('--large') ? [1e3, 1e4, 1e5, 1e6] : [1e3, 1e4, 1e5];
  const scale = smoke ? 1e-3 : 1;
  for (const method of ['full', 'reduced'] as const) {
    for (const trials of trialCounts) {
      if (method === 'full' && trials > 1e5) continue; // 10⁶ full trials at T = 100 take minutes here
      rows.push(await measure(backend, 'trials', method, 10, 100, trials));
    }
    const trialsFor = (work: number) => Math.max(16, Math.round(scale * (method === 'full' ? 2e7 / work : 20000)));
    for (const dim of smoke ? [3] : [3, 10, 32, 100]) rows.push(await measure(backend, 'dim', method, dim, 316, trialsFor(316 * dim)));
    for (const samples of smoke ? [32] : [32, 100, 316, 1000]) rows.push(await measure(backend, 'samples', method, 10, samples, trialsFor(10 * samples)));
  }
} finally {
  await backend.destroy();
}
if (args.has('--json')) {
  process.stdout.write(JSON.stringify({ backend: backend.name, iterations: ITERATIONS, rows }) + '\n');
} else {
  const lines = [
    `scaling on ${backend.name} (${backend.reason}); accumulate, ${ITERATIONS} iterations, one timed run after a warm-up; ${cpus().length} cores`,
    ['axis', 'method', 'd', 'T', 'trials', 'seconds', 'trial-it/s', 'ns per unit (full: T·d, reduced: d)'].join('\t'),
    ...rows.map((r) => [r.axis, r.method, r.dim, r.samples, r.trials, r.seconds.toFixed(2), Math.round(r.trialIterationsPerSecond), r.nsPerUnit.toFixed(2)].join('\t')),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
