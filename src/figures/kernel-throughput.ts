/**
 * Kernel benchmark: Monte Carlo throughput per backend, method and size from the newest bench/results/*.json
 * (written by `npm run bench`), with the ceilings measured in the same run. Skipped, with a note, when there is none.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { axisRef, CATEGORICAL, colour, toCsv } from './plotly.js';

/** The part of bench/throughput.bench.ts's result file this figure reads. */
export interface BenchRow {
  backend: string;
  method: string;
  dim: number;
  samples: number;
  trials: number;
  iterations: number;
  medianSeconds: number;
  spread: [number, number];
  trialIterationsPerSecond: number;
  flopsPerTrialIteration: number;
  drawsPerTrialIteration: number;
  numpyRatio: number | null;
}

export interface BenchResult {
  machine: { host: string; cpus: number; cpuModel: string; node: string; date: string };
  iterations: number;
  repeats: number;
  ceilings: Record<string, { matmulGflops: number; matmulSize: number; drawsPerSecond: number }>;
  skipped: string[];
  rows: BenchRow[];
}

export interface ThroughputData {
  /** the results file, relative to the repository root */
  file: string;
  result: BenchResult;
}

function isBenchResult(value: unknown): value is BenchResult {
  const v = value as BenchResult;
  return typeof v === 'object' && v !== null && Array.isArray(v.rows) && v.rows.length > 0 && typeof v.ceilings === 'object' && typeof v.rows[0].trialIterationsPerSecond === 'number';
}

/** The newest throughput results file (by the date it records, else its mtime), or why there is none. */
export function newestBenchResult(root: string): ThroughputData | Skipped {
  const dir = join(root, 'bench', 'results');
  if (!existsSync(dir)) return { skipped: 'no bench/results/ directory: run `npm run bench` to measure throughput' };
  const found: { file: string; result: BenchResult; time: number }[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      const result: unknown = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      if (!isBenchResult(result)) continue;
      const recorded = Date.parse(result.machine?.date ?? '');
      found.push({ file: `bench/results/${name}`, result, time: Number.isFinite(recorded) ? recorded : statSync(join(dir, name)).mtimeMs });
    } catch {
      continue; // not JSON: not a results file
    }
  }
  if (found.length === 0) return { skipped: 'no throughput results in bench/results/*.json: run `npm run bench` to measure them' };
  found.sort((a, b) => b.time - a.time || b.file.localeCompare(a.file));
  return { file: found[0].file, result: found[0].result };
}

const METHOD_ORDER = ['full', 'reduced'];

