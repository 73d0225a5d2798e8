/** The sweep-table figure: a line per cell group (seeds averaged, 95% t-band), theory dashed, skipped with how-to when absent. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSweepFigure, readSweepTable, sweepCaption, sweepLines, sweepTable, SWEEP_TABLE_ENV, type CollectedTable } from '../../src/figures/sweep-table.js';
import { cellGroups, groupId, type CellParts } from '../../src/sweep/groups.js';
import type { FigureContext } from '../../src/figures/figure.js';

/** Two strategies × two seeds × 3 iterations, as `sweep collect --format json` writes it (groups by src/sweep/groups.ts). */
function table(): CollectedTable {
  const rows: CollectedTable['rows'] = [];
  const cells: CellParts[] = [];
  for (const strategy of ['replace', 'accumulate']) {
    for (const seed of [0, 1]) {
      const config = { strategy, dim: 10, seed };
      const iterations = [1, 2, 3].map((n) => {
        const theory = strategy === 'replace' ? 0.1 * n : 0.1 * [1, 1.25, 1.3611][n - 1];
        return { iteration: n, mean: theory + (seed === 0 ? 0.01 : -0.01), stderr: 0.001, theory, z: 0 };
      });
      cells.push({ cell: `${strategy}-${seed}`, config, parts: [{ iterations }] });
      for (const row of iterations) rows.push({ cell: `${strategy}-${seed}`, ...config, ...row, group: groupId('linear', config) });
    }
  }
  return { sweep: 'toy', command: 'linear', columns: ['cell', 'strategy', 'dim', 'seed', 'iteration', 'mean', 'stderr', 'theory', 'z', 'group'], rows, groups: cellGroups('linear', cells) };
}

test('sweepLines: one line per cell group, seeds averaged with their 95% t-band, theory kept where every cell agrees', () => {
  const lines = sweepLines(table());
  assert.deepEqual(lines.map((l) => l.label), ['strategy=replace', 'strategy=accumulate']);
  const replace = lines[0];
  assert.deepEqual(replace.iterations, [1, 2, 3]);
  replace.mean.forEach((m, i) => assert.ok(Math.abs(m - 0.1 * (i + 1)) < 1e-12, `seed offsets ±0.01 cancel: ${m}`));
  // two values m ± 0.01: s = 0.01·√2, stderr = s/√2 = 0.01, half-width t_{0.975,1}·0.01 = 12.706205·0.01
  replace.ci95High.forEach((h, i) => assert.ok(Math.abs((h as number) - (0.1 * (i + 1) + 0.12706205)) < 1e-9, `band ${h}`));
  replace.ci95Low.forEach((l, i) => assert.ok(Math.abs((l as number) - (0.1 * (i + 1) - 0.12706205)) < 1e-9, `band ${l}`));
  assert.deepEqual(replace.theory.map((t) => Number((t as number).toFixed(12))), [0.1, 0.2, 0.3]);
  assert.equal(replace.seeds, 2);
  const figure = buildSweepFigure(table(), lines);
  assert.equal(figure.data.length, 6, 'a band, a mean line and a dashed theory line per group');
  assert.equal(figure.data.filter((t) => t.fill === 'toself').length, 2);
});

test('sweepLines: a group of one cell has no band; the caption says so', () => {
  const one = table();
  const groups = cellGroups('linear', one.groups.map((g) => ({ cell: g.cells[0], config: { ...g.config, seed: 0 }, parts: [{ iterations: g.iterations }] })));
  const lines = sweepLines({ ...one, groups });
  assert.ok(lines.every((l) => l.seeds === 1 && l.ci95Low.every((v) => v === null)));
  assert.equal(buildSweepFigure(one, lines).data.filter((t) => t.fill === 'toself').length, 0);
  assert.match(sweepCaption(one, lines, 't.json'), /one seed per group: no interval/);
  assert.match(sweepCaption(one, sweepLines(one), 't.json'), /\(2 cells per line\).*95% Student-t interval/);
});

test('readSweepTable: skipped with the command that makes a table when there is none or it is not one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-sweep-figure-'));
  assert.match(String((readSweepTable(undefined) as { skipped: string }).skipped), /sweep collect FILE --format json/);
  assert.match(String((readSweepTable(join(dir, 'none.json')) as { skipped: string }).skipped), /no sweep table at/);
  writeFileSync(join(dir, 'bad.json'), '{"rows": []}');
  assert.match(String((readSweepTable(join(dir, 'bad.json')) as { skipped: string }).skipped), /not a collected sweep table/);
  const { groups: _, ...old } = table();
  writeFileSync(join(dir, 'old.json'), JSON.stringify(old));
  assert.match(String((readSweepTable(join(dir, 'old.json')) as { skipped: string }).skipped), /no cell groups/);
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
      assert.equal(out.figure.data.length, 6);
      assert.equal(out.csv.trim().split('\n').length, 1 + 2 * 3);
    }
  } finally {
    if (before === undefined) delete process.env[SWEEP_TABLE_ENV];
    else process.env[SWEEP_TABLE_ENV] = before;
  }
});
