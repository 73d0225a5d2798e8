/**
 * Curation by a verifier (proofs/curation.md): three panels through the generation loop under replace.
 * Left: the 1-D Gaussian variance ratio E σ̂²_n/σ₀², uncurated and with the likelihood verifier (threshold, top
 * fraction), exact theory dashed (V3). Middle: the share of K outcomes a categorical model still produces, uncurated
 * and with the probability verifier (Monte Carlo; no closed form after model 1, V7). Right: linear regression with a
 * verifier (projecting, exact V5; filtering by residual, Monte Carlo) against the verifier's own error b², the
 * knowledge centre's level.
 */
import { runCategorical, validateCategoricalConfig } from '../experiments/categorical.js';
import { runGaussian, validateGaussianConfig, type GaussianIterationRow } from '../experiments/gaussian.js';
import { runCurate, validateCurateConfig } from '../experiments/curate.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { staggeredMarkerSizes } from './accumulation-bound.js';
import { CATEGORICAL, colour, LINE_STYLES, NEUTRAL, symbol } from './palette.js';
import { AXIS_STYLE, axisRef, bandTrace, interval, lineStyleKey, logAxis, toCsv } from './plotly.js';

export interface CurationFigureSettings {
  iterations: number;
  trials: number;
}

/** One curve: its panel (0 Gaussian, 1 categorical, 2 linear), label, command and rows (metric picked by panel). */
export interface CurationCurve {
  panel: 0 | 1 | 2;
  label: string;
  command: string;
  iterations: GaussianIterationRow[];
}

export interface CurationFigureData {
  settings: CurationFigureSettings;
  /** b², the linear verifier's own error: the level its knowledge centre holds the error at */
  verifierError: number;
  categories: number;
  curves: CurationCurve[];
}

export const FULL_CURATION: CurationFigureSettings = { iterations: 20, trials: 2000 };
export const QUICK_CURATION: CurationFigureSettings = { iterations: 10, trials: 400 };

const GAUSSIAN_RULES = [undefined, 'threshold:-1.35', 'top:0.5'];
const CATEGORICAL_RULES = [undefined, 'threshold:0.015', 'top:0.8'];
const LINEAR = [{ verifier: 'project', strength: 0.5 }, { verifier: 'residual', curate: 'threshold:-1' }];
const BIAS = 0.5;
const K = 100;

const flags = (raw: Record<string, unknown>) => Object.entries(raw).filter(([, v]) => v !== undefined).map(([k, v]) => `--${k} ${v}`).join(' ');

export async function computeCuration(settings: CurationFigureSettings, context: Pick<FigureContext, 'seed'>): Promise<CurationFigureData> {
  const curves: CurationCurve[] = [];
  const seed = () => context.seed + 7000 + curves.length;
  for (const curate of GAUSSIAN_RULES) {
    const raw = { strategy: 'replace', dim: 1, samples: 50, iterations: settings.iterations, trials: settings.trials * 5, seed: seed(), curate };
    const report = await runGaussian(validateGaussianConfig(raw));
    curves.push({ panel: 0, label: curate ?? 'no verifier', command: `npx collapse gaussian ${flags(raw)}`, iterations: report.iterations });
  }
  for (const curate of CATEGORICAL_RULES) {
    const raw = { strategy: 'replace', categories: K, samples: 100, iterations: settings.iterations, trials: settings.trials, seed: seed(), curate };
    const report = await runCategorical(validateCategoricalConfig(raw));
    curves.push({ panel: 1, label: curate ?? 'no verifier', command: `npx collapse categorical ${flags(raw)}`, iterations: report.iterations });
  }
  for (const linear of LINEAR) {
    const raw = { ...linear, bias: BIAS, dim: 5, samples: 50, iterations: settings.iterations, trials: settings.trials, seed: seed() };
    const report = await runCurate(validateCurateConfig(raw));
    curves.push({ panel: 2, label: linear.verifier === 'project' ? 'project λ=0.5' : `residual ${linear.curate}`, command: `npx collapse curate ${flags(raw)}`, iterations: report.iterations });
  }
  return { settings, verifierError: BIAS * BIAS, categories: K, curves };
}

/** The value a panel plots from a row: the trace ratio, the surviving share, the error. */
function pick(curve: CurationCurve, row: GaussianIterationRow, K: number): { mean: number; ci95: [number, number]; theory: number | null } {
  if (curve.panel !== 1) return { mean: row.mean, ci95: interval(row), theory: row.theory };
  const s = row.metrics.surviving;
  return { mean: s.mean / K, ci95: [s.ci95[0] / K, s.ci95[1] / K], theory: s.theory === null ? null : s.theory / K };
}

