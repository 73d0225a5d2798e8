/**
 * Exact checks of proofs/gaussian.md G1–G8: rationals compared as canonical numerator/denominator strings, floats at
 * the theory tolerance (1e-12 relative) against values computed independently here. The Monte Carlo side of the same
 * identities is test/models/gaussian/gaussian-mc.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fraction, type Fraction } from 'mathjs';
import { fractionToNumber } from '../../src/core/fraction.js';
import { gaussianMetrics } from '../../src/models/gaussian/family.js';
import { parseStrategy, STRATEGY_EXAMPLES } from '../../src/strategies/index.js';
import type { PoolStrategy } from '../../src/strategies/strategy.js';
import { inverseSquareSum } from '../../src/theory/harmonic.js';
import {
  accumulateMeanError,
  c4,
  gaussianMomentsExact,
  gaussianMomentsNumeric,
  gaussianTheory,
  replaceDetRatio,
  replaceLogDetRatio,
  replaceSdRatio,
  replaceVarianceRatio,
  singleSetDepths,
} from '../../src/theory/gaussian.js';
import { noiseFactors } from '../../src/theory/pool-weights.js';

const ratio = (f: Fraction) => `${f.s * f.n}/${f.d}`;
const q = (n: number, d = 1) => ratio(fraction(n, d));
const replace = parseStrategy('replace');
const accumulate = parseStrategy('accumulate');
const close = (got: number, expected: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(got - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${got}, expected ${expected}, Δ ${got - expected}, tol ${tol}`);

test('G1: replace MLE, the G6 recursion gives ((m−1)/m)^k exactly (m = 2, 5, 10; k ≤ 8)', () => {
  for (const m of [2, 5, 10]) {
    const exact = gaussianMomentsExact(replace, { dim: 1, samples: m, estimator: 'mle' }, 8);
    assert.ok(exact);
    exact.traceRatio.forEach((v, i) => {
      assert.equal(ratio(v), ratio(replaceVarianceRatio(m, i + 1)), `m=${m} k=${i + 1}`);
      assert.equal(ratio(v), ratio(fraction((m - 1) ** (i + 1), m ** (i + 1))), `m=${m} k=${i + 1} by hand`);
    });
  }
});

test('G1: replace unbiased keeps E tr Σ̂ = tr Σ₀ exactly, and E‖μ̂_k − μ‖² = k·tr Σ₀/m (G6)', () => {
  const exact = gaussianMomentsExact(replace, { dim: 3, samples: 7, estimator: 'unbiased' }, 6);
  assert.ok(exact);
  exact.traceRatio.forEach((v) => assert.equal(ratio(v), q(1)));
  exact.meanError.forEach((v, i) => assert.equal(ratio(v), q(i + 1, 7)));
});

test('G2: E det ratio, d = 1 is G1; m = d gives 0; d = 2, m = 10: 0.72 per step (MLE) and 8/9 (unbiased)', () => {
  for (const k of [1, 3, 6]) assert.equal(ratio(replaceDetRatio(1, 9, k, 'mle')), ratio(replaceVarianceRatio(9, k)));
  assert.equal(ratio(replaceDetRatio(4, 4, 1, 'mle')), q(0));
  assert.equal(ratio(replaceDetRatio(2, 10, 1, 'mle')), q(72, 100));
  assert.equal(ratio(replaceDetRatio(2, 10, 3, 'mle')), q(72 ** 3, 100 ** 3));
  assert.equal(ratio(replaceDetRatio(2, 10, 1, 'unbiased')), q(8, 9));
  // the d factors are (m−1)/m … (m−d)/m, not (m−i+1)/m: d = 3, m = 5 gives 4·3·2/125
  assert.equal(ratio(replaceDetRatio(3, 5, 1, 'mle')), q(24, 125));
});

test('G3: c4 against its closed values and the control-chart table; (κ·c4)^k', () => {
  close(c4(2), Math.sqrt(2 / Math.PI), 'c4(2) = √(2/π)');
  close(c4(3), Math.sqrt(Math.PI) / 2, 'c4(3) = √π/2');
  close(c4(4), 2 * Math.sqrt(2 / (3 * Math.PI)), 'c4(4) = 2√(2/(3π))');
  // four-digit table values (Montgomery, SQC, control-chart constants)
  for (const [m, value] of [[5, 0.94], [10, 0.9727], [25, 0.9896]] as const) close(c4(m), value, `c4(${m})`, 1e-3);
  // large m: c4(m) ≈ 1 − 1/(4m) − 7/(32m²)
  close(c4(10_001), 1 - 1 / (4 * 10_001) - 7 / (32 * 10_001 ** 2), 'c4(10001)', 1e-11);
  close(replaceSdRatio(10, 3, 'unbiased'), c4(10) ** 3, 'unbiased');
  close(replaceSdRatio(10, 3, 'mle'), (Math.sqrt(0.9) * c4(10)) ** 3, 'mle');
});

test('G4: E log det per step is ψ(1) = −γ (d = 1, m = 3, unbiased), ψ(½) + ln 2 (m = 2, unbiased), ψ(½) (m = 2, MLE), and negative always', () => {
  const gamma = 0.5772156649015329;
  close(replaceLogDetRatio(1, 3, 1, 'unbiased'), -gamma, 'ψ(1) + ln(2/2)');
  close(replaceLogDetRatio(1, 2, 1, 'unbiased'), -gamma - 2 * Math.LN2 + Math.LN2, 'ψ(1/2) + ln(2/1)');
  close(replaceLogDetRatio(1, 2, 5, 'mle'), 5 * (-gamma - 2 * Math.LN2), '5·(ψ(1/2) + ln(2/2))');
  // ψ(x/2) by the recurrence ψ(x + 1) = ψ(x) + 1/x from ψ(1), ψ(½): d = 3, m = 8 (x/2 = 3.5, 3, 2.5)
  const psi = (h: number): number => (h === 1 ? -gamma : h === 0.5 ? -gamma - 2 * Math.LN2 : psi(h - 1) + 1 / (h - 1));
  const step = [7, 6, 5].reduce((s, x) => s + psi(x / 2) + Math.log(2 / 8), 0);
  close(replaceLogDetRatio(3, 8, 4, 'mle'), 4 * step, 'd = 3, m = 8, k = 4');
  for (const m of [2, 3, 10, 100]) for (const est of ['mle', 'unbiased'] as const) assert.ok(replaceLogDetRatio(1, m, 1, est) < 0, `m=${m} ${est}`);
  assert.equal(replaceLogDetRatio(3, 3, 1, 'mle'), -Infinity);
});

test('G5: accumulate with a known variance, E(μ̂_k − μ)² = (σ²/m)·Σ 1/i² exactly, from the G6 recursion and P2', () => {
  const exact = gaussianMomentsExact(accumulate, { dim: 1, samples: 10, estimator: 'mle', knownVariance: true }, 12);
  assert.ok(exact);
  exact.meanError.forEach((v, i) => {
    assert.equal(ratio(v), ratio(accumulateMeanError(1, 10, i + 1)), `k=${i + 1}`);
    assert.equal(ratio(v), ratio(inverseSquareSum(i + 1).div(10)), `k=${i + 1} via harmonic`);
  });
  assert.equal(ratio(accumulateMeanError(2, 5, 2)), q(1, 2));
});

test('G6: hand-worked accumulate, m = 4, MLE: v = 3/4, 45/64 and M = 1/4, 19/64', () => {
  const exact = gaussianMomentsExact(accumulate, { dim: 1, samples: 4, estimator: 'mle' }, 2);
  assert.ok(exact);
  assert.deepEqual(exact.traceRatio.map(ratio), [q(3, 4), q(45, 64)]);
  assert.deepEqual(exact.meanError.map(ratio), [q(1, 4), q(19, 64)]);
});

test('G6: a known variance gives M_n = Σ_j b_{n,j}²/m for every strategy (P1 coefficients)', () => {
  for (const name of STRATEGY_EXAMPLES.filter((s) => s !== 'accumulate-subsample')) {
    const strategy = parseStrategy(name);
    const exact = gaussianMomentsExact(strategy, { dim: 2, samples: 6, estimator: 'unbiased', knownVariance: true }, 6);
    assert.ok(exact);
    noiseFactors(strategy, 6).forEach((f, i) => assert.equal(ratio(exact.meanError[i]), ratio(f.div(6)), `${name} n=${i + 1}`));
  }
});

test('G6: fresh:1 (a fresh real set every time) keeps v_n = (m−1)/m and M_n = 1/m; window:1 and fresh:0 are replace', () => {
  const fresh1 = gaussianMomentsExact(parseStrategy('fresh:1'), { dim: 1, samples: 5, estimator: 'mle' }, 5);
  assert.ok(fresh1);
  fresh1.traceRatio.forEach((v) => assert.equal(ratio(v), q(4, 5)));
  fresh1.meanError.forEach((v) => assert.equal(ratio(v), q(1, 5)));
  const reference = gaussianMomentsExact(replace, { dim: 1, samples: 5, estimator: 'mle' }, 5);
  for (const name of ['window:1', 'fresh:0']) {
    const other = gaussianMomentsExact(parseStrategy(name), { dim: 1, samples: 5, estimator: 'mle' }, 5);
    assert.deepEqual(other?.traceRatio.map(ratio), reference?.traceRatio.map(ratio), name);
    assert.deepEqual(other?.meanError.map(ratio), reference?.meanError.map(ratio), name);
  }
});

test('G6: the float64 recursion equals the exact one to 1e-12 for every strategy, estimator and a known variance', () => {
  for (const name of STRATEGY_EXAMPLES) {
    const strategy = parseStrategy(name);
    for (const setting of [
      { dim: 1, samples: 5, estimator: 'mle' as const },
      { dim: 3, samples: 9, estimator: 'unbiased' as const },
      { dim: 2, samples: 4, estimator: 'mle' as const, knownVariance: true },
    ]) {
      const exact = gaussianMomentsExact(strategy, setting, 10);
      const numeric = gaussianMomentsNumeric(strategy, setting, 10);
      if (strategy.fit === 'subsample') {
        assert.equal(exact, null);
        assert.equal(numeric, null);
        continue;
      }
      assert.ok(exact && numeric);
      exact.traceRatio.forEach((v, i) => close(numeric.traceRatio[i], fractionToNumber(v), `${name} v_${i + 1}`));
      exact.meanError.forEach((v, i) => close(numeric.meanError[i], fractionToNumber(v), `${name} M_${i + 1}`));
    }
  }
});

test('G7: single-set chain depths: replace n, fresh:1 always 1, fresh:0 and window:1 as replace, augment:0 always 1, accumulate only at n = 1', () => {
  assert.deepEqual(singleSetDepths(replace, 4), [1, 2, 3, 4]);
  assert.deepEqual(singleSetDepths(parseStrategy('fresh:1'), 4), [1, 1, 1, 1]);
  assert.deepEqual(singleSetDepths(parseStrategy('fresh:0'), 4), [1, 2, 3, 4]);
  assert.deepEqual(singleSetDepths(parseStrategy('window:1'), 4), [1, 2, 3, 4]);
  assert.deepEqual(singleSetDepths(parseStrategy('augment:0'), 4), [1, 1, 1, 1]);
  assert.deepEqual(singleSetDepths(accumulate, 4), [1, null, null, null]);
  assert.deepEqual(singleSetDepths(parseStrategy('accumulate-subsample'), 3), [null, null, null]);
  // a chain whose source is not itself a chain is not one: pool n = set n, but set n is drawn by an accumulate model
  const mixed: PoolStrategy = {
    name: 'test-mixed',
    description: 'test only: accumulate at n = 2, then replace',
    source: 'proofs/gaussian.md#G7',
    poolWeights: (n: number) => (n === 2 ? accumulate.poolWeights(2) : replace.poolWeights(n)),
  };
  assert.deepEqual(singleSetDepths(mixed, 4), [1, null, null, null]);
});

test('G8: W2² = ‖μ̂‖² + Σ(√λ − 1)², and it is rotation invariant (closed form between Gaussians, Σ₀ = I)', () => {
  const diagonal = { mean: Float64Array.of(1, 0), covariance: Float64Array.of(4, 0, 0, 0.25), factor: Float64Array.of(2, 0, 0, 0.5) };
  const got = gaussianMetrics(diagonal, 2);
  close(got.w2Squared, 1 + 1 + 0.25, 'diagonal');
  close(got.w2, 1.5, 'diagonal W2');
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  // R diag(4, ¼) Rᵀ and its Cholesky factor
  const a = 4 * c * c + 0.25 * s * s;
  const b = (4 - 0.25) * c * s;
  const e = 4 * s * s + 0.25 * c * c;
  const l11 = Math.sqrt(a);
  const l21 = b / l11;
  const rotated = { mean: Float64Array.of(0.6, 0.8), covariance: Float64Array.of(a, b, b, e), factor: Float64Array.of(l11, 0, l21, Math.sqrt(e - l21 * l21)) };
  const metrics = gaussianMetrics(rotated, 2);
  close(metrics.w2Squared, 2.25, 'rotated');
  close(metrics.detRatio, 1, 'det');
  close(metrics.traceRatio, 2.125, 'trace/d');
});

test('G8: gaussianTheory prints a formula only where one holds', () => {
  const setting = { dim: 1, samples: 10, estimator: 'mle' as const };
  const rep = gaussianTheory(replace, setting, 3);
  assert.ok(rep.detRatio.every((x) => x !== null) && rep.w2Squared.every((x) => x !== null) && rep.sdRatio.every((x) => x !== null));
  assert.ok(rep.w2.every((x) => x === null) && rep.medianVarianceRatio.every((x) => x === null));
  const acc = gaussianTheory(accumulate, setting, 3);
  assert.ok(acc.traceRatio.every((x) => x !== null) && acc.meanError.every((x) => x !== null));
  assert.deepEqual(acc.detRatio, [fractionToNumber(replaceDetRatio(1, 10, 1, 'mle')), null, null]);
  const sub = gaussianTheory(parseStrategy('accumulate-subsample'), setting, 3);
  assert.ok(Object.values(sub).every((series) => series.every((x) => x === null)), 'subsample: no theory');
  const d3 = gaussianTheory(replace, { ...setting, dim: 3 }, 2);
  assert.ok(d3.sdRatio.every((x) => x === null) && d3.w2Squared.every((x) => x === null), 'no 1-D formulas in d = 3');
  const known = gaussianTheory(accumulate, { ...setting, knownVariance: true }, 3);
  close(known.w2[1] as number, Math.sqrt(1.25 / 10) * Math.sqrt(2 / Math.PI), 'E|μ̂ − μ| = √M·√(2/π)');
  assert.deepEqual(known.medianVarianceRatio, [1, 1, 1]);
});

test('examples in the TSDoc of src/theory/gaussian.ts return what they say', () => {
  assert.equal(replaceVarianceRatio(10, 2).toString(), '0.81');
  assert.equal(replaceDetRatio(2, 10, 1, 'mle').toString(), '0.72');
  assert.equal(c4(2), 0.7978845608028654);
  assert.equal(replaceSdRatio(2, 1, 'unbiased'), 0.7978845608028654);
  assert.equal(replaceLogDetRatio(1, 3, 1, 'unbiased'), -0.5772156649015329);
  assert.equal(accumulateMeanError(1, 10, 2).toString(), '0.125');
  assert.deepEqual(gaussianMomentsExact(accumulate, { dim: 1, samples: 4, estimator: 'mle' }, 2)?.traceRatio.map(String), ['0.75', '0.703125']);
  assert.deepEqual(singleSetDepths(replace, 3), [1, 2, 3]);
});

test('proofs/gaussian.md: every @proof tag of src/theory/gaussian.ts names an anchor G<k> the document defines, and G1–G10 all exist', () => {
  const root = new URL('../../', import.meta.url);
  const proof = readFileSync(new URL('proofs/gaussian.md', root), 'utf8');
  const defined = new Set([...proof.matchAll(/<a id="(G\d+)"><\/a>/g)].map((m) => m[1]));
  assert.deepEqual([...defined].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))), ['G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8', 'G9', 'G10']);
  const source = readFileSync(new URL('src/theory/gaussian.ts', root), 'utf8');
  const tags = [...source.matchAll(/@proof proofs\/gaussian\.md#(G\d+)/g)].map((m) => m[1]);
  assert.ok(tags.length >= 8);
  for (const tag of tags) assert.ok(defined.has(tag), `@proof proofs/gaussian.md#${tag} has no anchor`);
});

test('G10: fresh:p with the MLE converges to M_∞ = (2p² − 2p + 1)/((m − 1)p(2 − p) + 1), v_∞ = 1 − M_∞', async () => {
  const { freshFixedPoint, gaussianMomentsExact, gaussianMomentsNumeric } = await import('../../src/theory/gaussian.js');
  const { parseStrategy } = await import('../../src/strategies/index.js');
  const { fraction } = await import('../../src/core/fraction.js');
  assert.equal(freshFixedPoint(fraction(1, 2), 10).meanError.toFraction(), '2/31');
  for (const [p, m] of [['0.5', 10], ['0.25', 4], ['0.9', 50], ['1', 7]] as const) {
    const { traceRatio: v, meanError: M } = freshFixedPoint(fraction(p), m);
    // one exact step of the G6 recursion for fresh:p maps the fixed point to itself
    const q = fraction(1).sub(fraction(p));
    const a = q.mul(q);
    const M1 = fraction(p).mul(fraction(p)).add(a.mul(v)).div(m).add(a.mul(M));
    const v1 = fraction(p).add(q.mul(v.add(M))).sub(M1);
    assert.equal(M1.toFraction(), M.toFraction(), `p=${p} m=${m}`);
    assert.equal(v1.toFraction(), v.toFraction(), `p=${p} m=${m}`);
    // the exact recursion itself: its first steps are the same affine map, and it converges there
    const exact = gaussianMomentsExact(parseStrategy(`fresh:${p}`), { dim: 1, samples: m, estimator: 'mle' }, 3);
    assert.ok(exact);
    const step = (vv: typeof v, MM: typeof M) => {
      const Mn = fraction(p).mul(fraction(p)).add(a.mul(vv)).div(m).add(a.mul(MM));
      return { v: fraction(p).add(q.mul(vv.add(MM))).sub(Mn), M: Mn };
    };
    const second = step(exact.traceRatio[0], exact.meanError[0]);
    assert.equal(second.M.toFraction(), exact.meanError[1].toFraction());
    assert.equal(second.v.toFraction(), exact.traceRatio[1].toFraction());
    const long = gaussianMomentsNumeric(parseStrategy(`fresh:${p}`), { dim: 1, samples: m, estimator: 'mle' }, 200);
    assert.ok(long && Math.abs(long.meanError[199] - Number(M.valueOf())) < 1e-12 && Math.abs(long.traceRatio[199] - Number(v.valueOf())) < 1e-12);
  }
});
