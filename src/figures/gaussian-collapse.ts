/**
 * Gaussian-fitting collapse: the fitted variance over the true one (tr Σ̂ₙ / tr Σ₀; 1-D σ̂²/σ²) per generation, for
 * replace and accumulate with the MLE and with the unbiased estimator, Monte Carlo with its 95% band and the exact
 * theory dashed where one exists (src/theory/gaussian.ts, proofs/gaussian.md), plus the median variance ratio, which
 * shows the almost-sure collapse that the unbiased estimator's flat mean hides.
 */
import { runGaussian, type GaussianConfig, type GaussianIterationRow } from '../experiments/gaussian.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, lineStyleKey, logAxis, toCsv } from './plotly.js';

/** Settings of the Gaussian-collapse figure: d, m, N and trials. */
export interface GaussianFigureSettings {
  dim: number;
  samples: number;
  iterations: number;
  trials: number;
}

/** One (strategy, estimator) curve of the Gaussian-collapse figure. */
export interface GaussianCurve {
  strategy: string;
  estimator: 'mle' | 'unbiased';
  command: string;
  seconds: number;
  iterations: GaussianIterationRow[];
}

/** The data of the Gaussian-collapse figure: settings and four curves. */
export interface GaussianFigureData {
  settings: GaussianFigureSettings;
  curves: GaussianCurve[];
}

export const FULL_GAUSSIAN: GaussianFigureSettings = { dim: 1, samples: 20, iterations: 100, trials: 20_000 };
export const QUICK_GAUSSIAN: GaussianFigureSettings = { dim: 1, samples: 20, iterations: 50, trials: 2000 };
const CURVES = [
  ['replace', 'mle'],
  ['replace', 'unbiased'],
  ['accumulate', 'mle'],
  ['accumulate', 'unbiased'],
] as const;

/** Runs replace and accumulate with the MLE and the unbiased estimator through {@link runGaussian}; curve k uses seed + 2000 + k. */
export async function computeGaussian(settings: GaussianFigureSettings, context: Pick<FigureContext, 'seed'>): Promise<GaussianFigureData> {
  const curves: GaussianCurve[] = [];
  for (const [strategy, estimator] of CURVES) {
    const config: GaussianConfig = { model: 'gaussian', strategy, estimator, variance: 'fitted', ...settings, seed: context.seed + 2000 + curves.length };
    const report = await runGaussian(config);
    const command = `npx collapse gaussian --strategy ${strategy} --estimator ${estimator} --dim ${settings.dim} --samples ${settings.samples} --iterations ${settings.iterations} --trials ${settings.trials} --seed ${config.seed}`;
    curves.push({ strategy, estimator, command, seconds: report.seconds, iterations: report.iterations });
  }
  return { settings, curves };
}

/** A row's values span more than this factor: log y (replace's geometric collapse); else linear, zoomed near 1. */
const LOG_ROW_SPAN = 4;

/**
 * A grid of panels, one per curve: rows = strategies (replace, accumulate), columns = estimators (MLE, unbiased),
 * so no two curves share a panel. In each: the mean's 95% band, the mean (solid), the exact theory (dashed) and the
 * median (dotted), in the strategy's colour. A row whose values span a wide range (replace) gets a log y axis with
 * decade labels; a row that stays near 1 (accumulate) a linear one, zoomed, so its lines can be told apart. The two
 * panels of a row share their y range.
 */
