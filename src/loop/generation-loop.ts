/**
 * The generation loop, one path for every model family (issue 3, "One generation loop for all models"):
 *
 *   for n = 1 … N:
 *     1. data: for each data set s that step n adds (dataPlan), draw m items from its source —
 *        source 0: the real distribution (family.real), source k ≥ 1: model k (family.sample);
 *     2. pool: form model n's training pool from the data sets so far with the strategy's poolWeights(n);
 *     3. fit:  model n = family.fit(pool);
 *     4. evaluate: metrics of model n against the real distribution and held-out real data (and, where the family
 *        has drawnMetrics, statistics of the data sets step n drew).
 *
 * How weights become samples (every data set has exactly m items):
 *
 * - fit 'weighted' (default): the pool is the union of the data sets with a_{n,s} > 0, and the weights are
 *   probabilities: each item of set s carries weight a_{n,s}/m, so the pool's empirical distribution is
 *   Σ_s a_{n,s}·(empirical distribution of set s). The family fits that weighted empirical distribution
 *   (PoolPart). When the positive weights are equal, as for replace, accumulate and window:k, this is exactly the
 *   plain union of those sets, every item counted once (k sets: k·m items, each 1/(k·m)). Unequal weights
 *   (augment:r, fresh:p, weights:<expr>) act as multiplicities: a_{n,s} = c_s/C with integers c_s fits the same
 *   as the union in which set s is repeated c_s times. This is exactly the weighted least squares of the fast
 *   linear path, so the loop and the kernels fit the same estimator and the pool-weight theory applies to both.
 *   Estimators that count items (the unbiased covariance) use the pool's effective size
 *   1/Σ_i w_i² = m/Σ_s a_{n,s}², which is the number of items when the weights are equal.
 * - fit 'subsample' (accumulate-subsample): a budget of m items is drawn and fit unweighted (each item 1/m).
 *   When the positive weights are equal (every strategy defined so far) the m items are drawn uniformly without
 *   replacement from the union of the pooled sets, as src/models/linear/subsample.ts does. With unequal weights each
 *   of the m draws picks set s with probability a_{n,s} and then one of its items uniformly, with replacement. Either
 *   way the expected share of set s in the budget is a_{n,s} (test/loop/generation-loop.test.ts checks it).
 *
 * Keys (C7): a trajectory has one key; data set s, pool n, fit n and the test set each get a child key by role and
 * index, so the same key gives the same trajectory whatever ran before it.
 */
import { NumericError } from '../core/errors.js';
import { foldIn, KeyedGenerator, sampleDistinct, type Key } from '../core/rng.js';
import { Moments } from '../core/stats.js';
import { LOOP_STREAM } from '../core/streams.js';

// the loop's key roles are rows of core/streams.ts; the loop's API names them
export { LOOP_STREAM };
import type { Metrics, ModelFamily, Pool, PoolPart } from '../models/model.js';
import { numericPlan, type NumericPlan } from '../strategies/plan.js';
import type { PoolStrategy } from '../strategies/strategy.js';
import { curate, type Curation } from './curation.js';

/** A generation loop's settings: the strategy, N models, m items per data set, and the held-out test size. */
export interface LoopConfig {
  strategy: PoolStrategy;
  /** N, models fit */
  iterations: number;
  /** m, items in every data set (and the budget of a subsampled fit) */
  samples: number;
  /** held-out real items drawn once per trajectory and passed to every evaluate (0: an empty data set) */
  testSamples: number;
  /** the verifier's filter on every synthetic data set (src/loop/curation.ts); absent: none */
  curation?: Curation;
}

/** The strategy's data plan and float64 pool weights for N steps, with the last step that reads each set and model. */
export interface LoopPlan extends NumericPlan {
  /** lastSetUse[s − 1]: the last step whose pool weights set s (0: never) */
  readonly lastSetUse: readonly number[];
  readonly fit: 'weighted' | 'subsample';
}

