/** Every benchmark runs at smoke size (C12): it must work from a fresh clone; what it measures is not judged here. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

function bench(file: string, ...args: string[]): unknown {
  const result = spawnSync(process.execPath, ['--import', 'tsx', new URL(`../../bench/${file}`, import.meta.url).pathname, '--smoke', '--json', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string);
}

test('throughput bench (smoke): one row per available backend × method with the stable fields', () => {
  const rows = bench('throughput.bench.ts') as Record<string, unknown>[];
  assert.ok(rows.length >= 2);
  for (const row of rows) {
    for (const key of ['name', 'backend', 'method', 'dim', 'samples', 'trials', 'trialIterationsPerSecond', 'fractionOfCeiling']) assert.ok(key in row, key);
    assert.ok((row.trialIterationsPerSecond as number) > 0 && (row.fractionOfCeiling as number) > 0);
  }
});

test('throughput bench --backends: only the backends named; an unknown one is a one-line error, exit 2', () => {
  const rows = bench('throughput.bench.ts', '--backends=cpu') as { backend: string }[];
  assert.ok(rows.length === 2 && rows.every((r) => r.backend === 'cpu'), JSON.stringify(rows));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', new URL('../../bench/throughput.bench.ts', import.meta.url).pathname, '--smoke', '--backends=cuda'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--backends takes a comma-separated list of webgpu, webasm, cpu; got "cuda"/);
});

test('scaling bench (smoke) and paper-grid bench (smoke) run', () => {
  const scaling = bench('scaling.bench.ts') as { rows: { trialIterationsPerSecond: number }[] };
  assert.ok(scaling.rows.length > 0 && scaling.rows.every((r) => r.trialIterationsPerSecond > 0));
  const grid = bench('paper-grid.bench.ts') as { cells: unknown[]; refits: number; work: { total: { kernelFlops: number; fractionOfMatmul: number; fractionOfDraws: number } }; ceilings: { grid: { gramGflops: number } } };
  assert.equal(grid.cells.length, 2 * 2 * 1 * 3);
  assert.ok(grid.refits > 0);
  assert.ok(grid.work.total.kernelFlops > 0 && grid.work.total.fractionOfMatmul > 0 && grid.work.total.fractionOfDraws > 0, JSON.stringify(grid.work));
  assert.ok(grid.ceilings.grid.gramGflops > 0);
});

test('startup bench (smoke): whole-process times, the numpy ratio where numpy runs, phases and compile per kernel shape', () => {
  const r = bench('startup.bench.ts') as {
    cli: { medianSeconds: number; phasesMs: Record<string, number>; kernels: { compileMs: number }[] };
    trivial: { medianSeconds: number };
    numpy: { medianSeconds: number } | null;
    numpyOverCli: number | null;
  };
  assert.ok(r.cli.medianSeconds > 0 && r.trivial.medianSeconds > 0);
  assert.ok(r.numpy === null ? r.numpyOverCli === null : (r.numpyOverCli as number) > 0);
  assert.ok(r.cli.phasesMs.toFirstKernelCall > 0 && r.cli.phasesMs.commandModules >= 0, JSON.stringify(r.cli.phasesMs));
  assert.ok(r.cli.kernels.length >= 2 && r.cli.kernels.every((k) => k.compileMs > 0), JSON.stringify(r.cli.kernels));
});
