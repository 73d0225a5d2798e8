/**
 * `collapse sweep collect`: every complete cell's results.json as rows of one table, one row per (cell, iteration):
 * the cell id, its resolved configuration (lists joined by ','), then the iteration's fields flattened (ci95 →
 * ci95Low, ci95High; metrics.w2.mean). A command whose results.json holds several parts (neural: one report per
 * `<model>-<strategy>`, each with its iterations; loop: one per strategy) gets a `part` column. CSV or JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { inspectCell } from './cell.js';
import type { Sweep } from './spec.js';

export type Row = Record<string, string | number | boolean | null>;

export interface Table {
  sweep: string;
  command: string;
  columns: string[];
  rows: Row[];
  /** cells without results (not complete), by id */
  missing: string[];
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

export function collectTable(sweep: Sweep): Table {
  const rows: Row[] = [];
  const missing: string[] = [];
  const columns: string[] = ['cell'];
  const seen = new Set(columns);
  const add = (row: Row) => {
    for (const key of Object.keys(row)) if (!seen.has(key)) seen.add(key), columns.push(key);
    rows.push(row);
  };
  for (const cell of sweep.cells) {
    if (inspectCell(cell).state !== 'done') {
      missing.push(cell.id);
      continue;
    }
    const path = join(cell.dir, 'results.json');
    const results = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    // loop: one report per strategy in `strategies`; neural: one per part, by name
    const parts: [string | undefined, unknown][] = Array.isArray(results.iterations)
      ? [[undefined, results.iterations]]
      : Array.isArray(results.strategies)
        ? (results.strategies as { strategy?: string; iterations?: unknown }[]).map((s) => [s.strategy, s.iterations])
        : Object.entries(results).map(([part, report]) => [part, (report as { iterations?: unknown } | null)?.iterations]);
    if (parts.length === 0 || parts.some(([, iterations]) => !Array.isArray(iterations))) {
      throw new UsageError(`sweep ${sweep.file}: cell ${cell.id} has no iterations in ${path}`);
    }
    for (const [part, iterations] of parts) {
      for (const iteration of iterations as unknown[]) {
        const row: Row = { cell: cell.id };
        flatten(cell.config, '', row);
        if (part !== undefined) row.part = part;
        flatten(iteration, '', row);
        add(row);
      }
    }
  }
  return { sweep: sweep.name, command: sweep.command.name, columns, rows, missing };
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
  return JSON.stringify({ sweep: table.sweep, command: table.command, columns: table.columns, rows: table.rows, missing: table.missing }, null, 2) + '\n';
}
