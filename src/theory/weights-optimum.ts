/**
 * `collapse theory --strategy 'weights:<expr>' --optimize a`: the value of a free parameter of a weights: expression
 * that minimises the error factor F_N at the horizon N (proofs/strategy-limits.md#L5). No limit is derived for
 * weights: expressions, so the optimum is at the horizon. F_N at each trial value comes from the exact pool-weight
 * recursion (certified float64 intervals; a comparison they cannot decide ends the search); the search is golden-section
 * inside the bracket a grid scan finds, and the bracket holds the minimiser whenever F_N is strictly unimodal in the
 * parameter on the range — which the grid scan checks (it can refute unimodality, not prove it).
 */
import { UsageError } from '../core/errors.js';
import { fractionToNumber } from '../core/fraction.js';
import { customWeights } from '../strategies/custom-weights.js';
import { intervalNoiseFactors, noiseFactors } from './pool-weights.js';
import type { LimitOptimum } from './strategy-limits.js';

/** Grid points of the unimodality scan. */
export const SCAN_POINTS = 41;
/** The search stops when the bracket is this narrow relative to its magnitude. */
const RELATIVE_WIDTH = 1e-9;
/** The factors at the optimum are printed as exact rationals: up to this horizon. */
const EXACT_HORIZON = 60;
/** Names a free parameter may not take: the expression's own variables and constants. */
const RESERVED = new Set(['n', 'i', 'pi', 'PI', 'e', 'E', 'tau', 'phi']);
/** The default --range. */
export const DEFAULT_RANGE: readonly [string, string] = ['0.01', '100'];

/** A trial value as a decimal string the expression parser keeps exact (12 significant digits). */
const decimal = (x: number) => Number(x.toPrecision(12)).toString();

/** F_N at one parameter value: a certified float interval, and the exact rational on demand. */
interface Evaluation {
  value: string;
  x: number;
  lo: number;
  hi: number;
}

/** The result of {@link optimiseWeights}: a {@link LimitOptimum} (limit always null) and what the scan found. */
export interface WeightsOptimum extends LimitOptimum {
  /** false where the grid scan refuted unimodality: value is then the best grid point, with no bracket claim */
  unimodalOnGrid: boolean;
  /** the optimum sits at an end of the range (widen it) */
  atEdge: boolean;
  range: [string, string];
}

/**
 * The minimiser of F_N over `range` for weights:<expression> with `parameter` free. Certified comparisons: F_N(u) <
 * F_N(v) when u's float64 interval (which holds the exact F_N of the weights used) lies below v's. Golden-section
 * search keeps a bracket [a, b] that holds the minimiser of a strictly unimodal F_N; it stops at relative width 1e-9
 * or at the first comparison the intervals cannot decide (the bracket so far is reported).
 * @source golden-section search, Kiefer 1953, Proc. AMS 4:502 (sequential minimax search for a maximum); the factors from the pool-weight recursion of Gerstgrasser et al. 2024, arXiv:2404.01413
 * @proof proofs/strategy-limits.md#L5
 */
