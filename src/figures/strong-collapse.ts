/**
 * Strong model collapse (Dohmatob et al., ICLR 2025) in least squares: the test error against the number of rows n
 * on log–log axes, for clean labels and for shares p₂ of labels from a shifted teacher w* + Δ. Lines: the exact
 * expectation over a Gaussian design (proofs/strong-collapse.md#S2); markers with 95% intervals: the Monte Carlo of
 * src/experiments/strong.ts; dash-dotted: each share's floor p₂²‖Δ‖² (S3), which the error approaches and never crosses.
 */
import { runStrong, type StrongScalingRow } from '../experiments/strong.js';
import { strongCollapseError, teacherRows } from '../theory/strong-collapse.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES, POINT_STYLE } from './palette.js';
import { AXIS_STYLE, interval, lineStyleKey, logAxis, toCsv } from './plotly.js';

export interface StrongFigureSettings {
  dim: number;
  noise: number;
  shift: number;
  shares: number[];
  /** n from dim + 4 to this, exact curve points */
  maxSamples: number;
  /** where the Monte Carlo is drawn */
  monteCarloSizes: number[];
  trials: number;
}

export interface StrongCurve {
  share: number;
  label: string;
  /** [n, E‖ŵ − w*‖²] exact (S2) */
  exact: [number, number][];
  monteCarlo: StrongScalingRow[];
  /** p₂²‖Δ‖², null for clean data */
  floor: number | null;
}

export interface StrongFigureData {
  settings: StrongFigureSettings;
  command: string;
  curves: StrongCurve[];
}

export const FULL_STRONG: StrongFigureSettings = { dim: 5, noise: 1, shift: 1, shares: [0, 0.05, 0.1, 0.2, 0.4], maxSamples: 1e5, monteCarloSizes: [20, 100, 1000, 10_000], trials: 400 };
export const QUICK_STRONG: StrongFigureSettings = { ...FULL_STRONG, maxSamples: 1e4, monteCarloSizes: [20, 100, 1000], trials: 100 };

const label = (share: number) => (share === 0 ? 'clean (p₂ = 0)' : `teacher share p₂ = ${share}`);

export async function computeStrong(settings: StrongFigureSettings, context: Pick<FigureContext, 'seed'>): Promise<StrongFigureData> {
  const { dim: d, noise, shift } = settings;
  const grid: number[] = [];
  for (let e = Math.log10(d + 4); e <= Math.log10(settings.maxSamples) + 1e-9; e += 0.0625) grid.push(Math.round(10 ** e));
  const seed = context.seed + 4000;
  const curves: StrongCurve[] = [];
  for (const [i, share] of settings.shares.entries()) {
    const report = await runStrong({
      strategy: 'replace', chain: 'mixed', dim: d, noise, shift, 'teacher-share': share, samples: d + 2, sizes: settings.monteCarloSizes, iterations: 1, trials: settings.trials, seed: seed + i,
    });
    curves.push({
      share,
      label: label(share),
      exact: [...new Set(grid)].map((n): [number, number] => [n, strongCollapseError({ sigma2: noise, dim: d, samples: n, teacher: teacherRows(n, share), shift2: shift * shift }).total]),
      monteCarlo: report.scaling,
      floor: share === 0 ? null : share * share * shift * shift,
    });
  }
  return { settings, command: `collapse strong --dim ${d} --noise ${noise} --shift ${shift} --sizes ${settings.monteCarloSizes.join(',')} --trials ${settings.trials} --teacher-share p₂ (seed ${seed} + curve index)`, curves };
}

/**
 * One colour per share: the exact expectation dashed (theory), the Monte Carlo as open circles with 95% error bars,
 * the floor dash-dotted; log–log axes labelled by full values; a key to the line styles in the legend.
 */
