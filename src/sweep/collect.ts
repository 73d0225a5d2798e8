/**
 * `collapse sweep collect`: every complete cell's results.json as rows of one table, one row per (cell, iteration):
 * the cell id, its resolved configuration (lists joined by ','), then the iteration's fields flattened (ci95 →
 * ci95Low, ci95High; metrics.w2.mean). A command whose results.json holds several parts (neural: one report per
 * `<model>-<strategy>`, each with its iterations; loop: one per strategy) gets a `part` column. CSV or JSON.
 *
 * Seeds are aggregated as `collapse neural --seeds K` aggregates its trajectories (src/sweep/groups.ts): cells that
 * differ only in the seed form a cell group, and every row also carries its group's summary at that iteration —
 * `group` (the group's id), `group.cells` (K), `group.mean`, `group.stderr`, `group.ci95Low`, `group.ci95High` (the
 * 95% t-interval over the K cells' means; empty for K = 1). The JSON also lists the groups themselves (`groups`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { inspectCell } from './cell.js';
import { cellGroups, groupId, type CellGroup, type CellParts } from './groups.js';
import type { Sweep } from './spec.js';

export type Row = Record<string, string | number | boolean | null>;

export interface Table {
  sweep: string;
  command: string;
  columns: string[];
  rows: Row[];
  /** cells without results (not complete), by id */
  missing: string[];
  /** the cell groups (cells that differ only in the seed), each part summarised per iteration over its cells */
  groups: CellGroup[];
}

function flatten(value: unknown, prefix: string, into: Row): void {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    into[prefix] = value.join(','); // a list option (neural --model lm,vae)
  } else if (Array.isArray(value) && value.length === 2 && prefix.endsWith('ci95')) {
    into[`${prefix}Low`] = value[0] as number;
    into[`${prefix}High`] = value[1] as number;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, into));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    into[prefix] = (value ?? null) as Row[string];
  }
}

/** A complete cell's results.json as its parts (loop: one report per strategy in `strategies`; neural: one per part, by name). */
function readParts(sweep: Sweep, cell: Sweep['cells'][number]): CellParts['parts'] {
  const path = join(cell.dir, 'results.json');
  const results = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const parts: [string | undefined, unknown][] = Array.isArray(results.iterations)
    ? [[undefined, results.iterations]]
    : Array.isArray(results.strategies)
      ? (results.strategies as { strategy?: string; iterations?: unknown }[]).map((s) => [s.strategy, s.iterations])
      : Object.entries(results).map(([part, report]) => [part, (report as { iterations?: unknown } | null)?.iterations]);
  if (parts.length === 0 || parts.some(([, iterations]) => !Array.isArray(iterations))) {
    throw new UsageError(`sweep ${sweep.file}: cell ${cell.id} has no iterations in ${path}`);
  }
  return parts.map(([part, iterations]) => ({ ...(part !== undefined && { part }), iterations: iterations as unknown[] }));
}

/** Every complete cell's parts, in sweep order, and the ids of the cells that are not complete. */
export function readCells(sweep: Sweep): { cells: CellParts[]; missing: string[] } {
  const cells: CellParts[] = [];
  const missing: string[] = [];
  for (const cell of sweep.cells) {
    if (inspectCell(cell).state !== 'done') missing.push(cell.id);
    else cells.push({ cell: cell.id, config: cell.config, parts: readParts(sweep, cell) });
  }
  return { cells, missing };
}

export function collectTable(sweep: Sweep): Table {
  const rows: Row[] = [];
  const columns: string[] = ['cell'];
  const seen = new Set(columns);
  const add = (row: Row) => {
    for (const key of Object.keys(row)) if (!seen.has(key)) seen.add(key), columns.push(key);
    rows.push(row);
  };
  const { cells, missing } = readCells(sweep);
  const groups = cellGroups(sweep.command.name, cells);
  const byKey = new Map(groups.map((g) => [`${g.group}\u0000${g.part ?? ''}`, new Map(g.iterations.map((r) => [r.iteration, r]))]));
  const summaryOf = (group: string, part: string | undefined, iteration: unknown) => byKey.get(`${group}\u0000${part ?? ''}`)?.get(iteration as number);
  for (const { cell, config, parts } of cells) {
    const group = groupId(sweep.command.name, config);
    for (const { part, iterations } of parts) {
      for (const iteration of iterations) {
        const row: Row = { cell };
        flatten(config, '', row);
        if (part !== undefined) row.part = part;
        flatten(iteration, '', row);
        const summary = summaryOf(group, part, row.iteration);
        row.group = group;
        row['group.cells'] = summary?.cells ?? null;
        row['group.mean'] = summary?.mean ?? null;
        row['group.stderr'] = summary?.stderr ?? null;
        row['group.ci95Low'] = summary?.ci95?.[0] ?? null;
        row['group.ci95High'] = summary?.ci95?.[1] ?? null;
        add(row);
      }
    }
  }
  return { sweep: sweep.name, command: sweep.command.name, columns, rows, missing, groups };
}

const csvCell = (v: Row[string] | undefined) => {
  if (v === null || v === undefined) return '';
  const text = String(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function tableToCsv(table: Table): string {
  return [table.columns.join(','), ...table.rows.map((row) => table.columns.map((c) => csvCell(row[c])).join(','))].join('\n') + '\n';
}

export function tableToJson(table: Table): string {
  return JSON.stringify({ sweep: table.sweep, command: table.command, columns: table.columns, rows: table.rows, missing: table.missing, groups: table.groups }, null, 2) + '\n';
}
