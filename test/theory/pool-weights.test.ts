/**
 * Exact (rational) checks of the coefficient recursion of proofs/linear-fixed-design.md#P1 and its closed forms #P2.
 * Every comparison is on canonical numerator/denominator bigints, never on floats, except the last float check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fraction, type Fraction } from 'mathjs';
import { errorCoefficients, noiseFactors, noiseFactorsNumeric } from '../../src/theory/pool-weights.js';
import { inverseSquareSum } from '../../src/theory/harmonic.js';
import { accumulate } from '../../src/strategies/accumulate.js';
import { replace } from '../../src/strategies/replace.js';
import type { PoolStrategy } from '../../src/strategies/strategy.js';

/** Canonical exact text of a rational, e.g. '-49/36' (mathjs keeps fractions reduced with d > 0). */
function ratio(f: Fraction): string {
  return `${f.s * f.n}/${f.d}`;
}
function q(n: number, d = 1): string {
  return ratio(fraction(n, d));
}

/** n ≥ 2: a_{n,n−1} = 1/3, a_{n,n} = 2/3 (a_{1,1} = 1); labelled by the previous model. Hand-worked in P1. */
const thirds: PoolStrategy = {
  name: 'test-thirds',
  description: 'test only: 1/3 on the previous generation, 2/3 on the newest',
  source: 'proofs/linear-fixed-design.md#P1 worked example',
  poolWeights(n: number): Fraction[] {
    return Array.from({ length: n }, (_, g) => {
      if (n === 1) return fraction(1);
      if (g === n - 2) return fraction(1, 3);
      if (g === n - 1) return fraction(2, 3);
      return fraction(0);
    });
  },
};

/** Accumulate's weights, but every generation is labelled by the real distribution (s(g) = 0). */
const realLabels: PoolStrategy = {
  name: 'test-accumulate-real-labels',
  description: 'test only: accumulate weights, every generation labelled by real data',
  source: 'proofs/linear-fixed-design.md#P1 (real-data labels)',
  poolWeights: (n: number) => accumulate.poolWeights(n),
  newData: () => [0],
};

test('P1: hand-worked 1/3–2/3 strategy gives b_1 = (1,0,0), b_2 = (1,2/3,0), b_3 = (1,7/9,2/3) exactly', () => {
  const b = errorCoefficients(thirds, 3).map((row) => row.map(ratio));
  assert.deepEqual(b, [
    [q(1), q(0), q(0)],
    [q(1), q(2, 3), q(0)],
    [q(1), q(7, 9), q(2, 3)],
  ]);
});

test('P1: hand-worked 1/3–2/3 strategy has Σ_j b_{n,j}² = 1, 13/9, 166/81 exactly', () => {
  assert.deepEqual(noiseFactors(thirds, 3).map(ratio), [q(1), q(13, 9), q(166, 81)]);
});

test('P1: the recursion b_{n,j} = a_{n,j} + Σ_g a_{n,g} b_{s(g),j} holds exactly for the 1/3–2/3 strategy, n ≤ 12', () => {
  // Re-derive each row from the previous rows with the P1 formula, independently of the code's loop order.
  const N = 12;
  const b = errorCoefficients(thirds, N);
  const row = (k: number): Fraction[] => (k === 0 ? Array.from({ length: N }, () => fraction(0)) : b[k - 1]);
  for (let n = 1; n <= N; n++) {
    const a = thirds.poolWeights(n);
    for (let j = 1; j <= N; j++) {
      let expected = j <= n ? a[j - 1] : fraction(0);
      for (let g = 1; g <= n; g++) expected = expected.add(a[g - 1].mul(row(g - 1)[j - 1]));
      assert.equal(ratio(b[n - 1][j - 1]), ratio(expected), `b_{${n},${j}}`);
    }
  }
});

test('P1: real-data labels (newData = () => [0]) with accumulate weights give b_{n,j} = 1/n and Σb² = 1/n exactly, n ≤ 30', () => {
  const N = 30;
  const b = errorCoefficients(realLabels, N);
  const factors = noiseFactors(realLabels, N);
  for (let n = 1; n <= N; n++) {
    const expected = Array.from({ length: N }, (_, j) => (j < n ? q(1, n) : q(0)));
    assert.deepEqual(b[n - 1].map(ratio), expected, `row ${n}`);
    assert.equal(ratio(factors[n - 1]), q(1, n), `Σb² at n = ${n}`);
  }
});