/** The loop's plan of a strategy for N steps: {@link NumericPlan}, the last step that reads each data set, and the fit mode. */
export function loopPlan(strategy: PoolStrategy, iterations: number): LoopPlan {
  const plan = numericPlan(strategy, iterations);
  const lastSetUse = new Array<number>(plan.sources.length).fill(0);
  plan.weights.forEach((a, index) =>
    a.forEach((w, s) => {
      if (w > 0) lastSetUse[s] = index + 1;
    }),
  );
  return { ...plan, lastSetUse, fit: strategy.fit ?? 'weighted' };
}

/**
 * Model n's pool from the data sets so far (`sets[s − 1]`, undefined once dropped) and its weights, as the header
 * describes. `budget` is m; `key` is used by subsampled fits only.
 */
export function formPool<P, D>(
  family: ModelFamily<P, D>,
  weights: readonly number[],
  sets: readonly (D | undefined)[],
  fit: 'weighted' | 'subsample',
  budget: number,
  key: Key,
): Pool<D> {
  const support: number[] = [];
  weights.forEach((w, s) => {
    if (w > 0) support.push(s);
  });
  const data = (s: number): D => {
    const set = sets[s];
    if (set === undefined) throw new Error(`pool weights data set ${s + 1}, which was dropped or never drawn`);
    return set;
  };
  if (fit === 'weighted') return support.map((s) => ({ data: data(s), weight: weights[s], set: s + 1 }));
  const generator = new KeyedGenerator(key);
  const rows = new Map<number, number[]>(support.map((s) => [s, []]));
  const uniform = support.every((s) => weights[s] === weights[support[0]]);
  if (uniform) {
    // uniformly without replacement from the union: item index = offsets[i] + row for row `row` of set support[i]
    const offsets = [0]; // offsets[i]: items in the sets before support[i]; the last entry is the pool's size
    for (const s of support) offsets.push(offsets[offsets.length - 1] + family.size(data(s)));
    const total = offsets[support.length];
    if (budget > total) throw new Error(`a subsample of ${budget} items from a pool of ${total}`);
    for (const index of sampleDistinct(total, budget, generator)) {
      let lo = 0; // the last i with offsets[i] ≤ index
      let hi = support.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offsets[mid] <= index) lo = mid;
        else hi = mid - 1;
      }
      (rows.get(support[lo]) as number[]).push(index - offsets[lo]);
    }
  } else {
    const cumulative: number[] = [];
    let sum = 0;
    for (const s of support) cumulative.push((sum += weights[s]));
    for (let b = 0; b < budget; b++) {
      const u = (1 - generator.uniform()) * sum; // in [0, sum)
      let i = 0;
      while (i < support.length - 1 && u >= cumulative[i]) i++;
      const s = support[i];
      const size = family.size(data(s));
      (rows.get(s) as number[]).push(Math.floor(generator.uniform() * size) % size);
    }
  }
  const parts: PoolPart<D>[] = [];
  for (const [s, picked] of rows) {
    if (picked.length > 0) parts.push({ data: family.take(data(s), picked), weight: picked.length / budget, set: s + 1 });
  }
  return parts;
}

/**
 * Where a trajectory stands after `done` generations: everything the rest of it reads. Data sets and models are
 * keyed by their 1-based index (set s of the data plan, model k); only those a later step still reads are here.
 * The test set is not: it is redrawn from its key (the same items) when a trajectory is resumed.
 */
export interface TrajectoryState<P, D> {
  done: number;
  metrics: Metrics[];
  sets: Map<number, D>;
  models: Map<number, P>;
}

/** Optional hooks of runTrajectory: resume from a state, see each generation's state, free models, stop. */
export interface TrajectoryControl<P, D> {
  /** continue after resume.done generations (a state from onGeneration, or one decoded from a checkpoint) */
  resume?: TrajectoryState<P, D>;
  /** after each generation, with the state to continue from (awaited: a checkpoint is written before going on) */
  onGeneration?: (state: TrajectoryState<P, D>) => void | Promise<void>;
  /** after model n is fit and evaluated, before it may be freed (e.g. to save a grid of its samples) */
  onModel?: (model: P, n: number) => void | Promise<void>;
  /** frees a model once no later step reads it (tfjs weights are not garbage collected) */
  release?: (model: P) => void;
  /** checked after each generation's onGeneration: an aborted signal throws its reason there */
  signal?: AbortSignal;
}

