/**
 * A sweep's collected table as a figure: the mean against the iteration, one line per cell group (the combination of
 * the options the sweep varies; its seeds averaged, with their 95% t-band: src/sweep/groups.ts), theory dashed where
 * the cells have it.
 * Input: `npx collapse sweep collect FILE --format json --out TABLE` (src/sweep/collect.ts), named by
 * COLLAPSE_SWEEP_TABLE; without it the figure is skipped with how to make one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CellGroup } from '../sweep/groups.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES } from './palette.js';
import { AXIS_STYLE, bandTrace, logAxis, toCsv } from './plotly.js';

export const SWEEP_TABLE_ENV = 'COLLAPSE_SWEEP_TABLE';

type Value = string | number | boolean | null;
/** `sweep collect --format json` (src/sweep/collect.ts): the rows and the cell groups. */
export interface CollectedTable {
  sweep: string;
  command: string;
  columns: string[];
  rows: Record<string, Value>[];
  groups: CellGroup[];
}

/** One plotted line: a cell group's part (src/sweep/groups.ts), its mean per iteration over the group's seeds. */
export interface SweepLine {
  label: string;
  iterations: number[];
  mean: number[];
  /** the 95% t-interval over the group's cells (null where it has one cell) */
  ci95Low: (number | null)[];
  ci95High: (number | null)[];
  theory: (number | null)[];
  /** the group's cells (seeds) */
  seeds: number;
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

/**
 * One line per cell group and part, in the table's order: labelled by the options that vary across the groups (the
 * seed is never one: it is what a group summarises), the group's mean and interval per iteration; theory dashed where
 * every cell of the group agrees on it (it does not depend on the seed).
 */
export function sweepLines(table: CollectedTable): SweepLine[] {
  const keys = [...new Set(table.groups.flatMap((g) => Object.keys(g.config)))];
  const varied = keys.filter((k) => new Set(table.groups.map((g) => JSON.stringify(g.config[k] ?? null))).size > 1);
  return table.groups.map((g) => {
    const label = [...varied.map((k) => `${k}=${show(g.config[k])}`), ...(g.part !== undefined ? [g.part] : [])].join(' ') || table.command;
    const theory = new Map<number, number | null>();
    for (const r of table.rows) {
      if (r.group !== g.group || (r.part ?? undefined) !== g.part || typeof r.iteration !== 'number') continue;
      const t = typeof r.theory === 'number' ? r.theory : null;
      theory.set(r.iteration, theory.has(r.iteration) && theory.get(r.iteration) !== t ? null : t);
    }
    return {
      label,
      iterations: g.iterations.map((r) => r.iteration),
      mean: g.iterations.map((r) => r.mean),
      ci95Low: g.iterations.map((r) => r.ci95?.[0] ?? null),
      ci95High: g.iterations.map((r) => r.ci95?.[1] ?? null),
      theory: g.iterations.map((r) => theory.get(r.iteration) ?? null),
      seeds: g.cells.length,
    };
  });
}

export function buildSweepFigure(table: CollectedTable, lines: readonly SweepLine[]): PlotlyFigure {
  const values = lines.flatMap((l) => l.mean).filter((v) => v > 0);
  const logY = values.length > 0 && Math.max(...values) / Math.min(...values) > 50;
  const data: PlotlyObject[] = [];
  lines.forEach((line, k) => {
    const color = colour(CATEGORICAL, k);
    if (line.ci95Low.every((v) => v !== null) && line.ci95High.every((v) => v !== null)) {
      data.push(bandTrace(line.iterations, line.ci95Low as number[], line.ci95High as number[], { colour: color, legendgroup: line.label, ...(logY && { floor: Math.min(...values) / 10 }) }));
    }
    data.push({ type: 'scatter', mode: 'lines+markers', x: line.iterations, y: line.mean, name: line.label, legendgroup: line.label, line: { color, width: 2 }, marker: { size: 4 } });
    if (line.theory.some((t) => t !== null)) {
      data.push({ type: 'scatter', mode: 'lines', x: line.iterations, y: line.theory, name: `${line.label} (theory)`, legendgroup: line.label, showlegend: false, line: { color, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash } });
    }
  });
  return {
    data,
    layout: {
      title: { text: `Sweep ${table.sweep} (collapse ${table.command}): mean over seeds per iteration, 95% t-bands, theory dashed`, x: 0.5 },
      xaxis: { title: { text: 'iteration n' }, ...AXIS_STYLE },
      yaxis: { ...(logY ? logAxis([...values, ...lines.flatMap((l) => l.theory).filter((t): t is number => t !== null)]) : { type: 'linear' }), title: { text: `mean (test error or loss, as the cells report it; ${logY ? 'log' : 'linear'} scale)` }, ...AXIS_STYLE },
      legend: { title: { text: 'cells' } },
      margin: { l: 70, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

/** What the lines and bands are, with the seed counts they are over. */
export function sweepCaption(table: CollectedTable, lines: readonly SweepLine[], file: string): string {
  const seeds = [...new Set(lines.map((l) => l.seeds))].sort((a, b) => a - b);
  const counts = seeds.length === 1 ? `${seeds[0]}` : `${seeds[0]} to ${seeds[seeds.length - 1]}`;
  const bands = seeds[seeds.length - 1] > 1
    ? `bands: the 95% Student-t interval over each group's seeds (an approximation for non-normal values; none where a group has one cell)`
    : 'one seed per group: no interval';
  return `Mean over each cell group's seeds (${counts} cells per line) of every cell's per-iteration mean (collapse ${table.command}), one line per combination of the options the sweep varies; ${bands}; dashed: the closed form where the cells report one. Data: ${file}.`;
}

/** A collected table from `file`, or why it cannot be plotted. */
export function readSweepTable(file: string | undefined): CollectedTable | Skipped {
  const how = `collect one with \`npx collapse sweep collect FILE --format json --out TABLE\` and set ${SWEEP_TABLE_ENV}=TABLE`;
  if (file === undefined) return { skipped: `no sweep table: ${how}` };
  if (!existsSync(file)) return { skipped: `no sweep table at ${file}: ${how}` };
  let parsed: Partial<CollectedTable>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CollectedTable>;
  } catch {
    return { skipped: `${file} is not JSON: ${how}` };
  }
  const ok = typeof parsed.sweep === 'string' && typeof parsed.command === 'string' && Array.isArray(parsed.columns) && Array.isArray(parsed.rows) && parsed.rows.length > 0;
  if (!ok) return { skipped: `${file} is not a collected sweep table with rows: ${how}` };
  return Array.isArray(parsed.groups) ? (parsed as CollectedTable) : { skipped: `${file} has no cell groups (collected by an older collapse): ${how}` };
}

export const sweepTable: Figure = {
  id: 'sweep-table',
  title: 'A sweep: every varied configuration against the iteration',
  async make(_context: FigureContext): Promise<FigureOutput | Skipped> {
    const file = process.env[SWEEP_TABLE_ENV] === undefined ? undefined : resolve(process.env[SWEEP_TABLE_ENV] as string);
    const table = readSweepTable(file);
    if ('skipped' in table) return table;
    const lines = sweepLines(table);
    return {
      figure: buildSweepFigure(table, lines),
      caption: sweepCaption(table, lines, file as string),
      data: { sweep: table.sweep, command: table.command, lines },
      csv: toCsv(['line', 'iteration', 'mean', 'ci95_low', 'ci95_high', 'theory', 'seeds'], lines.flatMap((l) => l.iterations.map((n, i) => [l.label, n, l.mean[i], l.ci95Low[i], l.ci95High[i], l.theory[i], l.seeds]))),
      image: { width: 1100, height: 600, scale: 2 },
    };
  },
};
