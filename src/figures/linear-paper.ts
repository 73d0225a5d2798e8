/**
 * The paper's linear-regression figure (Gerstgrasser et al. 2024, arXiv:2404.01413): d = 32, T ∈ {100, 316, 1000}
 * as columns, replace and accumulate as rows, σ² ∈ {0.01, 0.1, 1, 10, 100} as coloured lines, iterations 1–50,
 * log y; Monte Carlo solid with its 95% band, theory dashed.
 */
import { runLinear, type LinearConfig } from '../experiments/linear.js';
import type { Method } from '../models/linear/monte-carlo.js';
import type { IterationRow } from '../verify/report.js';
import type { Figure, FigureContext, FigureOutput, ImageSize, PlotlyFigure, PlotlyObject } from './figure.js';
import { colour, LINE_STYLES, SEQUENTIAL } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, interval, label, lineStyleKey, logAxis, toCsv } from './plotly.js';

/** The grid of Gerstgrasser et al. 2024, Figure 2: d, T per column, σ² per line, strategies per row, N, trials and method. */
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

/** One line of the paper's figure: its rows and the `collapse linear` command that reproduces it. */
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

/** Every line of the paper's figure: the settings and one run per (strategy, T, σ²). */
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

/** The static image's size, and the layout numbers the band-width statement in the caption depends on. */
export const LINEAR_PAPER_IMAGE: ImageSize = { width: 1200, height: 720, scale: 2 };
const MARGIN = { l: 80, r: 20, t: 90, b: 60 };
const YGAP = 0.16;

function runOf(data: LinearPaperData, strategy: string, samples: number, noise: number): LinearPaperRun {
  const run = data.runs.find((r) => r.strategy === strategy && r.samples === samples && r.noise === noise);
  if (!run) throw new Error(`linear-paper: no run for ${strategy}, T=${samples}, σ²=${noise}`);
  return run;
}

/** The values a panel's log y axis must show: every mean, theory and positive band edge of its lines. */
function panelValues(data: LinearPaperData, strategy: string, samples: number): number[] {
  return data.settings.noises.flatMap((noise) =>
    runOf(data, strategy, samples, noise).iterations.flatMap((r) => [r.mean, interval(r)[0], interval(r)[1], r.theory ?? r.mean]),
  );
}

