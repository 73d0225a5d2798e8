/**
 * The tale of tails (Dohmatob et al. 2024) in Hutter's model: test error against the number of training samples T on
 * log–log axes, for clean data (a power law), data with the tail cut at rank k (a plateau at Σ_{i>k} p_i), and cut
 * data mixed with a clean share π (the decay comes back, delayed). Lines: the exact sums E(T; q) of
 * src/theory/tails.ts (proofs/tails.md); markers with 95% intervals: the Monte Carlo of src/experiments/hutter.ts.
 */
import { zipf } from '../models/categorical/distribution.js';
import { runTails, sourceLabel, type TailsRow } from '../experiments/hutter.js';
import { FLOAT } from '../theory/categorical.js';
import { hutterError, trainingDistribution, type TailSource } from '../theory/tails.js';
import { chainedHutterErrors, chainLabel } from '../theory/tails-chain.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { CATEGORICAL, colour, LINE_STYLES, POINT_STYLE } from './palette.js';
import { AXIS_STYLE, interval, lineStyleKey, logAxis, toCsv } from './plotly.js';

export interface TailsFigureSettings {
  contexts: number;
  zipf: number;
  /** T from 10 to this, exact curve points */
  maxSamples: number;
  /** where the Monte Carlo is drawn */
  monteCarloSizes: number[];
  trials: number;
}

export interface TailsCurve {
  label: string;
  /** [T, E(T; q)] exact */
  exact: [number, number][];
  /** Monte Carlo rows at monteCarloSizes */
  monteCarlo: TailsRow[];
  /** Σ_{i>k} p_i for a cut curve, else null */
  plateau: number | null;
}

export interface TailsFigureData {
  settings: TailsFigureSettings;
  command: string;
  curves: TailsCurve[];
}

export const FULL_TAILS: TailsFigureSettings = { contexts: 100_000, zipf: 2, maxSamples: 1e7, monteCarloSizes: [10, 100, 1000, 10_000], trials: 2000 };
export const QUICK_TAILS: TailsFigureSettings = { contexts: 20_000, zipf: 2, maxSamples: 1e6, monteCarloSizes: [10, 100, 1000], trials: 300 };

const SOURCES: TailSource[] = [
  { kind: 'clean' },
  { kind: 'cut', k: 100 },
  { kind: 'cut', k: 1000 },
  { kind: 'mix', k: 100, share: 0.1 },
  { kind: 'mix', k: 100, share: 0.3 },
];

/** Chained generations g drawn beside the sources (proofs/tails.md#H4): each trains on the previous one's sample. */
export const CHAIN_GENERATIONS: readonly number[] = [4, 40];
/** Chains: exact sums cost O(gT² + KT), so their curves stop at this T (and where the sums' budget ends). */
const CHAIN_MAX_SAMPLES = 1000;

export function computeTails(settings: TailsFigureSettings, context: Pick<FigureContext, 'seed'>): TailsFigureData {
  const p = zipf(settings.contexts, settings.zipf).probabilities;
  const grid: number[] = [];
  for (let e = 1; e <= Math.log10(settings.maxSamples) + 1e-9; e += 0.125) grid.push(Math.round(10 ** e));
  const seed = context.seed + 3000;
  const report = runTails({ contexts: settings.contexts, zipf: settings.zipf, sizes: settings.monteCarloSizes, sources: SOURCES, trials: settings.trials, seed });
  const chainSizes = settings.monteCarloSizes.filter((T) => T <= CHAIN_MAX_SAMPLES);
  const chained = runTails({ contexts: settings.contexts, zipf: settings.zipf, sizes: chainSizes, sources: [], chain: CHAIN_GENERATIONS, trials: settings.trials, seed: seed + 1 });
  const chainGrid = grid.filter((T, i) => T <= CHAIN_MAX_SAMPLES && i % 2 === 0);
  const curves = SOURCES.map((source) => {
    const q = Float64Array.from(trainingDistribution(Array.from(p), source, FLOAT));
    const label = sourceLabel(source);
    return {
      label,
      exact: grid.map((T): [number, number] => [T, hutterError(p, q, T)]),
      monteCarlo: report.iterations.filter((r) => r.curve === label),
      plateau: source.kind === 'cut' ? p.slice(source.k).reduce((s, x) => s + x, 0) : null,
    };
  });
  const chainExact = chainGrid.map((T) => chainedHutterErrors(p, T, CHAIN_GENERATIONS));
  CHAIN_GENERATIONS.forEach((g, k) => {
    const label = chainLabel(g);
    const exact = chainGrid.flatMap((T, i): [number, number][] => (chainExact[i][k] === null ? [] : [[T, chainExact[i][k] as number]]));
    curves.push({ label, exact, monteCarlo: chained.iterations.filter((r) => r.curve === label), plateau: null });
  });
  return { settings, command: `Monte Carlo: ${settings.trials} training sets per point, seed ${seed}`, curves };
}

