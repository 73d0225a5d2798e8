/**
 * The finite-sample bands behind verify's least-squares checks (proofs P12): the special functions they use against
 * exact values, the Laurent–Massart lower tail against the exact χ² distribution, and the trace band calibrated by
 * simulating the statistic itself (its exceedance frequency must stay at or below the δ it is built for).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldIn, rootKey } from '../../src/core/rng.js';
import { STREAM } from '../../src/core/streams.js';
import { drawReducedDesign } from '../../src/models/linear/design.js';
import { inverseWishartTraceMoments } from '../../src/theory/linear-fixed-design.js';
import { chiSquareSumBand, logChiSquareLowerTail, logGamma, logMomentMeanBand, traceMeanBand } from '../../src/verify/bounds.js';
import { replaceDetRatio, replaceDetRatioLogMoment, replaceLogDetRatio } from '../../src/theory/gaussian.js';
import { fractionToNumber } from '../../src/core/fraction.js';

test('logGamma and the χ² lower tail match exact values', () => {
  for (const [x, exact] of [[1, 0], [2, 0], [5, Math.log(24)], [0.5, Math.log(Math.sqrt(Math.PI))], [10.5, 13.940625219403763]]) {
    assert.ok(Math.abs(logGamma(x) - exact) < 1e-13 * Math.max(1, Math.abs(exact)), `lnΓ(${x}) = ${logGamma(x)}`);
  }
  // χ²_2 is exponential with mean 2: P(χ²_2 ≤ y) = 1 − e^{−y/2}; χ²_4: 1 − e^{−y/2}(1 + y/2)
  for (const y of [1e-6, 0.1, 1, 3]) {
    const p2 = -Math.expm1(-y / 2);
    const p4 = 1 - Math.exp(-y / 2) * (1 + y / 2);
    assert.ok(Math.abs(Math.exp(logChiSquareLowerTail(2, y)) / p2 - 1) < 1e-12, `χ²_2 at ${y}`);
    if (y >= 0.1) assert.ok(Math.abs(Math.exp(logChiSquareLowerTail(4, y)) / p4 - 1) < 1e-12, `χ²_4 at ${y}`); // p4 cancels below
  }
});

test('P12: the Laurent–Massart lower band holds against the exact χ²_k tail: P(χ²_k − k ≤ −2√(kx)) ≤ e^{−x}', () => {
  for (const k of [5, 20, 91, 400]) {
    for (const x of [1, 5, 15, 25]) {
      const y = k - 2 * Math.sqrt(k * x);
      if (y <= 0) continue;
      assert.ok(logChiSquareLowerTail(k, y) <= -x, `k=${k}, x=${x}: ln P = ${logChiSquareLowerTail(k, y)}`);
      // the same through chiSquareSumBand with unit weights (‖a‖ = √k) at δ = 2e^{−x}
      assert.ok(Math.abs(chiSquareSumBand(Math.sqrt(k), 1, 2 * Math.exp(-x)).below - 2 * Math.sqrt(k * x)) < 1e-9 * k);
    }
  }
});

test('P6: the inverse-Wishart second moments reduce to 1/χ²_T at d = 1 and are refused where infinite', () => {
  const T = 12;
  const m = inverseWishartTraceMoments(1, T);
  assert.equal(m.mean, 1 / (T - 2)); // E 1/χ²_T
  assert.ok(Math.abs(m.meanSquare - 1 / ((T - 2) * (T - 4))) < 1e-17); // E 1/(χ²_T)²
  assert.ok(Math.abs(m.variance - (1 / ((T - 2) * (T - 4)) - 1 / (T - 2) ** 2)) < 1e-17);
  assert.throws(() => inverseWishartTraceMoments(5, 8), /infinite/);
});

test('P12: traceMeanBand calibrated by simulation — exceeded in at most its δ of 2000 runs (d = 3, T = 10, heavy-tailed)', () => {
  // 2000 independent means of 20 traces each; the band is built for δ = 0.05, so a valid band is exceeded in
  // Binomial(2000, p ≤ 0.05) runs, and P(Binomial(2000, 0.05) > 160) < 1e-7 (Chernoff: exp(−2000·KL(0.08‖0.05)))
  const d = 3;
  const T = 10;
  const trials = 20;
  const runs = 2000;
  const band = traceMeanBand(d, T, trials, 0.05);
  const { mean } = inverseWishartTraceMoments(d, T);
  const design = drawReducedDesign(foldIn(rootKey(77), STREAM.wishart), 0, trials * runs, T, d);
  let exceeded = 0;
  for (let r = 0; r < runs; r++) {
    let sum = 0;
    for (let i = 0; i < trials; i++) sum += design.traceGramInverse[r * trials + i];
    const deviation = sum / trials - mean;
    if (deviation <= -band.below || deviation >= band.above) exceeded++;
  }
  assert.ok(exceeded <= 160, `${exceeded} of ${runs} runs outside the band`);
  // and the band is a band, not everything: it is within 50 standard errors on either side
  const se = Math.sqrt(inverseWishartTraceMoments(d, T).variance / trials);
  assert.ok(band.below < 50 * se && band.above < 50 * se, `below ${band.below / se} se, above ${band.above / se} se`);
});

test('G2: the det ratio\'s exact moments: p = 1 is E det Σ̂_k/det Σ₀, the slope at 0 is E log det, and the Chernoff band is ~6.5 se at δ = 1e-9', () => {
  for (const [d, m, k] of [[1, 10, 3], [3, 50, 20], [2, 12, 4]] as const) {
    const moment = (p: number) => replaceDetRatioLogMoment(d, m, k, 'mle', p);
    assert.ok(Math.abs(Math.exp(moment(1)) / fractionToNumber(replaceDetRatio(d, m, k, 'mle')) - 1) < 1e-12);
    const h = 1e-5;
    const slope = (moment(h) - moment(-h)) / (2 * h);
    const mean = replaceLogDetRatio(d, m, k, 'mle');
    assert.ok(Math.abs(slope - mean) < 1e-6 * Math.abs(mean), `${slope} vs ${mean}`);
    const variance = (moment(h) - 2 * moment(0) + moment(-h)) / (h * h);
    const band = logMomentMeanBand(moment, mean, -(m - d) / 2, 5000, 1e-9);
    const se = Math.sqrt(variance / 5000);
    // a valid Chernoff band cannot be narrower than the normal quantile (6.11 at 1e-9/2) and should not be far wider
    assert.ok(band.below / se > 6.0 && band.below / se < 7.5 && band.above / se > 6.0 && band.above / se < 7.5, `${band.below / se}, ${band.above / se}`);
  }
});
