import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode } from 'mathjs';
import { UsageError } from '../core/errors.js';
import { exactFraction, fraction, type Fraction } from '../core/fraction.js';
import type { PoolStrategy } from './strategy.js';

// Rational arithmetic where the expression allows it (1/n, 2^(i-n)), float64 where it does not (exp, sqrt):
// either way the weight is an exact rational of the value computed, so the theory stays exact for these weights.
// mathjs is loaded on the first weights:<expr> (synchronously: strategies parse synchronously), not at start-up.
let engines: { rational: MathJsInstance; real: MathJsInstance } | undefined;
function mathjs(): { rational: MathJsInstance; real: MathJsInstance } {
  if (!engines) {
    const { create, all } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
    engines = { rational: create(all, { number: 'Fraction' }), real: create(all) };
  }
  return engines;
}

/** A mathjs Fraction (its own fraction.js build) as ours: the same exact value. */
const fromMathjs = (v: { s: bigint | number; n: bigint | number; d: bigint | number }) => fraction(BigInt(v.s) * BigInt(v.n), BigInt(v.d));

/** Custom pool weights a(n, i) over generations i = 1..n, from a math expression, normalised per fit. */
export function customWeights(argument: string): PoolStrategy {
  const usage = (why: string) => new UsageError(`--strategy weights:<expr> ${why}; got ${JSON.stringify(`weights:${argument}`)}`);
  const { rational, real } = mathjs();
  let node: MathNode;
  try {
    node = real.parse(argument);
  } catch (error) {
    throw usage(`needs an expression in n and i that mathjs can parse (${(error as Error).message})`);
  }
  const rationalCode = rational.compile(argument);
  const realCode = node.compile();
  const weight = (n: number, i: number): Fraction => {
    let value: unknown;
    try {
      value = rationalCode.evaluate({ n: rational.fraction(n), i: rational.fraction(i) });
    } catch {
      try {
        value = realCode.evaluate({ n, i });
      } catch (error) {
        throw usage(`could not be evaluated at n=${n}, i=${i} (${(error as Error).message})`);
      }
    }
    if (real.typeOf(value) === 'Fraction') return fromMathjs(value as { s: bigint; n: bigint; d: bigint });
    if (typeof value === 'boolean') return fraction(value ? 1 : 0);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw usage(`must give a finite number; it gives ${String(value)} at n=${n}, i=${i}`);
    return exactFraction(value);
  };
  return {
    name: `weights:${argument}`,
    description: `custom pool weights a(n, i) = ${argument} over generations i ≤ n, normalised per fit`,
    source: 'user-defined weighting of generations (generalises replace, accumulate and windows)',
    poolWeights(n: number): Fraction[] {
      const raw = Array.from({ length: n }, (_, g) => weight(n, g + 1));
      raw.forEach((w, g) => {
        if (Number(w.s) < 0 && Number(w.n) !== 0) throw usage(`must not be negative; it gives ${w.toString()} at n=${n}, i=${g + 1}`);
      });
      const total = raw.reduce((sum, w) => sum.add(w), fraction(0));
      if (Number(total.n) === 0) throw usage(`gives weight 0 to every generation at n=${n}`);
      return raw.map((w) => w.div(total));
    },
  };
}
