/**
 * The local executor (no services): a pool of child processes runs the cells into run directories; status and
 * collect read them; a complete cell is never run twice (rerun, overlapping sweep); a sweep stopped with SIGINT
 * leaves its cells resumable and the next run resumes them from their checkpoints, ending with the same table as an
 * undisturbed run; gaussian, kde and neural runs are cells too.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { mainInProcess } from '../cli/helpers.js';
import { cellDirs, chunksDone, collapse, ensureBuilt, manifestOf, stopAll, until } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-sweep-local-'));
// 12 chunks of 4096 trials per cell (~40 ms each on an idle core): long enough to stop one mid-way
const TINY = { command: 'linear', base: { dim: 3, samples: 12, iterations: 3, trials: 12 * 4096, backend: 'webasm' }, grid: { strategy: ['replace', 'accumulate', 'fresh:0.5'] }, seeds: [1] };
const file = (name: string, content: object) => {
  const path = join(root, `${name}.yaml`);
  writeFileSync(path, JSON.stringify(content)); // JSON is YAML
  return path;
};
const A = file('a', TINY);
const DIR = join(root, 'sweep');
const cli = (...args: string[]) => mainInProcess(args);

before(ensureBuilt);
after(stopAll);

test('sweep run: every cell runs once into DIR/cells/<id>; status counts them; collect gives one table', async () => {
  const run = await cli('sweep', 'run', A, '--out', DIR, '--workers', '2');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'sweep a: 3 cells: 3 run, 0 already complete, 0 failed\n');
  assert.equal((run.stderr.match(/^sweep a: \d\/3 cell [0-9a-f]{16} done$/gm) ?? []).length, 3, run.stderr);
  assert.equal(cellDirs(DIR).length, 3);
  for (const cell of cellDirs(DIR)) assert.deepEqual(manifestOf(cell)!.segments.map((s) => s.status), ['complete']);

  const status = await cli('sweep', 'status', A, '--dir', DIR, '--json');
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout);
  assert.deepEqual([s.total, s.done, s.running, s.failed, s.pending], [3, 3, 0, 0, 0]);

  const csv = await cli('sweep', 'collect', A, '--dir', DIR);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines.length, 1 + 3 * 3, 'a header and one row per cell and iteration');
  const header = lines[0].split(',');
  for (const column of ['cell', 'strategy', 'dim', 'seed', 'iteration', 'mean', 'stderr', 'ci95Low', 'ci95High', 'theory', 'z']) assert.ok(header.includes(column), column);
  const at = (line: string, column: string) => line.split(',')[header.indexOf(column)];
  assert.deepEqual(lines.slice(1).map((l) => at(l, 'strategy')), ['replace', 'replace', 'replace', 'accumulate', 'accumulate', 'accumulate', 'fresh:0.5', 'fresh:0.5', 'fresh:0.5']);
  // the rows are the cells' own results, number for number
  const first = JSON.parse(readFileSync(join(DIR, 'cells', at(lines[1], 'cell'), 'results.json'), 'utf8'));
  assert.equal(Number(at(lines[1], 'mean')), first.iterations[0].mean);
  assert.equal(Number(at(lines[1], 'ci95High')), first.iterations[0].ci95[1]);

  const out = join(root, 'table.json');
  const json = await cli('sweep', 'collect', A, '--dir', DIR, '--format', 'json', '--out', out);
  assert.equal(json.code, 0, json.stderr);
  const table = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(table.rows.length, 9);
  assert.deepEqual(table.missing, []);
  assert.equal(table.rows[0].mean, first.iterations[0].mean);
});

test('a complete cell is never run twice: a rerun and an overlapping sweep skip it', async () => {
  const again = await cli('sweep', 'run', A, '--out', DIR, '--quiet');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'sweep a: 3 cells: 0 run, 3 already complete, 0 failed\n');
  const b = file('b', { ...TINY, grid: { strategy: ['accumulate', 'window:2'] } });
  const overlap = await cli('sweep', 'run', b, '--out', DIR, '--quiet');
  assert.equal(overlap.stdout, 'sweep b: 2 cells: 1 run, 1 already complete, 0 failed\n');
  assert.equal(cellDirs(DIR).length, 4);
  for (const cell of cellDirs(DIR)) assert.equal(manifestOf(cell)!.segments.length, 1, `${cell} ran once`);
});

test('Ctrl-C stops a sweep with its cells resumable; the next run resumes them and the table equals an undisturbed run', async () => {
  // the undisturbed run is the first test's
  const dir = join(root, 'stopped');
  const sweep = collapse(['sweep', 'run', A, '--out', dir, '--workers', '2'], { COLLAPSE_CHECKPOINT_INTERVAL_MS: '0' });
  await until(() => cellDirs(dir).some((cell) => chunksDone(cell) >= 1), 'a cell 1 chunk in');
  sweep.child.kill('SIGINT');
  assert.equal(await sweep.exited, 130, sweep.output());
  assert.match(sweep.output(), /collapse: interrupted; run the sweep again to continue/);
  const stopped = JSON.parse((await cli('sweep', 'status', A, '--dir', dir, '--json')).stdout);
  assert.ok(stopped.pending >= 1 && stopped.running === 0, JSON.stringify(stopped));
  const interrupted = cellDirs(dir).filter((cell) => manifestOf(cell)?.status === 'interrupted');
  assert.ok(interrupted.length >= 1, 'the cells in progress were marked interrupted (SIGTERM: checkpoint flushed)');

  const resumed = await cli('sweep', 'run', A, '--out', dir, '--workers', '2');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /done \(resumed\)/);
  for (const cell of interrupted) {
    const m = manifestOf(cell)!;
    assert.equal(m.status, 'complete');
    assert.match(m.segments.at(-1)!.resumedFrom ?? '', /chunk/, 'from its checkpoint');
  }
  const table = async (d: string) => (await cli('sweep', 'collect', A, '--dir', d)).stdout;
  assert.equal(await table(dir), await table(DIR));
});

test('every command with a run directory is a cell: gaussian and kde (with their metrics), neural (one part column)', async () => {
  const g = file('g', { command: 'gaussian', base: { dim: 2, samples: 10, iterations: 3, trials: 200 }, grid: { model: ['gaussian', 'kde'] } });
  const dir = join(root, 'gaussian');
  const run = await cli('sweep', 'run', g, '--out', dir, '--quiet');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'sweep g: 2 cells: 2 run, 0 already complete, 0 failed\n');
  const table = JSON.parse((await cli('sweep', 'collect', g, '--dir', dir, '--format', 'json')).stdout);
  assert.equal(table.rows.length, 6);
  assert.ok(table.columns.includes('metrics.meanError.mean'), table.columns.join(' '));
  assert.equal(table.rows.filter((r: Record<string, unknown>) => r.model === 'kde').length, 3);
  assert.equal(existsSync(join(dir, 'cells', table.rows[0].cell, 'results.json')), true);

  const neural = file('n', { command: 'neural', base: { model: 'lm', iterations: 1, samples: 20, 'test-samples': 10 }, grid: { strategy: ['replace'] } });
  const ran = await cli('sweep', 'run', neural, '--out', dir, '--quiet');
  assert.equal(ran.code, 0, ran.stderr);
  const rows = JSON.parse((await cli('sweep', 'collect', neural, '--dir', dir, '--format', 'json')).stdout).rows;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].part, 'lm-replace');
  assert.equal(rows[0].model, 'lm');
  assert.equal(typeof rows[0].iteration, 'number');
});

test('sweep usage errors: one line, exit 2', async () => {
  for (const [args, pattern] of [
    [['sweep', 'walk', A], /the action must be one of run, status, collect; got "walk"/],
    [['sweep', 'run', A, '--force'], /unknown option '--force'/],
    [['worker', '--queue', 'redis://h', '--out', 'x'], /unknown option '--out'/],
    [['sweep', 'run', A, '--workers', '0'], /--workers must be an integer in \[1, 256\]; got "0"/],
    [['sweep', 'status', A, '--workers', '2'], /--workers sizes the local pool of sweep run/],
    [['sweep', 'run', A, '--detach'], /--detach goes with sweep run --queue URL/],
    [['sweep', 'collect', A, '--format', 'xml'], /--format must be one of csv, json; got "xml"/],
    [['worker'], /worker needs --queue/],
  ] as const) {
    const run = await cli(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  }
});