/**
 * One trajectory of the loop: the metrics of models 1 … N. Data sets and models are dropped after the last step
 * that reads them, so replace holds O(1) sets and accumulate all of them (it needs them). Every key is derived
 * from (trajectory key, role, index), so a trajectory resumed from the state after generation n computes exactly
 * what the uninterrupted one does (src/loop/checkpoint.ts stores that state).
 */
export async function runTrajectory<P, D>(
  family: ModelFamily<P, D>,
  config: LoopConfig,
  key: Key,
  plan: LoopPlan = loopPlan(config.strategy, config.iterations),
  control: TrajectoryControl<P, D> = {},
): Promise<Metrics[]> {
  const { iterations, samples: m } = config;
  const testKey = foldIn(key, LOOP_STREAM.test);
  const test = family.heldOut ? await family.heldOut(config.testSamples, testKey) : await family.real(config.testSamples, testKey);
  const sets: (D | undefined)[] = [];
  const models = new Map<number, P>();
  const metrics: Metrics[] = [];
  const start = control.resume?.done ?? 0;
  if (control.resume) {
    for (const [s, data] of control.resume.sets) sets[s - 1] = data;
    for (const [k, model] of control.resume.models) models.set(k, model);
    metrics.push(...control.resume.metrics);
  }
  const release = control.release ?? (() => undefined);
  const dataKey = foldIn(key, LOOP_STREAM.data);
  const poolKey = foldIn(key, LOOP_STREAM.pool);
  const fitKey = foldIn(key, LOOP_STREAM.fit);
  const curateKey = foldIn(key, LOOP_STREAM.curate);
  try {
    for (let n = start + 1; n <= iterations; n++) {
      const drawn: { data: D; source: number }[] = [];
      for (const s of plan.added[n - 1]) {
        const source = plan.sources[s - 1];
        const setKey = foldIn(dataKey, s);
        const generator = models.get(source) as P;
        sets[s - 1] =
          source === 0 ? await family.real(m, setKey)
          : config.curation ? await curate(family, generator, m, config.curation, foldIn(curateKey, s))
          : await family.sample(generator, m, setKey);
        drawn.push({ data: sets[s - 1] as D, source });
      }
      for (const [k, old] of models) {
        if (plan.lastModelUse[k] <= n) {
          models.delete(k);
          release(old);
        }
      }
      const pool = formPool(family, plan.weights[n - 1], sets, plan.fit, m, foldIn(poolKey, n));
      const model = await family.fit(pool, foldIn(fitKey, n));
      sets.forEach((_, s) => {
        if (plan.lastSetUse[s] <= n) sets[s] = undefined;
      });
      const evaluated = await family.evaluate(model, test);
      metrics.push(family.drawnMetrics ? { ...evaluated, ...family.drawnMetrics(drawn) } : evaluated);
      await control.onModel?.(model, n);
      if (plan.lastModelUse[n] > n) models.set(n, model);
      else release(model);
      if (control.onGeneration) {
        const alive = new Map<number, D>();
        sets.forEach((data, s) => {
          if (data !== undefined) alive.set(s + 1, data);
        });
        await control.onGeneration({ done: n, metrics: [...metrics], sets: alive, models: new Map(models) });
      }
      if (control.signal?.aborted && n < iterations) throw control.signal.reason;
    }
  } finally {
    for (const model of models.values()) release(model); // empty unless the loop stopped early (an abort, an error)
  }
  return metrics;
}

/** What a host family's report says ran it: runTrials on typed arrays in float64, no gpu.js backend. */
export const HOST_BACKEND = { backend: 'host', backendReason: 'host float64: the generation loop on typed arrays (no gpu.js kernels)' } as const;

/** Per-iteration moments of every metric over the trials, and the raw values of the metrics asked for. */

export interface TrialSummary {
  /** moments[name][n − 1] */
  moments: Map<string, Moments[]>;
  /** values[name][n − 1][trial], for the metrics named in `keep` (medians, quantiles) */
  values: Map<string, Float64Array[]>;
}

