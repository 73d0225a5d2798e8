/**
 * The long-run error factor F_∞ = lim Σ_j b_{n,j}² of a strategy (proofs/strategy-limits.md), and the parameter
 * that minimises it. The factors themselves always come from the exact recursion of src/theory/pool-weights.ts;
 * this file adds only what that recursion cannot give by itself: limits (closed forms proved per strategy) and
 * optima (exact where rational, and where irrational an exact algebraic statement with a certified rational bracket).
 */
import { fraction, fractionToNumber, type Fraction } from '../core/fraction.js';
import { augment } from '../strategies/augment.js';
import { window } from '../strategies/window.js';
import type { PoolStrategy } from '../strategies/strategy.js';
import { noiseFactors } from './pool-weights.js';

/** A strategy's limit: its value exactly (text) and as a float, or why there is none. */
export interface StrategyLimit {
  /** F_∞ as a float; null where the factor diverges or no limit is derived */
  value: number | null;
  /** F_∞ exactly ('2/3', 'π²/6'), or null */
  exact: string | null;
  /** one line: the closed form and its proof anchor, or why there is no limit */
  why: string;
}

/** The argument of a parameterised strategy name ('fresh:0.5' → '0.5'); null for the others. */
function argumentOf(name: string, head: string): string | null {
  return name.startsWith(`${head}:`) ? name.slice(head.length + 1) : null;
}

/**
 * fresh:p: F_∞ = (2p² − 2p + 1)/(p(2 − p)) for p in (0, 1]; p = 0 is replace (F_n = n diverges).
 * @source He, Xu & Cheng 2025, arXiv:2502.18049 (fresh real data, golden-ratio optimum); derived here from the pool-weight recursion of Gerstgrasser et al. 2024, arXiv:2404.01413
 * @proof proofs/strategy-limits.md#L1
 * @example freshLimit(fraction(1, 2))?.toFraction() // returns '2/3'
 */
export function freshLimit(p: Fraction): Fraction | null {
  if (Number(p.n) === 0) return null;
  const one = fraction(1);
  return p.mul(p).mul(2).sub(p.mul(2)).add(one).div(p.mul(fraction(2).sub(p)));
}

/**
 * augment:r: F_∞ = (1 + r)²/(1 + 2r) (the real set's noise keeps weight 1 forever; the synthetic chain adds q^{2i},
 * q = r/(1 + r)).
 * @source Alemohammad et al. 2023, arXiv:2307.01850 (augmentation loop); Bertrand et al. 2023, arXiv:2310.00429 (stability with a real share); derived here from the pool-weight recursion
 * @proof proofs/strategy-limits.md#L2
 * @example augmentLimit(fraction(1)).toFraction() // returns '4/3'
 */
export function augmentLimit(r: Fraction): Fraction {
  const one = fraction(1);
  return one.add(r).mul(one.add(r)).div(one.add(r.mul(2)));
}

/**
 * The limit of Σ_j b_{n,j}² for the strategies whose limit is proved: replace and window:k diverge (L3), accumulate
 * tends to π²/6 (Basel; proofs/linear-fixed-design.md#P3), fresh:p and augment:r by L1 and L2. weights:<expr> and
 * any other strategy: null, with the reason (no general limit is derived).
 * @source Gerstgrasser et al. 2024, arXiv:2404.01413 (replace grows linearly, accumulate is bounded by π²/6); L1–L3 derived here
 * @proof proofs/strategy-limits.md#L3
 */
export function strategyLimit(strategy: PoolStrategy): StrategyLimit {
  const name = strategy.name;
  if (strategy.fit === 'subsample') return { value: null, exact: null, why: `${name} fits subsamples: no exact theory` };
  if (name === 'replace') return { value: null, exact: null, why: 'diverges: F_n = n (proofs/linear-fixed-design.md#P2)' };
  if (name === 'accumulate') return { value: Math.PI ** 2 / 6, exact: 'π²/6', why: 'F_n = Σ_{i≤n} 1/i² → π²/6 (proofs/linear-fixed-design.md#P3)' };
  const k = argumentOf(name, 'window');
  if (k !== null) return { value: null, exact: null, why: `diverges: F_n ≥ ⌊n/${k}⌋²/n (proofs/strategy-limits.md#L3)` };
  const p = argumentOf(name, 'fresh');
  if (p !== null) {
    const limit = freshLimit(fraction(p));
    if (limit === null) return { value: null, exact: null, why: 'diverges: fresh:0 is replace, F_n = n' };
    return { value: fractionToNumber(limit), exact: limit.toFraction(), why: 'F_∞ = (2p² − 2p + 1)/(p(2 − p)) (proofs/strategy-limits.md#L1)' };
  }
  const r = argumentOf(name, 'augment');
  if (r !== null) {
    const limit = augmentLimit(fraction(r));
    return { value: fractionToNumber(limit), exact: limit.toFraction(), why: 'F_∞ = (1 + r)²/(1 + 2r) (proofs/strategy-limits.md#L2)' };
  }
  return { value: null, exact: null, why: `no limit derived for ${name} (the factors per n above are exact)` };
}

