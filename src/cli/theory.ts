/**
 * `collapse theory`: a strategy's exact error factors F_n = Σ_j b_{n,j}² per iteration (fractions and decimals, from
 * the pool-weight recursion of src/theory/pool-weights.ts), the coefficients b_{N,j} of the last model, the limit
 * where one is proved, and with --optimize the parameter minimising the limit. No Monte Carlo.
 */
import { UsageError } from '../core/errors.js';
import { fraction, fractionToNumber } from '../core/fraction.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { dataPlan, parseStrategy, STRATEGY_FORMS } from '../strategies/index.js';
import { errorCoefficients } from '../theory/pool-weights.js';
import { optimiseLimit, strategyLimit, type LimitOptimum } from '../theory/strategy-limits.js';
import { DEFAULT_RANGE, optimiseWeights } from '../theory/weights-optimum.js';
import { fmt, table } from './output.js';

/** Exact rationals get slow beyond this (O(n³) big-rational operations; accumulate at 200: ~2 s here). */
const MAX_ITERATIONS = 200;
/** Up to this many iterations the text shows every model's coefficients. */
const COEFFICIENT_ROWS = 12;
/** Parameters --optimize knows, by strategy family. */
const OPTIMISABLE: Readonly<Record<string, string>> = { fresh: 'fresh:p', augment: 'augment:r', window: 'window:k' };

export const THEORY_OPTIONS: readonly OptionSpec[] = [
  { flag: 'strategy', kind: 'string', meta: 'strategy', description: `the strategy (${STRATEGY_FORMS.join(', ')}); with --optimize NAME, write NAME as its argument (fresh:p)` },
  { flag: 'iterations', kind: 'int', default: 10, min: 1, max: MAX_ITERATIONS, description: 'models n = 1 … N' },
  { flag: 'optimize', kind: 'string', meta: 'name', description: `minimise the limit over the strategy's parameter NAME (${Object.values(OPTIMISABLE).join(', ')}), or F_N over a free name of a weights: expression (weights:exp(-(n-i)/a) --optimize a)` },
  { flag: 'range', kind: 'string', meta: 'lo:hi', description: `with --optimize on a weights: expression: the parameter's range searched (default ${DEFAULT_RANGE.join(':')})` },
  { flag: 'json', kind: 'boolean', description: 'print one JSON object instead of the table' },
  { flag: 'debug', kind: 'boolean', description: 'print stack traces of internal errors' },
];

export interface TheoryJson {
  strategy: string;
  iterations: { iteration: number; factor: number; factorExact: string }[];
  limit: number | null;
  optimum: { parameter: string; value: number; limit: number | null } | null;
}

interface TheoryResult {
  json: TheoryJson;
  /** lines of the text report beyond the table */
  notes: string[];
  /** b_{n,j} of every model n (nonzero only), with each data set's source, where exact rationals exist */
  coefficients: { set: number; source: number; exact: string }[][] | null;
}

/** Parse `fresh:p --optimize p` into the family head and the parameter's name, or throw a one-line UsageError. */
function optimisedFamily(strategy: string, parameter: string): string {
  const colon = strategy.indexOf(':');
  const head = colon < 0 ? strategy : strategy.slice(0, colon);
  if (!(head in OPTIMISABLE) || strategy.slice(colon + 1) !== parameter) {
    const known = Object.values(OPTIMISABLE).map((form) => `--strategy ${form} --optimize ${form.split(':')[1]}`);
    throw new UsageError(`--optimize ${parameter} needs the strategy's parameter written as ${JSON.stringify(parameter)}: ${known.join(' or ')}; got --strategy ${strategy}`);
  }
  return head;
}

export function computeTheory(strategyText: string, iterations: number, optimize?: string, range?: string): TheoryResult {
  if (range !== undefined && (optimize === undefined || !strategyText.startsWith('weights:'))) {
    throw new UsageError(`--range applies to --optimize on a weights: expression; got --strategy ${strategyText}${optimize === undefined ? ' without --optimize' : ''}`);
  }
  if (optimize !== undefined && strategyText.startsWith('weights:')) return weightsOptimum(strategyText, iterations, optimize, range);
  if (optimize !== undefined) {
    const head = optimisedFamily(strategyText, optimize);
    const optimum = optimiseLimit(head, optimize, iterations) as LimitOptimum;
    const factors = optimum.factors(iterations);
    return {
      json: {
        strategy: strategyText,
        iterations: factors.map((f, n) => ({ iteration: n + 1, factor: f.value, factorExact: f.exact })),
        limit: optimum.limit,
        optimum: { parameter: optimum.parameter, value: optimum.value, limit: optimum.limit },
      },
      notes: [
        `optimum: ${optimum.statement} (proofs/strategy-limits.md)`,
        optimum.limit === null
          ? `no limit: ${optimize}* = ${optimum.value} is the optimum at the horizon ${iterations} only`
          : `certified: ${optimum.bracket[0]} ≤ ${optimize}* ≤ ${optimum.bracket[1]} (exact sign checks); ${optimize}* ≈ ${optimum.value.toPrecision(12)}, F_∞ ≈ ${optimum.limit.toPrecision(12)}`,
        `factors below: ${head}:${optimize}* exactly`,
      ],
      coefficients: null,
    };
  }
  const strategy = parseStrategy(strategyText);
  if (strategy.fit === 'subsample') throw new UsageError(`--strategy ${strategy.name} fits subsamples of the pool: it has no exact theory (Monte Carlo only: collapse linear)`);
  const b = errorCoefficients(strategy, iterations);
  const limit = strategyLimit(strategy);
  const { sources } = dataPlan(strategy, iterations);
  return {
    json: {
      strategy: strategy.name,
      iterations: b.map((row, n) => {
        const factor = row.reduce((sum, c) => sum.add(c.mul(c)), row[0].mul(0));
        return { iteration: n + 1, factor: fractionToNumber(factor), factorExact: factor.toFraction() };
      }),
      limit: limit.value,
      optimum: null,
    },
    notes: [`limit: ${limit.exact ?? '—'}${limit.value === null ? '' : ` ≈ ${limit.value.toPrecision(12)}`}; ${limit.why}`, ...gaussianNote(strategy.name)],
    coefficients: b.map((row) => row.flatMap((c, j) => (Number(c.n) === 0 ? [] : [{ set: j + 1, source: sources[j], exact: c.toFraction() }]))),
  };
}

