/**
 * src/core/stats.ts (C6): erfc, the normal quantile and the Bonferroni bands zStar(K) that every Monte Carlo check of
 * proofs/linear-fixed-design.md#P4–#P6 uses, and Moments on a tiny exact example.
 *
 * Reference values were made with CPython 3.11.7 (IEEE float64), printed with repr():
 *   python3 -c "from math import erfc; print(repr(erfc(x)))"
 *   python3 -c "from statistics import NormalDist; print(repr(NormalDist().inv_cdf(p)))"
 * (math.erfc is the C library's, accurate to about 1 ulp; NormalDist.inv_cdf is Wichura's AS241, about 1e-16.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, FAMILY_FALSE_FAILURE, Moments, normalQuantile, twoSidedP, Z95, zStar } from '../../src/core/stats.js';

function relativeError(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

/** [x, math.erfc(x)], covering each branch of Cody's fit (|x| < 0.5, 0.5 ≤ |x| < 4, |x| ≥ 4) and both signs. */
const ERFC: [number, number][] = [
  [-3.0, 1.9999779095030015],
  [-1.0, 1.842700792949715],
  [-0.3, 1.3286267594591274],
  [0.0, 1.0],
  [0.1, 0.8875370839817152],
  [0.3, 0.6713732405408726],
  [0.49, 0.4883317388114769],
  [0.5, 0.4795001221869535],
  [0.75, 0.28884436634648486],
  [1.0, 0.15729920705028513],
  [2.0, 0.004677734981047265],
  [3.5, 7.430983723414128e-7],
  [3.99, 1.6739211364520814e-8],
  [4.0, 1.541725790028002e-8],
  [5.0, 1.5374597944280351e-12],
  [5.9, 7.190409783550478e-17],
];
/** Far tail, |x| ≥ 6 (looser band). */
const ERFC_TAIL: [number, number][] = [
  [8.0, 1.1224297172982928e-29],
  [10.0, 2.088487583762545e-45],
  [20.0, 5.3958656116079005e-176],
  [26.0, 5.663192408856143e-296],
];
/** [p, NormalDist().inv_cdf(p)]; `1 - 1e-7` is the same float64 in Python and JavaScript. */
const QUANTILE: [number, number][] = [
  [1e-10, -6.361340902404056],
  [1e-5, -4.2648907939228256],
  [0.001, -3.090232306167813],
  [0.025, -1.9599639845400538],
  [0.2, -0.8416212335729142],
  [0.975, 1.9599639845400536],
  [0.99, 2.3263478740408408],
  [1 - 1e-7, 5.199337582290662],
];

test('C6: erfc matches Python math.erfc to 1e-12 relative for |x| < 6 (all three branches, both signs)', () => {
  for (const [x, want] of ERFC) {
    const got = erfc(x);
    assert.ok(relativeError(got, want) < 1e-12, `erfc(${x}) = ${got}, expected ${want} (rel ${relativeError(got, want)})`);
  }
});

test('C6: erfc matches Python math.erfc to 1e-10 relative in the far tail x = 8, 10, 20, 26', () => {
  for (const [x, want] of ERFC_TAIL) {
    const got = erfc(x);
    assert.ok(relativeError(got, want) < 1e-10, `erfc(${x}) = ${got}, expected ${want}`);
  }
});

test('C6: erfc(−x) = 2 − erfc(x) and erfc(0) = 1', () => {
  assert.equal(erfc(0), 1);
  for (const x of [0.2, 0.7, 1.5, 3, 4.5]) assert.ok(Math.abs(erfc(-x) - (2 - erfc(x))) < 1e-15, `x = ${x}`);
});

