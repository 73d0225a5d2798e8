/**
 * The accumulation bound: test error of model n over the first model's theory error, against n, for every strategy
 * of the registry (src/strategies/index.ts: STRATEGIES and STRATEGY_EXAMPLES, so a new strategy appears here by
 * itself), with π²/6, the limit of accumulate's Σ 1/i², drawn and labelled.
 */
import { hasTheory, runLinear, type LinearConfig } from '../experiments/linear.js';
import { parseStrategy, STRATEGIES, STRATEGY_EXAMPLES } from '../strategies/index.js';
import { ACCUMULATE_BOUND } from '../theory/harmonic.js';
import type { IterationRow } from '../verify/report.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { linearCommandLine } from './linear-paper.js';
import { CATEGORICAL, colour, LINE_STYLES, NEUTRAL, symbol } from './palette.js';
import { AXIS_STYLE, bandTrace, lineStyleKey, logAxis, toCsv } from './plotly.js';

/** Settings of the accumulation-bound figure. */
export interface BoundSettings {
  dim: number;
  samples: number;
  noise: number;
  iterations: number;
  /** trials of the reduced method (strategies with exact theory) */
  trialsReduced: number;
  /** trials of the full method (strategies without a reduced method, e.g. accumulate-subsample) */
  trialsFull: number;
  strategies: string[];
}

/** One strategy's curve in the accumulation-bound figure. */
export interface BoundRun {
  strategy: string;
  method: 'full' | 'reduced';
  trials: number;
  command: string;
  backend: string;
  seconds: number;
  iterations: IterationRow[];
}

/** The data of the accumulation-bound figure: each strategy's error divided by E₁ against π²/6. */
export interface BoundData {
  settings: BoundSettings;
  /** E₁ = σ²·d/(T−d−1): the first model's theory error (least squares on the real data), the divisor of every curve */
  firstError: number;
  runs: BoundRun[];
}

/** Every strategy the registry names: one instance of each (parameterised ones with their example argument). */
export function registryStrategies(): string[] {
  return [...new Set([...STRATEGY_EXAMPLES, ...Object.keys(STRATEGIES)])];
}

export const FULL_BOUND: Omit<BoundSettings, 'strategies'> = { dim: 10, samples: 100, noise: 1, iterations: 100, trialsReduced: 20_000, trialsFull: 2000 };
export const QUICK_BOUND: Omit<BoundSettings, 'strategies'> = { dim: 10, samples: 100, noise: 1, iterations: 50, trialsReduced: 2000, trialsFull: 400 };

/** Runs every strategy of the bound figure on the shared backend (reduced method where exact theory holds, full otherwise); run k uses seed + k. */
export async function computeBound(settings: BoundSettings, context: Pick<FigureContext, 'seed' | 'backend'>): Promise<BoundData> {
  const backend = await context.backend();
  const runs: BoundRun[] = [];
  for (const strategy of settings.strategies) {
    const exact = hasTheory(parseStrategy(strategy));
    const method = exact ? 'reduced' : 'full';
    const config: LinearConfig = {
      strategy,
      dim: settings.dim,
      samples: settings.samples,
      noise: settings.noise,
      iterations: settings.iterations,
      trials: exact ? settings.trialsReduced : settings.trialsFull,
      seed: context.seed + 1000 + runs.length,
      method,
      backend: backend.name,
    };
    const report = await runLinear(config, { backend });
    runs.push({ strategy, method, trials: config.trials, command: linearCommandLine(config), backend: report.backend, seconds: report.seconds, iterations: report.iterations });
  }
  const { dim: d, samples: T, noise } = settings;
  return { settings, firstError: (noise * d) / (T - d - 1), runs };
}

/** Markers every MARKER_STEP iterations, staggered per strategy so curves that nearly coincide show both symbols. */
const MARKER_STEP = 5;

