/**
 * The paper's language-model figure (arXiv 2404.01413, Fig. 3: GPT-2/Llama-2 on TinyStories), scaled down: rows are
 * model sizes, columns sampling temperatures (1, 0.3 and 0 = greedy), and in every panel the test cross-entropy on
 * held-out real text against the iteration under replace and under accumulate, each the mean over the sweep's seeds
 * with its 95% t-band (src/sweep/groups.ts, the numbers `sweep collect` writes), and the bigram baseline dash-dotted.
 *
 * It reads a sweep of `collapse neural --model lm` cells: the file in COLLAPSE_LM_SWEEP (default
 * <repository>/sweeps/lm-size-temperature.yaml), its cells where the file's `out` says or in COLLAPSE_LM_SWEEP_DIR;
 * skipped with a note while no cell is complete. The gallery never trains models.
 */
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { NeuralPartReport } from '../experiments/neural.js';
import type { CellGroup } from '../sweep/groups.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES, NEUTRAL, symbol } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, toCsv } from './plotly.js';

export const LM_SWEEP_ENV = 'COLLAPSE_LM_SWEEP';
export const LM_SWEEP_DIR_ENV = 'COLLAPSE_LM_SWEEP_DIR';
export const LM_SWEEP_FILE = 'sweeps/lm-size-temperature.yaml';

/** One line: a model size, a temperature, a strategy under one schedule, over the seeds of its cell group. */
export interface LmSweepCurve {
  /** the row: d, layers, heads, context */
  size: string;
  parameters: number;
  temperature: number;
  strategy: string;
  /** e.g. '3 epochs', '120 steps' */
  schedule: string;
  /** cells (seeds) the curve is over */
  seeds: number;
  iterations: number[];
  mean: number[];
  /** the 95% t-interval over the seeds (null with one seed) */
  ci95Low: (number | null)[];
  ci95High: (number | null)[];
}

export interface LmSweepData {
  sweep: string;
  /** where the results came from (the sweep file and its directory) */
  source: string;
  metric: string;
  /** the real text the cells trained on (settings.corpus) */
  corpora: string[];
  /** what each schedule is, in words, by its label */
  schedules: Record<string, string>;
  curves: LmSweepCurve[];
  /** the bigram's test cross-entropy per size (the mean over the size's cells; it depends on the data, not on τ) */
  bigram: Record<string, number>;
  /** complete and all cells of the sweep */
  complete: number;
  cells: number;
}

/** A group's part and the reports of its cells for that part (in the group's cell order). */
export interface LmGroupResult {
  group: CellGroup;
  reports: readonly NeuralPartReport[];
}

const sizeLabel = (s: NeuralPartReport['settings']) => `d=${s.dModel}, L=${s.layers}, ${s.heads} heads, context ${s.context}`;
export const temperatureLabel = (t: number) => (t === 0 ? 'τ = 0 (greedy)' : `τ = ${t}`);

/** A schedule in words, as the caption gives it. */
export function scheduleText(schedule: NeuralPartReport['schedule']): string {
  const { kind, amount } = schedule;
  if (kind === 'epochs') return `${amount} epochs per fit over the whole pool (the paper's protocol: accumulate's optimiser steps grow with its pool)`;
  if (kind === 'steps') return `${amount} optimiser steps per fit (matched compute: every strategy and generation gets the same)`;
  return `early stopping on a validation split of the pool, at most ${amount} steps per fit`;
}