export function optimiseWeights(expression: string, parameter: string, horizon: number, range: readonly [string, string] = DEFAULT_RANGE): WeightsOptimum {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(parameter) || RESERVED.has(parameter)) {
    throw new UsageError(`--optimize ${JSON.stringify(parameter)} must name a free parameter of the weights: expression (a letter and letters or digits, not n, i or a constant)`);
  }
  if (!new RegExp(`(^|[^A-Za-z0-9_])${parameter}($|[^A-Za-z0-9_(])`).test(expression)) {
    throw new UsageError(`--optimize ${parameter}: the expression ${JSON.stringify(expression.slice(0, 80))} has no parameter ${parameter} (write e.g. weights:exp(-(n-i)/${parameter}))`);
  }
  if (horizon > EXACT_HORIZON) throw new UsageError(`--optimize on a weights: expression compares exact factors up to --iterations ${EXACT_HORIZON}; got ${horizon}`);
  const [low, high] = range.map(Number);
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) throw new UsageError(`--range must be LO:HI with LO < HI (decimals); got ${range.join(':')}`);
  const strategyAt = (value: string) => customWeights(expression, { [parameter]: value });
  const cache = new Map<string, Evaluation>();
  const evaluate = (x: number): Evaluation => {
    const value = decimal(x);
    let e = cache.get(value);
    if (!e) {
      const [lo, hi] = intervalNoiseFactors(strategyAt(value), horizon)[horizon - 1];
      e = { value, x: Number(value), lo, hi };
      cache.set(value, e);
    }
    return e;
  };
  /** −1: F(u) < F(v) and 1: F(u) > F(v), certified (the intervals hold the exact values and do not overlap); 0: undecided. */
  const compare = (u: Evaluation, v: Evaluation): number => (u.hi < v.lo ? -1 : v.hi < u.lo ? 1 : 0);

  // the scan: log-spaced over a positive range spanning a decade or more, else even
  const logScale = low > 0 && high / low >= 10;
  const grid = Array.from({ length: SCAN_POINTS }, (_, k) => {
    const t = k / (SCAN_POINTS - 1);
    return evaluate(k === 0 ? low : k === SCAN_POINTS - 1 ? high : logScale ? low * (high / low) ** t : low + (high - low) * t);
  });
  let best = 0;
  for (let k = 1; k < grid.length; k++) if (compare(grid[k], grid[best]) < 0) best = k;
  // unimodal ⇒ no certified rise up to the best grid point, no certified fall after it
  const unimodalOnGrid = grid.every((g, k) => k === 0 || (k <= best ? compare(grid[k - 1], g) >= 0 : compare(grid[k - 1], g) <= 0));
  const atEdge = best === 0 || best === grid.length - 1;
  let a = grid[Math.max(0, best - 1)];
  let b = grid[Math.min(grid.length - 1, best + 1)];
  if (unimodalOnGrid) {
    const inverse = (Math.sqrt(5) - 1) / 2;
    while (b.x - a.x > RELATIVE_WIDTH * Math.max(Math.abs(a.x), Math.abs(b.x))) {
      const c = evaluate(b.x - inverse * (b.x - a.x));
      const d = evaluate(a.x + inverse * (b.x - a.x));
      if (!(a.x < c.x && c.x < d.x && d.x < b.x)) break; // 12 significant digits reached
      const order = compare(c, d);
      if (order === 0) break; // the intervals overlap: the bracket so far is what is certified
      if (order < 0) b = d;
      else a = c;
    }
  }
  const optimum = unimodalOnGrid ? evaluate((a.x + b.x) / 2) : grid[best];
  const p = parameter;
  const factorsAt = (iterations: number) => noiseFactors(strategyAt(optimum.value), iterations).map((f) => ({ exact: f.toFraction(), value: fractionToNumber(f) }));
  const statement = unimodalOnGrid
    ? `${p}* ∈ [${a.value}, ${b.value}] minimises F_${horizon} over ${p} ∈ [${range.join(', ')}] if F_${horizon} is strictly unimodal in ${p} there: a ${SCAN_POINTS}-point scan finds no certified rise before its least point and no certified fall after it (a scan can refute unimodality, not prove it), then golden-section search narrows the bracket while certified comparisons decide${atEdge ? `; the minimum is at the end of the range ${best === 0 ? range[0] : range[1]}: widen --range` : ''}`
    : `F_${horizon} is not unimodal on the ${SCAN_POINTS}-point scan of [${range.join(', ')}] (a certified rise before a fall): ${p} = ${optimum.value} is the best scanned value only, with no bracket`;
  return {
    parameter: p,
    value: optimum.x,
    limit: null,
    statement,
    bracket: unimodalOnGrid ? [a.value, b.value] : [optimum.value, optimum.value],
    factors: factorsAt,
    unimodalOnGrid,
    atEdge,
    range: [range[0], range[1]],
  };
}