/**
 * Marker sizes along a curve: a marker at every MARKER_STEP-th point, starting at a per-strategy offset, none
 * elsewhere (size 0), so two curves that lie on each other still show two symbols side by side.
 */
export function staggeredMarkerSizes(points: number, index: number, strategies: number, size = 9): number[] {
  const offset = Math.round(((index % strategies) * MARKER_STEP) / strategies) % MARKER_STEP;
  return Array.from({ length: points }, (_, k) => (k % MARKER_STEP === offset ? size : 0));
}

/** Per strategy: band, Monte Carlo, theory (where exact); then the π²/6 line and the line-style key. All ÷ E₁; log y. */
export function buildBound(data: BoundData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const e1 = data.firstError;
  const n = data.settings.iterations;
  const plotted: number[] = [ACCUMULATE_BOUND];
  data.runs.forEach((run, i) => {
    const c = colour(CATEGORICAL, i);
    const x = run.iterations.map((r) => r.iteration);
    const ratio = run.iterations.map((r) => r.mean / e1);
    plotted.push(...ratio);
    const floor = Math.min(...ratio.filter((v) => v > 0)) / 10;
    traces.push(bandTrace(x, run.iterations.map((r) => (r.ci95?.[0] ?? NaN) / e1), run.iterations.map((r) => (r.ci95?.[1] ?? NaN) / e1), { colour: c, legendgroup: run.strategy, floor }));
    traces.push({
      type: 'scatter',
      mode: 'lines+markers',
      x,
      y: ratio,
      name: run.strategy,
      legendgroup: run.strategy,
      line: { color: c, width: LINE_STYLES.monteCarlo.width, dash: LINE_STYLES.monteCarlo.dash },
      marker: { color: c, symbol: symbol(i), size: staggeredMarkerSizes(x.length, i, data.runs.length), line: { width: 1, color: NEUTRAL.ink } },
      opacity: 0.75,
      hovertemplate: `${run.strategy}<br>n=%{x}: %{y:.4g} × E₁ (Monte Carlo, ${run.method})<extra></extra>`,
    });
    if (run.iterations.every((r) => r.theory !== null)) {
      const theory = run.iterations.map((r) => (r.theory as number) / e1);
      plotted.push(...theory);
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: theory,
        name: `${run.strategy} theory`,
        legendgroup: run.strategy,
        showlegend: false,
        line: { color: c, width: LINE_STYLES.theory.width, dash: LINE_STYLES.theory.dash },
        hovertemplate: `${run.strategy}<br>n=%{x}: %{y:.4g} × E₁ (theory)<extra></extra>`,
      });
    }
  });
  traces.push({
    type: 'scatter',
    mode: 'lines',
    x: [1, n],
    y: [ACCUMULATE_BOUND, ACCUMULATE_BOUND],
    name: 'π²/6 ≈ 1.645',
    line: { color: NEUTRAL.reference, width: LINE_STYLES.reference.width, dash: LINE_STYLES.reference.dash },
    hovertemplate: 'π²/6 = 1.6449…<extra></extra>',
  });
  traces.push(...lineStyleKey(['monteCarlo', 'theory']));
  return {
    data: traces,
    layout: {
      title: { text: `Test error over the first model's error, every strategy (d = ${data.settings.dim}, T = ${data.settings.samples}, σ² = ${data.settings.noise})`, x: 0.5 },
      xaxis: { type: 'linear', range: [1, n], title: { text: 'model-fitting iteration n' }, ...AXIS_STYLE },
      yaxis: { ...logAxis(plotted), title: { text: 'E‖ŵₙ − w*‖² / E₁ (log scale)' }, ...AXIS_STYLE },
      // constant item sizing draws legend lines 5 px wide, so a dash is 15 px: 60 px shows the key's dashes as dashes
      legend: { title: { text: 'strategy (colour and marker)' }, itemsizing: 'constant', itemwidth: 60, tracegroupgap: 4 },
      annotations: [
        {
          text: 'π²/6 ≈ 1.645: accumulate\'s limit',
          x: n,
          y: Math.log10(ACCUMULATE_BOUND),
          xanchor: 'right',
          yanchor: 'bottom',
          showarrow: false,
          font: { size: 12 },
        },
      ],
      margin: { l: 80, r: 20, t: 70, b: 60 },
      plot_bgcolor: 'white',
      paper_bgcolor: 'white',
    },
  };
}

