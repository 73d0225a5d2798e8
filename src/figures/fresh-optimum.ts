/**
 * The best share of fresh real data: fresh:p's error over the first model's theory error against p. Lines: the exact
 * factors Sₙ(p) = p² + (1 − p)²(Sₙ₋₁ + 1), S₁ = 1, for a few n, and the limit L(p) = (2p² − 2p + 1)/(p(2 − p))
 * (proofs/strategy-limits.md#L1), computed in exact rationals (src/theory/strategy-limits.ts) and drawn in float64;
 * the optimum p* = 1/φ with L(p*) = 1/φ (L4) marked; Monte Carlo points with 95% intervals from `collapse linear`.
 */
import { runLinear, type LinearConfig } from '../experiments/linear.js';
import { fraction, fractionToNumber } from '../core/fraction.js';
import { freshFactorsAt, freshLimit, optimiseLimit, QuadraticSqrt5 } from '../theory/strategy-limits.js';
import type { IterationRow } from '../verify/report.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { linearCommandLine } from './linear-paper.js';
import { CATEGORICAL, colour, LINE_STYLES, NEUTRAL, POINT_STYLE } from './palette.js';
import { AXIS_STYLE, interval, lineStyleKey, toCsv } from './plotly.js';

/** Settings of the fresh-optimum figure. */
export interface FreshOptimumSettings {
  dim: number;
  samples: number;
  noise: number;
  /** the exact lines are drawn at p = k/grid, k = 1 … grid */
  grid: number;
  /** the n of the exact Sₙ lines */
  horizons: number[];
  /** the shares p of the Monte Carlo points, all at n = iterations */
  shares: number[];
  iterations: number;
  /** trials of the reduced method per point */
  trials: number;
}

/** The exact lines at one p: Sₙ(p) for each horizon, and the limit L(p). */
export interface FreshGridPoint {
  p: number;
  /** Sₙ(p) for settings.horizons, in order */
  factors: number[];
  limit: number;
}

/** One Monte Carlo point: `collapse linear --strategy fresh:p` at n = iterations. */
export interface FreshPoint {
  share: number;
  command: string;
  backend: string;
  trials: number;
  /** the row of model n = iterations (mean, 95% interval, exact theory) */
  row: IterationRow;
}

/** The data of the fresh-optimum figure. */
export interface FreshOptimumData {
  settings: FreshOptimumSettings;
  /** E₁ = σ²·d/(T−d−1): the first model's theory error, the divisor of every value */
  firstError: number;
  grid: FreshGridPoint[];
  /** p* = 1/φ, L(p*) = 1/φ, and the exact statement (proofs/strategy-limits.md#L4) */
  optimum: { p: number; limit: number; statement: string };
  points: FreshPoint[];
}

export const FULL_FRESH: FreshOptimumSettings = { dim: 10, samples: 100, noise: 1, grid: 400, horizons: [2, 5, 20], shares: [0.3, 0.5, 0.618, 0.8, 1], iterations: 20, trials: 20_000 };
export const QUICK_FRESH: FreshOptimumSettings = { ...FULL_FRESH, grid: 200, trials: 1000 };

/** Sₙ(k/grid) for each horizon and L(k/grid), exactly in rationals, then as floats; k = 1 … grid. */
export function freshGrid(grid: number, horizons: readonly number[]): FreshGridPoint[] {
  const last = Math.max(...horizons);
  return Array.from({ length: grid }, (_, i) => {
    const p = fraction(i + 1, grid);
    const factors = freshFactorsAt(QuadraticSqrt5.of(p), last);
    const limit = freshLimit(p);
    if (limit === null) throw new Error('fresh:0 has no limit: the grid starts at p = 1/grid');
    return { p: fractionToNumber(p), factors: horizons.map((n) => factors[n - 1].toNumber()), limit: fractionToNumber(limit) };
  });
}

/** The golden-ratio optimum of fresh:p (proofs/strategy-limits.md#L4). */
export function freshOptimum(): FreshOptimumData['optimum'] {
  const optimum = optimiseLimit('fresh', 'p');
  if (optimum === null || optimum.limit === null) throw new Error('fresh:p has a proved optimum (L4)');
  return { p: optimum.value, limit: optimum.limit, statement: optimum.statement };
}

