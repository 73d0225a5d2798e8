/**
 * proofs/strategy-limits.md L1–L4: every identity against the exact pool-weight recursion (src/theory/pool-weights.ts),
 * on exact rationals (and in Q(√5) at the golden optimum), and `collapse theory` end to end (in-process).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction } from '../../src/core/fraction.js';
import { computeTheory } from '../../src/cli/theory.js';
import { main } from '../../src/cli/main.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { errorCoefficients, noiseFactors } from '../../src/theory/pool-weights.js';
import { inverseSquareSum } from '../../src/theory/harmonic.js';
import { augmentLimit, freshFactorsAt, freshLimit, goldenBracket, GOLDEN_SHARE, optimiseLimit, QuadraticSqrt5, strategyLimit } from '../../src/theory/strategy-limits.js';

const text = (f: { toFraction(): string }) => f.toFraction();

test('L1: fresh:p factors follow F_n = p² + (1−p)²(F_{n−1} + 1) exactly, and the closed form L + (1−L)(1−p)^{2(n−1)}', () => {
  for (const p of ['0.5', '0.25', '0.9', '1']) {
    const factors = noiseFactors(parseStrategy(`fresh:${p}`), 12);
    const q = fraction(p);
    const stay = fraction(1).sub(q).pow(2);
    const L = freshLimit(q);
    assert.ok(L);
    let previous = fraction(1);
    factors.forEach((f, index) => {
      const n = index + 1;
      const expected = n === 1 ? fraction(1) : q.mul(q).add(stay.mul(previous.add(1)));
      assert.equal(text(f), text(expected), `p=${p} n=${n}`);
      assert.equal(text(f), text(L.add(fraction(1).sub(L).mul(stay.pow(n - 1)))), `closed form p=${p} n=${n}`);
      previous = f;
    });
  }
  assert.equal(text(freshLimit(fraction(1, 2)) as never), '2/3');
  assert.equal(freshLimit(fraction(0)), null);
  // the Q(√5) recursion at a rational p is the pool-weight recursion
  const half = freshFactorsAt(QuadraticSqrt5.of(fraction(1, 2)), 8).map(String);
  assert.deepEqual(half, noiseFactors(parseStrategy('fresh:0.5'), 8).map(text));
});

test('L2: augment:r has b_{n,1} = 1, b_{n,j} = q^{n−j+1} and F_∞ = (1+r)²/(1+2r)', () => {
  for (const r of ['1', '0.5', '3']) {
    const q = fraction(r).div(fraction(1).add(fraction(r)));
    const b = errorCoefficients(parseStrategy(`augment:${r}`), 9);
    b.forEach((row, index) => {
      const n = index + 1;
      row.forEach((c, j) => {
        const expected = j === 0 ? fraction(1) : j + 1 <= n ? q.pow(n - j) : fraction(0);
        assert.equal(text(c), text(expected), `r=${r} b_{${n},${j + 1}}`);
      });
    });
    // the geometric tail: F_∞ − F_n = q^{2n}/(1 − q²)
    const F = noiseFactors(parseStrategy(`augment:${r}`), 9);
    const limit = augmentLimit(fraction(r));
    assert.equal(text(limit.sub(F[8])), text(q.pow(18).div(fraction(1).sub(q.mul(q)))));
  }
  assert.equal(text(augmentLimit(fraction(1))), '4/3');
  const optimum = optimiseLimit('augment', 'r');
  assert.ok(optimum);
  assert.deepEqual([optimum.value, optimum.limit], [0, 1]);
  assert.deepEqual(optimum.factors(5).map((f) => f.exact), ['1', '1', '1', '1', '1']);
});

test('L3: window:k satisfies F_n ≥ ⌊n/k⌋²/n and grows past any bound; accumulate tends to π²/6', () => {
  for (const k of [1, 2, 3]) {
    const F = noiseFactors(parseStrategy(`window:${k}`), 60);
    F.forEach((f, index) => {
      const n = index + 1;
      const bound = fraction(Math.floor(n / k) ** 2, n);
      assert.ok(f.compare(bound) >= 0, `window:${k} n=${n}`);
    });
    assert.ok(Number(F[59].valueOf()) > 60 / k ** 2 - 1, `window:${k} grows`);
    assert.equal(strategyLimit(parseStrategy(`window:${k}`)).value, null);
  }
  assert.deepEqual(noiseFactors(parseStrategy('replace'), 5).map(text), ['1', '2', '3', '4', '5']);
  const acc = strategyLimit(parseStrategy('accumulate'));
  assert.equal(acc.exact, 'π²/6');
  assert.equal(text(noiseFactors(parseStrategy('accumulate'), 7)[6]), text(inverseSquareSum(7)));
  assert.equal(strategyLimit(parseStrategy('weights:2^(i-n)')).value, null);
  // --optimize k at a horizon: the exact minimiser among k = 1 … N, and k ≥ N is the same as k = N
  const horizon = optimiseLimit('window', 'k', 7);
  assert.ok(horizon && horizon.limit === null);
  const atSeven = [1, 2, 3, 4, 5, 6, 7].map((k) => noiseFactors(parseStrategy(`window:${k}`), 7)[6]);
  const least = atSeven.reduce((best, f) => (f.compare(best) < 0 ? f : best));
  assert.equal(horizon.factors(7)[6].exact, least.toFraction());
  assert.deepEqual(noiseFactors(parseStrategy('window:9'), 7).map(text), noiseFactors(parseStrategy('window:7'), 7).map(text));
  assert.equal(strategyLimit(parseStrategy('fresh:0')).value, null);
});

test('L4: the golden optimum p* = (√5−1)/2: p*² + p* − 1 = 0, L(p*) = p* in Q(√5), F_n(p*) → p*, and a certified bracket', () => {
  const p = GOLDEN_SHARE;
  const one = QuadraticSqrt5.of(fraction(1));
  assert.ok(p.mul(p).add(p).sub(one).equals(QuadraticSqrt5.of(fraction(0))));
  // L(p*) = (2p² − 2p + 1) / (p(2 − p)) = p*  ⇔  2p² − 2p + 1 = p²(2 − p)
  const two = QuadraticSqrt5.of(fraction(2));
  const numerator = two.mul(p).mul(p).sub(two.mul(p)).add(one);
  assert.ok(numerator.equals(p.mul(p).mul(two.sub(p))));
  const factors = freshFactorsAt(p, 40);
  assert.equal(factors[1].toString(), '17/2 − 7/2·√5');
  assert.ok(Math.abs(factors[39].toNumber() - p.toNumber()) < 1e-12);
  // L is minimised there: L(p*) < L at rationals on either side
  for (const x of ['0.6', '0.62', '0.5', '0.7']) assert.ok((freshLimit(fraction(x)) as never as { valueOf(): number }).valueOf() > p.toNumber());
  const [lo, hi] = goldenBracket();
  assert.ok(lo.compare(hi) < 0 && Number(hi.sub(lo).valueOf()) < 1e-12);
  assert.ok(Number(lo.valueOf()) <= p.toNumber() && p.toNumber() <= Number(hi.valueOf()));
  assert.equal(Number(lo.mul(lo).add(lo).sub(1).s), -1);
  assert.equal(Number(hi.mul(hi).add(hi).sub(1).s), 1);
});

test('collapse theory: JSON shape, fresh:p --optimize p gives 1/φ, and bad input is a one-line usage error', async () => {
  const json = computeTheory('fresh:p', 3, 'p').json;
  assert.deepEqual(Object.keys(json), ['strategy', 'iterations', 'limit', 'optimum']);
  assert.deepEqual(Object.keys(json.iterations[0]), ['iteration', 'factor', 'factorExact']);
  assert.ok(Math.abs((json.optimum?.value ?? 0) - (Math.sqrt(5) - 1) / 2) < 1e-15);
  assert.ok(Math.abs((json.limit ?? 0) - (Math.sqrt(5) - 1) / 2) < 1e-15);
  const acc = computeTheory('accumulate', 3).json;
  assert.deepEqual(acc.iterations.map((r) => r.factorExact), ['1', '5/4', '49/36']);
  assert.equal(acc.optimum, null);
  const captured: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (captured.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['theory', '--strategy', 'fresh:q', '--optimize', 'p']), 2);
    assert.equal(await main(['theory', '--strategy', 'accumulate-subsample']), 2);
    assert.equal(await main(['theory', '--strategy', 'accumulate', '--iterations', '0']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(captured.length, 3);
  for (const line of captured) assert.match(line, /^collapse: [^\n]+\n$/);
});