export function buildStrong(data: StrongFigureData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const xs = data.curves.flatMap((c) => [...c.exact.map((e) => e[0]), ...c.monteCarlo.map((r) => r.samples)]);
  const ys = data.curves.flatMap((c) => [...c.exact.map((e) => e[1]), ...c.monteCarlo.flatMap((r) => [r.mean, interval(r)[0], interval(r)[1]]), ...(c.floor === null ? [] : [c.floor])]);
  data.curves.forEach((curve, i) => {
    const c = colour(CATEGORICAL, i);
    const n = curve.exact.map((e) => e[0]);
    traces.push({
      type: 'scatter', mode: 'lines', x: n, y: curve.exact.map((e) => e[1]), name: `${curve.label} theory`, legendgroup: curve.label, showlegend: false,
      line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
      hovertemplate: `${curve.label}<br>n=%{x}: %{y:.4g} (exact over the design)<extra></extra>`,
    });
    traces.push({
      type: 'scatter', mode: 'markers', x: curve.monteCarlo.map((r) => r.samples), y: curve.monteCarlo.map((r) => r.mean),
      error_y: { type: 'data', symmetric: false, array: curve.monteCarlo.map((r) => interval(r)[1] - r.mean), arrayminus: curve.monteCarlo.map((r) => r.mean - interval(r)[0]), color: c, thickness: 1.5 },
      name: curve.label, legendgroup: curve.label, showlegend: true, legendrank: i + 1,
      marker: { color: c, symbol: POINT_STYLE.symbol, size: POINT_STYLE.size, line: { width: POINT_STYLE.lineWidth } },
      hovertemplate: `${curve.label}<br>n=%{x}: %{y:.4g} (Monte Carlo mean)<extra></extra>`,
    });
    if (curve.floor !== null) {
      traces.push({
        type: 'scatter', mode: 'lines', x: [n[0], n[n.length - 1]], y: [curve.floor, curve.floor], name: `${curve.label} floor`, legendgroup: curve.label, showlegend: false,
        line: { color: c, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash },
        hovertemplate: `${curve.label}: floor p₂²‖Δ‖² = %{y:.4g}<extra></extra>`,
      });
    }
  });
  traces.push(...lineStyleKey(['monteCarloPoints', 'theory', 'reference'], undefined, { theory: 'exact expectation over the design', reference: 'floor p₂²‖Δ‖² (limit as n → ∞)' }));
  const s = data.settings;
  return {
    data: traces,
    layout: {
      title: { text: `Strong model collapse in least squares: a share of shifted-teacher labels puts a floor under the error (d = ${s.dim}, σ² = ${s.noise}, ‖Δ‖ = ${s.shift})`, x: 0.5 },
      xaxis: { ...logAxis(xs), title: { text: 'rows n (log scale)' }, ...AXIS_STYLE },
      yaxis: { ...logAxis(ys), title: { text: 'test error E‖ŵ − w*‖² (log scale)' }, ...AXIS_STYLE },
      legend: { title: { text: 'labels (colour)' }, tracegroupgap: 4 },
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function strongCsv(data: StrongFigureData): string {
  const rows = data.curves.flatMap((curve) => [
    ...curve.exact.map(([n, e]) => [curve.share, 'exact', n, e, null, null]),
    ...curve.monteCarlo.map((r) => [curve.share, 'monte-carlo', r.samples, r.mean, interval(r)[0], interval(r)[1]]),
  ]);
  return toCsv(['teacher_share', 'kind', 'samples', 'error', 'ci95_low', 'ci95_high'], rows);
}

export function strongCaption(data: StrongFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Fixed-design least squares, rows N(0, I_${s.dim}), label noise σ² = ${s.noise}: of n rows, n₂ = round(p₂n) carry labels from a teacher w* + Δ (‖Δ‖ = ${s.shift}), the rest from w* (Dohmatob et al., ICLR 2025, "Strong model collapse").`,
    'Dashed lines: the exact expected error σ²d/(n − d − 1) + ‖Δ‖²[n₂(n₂+2)/(n(n+2)) + n₁n₂(n+1)(d−1)/((n−1)n(n+2)(n−d−1))] (proofs/strong-collapse.md#S2). Clean labels fall like d/n; any share p₂ > 0 levels off at the floor p₂²‖Δ‖² (dash-dotted, S3), which more data never removes.',
    `Open circles: Monte Carlo means with 95% intervals as bars (host float64, ${data.command}).`,
  ];
  if (quick) parts.push(`--quick: n up to ${s.maxSamples} and ${s.trials} designs per point instead of ${FULL_STRONG.maxSamples} and ${FULL_STRONG.trials}.`);
  return parts.join(' ');
}

export const strongCollapse: Figure = {
  id: 'strong-collapse',
  title: 'Strong model collapse: a fixed share of shifted-teacher labels puts a floor under least squares',
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = await computeStrong(context.quick ? QUICK_STRONG : FULL_STRONG, context);
    return { figure: buildStrong(data), caption: strongCaption(data, context.quick), data, csv: strongCsv(data), image: { width: 1000, height: 620, scale: 2 } };
  },
};