/**
 * One colour per curve: the exact sum dashed (theory), the Monte Carlo as open circles with 95% error bars, a cut's
 * plateau dash-dotted; log–log axes labelled by full values; a key to the line styles in the legend.
 */
export function buildTails(data: TailsFigureData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const xs = data.curves.flatMap((c) => [...c.exact.map((e) => e[0]), ...c.monteCarlo.map((r) => r.samples)]);
  const ys = data.curves.flatMap((c) => [...c.exact.map((e) => e[1]), ...c.monteCarlo.flatMap((r) => [r.mean, interval(r)[0], interval(r)[1]]), ...(c.plateau === null ? [] : [c.plateau])]);
  // drawn last to first, so clean data's power law lies on top where the curves coincide (small T) and the others
  // are seen leaving it; legendrank keeps the legend in the curves' order
  [...data.curves.entries()].reverse().forEach(([i, curve]) => {
    const c = colour(CATEGORICAL, i);
    const T = curve.exact.map((e) => e[0]);
    traces.push({
      type: 'scatter',
      mode: 'lines',
      x: T,
      y: curve.exact.map((e) => e[1]),
      name: `${curve.label} theory`,
      legendgroup: curve.label,
      showlegend: false,
      line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
      hovertemplate: `${curve.label}<br>T=%{x}: %{y:.4g} (exact)<extra></extra>`,
    });
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: curve.monteCarlo.map((r) => r.samples),
      y: curve.monteCarlo.map((r) => r.mean),
      error_y: { type: 'data', symmetric: false, array: curve.monteCarlo.map((r) => interval(r)[1] - r.mean), arrayminus: curve.monteCarlo.map((r) => r.mean - interval(r)[0]), color: c, thickness: 1.5 },
      name: curve.label,
      legendgroup: curve.label,
      showlegend: true,
      legendrank: i + 1,
      marker: { color: c, symbol: POINT_STYLE.symbol, size: POINT_STYLE.size, line: { width: POINT_STYLE.lineWidth } },
      hovertemplate: `${curve.label}<br>T=%{x}: %{y:.4g} (Monte Carlo mean)<extra></extra>`,
    });
    if (curve.plateau !== null) {
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x: [T[0], T[T.length - 1]],
        y: [curve.plateau, curve.plateau],
        name: `${curve.label} plateau`,
        legendgroup: curve.label,
        showlegend: false,
        line: { color: c, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash },
        hovertemplate: `${curve.label}: plateau Σ pᵢ over i > k = %{y:.4g}<extra></extra>`,
      });
    }
  });
  traces.push(...lineStyleKey(['monteCarloPoints', 'theory', 'reference'], undefined, { theory: 'exact sum E(T; q)', reference: 'plateau of a cut: Σ pᵢ over i > k' }));
  const s = data.settings;
  return {
    data: traces,
    layout: {
      title: { text: `Tale of tails in Hutter's model: test error against training samples (Zipf β = ${s.zipf}, K = ${s.contexts.toLocaleString('en')})`, x: 0.5 },
      xaxis: { ...logAxis(xs), title: { text: 'training samples T (log scale)' }, ...AXIS_STYLE },
      yaxis: { ...logAxis(ys), title: { text: 'test error E(T; q), probability of a wrong answer (log scale)' }, ...AXIS_STYLE },
      legend: { title: { text: 'training data (colour)' }, tracegroupgap: 4 },
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function tailsCsv(data: TailsFigureData): string {
  const rows = data.curves.flatMap((curve) => [
    ...curve.exact.map(([T, e]) => [curve.label, 'exact', T, e, null, null]),
    ...curve.monteCarlo.map((r) => [curve.label, 'monte-carlo', r.samples, r.mean, interval(r)[0], interval(r)[1]]),
  ]);
  return toCsv(['curve', 'kind', 'samples', 'error', 'ci95_low', 'ci95_high'], rows);
}

/** The widest Monte Carlo 95% interval, as a percentage of its mean (one half-width, the larger side). */
export function widestInterval(data: TailsFigureData): string {
  const widths = data.curves.flatMap((c) => c.monteCarlo.filter((r) => r.mean > 0).map((r) => Math.max(interval(r)[1] - r.mean, r.mean - interval(r)[0]) / r.mean));
  return widths.length === 0 ? '0' : (100 * Math.max(...widths)).toPrecision(2);
}

export function tailsCaption(data: TailsFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Hutter's model (Hutter 2021): K = ${s.contexts.toLocaleString('en')} contexts with p_i ∝ i^−${s.zipf}, deterministic answers; a model errs on every context absent from its T training samples drawn from q.`,
    'Dashed lines: the exact error E(T; q) = Σ_i p_i (1 − q_i)^T (proofs/tails.md#H1). Clean data (q = p) fall as a power law; data whose tail is cut at rank k (q = p restricted to the top k, as a generating model that never produces rare contexts) level off at the plateau Σ_{i>k} p_i (dash-dotted, H2); mixing a clean share π back in removes the plateau, and the decay returns delayed to about πT samples (H3) — Dohmatob et al. 2024\'s "tale of tails".',
    `Chained generations (chain g=${CHAIN_GENERATIONS.join(', g=')}): generation 1 trains on T clean samples, each next generation on T samples drawn from the previous generation's sample, and model g errs on the contexts missing from its own; dashed: the exact error, the categorical family's lost real mass under replace with m = T (H4), drawn up to T = ${CHAIN_MAX_SAMPLES} where its sums are affordable. Each generation loses rare contexts for good, so the power law is pushed to larger T (by about g/2, a branching-process approximation, not plotted).`,
    `Open circles: Monte Carlo of the error given the training set, with 95% intervals as bars (${data.command}); the intervals reach at most ±${widestInterval(data)}% of the mean, so a bar shorter than its circle hides inside it; at small T, before a training set reaches the cut, the curves coincide and their circles lie on one another.`,
  ];
  if (quick) parts.push(`--quick: K = ${s.contexts.toLocaleString('en')} and ${s.trials} training sets per point instead of ${FULL_TAILS.contexts.toLocaleString('en')} and ${FULL_TAILS.trials}.`);
  return parts.join(' ');
}

export const taleOfTails: Figure = {
  id: 'tale-of-tails',
  title: 'Tale of tails: a cut tail turns the scaling law into a plateau; clean data bring the decay back',
  measures: { scalingLawChange: 'the test error against training samples T: a power law or a plateau' },
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = computeTails(context.quick ? QUICK_TAILS : FULL_TAILS, context);
    return { figure: buildTails(data), caption: tailsCaption(data, context.quick), data, csv: tailsCsv(data), image: { width: 1000, height: 620, scale: 2 } };
  },
};
