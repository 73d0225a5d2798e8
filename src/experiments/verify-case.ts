/**
 * The shapes every verify case shares (the grid in ./verify.ts, the Bernstein, strong-collapse and curated cases in
 * their own files): below all of them, so none imports another's module for a type.
 */
import type { CategoricalReport } from './categorical.js';
import type { GaussianReport } from './gaussian.js';
import type { TailsReport } from './hutter.js';
import type { LinearReport } from './linear.js';
import type { StrongReport } from './strong.js';

/** PASS/FAIL of one verify case, with its largest |z| and the report it judged. */
export interface CaseVerdict {
  name: string;
  pass: boolean;
  /** proven cases: the largest deviation over its band (a check fails at ≥ 1); NaN for normal-approximation cases */
  worstBandRatio: number;
  /** largest |z| over iterations (unconditional, conditional) */
  maxAbsZ: number;
  maxAbsZConditional: number;
  /** accumulate: largest mean_n / theory_1, to compare with π²/6; others: mean_N / mean_1, to compare with expectedGrowth */
  growth: number;
  /** theory_N / theory_1 (accumulate: π²/6, its limit) */
  expectedGrowth: number;
  failures: string[];
  kind: 'linear' | 'gaussian' | 'bernstein';
  report: LinearReport | GaussianReport | CategoricalReport | TailsReport | StrongReport;
}

/** A verify case judged here: how many checks it adds to the run's Bonferroni split, and how to run and judge it. */
export interface BernsteinCase {
  kind: 'bernstein';
  name: string;
  checks: number;
  /** `trials` values per mean (verify's reduced count), `bound` the run's |z| bound (its δ is the per-check share) */
  run: (trials: number, seed: number, bound: number) => Promise<CaseVerdict>;
}
