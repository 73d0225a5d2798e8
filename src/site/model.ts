/**
 * The explorer's state and everything it computes without a DOM: validation (the CLI's own validators, so the page
 * refuses what `collapse` refuses, with the same one-line messages), the exact theory (src/theory, as the CLI), the
 * shareable URL fragment, the CSV/JSON downloads and the `npx collapse …` commands that reproduce a run.
 */
import { UsageError } from '../core/errors.js';
import { realDistribution, validateCategoricalConfig, type CategoricalConfig } from '../experiments/categorical.js';
import { validateGaussianConfig, type GaussianConfig } from '../experiments/gaussian.js';
import { hasTheory, validateLinearConfig, type LinearConfig } from '../experiments/linear.js';
import { parseStrategy } from '../strategies/index.js';
import type { IterationRow } from '../verify/report.js';
import { collisionProbabilities, FLOAT } from '../theory/categorical.js';
import { gaussianTheory } from '../theory/gaussian.js';
import { ACCUMULATE_BOUND } from '../theory/harmonic.js';
import { expectedTestError, traceInverseWishartMean } from '../theory/linear-fixed-design.js';
import { fractionToNumber } from '../core/fraction.js';

export const FAMILIES = ['linear', 'gaussian', 'categorical'] as const;
export type Family = (typeof FAMILIES)[number];

/** Every control's value as the page holds it: strings, exactly as typed (validated by the CLI's parsers). */
export interface ExplorerState {
  family: Family;
  strategies: string[];
  dim: string;
  samples: string;
  /** categorical: K outcomes and the Zipf β of the real distribution (SUBTLEX counts are not bundled in the page) */
  categories: string;
  zipf: string;
  noise: string;
  iterations: string;
  trials: string;
  seed: string;
  method: string;
  estimator: string;
  backend: string;
}

export const DEFAULT_STATE: Readonly<ExplorerState> = {
  family: 'linear',
  strategies: ['replace', 'accumulate', 'fresh:0.618'],
  dim: '10',
  samples: '100',
  categories: '100',
  zipf: '1',
  noise: '1',
  iterations: '20',
  trials: '500',
  seed: '0',
  method: 'full',
  estimator: 'mle',
  backend: 'auto',
};

/** URL fragment keys: short, one per field; strategies repeat (`s=replace&s=accumulate`), so a weights: expression may hold commas. */
const KEYS: Record<Exclude<keyof ExplorerState, 'strategies'>, string> = {
  family: 'family', dim: 'd', samples: 'T', categories: 'K', zipf: 'beta', noise: 'sigma2', iterations: 'n', trials: 'trials', seed: 'seed', method: 'method', estimator: 'estimator', backend: 'backend',
};

export function encodeState(state: ExplorerState): string {
  const params = new URLSearchParams();
  for (const [field, key] of Object.entries(KEYS)) params.set(key, state[field as keyof typeof KEYS]);
  for (const s of state.strategies) params.append('s', s);
  return params.toString();
}

/** The state a fragment holds; missing fields take their defaults, unknown keys are ignored (validation reports bad values). */
export function decodeState(fragment: string): ExplorerState {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const state: ExplorerState = { ...DEFAULT_STATE, strategies: [...DEFAULT_STATE.strategies] };
  for (const [field, key] of Object.entries(KEYS)) {
    const value = params.get(key);
    if (value !== null) (state as unknown as Record<string, string>)[field] = value;
  }
  if (!(FAMILIES as readonly string[]).includes(state.family)) state.family = DEFAULT_STATE.family;
  if (params.has('s')) state.strategies = params.getAll('s');
  return state;
}

/** One strategy's validated configuration, for the CLI's run functions. */
export type RunSpec = { family: 'linear'; config: LinearConfig } | { family: 'gaussian'; config: GaussianConfig } | { family: 'categorical'; config: CategoricalConfig };

export interface Series {
  strategy: string;
  /** the exact expected value per iteration, or null where no closed form holds (then why) */
  theory: number[] | null;
  noTheory?: string;
  spec: RunSpec;
}

export interface Computed {
  series: Series[];
  /** linear: π²/6 × the first model's expected error, which no accumulate iteration exceeds */
  bound: number | null;
  /** what the y axis shows */
  quantity: string;
}

