/**
 * proofs/linear-fixed-design.md#P4 (and #P1, #P3 through it): the inverse-Wishart mean, the unconditional closed forms
 * σ²·d/(T−d−1)·n and σ²·d/(T−d−1)·Σ1/i², the π²/6 bound, and the @example lines of src/theory/*.ts as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Fraction } from 'mathjs';
import { UsageError } from '../../src/core/errors.js';
import { accumulate } from '../../src/strategies/accumulate.js';
import { replace } from '../../src/strategies/replace.js';
import { ACCUMULATE_BOUND, inverseSquareSum } from '../../src/theory/harmonic.js';
import { ridgeConditionalError, ridgePolynomials } from '../../src/theory/ridge.js';
import {
  inverseWishartTraceMoments,
  conditionalTestError,
  expectedTestError,
  traceInverseWishartMean,
  type LinearSetting,
} from '../../src/theory/linear-fixed-design.js';
import { noiseFactors, noiseFactorsNumeric } from '../../src/theory/pool-weights.js';
import { randomDesignReplaceError } from '../../src/theory/linear-random-design.js';
import * as G from '../../src/theory/gaussian.js';
import * as C from '../../src/theory/categorical.js';
import * as H from '../../src/theory/tails.js';
import * as L from '../../src/theory/strategy-limits.js';
import * as S from '../../src/theory/strong-collapse.js';
import * as HC from '../../src/theory/tails-chain.js';
import { fraction } from '../../src/core/fraction.js';

function ratio(f: Fraction): string {
  return `${f.s * f.n}/${f.d}`;
}
function relativeError(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

const SETTINGS: LinearSetting[] = [
  { sigma2: 1, dim: 10, samples: 100 },
  { sigma2: 0.25, dim: 3, samples: 20 },
  { sigma2: 2.5, dim: 50, samples: 52 }, // T = d + 2, the smallest T with a finite mean
  { sigma2: 1e-3, dim: 1, samples: 3 },
  { sigma2: 7, dim: 200, samples: 1000 },
];

test('P4: traceInverseWishartMean(10, 100) = 10/89 exactly, and d/(T−d−1) exactly on a grid', () => {
  assert.equal(ratio(traceInverseWishartMean(10, 100)), '10/89');
  for (const d of [1, 2, 3, 10, 64]) {
    for (const T of [d + 2, d + 3, 2 * d + 5, 1000]) {
      const mean = traceInverseWishartMean(d, T);
      // canonical form of d/(T−d−1): compare by cross-multiplication
      assert.equal(mean.n * BigInt(T - d - 1), mean.d * BigInt(d), `d = ${d}, T = ${T}`);
      assert.equal(mean.s, 1n);
    }
  }
  assert.equal(ratio(traceInverseWishartMean(50, 52)), '50/1');
});

test('P4: T < d + 2 (infinite mean) throws a UsageError that names --samples', () => {
  const isSamplesUsageError = (error: unknown): boolean => {
    assert.ok(error instanceof UsageError, `expected UsageError, got ${String(error)}`);
    assert.match(error.message, /--samples/);
    return true;
  };
  for (const [d, T] of [[10, 11], [10, 10], [10, 5], [1, 2], [3, 4]]) {
    assert.throws(() => traceInverseWishartMean(d, T), isSamplesUsageError, `d = ${d}, T = ${T}`);
    assert.throws(() => expectedTestError(accumulate, { sigma2: 1, dim: d, samples: T }, 3), isSamplesUsageError);
    assert.throws(() => expectedTestError(replace, { sigma2: 1, dim: d, samples: T }, 3), isSamplesUsageError);
  }
  assert.doesNotThrow(() => traceInverseWishartMean(10, 12));
});

test('P4: replace expectedTestError = σ²·d/(T−d−1)·n to 1e-12 relative (n ≤ 30)', () => {
  for (const setting of SETTINGS) {
    const { sigma2, dim: d, samples: T } = setting;
    const got = expectedTestError(replace, setting, 30);
    assert.equal(got.length, 30);
    got.forEach((value, i) => {
      const want = ((sigma2 * d) / (T - d - 1)) * (i + 1);
      assert.ok(relativeError(value, want) < 1e-12, `${JSON.stringify(setting)} n = ${i + 1}: ${value} vs ${want}`);
    });
  }
});

test('P4: accumulate expectedTestError = σ²·d/(T−d−1)·Σ_{i≤n} 1/i² to 1e-12 relative (n ≤ 30)', () => {
  for (const setting of SETTINGS) {
    const { sigma2, dim: d, samples: T } = setting;
    const got = expectedTestError(accumulate, setting, 30);
    let sum = 0;
    got.forEach((value, i) => {
      sum += 1 / ((i + 1) * (i + 1));
      const want = ((sigma2 * d) / (T - d - 1)) * sum;
      assert.ok(relativeError(value, want) < 1e-12, `${JSON.stringify(setting)} n = ${i + 1}: ${value} vs ${want}`);
    });
  }
});

test('P4: expectedTestError = σ²·E tr((XᵀX)⁻¹)·Σb² = conditionalTestError at tr = d/(T−d−1) (P1 averaged over X)', () => {
  const setting: LinearSetting = { sigma2: 0.25, dim: 3, samples: 20 };
  for (const strategy of [replace, accumulate]) {
    const factors = noiseFactorsNumeric(strategy, 10);
    const got = expectedTestError(strategy, setting, 10);
    got.forEach((value, i) => {
      assert.equal(value, conditionalTestError(0.25, 3 / 16, factors[i]), `${strategy.name} n = ${i + 1}`);
    });
  }
  assert.equal(conditionalTestError(0.5, 0.2, 3), 0.5 * 0.2 * 3);
});

test('P4 + P3: accumulate error increases and stays strictly below (π²/6)·(first error) for n ≤ 200', () => {
  const setting: LinearSetting = { sigma2: 1, dim: 10, samples: 100 };
  const errors = expectedTestError(accumulate, setting, 200);
  const bound = ACCUMULATE_BOUND * errors[0];
  for (let n = 1; n < errors.length; n++) assert.ok(errors[n] > errors[n - 1], `increasing at n = ${n + 1}`);
  for (let n = 0; n < errors.length; n++) assert.ok(errors[n] < bound, `n = ${n + 1}: ${errors[n]} ≥ ${bound}`);
  // and replace exceeds the accumulate bound from n = 2 on
  const replaced = expectedTestError(replace, setting, 200);
  for (let n = 1; n < replaced.length; n++) assert.ok(replaced[n] > bound);
});

/**
 * Every `@example` line of src/theory/*.ts, verbatim, with a check that runs it. The source text is compared too, so
 * a doc edit that changes an example without changing this table fails here.
 */
