/**
 * A sweep's collected table as a figure: the mean of every metric-of-interest row against the iteration, one line per
 * combination of the options the sweep varies (averaged over its seeds), theory dashed where the cells have it.
 * Input: `npx collapse sweep collect FILE --format json --out TABLE` (src/sweep/collect.ts), named by
 * COLLAPSE_SWEEP_TABLE; without it the figure is skipped with how to make one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES } from './palette.js';
import { AXIS_STYLE, logAxis, toCsv } from './plotly.js';

export const SWEEP_TABLE_ENV = 'COLLAPSE_SWEEP_TABLE';

type Value = string | number | boolean | null;
export interface CollectedTable {
  sweep: string;
  command: string;
  columns: string[];
  rows: Record<string, Value>[];
}

/** Columns of an iteration row rather than of the cell's configuration. */
const ITERATION_FIELDS = new Set(['cell', 'part', 'iteration', 'mean', 'stderr', 'theory', 'z', 'zConditional']);
const isIterationField = (c: string) => ITERATION_FIELDS.has(c) || c.startsWith('ci95') || c.startsWith('metrics.');

/** One plotted line: a combination of the varied options (and part), its mean per iteration over seeds. */
export interface SweepLine {
  label: string;
  iterations: number[];
  mean: number[];
  theory: (number | null)[];
  seeds: number;
}

/** Group the rows into lines: by every configuration column that varies across cells, except the seed. */
export function sweepLines(table: CollectedTable): SweepLine[] {
  const config = table.columns.filter((c) => !isIterationField(c) && c !== 'seed');
  const varied = config.filter((c) => new Set(table.rows.map((r) => JSON.stringify(r[c] ?? null))).size > 1);
  const keyOf = (r: Record<string, Value>) => [...varied.map((c) => `${c}=${r[c]}`), ...(r.part !== undefined ? [`${r.part}`] : [])].join(' ');
  const groups = new Map<string, { cells: Set<string>; sum: Map<number, number[]>; theory: Map<number, number | null> }>();
  for (const r of table.rows) {
    if (typeof r.iteration !== 'number' || typeof r.mean !== 'number') continue;
    const key = keyOf(r) || table.command;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { cells: new Set(), sum: new Map(), theory: new Map() }));
    g.cells.add(String(r.cell));
    g.sum.set(r.iteration, [...(g.sum.get(r.iteration) ?? []), r.mean]);
    const theory = typeof r.theory === 'number' ? r.theory : null;
    // a theory line only where every cell of the line agrees on it (it does not depend on the seed)
    g.theory.set(r.iteration, g.theory.has(r.iteration) && g.theory.get(r.iteration) !== theory ? null : theory);
  }
  return [...groups].map(([label, g]) => {
    const iterations = [...g.sum.keys()].sort((a, b) => a - b);
    return {
      label,
      iterations,
      mean: iterations.map((n) => (g.sum.get(n) as number[]).reduce((a, b) => a + b, 0) / (g.sum.get(n) as number[]).length),
      theory: iterations.map((n) => g.theory.get(n) ?? null),
      seeds: g.cells.size,
    };
  });
}

export function buildSweepFigure(table: CollectedTable, lines: readonly SweepLine[]): PlotlyFigure {
  const values = lines.flatMap((l) => l.mean).filter((v) => v > 0);
  const logY = values.length > 0 && Math.max(...values) / Math.min(...values) > 50;
  const data: PlotlyObject[] = [];
  lines.forEach((line, k) => {
    const color = colour(CATEGORICAL, k);
    data.push({ type: 'scatter', mode: 'lines+markers', x: line.iterations, y: line.mean, name: line.label, legendgroup: line.label, line: { color, width: 2 }, marker: { size: 4 } });
    if (line.theory.some((t) => t !== null)) {
      data.push({ type: 'scatter', mode: 'lines', x: line.iterations, y: line.theory, name: `${line.label} (theory)`, legendgroup: line.label, showlegend: false, line: { color, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash } });
    }
  });
  return {
    data,
    layout: {
      title: { text: `Sweep ${table.sweep} (collapse ${table.command}): mean per iteration, theory dashed`, x: 0.5 },
      xaxis: { title: { text: 'iteration n' }, ...AXIS_STYLE },
      yaxis: { ...(logY ? logAxis([...values, ...lines.flatMap((l) => l.theory).filter((t): t is number => t !== null)]) : { type: 'linear' }), title: { text: `mean (test error or loss, as the cells report it; ${logY ? 'log' : 'linear'} scale)` }, ...AXIS_STYLE },
      legend: { title: { text: 'cells' } },
      margin: { l: 70, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
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
  return ok ? (parsed as CollectedTable) : { skipped: `${file} is not a collected sweep table with rows: ${how}` };
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
      caption: `Mean over each line's seeds of every cell's per-iteration mean (collapse ${table.command}), one line per combination of the options the sweep varies; dashed: the closed form where the cells report one. Data: ${file}.`,
      data: { sweep: table.sweep, command: table.command, lines },
      csv: toCsv(['line', 'iteration', 'mean', 'theory', 'seeds'], lines.flatMap((l) => l.iterations.map((n, i) => [l.label, n, l.mean[i], l.theory[i], l.seeds]))),
      image: { width: 1100, height: 600, scale: 2 },
    };
  },
};
