/**
 * Neural model collapse: test loss on held-out real data against the iteration, one panel per family (lm, vae,
 * diffusion), one line per strategy (replace vs accumulate), from a `collapse neural` run directory's results.json.
 * The gallery does not train models (minutes on 2 cores): it plots the run named by COLLAPSE_NEURAL_RUN, else
 * <repository>/neural-run, and is skipped with a note when there is none. `collapse neural --out DIR` writes the
 * figure's data itself (neural-collapse.json, neural-collapse.csv).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NEURAL_FAMILIES } from '../models/neural/index.js';
import type { NeuralPartReport } from '../experiments/neural.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject, Skipped } from './figure.js';
import { CATEGORICAL, colour, symbol } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, toCsv } from './plotly.js';

export const NEURAL_RUN_ENV = 'COLLAPSE_NEURAL_RUN';

/** Families in panel order (the registry's, the paper's), then any other in the order met. */
function families(reports: readonly NeuralPartReport[]): string[] {
  const met = [...new Set(reports.map((r) => r.model))];
  const registered = NEURAL_FAMILIES.map((entry) => entry.name);
  return [...registered.filter((m) => met.includes(m)), ...met.filter((m) => !registered.includes(m))];
}

/**
 * The unit of a family's metric for its axis. Metrics read like 'test negative ELBO (nats/image)': the first clause
 * of the parenthesis is the unit. The diffusion loss is an MSE of the noise ε ~ N(0, 1) added in standardised
 * coordinates, a pure number, so its axis says so rather than showing no unit.
 */
export function metricUnit(metric: string): string {
  const inside = /\(([^)]*)\)/.exec(metric)?.[1];
  const unit = inside?.split(/[,;]/)[0].trim();
  if (!unit) return 'unit not stated by the family';
  return /ε-MSE/.test(unit) ? `${unit}, unitless` : unit;
}