function methods(result: BenchResult): string[] {
  const present = [...new Set(result.rows.map((r) => r.method))];
  return present.sort((a, b) => (METHOD_ORDER.indexOf(a) + 1 || 99) - (METHOD_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

const category = (r: BenchRow) => `${r.backend}<br>d=${r.dim}, T=${r.samples}`;

/** Per method (one panel each): a bar trace per backend, then the flop and draw ceilings, and numpy where measured. */
export function buildThroughput(data: ThroughputData): PlotlyFigure {
  const { result } = data;
  const backends = [...new Set(result.rows.map((r) => r.backend))];
  const panels = methods(result);
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: `Monte Carlo throughput by backend (${data.file}; ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.date.slice(0, 10)})`, x: 0.5, font: { size: 15 } },
    grid: { rows: 1, columns: panels.length, pattern: 'independent', xgap: 0.1 },
    barmode: 'overlay',
    legend: { orientation: 'h', y: -0.22 },
    margin: { l: 80, r: 20, t: 80, b: 90 },
    annotations: [] as PlotlyObject[],
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
  };
  const seen = new Set<string>();
  const once = (name: string) => {
    const first = !seen.has(name);
    seen.add(name);
    return first;
  };
  panels.forEach((method, k) => {
    const axes = axisRef(k);
    const rows = result.rows.filter((r) => r.method === method);
    layout[axes.xaxis] = { type: 'category', showline: true, linecolor: '#444' };
    layout[axes.yaxis] = { type: 'log', exponentformat: 'power', title: k === 0 ? { text: 'trial-iterations per second' } : undefined, showline: true, linecolor: '#444', gridcolor: '#e5e5e5' };
    (layout.annotations as PlotlyObject[]).push({ text: `method ${method}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.06, showarrow: false, font: { size: 14 } });
    backends.forEach((backend, b) => {
      const mine = rows.filter((r) => r.backend === backend);
      if (mine.length === 0) return;
      const rate = (r: BenchRow, seconds: number) => (r.trials * r.iterations) / seconds;
      traces.push({
        type: 'bar',
        x: mine.map(category),
        y: mine.map((r) => r.trialIterationsPerSecond),
        name: backend,
        legendgroup: backend,
        showlegend: once(`bar ${backend}`),
        marker: { color: colour(CATEGORICAL, b) },
        error_y: {
          type: 'data',
          symmetric: false,
          array: mine.map((r) => rate(r, r.spread[0]) - r.trialIterationsPerSecond),
          arrayminus: mine.map((r) => r.trialIterationsPerSecond - rate(r, r.spread[1])),
          color: '#333',
        },
        hovertemplate: `${backend} ${method}<br>%{x}: %{y:.3s} trial-it/s<extra></extra>`,
        ...axes.trace,
      });
    });
    const ceiling = (r: BenchRow) => result.ceilings[r.backend];
    const withCeiling = rows.filter((r) => ceiling(r));
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: withCeiling.map(category),
      y: withCeiling.map((r) => (ceiling(r).matmulGflops * 1e9) / r.flopsPerTrialIteration),
      name: 'flop ceiling (matmul kernel ÷ flops per trial-iteration)',
      legendgroup: 'flop ceiling',
      showlegend: once('flop'),
      marker: { symbol: 'line-ew-open', size: 28, color: '#d62728', line: { width: 3, color: '#d62728' } },
      hovertemplate: 'flop ceiling: %{y:.3s} trial-it/s<extra></extra>',
      ...axes.trace,
    });
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: withCeiling.map(category),
      y: withCeiling.map((r) => ceiling(r).drawsPerSecond / r.drawsPerTrialIteration),
      name: 'normal-draw ceiling (draws/s ÷ draws per trial-iteration)',
      legendgroup: 'draw ceiling',
      showlegend: once('draw'),
      marker: { symbol: 'line-ew-open', size: 28, color: '#17becf', line: { width: 3, color: '#17becf' } },
      hovertemplate: 'draw ceiling: %{y:.3s} trial-it/s<extra></extra>',
      ...axes.trace,
    });
    const peers = rows.filter((r) => r.numpyRatio !== null && r.numpyRatio > 0);
    if (peers.length > 0) {
      traces.push({
        type: 'scatter',
        mode: 'markers',
        x: peers.map(category),
        y: peers.map((r) => r.trialIterationsPerSecond / (r.numpyRatio as number)),
        name: 'numpy peer (bench/peers/numpy_full.py)',
        legendgroup: 'numpy',
        showlegend: once('numpy'),
        marker: { symbol: 'diamond', size: 10, color: '#333' },
        hovertemplate: 'numpy: %{y:.3s} trial-it/s<extra></extra>',
        ...axes.trace,
      });
    }
  });
  return { data: traces, layout };
}

export function throughputCsv(data: ThroughputData): string {
  const { result } = data;
  const rows = result.rows.map((r) => {
    const c = result.ceilings[r.backend];
    return [
      r.backend, r.method, r.dim, r.samples, r.trials, r.iterations, r.medianSeconds, r.spread[0], r.spread[1], r.trialIterationsPerSecond,
      c ? (c.matmulGflops * 1e9) / r.flopsPerTrialIteration : null,
      c ? c.drawsPerSecond / r.drawsPerTrialIteration : null,
      r.numpyRatio ? r.trialIterationsPerSecond / r.numpyRatio : null,
    ];
  });
  return toCsv(
    ['backend', 'method', 'dim', 'samples', 'trials', 'iterations', 'median_seconds', 'min_seconds', 'max_seconds', 'trial_iterations_per_second', 'flop_ceiling', 'draw_ceiling', 'numpy_trial_iterations_per_second'],
    rows,
  );
}

export function throughputCaption(data: ThroughputData): string {
  const { result } = data;
  const m = result.machine;
  return [
    `Monte Carlo throughput of the linear-regression core (accumulate, ${result.iterations} iterations) in trial-iterations per second, per gpu.js backend, method and size (d, T); bars: median of ${result.repeats} timed runs after a warm-up, whiskers: fastest and slowest run; log y axis.`,
    `Data: ${data.file} (${m.host}, ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${m.date}), written by \`npm run bench\`.`,
    'Markers: the ceilings measured in the same run, as trial-iterations per second — the matmul kernel\'s GFLOP/s (four rows of the product per cell; files before 2026-12 used one entry per cell) divided by the flops of one trial-iteration, and the normal-draw rate divided by its draws — and, for the full method, the independent numpy implementation.',
    result.skipped.length ? `Not measured: ${result.skipped.join('; ')}.` : '',
    '--quick does not change this figure: it plots stored benchmark results.',
  ]
    .filter(Boolean)
    .join(' ');
}

export const kernelThroughput: Figure = {
  id: 'kernel-throughput',
  title: 'Kernel benchmark: throughput per backend against the ceilings',
  async make(context: FigureContext): Promise<FigureOutput | Skipped> {
    const data = newestBenchResult(context.root);
    if ('skipped' in data) return data;
    return { figure: buildThroughput(data), caption: throughputCaption(data), data, csv: throughputCsv(data), image: { width: 1100, height: 600, scale: 2 } };
  },
};
