/**
 * proofs/categorical.md K1–K5 on exact rationals: the second-moment recursion against the replace law, a hand-worked
 * accumulate example and the augment closed form; the survival sums against exact Markov-chain enumeration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, type Fraction } from '../../src/core/fraction.js';
import { parseStrategy } from '../../src/strategies/index.js';
import {
  anchoredSurvival,
  anchoredToFirstSet,
  augmentDistanceToFirst,
  collisionProbabilities,
  FLOAT,
  fixationTimeApproximation,
  RATIONAL,
  replaceCollision,
  singleSetSurvival,
} from '../../src/theory/categorical.js';

const exact = (strategy: string, s0: Fraction, m: number, n: number) => collisionProbabilities(parseStrategy(strategy), s0, m, n, RATIONAL) as Fraction[];

test('K1: under replace the recursion gives S_n = 1 − (1 − 1/m)^n (1 − S₀) exactly', () => {
  for (const [s0, m] of [[fraction(1, 2), 2], [fraction(101, 1000), 50], [fraction(1, 20), 7]] as const) {
    exact('replace', s0, m, 12).forEach((s, index) => assert.equal(s.toFraction(), replaceCollision(s0, m, index + 1).toFraction(), `m=${m} n=${index + 1}`));
  }
  // window:1 and fresh:0 are replace
  assert.deepEqual(exact('window:1', fraction(1, 3), 5, 6).map(String), exact('replace', fraction(1, 3), 5, 6).map(String));
  assert.deepEqual(exact('fresh:0', fraction(1, 3), 5, 6).map(String), exact('replace', fraction(1, 3), 5, 6).map(String));
});

test('K2: hand-worked accumulate example S₁ = 3/4, S₂ = 25/32; float64 equals the rationals rounded; subsample has none', () => {
  assert.deepEqual(exact('accumulate', fraction(1, 2), 2, 2).map((s) => s.toFraction()), ['3/4', '25/32']);
  for (const strategy of ['accumulate', 'fresh:0.5', 'augment:1', 'window:3', 'weights:2^(i-n)']) {
    const rational = exact(strategy, fraction(3, 20), 10, 15);
    const float = collisionProbabilities(parseStrategy(strategy), 0.15, 10, 15, FLOAT) as number[];
    rational.forEach((r, n) => assert.ok(Math.abs(Number(r.valueOf()) - float[n]) < 1e-14, `${strategy} n=${n + 1}`));
    // fresh real data and mixing never collapse further than replace does
    const rep = exact('replace', fraction(3, 20), 10, 15);
    rational.forEach((r, n) => assert.ok(r.compare(rep[n]) <= 0, `${strategy} ≤ replace at n=${n + 1}`));
  }
  assert.equal(collisionProbabilities(parseStrategy('accumulate-subsample'), 0.1, 10, 3, FLOAT), null);
});

test('K3: augment:r has S_n = S₁ + D_n with D_n = D_∞(1 − ρ^{n−1}) exactly', () => {
  for (const [r, s0, m] of [['1', fraction(1, 10), 20], ['0.5', fraction(2, 7), 3], ['3', fraction(1, 2), 100]] as const) {
    const S = exact(`augment:${r}`, s0, m, 10);
    const s1 = S[0];
    S.forEach((s, index) => assert.equal(s.sub(s1).toFraction(), augmentDistanceToFirst(s0, m, fraction(r), index + 1).toFraction(), `r=${r} n=${index + 1}`));
  }
});

/** P(X_k = 0) by enumerating the chain X_1 ~ Bin(m, π), X_{j+1} ~ Bin(m, X_j/m) on exact rationals. */
function extinction(m: number, pi: Fraction, k: number): Fraction {
  const choose = (n: number, r: number): number => (r === 0 ? 1 : (choose(n, r - 1) * (n - r + 1)) / r);
  const binomial = (p: Fraction) => Array.from({ length: m + 1 }, (_, x) => p.pow(x).mul(fraction(1).sub(p).pow(m - x)).mul(choose(m, x)));
  let law = binomial(pi);
  for (let j = 1; j < k; j++) {
    const next = Array.from({ length: m + 1 }, () => fraction(0));
    law.forEach((w, x) => binomial(fraction(x, m)).forEach((b, y) => (next[y] = next[y].add(w.mul(b)))));
    law = next;
  }
  return law[0];
}

test('K4: single-set-chain survival equals exact enumeration (m = 2, π = 1/2, k = 2 gives 3/8)', () => {
  assert.equal(extinction(2, fraction(1, 2), 2).toFraction(), '3/8');
  const pi = [fraction(1, 2), fraction(1, 3), fraction(1, 6)];
  const probabilities = Float64Array.from(pi, (p) => Number(p.valueOf()));
  const depths = [1, 2, 3, null, 5];
  const survival = singleSetSurvival(probabilities, 4, depths);
  assert.ok(survival);
  depths.forEach((k, index) => {
    if (k === null) {
      assert.equal(survival.surviving[index], null);
      return;
    }
    const lost = pi.map((p) => extinction(4, p, k));
    const surviving = lost.reduce((s, l) => s + 1 - Number(l.valueOf()), 0);
    const mass = lost.reduce((s, l, i) => s + Number(pi[i].mul(l).valueOf()), 0);
    assert.ok(Math.abs((survival.surviving[index] as number) - surviving) < 1e-12, `k=${k}`);
    assert.ok(Math.abs((survival.tailMassLost[index] as number) - mass) < 1e-12, `k=${k}`);
  });
});

test('K5: the strategies that keep the first real set, and their frozen support', () => {
  for (const s of ['accumulate', 'augment:1', 'augment:0.25', 'weights:1', 'weights:2^(i-n)']) assert.equal(anchoredToFirstSet(parseStrategy(s), 12), true, s);
  for (const s of ['replace', 'fresh:0.5', 'window:3', 'weights:i>=n-1', 'accumulate-subsample']) assert.equal(anchoredToFirstSet(parseStrategy(s), 12), false, s);
  const { surviving, tailMassLost } = anchoredSurvival(Float64Array.of(0.5, 0.25, 0.25), 2);
  assert.ok(Math.abs(surviving - (1 - 0.25 + 2 * (1 - 0.5625))) < 1e-15);
  assert.ok(Math.abs(tailMassLost - (0.5 * 0.25 + 2 * 0.25 * 0.5625)) < 1e-15);
  // K4 at depth 1 is K5: one real sample
  const single = singleSetSurvival(Float64Array.of(0.5, 0.25, 0.25), 2, [1]);
  assert.ok(Math.abs((single?.surviving[0] as number) - surviving) < 1e-15);
});

test('K6: the diffusion time to one outcome (an approximation) reduces to 2m(K − 1) ln(K/(K − 1)) from uniform', () => {
  for (const [K, m] of [[10, 10], [10, 100], [100, 100]]) {
    const uniform = new Float64Array(K).fill(1 / K);
    const expected = 2 * m * (K - 1) * Math.log(K / (K - 1));
    assert.ok(Math.abs(fixationTimeApproximation(uniform, m) - expected) < 1e-9 * expected, `K=${K} m=${m}`);
  }
  assert.ok(Math.abs(fixationTimeApproximation(Float64Array.of(0.5, 0.5), 10) - 20 * Math.LN2) < 1e-12);
});