/** One panel per family side by side, a line per strategy with the same colour in every panel. */
export function buildNeuralFigure(reports: readonly NeuralPartReport[]): PlotlyFigure {
  if (reports.length === 0) throw new Error('neural-collapse: no runs to plot');
  const models = families(reports);
  const strategies = [...new Set(reports.map((r) => r.strategy))];
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: 'Neural model collapse: test loss on held-out real data, replace vs accumulate (scaled-down stand-ins)', x: 0.5 },
    grid: { rows: 1, columns: models.length, pattern: 'independent', xgap: 0.17 },
    annotations: [] as PlotlyObject[],
    legend: { title: { text: 'strategy' } },
    margin: { l: 70, r: 20, t: 90, b: 60 },
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
  };
  models.forEach((model, k) => {
    const axes = axisRef(k);
    const panel = reports.filter((r) => r.model === model);
    layout[axes.xaxis] = { type: 'linear', dtick: 1, title: { text: 'iteration n' }, ...AXIS_STYLE };
    const metric = panel[0].metric;
    const name = metric.split('(')[0].trim();
    layout[axes.yaxis] = { type: 'linear', title: { text: `test loss (${metricUnit(metric)})` }, ...AXIS_STYLE };
    (layout.annotations as PlotlyObject[]).push({ text: `${model}: ${name}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.08, showarrow: false, font: { size: 15 } });
    // legend entries by schedule kind (shared by the panels); the amounts per family are in the caption
    const schedules = [...new Set(reports.map((r) => r.schedule.kind))];
    for (const report of panel) {
      const j = strategies.indexOf(report.strategy);
      // --seeds K: the 95% t-band over the seeds; a second schedule dashed, named in the legend
      const x = report.iterations.map((r) => r.iteration);
      const label = schedules.length > 1 ? `${report.strategy} (${report.schedule.kind})` : report.strategy;
      if (report.iterations.every((r) => r.ci95 !== null)) {
        traces.push(bandTrace(x, report.iterations.map((r) => (r.ci95 as [number, number])[0]), report.iterations.map((r) => (r.ci95 as [number, number])[1]), { colour: colour(CATEGORICAL, j), legendgroup: label, axes: axes.trace }));
      }
      traces.push({
        type: 'scatter',
        mode: 'lines+markers',
        x,
        y: report.iterations.map((r) => r.mean),
        name: label,
        legendgroup: label,
        showlegend: k === 0,
        line: { color: colour(CATEGORICAL, j), width: 2.5, dash: schedules.indexOf(report.schedule.kind) > 0 ? 'dash' : 'solid' },
        marker: { symbol: symbol(j), size: 8 },
        hovertemplate: `${model}, ${report.strategy}<br>n=%{x}: %{y:.4g}<extra></extra>`,
        ...axes.trace,
      });
    }
  });
  return { data: traces, layout };
}

/** Long format: one row per part and iteration. */
export function neuralFigureCsv(reports: readonly NeuralPartReport[]): string {
  return toCsv(['model', 'strategy', 'iteration', 'test_loss', 'metric', 'schedule', 'seeds', 'ci95_low', 'ci95_high'], reports.flatMap((r) =>
    r.iterations.map((row) => [r.model, r.strategy, row.iteration, row.mean, r.metric, `${r.schedule.amount} ${r.schedule.kind}`, r.seeds ?? 1, row.ci95?.[0] ?? null, row.ci95?.[1] ?? null]),
  ));
}

export function neuralCaption(reports: readonly NeuralPartReport[], source: string): string {
  const models = families(reports);
  const lines = models.map((m) => {
    const r = reports.find((p) => p.model === m) as NeuralPartReport;
    const schedules = [...new Set(reports.filter((p) => p.model === m).map((p) => `${p.schedule.amount} ${p.schedule.kind}`))];
    return `${m}: ${r.standIn}; ${schedules.join(' (solid) vs ')}${schedules.length > 1 ? ' (dashed)' : ''} per fit.`;
  });
  const seeds = reports[0].seeds ?? 1;
  return [
    'Test loss of the model fit at each iteration, on held-out real data, under each strategy: a fresh model per iteration, m synthetic items per iteration (arXiv 2404.01413, §4).',
    ...lines,
    seeds > 1 ? `Lines: the mean over ${seeds} seeds; bands: 95% Student-t intervals (${seeds - 1} df, an approximation for non-normal losses).` : 'One seed: no interval.',
    'Scaled-down stand-ins: compare the trends (replace rising, accumulate flat or falling) with the paper, not the absolute numbers.',
    `Data: ${source}.`,
  ].join(' ');
}

/** The results.json of a neural run directory as a list of part reports, or why it cannot be read. */
export function readNeuralResults(dir: string): NeuralPartReport[] | Skipped {
  const file = join(dir, 'results.json');
  if (!existsSync(file)) return { skipped: `no neural run at ${dir}: run \`npx collapse neural --quick --out ${dir}\` (or set ${NEURAL_RUN_ENV}=DIR)` };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, NeuralPartReport>;
  const reports = Object.values(parsed);
  const ok = reports.length > 0 && reports.every((r) => typeof r.model === 'string' && typeof r.strategy === 'string' && Array.isArray(r.iterations));
  return ok ? reports : { skipped: `${file} is not the results of \`collapse neural\`` };
}

export const neuralCollapse: Figure = {
  id: 'neural-collapse',
  title: 'Neural models: replace degrades the test loss, accumulate does not',
  measures: { anyRiskIncrease: 'the test loss on held-out real data per generation' },
  async make(context: FigureContext): Promise<FigureOutput | Skipped> {
    const dir = resolve(process.env[NEURAL_RUN_ENV] ?? join(context.root, 'neural-run'));
    const reports = readNeuralResults(dir);
    if (!Array.isArray(reports)) return reports;
    return {
      figure: buildNeuralFigure(reports),
      caption: neuralCaption(reports, join(dir, 'results.json')),
      data: reports,
      csv: neuralFigureCsv(reports),
      image: { width: 1200, height: 460, scale: 2 },
    };
  },
};
