/**
 * `collapse verify`: a built-in grid of cases, Monte Carlo against the closed forms, PASS/FAIL per case.
 *
 * Every iteration of every case is two two-sided z checks (unconditional theory, and the design-conditional
 * residual), plus one one-sided check per accumulate case that no iteration exceeds π²/6 × the first model's
 * expected error. With K checks in the run, each uses |z| < zStar(K), so a correct implementation fails the whole
 * run by chance with probability below 1e-6.
 */
import type { Backend } from '../kernels/backend.js';
import { zStar, FAMILY_FALSE_FAILURE } from '../core/stats.js';
import { runLinear, type LinearConfig, type LinearReport } from '../models/linear/run.js';
import type { Method } from '../models/linear/monte-carlo.js';

export interface VerifyCase {
  name: string;
  config: Omit<LinearConfig, 'trials' | 'seed' | 'backend'>;
}

const STRATEGIES = ['replace', 'accumulate'] as const;
const METHODS: readonly Method[] = ['full', 'reduced'];

/** Every other strategy with a closed form, checked at d = 10, T = 100, σ² = 1. */
const LITERATURE = ['window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'] as const;

/**
 * d = 10, T = 100, σ² = 1 for replace, accumulate and the literature's strategies; and the paper's figure grid
 * d = 32, T ∈ {100, 316, 1000}, σ² ∈ {0.01, 1, 100}, 50 iterations, for replace and accumulate.
 */
export function builtInCases(): VerifyCase[] {
  const cases: VerifyCase[] = [];
  const add = (dim: number, samples: number, noise: number, iterations: number, strategies: readonly string[] = STRATEGIES) => {
    for (const method of METHODS) {
      for (const strategy of strategies) {
        cases.push({ name: `${strategy} ${method} d=${dim} T=${samples} σ²=${noise}`, config: { strategy, method, dim, samples, noise, iterations } });
      }
    }
  };
  add(10, 100, 1, 20);
  add(10, 100, 1, 20, LITERATURE);
  for (const samples of [100, 316, 1000]) for (const noise of [0.01, 1, 100]) add(32, samples, noise, 50);
  return cases;
}

export interface CaseVerdict {
  name: string;
  pass: boolean;
  /** largest |z| over iterations (unconditional, conditional) */
  maxAbsZ: number;
  maxAbsZConditional: number;
  /** accumulate: largest mean_n / theory_1, to compare with π²/6; others: mean_N / mean_1, to compare with expectedGrowth */
  growth: number;
  /** theory_N / theory_1 (accumulate: π²/6, its limit) */
  expectedGrowth: number;
  failures: string[];
  report: LinearReport;
}

export interface VerifyReport {
  zStar: number;
  familyFalseFailure: number;
  checks: number;
  cases: CaseVerdict[];
  pass: boolean;
  seconds: number;
}

export interface VerifyOptions {
  /** trials per case for the full and the reduced method */
  trials: { full: number; reduced: number };
  seed: number;
  backend: Backend;
  cases?: VerifyCase[];
  onCase?: (index: number, total: number, verdict: CaseVerdict) => void;
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const cases = options.cases ?? builtInCases();
  const checks = cases.reduce((sum, c) => sum + 2 * c.config.iterations + (c.config.strategy === 'accumulate' ? 1 : 0), 0);
  const bound = zStar(checks);
  const started = performance.now();
  const verdicts: CaseVerdict[] = [];
  for (const [index, c] of cases.entries()) {
    const config: LinearConfig = { ...c.config, trials: options.trials[c.config.method], seed: options.seed + index, backend: options.backend.name };
    const report = await runLinear(config, { backend: options.backend });
    const verdict = judge(c.name, report, bound);
    verdicts.push(verdict);
    options.onCase?.(index, cases.length, verdict);
  }
  return {
    zStar: bound,
    familyFalseFailure: FAMILY_FALSE_FAILURE,
    checks,
    cases: verdicts,
    pass: verdicts.every((v) => v.pass),
    seconds: (performance.now() - started) / 1000,
  };
}

export function judge(name: string, report: LinearReport, bound: number): CaseVerdict {
  const failures: string[] = [];
  let maxAbsZ = 0;
  let maxAbsZConditional = 0;
  for (const row of report.iterations) {
    const z = row.z ?? NaN;
    const zc = row.zConditional ?? NaN;
    maxAbsZ = Math.max(maxAbsZ, Math.abs(z));
    maxAbsZConditional = Math.max(maxAbsZConditional, Math.abs(zc));
    if (!(Math.abs(z) < bound)) failures.push(`n=${row.iteration}: z=${z.toFixed(2)}`);
    if (!(Math.abs(zc) < bound)) failures.push(`n=${row.iteration}: conditional z=${zc.toFixed(2)}`);
  }
  const rows = report.iterations;
  let growth: number;
  const expectedGrowth = report.accumulateBound !== null ? Math.PI ** 2 / 6 : (rows[rows.length - 1].theory as number) / (rows[0].theory as number);
  if (report.accumulateBound !== null) {
    const first = rows[0].theory as number;
    growth = Math.max(...rows.map((r) => r.mean / first));
    // one-sided: the largest standardised excess over π²/6 × first must stay below the band
    const excess = Math.max(...rows.map((r) => (r.mean - (report.accumulateBound as number)) / r.stderr));
    if (!(excess < bound)) failures.push(`exceeds π²/6 × first error (excess z=${excess.toFixed(2)})`);
  } else {
    growth = rows[rows.length - 1].mean / rows[0].mean;
  }
  return { name, pass: failures.length === 0, maxAbsZ, maxAbsZConditional, growth, expectedGrowth, failures, report };
}
