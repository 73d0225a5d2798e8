/**
 * Kernel benchmark: Monte Carlo throughput per backend, method and size from the newest bench/results/*.json
 * (written by `npm run bench`), with the reference rates measured in the same run (the file calls them ceilings; the
 * figure does not, as a bar can pass one). Skipped, with a note, when there is none.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { CATEGORICAL, colour, NEUTRAL, OKABE_ITO } from './palette.js';
import { AXIS_STYLE, axisRef, logAxis, toCsv } from './plotly.js';

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

/** Three short lines, not rotated, so no label runs past the panel's edge. */
const category = (r: BenchRow) => `${r.backend}<br>d=${r.dim}<br>T=${r.samples}`;

/** The reference rates of a row, in trial-iterations per second (null where the run measured no ceilings). */
export function referenceRates(result: BenchResult, r: BenchRow): { matmul: number; draws: number } | null {
  const c = result.ceilings[r.backend];
  return c ? { matmul: (c.matmulGflops * 1e9) / r.flopsPerTrialIteration, draws: c.drawsPerSecond / r.drawsPerTrialIteration } : null;
}

const MATMUL_NAME = 'matmul reference: the run\'s matmul GFLOP/s ÷ flops per trial-iteration (not a bound, see caption)';
const DRAW_NAME = 'normal-draw reference: draws/s ÷ draws per trial-iteration';

/** Per method (one panel each): a bar trace per backend, then the matmul and draw references, and numpy where measured. */
export function buildThroughput(data: ThroughputData): PlotlyFigure {
  const { result } = data;
  const backends = [...new Set(result.rows.map((r) => r.backend))];
  const panels = methods(result);
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: `Monte Carlo throughput by backend (${data.file}; ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.date.slice(0, 10)})`, x: 0.5, font: { size: 15 } },
    grid: { rows: 1, columns: panels.length, pattern: 'independent', xgap: 0.1 },
    barmode: 'overlay',
    legend: { orientation: 'h', y: -0.2, yanchor: 'top', x: 0, font: { size: 12 } },
    margin: { l: 80, r: 40, t: 80, b: 110 },
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
    const rate = (r: BenchRow, seconds: number) => (r.trials * r.iterations) / seconds;
    const plotted = rows.flatMap((r) => {
      const refs = referenceRates(result, r);
      const numpy = r.numpyRatio !== null && r.numpyRatio > 0 ? [r.trialIterationsPerSecond / r.numpyRatio] : [];
      return [r.trialIterationsPerSecond, rate(r, r.spread[0]), rate(r, r.spread[1]), ...(refs ? [refs.matmul, refs.draws] : []), ...numpy];
    });
    layout[axes.xaxis] = { type: 'category', tickangle: 0, showline: true, linecolor: NEUTRAL.axis };
    layout[axes.yaxis] = { ...logAxis(plotted), title: k === 0 ? { text: 'trial-iterations per second (log scale)' } : undefined, showline: true, linecolor: NEUTRAL.axis, gridcolor: AXIS_STYLE.gridcolor };
    (layout.annotations as PlotlyObject[]).push({ text: `method ${method}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.06, showarrow: false, font: { size: 14 } });
    backends.forEach((backend, b) => {
      const mine = rows.filter((r) => r.backend === backend);
      if (mine.length === 0) return;
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
          color: NEUTRAL.ink,
        },
        hovertemplate: `${backend} ${method}<br>%{x}: %{y:.3s} trial-it/s<extra></extra>`,
        ...axes.trace,
      });
    });
    const withCeiling = rows.filter((r) => referenceRates(result, r));
    const refs = withCeiling.map((r) => referenceRates(result, r) as { matmul: number; draws: number });
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: withCeiling.map(category),
      y: refs.map((x) => x.matmul),
      name: MATMUL_NAME,
      legendgroup: 'matmul reference',
      showlegend: once('flop'),
      marker: { symbol: 'line-ew-open', size: 28, color: OKABE_ITO.vermillion, line: { width: 3, color: OKABE_ITO.vermillion } },
      hovertemplate: 'matmul reference: %{y:.3s} trial-it/s<extra></extra>',
      ...axes.trace,
    });
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: withCeiling.map(category),
      y: refs.map((x) => x.draws),
      name: DRAW_NAME,
      legendgroup: 'draw reference',
      showlegend: once('draw'),
      marker: { symbol: 'line-ew-open', size: 28, color: OKABE_ITO.sky, line: { width: 3, color: OKABE_ITO.sky } },
      hovertemplate: 'normal-draw reference: %{y:.3s} trial-it/s<extra></extra>',
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
        marker: { symbol: 'diamond', size: 10, color: OKABE_ITO.black },
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
    const refs = referenceRates(result, r);
    return [
      r.backend, r.method, r.dim, r.samples, r.trials, r.iterations, r.medianSeconds, r.spread[0], r.spread[1], r.trialIterationsPerSecond,
      refs ? refs.matmul : null,
      refs ? refs.draws : null,
      r.numpyRatio ? r.trialIterationsPerSecond / r.numpyRatio : null,
    ];
  });
  return toCsv(
    ['backend', 'method', 'dim', 'samples', 'trials', 'iterations', 'median_seconds', 'min_seconds', 'max_seconds', 'trial_iterations_per_second', 'flop_ceiling', 'draw_ceiling', 'numpy_trial_iterations_per_second'],
    rows,
  );
}

const times = (x: number) => `${x.toFixed(2)}×`;

/**
 * The references are rates, not bounds: part of a trial-iteration is host float64 work, and on the cpu backend
 * the matmul kernel is gpu.js's generated JavaScript, which the host's loops outrun. Name every bar above one.
 */
export function referencesCaption(result: BenchResult): string {
  const above = result.rows.flatMap((r) => {
    const refs = referenceRates(result, r);
    if (!refs) return [];
    const over = [
      ...(r.trialIterationsPerSecond > refs.matmul ? [`${times(r.trialIterationsPerSecond / refs.matmul)} the matmul reference`] : []),
      ...(r.trialIterationsPerSecond > refs.draws ? [`${times(r.trialIterationsPerSecond / refs.draws)} the draw reference`] : []),
    ];
    return over.length ? [`${r.backend} ${r.method} d=${r.dim}, T=${r.samples} at ${over.join(' and ')}`] : [];
  });
  const why = 'They are references, not ceilings a bar cannot pass: a trial-iteration also does float64 work on the host, outside the kernels, and on the cpu backend the matmul kernel is gpu.js\'s generated JavaScript, which the host\'s own loops outrun.';
  return above.length ? `${why} Here ${above.length === 1 ? 'one bar passes a reference' : `${above.length} bars pass a reference`}: ${above.join('; ')}.` : `${why} Here every bar stays below both.`;
}

export function throughputCaption(data: ThroughputData): string {
  const { result } = data;
  const m = result.machine;
  return [
    `Monte Carlo throughput of the linear-regression core (accumulate, ${result.iterations} iterations) in trial-iterations per second, per gpu.js backend, method and size (d, T); bars: median of ${result.repeats} timed runs after a warm-up, whiskers: fastest and slowest run; log y axis.`,
    `Data: ${data.file} (${m.host}, ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${m.date}), written by \`npm run bench\`.`,
    'Markers: two reference rates measured in the same run, in trial-iterations per second — the matmul kernel\'s GFLOP/s (four rows of the product per cell; files before 2026-12 used one entry per cell) divided by the flops of one trial-iteration, and the normal-draw rate divided by its draws — and, for the full method, the independent numpy implementation.',
    referencesCaption(result),
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
