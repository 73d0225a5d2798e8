/**
 * The tale of tails (Dohmatob et al. 2024) in Hutter's model: test error against the number of training samples T on
 * log–log axes, for clean data (a power law), data with the tail cut at rank k (a plateau at Σ_{i>k} p_i), and cut
 * data mixed with a clean share π (the decay comes back, delayed). Lines: the exact sums E(T; q) of
 * src/theory/tails.ts (proofs/tails.md); markers with 95% intervals: the Monte Carlo of src/models/hutter/run.ts.
 */
import { zipf } from '../models/categorical/distribution.js';
import { runTails, sourceLabel, type TailsRow } from '../models/hutter/run.js';
import { FLOAT } from '../theory/categorical.js';
import { hutterError, trainingDistribution, type TailSource } from '../theory/tails.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { CATEGORICAL, colour } from './palette.js';
import { toCsv } from './plotly.js';

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

export function computeTails(settings: TailsFigureSettings, context: Pick<FigureContext, 'seed'>): TailsFigureData {
  const p = zipf(settings.contexts, settings.zipf).probabilities;
  const grid: number[] = [];
  for (let e = 1; e <= Math.log10(settings.maxSamples) + 1e-9; e += 0.125) grid.push(Math.round(10 ** e));
  const seed = context.seed + 3000;
  const report = runTails({ contexts: settings.contexts, zipf: settings.zipf, sizes: settings.monteCarloSizes, sources: SOURCES, trials: settings.trials, seed });
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
  return { settings, command: `Monte Carlo: ${settings.trials} training sets per point, seed ${seed}`, curves };
}

/** One colour per curve: the exact sum as a line, the Monte Carlo as markers with 95% error bars; log–log. */
export function buildTails(data: TailsFigureData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  data.curves.forEach((curve, i) => {
    const c = colour(CATEGORICAL, i);
    traces.push({ type: 'scatter', mode: 'lines', x: curve.exact.map((e) => e[0]), y: curve.exact.map((e) => e[1]), name: curve.label, legendgroup: curve.label, line: { color: c, width: 2 } });
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: curve.monteCarlo.map((r) => r.samples),
      y: curve.monteCarlo.map((r) => r.mean),
      error_y: { type: 'data', symmetric: false, array: curve.monteCarlo.map((r) => r.ci95[1] - r.mean), arrayminus: curve.monteCarlo.map((r) => r.mean - r.ci95[0]), color: c },
      name: `${curve.label} Monte Carlo`,
      legendgroup: curve.label,
      showlegend: false,
      marker: { color: c, size: 7, symbol: 'circle-open' },
    });
    if (curve.plateau !== null) {
      const xs = curve.exact.map((e) => e[0]);
      traces.push({ type: 'scatter', mode: 'lines', x: [xs[0], xs[xs.length - 1]], y: [curve.plateau, curve.plateau], name: `${curve.label} plateau Σ_{i>k} p_i`, legendgroup: curve.label, showlegend: false, line: { color: c, width: 1, dash: 'dot' } });
    }
  });
  const s = data.settings;
  return {
    data: traces,
    layout: {
      title: { text: `Tale of tails in Hutter's model: test error against training samples (Zipf β = ${s.zipf}, K = ${s.contexts.toLocaleString('en')})`, x: 0.5 },
      xaxis: { type: 'log', title: { text: 'training samples T' }, showline: true, mirror: true, linecolor: '#444', gridcolor: '#e5e5e5' },
      yaxis: { type: 'log', title: { text: 'test error E(T; q)' }, showline: true, mirror: true, linecolor: '#444', gridcolor: '#e5e5e5' },
      legend: { title: { text: 'training data<br>(line: exact sum, circles: Monte Carlo,<br>dotted: plateau of a cut)' } },
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function tailsCsv(data: TailsFigureData): string {
  const rows = data.curves.flatMap((curve) => [
    ...curve.exact.map(([T, e]) => [curve.label, 'exact', T, e, null, null]),
    ...curve.monteCarlo.map((r) => [curve.label, 'monte-carlo', r.samples, r.mean, r.ci95[0], r.ci95[1]]),
  ]);
  return toCsv(['curve', 'kind', 'samples', 'error', 'ci95_low', 'ci95_high'], rows);
}

export function tailsCaption(data: TailsFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Hutter's model (Hutter 2021): K = ${s.contexts.toLocaleString('en')} contexts with p_i ∝ i^−${s.zipf}, deterministic answers; a model errs on every context absent from its T training samples drawn from q.`,
    'Lines: the exact error E(T; q) = Σ_i p_i (1 − q_i)^T (proofs/tails.md#H1). Clean data (q = p) fall as a power law; data whose tail is cut at rank k (q = p restricted to the top k, as a generating model that never produces rare contexts) level off at the plateau Σ_{i>k} p_i (dotted, H2); mixing a clean share π back in removes the plateau, and the decay returns delayed to about πT samples (H3) — Dohmatob et al. 2024\'s "tale of tails".',
    `Circles: Monte Carlo of the error given the training set with 95% intervals (${data.command}).`,
  ];
  if (quick) parts.push(`--quick: K = ${s.contexts.toLocaleString('en')} and ${s.trials} training sets per point instead of ${FULL_TAILS.contexts.toLocaleString('en')} and ${FULL_TAILS.trials}.`);
  return parts.join(' ');
}

export const taleOfTails: Figure = {
  id: 'tale-of-tails',
  title: 'Tale of tails: a cut tail turns the scaling law into a plateau; clean data bring the decay back',
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = computeTails(context.quick ? QUICK_TAILS : FULL_TAILS, context);
    return { figure: buildTails(data), caption: tailsCaption(data, context.quick), data, csv: tailsCsv(data), image: { width: 1000, height: 620, scale: 2 } };
  },
};