/** Validate the state and compute every series' theory; a UsageError's message is the page's inline message. */
export function compute(state: ExplorerState): Computed {
  if (state.strategies.length === 0) throw new UsageError('add at least one strategy');
  if (state.family === 'linear') {
    const series = state.strategies.map((strategy): Series => {
      const config = validateLinearConfig({
        strategy, dim: state.dim, samples: state.samples, noise: state.noise, iterations: state.iterations, trials: state.trials, seed: state.seed, method: state.method,
        backend: 'auto',
      });
      // the explorer draws theory against Monte Carlo; T < d + 2 has no theory (the CLI runs it as Monte Carlo only)
      traceInverseWishartMean(config.dim, config.samples);
      if (!hasTheory(parseStrategy(config.strategy))) return { strategy: config.strategy, theory: null, noTheory: 'no closed form for subsampled fits (Monte Carlo only)', spec: { family: 'linear', config } };
      const theory = expectedTestError(parseStrategy(config.strategy), { sigma2: config.noise, dim: config.dim, samples: config.samples }, config.iterations);
      return { strategy: config.strategy, theory, spec: { family: 'linear', config } };
    });
    const { noise, dim, samples } = (series[0].spec as { config: LinearConfig }).config;
    const bound = ACCUMULATE_BOUND * noise * fractionToNumber(traceInverseWishartMean(dim, samples));
    return { series, bound, quantity: 'test error E‖ŵ_n − w*‖²' };
  }
  if (state.family === 'categorical') {
    const series = state.strategies.map((strategy): Series => {
      const config = validateCategoricalConfig({ strategy, categories: state.categories, zipf: state.zipf, samples: state.samples, iterations: state.iterations, trials: state.trials, seed: state.seed });
      // the collision-probability recursion runCategorical reports as its theory (K1/K2), on S₀ of the same real
      // distribution; not categoricalTheory, whose survival sums (up to 2e8 operations) would run on every keystroke
      const theory = collisionProbabilities(parseStrategy(config.strategy), realDistribution(config).s0, config.samples, config.iterations, FLOAT);
      return { strategy: config.strategy, theory, noTheory: theory ? undefined : 'no closed form for subsampled fits (Monte Carlo only)', spec: { family: 'categorical', config } };
    });
    return { series, bound: null, quantity: 'collision probability E Σ p_i²' };
  }
  const series = state.strategies.map((strategy): Series => {
    const config = validateGaussianConfig({ model: 'gaussian', strategy, dim: state.dim, samples: state.samples, estimator: state.estimator, iterations: state.iterations, trials: state.trials, seed: state.seed });
    const trace = gaussianTheory(parseStrategy(config.strategy), { dim: config.dim, samples: config.samples, estimator: config.estimator }, config.iterations).traceRatio;
    const exact = trace.every((t) => t !== null);
    return { strategy: config.strategy, theory: exact ? (trace as number[]) : null, noTheory: exact ? undefined : 'no closed form for subsampled fits (Monte Carlo only)', spec: { family: 'gaussian', config } };
  });
  return { series, bound: null, quantity: 'variance ratio E tr Σ̂_n / tr Σ₀' };
}

/** A Monte Carlo result row, as the CLI reports it. */
export type McRow = Pick<IterationRow, 'iteration' | 'mean' | 'stderr' | 'ci95' | 'theory' | 'z'>;

export interface McResult {
  strategy: string;
  backend: string;
  backendReason: string;
  seconds: number;
  rows: McRow[];
}

const quote = (text: string): string => (/^[\w.:-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * The CLI's backend that draws the same numbers as the page's: WebGL and cpu use the keyed host normals of
 * `--backend cpu` (the float32 kernels may differ in the last bits on a GPU); WebGPU seeds the in-kernel streams as the CLI's webgpu does.
 */
export function cliBackend(pageBackend: string): string {
  return pageBackend === 'webgpu' ? 'webgpu' : 'cpu';
}

/** The `npx collapse …` command that reproduces one series. */
export function command(spec: RunSpec, pageBackend?: string): string {
  const c = spec.config;
  if (spec.family === 'linear') {
    const l = c as LinearConfig;
    const backend = pageBackend ? ` --backend ${cliBackend(pageBackend)}` : '';
    return `npx collapse linear --strategy ${quote(l.strategy)} --dim ${l.dim} --samples ${l.samples} --noise ${l.noise} --iterations ${l.iterations} --trials ${l.trials} --seed ${l.seed} --method ${l.method}${backend} --json`;
  }
  if (spec.family === 'categorical') {
    const k = c as CategoricalConfig;
    return `npx collapse categorical --strategy ${quote(k.strategy)} --categories ${k.categories} --zipf ${k.zipf} --samples ${k.samples} --iterations ${k.iterations} --trials ${k.trials} --seed ${k.seed} --json`;
  }
  const g = c as GaussianConfig;
  return `npx collapse gaussian --strategy ${quote(g.strategy)} --dim ${g.dim} --samples ${g.samples} --estimator ${g.estimator} --iterations ${g.iterations} --trials ${g.trials} --seed ${g.seed} --json`;
}

/** One CSV for every series: theory always, Monte Carlo columns where a run finished. */
export function toCsv(computed: Computed, results: readonly McResult[]): string {
  const header = 'strategy,iteration,theory,mean,stderr,ci95_low,ci95_high,z';
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  const lines: string[] = [];
  for (const s of computed.series) {
    const mc = results.find((r) => r.strategy === s.strategy);
    const n = s.theory?.length ?? mc?.rows.length ?? 0;
    for (let i = 0; i < n; i++) {
      const row = mc?.rows[i];
      lines.push([quoteCsv(s.strategy), i + 1, cell(s.theory?.[i]), cell(row?.mean), cell(row?.stderr), cell(row?.ci95?.[0]), cell(row?.ci95?.[1]), cell(row?.z)].join(','));
    }
  }
  return [header, ...lines].join('\n') + '\n';
}

const quoteCsv = (text: string): string => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export function toJson(state: ExplorerState, computed: Computed, results: readonly McResult[]): string {
  return JSON.stringify(
    {
      state,
      quantity: computed.quantity,
      bound: computed.bound,
      series: computed.series.map((s) => {
        const mc = results.find((r) => r.strategy === s.strategy);
        return { strategy: s.strategy, config: s.spec.config, theory: s.theory, noTheory: s.noTheory ?? null, monteCarlo: mc ?? null, command: command(s.spec, mc?.backend) };
      }),
    },
    null,
    2,
  );
}
