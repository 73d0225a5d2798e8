/**
 * The literature's strategies: declarations (data plans, weights), exact theory of each through the P1 recursion
 * against closed forms derived by hand, and bad arguments refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, divide, equal, fraction, multiply, subtract, type Fraction } from 'mathjs';
import { UsageError } from '../../src/core/errors.js';
import { dataPlan, parseStrategy, STRATEGY_EXAMPLES } from '../../src/strategies/index.js';
import { inverseSquareSum } from '../../src/theory/harmonic.js';
import { noiseFactors } from '../../src/theory/pool-weights.js';

const sum = (xs: Fraction[]) => xs.reduce((s, x) => add(s, x) as Fraction, fraction(0));
const same = (a: Fraction, b: Fraction) => equal(a, b) as boolean;

test('every example strategy: weights exact, non-negative, sum to 1, one per data set of the plan (n ≤ 25)', () => {
  for (const name of STRATEGY_EXAMPLES) {
    const strategy = parseStrategy(name);
    const plan = dataPlan(strategy, 25);
    let sets = 0;
    for (let n = 1; n <= 25; n++) {
      sets += plan.added[n - 1].length;
      const weights = strategy.poolWeights(n);
      assert.equal(weights.length, sets, `${name} n=${n}`);
      assert.ok(same(sum(weights), fraction(1)), `${name} n=${n}: sum ${sum(weights)}`);
      assert.ok(weights.every((w) => Number(w.s) >= 0 || Number(w.n) === 0), `${name} n=${n}`);
    }
  }
});

test('P1: window:1 is replace and window:k is accumulate while n ≤ k, exactly', () => {
  const one = noiseFactors(parseStrategy('window:1'), 12);
  one.forEach((f, n) => assert.ok(same(f, fraction(n + 1)), `window:1 n=${n + 1}: ${f}`));
  const five = noiseFactors(parseStrategy('window:5'), 5);
  five.forEach((f, n) => assert.ok(same(f, inverseSquareSum(n + 1)), `window:5 n=${n + 1}: ${f}`));
  const later = noiseFactors(parseStrategy('window:5'), 12);
  assert.ok(Number(later[11].valueOf()) > Number(inverseSquareSum(12).valueOf()), 'forgetting old data costs error');
});

test('P1: augment:r has Σb² = α² + R with α = 1 and R_n = b²(R_{n−1} + 1), b = r/(1+r), exactly (r = 1, 1/4, 4)', () => {
  for (const r of ['1', '0.25', '4']) {
    const b = divide(fraction(r), add(fraction(1), fraction(r))) as Fraction; // r/(1+r)
    const factors = noiseFactors(parseStrategy(`augment:${r}`), 15);
    let R = fraction(0);
    factors.forEach((f, index) => {
      if (index > 0) R = multiply(multiply(b, b), add(R, fraction(1))) as Fraction;
      assert.ok(same(f, add(fraction(1), R) as Fraction), `augment:${r} n=${index + 1}: ${f} vs ${add(fraction(1), R)}`);
    });
    // limit 1/(1 − b²): bounded, unlike replace
    assert.ok(Number(factors[14].valueOf()) <= 1 / (1 - Number(b.valueOf()) ** 2), `augment:${r}: bounded by 1/(1 − b²)`);
  }
});

test('P1: fresh:p has S_n = p² + (1−p)²(S_{n−1} + 1), S_1 = 1, exactly (p = 0, 0.25, 0.5, 1)', () => {
  for (const p of ['0', '0.25', '0.5', '1']) {
    const P = fraction(p);
    const Q = subtract(fraction(1), P) as Fraction;
    const factors = noiseFactors(parseStrategy(`fresh:${p}`), 12);
    let S = fraction(1);
    factors.forEach((f, index) => {
      if (index > 0) S = add(multiply(P, P), multiply(multiply(Q, Q), add(S, fraction(1)))) as Fraction;
      assert.ok(same(f, S), `fresh:${p} n=${index + 1}: ${f} vs ${S}`);
    });
  }
  // p = 0 is replace, p = 1 is a fresh fit on real data every time
  assert.ok(same(noiseFactors(parseStrategy('fresh:0'), 7)[6], fraction(7)));
  assert.ok(same(noiseFactors(parseStrategy('fresh:1'), 7)[6], fraction(1)));
});

test('P1: weights:<expr> normalises a(n, i): "1" is accumulate, "i == n" is replace, rational expressions stay exact', () => {
  noiseFactors(parseStrategy('weights:1'), 10).forEach((f, n) => assert.ok(same(f, inverseSquareSum(n + 1))));
  noiseFactors(parseStrategy('weights:i == n'), 10).forEach((f, n) => assert.ok(same(f, fraction(n + 1))));
  const halves = parseStrategy('weights:2^(i-n)').poolWeights(3).map(String);
  assert.deepEqual(halves, ['0.(142857)', '0.(285714)', '0.(571428)']); // 1/7, 2/7, 4/7
  const irrational = parseStrategy('weights:exp(-(n-i)/3)').poolWeights(4);
  assert.ok(same(sum(irrational), fraction(1)), 'exact rationals of the float64 weights still sum to exactly 1');
});

test('bad strategy arguments are one-line UsageErrors', () => {
  const bad = ['window:0', 'window:-2', 'window:1.5', 'window:x', 'fresh:1.5', 'fresh:-0.1', 'fresh:', 'augment:-1', 'augment:abc',
    'weights:', 'weights:1/(', 'weights:-1', 'weights:x', 'weights:i-n', 'weights:1/0', 'weights:sqrt(-1)', 'nope:3', 'window'];
  for (const text of bad) {
    assert.throws(() => {
      const strategy = parseStrategy(text);
      for (let n = 1; n <= 5; n++) strategy.poolWeights(n); // weights errors surface when the weights are asked for
    }, (e: Error) => e instanceof UsageError && e.message.startsWith('--strategy') && !e.message.includes('\n'), text);
  }
});