export function buildGaussian(data: GaussianFigureData): PlotlyFigure {
  const strategies = [...new Set(data.curves.map((c) => c.strategy))];
  const estimators = [...new Set(data.curves.map((c) => c.estimator))];
  const rows = strategies.length;
  const columns = estimators.length;
  const s = data.settings;
  const ratioName = s.dim === 1 ? 'σ̂²ₙ / σ²' : 'tr Σ̂ₙ / tr Σ₀';
  const traces: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: `Recursive Gaussian fitting: fitted variance over the true variance (d = ${s.dim}, m = ${s.samples})`, x: 0.5 },
    grid: { rows, columns, pattern: 'independent', roworder: 'top to bottom', xgap: 0.08, ygap: 0.2 },
    legend: { title: { text: 'strategy' }, tracegroupgap: 6 },
    annotations: [] as PlotlyObject[],
    margin: { l: 90, r: 20, t: 90, b: 60 },
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
  };
  const annotations = layout.annotations as PlotlyObject[];
  strategies.forEach((strategy, row) => {
    const curves = data.curves.filter((c) => c.strategy === strategy);
    const values = curves.flatMap((c) =>
      c.iterations.flatMap((r) => [r.mean, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.metrics.medianVarianceRatio?.mean ?? null]),
    ).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
    const log = values.length > 0 && Math.max(...values) / Math.min(...values) > LOG_ROW_SPAN;
    const pad = values.length > 0 ? 0.05 * (Math.max(...values) - Math.min(...values)) : 0;
    const yaxis = log
      ? logAxis(values)
      : { type: 'linear', ...(values.length > 0 ? { range: [Math.min(...values) - pad, Math.max(...values) + pad] } : {}) };
    const c = colour(CATEGORICAL, row);
    estimators.forEach((estimator, column) => {
      const k = row * columns + column;
      const axes = axisRef(k);
      layout[axes.xaxis] = { type: 'linear', range: [1, s.iterations], title: row === rows - 1 ? { text: 'generation n' } : undefined, ...AXIS_STYLE };
      layout[axes.yaxis] = {
        ...yaxis,
        title: column === 0 ? { text: `${strategy}<br>${ratioName} (${log ? 'log' : 'linear'} scale)` } : undefined,
        ...AXIS_STYLE,
      };
      annotations.push({ text: `${strategy}, ${estimator === 'mle' ? 'MLE' : 'unbiased'}`, xref: `${axes.x} domain`, yref: `${axes.y} domain`, x: 0.5, y: 1.02, yanchor: 'bottom', showarrow: false, font: { size: 14 } });
      const curve = curves.find((x) => x.estimator === estimator);
      if (!curve) return;
      const name = `${curve.strategy}, ${curve.estimator}`;
      const x = curve.iterations.map((r) => r.iteration);
      const floor = Math.min(...values) / 10;
      traces.push(bandTrace(x, curve.iterations.map((r) => r.ci95?.[0] ?? NaN), curve.iterations.map((r) => r.ci95?.[1] ?? NaN), { colour: c, legendgroup: strategy, axes: axes.trace, floor }));
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: curve.iterations.map((r) => r.mean),
        name: strategy,
        legendgroup: strategy,
        showlegend: column === 0,
        line: { color: c, width: LINE_STYLES.monteCarlo.width, dash: LINE_STYLES.monteCarlo.dash },
        opacity: LINE_STYLES.monteCarlo.opacity,
        hovertemplate: `${name}<br>n=%{x}: mean %{y:.4g}<extra></extra>`,
        ...axes.trace,
      });
      if (curve.iterations.every((r) => r.theory !== null)) {
        traces.push({
          type: 'scatter',
          mode: 'lines',
          x,
          y: curve.iterations.map((r) => r.theory),
          name: `${name} theory`,
          legendgroup: strategy,
          showlegend: false,
          line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
          hovertemplate: `${name}<br>n=%{x}: theory %{y:.4g}<extra></extra>`,
          ...axes.trace,
        });
      }
      const median = curve.iterations.map((r) => r.metrics.medianVarianceRatio?.mean ?? null);
      if (median.every((v) => v !== null)) {
        traces.push({
          type: 'scatter',
          mode: 'lines',
          x,
          y: median,
          name: `${name} median`,
          legendgroup: strategy,
          showlegend: false,
          line: { color: c, width: LINE_STYLES.median.width, dash: LINE_STYLES.median.dash },
          hovertemplate: `${name}<br>n=%{x}: median %{y:.4g}<extra></extra>`,
          ...axes.trace,
        });
      }
    });
  });
  traces.push(...lineStyleKey(['monteCarlo', 'theory', 'median']));
  return { data: traces, layout };
}

export function gaussianCsv(data: GaussianFigureData): string {
  const rows = data.curves.flatMap((curve) =>
    curve.iterations.map((r) => [curve.strategy, curve.estimator, r.iteration, r.mean, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.metrics.medianVarianceRatio?.mean ?? null]),
  );
  return toCsv(['strategy', 'estimator', 'iteration', 'mean_ratio', 'ci95_low', 'ci95_high', 'theory', 'median_ratio'], rows);
}

export function gaussianCaption(data: GaussianFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Fit a Gaussian to m = ${s.samples} items (d = ${s.dim}), sample m new items from the fit, refit: ${s.iterations} generations, ${s.trials.toLocaleString('en')} Monte Carlo trials per curve, through the generation loop (src/loop/).`,
    'One panel per strategy (rows) and estimator (columns), so each line can be read: a row whose ratios span more than a factor of 4 (replace) has a log y axis, one that stays near 1 (accumulate) a linear y axis zoomed to its lines; the two panels of a row share their y range.',
    'Solid: the mean of σ̂²ₙ/σ² with its 95% band; dashed: exact theory (replace with the MLE: ((m−1)/m)ⁿ; with the unbiased estimator the mean stays 1; accumulate: the exact recursion G6 of proofs/gaussian.md); dotted: the median, which falls under replace for both estimators — the variance collapses almost surely even where its mean does not — and levels off under accumulate.',
  ];
  if (quick) {
    parts.push(`--quick: ${s.iterations} generations and ${s.trials.toLocaleString('en')} trials instead of ${FULL_GAUSSIAN.iterations} and ${FULL_GAUSSIAN.trials.toLocaleString('en')}, so the bands are about ${Math.sqrt(FULL_GAUSSIAN.trials / s.trials).toFixed(1)}× as wide as in the full figure.`);
  }
  parts.push(`Curves: ${data.curves.map((c) => c.command).join('; ')}.`);
  return parts.join(' ');
}

export const gaussianCollapse: Figure = {
  id: 'gaussian-collapse',
  title: 'Gaussian fitting: replace collapses the variance, accumulate does not',
  measures: { collapsingVariance: 'the fitted variance over the true variance' },
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = await computeGaussian(context.quick ? QUICK_GAUSSIAN : FULL_GAUSSIAN, context);
    return { figure: buildGaussian(data), caption: gaussianCaption(data, context.quick), data, csv: gaussianCsv(data), image: { width: 1100, height: 760, scale: 2 } };
  },
};