/** An element a + b√5 of Q(√5), exactly: the golden-ratio optimum of fresh:p lives there. */
export class QuadraticSqrt5 {
  constructor(
    readonly a: Fraction,
    readonly b: Fraction,
  ) {}
  static of(a: Fraction, b: Fraction = fraction(0)): QuadraticSqrt5 {
    return new QuadraticSqrt5(a, b);
  }
  add(o: QuadraticSqrt5): QuadraticSqrt5 {
    return new QuadraticSqrt5(this.a.add(o.a), this.b.add(o.b));
  }
  sub(o: QuadraticSqrt5): QuadraticSqrt5 {
    return new QuadraticSqrt5(this.a.sub(o.a), this.b.sub(o.b));
  }
  mul(o: QuadraticSqrt5): QuadraticSqrt5 {
    return new QuadraticSqrt5(this.a.mul(o.a).add(this.b.mul(o.b).mul(5)), this.a.mul(o.b).add(this.b.mul(o.a)));
  }
  equals(o: QuadraticSqrt5): boolean {
    return this.a.equals(o.a) && this.b.equals(o.b);
  }
  toNumber(): number {
    const a = fractionToNumber(this.a);
    const b = fractionToNumber(this.b) * Math.sqrt(5);
    if (Math.sign(a) * Math.sign(b) >= 0) return a + b;
    // a and b√5 nearly cancel (421 − 188√5): through the conjugate, (a² − 5b²)/(a − b√5), the norm exact
    return fractionToNumber(this.a.mul(this.a).sub(this.b.mul(this.b).mul(5))) / (a - b);
  }
  toString(): string {
    if (Number(this.b.n) === 0) return this.a.toFraction();
    const b = this.b.abs();
    const sqrt = b.equals(fraction(1)) ? '√5' : `${b.toFraction()}·√5`;
    if (Number(this.a.n) === 0) return Number(this.b.s) < 0 ? `−${sqrt}` : sqrt;
    return `${this.a.toFraction()} ${Number(this.b.s) < 0 ? '−' : '+'} ${sqrt}`;
  }
}

/** p* = (√5 − 1)/2 = 1/φ in Q(√5). */
export const GOLDEN_SHARE = QuadraticSqrt5.of(fraction(-1, 2), fraction(1, 2));

/**
 * fresh:p's factors F_n = p² + (1 − p)²(F_{n−1} + 1), F_1 = 1, for p in any field with +, −, × (here Q(√5), so
 * that F_n at p* = 1/φ is exact); at rational p they equal noiseFactors(fresh:p) (test/theory/strategy-limits.test.ts).
 * @source derived here from the pool-weight recursion of Gerstgrasser et al. 2024, arXiv:2404.01413, proof of Thm 2
 * @proof proofs/strategy-limits.md#L1
 */
export function freshFactorsAt(p: QuadraticSqrt5, iterations: number): QuadraticSqrt5[] {
  const one = QuadraticSqrt5.of(fraction(1));
  const stay = one.sub(p).mul(one.sub(p));
  const out = [one];
  for (let n = 2; n <= iterations; n++) out.push(p.mul(p).add(stay.mul(out[n - 2].add(one))));
  return out.slice(0, iterations);
}

/** The optimum of a strategy's limit over its parameter. */
export interface LimitOptimum {
  /** the parameter's name as written in the strategy ('p', 'r') */
  parameter: string;
  value: number;
  /** F_∞ at the optimum; null where every parameter value diverges (then the optimum is at the horizon N) */
  limit: number | null;
  /** the optimum exactly: a rational or an algebraic number, and what is proved about it */
  statement: string;
  /** rationals lo < value < hi, certified by exact arithmetic (equal to value when it is rational) */
  bracket: [string, string];
  /** iterations' factors at the optimum, exactly (in Q(√5) where the optimum is irrational) */
  factors: (iterations: number) => { exact: string; value: number }[];
}

