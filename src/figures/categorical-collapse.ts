/**
 * Categorical (token) collapse: the collision probability E Σ p_i² and the share of real outcomes still produced, per
 * generation, for replace, accumulate, fresh:0.5 and augment:1 on Zipf(1) over K outcomes; Monte Carlo with its 95%
 * band, the exact theory dashed (proofs/categorical.md K1, K2, K4, K5) where it exists.
 */
import { runCategorical, type CategoricalConfig } from '../experiments/categorical.js';
import type { GaussianIterationRow } from '../experiments/gaussian.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { staggeredMarkerSizes } from './accumulation-bound.js';
import { CATEGORICAL, colour, LINE_STYLES, NEUTRAL, symbol } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, interval, lineStyleKey, logAxis, toCsv } from './plotly.js';

export interface CategoricalFigureSettings {
  categories: number;
  zipf: number;
  samples: number;
  iterations: number;
  trials: number;
}

export interface CategoricalCurve {
  strategy: string;
  command: string;
  iterations: GaussianIterationRow[];
}

export interface CategoricalFigureData {
  settings: CategoricalFigureSettings;
  curves: CategoricalCurve[];
}

export const FULL_CATEGORICAL: CategoricalFigureSettings = { categories: 200, zipf: 1, samples: 100, iterations: 60, trials: 2000 };
export const QUICK_CATEGORICAL: CategoricalFigureSettings = { categories: 200, zipf: 1, samples: 100, iterations: 40, trials: 500 };
const STRATEGIES = ['replace', 'accumulate', 'fresh:0.5', 'augment:1'];

export async function computeCategorical(settings: CategoricalFigureSettings, context: Pick<FigureContext, 'seed'>): Promise<CategoricalFigureData> {
  const curves: CategoricalCurve[] = [];
  for (const strategy of STRATEGIES) {
    const config: CategoricalConfig = { strategy, counts: null, ...settings, seed: context.seed + 4000 + curves.length };
    const report = await runCategorical(config);
    const command = `npx collapse categorical --strategy ${strategy} --categories ${settings.categories} --zipf ${settings.zipf} --samples ${settings.samples} --iterations ${settings.iterations} --trials ${settings.trials} --seed ${config.seed}`;
    curves.push({ strategy, command, iterations: report.iterations });
  }
  return { settings, curves };
}

/**
 * Left: E Σ p_i² (log y, labelled by full values); right: surviving outcomes / K. Monte Carlo solid with its 95% band and
 * staggered markers (one symbol per strategy), exact theory dashed, in the strategy's colour; a key to the line styles in the legend.
 */