export function boundCsv(data: BoundData): string {
  const e1 = data.firstError;
  const rows = data.runs.flatMap((run) =>
    run.iterations.map((r) => [run.strategy, run.method, run.trials, r.iteration, r.mean, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.mean / e1, r.ci95 ? r.ci95[0] / e1 : null, r.ci95 ? r.ci95[1] / e1 : null, r.theory === null ? null : r.theory / e1]),
  );
  return toCsv(['strategy', 'method', 'trials', 'iteration', 'mean', 'ci95_low', 'ci95_high', 'theory', 'ratio', 'ratio_low', 'ratio_high', 'theory_ratio'], rows);
}

export function boundCaption(data: BoundData, quick: boolean): string {
  const s = data.settings;
  const noTheory = data.runs.filter((r) => r.method === 'full').map((r) => r.strategy);
  const parts = [
    `Test error of model n divided by E₁ = σ²·d/(T−d−1) = ${data.firstError.toPrecision(4)}, the theory error of the first model (least squares on the real data), for every strategy in the registry (src/strategies/index.ts), d = ${s.dim}, T = ${s.samples}, σ² = ${s.noise}, n = 1…${s.iterations}; log y axis.`,
    `Solid with markers: Monte Carlo mean (reduced method, ${s.trialsReduced.toLocaleString('en')} trials${noTheory.length ? `; ${noTheory.join(', ')}: no closed form and no reduced method, so the full method with ${s.trialsFull.toLocaleString('en')} trials` : ''}); shaded: its 95% confidence interval; dashed: exact theory Σⱼ bₙ,ⱼ² from the pool-weight recursion (src/theory/pool-weights.ts).`,
    'Dash-dotted grey: π²/6 ≈ 1.645, the limit of accumulate\'s Σᵢ₌₁ⁿ 1/i²: accumulating never exceeds it, while replacing grows as n.',
  ];
  if (quick) {
    const reduced = Math.sqrt(FULL_BOUND.trialsReduced / s.trialsReduced).toFixed(1);
    const full = Math.sqrt(FULL_BOUND.trialsFull / s.trialsFull).toFixed(1);
    const wider = noTheory.length ? `about ${reduced}× as wide for the reduced-method curves, ${full}× for the full-method ones` : `about ${reduced}× as wide`;
    parts.push(
      `--quick: ${s.iterations} iterations and ${s.trialsReduced.toLocaleString('en')} / ${s.trialsFull.toLocaleString('en')} trials (reduced / full method) instead of ${FULL_BOUND.iterations} and ${FULL_BOUND.trialsReduced.toLocaleString('en')} / ${FULL_BOUND.trialsFull.toLocaleString('en')}, so the bands are wider (${wider}) than in the full figure.`,
    );
  }
  return parts.join(' ');
}

export function boundFigure(choose: (quick: boolean) => BoundSettings = (quick) => ({ ...(quick ? QUICK_BOUND : FULL_BOUND), strategies: registryStrategies() })): Figure {
  return {
    id: 'accumulation-bound',
    title: 'The accumulation bound: every strategy against π²/6',
    measures: { anyRiskIncrease: 'the test error over the first model\'s', divergingRisk: 'each strategy against the bound π²/6' },
    async make(context: FigureContext): Promise<FigureOutput> {
      const data = await computeBound(choose(context.quick), context);
      return { figure: buildBound(data), caption: boundCaption(data, context.quick), data, csv: boundCsv(data), image: { width: 1000, height: 620, scale: 2 } };
    },
  };
}

export const accumulationBound = boundFigure();