/** The figure's data from the groups of an lm sweep; throws (one line) where a group is not an lm part. */
export function lmSweepData(sweep: string, source: string, results: readonly LmGroupResult[], complete: number, cells: number): LmSweepData {
  const curves: LmSweepCurve[] = [];
  const schedules: Record<string, string> = {};
  const bigrams = new Map<string, number[]>();
  let metric = '';
  const corpora = new Set<string>();
  for (const { group, reports } of results) {
    const [first] = reports;
    if (!first || first.model !== 'lm') throw new Error(`${source}: cell group ${group.group} (${group.part ?? 'one part'}) is not an lm run; the figure plots collapse neural --model lm`);
    metric = first.metric;
    corpora.add(String(first.settings.corpus));
    const size = sizeLabel(first.settings);
    const schedule = `${first.schedule.amount} ${first.schedule.kind}`;
    schedules[schedule] = scheduleText(first.schedule);
    const curve: LmSweepCurve = {
      size,
      parameters: Number(first.settings.parameters),
      temperature: Number(first.settings.temperature),
      strategy: first.strategy,
      schedule,
      seeds: group.cells.length,
      iterations: group.iterations.map((r) => r.iteration),
      mean: group.iterations.map((r) => r.mean),
      ci95Low: group.iterations.map((r) => r.ci95?.[0] ?? null),
      ci95High: group.iterations.map((r) => r.ci95?.[1] ?? null),
    };
    const same = curves.find((c) => c.size === size && c.temperature === curve.temperature && c.strategy === curve.strategy && c.schedule === schedule);
    if (same) throw new Error(`${source}: two cell groups draw ${curve.strategy} (${schedule}) at ${size}, ${temperatureLabel(curve.temperature)}; the sweep varies an option besides the size, the temperature and the seed`);
    curves.push(curve);
    for (const r of reports) {
      const bigram = r.baselines?.values.bigram;
      if (typeof bigram === 'number') bigrams.set(size, [...(bigrams.get(size) ?? []), bigram]);
    }
  }
  const bigram = Object.fromEntries([...bigrams].map(([size, v]) => [size, v.reduce((a, b) => a + b, 0) / v.length]));
  return { sweep, source, metric, corpora: [...corpora], schedules, curves, bigram, complete, cells };
}

/** Rows: sizes by parameter count; columns: temperatures from hot to greedy. */
function grid(data: LmSweepData): { sizes: string[]; temperatures: number[] } {
  const sizes = [...new Set([...data.curves].sort((a, b) => a.parameters - b.parameters).map((c) => c.size))];
  const temperatures = [...new Set(data.curves.map((c) => c.temperature))].sort((a, b) => b - a);
  return { sizes, temperatures };
}

