/**
 * A strategy's plan in float64, shared by every model family: the data sets of each step, the pool weights checked
 * against them, and how long each model is needed. Computed once per strategy object and length (chunk sizing, the
 * memory guard and the simulation all read it; weights from an expression cost rational arithmetic per step).
 */
import { fractionToNumber } from '../core/fraction.js';
import { dataPlan, type DataPlan, type PoolStrategy } from './strategy.js';

export interface NumericPlan extends DataPlan {
  /** weights[n − 1][s − 1]: weight of data set s in model n's pool */
  readonly weights: readonly number[][];
  /** lastModelUse[k]: the last step that adds a data set labelled by model k (0: never after its creation) */
  readonly lastModelUse: readonly number[];
}

const plans = new WeakMap<PoolStrategy, Map<number, NumericPlan>>();

/** A strategy's plan for `iterations` steps in float64 (cached per strategy object and length): {@link DataPlan} plus weights[n − 1][s − 1] = a_{n,s}, the exact pool weights rounded once, and lastModelUse[k], the last step that samples from model k. */
export function numericPlan(strategy: PoolStrategy, iterations: number): NumericPlan {
  let byLength = plans.get(strategy);
  if (!byLength) plans.set(strategy, (byLength = new Map()));
  let plan = byLength.get(iterations);
  if (!plan) byLength.set(iterations, (plan = compute(strategy, iterations)));
  return plan;
}

function compute(strategy: PoolStrategy, iterations: number): NumericPlan {
  const plan = dataPlan(strategy, iterations);
  const weights = Array.from({ length: iterations }, (_, n) => strategy.poolWeights(n + 1).map(fractionToNumber));
  weights.forEach((a, index) => {
    const available = plan.added.slice(0, index + 1).reduce((count, sets) => count + sets.length, 0);
    if (a.length !== available) throw new Error(`${strategy.name}: pool ${index + 1} weights ${a.length} data sets, but ${available} exist`);
    a.forEach((w, s) => {
      if (!(w >= 0)) throw new Error(`${strategy.name}: pool ${index + 1} gives data set ${s + 1} the weight ${w}`);
    });
  });
  const lastModelUse = new Array<number>(iterations + 1).fill(0);
  plan.added.forEach((sets, index) => {
    for (const s of sets) lastModelUse[plan.sources[s - 1]] = index + 1;
  });
  return { ...plan, weights, lastModelUse };
}