/** Three panels: Monte Carlo solid with its 95% band and staggered markers, exact theory dashed, b² as a reference level. */
export function buildCuration(data: CurationFigureData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const gaussianValues = data.curves.filter((c) => c.panel === 0).flatMap((c) => c.iterations.flatMap((r) => [r.mean, ...interval(r), r.theory ?? r.mean]));
  const gaussianAxis = logAxis(gaussianValues.filter((v) => v > 0));
  const floor = 10 ** ((gaussianAxis.range as number[] | undefined)?.[0] ?? -12);
  data.curves.forEach((curve, index) => {
    const i = data.curves.filter((c, j) => c.panel === curve.panel && j < index).length; // colour and marker per panel
    const c = colour(CATEGORICAL, i);
    const axes = axisRef(curve.panel).trace;
    const x = curve.iterations.map((r) => r.iteration);
    const values = curve.iterations.map((r) => pick(curve, r, data.categories));
    const name = `${['Gaussian', 'categorical', 'linear'][curve.panel]}: ${curve.label}`;
    traces.push(bandTrace(x, values.map((v) => v.ci95[0]), values.map((v) => v.ci95[1]), { colour: c, legendgroup: name, axes, ...(curve.panel === 0 ? { floor } : {}) }));
    traces.push({
      type: 'scatter',
      mode: 'lines+markers',
      x,
      y: values.map((v) => v.mean),
      name,
      legendgroup: name,
      line: { color: c, width: LINE_STYLES.monteCarlo.width, dash: LINE_STYLES.monteCarlo.dash },
      marker: { color: c, symbol: symbol(i), size: staggeredMarkerSizes(x.length, i, 3), line: { width: 1, color: NEUTRAL.ink } },
      opacity: 0.75,
      hovertemplate: `${name}<br>n=%{x}: %{y:.4g} (Monte Carlo mean)<extra></extra>`,
      ...axes,
    });
    if (values.every((v) => v.theory !== null)) {
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: values.map((v) => v.theory),
        name: `${name} theory`,
        legendgroup: name,
        showlegend: false,
        line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
        hovertemplate: `${name}<br>n=%{x}: %{y:.4g} (exact theory)<extra></extra>`,
        ...axes,
      });
    }
  });
  const N = data.settings.iterations;
  traces.push({
    type: 'scatter',
    mode: 'lines',
    x: [1, N],
    y: [data.verifierError, data.verifierError],
    name: `verifier's own error b² = ${data.verifierError}`,
    line: { color: NEUTRAL.reference, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash },
    hoverinfo: 'skip',
    ...axisRef(2).trace,
  });
  traces.push(...lineStyleKey(['monteCarlo', 'theory', 'reference']));
  const generations = { type: 'linear', range: [1, N], title: { text: 'generation n' }, ...AXIS_STYLE };
  return {
    data: traces,
    layout: {
      title: { text: 'Curation by a verifier, replace: selection speeds variance collapse and tail loss; a verifier pins regression to its own model', x: 0.5 },
      grid: { rows: 1, columns: 3, pattern: 'independent', xgap: 0.17 },
      xaxis: generations,
      yaxis: { ...gaussianAxis, title: { text: 'Gaussian, d = 1: E σ̂²ₙ/σ₀² (log scale)' }, ...AXIS_STYLE },
      xaxis2: generations,
      yaxis2: { type: 'linear', rangemode: 'tozero', title: { text: `tokens: share of K = ${data.categories} still produced` }, ...AXIS_STYLE },
      xaxis3: generations,
      yaxis3: { type: 'linear', rangemode: 'tozero', title: { text: 'regression, d = 5: E‖ŵₙ − w*‖²' }, ...AXIS_STYLE },
      legend: { title: { text: 'panel: verifier and rule (colour and marker)' }, itemsizing: 'constant', itemwidth: 60, tracegroupgap: 4 },
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function curationCsv(data: CurationFigureData): string {
  const rows = data.curves.flatMap((curve) =>
    curve.iterations.map((r) => {
      const v = pick(curve, r, data.categories);
      return [['gaussian', 'categorical', 'linear'][curve.panel], curve.label, r.iteration, v.mean, v.ci95[0], v.ci95[1], v.theory];
    }),
  );
  return toCsv(['panel', 'curve', 'iteration', 'mean', 'ci95_low', 'ci95_high', 'theory'], rows);
}

export function curationCaption(data: CurationFigureData, quick: boolean): string {
  const s = data.settings;
  const parts = [
    `Replace through the generation loop, ${s.iterations} generations; every synthetic set passes a verifier before it is fit, the kept set refilled to m items (src/loop/curation.ts).`,
    'Solid with markers: Monte Carlo mean with its 95% band (shaded); dashed: exact theory.',
    `Left: a Gaussian keeps the items nearest its mean (likelihood verifier); each curated generation multiplies the expected variance by the truncated-normal factor κ, E σ̂²ₙ/σ₀² = ((m−1)/m)ⁿκⁿ⁻¹ (proofs/curation.md#V3), far below the uncurated ((m−1)/m)ⁿ; ${(s.trials * 5).toLocaleString('en')} trials per curve.`,
    `Middle: a categorical model keeps tokens whose probability passes the verifier; rejected tokens never return (V7), so the tail is lost faster than by resampling alone (Monte Carlo; no closed form after model 1); ${s.trials.toLocaleString('en')} trials.`,
    `Right: a projecting verifier (λ = 0.5) pulls the fit to its own model w_v, exactly as V5 says (dashed), and the residual filter drives E ŵₙ to w_v too (V6): the error settles near the verifier's own error b² (dash-dot) plus a noise floor, instead of growing like n·σ²d/(T − d − 1); ${s.trials.toLocaleString('en')} trials.`,
  ];
  if (quick) parts.push(`--quick: ${s.iterations} generations and ${s.trials} trials instead of ${FULL_CURATION.iterations} and ${FULL_CURATION.trials}.`);
  parts.push(`Curves: ${data.curves.map((c) => c.command).join('; ')}.`);
  return parts.join(' ');
}

export const curation: Figure = {
  id: 'curation',
  title: 'Curation by a verifier: selection shrinks variance and tails faster; a verifier holds regression at its knowledge centre',
  async make(context: FigureContext): Promise<FigureOutput> {
    const data = await computeCuration(context.quick ? QUICK_CURATION : FULL_CURATION, context);
    return { figure: buildCuration(data), caption: curationCaption(data, context.quick), data, csv: curationCsv(data), image: { width: 1500, height: 560, scale: 2 } };
  },
};
