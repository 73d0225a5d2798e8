/** proofs/linear-fixed-design.md#P3: Σ_{i≤n} 1/i² — exact values, monotonicity, the elementary bounds, π²/6. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fraction, type Fraction } from 'mathjs';
import { ACCUMULATE_BOUND, inverseSquareSum } from '../../src/theory/harmonic.js';

function ratio(f: Fraction): string {
  return `${f.s * f.n}/${f.d}`;
}
/** a < b for exact rationals (positive denominators), by cross-multiplication of bigints. */
function less(a: Fraction, b: Fraction): boolean {
  return a.s * a.n * b.d < b.s * b.n * a.d;
}

test('P3: exact first values S_1..S_5 = 1, 5/4, 49/36, 205/144, 5269/3600', () => {
  const expected = [fraction(1), fraction(5, 4), fraction(49, 36), fraction(205, 144), fraction(5269, 3600)];
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => ratio(inverseSquareSum(n))), expected.map(ratio));
  assert.equal(ratio(inverseSquareSum(0)), '0/1');
});

test('P3: S_n − S_{n−1} = 1/n² exactly, so S_n strictly increases (n ≤ 200)', () => {
  let previous = inverseSquareSum(0);
  for (let n = 1; n <= 200; n++) {
    const current = inverseSquareSum(n);
    assert.equal(ratio(current.sub(previous)), ratio(fraction(1, n * n)), `n = ${n}`);
    assert.ok(less(previous, current), `S_${n} > S_${n - 1}`);
    previous = current;
  }
});

test('P3: telescoping bound S_n < 2 − 1/n exactly for 2 ≤ n ≤ 200 (S_1 = 2 − 1/1)', () => {
  assert.equal(ratio(inverseSquareSum(1)), ratio(fraction(2).sub(fraction(1, 1))));
  for (let n = 2; n <= 200; n++) {
    assert.ok(less(inverseSquareSum(n), fraction(2).sub(fraction(1, n))), `S_${n} < 2 − 1/${n}`);
  }
});

test('P3: the tail π²/6 − S_n lies strictly between 1/(n+1) and 1/n for n = 10, 100, 1000 (float64)', () => {
  for (const n of [10, 100, 1000]) {
    let s = 0;
    for (let i = n; i >= 1; i--) s += 1 / (i * i); // smallest terms first
    const tail = (Math.PI * Math.PI) / 6 - s;
    assert.ok(tail > 1 / (n + 1) && tail < 1 / n, `n = ${n}: tail ${tail} not in (1/${n + 1}, 1/${n})`);
    if (n <= 100) assert.ok(Math.abs(Number(inverseSquareSum(n).valueOf()) - s) < 1e-15, `exact S_${n} vs float64 sum`);
  }
});

test('P3: ACCUMULATE_BOUND equals π²/6 = ζ(2) = 1.6449340668482264 and bounds every S_n', () => {
  assert.equal(ACCUMULATE_BOUND, (Math.PI * Math.PI) / 6);
  assert.ok(Math.abs(ACCUMULATE_BOUND - 1.6449340668482264) <= 2.3e-16);
  for (const n of [1, 2, 10, 100, 200]) assert.ok(Number(inverseSquareSum(n).valueOf()) < ACCUMULATE_BOUND, `n = ${n}`);
});
