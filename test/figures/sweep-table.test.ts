/** The sweep-table figure: lines by varied option (seeds averaged), theory dashed, skipped with how-to when absent. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSweepFigure, readSweepTable, sweepLines, sweepTable, SWEEP_TABLE_ENV, type CollectedTable } from '../../src/figures/sweep-table.js';
import type { FigureContext } from '../../src/figures/figure.js';

/** Two strategies × two seeds × 3 iterations, as `sweep collect --format json` writes it. */
function table(): CollectedTable {
  const rows: CollectedTable['rows'] = [];
  for (const strategy of ['replace', 'accumulate']) {
    for (const seed of [0, 1]) {
      for (const n of [1, 2, 3]) {
        const theory = strategy === 'replace' ? 0.1 * n : 0.1 * [1, 1.25, 1.3611][n - 1];
        rows.push({ cell: `${strategy}-${seed}`, strategy, dim: 10, seed, iteration: n, mean: theory + (seed === 0 ? 0.01 : -0.01), stderr: 0.001, theory, z: 0 });
      }
    }
  }
  return { sweep: 'toy', command: 'linear', columns: ['cell', 'strategy', 'dim', 'seed', 'iteration', 'mean', 'stderr', 'theory', 'z'], rows };
}

test('sweepLines: one line per varied option, seeds averaged, theory kept where every cell agrees', () => {
  const lines = sweepLines(table());
  assert.deepEqual(lines.map((l) => l.label), ['strategy=replace', 'strategy=accumulate']);
  const replace = lines[0];
  assert.deepEqual(replace.iterations, [1, 2, 3]);
  replace.mean.forEach((m, i) => assert.ok(Math.abs(m - 0.1 * (i + 1)) < 1e-12, `seed offsets ±0.01 cancel: ${m}`));
  assert.deepEqual(replace.theory.map((t) => Number((t as number).toFixed(12))), [0.1, 0.2, 0.3]);
  assert.equal(replace.seeds, 2);
  const figure = buildSweepFigure(table(), lines);
  assert.equal(figure.data.length, 4, 'a mean line and a dashed theory line per option');
});

test('readSweepTable: skipped with the command that makes a table when there is none or it is not one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-sweep-figure-'));
  assert.match(String((readSweepTable(undefined) as { skipped: string }).skipped), /sweep collect FILE --format json/);
  assert.match(String((readSweepTable(join(dir, 'none.json')) as { skipped: string }).skipped), /no sweep table at/);
  writeFileSync(join(dir, 'bad.json'), '{"rows": []}');
  assert.match(String((readSweepTable(join(dir, 'bad.json')) as { skipped: string }).skipped), /not a collected sweep table/);
});

test('the gallery figure reads the table named by COLLAPSE_SWEEP_TABLE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-sweep-figure-'));
  const file = join(dir, 'table.json');
  writeFileSync(file, JSON.stringify(table()));
  const before = process.env[SWEEP_TABLE_ENV];
  process.env[SWEEP_TABLE_ENV] = file;
  try {
    const out = await sweepTable.make({} as FigureContext);
    assert.ok(!('skipped' in out));
    if (!('skipped' in out)) {
      assert.equal(out.figure.data.length, 4);
      assert.equal(out.csv.trim().split('\n').length, 1 + 2 * 3);
    }
  } finally {
    if (before === undefined) delete process.env[SWEEP_TABLE_ENV];
    else process.env[SWEEP_TABLE_ENV] = before;
  }
});