test('C6: normalQuantile matches Python NormalDist().inv_cdf to 1e-9 relative (p = 1e-10 … 1 − 1e-7)', () => {
  for (const [p, want] of QUANTILE) {
    const got = normalQuantile(p);
    assert.ok(relativeError(got, want) < 1e-9, `normalQuantile(${p}) = ${got}, expected ${want} (rel ${relativeError(got, want)})`);
  }
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-15, `normalQuantile(0.5) = ${normalQuantile(0.5)}`);
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.ok(Number.isNaN(normalQuantile(-0.1)));
  assert.ok(Number.isNaN(normalQuantile(1.5)));
  assert.ok(Number.isNaN(normalQuantile(Number.NaN)));
});

test('C6: normalQuantile inverts Φ(x) = erfc(−x/√2)/2 (lower tail and centre, 1e-12 relative in p)', () => {
  for (const p of [1e-200, 1e-50, 1e-10, 0.01, 0.3, 0.5, 0.7]) {
    const x = normalQuantile(p);
    const back = 0.5 * erfc(-x / Math.SQRT2);
    assert.ok(relativeError(back, p) < 1e-12, `Φ(Φ⁻¹(${p})) = ${back}`);
  }
});

test(
  'C6: normalQuantile reaches its documented ~1e-15 accuracy in the upper tail too (p = 1 − 1e-12)',
  () => {
    const want = 7.0344869100478356; // NormalDist().inv_cdf(1 - 1e-12)
    const got = normalQuantile(1 - 1e-12);
    assert.ok(relativeError(got, want) < 1e-12, `normalQuantile(1 − 1e-12) = ${got}, expected ${want}`);
  },
);

test('C6: zStar(1) ≈ 4.8916 and zStar(100) ≈ 5.7307 (FAMILY_FALSE_FAILURE = 1e-6)', () => {
  assert.equal(FAMILY_FALSE_FAILURE, 1e-6);
  assert.ok(Math.abs(zStar(1) - 4.8916) < 5e-4, `zStar(1) = ${zStar(1)}`);
  assert.ok(Math.abs(zStar(100) - 5.731) < 5e-4, `zStar(100) = ${zStar(100)}`);
  // NormalDist().inv_cdf(1 - 1e-6/2), inv_cdf(1 - 1e-6/200)
  assert.ok(relativeError(zStar(1), 4.891638475714779) < 1e-9);
  assert.ok(relativeError(zStar(100), 5.730728869267078) < 1e-9);
  // increasing in K, and each check's two-sided tail is familyRate / K
  assert.ok(zStar(20) > zStar(10) && zStar(10) > zStar(1));
  for (const K of [1, 20, 100]) assert.ok(relativeError(twoSidedP(zStar(K)), FAMILY_FALSE_FAILURE / K) < 1e-6, `K = ${K}`);
});

test('C6: Z95 = Φ⁻¹(0.975) = 1.9599639845400536', () => {
  assert.ok(Math.abs(Z95 - 1.9599639845400536) < 1e-15);
  assert.ok(Math.abs(normalQuantile(0.975) - Z95) < 1e-15);
  assert.ok(Math.abs(twoSidedP(Z95) - 0.05) < 1e-15);
});

test('C6: Moments of [1, 2, 3, 4]: mean 5/2, unbiased variance 5/3, stderr √(5/12); merge equals one pass', () => {
  const all = new Moments();
  for (const x of [1, 2, 3, 4]) all.add(x);
  assert.equal(all.n, 4);
  assert.equal(all.mean, 2.5);
  assert.equal(all.variance, 5 / 3);
  assert.equal(all.stderr, Math.sqrt(5 / 12));
  const left = new Moments();
  const right = new Moments();
  left.add(1);
  left.add(2);
  right.add(3);
  right.add(4);
  left.merge(right);
  assert.deepEqual([left.n, left.sum, left.sumSq, left.mean, left.variance], [4, 10, 30, 2.5, 5 / 3]);
  const single = new Moments();
  single.add(7);
  assert.equal(single.mean, 7);
  assert.ok(Number.isNaN(single.variance));
  const constant = new Moments();
  for (let i = 0; i < 5; i++) constant.add(0.1);
  assert.ok(constant.variance >= 0 && constant.variance < 1e-16, 'variance of a constant is clamped at ≥ 0');
});
