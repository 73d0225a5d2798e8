/**
 * The paper's linear-regression figure (Gerstgrasser et al. 2024, arXiv:2404.01413): d = 32, T ∈ {100, 316, 1000}
 * as columns, replace and accumulate as rows, σ² ∈ {0.01, 0.1, 1, 10, 100} as coloured lines, iterations 1–50,
 * log y; Monte Carlo solid with its 95% band, theory dashed.
 */
import { runLinear, type LinearConfig } from '../models/linear/run.js';
import type { Method } from '../models/linear/monte-carlo.js';
import type { IterationRow } from '../verify/report.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { axisRef, bandTrace, colour, label, SEQUENTIAL, toCsv } from './plotly.js';

export interface LinearPaperSettings {
  dim: number;
  /** columns */
  samples: number[];
  /** coloured lines */
  noises: number[];
  /** rows */
  strategies: string[];
  iterations: number;
  trials: number;
  method: Method;
}

export interface LinearPaperRun {
  strategy: string;
  samples: number;
  noise: number;
  /** the `collapse linear` command that reproduces this line alone (same backend: bit-identical) */
  command: string;
  backend: string;
  seconds: number;
  iterations: IterationRow[];
}

export interface LinearPaperData {
  settings: LinearPaperSettings;
  runs: LinearPaperRun[];
}

/** The paper's grid and procedure (full refits); 2,000 trials per line. */
export const PAPER_SETTINGS: LinearPaperSettings = {
  dim: 32,
  samples: [100, 316, 1000],
  noises: [0.01, 0.1, 1, 10, 100],
  strategies: ['replace', 'accumulate'],
  iterations: 50,
  trials: 2000,
  method: 'full',
};

/** --quick: the same grid, sampled through sufficient statistics (same distribution), with fewer trials. */
export const QUICK_SETTINGS: LinearPaperSettings = { ...PAPER_SETTINGS, trials: 1000, method: 'reduced' };

export function linearCommandLine(config: LinearConfig): string {
  return `npx collapse linear --strategy ${config.strategy} --dim ${config.dim} --samples ${config.samples} --noise ${config.noise} --iterations ${config.iterations} --trials ${config.trials} --seed ${config.seed} --method ${config.method} --backend ${config.backend}`;
}

/** Run every line of the grid on the shared backend; run k uses seed + k. */
export async function computeLinearPaper(settings: LinearPaperSettings, context: Pick<FigureContext, 'seed' | 'backend' | 'log'>): Promise<LinearPaperData> {
  const backend = await context.backend();
  const runs: LinearPaperRun[] = [];
  for (const strategy of settings.strategies) {
    for (const samples of settings.samples) {
      for (const noise of settings.noises) {
        const config: LinearConfig = {
          strategy,
          dim: settings.dim,
          samples,
          noise,
          iterations: settings.iterations,
          trials: settings.trials,
          seed: context.seed + runs.length,
          method: settings.method,
          backend: backend.name,
        };
        const report = await runLinear(config, { backend });
        runs.push({ strategy, samples, noise, command: linearCommandLine(config), backend: report.backend, seconds: report.seconds, iterations: report.iterations });
      }
    }
  }
  return { settings, runs };
}