export function buildLmSweepFigure(data: LmSweepData): PlotlyFigure {
  if (data.curves.length === 0) throw new Error('lm-size-temperature: no curves to plot');
  const { sizes, temperatures } = grid(data);
  const strategies = [...new Set(data.curves.map((c) => c.strategy))];
  const schedules = [...new Set(data.curves.map((c) => c.schedule))];
  // one y range for every panel, so that sizes and temperatures compare at a glance
  const ys = [...data.curves.flatMap((c) => [...c.mean, ...c.ci95Low, ...c.ci95High]), ...Object.values(data.bigram)].filter((v): v is number => typeof v === 'number');
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const pad = Math.max((hi - lo) * 0.06, 0.01);
  const traces: PlotlyObject[] = [];
  const annotations: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: `Language model: test cross-entropy on held-out real text, replace vs accumulate, by model size (rows) and sampling temperature (columns)`, x: 0.5, font: { size: 15 } },
    grid: { rows: sizes.length, columns: temperatures.length, pattern: 'independent', xgap: 0.1, ygap: 0.22 },
    annotations,
    legend: { title: { text: 'strategy' }, itemwidth: 60 },
    margin: { l: 80, r: 20, t: 90, b: 60 },
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
  };
  const legendShown = new Set<string>();
  sizes.forEach((size, row) => {
    temperatures.forEach((t, col) => {
      const axes = axisRef(row * temperatures.length + col);
      const panel = data.curves.filter((c) => c.size === size && c.temperature === t);
      const xs = panel.flatMap((c) => c.iterations);
      layout[axes.xaxis] = { type: 'linear', dtick: 1, range: [Math.min(1, ...xs) - 0.2, Math.max(1, ...xs) + 0.2], ...(row === sizes.length - 1 && { title: { text: 'iteration n' } }), ...AXIS_STYLE };
      layout[axes.yaxis] = { type: 'linear', range: [lo - pad, hi + pad], ...(col === 0 && { title: { text: 'test CE (nats/char)' } }), ...AXIS_STYLE };
      annotations.push({ text: `${size}<br>${temperatureLabel(t)}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.02, yanchor: 'bottom', showarrow: false, font: { size: 12 } });
      for (const c of panel) {
        const j = strategies.indexOf(c.strategy);
        const label = schedules.length > 1 ? `${c.strategy} (${c.schedule})` : c.strategy;
        if (c.ci95Low.every((v) => v !== null) && c.ci95High.every((v) => v !== null)) {
          traces.push(bandTrace(c.iterations, c.ci95Low as number[], c.ci95High as number[], { colour: colour(CATEGORICAL, j), legendgroup: label, axes: axes.trace }));
        }
        traces.push({
          type: 'scatter',
          mode: 'lines+markers',
          x: c.iterations,
          y: c.mean,
          name: label,
          legendgroup: label,
          showlegend: !legendShown.has(label),
          line: { color: colour(CATEGORICAL, j), width: 2.5, dash: schedules.indexOf(c.schedule) > 0 ? 'dash' : 'solid' },
          marker: { symbol: symbol(j), size: 7 },
          hovertemplate: `${c.strategy}, ${size}, ${temperatureLabel(t)}<br>n=%{x}: %{y:.4g} nats/char (${c.seeds} seeds)<extra></extra>`,
          ...axes.trace,
        });
        legendShown.add(label);
      }
      const bigram = data.bigram[size];
      if (bigram !== undefined && panel.length > 0) {
        const x = [Math.min(...xs), Math.max(...xs)];
        traces.push({
          type: 'scatter',
          mode: 'lines',
          x,
          y: [bigram, bigram],
          name: 'bigram baseline',
          legendgroup: 'bigram baseline',
          showlegend: !legendShown.has('bigram baseline'),
          line: { color: NEUTRAL.reference, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash },
          hovertemplate: `bigram on generation 1's training text: %{y:.4g} nats/char<extra></extra>`,
          ...axes.trace,
        });
        legendShown.add('bigram baseline');
      }
    });
  });
  return { data: traces, layout };
}

/** Honest about what was run: the schedule, the seeds, what the bands are, the sizes, what is missing. */
export function lmSweepCaption(data: LmSweepData): string {
  const seeds = [...new Set(data.curves.map((c) => c.seeds))].sort((a, b) => a - b);
  const counts = seeds.length === 1 ? `${seeds[0]}` : `${seeds[0]}–${seeds[seeds.length - 1]}`;
  const generations = Math.max(...data.curves.map((c) => c.iterations.length));
  return [
    `Sweep ${data.sweep}: a character-level transformer trained from scratch each generation on ${data.corpora.join(' and ')} (a stand-in for the paper's GPT-2/Llama-2 on TinyStories, arXiv 2404.01413 Fig. 3), ${generations} generation${generations === 1 ? '' : 's'}; the test loss is the ${data.metric}.`,
    Object.keys(data.schedules).length === 1
      ? `Schedule: ${Object.values(data.schedules)[0]}.`
      : `Schedules: ${Object.entries(data.schedules).map(([k, v]) => `${k}: ${v}`).join('; ')} (solid and dashed, in that order).`,
    seeds[seeds.length - 1] > 1
      ? `Lines: the mean over ${counts} seeds (sweep cells); bands: 95% Student-t intervals over those seeds (an approximation for non-normal losses; few seeds give wide bands).`
      : 'One seed per line: no interval, so differences between lines may be noise.',
    'Dash-dot: a bigram model fit on generation 1\'s real training text (Witten–Bell), the reference a first-generation model should beat.',
    `Model sizes: ${[...new Set([...data.curves].sort((a, b) => a.parameters - b.parameters).map((c) => `${c.size} (${c.parameters} parameters)`))].join('; ')}: far smaller than the paper's, so compare trends with the paper's (there replace rises, faster at low temperature, and accumulate stays flat), not absolute numbers (per character here, per token there).`,
    ...(data.complete < data.cells ? [`Only ${data.complete} of the sweep's ${data.cells} cells are complete.`] : []),
    `Data: ${data.source}.`,
  ].join(' ');
}

