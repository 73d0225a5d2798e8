/**
 * `sweep collect` aggregates a sweep's seeds as `collapse neural --seeds K` does: cells that differ only in the seed
 * are a cell group, and per group, part and iteration the collected table holds the mean of the cells' means, its
 * standard error s/√K and the 95% t-interval — checked here against the same numbers computed by hand from the cells'
 * own results.json, on a small local sweep (2 strategies × 3 seeds of a tiny linear run) and on hand-made parts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cellGroups, groupId } from '../../src/sweep/groups.js';
import { mainInProcess } from '../cli/helpers.js';
import { ensureBuilt, stopAll } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-sweep-groups-'));
before(ensureBuilt);
after(async () => {
  await stopAll();
  rmSync(root, { recursive: true, force: true });
});

/** mean, s/√K and mean ± t_{0.975,K−1}·s/√K, written out again (t from the standard table) */
const T975 = { 1: 12.706205, 2: 4.302653 } as Record<number, number>;
function byHand(values: number[]) {
  const k = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / k;
  const s = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (k - 1));
  const stderr = s / Math.sqrt(k);
  return { mean, stderr, low: mean - T975[k - 1] * stderr, high: mean + T975[k - 1] * stderr };
}
const close = (a: unknown, b: number, what: string) => assert.ok(typeof a === 'number' && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('cellGroups: cells that differ only in the seed are one group per part; mean, stderr and t-interval by iteration', () => {
  const part = (values: number[]) => [{ part: 'lm-replace', iterations: values.map((mean, i) => ({ iteration: i + 1, mean })) }];
  const groups = cellGroups('neural', [
    { cell: 'a', config: { width: 8, seed: 0 }, parts: part([2, 3]) },
    { cell: 'b', config: { width: 16, seed: 0 }, parts: part([1, 1]) },
    { cell: 'c', config: { width: 8, seed: 1 }, parts: part([4, 5]) },
    { cell: 'd', config: { width: 8, seed: 2 }, parts: part([6]) }, // stopped early: iteration 2 is over 2 cells
  ]);
  assert.deepEqual(groups.map((g) => [g.part, g.config, g.cells, g.seeds]), [['lm-replace', { width: 8 }, ['a', 'c', 'd'], [0, 1, 2]], ['lm-replace', { width: 16 }, ['b'], [0]]]);
  assert.equal(groups[0].group, groupId('neural', { seed: 7, width: 8 }));
  assert.notEqual(groups[0].group, groups[1].group);
  const [first, second] = groups[0].iterations;
  const h1 = byHand([2, 4, 6]);
  assert.equal(first.cells, 3);
  close(first.mean, 4, 'mean');
  close(first.stderr, h1.stderr, 'stderr'); // s = 2, stderr = 2/√3
  close(first.ci95?.[0], 4 - 4.302653 * (2 / Math.sqrt(3)), 'low');
  close(first.ci95?.[1], h1.high, 'high');
  assert.equal(second.cells, 2);
  close(second.ci95?.[1], byHand([3, 5]).high, 'two cells: t with 1 df');
  assert.deepEqual(groups[1].iterations[0], { iteration: 1, mean: 1, stderr: null, ci95: null, cells: 1 });
});

test('sweep collect: each row carries its group, and the groups equal the cells\' results aggregated by hand', async () => {
  const file = join(root, 'seeds.yaml');
  writeFileSync(file, JSON.stringify({ command: 'linear', base: { dim: 3, samples: 12, iterations: 2, trials: 4096, backend: 'webasm' }, grid: { strategy: ['replace', 'accumulate'] }, seeds: 3 }));
  const dir = join(root, 'sweep');
  const run = await mainInProcess(['sweep', 'run', file, '--out', dir, '--workers', '2', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'sweep seeds: 6 cells: 6 run, 0 already complete, 0 failed\n');

  const json = await mainInProcess(['sweep', 'collect', file, '--dir', dir, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const table = JSON.parse(json.stdout) as { rows: Record<string, unknown>[]; groups: { group: string; config: Record<string, unknown>; cells: string[]; seeds: number[]; iterations: { iteration: number; mean: number; stderr: number; ci95: [number, number]; cells: number }[] }[] };
  assert.equal(table.rows.length, 6 * 2);
  assert.deepEqual(table.groups.map((g) => [g.config.strategy, g.seeds]), [['replace', [0, 1, 2]], ['accumulate', [0, 1, 2]]]);
  for (const g of table.groups) {
    const results = g.cells.map((id) => JSON.parse(readFileSync(join(dir, 'cells', id, 'results.json'), 'utf8')) as { iterations: { mean: number }[] });
    for (const [i, summary] of g.iterations.entries()) {
      const h = byHand(results.map((r) => r.iterations[i].mean));
      assert.equal(summary.cells, 3);
      close(summary.mean, h.mean, `${g.config.strategy} ${i + 1} mean`);
      close(summary.stderr, h.stderr, 'stderr');
      close(summary.ci95[0], h.low, 'ci95 low');
      close(summary.ci95[1], h.high, 'ci95 high');
      assert.ok(h.stderr > 0, 'the seeds differ');
      // every row of the group's cells at this iteration carries the same summary
      const rows = table.rows.filter((r) => g.cells.includes(r.cell as string) && r.iteration === i + 1);
      assert.equal(rows.length, 3);
      for (const r of rows) {
        assert.equal(r.group, g.group);
        assert.deepEqual([r['group.cells'], r['group.mean'], r['group.stderr'], r['group.ci95Low'], r['group.ci95High']], [3, summary.mean, summary.stderr, summary.ci95[0], summary.ci95[1]]);
      }
    }
  }

  const csv = await mainInProcess(['sweep', 'collect', file, '--dir', dir]);
  const [header, ...lines] = csv.stdout.trim().split('\n').map((l) => l.split(','));
  for (const column of ['group', 'group.cells', 'group.mean', 'group.stderr', 'group.ci95Low', 'group.ci95High']) assert.ok(header.includes(column), column);
  const at = (line: string[], column: string) => line[header.indexOf(column)];
  assert.equal(lines.length, 12);
  for (const line of lines) {
    const g = table.groups.find((x) => x.group === at(line, 'group'))!;
    assert.equal(Number(at(line, 'group.ci95High')), g.iterations[Number(at(line, 'iteration')) - 1].ci95[1], 'CSV numbers round-trip');
  }
});