export function buildCategorical(data: CategoricalFigureData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const K = data.settings.categories;
  const panels: { pick: (r: GaussianIterationRow) => { mean: number; ci95: [number, number]; theory: number | null } }[] = [
    { pick: (r) => ({ mean: r.mean, ci95: interval(r), theory: r.theory }) },
    { pick: (r) => ({ mean: r.metrics.surviving.mean / K, ci95: [r.metrics.surviving.ci95[0] / K, r.metrics.surviving.ci95[1] / K], theory: r.metrics.surviving.theory === null ? null : r.metrics.surviving.theory / K }) },
  ];
  // everything the log panel draws, so its range and decade ticks cover every line and band
  const collision = data.curves.flatMap((c) => c.iterations.flatMap((r) => [r.mean, interval(r)[0], interval(r)[1], r.theory ?? r.mean]));
  const collisionAxis = logAxis(collision);
  const floor = 10 ** ((collisionAxis.range as number[] | undefined)?.[0] ?? -12);
  panels.forEach((panel, k) => {
    const axes = axisRef(k).trace;
    data.curves.forEach((curve, i) => {
      const c = colour(CATEGORICAL, i);
      const x = curve.iterations.map((r) => r.iteration);
      const values = curve.iterations.map(panel.pick);
      traces.push(bandTrace(x, values.map((v) => v.ci95[0]), values.map((v) => v.ci95[1]), { colour: c, legendgroup: curve.strategy, axes, ...(k === 0 ? { floor } : {}) }));
      traces.push({
        type: 'scatter',
        mode: 'lines+markers',
        x,
        y: values.map((v) => v.mean),
        name: curve.strategy,
        legendgroup: curve.strategy,
        showlegend: k === 0,
        line: { color: c, width: LINE_STYLES.monteCarlo.width, dash: LINE_STYLES.monteCarlo.dash },
        // accumulate and augment:1 keep the same support (K5): their lines coincide, their staggered markers do not
        marker: { color: c, symbol: symbol(i), size: staggeredMarkerSizes(x.length, i, data.curves.length), line: { width: 1, color: NEUTRAL.ink } },
        opacity: 0.75,
        hovertemplate: `${curve.strategy}<br>n=%{x}: %{y:.4g} (Monte Carlo mean)<extra></extra>`,
        ...axes,
      });
      if (values.every((v) => v.theory !== null)) {
        traces.push({
          type: 'scatter',
          mode: 'lines',
          x,
          y: values.map((v) => v.theory),
          name: `${curve.strategy} theory`,
          legendgroup: curve.strategy,
          showlegend: false,
          line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
          hovertemplate: `${curve.strategy}<br>n=%{x}: %{y:.4g} (exact theory)<extra></extra>`,
          ...axes,
        });
      }
    });
  });
  traces.push(...lineStyleKey(['monteCarlo', 'theory']));
  const s = data.settings;
  const generations = { type: 'linear', range: [1, s.iterations], title: { text: 'generation n' }, ...AXIS_STYLE };
  return {
    data: traces,
    layout: {
      title: { text: `Categorical resampling: Zipf(${s.zipf}) over K = ${s.categories} outcomes, m = ${s.samples} draws per data set`, x: 0.5 },
      grid: { rows: 1, columns: 2, pattern: 'independent', xgap: 0.12 },
      xaxis: generations,
      yaxis: { ...collisionAxis, title: { text: 'collision probability E Σ pᵢ² (log scale)' }, ...AXIS_STYLE },
      xaxis2: generations,
      yaxis2: { type: 'linear', rangemode: 'tozero', title: { text: `share of the K = ${s.categories} outcomes still produced` }, ...AXIS_STYLE },
      // constant item sizing draws legend lines 5 px wide, so a dash is 15 px: 60 px shows the key's dashes as dashes
      legend: { title: { text: 'strategy (colour and marker)' }, itemsizing: 'constant', itemwidth: 60, tracegroupgap: 6 },
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function categoricalCsv(data: CategoricalFigureData): string {
  const rows = data.curves.flatMap((curve) =>
    curve.iterations.map((r) => [curve.strategy, r.iteration, r.mean, interval(r)[0], interval(r)[1], r.theory, r.metrics.surviving.mean, r.metrics.surviving.theory, r.metrics.tailMassLost.mean, r.metrics.tailMassLost.theory]),
  );
  return toCsv(['strategy', 'iteration', 'collision', 'ci95_low', 'ci95_high', 'theory', 'surviving', 'surviving_theory', 'tail_mass_lost', 'tail_mass_lost_theory'], rows);
}

export function categoricalCaption(data: CategoricalFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Fit the empirical distribution of m = ${s.samples} draws from Zipf(${s.zipf}) over K = ${s.categories} outcomes, draw m new items from the fit, refit (Wright–Fisher under replace): ${s.iterations} generations, ${s.trials.toLocaleString('en')} trials per curve, through the generation loop.`,
    'Solid with markers: the Monte Carlo mean with its 95% band (shaded); dashed: exact theory. Left: the collision probability (log scale); replace rises to 1 (one outcome left) as 1 − (1 − 1/m)ⁿ(1 − S₀) (proofs/categorical.md#K1), the other strategies follow the exact second-moment recursion K2 (dashed). Right: the share of outcomes the model still produces; replace loses the tail for good (exact, K4), accumulate and augment keep exactly the first sample\'s support (K5), so their lines lie on one another and only their markers tell them apart, fresh real data bring outcomes back (Monte Carlo only).',
  ];
  if (quick) parts.push(`--quick: ${s.iterations} generations and ${s.trials.toLocaleString('en')} trials instead of ${FULL_CATEGORICAL.iterations} and ${FULL_CATEGORICAL.trials.toLocaleString('en')}.`);
  parts.push(`Curves: ${data.curves.map((c) => c.command).join('; ')}.`);
  return parts.join(' ');
}

export const categoricalCollapse: Figure = {
  id: 'categorical-collapse',
  title: 'Categorical resampling: replace collapses to one token and loses the tail; keeping real data stops it',
  measures: { collapsingVariance: 'the collision probability E Σ pᵢ², one minus the diversity', tailDisappearance: 'the share of outcomes still produced' },
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = await computeCategorical(context.quick ? QUICK_CATEGORICAL : FULL_CATEGORICAL, context);
    return { figure: buildCategorical(data), caption: categoricalCaption(data, context.quick), data, csv: categoricalCsv(data), image: { width: 1200, height: 560, scale: 2 } };
  },
};
