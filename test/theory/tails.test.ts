/**
 * proofs/tails.md H1–H3: Hutter's error on exact rationals against a brute-force enumeration of training sets, the
 * plateau and the mixing bound, and the Monte Carlo of the error given a training set within empirical Bernstein bands.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, type Fraction } from '../../src/core/fraction.js';
import { zStar } from '../../src/core/stats.js';
import { zipf } from '../../src/models/categorical/distribution.js';
import { runTails } from '../../src/experiments/hutter.js';
import { FLOAT, RATIONAL } from '../../src/theory/categorical.js';
import { hutterError, hutterErrorExact, mixedErrorBound, tailPlateau, trainingDistribution, type TailSource } from '../../src/theory/tails.js';
import { judgeBounded } from '../../src/experiments/verify-bernstein.js';

const p: Fraction[] = [fraction(1, 2), fraction(1, 4), fraction(1, 6), fraction(1, 12)];

/** E over every training sequence of length T of Σ_{i unseen} p_i, by enumeration (K^T sequences). */
function enumerate(q: readonly Fraction[], T: number): Fraction {
  let total = fraction(0);
  const walk = (depth: number, weight: Fraction, seen: Set<number>) => {
    if (depth === T) {
      const unseen = p.reduce((sum, x, i) => (seen.has(i) ? sum : sum.add(x)), fraction(0));
      total = total.add(weight.mul(unseen));
      return;
    }
    q.forEach((qi, i) => {
      if (Number(qi.n) !== 0) walk(depth + 1, weight.mul(qi), new Set([...seen, i]));
    });
  };
  walk(0, fraction(1), new Set());
  return total;
}

test('H1: E(T; q) = Σ p_i (1 − q_i)^T equals enumeration of every training set, for clean, cut and mixed q', () => {
  assert.equal(hutterErrorExact([fraction(1, 2), fraction(1, 2)], [fraction(1, 2), fraction(1, 2)], 2, RATIONAL).toFraction(), '1/4');
  const sources: TailSource[] = [{ kind: 'clean' }, { kind: 'cut', k: 2 }, { kind: 'mix', k: 2, share: 0.25 }];
  for (const source of sources) {
    const q = trainingDistribution(p, source, RATIONAL);
    assert.equal(q.reduce((s, x) => s.add(x), fraction(0)).toFraction(), '1', `${source.kind}: q sums to 1`);
    for (const T of [1, 2, 4]) assert.equal(hutterErrorExact(p, q, T, RATIONAL).toFraction(), enumerate(q, T).toFraction(), `${source.kind} T=${T}`);
    const float = hutterError(Float64Array.from(p, Number), Float64Array.from(q, Number), 5);
    assert.ok(Math.abs(float - Number(hutterErrorExact(p, q, 5, RATIONAL).valueOf())) < 1e-15);
  }
});

test('H2: the cut error decreases to the plateau Σ_{i>k} p_i; the clean error to 0', () => {
  const q = trainingDistribution(p, { kind: 'cut', k: 2 }, RATIONAL);
  const plateau = tailPlateau(p, 2);
  assert.equal(plateau.toFraction(), '1/4');
  let previous = fraction(2);
  for (const T of [1, 2, 3, 5, 8, 13, 21]) {
    const e = hutterErrorExact(p, q, T, RATIONAL);
    assert.ok(e.compare(previous) < 0 && e.compare(plateau) > 0, `T=${T}`);
    previous = e;
  }
  const big = zipf(100_000, 2).probabilities;
  const cut = Float64Array.from(trainingDistribution(Array.from(big), { kind: 'cut', k: 100 }, FLOAT));
  const tail = big.slice(100).reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(hutterError(big, cut, 1e9) - tail) < 1e-12);
  assert.ok(hutterError(big, big, 1e9) < 1e-4);
});

test('H3: with a clean share π the error is below Σ p_i e^{−πT p_i} and passes under the plateau', () => {
  const big = zipf(100_000, 2).probabilities;
  const mix = Float64Array.from(trainingDistribution(Array.from(big), { kind: 'mix', k: 100, share: 0.1 }, FLOAT));
  const tail = big.slice(100).reduce((s, x) => s + x, 0);
  for (const T of [1e2, 1e4, 1e6, 1e7]) assert.ok(hutterError(big, mix, T) <= mixedErrorBound(big, 0.1, T) + 1e-15, `T=${T}`);
  assert.ok(hutterError(big, mix, 1e7) < tail / 5);
  // the numbers of the tale (β = 2, K = 10⁶ in the source; here the exact sums at K = 10⁶)
  const p6 = zipf(1_000_000, 2).probabilities;
  const e = (source: TailSource, T: number) => hutterError(p6, Float64Array.from(trainingDistribution(Array.from(p6), source, FLOAT)), T);
  assert.ok(Math.abs(e({ kind: 'clean' }, 1e4) - 0.00691) < 5e-6);
  assert.ok(Math.abs(e({ kind: 'cut', k: 100 }, 1e7) - 0.00605) < 5e-6);
  assert.ok(Math.abs(e({ kind: 'mix', k: 100, share: 0.1 }, 1e6) - 0.00218) < 5e-6);
});

test('H1: Monte Carlo of the error given the training set within its empirical Bernstein band (false failure < 1e-6)', () => {
  const trials = 4000;
  const report = runTails({ contexts: 500, zipf: 1.3, sizes: [5, 50, 500], sources: [{ kind: 'clean' }, { kind: 'cut', k: 20 }, { kind: 'mix', k: 20, share: 0.3 }], trials, seed: 9 });
  const bound = zStar(report.iterations.length);
  const verdict = judgeBounded('tails', report, bound, () => 1, trials);
  assert.ok(verdict.pass, verdict.failures.join('; '));
  const wrong = { ...report, iterations: report.iterations.map((r) => ({ ...r, theory: (r.theory as number) + 0.04 })) };
  assert.equal(judgeBounded('tails', wrong, bound, () => 1, trials).pass, false, 'a theory 0.04 off is caught');
});