/** Panels: rows = strategies, columns = T; in each, per σ²: band, Monte Carlo, theory (where there is one). */
export function buildLinearPaper(data: LinearPaperData): PlotlyFigure {
  const { settings } = data;
  const rows = settings.strategies.length;
  const columns = settings.samples.length;
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    grid: { rows, columns, pattern: 'independent', roworder: 'top to bottom', xgap: 0.12, ygap: 0.16 },
    title: { text: `Linear regression, d = ${settings.dim}: replace vs accumulate`, x: 0.5 },
    legend: { title: { text: 'σ² (solid: Monte Carlo,<br>dashed: theory)' } },
    margin: { l: 80, r: 20, t: 90, b: 60 },
    annotations: [] as PlotlyObject[],
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
  };
  const annotations = layout.annotations as PlotlyObject[];
  settings.strategies.forEach((strategy, row) => {
    settings.samples.forEach((samples, column) => {
      const k = row * columns + column;
      const axes = axisRef(k);
      layout[axes.xaxis] = {
        type: 'linear',
        range: [1, settings.iterations],
        title: row === rows - 1 ? { text: 'model-fitting iteration n' } : undefined,
        showline: true,
        mirror: true,
        linecolor: '#444',
        gridcolor: '#e5e5e5',
      };
      layout[axes.yaxis] = {
        type: 'log',
        exponentformat: 'power',
        title: column === 0 ? { text: `${strategy}<br>test error ‖ŵₙ − w*‖²` } : undefined,
        showline: true,
        mirror: true,
        linecolor: '#444',
        gridcolor: '#e5e5e5',
      };
      if (row === 0) {
        annotations.push({ text: `T = ${samples}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.12, showarrow: false, font: { size: 14 } });
      }
      settings.noises.forEach((noise, j) => {
        const run = data.runs.find((r) => r.strategy === strategy && r.samples === samples && r.noise === noise);
        if (!run) throw new Error(`linear-paper: no run for ${strategy}, T=${samples}, σ²=${noise}`);
        const x = run.iterations.map((r) => r.iteration);
        const mean = run.iterations.map((r) => r.mean);
        const group = `σ² = ${label(noise)}`;
        const c = colour(SEQUENTIAL, j);
        const floor = Math.min(...mean.filter((m) => m > 0)) / 10;
        traces.push(bandTrace(x, run.iterations.map((r) => (r.ci95?.[0] ?? NaN)), run.iterations.map((r) => (r.ci95?.[1] ?? NaN)), { colour: c, legendgroup: group, axes: axes.trace, floor }));
        traces.push({
          type: 'scatter',
          mode: 'lines',
          x,
          y: mean,
          name: group,
          legendgroup: group,
          showlegend: k === 0,
          line: { color: c, width: 3 },
          opacity: 0.6,
          hovertemplate: `${strategy}, T=${samples}, ${group}<br>n=%{x}: %{y:.4g} (Monte Carlo)<extra></extra>`,
          ...axes.trace,
        });
        if (run.iterations.every((r) => r.theory !== null)) {
          traces.push({
            type: 'scatter',
            mode: 'lines',
            x,
            y: run.iterations.map((r) => r.theory),
            name: `${group} theory`,
            legendgroup: group,
            showlegend: false,
            line: { color: c, width: 1.5, dash: 'dash' },
            hovertemplate: `${strategy}, T=${samples}, ${group}<br>n=%{x}: %{y:.4g} (theory)<extra></extra>`,
            ...axes.trace,
          });
        }
      });
    });
  });
  return { data: traces, layout };
}

export function linearPaperCsv(data: LinearPaperData): string {
  const rows = data.runs.flatMap((run) =>
    run.iterations.map((r) => [run.strategy, data.settings.dim, run.samples, run.noise, r.iteration, r.mean, r.stderr, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.z]),
  );
  return toCsv(['strategy', 'dim', 'samples', 'noise', 'iteration', 'mean', 'stderr', 'ci95_low', 'ci95_high', 'theory', 'z'], rows);
}

export function linearPaperCaption(data: LinearPaperData, quick: boolean): string {
  const s = data.settings;
  const how =
    s.method === 'full'
      ? 'method full: every model refit by least squares on freshly sampled labels, the paper\'s procedure'
      : 'method reduced: the same estimators sampled through sufficient statistics (the eigenvalues of XᵀX), same distribution as full refits';
  const parts = [
    `Test error ‖ŵₙ − w*‖² of fixed-design linear regression over ${s.iterations} model-fitting iterations: d = ${s.dim}, T ∈ {${s.samples.join(', ')}} (columns), ${s.strategies.join(' and ')} (rows), σ² ∈ {${s.noises.map(label).join(', ')}} (colours); log y axis.`,
    `Solid: Monte Carlo mean over ${s.trials.toLocaleString('en')} trials per line (${how}); shaded: its 95% confidence interval; dashed: theory, σ²·d/(T−d−1)·n for replace and σ²·d/(T−d−1)·Σᵢ₌₁ⁿ 1/i² for accumulate.`,
    'Replace grows linearly without bound; accumulate stays below π²/6 times the first error.',
  ];
  if (quick) {
    const ratio = Math.sqrt(PAPER_SETTINGS.trials / s.trials);
    parts.push(
      `--quick: ${s.trials.toLocaleString('en')} trials per line with the reduced method instead of ${PAPER_SETTINGS.trials.toLocaleString('en')} full refits, so the bands are wider (about ${ratio.toFixed(1)}× as wide) than in the full figure.`,
    );
  }
  return parts.join(' ');
}

/** The figure, with settings chosen by --quick; tests pass smaller settings. */
export function linearPaperFigure(choose: (quick: boolean) => LinearPaperSettings = (quick) => (quick ? QUICK_SETTINGS : PAPER_SETTINGS)): Figure {
  return {
    id: 'linear-paper',
    title: 'Linear regression: replace vs accumulate (the paper\'s figure)',
    async make(context: FigureContext): Promise<FigureOutput> {
      const data = await computeLinearPaper(choose(context.quick), context);
      return {
        figure: buildLinearPaper(data),
        caption: linearPaperCaption(data, context.quick),
        data,
        csv: linearPaperCsv(data),
        image: { width: 1200, height: 720, scale: 2 },
      };
    },
  };
}

export const linearPaper = linearPaperFigure();
