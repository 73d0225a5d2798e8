import { UsageError } from '../core/errors.js';
import { fraction, type Fraction } from '../core/fraction.js';
import type { PoolStrategy } from './strategy.js';
import { compileWeights } from './weights-expression.js';

/** At most this many characters of the user's expression are echoed in an error. */
const ECHO = 80;
/** Normalised weights kept per strategy (all pools up to n ≈ 450). */
const CACHED = 100_000;

/**
 * Custom pool weights a(n, i) over generations i = 1..n, from a math expression, normalised per fit; `parameters`
 * binds the expression's free names to decimal values (`collapse theory --optimize`), and the name says them.
 */
export function customWeights(argument: string, parameters: Readonly<Record<string, string>> = {}): PoolStrategy {
  const shown = argument.length > ECHO ? `${argument.slice(0, ECHO)}…` : argument;
  const usage = (why: string) => new UsageError(`--strategy weights:<expr> ${why}; got ${JSON.stringify(`weights:${shown}`)}`);
  const weight = compileWeights(argument, usage, parameters);
  const bound = Object.entries(parameters).map(([name, value]) => `${name} = ${value}`).join(', ');
  // a weighting is a fixed function of n (the whitelist admits nothing random), so a pool computed (by the check
  // before the run, the plan, the theory) is kept; at most CACHED weights, as big rationals can take KBs each
  const pools = new Map<number, Fraction[]>();
  let cached = 0;
  return {
    name: bound ? `weights:${argument} with ${bound}` : `weights:${argument}`,
    description: `custom pool weights a(n, i) = ${argument} over generations i ≤ n, normalised per fit`,
    source: 'user-defined weighting of generations (generalises replace, accumulate and windows)',
    poolWeights(n: number): Fraction[] {
      const known = pools.get(n);
      if (known) return known;
      const raw = Array.from({ length: n }, (_, g) => weight(n, g + 1));
      raw.forEach((w, g) => {
        if (Number(w.s) < 0 && Number(w.n) !== 0) throw usage(`must not be negative; it gives ${w.toString().slice(0, 40)} at n=${n}, i=${g + 1}`);
      });
      const total = raw.reduce((sum, w) => sum.add(w), fraction(0));
      if (Number(total.n) === 0) throw usage(`gives weight 0 to every generation at n=${n}`);
      const pool = raw.map((w) => w.div(total));
      if (cached + n <= CACHED) {
        pools.set(n, pool);
        cached += n;
      }
      return pool;
    },
  };
}