/** The exact lines, the optimum, and one reduced-method run per share on the shared backend (run k uses seed + 5000 + k). */
export async function computeFresh(settings: FreshOptimumSettings, context: Pick<FigureContext, 'seed' | 'backend'>): Promise<FreshOptimumData> {
  const backend = await context.backend();
  const points: FreshPoint[] = [];
  for (const share of settings.shares) {
    const config: LinearConfig = {
      strategy: `fresh:${share}`,
      dim: settings.dim,
      samples: settings.samples,
      noise: settings.noise,
      iterations: settings.iterations,
      trials: settings.trials,
      seed: context.seed + 5000 + points.length,
      method: 'reduced',
      backend: backend.name,
    };
    const report = await runLinear(config, { backend });
    points.push({ share, command: linearCommandLine(config), backend: report.backend, trials: config.trials, row: report.iterations[settings.iterations - 1] });
  }
  const { dim: d, samples: T, noise } = settings;
  return { settings, firstError: (noise * d) / (T - d - 1), grid: freshGrid(settings.grid, settings.horizons), optimum: freshOptimum(), points };
}

/** The y range: from below the optimum to a little above Sₙ(1) = 1's neighbourhood, so the minimum is readable. */
const Y_RANGE: [number, number] = [0.5, 2.5];

/**
 * Exact lines dashed (one colour per n, the limit in black), the optimum as a star with a dash-dotted vertical line,
 * the Monte Carlo (÷ E₁) as open circles with 95% bars in the colour of its n; linear axes, y clipped to Y_RANGE.
 */
