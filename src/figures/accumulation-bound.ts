/**
 * The accumulation bound: test error of model n over the first model's theory error, against n, for every strategy
 * of the registry (src/strategies/index.ts: STRATEGIES and STRATEGY_EXAMPLES, so a new strategy appears here by
 * itself), with π²/6, the limit of accumulate's Σ 1/i², drawn and labelled.
 */
import { hasTheory, runLinear, type LinearConfig } from '../models/linear/run.js';
import { parseStrategy, STRATEGIES, STRATEGY_EXAMPLES } from '../strategies/index.js';
import { ACCUMULATE_BOUND } from '../theory/harmonic.js';
import type { IterationRow } from '../verify/report.js';
import type { Figure, FigureContext, FigureOutput, PlotlyFigure, PlotlyObject } from './figure.js';
import { linearCommandLine } from './linear-paper.js';
import { bandTrace, CATEGORICAL, colour, toCsv } from './plotly.js';

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

export interface BoundRun {
  strategy: string;
  method: 'full' | 'reduced';
  trials: number;
  command: string;
  backend: string;
  seconds: number;
  iterations: IterationRow[];
}

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

/** Per strategy: band, Monte Carlo, theory (where exact); then the π²/6 line. All divided by E₁; log y. */
export function buildBound(data: BoundData): PlotlyFigure {
  const traces: PlotlyObject[] = [];
  const e1 = data.firstError;
  const n = data.settings.iterations;
  data.runs.forEach((run, i) => {
    const c = colour(CATEGORICAL, i);
    const x = run.iterations.map((r) => r.iteration);
    const ratio = run.iterations.map((r) => r.mean / e1);
    const floor = Math.min(...ratio.filter((v) => v > 0)) / 10;
    traces.push(bandTrace(x, run.iterations.map((r) => (r.ci95?.[0] ?? NaN) / e1), run.iterations.map((r) => (r.ci95?.[1] ?? NaN) / e1), { colour: c, legendgroup: run.strategy, floor }));
    traces.push({
      type: 'scatter',
      mode: 'lines',
      x,
      y: ratio,
      name: run.strategy,
      legendgroup: run.strategy,
      line: { color: c, width: 3 },
      opacity: 0.6,
      hovertemplate: `${run.strategy}<br>n=%{x}: %{y:.4g} × E₁ (Monte Carlo, ${run.method})<extra></extra>`,
    });
    if (run.iterations.every((r) => r.theory !== null)) {
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x,
        y: run.iterations.map((r) => (r.theory as number) / e1),
        name: `${run.strategy} theory`,
        legendgroup: run.strategy,
        showlegend: false,
        line: { color: c, width: 1.5, dash: 'dash' },
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
    line: { color: 'black', width: 1.5, dash: 'dot' },
    hovertemplate: 'π²/6 = 1.6449…<extra></extra>',
  });
  return {
    data: traces,
    layout: {
      title: { text: `Test error over the first model's error, every strategy (d = ${data.settings.dim}, T = ${data.settings.samples}, σ² = ${data.settings.noise})`, x: 0.5 },
      xaxis: { type: 'linear', range: [1, n], title: { text: 'model-fitting iteration n' }, showline: true, mirror: true, linecolor: '#444', gridcolor: '#e5e5e5' },
      yaxis: { type: 'log', title: { text: 'E‖ŵₙ − w*‖² / E₁' }, showline: true, mirror: true, linecolor: '#444', gridcolor: '#e5e5e5' },
      legend: { title: { text: 'strategy (solid: Monte Carlo,<br>dashed: theory)' } },
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
    `Solid: Monte Carlo mean (reduced method, ${s.trialsReduced.toLocaleString('en')} trials${noTheory.length ? `; ${noTheory.join(', ')}: no closed form and no reduced method, so the full method with ${s.trialsFull.toLocaleString('en')} trials` : ''}); shaded: its 95% confidence interval; dashed: exact theory Σⱼ bₙ,ⱼ² from the pool-weight recursion (src/theory/pool-weights.ts).`,
    'Dotted: π²/6 ≈ 1.645, the limit of accumulate\'s Σᵢ₌₁ⁿ 1/i²: accumulating never exceeds it, while replacing grows as n.',
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
    async make(context: FigureContext): Promise<FigureOutput> {
      const data = await computeBound(choose(context.quick), context);
      return { figure: buildBound(data), caption: boundCaption(data, context.quick), data, csv: boundCsv(data), image: { width: 1000, height: 620, scale: 2 } };
    },
  };
}

export const accumulationBound = boundFigure();