/**
 * Fibonacci ratios F_k/F_{k+1} bracket 1/φ from alternate sides; the sign of x² + x − 1 at each (exact) certifies it.
 * Returns [lo, hi] with lo² + lo − 1 < 0 < hi² + hi − 1 and hi − lo < 1e-12.
 * @source the continued fraction of 1/φ = [0; 1, 1, 1, …] (convergents F_k/F_{k+1}); Hardy & Wright, An Introduction to the Theory of Numbers, §10.14
 * @proof proofs/strategy-limits.md#L4
 */
export function goldenBracket(): [Fraction, Fraction] {
  const sign = (x: Fraction) => Number(x.mul(x).add(x).sub(1).s);
  let [f0, f1] = [1n, 1n];
  let lo = fraction(0);
  let hi = fraction(1);
  while (fractionToNumber(hi.sub(lo)) >= 1e-12) {
    [f0, f1] = [f1, f0 + f1];
    const x = fraction(f0, f1);
    const value = x.mul(x).add(x).sub(1);
    if (Number(value.n) === 0) throw new Error('a rational root of x² + x − 1: impossible');
    if (sign(x) < 0) lo = x;
    else hi = x;
  }
  return [lo, hi];
}

/**
 * The minimiser of F_∞ over the strategy's parameter: fresh:p → p* = (√5 − 1)/2 = 1/φ with F_∞(p*) = p* (L4);
 * augment:r → r = 0 with F_∞ = 1 (L2: F_∞ increases with r). window:k diverges for every k (L3), so its optimum is
 * taken at the horizon N: the k in 1 … N with the least exact F_N (window:k for k ≥ N is window:N at horizon N, so the
 * enumeration is complete). Null for a strategy without a proved optimum.
 * @source He, Xu & Cheng 2025, arXiv:2502.18049 (the optimal weight on real data is 1/φ); Garg, Bhattacharya & Sur 2025, arXiv:2509.22341; derived here (L2, L4)
 * @proof proofs/strategy-limits.md#L4
 */
export function optimiseLimit(head: string, parameter: string, horizon = 1): LimitOptimum | null {
  if (head === 'fresh') {
    const [lo, hi] = goldenBracket();
    return {
      parameter,
      value: GOLDEN_SHARE.toNumber(),
      limit: GOLDEN_SHARE.toNumber(),
      statement: `${parameter}* = (√5 − 1)/2 = 1/φ, the unique root in (0, 1] of ${parameter}² + ${parameter} − 1 = 0 where F_∞′ = 2(${parameter}² + ${parameter} − 1)/(${parameter}(2 − ${parameter}))² changes sign; F_∞(${parameter}*) = ${parameter}* = 1/φ exactly`,
      bracket: [lo.toFraction(), hi.toFraction()],
      factors: (iterations) => freshFactorsAt(GOLDEN_SHARE, iterations).map((f) => ({ exact: f.toString(), value: f.toNumber() })),
    };
  }
  if (head === 'augment') {
    return {
      parameter,
      value: 0,
      limit: 1,
      statement: `${parameter}* = 0 (no synthetic data): F_∞ = (1 + ${parameter})²/(1 + 2${parameter}) has derivative 2${parameter}(1 + ${parameter})/(1 + 2${parameter})² ≥ 0; F_∞(0) = 1`,
      bracket: ['0', '0'],
      factors: (iterations) => noiseFactors(augment('0'), iterations).map((f) => ({ exact: f.toFraction(), value: fractionToNumber(f) })),
    };
  }
  if (head === 'window') {
    let best = 1;
    let bestFactor = noiseFactors(window('1'), horizon)[horizon - 1];
    for (let k = 2; k <= horizon; k++) {
      const factor = noiseFactors(window(String(k)), horizon)[horizon - 1];
      if (factor.compare(bestFactor) < 0) [best, bestFactor] = [k, factor];
    }
    return {
      parameter,
      value: best,
      limit: null,
      statement: `every window:${parameter} diverges (L3); at the horizon N = ${horizon}, ${parameter}* = ${best} has the least F_N = ${bestFactor.toFraction()} among ${parameter} = 1 … ${horizon} (exact comparison; ${parameter} ≥ N is the same pool as ${parameter} = N)`,
      bracket: [String(best), String(best)],
      factors: (iterations) => noiseFactors(window(String(best)), iterations).map((f) => ({ exact: f.toFraction(), value: fractionToNumber(f) })),
    };
  }
  return null;
}