export function buildFresh(data: FreshOptimumData): PlotlyFigure {
  const s = data.settings;
  const e1 = data.firstError;
  const x = data.grid.map((g) => g.p);
  const traces: PlotlyObject[] = [];
  const theoryLine = (y: number[], name: string, c: string, hover: string): PlotlyObject => ({
    type: 'scatter', mode: 'lines', x, y, name, legendgroup: name,
    line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
    hovertemplate: `${hover}<br>p=%{x:.3f}: %{y:.4g} × E₁ (exact)<extra></extra>`,
  });
  const mcColour = colour(CATEGORICAL, Math.max(0, s.horizons.indexOf(s.iterations)));
  s.horizons.forEach((n, i) => traces.push(theoryLine(data.grid.map((g) => g.factors[i]), `S${subscript(n)}(p), n = ${n}`, colour(CATEGORICAL, i), `n = ${n}`)));
  traces.push(theoryLine(data.grid.map((g) => g.limit), 'L(p) = (2p² − 2p + 1)/(p(2 − p)), n → ∞', OKABE_BLACK, 'limit L(p)'));
  traces.push({
    type: 'scatter', mode: 'lines', x: [data.optimum.p, data.optimum.p], y: Y_RANGE, name: 'p* = 1/φ', legendgroup: 'optimum', showlegend: false,
    line: { color: NEUTRAL.reference, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash }, hoverinfo: 'skip',
  });
  traces.push({
    type: 'scatter', mode: 'markers', x: [data.optimum.p], y: [data.optimum.limit], name: `optimum p* = 1/φ ≈ ${data.optimum.p.toFixed(4)}, L(p*) = 1/φ`, legendgroup: 'optimum',
    marker: { color: NEUTRAL.ink, symbol: 'star', size: 14, line: { width: 1, color: NEUTRAL.ink } },
    hovertemplate: `p* = 1/φ = %{x:.6f}<br>L(p*) = 1/φ = %{y:.6f} (exact)<extra></extra>`,
  });
  traces.push({
    type: 'scatter', mode: 'markers', x: data.points.map((q) => q.share), y: data.points.map((q) => q.row.mean / e1),
    error_y: {
      type: 'data', symmetric: false, color: mcColour, thickness: 1.5,
      array: data.points.map((q) => (interval(q.row)[1] - q.row.mean) / e1),
      arrayminus: data.points.map((q) => (q.row.mean - interval(q.row)[0]) / e1),
    },
    name: `Monte Carlo, n = ${s.iterations}`,
    marker: { color: mcColour, symbol: POINT_STYLE.symbol, size: POINT_STYLE.size, line: { width: POINT_STYLE.lineWidth } },
    hovertemplate: `fresh:%{x}<br>n=${s.iterations}: %{y:.4g} × E₁ (Monte Carlo mean)<extra></extra>`,
  });
  traces.push(...lineStyleKey(['monteCarloPoints', 'theory', 'reference'], undefined, { theory: 'exact (proofs/strategy-limits.md L1)', reference: 'p* = 1/φ (L4)' }));
  return {
    data: traces,
    layout: {
      title: { text: `The best share of fresh real data: fresh:p's error over the first model's (d = ${s.dim}, T = ${s.samples}, σ² = ${s.noise})`, x: 0.5 },
      xaxis: { type: 'linear', range: [0, 1.02], title: { text: 'share of fresh real data p' }, ...AXIS_STYLE },
      yaxis: { type: 'linear', range: Y_RANGE, title: { text: 'E‖ŵₙ − w*‖² / E₁' }, ...AXIS_STYLE },
      legend: { title: { text: 'model n (colour)' }, itemsizing: 'constant', itemwidth: 60, tracegroupgap: 4 },
      annotations: [
        { text: `p* = 1/φ ≈ ${data.optimum.p.toFixed(3)}, L = 1/φ ≈ ${data.optimum.limit.toFixed(3)}`, x: data.optimum.p, y: data.optimum.limit, xanchor: 'left', yanchor: 'bottom', ax: 30, ay: -120, showarrow: true, arrowcolor: NEUTRAL.ink, font: { size: 12 } },
      ],
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

const OKABE_BLACK = CATEGORICAL[CATEGORICAL.length - 1];

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
function subscript(n: number): string {
  return [...String(n)].map((c) => SUBSCRIPTS[Number(c)]).join('');
}

/** One row per plotted value: the exact lines (n, or 'limit'), the optimum, and the Monte Carlo points with their intervals and exact theory. */
export function freshCsv(data: FreshOptimumData): string {
  const e1 = data.firstError;
  const rows: (string | number | null)[][] = [
    ...data.grid.flatMap((g) => [...data.settings.horizons.map((n, i) => ['exact', g.p, n, g.factors[i], null, null, null, null]), ['exact', g.p, 'limit', g.limit, null, null, null, null]]),
    ['optimum', data.optimum.p, 'limit', data.optimum.limit, null, null, null, null],
    ...data.points.map((q) => ['monte-carlo', q.share, q.row.iteration, q.row.mean / e1, interval(q.row)[0] / e1, interval(q.row)[1] / e1, q.row.theory === null ? null : q.row.theory / e1, q.trials]),
  ];
  return toCsv(['kind', 'p', 'n', 'ratio', 'ratio_low', 'ratio_high', 'theory_ratio', 'trials'], rows);
}

export function freshCaption(data: FreshOptimumData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `fresh:p (each model trains on a share p of a fresh real data set and 1 − p of data labelled by the previous model): the test error of model n divided by E₁ = σ²·d/(T−d−1) = ${data.firstError.toPrecision(4)}, the theory error of the first model, against p; d = ${s.dim}, T = ${s.samples}, σ² = ${s.noise}.`,
    `Dashed lines, exact (proofs/strategy-limits.md L1, exact rationals at p = k/${s.grid} drawn in float64): Sₙ(p) = p² + (1 − p)²(Sₙ₋₁ + 1), S₁ = 1, for n = ${s.horizons.join(', ')}, and the limit L(p) = (2p² − 2p + 1)/(p(2 − p)) in black; they leave the top of the plot as p → 0, where fresh:0 is replace and Sₙ = n.`,
    `Star and dash-dotted line: the optimum p* = (√5 − 1)/2 = 1/φ ≈ ${data.optimum.p.toFixed(4)}, where L(p*) = 1/φ exactly (L4); more real data than p* makes the limit worse, not better.`,
    `Open circles: Monte Carlo means at n = ${s.iterations} with 95% intervals as bars (reduced method, ${s.trials.toLocaleString('en')} trials per point, p = ${s.shares.join(', ')}; e.g. ${data.points[0]?.command ?? 'none'}).`,
  ];
  if (quick) parts.push(`--quick: ${s.trials.toLocaleString('en')} trials per point instead of ${FULL_FRESH.trials.toLocaleString('en')}, so the bars are about ${Math.sqrt(FULL_FRESH.trials / s.trials).toFixed(1)}× as long, and a grid of ${s.grid} instead of ${FULL_FRESH.grid}.`);
  return parts.join(' ');
}

export const freshOptimumFigure: Figure = {
  id: 'fresh-optimum',
  title: 'The best share of fresh real data: p* = 1/φ',
  measures: { anyRiskIncrease: 'the test error over the first model\'s, against the share p of fresh real data', divergingRisk: 'the limit L(p), finite for every p > 0 and diverging as p → 0' },
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = await computeFresh(context.quick ? QUICK_FRESH : FULL_FRESH, context);
    return { figure: buildFresh(data), caption: freshCaption(data, context.quick), data, csv: freshCsv(data), image: { width: 1000, height: 620, scale: 2 } };
  },
};