/** Options of {@link runTrials}: kept per-trial values, progress, resume, per-trial checkpoint hook, abort signal. */
export interface TrialOptions {
  /** metrics whose per-trial values are kept (memory: trials × iterations doubles each) */
  keep?: readonly string[];
  /** after every trial: trial-iterations done out of trials × iterations */
  onProgress?: (doneTrialIterations: number, totalTrialIterations: number) => void;
  /** continue after the trials this state covers (from the same configuration): the sums come out bit-identical */
  resume?: TrialsCheckpoint;
  /** after every trial; `snapshot()` builds the resumable state (the caller decides how often that is worth it) */
  onTrial?: (trialsDone: number, snapshot: () => TrialsCheckpoint) => void | Promise<void>;
  /** checked between trials: an aborted run throws signal.reason */
  signal?: AbortSignal;
}

/** A resumable point of runTrials: the moments and kept values of the first `trialsDone` trials (plain JSON). */
export interface TrialsCheckpoint {
  trialsDone: number;
  moments: Record<string, { n: number; sum: number; sumSq: number }[]>;
  values: Record<string, number[][]>;
}

/**
 * The Monte Carlo over the loop: `trials` independent trajectories, trial t with key foldIn(foldIn(root,
 * LOOP_STREAM.trial), t), its family from `familyFor` (one shared family, or one per trial, e.g. a design).
 * A NaN or infinite metric is a NumericError naming the generation and the trial.
 */
export async function runTrials<P, D>(
  familyFor: (trial: number, key: Key) => ModelFamily<P, D>,
  config: LoopConfig,
  trials: number,
  root: Key,
  options: TrialOptions = {},
): Promise<TrialSummary> {
  const plan = loopPlan(config.strategy, config.iterations);
  const moments = new Map<string, Moments[]>();
  const values = new Map<string, Float64Array[]>();
  for (const name of options.keep ?? []) values.set(name, Array.from({ length: config.iterations }, () => new Float64Array(trials)));
  const trialKey = foldIn(root, LOOP_STREAM.trial);
  const total = trials * config.iterations;
  const start = options.resume?.trialsDone ?? 0;
  if (options.resume) {
    // trials run in order and each adds its values in order, so continuing the sums is the uninterrupted run
    for (const [name, series] of Object.entries(options.resume.moments)) {
      moments.set(name, series.map((m) => Object.assign(new Moments(), { n: m.n, sum: m.sum, sumSq: m.sumSq })));
    }
    for (const [name, rows] of Object.entries(options.resume.values)) {
      const kept = values.get(name);
      if (kept) rows.forEach((row, n) => kept[n].set(row.slice(0, start)));
    }
  }
  const snapshot = (done: number): TrialsCheckpoint => ({
    trialsDone: done,
    moments: Object.fromEntries([...moments].map(([name, series]) => [name, series.map((m) => ({ n: m.n, sum: m.sum, sumSq: m.sumSq }))])),
    values: Object.fromEntries([...values].map(([name, rows]) => [name, rows.map((row) => Array.from(row.subarray(0, done)))])),
  });
  let lastYield = performance.now();
  for (let t = start; t < trials; t++) {
    if (performance.now() - lastYield > 50) {
      // host families resolve through microtasks only: let signal handlers and timers run now and then
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    options.signal?.throwIfAborted();
    const key = foldIn(trialKey, t);
    const trajectory = await runTrajectory(familyFor(t, key), config, key, plan);
    for (let n = 0; n < trajectory.length; n++) {
      const row = trajectory[n];
      for (const name in row) {
        const value = row[name];
        if (!Number.isFinite(value)) {
          throw new NumericError(`${name} is ${value} at generation ${n + 1} of trial ${t} (${config.strategy.name})`, n + 1);
        }
        let series = moments.get(name);
        if (!series) moments.set(name, (series = Array.from({ length: config.iterations }, () => new Moments())));
        series[n].add(value);
        const kept = values.get(name);
        if (kept) kept[n][t] = value;
      }
    }
    options.onProgress?.((t + 1) * config.iterations, total);
    await options.onTrial?.(t + 1, () => snapshot(t + 1));
  }
  return { moments, values };
}