test('P2: replace coefficients b_{n,j} = 1 for j ≤ n (0 beyond) and Σb² = n exactly, n ≤ 50', () => {
  const N = 50;
  const b = errorCoefficients(replace, N);
  const factors = noiseFactors(replace, N);
  for (let n = 1; n <= N; n++) {
    const expected = Array.from({ length: N }, (_, j) => (j < n ? q(1) : q(0)));
    assert.deepEqual(b[n - 1].map(ratio), expected, `row ${n}`);
    assert.equal(ratio(factors[n - 1]), q(n), `Σb² at n = ${n}`);
  }
});

test('P2: accumulate coefficients b_{n,j} = 1/j for j ≤ n (0 beyond) exactly, n ≤ 40', () => {
  const N = 40;
  const b = errorCoefficients(accumulate, N);
  for (let n = 1; n <= N; n++) {
    const expected = Array.from({ length: N }, (_, j) => (j < n ? q(1, j + 1) : q(0)));
    assert.deepEqual(b[n - 1].map(ratio), expected, `row ${n}`);
  }
});

test('P2: accumulate Σ_j b_{n,j}² = inverseSquareSum(n) = Σ_{i≤n} 1/i² exactly, n ≤ 40', () => {
  const N = 40;
  const factors = noiseFactors(accumulate, N);
  for (let n = 1; n <= N; n++) {
    assert.equal(ratio(factors[n - 1]), ratio(inverseSquareSum(n)), `n = ${n}`);
  }
  assert.equal(ratio(factors[2]), q(49, 36));
});

test('P2: noiseFactorsNumeric equals the exact noiseFactors to 1e-15 relative (replace n ≤ 50, accumulate n ≤ 40, others)', () => {
  const cases: [PoolStrategy, number][] = [[replace, 50], [accumulate, 40], [thirds, 20], [realLabels, 30]];
  for (const [strategy, N] of cases) {
    const exact = noiseFactors(strategy, N);
    const numeric = noiseFactorsNumeric(strategy, N);
    assert.equal(numeric.length, N);
    for (let n = 0; n < N; n++) {
      // exact → float64 by a big-integer division scaled to 2^-80, independent of Fraction.valueOf
      const scaled = (exact[n].n << 80n) / exact[n].d;
      const reference = Number(scaled) / 2 ** 80;
      const rel = Math.abs(numeric[n] - reference) / reference;
      assert.ok(rel < 1e-15, `${strategy.name} n = ${n + 1}: numeric ${numeric[n]} vs exact ${reference} (rel ${rel})`);
    }
  }
});

// A weight 1/p with p = 10^160 makes Σb² = 1 + 1/p², whose numerator and denominator both overflow float64
// (Number(n) = Number(d) = Infinity). The same happens for accumulate at n ≥ 359 (denominator lcm(1..n)² > 1.8e308),
// which `collapse linear --iterations` (max 1000) reaches.
const hugeDenominator: PoolStrategy = {
  name: 'test-huge-denominator',
  description: 'test only: a weight with a 161-digit denominator',
  source: 'test/theory/pool-weights.test.ts',
  poolWeights(n: number): Fraction[] {
    const p = 10n ** 160n;
    if (n === 1) return [fraction(1)];
    return Array.from({ length: n }, (_, g) => (g === 0 ? fraction(p - 1n, p) : g === n - 1 ? fraction(1n, p) : fraction(0)));
  },
};

test(
  'P2: noiseFactorsNumeric stays finite when the exact Σb² has a numerator/denominator beyond float64 range',
  () => {
    const exact = noiseFactors(hugeDenominator, 2);
    assert.equal(ratio(exact[1]), ratio(fraction(10n ** 320n + 1n, 10n ** 320n)));
    assert.equal(noiseFactorsNumeric(hugeDenominator, 2)[1], 1);
  },
);

test('P2/P3: beyond the exact range, the float64 recursion matches the closed forms at n = 1000 (1e-12 relative)', () => {
  const N = 1000;
  const replaceFactors = noiseFactorsNumeric(replace, N);
  const accumulateFactors = noiseFactorsNumeric(accumulate, N);
  let partial = 0;
  for (let n = 1; n <= N; n++) {
    partial += 1 / (n * n);
    assert.ok(Math.abs(replaceFactors[n - 1] - n) <= 1e-12 * n, `replace n=${n}: ${replaceFactors[n - 1]}`);
    assert.ok(Math.abs(accumulateFactors[n - 1] - partial) <= 1e-12 * partial, `accumulate n=${n}: ${accumulateFactors[n - 1]} vs ${partial}`);
  }
  assert.ok(accumulateFactors[N - 1] < Math.PI ** 2 / 6);
});