/** Panels: rows = strategies, columns = T; in each, per σ²: band, Monte Carlo, theory (where there is one). */
export function buildLinearPaper(data: LinearPaperData): PlotlyFigure {
  const { settings } = data;
  const rows = settings.strategies.length;
  const columns = settings.samples.length;
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    grid: { rows, columns, pattern: 'independent', roworder: 'top to bottom', xgap: 0.12, ygap: YGAP },
    title: { text: `Linear regression, d = ${settings.dim}: replace vs accumulate`, x: 0.5 },
    legend: { title: { text: 'σ² (colour)' }, tracegroupgap: 4 },
    margin: MARGIN,
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
        ...AXIS_STYLE,
      };
      layout[axes.yaxis] = {
        ...logAxis(panelValues(data, strategy, samples)),
        title: column === 0 ? { text: `${strategy}<br>test error ‖ŵₙ − w*‖² (log scale)` } : undefined,
        ...AXIS_STYLE,
      };
      if (row === 0) {
        annotations.push({ text: `T = ${samples}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.12, showarrow: false, font: { size: 14 } });
      }
      settings.noises.forEach((noise, j) => {
        const run = runOf(data, strategy, samples, noise);
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
          line: { color: c, width: LINE_STYLES.monteCarlo.width, dash: LINE_STYLES.monteCarlo.dash },
          opacity: LINE_STYLES.monteCarlo.opacity,
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
            line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
            hovertemplate: `${strategy}, T=${samples}, ${group}<br>n=%{x}: %{y:.4g} (theory)<extra></extra>`,
            ...axes.trace,
          });
        }
      });
    });
  });
  traces.push(...lineStyleKey(['monteCarlo', 'theory']));
  return { data: traces, layout };
}

export interface BandWidths {
  /** (high − low) / mean of the 95% interval, over every line and iteration: smallest, median, largest */
  relative: { min: number; median: number; max: number };
  /** lines whose band is thinner than the Monte Carlo line everywhere, of all lines */
  hidden: number;
  lines: number;
  /** the relative width one line width spans on the least stretched panel (the largest such width) */
  lineRelative: number;
}

/**
 * How wide the bands are, and whether they can be seen: a band's height on the page is log10(high/low) over the
 * panel's decades times the panel's height in pixels (from the image size, margins and grid gap of this layout).
 */
export function bandWidths(data: LinearPaperData, image: ImageSize = LINEAR_PAPER_IMAGE): BandWidths {
  const { settings } = data;
  const rows = settings.strategies.length;
  const cell = (image.height - MARGIN.t - MARGIN.b) / (rows + (rows - 1) * YGAP);
  const lineWidth = LINE_STYLES.monteCarlo.width;
  const relative: number[] = [];
  let hidden = 0;
  let lineRelative = 0;
  for (const strategy of settings.strategies) {
    for (const samples of settings.samples) {
      const range = logAxis(panelValues(data, strategy, samples)).range as [number, number];
      const decadesPerPixel = (range[1] - range[0]) / cell;
      lineRelative = Math.max(lineRelative, 10 ** (lineWidth * decadesPerPixel) - 1);
      for (const noise of settings.noises) {
        const rowsOf = runOf(data, strategy, samples, noise).iterations;
        let widest = 0;
        for (const r of rowsOf) {
          relative.push((interval(r)[1] - interval(r)[0]) / r.mean);
          const low = Math.max(interval(r)[0], r.mean / 10);
          widest = Math.max(widest, Math.log10(interval(r)[1] / low) / decadesPerPixel);
        }
        if (widest < lineWidth) hidden++;
      }
    }
  }
  relative.sort((a, b) => a - b);
  return {
    relative: { min: relative[0], median: relative[Math.floor(relative.length / 2)], max: relative[relative.length - 1] },
    hidden,
    lines: settings.strategies.length * settings.samples.length * settings.noises.length,
    lineRelative,
  };
}

export function linearPaperCsv(data: LinearPaperData): string {
  const rows = data.runs.flatMap((run) =>
    run.iterations.map((r) => [run.strategy, data.settings.dim, run.samples, run.noise, r.iteration, r.mean, r.stderr, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.z]),
  );
  return toCsv(['strategy', 'dim', 'samples', 'noise', 'iteration', 'mean', 'stderr', 'ci95_low', 'ci95_high', 'theory', 'z'], rows);
}

const percent = (x: number) => `${Number((100 * x).toPrecision(2))}%`;

/** Where the bands are thinner than the line, the caption says how wide they are. */
export function bandCaption(widths: BandWidths): string {
  const { relative, hidden, lines, lineRelative } = widths;
  const spread = `the 95% intervals are ${percent(relative.min)}–${percent(relative.max)} of the mean wide (median ${percent(relative.median)})`;
  if (hidden === 0) return `Bands: ${spread}.`;
  const which = hidden === lines ? 'every line' : `${hidden} of ${lines} lines`;
  return `Bands: ${spread}; on these log axes a line's width spans up to ${percent(lineRelative)} of its value, so in ${which} the band is thinner than the line and hidden under it.`;
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
    bandCaption(bandWidths(data)),
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
    measures: { anyRiskIncrease: 'the test error ‖ŵₙ − w*‖² per model', divergingRisk: 'its linear growth under replace against the bounded accumulate' },
    async make(context: FigureContext): Promise<FigureOutput> {
      const data = await computeLinearPaper(choose(context.quick), context);
      return {
        figure: buildLinearPaper(data),
        caption: linearPaperCaption(data, context.quick),
        data,
        csv: linearPaperCsv(data),
        image: LINEAR_PAPER_IMAGE,
      };
    },
  };
}

export const linearPaper = linearPaperFigure();