export function lmSweepCsv(data: LmSweepData): string {
  return toCsv(['size', 'parameters', 'temperature', 'strategy', 'schedule', 'seeds', 'iteration', 'test_ce', 'ci95_low', 'ci95_high', 'bigram'], data.curves.flatMap((c) =>
    c.iterations.map((n, i) => [c.size, c.parameters, c.temperature, c.strategy, c.schedule, c.seeds, n, c.mean[i], c.ci95Low[i], c.ci95High[i], data.bigram[c.size] ?? null]),
  ));
}

/** The sweep's complete cells as figure data, or why there is nothing to plot. */
export async function readLmSweep(file: string, dir: string | undefined): Promise<LmSweepData | Skipped> {
  const how = `run \`npx collapse sweep run ${LM_SWEEP_FILE}\` (or set ${LM_SWEEP_ENV}=FILE, and ${LM_SWEEP_DIR_ENV}=DIR for its cells)`;
  const [{ loadSweep }, { readCells }, { cellGroups }] = await Promise.all([import('../sweep/spec.js'), import('../sweep/collect.js'), import('../sweep/groups.js')]);
  let sweep;
  try {
    sweep = loadSweep(file, dir);
  } catch (error) {
    return { skipped: `${(error as Error).message}: ${how}` };
  }
  if (sweep.command.name !== 'neural') return { skipped: `${file} is a sweep of collapse ${sweep.command.name}, not of collapse neural --model lm` };
  const { cells } = readCells(sweep);
  if (cells.length === 0) return { skipped: `no complete cell of ${file} under ${sweep.out}: ${how}` };
  const dirOf = new Map(sweep.cells.map((c) => [c.id, c.dir]));
  const results = new Map<string, Record<string, NeuralPartReport>>();
  const report = (cell: string, part: string | undefined) => {
    if (!results.has(cell)) results.set(cell, JSON.parse(readFileSync(join(dirOf.get(cell) as string, 'results.json'), 'utf8')));
    return (results.get(cell) as Record<string, NeuralPartReport>)[part ?? ''];
  };
  const groups = cellGroups(sweep.command.name, cells).map((group) => ({ group, reports: group.cells.map((c) => report(c, group.part)) }));
  try {
    return lmSweepData(sweep.name, `${file} (cells in ${sweep.out})`, groups, cells.length, sweep.cells.length);
  } catch (error) {
    return { skipped: (error as Error).message };
  }
}

export const lmSizeTemperature: Figure = {
  id: 'lm-size-temperature',
  title: 'Language model: replace vs accumulate by model size and sampling temperature',
  async make(context: FigureContext): Promise<FigureOutput | Skipped> {
    const file = resolve(process.env[LM_SWEEP_ENV] ?? join(context.root, LM_SWEEP_FILE));
    const data = await readLmSweep(file, process.env[LM_SWEEP_DIR_ENV]);
    if ('skipped' in data) return data;
    const { sizes, temperatures } = grid(data);
    return {
      figure: buildLmSweepFigure(data),
      caption: lmSweepCaption(data),
      data,
      csv: lmSweepCsv(data),
      image: { width: 160 + 360 * temperatures.length, height: 170 + 280 * sizes.length, scale: 2 },
    };
  },
};