/** --optimize NAME on weights:<expr>: the minimiser of F_N at the horizon N (proofs/strategy-limits.md#L5). */
function weightsOptimum(strategyText: string, iterations: number, parameter: string, range?: string): TheoryResult {
  const bounds = range === undefined ? DEFAULT_RANGE : range.split(':');
  if (bounds.length !== 2 || !bounds.every((b) => /^-?\d+(\.\d+)?(e-?\d+)?$/.test(b))) throw new UsageError(`--range must be LO:HI, two decimals; got ${JSON.stringify(range)}`);
  const optimum = optimiseWeights(strategyText.slice('weights:'.length), parameter, iterations, [bounds[0], bounds[1]]);
  const factors = optimum.factors(iterations);
  return {
    json: {
      strategy: strategyText,
      iterations: factors.map((f, n) => ({ iteration: n + 1, factor: f.value, factorExact: f.exact })),
      limit: null,
      optimum: { parameter: optimum.parameter, value: optimum.value, limit: null },
    },
    notes: [
      `optimum at the horizon N = ${iterations} (no limit is derived for weights: expressions): ${optimum.statement} (proofs/strategy-limits.md#L5)`,
      `${parameter}* ≈ ${optimum.value.toPrecision(10)}; weights from functions without rational values (exp, …) are their float64 values, taken as exact rationals: the bracket is for F_N so computed`,
      `factors below: ${parameter} = ${optimum.value.toPrecision(12)}`,
    ],
    coefficients: null,
  };
}

/** fresh:p's Gaussian counterpart (G10), in m: the numbers of the fixed point with p put in. */
function gaussianNote(name: string): string[] {
  if (!name.startsWith('fresh:')) return [];
  const p = fraction(name.slice('fresh:'.length));
  if (Number(p.n) === 0) return [];
  const numerator = p.mul(p).mul(2).sub(p.mul(2)).add(1);
  const slope = p.mul(fraction(2).sub(p));
  return [`Gaussian fitting under ${name} (MLE, m items per data set): E‖μ̂_∞ − μ‖²/tr Σ₀ = M_∞ = ${numerator.toFraction()} / ((m − 1)·${slope.toFraction()} + 1), E tr Σ̂_∞/tr Σ₀ = 1 − M_∞ (proofs/gaussian.md#G10)`];
}

/** A long fraction shortened for the table (the JSON always has it whole). */
const shorten = (text: string) => (text.length <= 40 ? text : `${text.slice(0, 18)}…${text.slice(-12)} (${text.length} chars)`);

export async function theoryCommand(flags: Record<string, unknown>): Promise<number> {
  if (flags.strategy === undefined) throw new UsageError(`--strategy is required: one of ${STRATEGY_FORMS.join(', ')}`);
  const spec = (flag: string) => THEORY_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
  const strategy = parseOption(spec('strategy'), flags.strategy) as string;
  const iterations = (flags.iterations === undefined ? 10 : parseOption(spec('iterations'), flags.iterations)) as number;
  const optimize = flags.optimize === undefined ? undefined : (parseOption(spec('optimize'), flags.optimize) as string);
  const range = flags.range === undefined ? undefined : (parseOption(spec('range'), flags.range) as string);
  const result = computeTheory(strategy, iterations, optimize, range);
  if (flags.json) {
    process.stdout.write(JSON.stringify(result.json) + '\n');
    return 0;
  }
  const rows = result.json.iterations.map((r) => [String(r.iteration), shorten(r.factorExact), fmt(r.factor, 10)]);
  const lines = [
    `collapse theory: ${result.json.strategy}, ${iterations} iterations — error factor F_n = Σ_j b_{n,j}² = E‖ŵ_n − w*‖² / (σ² tr (XᵀX)⁻¹), exact (proofs/linear-fixed-design.md#P1)`,
    '',
    table(['n', 'F_n (exact)', 'F_n'], rows),
    '',
    ...result.notes,
  ];
  if (result.coefficients) {
    // every model's row while they fit on a screen, else the last model's
    const shown = iterations <= COEFFICIENT_ROWS ? result.coefficients.map((row, n) => [n + 1, row] as const) : [[iterations, result.coefficients[iterations - 1]] as const];
    lines.push(`coefficients b_{n,j} (e_n = Σ_j b_{n,j} z_j; data set j ← its source, 0 = real data; zeros omitted)${iterations > COEFFICIENT_ROWS ? `, model ${iterations} only` : ''}:`);
    for (const [n, row] of shown) lines.push(`  n=${n}: ` + row.map((c) => `j=${c.set}←${c.source}: ${shorten(c.exact)}`).join(', '));
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
