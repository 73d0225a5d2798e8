/**
 * proofs/tails.md#H4: Hutter's model chained over generations. The exact sum against an enumeration of every chain
 * of training samples, its float64 form against the exact one, the chain as the categorical family's replace
 * (the same lost mass, and the categorical Monte Carlo within its Bernstein band of it), and the chain's own Monte
 * Carlo within empirical Bernstein bands (false failure < 1e-6).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, fractionToNumber, type Fraction } from '../../src/core/fraction.js';
import { zStar } from '../../src/core/stats.js';
import { zipf } from '../../src/models/categorical/distribution.js';
import { categoricalTheory, runCategorical } from '../../src/experiments/categorical.js';
import { runTails } from '../../src/experiments/hutter.js';
import { FLOAT, RATIONAL } from '../../src/theory/categorical.js';
import { hutterErrorExact } from '../../src/theory/tails.js';
import { chainedHutterError, chainedHutterErrorExact } from '../../src/theory/tails-chain.js';
import { empiricalBernsteinBand, judgeBounded } from '../../src/experiments/verify-bernstein.js';
import { twoSidedP } from '../../src/core/stats.js';

const p: Fraction[] = [fraction(1, 2), fraction(1, 3), fraction(1, 6)];

/** E over every chain of g samples of length T (each drawn from the previous sample's empirical law) of Σ_{i unseen in the last} p_i. */
function enumerate(T: number, g: number): Fraction {
  let total = fraction(0);
  const walk = (generation: number, law: Fraction[], weight: Fraction) => {
    const sequences = (depth: number, w: Fraction, drawn: number[]): void => {
      if (depth === T) {
        if (generation === g) {
          const unseen = p.reduce((sum, x, i) => (drawn.includes(i) ? sum : sum.add(x)), fraction(0));
          total = total.add(w.mul(unseen));
        } else walk(generation + 1, law.map((_, i) => fraction(drawn.filter((d) => d === i).length, T)), w);
        return;
      }
      law.forEach((qi, i) => {
        if (Number(qi.n) !== 0) sequences(depth + 1, w.mul(qi), [...drawn, i]);
      });
    };
    sequences(0, weight, []);
  };
  walk(1, p, fraction(1));
  return total;
}

test('H4: the chained error equals enumeration of every chain of samples; g = 1 is the clean error', () => {
  assert.equal(chainedHutterErrorExact([fraction(1, 2), fraction(1, 2)], 2, 2, RATIONAL).toFraction(), '3/8');
  for (const [T, g] of [[1, 2], [2, 2], [2, 3], [3, 2]]) assert.equal(chainedHutterErrorExact(p, T, g, RATIONAL).toFraction(), enumerate(T, g).toFraction(), `T=${T} g=${g}`);
  for (const T of [1, 2, 5]) assert.equal(chainedHutterErrorExact(p, T, 1, RATIONAL).toFraction(), hutterErrorExact(p, p, T, RATIONAL).toFraction());
  // each generation can only lose contexts: E_g grows with g
  let previous = fraction(0);
  for (const g of [1, 2, 3, 4, 6]) {
    const e = chainedHutterErrorExact(p, 4, g, RATIONAL);
    assert.ok(e.compare(previous) > 0, `g=${g}`);
    previous = e;
  }
});

test('H4: the float64 sums (the categorical family\'s K4 code) agree with the exact rationals and with the categorical theory of replace', () => {
  const small = zipf(6, 1.2).probabilities;
  const exact = (T: number, g: number) => fractionToNumber(chainedHutterErrorExact(Array.from(small, (x) => fraction(x)), T, g, RATIONAL));
  for (const [T, g] of [[3, 1], [5, 2], [8, 4]]) assert.ok(Math.abs((chainedHutterError(small, T, g) as number) - exact(T, g)) < 1e-13, `T=${T} g=${g}`);
  assert.ok(Math.abs(chainedHutterErrorExact(Array.from(small), 8, 4, FLOAT) - exact(8, 4)) < 1e-13);
  const real = zipf(40, 1);
  const theory = categoricalTheory({ strategy: 'replace', categories: 40, zipf: 1, counts: null, samples: 25, iterations: 5, trials: 2, seed: 0 }, real);
  for (const g of [1, 3, 5]) assert.equal(theory.tailMassLost[g - 1], chainedHutterError(real.probabilities, 25, g));
});

test('H4: the chain is categorical replace with m = T: the categorical Monte Carlo of the lost mass is within the Bernstein band of E_g(T)', async () => {
  const trials = 3000;
  const report = await runCategorical({ strategy: 'replace', categories: 40, zipf: 1, counts: null, samples: 25, iterations: 5, trials, seed: 4 });
  const real = zipf(40, 1).probabilities;
  const delta = twoSidedP(zStar(5));
  report.iterations.forEach((row, n) => {
    const m = row.metrics.tailMassLost;
    const band = empiricalBernsteinBand(m.stderr, trials, 1, delta);
    assert.ok(Math.abs(m.mean - (chainedHutterError(real, 25, n + 1) as number)) <= band, `g=${n + 1}`);
  });
});

test('H4: the chain\'s Monte Carlo within its empirical Bernstein band; a theory 0.03 off is caught', () => {
  const trials = 3000;
  const report = runTails({ contexts: 300, zipf: 1.3, sizes: [5, 40, 200], sources: [], chain: [2, 6], trials, seed: 11 });
  assert.deepEqual(report.iterations.map((r) => r.curve), ['chain g=2', 'chain g=2', 'chain g=2', 'chain g=6', 'chain g=6', 'chain g=6']);
  assert.ok(report.iterations.every((r) => r.theory !== null));
  const bound = zStar(report.iterations.length);
  const verdict = judgeBounded('chain', report, bound, () => 1, trials);
  assert.ok(verdict.pass, verdict.failures.join('; '));
  const wrong = { ...report, iterations: report.iterations.map((r) => ({ ...r, theory: (r.theory as number) + 0.03 })) };
  assert.equal(judgeBounded('chain', wrong, bound, () => 1, trials).pass, false);
});