const EXAMPLES: Record<string, () => void> = {
  'inverseSquareSum(3) // returns Fraction 49/36': () => assert.equal(ratio(inverseSquareSum(3)), '49/36'),
  'traceInverseWishartMean(10, 100) // returns Fraction 10/89': () =>
    assert.equal(ratio(traceInverseWishartMean(10, 100)), '10/89'),
  'expectedTestError(accumulate, { sigma2: 1, dim: 10, samples: 100 }, 1) // returns [0.11235955056179775]': () =>
    assert.deepEqual(expectedTestError(accumulate, { sigma2: 1, dim: 10, samples: 100 }, 1), [0.11235955056179775]),
  "noiseFactors(accumulate, 2).map(String) // returns ['1', '1.25']": () =>
    assert.deepEqual(noiseFactors(accumulate, 2).map(String), ['1', '1.25']),
  'randomDesignReplaceError({ sigma2: 1, dim: 10, samples: 100, noise0: 1, samples0: 100 }, 2) // returns [0.11235955056179775, 0.2247191011235955]': () =>
    assert.deepEqual(randomDesignReplaceError({ sigma2: 1, dim: 10, samples: 100, noise0: 1, samples0: 100 }, 2), [0.11235955056179775, 0.2247191011235955]),
  'Array.from(ridgePolynomials(replace, 2).noise[1]) // returns [1, 0, 1]': () =>
    assert.deepEqual(Array.from(ridgePolynomials(replace, 2).noise[1]), [1, 0, 1]),
  'Array.from(ridgeConditionalError(ridgePolynomials(replace, 2), [1], [0], 1, 1, new Float64Array(2))) // returns [0.25, 0.3125]': () =>
    assert.deepEqual(Array.from(ridgeConditionalError(ridgePolynomials(replace, 2), [1], [0], 1, 1, new Float64Array(2))), [0.25, 0.3125]),
  // Gaussian fitting (proofs/gaussian.md): the same values are checked with their derivations in test/theory/gaussian.test.ts
  "replaceVarianceRatio(10, 2).toString() // returns '0.81'": () => assert.equal(G.replaceVarianceRatio(10, 2).toString(), '0.81'),
  "replaceDetRatio(2, 10, 1, 'mle').toString() // returns '0.72'": () => assert.equal(G.replaceDetRatio(2, 10, 1, 'mle').toString(), '0.72'),
  'c4(2) // returns 0.7978845608028654': () => assert.equal(G.c4(2), 0.7978845608028654),
  "replaceSdRatio(2, 1, 'unbiased') // returns 0.7978845608028654": () => assert.equal(G.replaceSdRatio(2, 1, 'unbiased'), 0.7978845608028654),
  "replaceLogDetRatio(1, 3, 1, 'unbiased') // returns -0.5772156649015329": () =>
    assert.equal(G.replaceLogDetRatio(1, 3, 1, 'unbiased'), -0.5772156649015329),
  "accumulateMeanError(1, 10, 2).toString() // returns '0.125'": () => assert.equal(G.accumulateMeanError(1, 10, 2).toString(), '0.125'),
  "gaussianMomentsExact(accumulate, { dim: 1, samples: 4, estimator: 'mle' }, 2)?.traceRatio.map(String) // returns ['0.75', '0.703125']": () =>
    assert.deepEqual(G.gaussianMomentsExact(accumulate, { dim: 1, samples: 4, estimator: 'mle' }, 2)?.traceRatio.map(String), ['0.75', '0.703125']),
  'singleSetDepths(replace, 3) // returns [1, 2, 3]': () => assert.deepEqual(G.singleSetDepths(replace, 3), [1, 2, 3]),
  "Math.exp(replaceDetRatioLogMoment(1, 10, 1, 'mle', 1)) // returns 0.9000000000000008": () =>
    assert.equal(Math.exp(G.replaceDetRatioLogMoment(1, 10, 1, 'mle', 1)), 0.9000000000000008),
  'inverseWishartTraceMoments(1, 10) // returns { mean: 0.125, variance: 0.005208333333333333, meanSquare: 0.020833333333333332 }': () =>
    assert.deepEqual(inverseWishartTraceMoments(1, 10), { mean: 0.125, variance: 0.005208333333333333, meanSquare: 0.020833333333333332 }),
  // categorical resampling, Hutter's model and strategy limits (proofs/categorical.md, tails.md, strategy-limits.md)
  "collisionProbabilities(replace, fraction(1, 2), 2, 1, RATIONAL)?.map(String) // returns ['0.75']": () =>
    assert.deepEqual(C.collisionProbabilities(replace, fraction(1, 2), 2, 1, C.RATIONAL)?.map(String), ['0.75']),
  "replaceCollision(fraction(1, 2), 2, 2).toFraction() // returns '7/8'": () => assert.equal(C.replaceCollision(fraction(1, 2), 2, 2).toFraction(), '7/8'),
  'anchoredSurvival(Float64Array.of(0.5, 0.5), 1) // returns { surviving: 1, tailMassLost: 0.5 }': () =>
    assert.deepEqual(C.anchoredSurvival(Float64Array.of(0.5, 0.5), 1), { surviving: 1, tailMassLost: 0.5 }),
  'fixationTimeApproximation(Float64Array.of(0.5, 0.5), 10) // returns 13.862943611198906': () =>
    assert.equal(C.fixationTimeApproximation(Float64Array.of(0.5, 0.5), 10), 13.862943611198906),
  "freshFixedPoint(fraction(1, 2), 10).meanError.toFraction() // returns '2/31'": () => assert.equal(G.freshFixedPoint(fraction(1, 2), 10).meanError.toFraction(), '2/31'),
  "freshLimit(fraction(1, 2))?.toFraction() // returns '2/3'": () => assert.equal(L.freshLimit(fraction(1, 2))?.toFraction(), '2/3'),
  "augmentLimit(fraction(1)).toFraction() // returns '4/3'": () => assert.equal(L.augmentLimit(fraction(1)).toFraction(), '4/3'),
  "hutterErrorExact([fraction(1, 2), fraction(1, 2)], [fraction(1, 2), fraction(1, 2)], 2, RATIONAL).toFraction() // returns '1/4'": () =>
    assert.equal(H.hutterErrorExact([fraction(1, 2), fraction(1, 2)], [fraction(1, 2), fraction(1, 2)], 2, C.RATIONAL).toFraction(), '1/4'),
  // strong model collapse (proofs/strong-collapse.md)
  "strongBiasFactor(10, 5, 2).toFraction() // returns '62/189'": () => assert.equal(S.strongBiasFactor(10, 5, 2).toFraction(), '62/189'),
  'strongCollapseError({ sigma2: 1, dim: 2, samples: 10, teacher: 5, shift2: 1 }).total // returns 0.6137566137566137': () =>
    assert.equal(S.strongCollapseError({ sigma2: 1, dim: 2, samples: 10, teacher: 5, shift2: 1 }).total, 0.6137566137566137),
  "strongChainPolynomials(accumulate, 2, 'mixed', RATIONAL).shift[1].map(String) // returns ['0', '0.5', '0.5']": () =>
    assert.deepEqual(S.strongChainPolynomials(accumulate, 2, 'mixed', C.RATIONAL).shift[1].map(String), ['0', '0.5', '0.5']),
  "tailPlateau([fraction(1, 2), fraction(1, 3), fraction(1, 6)], 1).toFraction() // returns '1/2'": () =>
    assert.equal(H.tailPlateau([fraction(1, 2), fraction(1, 3), fraction(1, 6)], 1).toFraction(), '1/2'),
  "chainedHutterErrorExact([fraction(1, 2), fraction(1, 2)], 2, 2, RATIONAL).toFraction() // returns '3/8'": () =>
    assert.equal(HC.chainedHutterErrorExact([fraction(1, 2), fraction(1, 2)], 2, 2, C.RATIONAL).toFraction(), '3/8'),
};

function sourceExamples(): string[] {
  const dir = fileURLToPath(new URL('../../src/theory/', import.meta.url));
  const found: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    for (const line of readFileSync(dir + file, 'utf8').split('\n')) {
      const match = /^\s*\*\s*@example\s+(.*?)\s*$/.exec(line);
      if (match) found.push(match[1]);
    }
  }
  return found;
}

test('P2–P4: the @example values in the TSDoc of src/theory/*.ts hold exactly as written', () => {
  const inSource = new Set(sourceExamples());
  for (const [example, check] of Object.entries(EXAMPLES)) {
    assert.ok(inSource.has(example), `example no longer in src/theory: ${example}`);
    check();
  }
});

test('P2–P4: every @example in src/theory/*.ts is checked by this file', () => {
  const untested = sourceExamples().filter((example) => !(example in EXAMPLES));
  assert.deepEqual(untested, [], 'add these examples to EXAMPLES in test/theory/linear-fixed-design.test.ts');
});
