/**
 * The linear Monte Carlo's checkpoint as stored in checkpoint.json, checked field by field before a resume trusts
 * it: the moments after whole chunks, with trial counts that must add up for this configuration.
 */
import { UsageError } from '../core/errors.js';
import { plausibleMoments } from '../core/stats.js';
import type { LinearConfig } from '../experiments/linear.js';
import type { MomentsState, MonteCarloCheckpoint } from '../models/linear/monte-carlo.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const count = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Moments of n trials that real numbers could have given (errors and traces are ≥ 0: `nonNegative`). */
const moments = (x: unknown, n: number, nonNegative = false): x is MomentsState => plausibleMoments(x, n, nonNegative);

/** The checkpoint state if it fits `config`, else a one-line UsageError naming the run directory. */
export function linearCheckpointState(state: unknown, config: LinearConfig, dir: string): MonteCarloCheckpoint {
  const bad = (why: string) => new UsageError(`--resume ${dir}: its checkpoint.json does not fit the run in its manifest.json (${why}); nothing was changed`);
  if (!isObject(state)) throw bad('no Monte Carlo state');
  const { chunksDone, chunkTrials, error, conditionalResidual, traceGramInverse, gramInverseSquares, ridgeSpread } = state;
  if (!count(chunksDone) || chunksDone < 1 || !count(chunkTrials) || chunkTrials < 1 || chunkTrials > config.trials) throw bad('chunk counts');
  if ((chunksDone - 1) * chunkTrials >= config.trials) throw bad(`${chunksDone} chunks of ${chunkTrials} trials exceed ${config.trials} trials`);
  const trials = Math.min(config.trials, chunksDone * chunkTrials);
  if (!Array.isArray(error) || error.length !== config.iterations || !error.every((m) => moments(m, trials, true))) throw bad('per-iteration errors');
  if (conditionalResidual !== null && (!Array.isArray(conditionalResidual) || conditionalResidual.length !== config.iterations || !conditionalResidual.every((m) => moments(m, trials)))) {
    throw bad('conditional residuals');
  }
  if (!moments(traceGramInverse, trials, true)) throw bad('tr((XᵀX)⁻¹) moments');
  const sumMax = (x: unknown) => isObject(x) && x.n === trials && typeof x.sum === 'number' && typeof x.max === 'number' && x.sum >= 0 && x.max >= 0 && x.max <= x.sum && Number.isFinite(x.sum);
  if (gramInverseSquares !== undefined && gramInverseSquares !== null && !sumMax(gramInverseSquares)) throw bad('tr((XᵀX)⁻²) sums');
  const perIteration = (x: unknown) => Array.isArray(x) && x.length === config.iterations && x.every(sumMax);
  if (ridgeSpread !== undefined && ridgeSpread !== null && !(isObject(ridgeSpread) && perIteration(ridgeSpread.chi4) && perIteration(ridgeSpread.gauss))) throw bad('ridge spread sums');
  return state as unknown as MonteCarloCheckpoint;
}

/** How far a checkpoint got, for messages and the manifest. */
export function describeProgress(state: MonteCarloCheckpoint, config: LinearConfig): string {
  const chunks = Math.ceil(config.trials / state.chunkTrials);
  return `chunk ${state.chunksDone} of ${chunks} (${Math.min(config.trials, state.chunksDone * state.chunkTrials)} of ${config.trials} trials)`;
}
