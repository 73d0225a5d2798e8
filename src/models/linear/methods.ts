/**
 * The linear Monte Carlo's fitting procedures, one line each. Their `selects` predicates exclude one another, so
 * the order is only the order of reading; methodFor finds the one that runs a configuration.
 */
import type { LinearMethod, LinearRun } from './method.js';
import { fullMethod } from './full.js';
import { randomDesignMethod } from './random-design.js';
import { reducedMethod } from './reduced.js';
import { subsampleMethod } from './subsample.js';

export const LINEAR_METHODS: readonly LinearMethod[] = [
  fullMethod, // fixed design, --method full: new labels for every data set, the pooled normal equations solved
  reducedMethod, // fixed design, --method reduced: the fits' sufficient statistics in XᵀX's eigenbasis
  subsampleMethod, // fixed design, accumulate-subsample: T rows drawn from the pool, refit on them
  randomDesignMethod, // --design random: a new X per data set
];

/** The method that runs `run`; throws if none or several select it (a gap or overlap in the predicates). */
export function methodFor(run: LinearRun): LinearMethod {
  const selected = LINEAR_METHODS.filter((method) => method.selects(run));
  if (selected.length !== 1) {
    throw new Error(`${selected.length} linear methods select this run (${selected.map((m) => m.name).join(', ') || 'none'}): their predicates must exclude one another`);
  }
  return selected[0];
}
