/**
 * proofs/curation.md V1–V7: the closed forms of src/theory/curation.ts (exact checks, rationals where the identity is
 * rational) and the Monte Carlo beside them, every statistical check sized by a finite-sample band (median of means
 * from an exact variance, V4; empirical Bernstein for bounded values) at a false-failure rate below 1e-7 each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, type Fraction } from '../../src/core/fraction.js';
import { foldIn, KeyedGenerator, rootKey } from '../../src/core/rng.js';
import { STREAM } from '../../src/core/streams.js';
import { erfc } from '../../src/core/stats.js';
import { runTrials, runTrajectory } from '../../src/loop/generation-loop.js';
import { admittedOutcomes } from '../../src/models/categorical/curation.js';
import { categoricalFamily } from '../../src/models/categorical/family.js';
import { realDistribution } from '../../src/experiments/categorical.js';
import { gaussianFamily } from '../../src/models/gaussian/family.js';
import { linearFamily } from '../../src/models/linear/family.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { FLOAT, RATIONAL } from '../../src/theory/categorical.js';
import {
  curatedGaussianReplace,
  curatedTraceSecondMoment,
  curationFactor,
  projectingConditional,
  projectingError,
  projectingLimit,
  regularizedGammaP,
  thresholdGapApproximation,
  truncatedFourthMoment,
  truncatedMean,
  truncatedVarianceFactor,
} from '../../src/theory/curation.js';
import { empiricalBernsteinBand } from '../../src/experiments/verify-bernstein.js';
import { medianOfMeans, medianOfMeansBand } from '../../src/experiments/verify-curation.js';

const DELTA = 1e-7; // per statistical check
const Phi = (z: number) => 0.5 * erfc(-z / Math.SQRT2);
const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

/** Composite Simpson of f on [a, b] with n (even) panels: an independent check of the closed forms. */
function simpson(f: (x: number) => number, a: number, b: number, n = 20000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

test('V1: P(1, x) = 1 − e^−x, P(1/2, c²/2) = 2Φ(c) − 1, and ρ₁, ρ₃ and the fourth moment against quadrature', () => {
  for (const x of [0.01, 0.5, 2, 10, 40]) assert.ok(Math.abs(regularizedGammaP(1, x) - (1 - Math.exp(-x))) < 1e-14, `P(1, ${x})`);
  for (const c of [0.3, 1, 1.645, 3]) {
    assert.ok(Math.abs(regularizedGammaP(0.5, (c * c) / 2) - (2 * Phi(c) - 1)) < 1e-13, `P(1/2) at c = ${c}`);
    const closed = 1 - (2 * c * phi(c)) / (2 * Phi(c) - 1);
    assert.ok(Math.abs(truncatedVarianceFactor(1, (c * c) / 2) - closed) < 1e-12, `ρ₁(${c}): ${truncatedVarianceFactor(1, (c * c) / 2)} vs ${closed}`);
    const mass = simpson(phi, -c, c);
    const mu4 = simpson((z) => z ** 4 * phi(z), -c, c) / mass;
    assert.ok(Math.abs(truncatedFourthMoment((c * c) / 2) - mu4) < 1e-10, `μ₄(${c})`);
  }
  // d = 3: E[r² | r² ≤ 2x]/3 with the χ₃ radius density r²φ₃ ∝ r² e^{−r²/2}
  for (const x of [0.2, 1.5, 6]) {
    const c = Math.sqrt(2 * x);
    const num = simpson((r) => r ** 4 * Math.exp(-0.5 * r * r), 0, c);
    const den = simpson((r) => r ** 2 * Math.exp(-0.5 * r * r), 0, c);
    assert.ok(Math.abs(truncatedVarianceFactor(3, x) - num / den / 3) < 1e-10, `ρ₃(${x})`);
  }
  assert.ok(Math.abs(truncatedVarianceFactor(2, 1e-6) / (2e-6 / 4) - 1) < 1e-5, 'ρ_d(x) ~ 2x/(d + 2) as x → 0');
  assert.equal(truncatedVarianceFactor(4, 800), 1);
});

test('V2: the top:q factor κ = E ρ_d(X) against order statistics of exact radii (empirical Bernstein, values in [0, 1])', () => {
  // d = 2: r²/2 ~ Exp(1); the (m+1)-th smallest of M exponentials is Σ_{i ≤ m+1} E_i/(M − i + 1) (Rényi)
  const m = 20;
  const M = 40;
  const kappa = curationFactor(2, m, { kind: 'top', q: 0.5 }, M);
  const g = new KeyedGenerator(rootKey(11));
  const n = 40000;
  let sum = 0;
  let sumSq = 0;
  for (let t = 0; t < n; t++) {
    let x = 0;
    for (let i = 1; i <= m + 1; i++) x -= Math.log(g.uniform()) / (M - i + 1);
    const rho = truncatedVarianceFactor(2, x);
    sum += rho;
    sumSq += rho * rho;
  }
  const mean = sum / n;
  const stderr = Math.sqrt((sumSq / n - mean * mean) / (n - 1));
  const band = empiricalBernsteinBand(stderr, n, 1, DELTA);
  assert.ok(Math.abs(mean - kappa) < band, `κ = ${kappa}, Monte Carlo ${mean} ± ${band}`);
  assert.equal(curationFactor(2, m, { kind: 'top', q: 1 }, m), 1, 'top:1 keeps everything');
  assert.equal(curationFactor(1, m, { kind: 'threshold', tau: -0.5 }, m), truncatedVarianceFactor(1, 0.5));
});

test('V3: κ = 1 is the uncurated replace law; a known variance refits only the mean', () => {
  const plain = curatedGaussianReplace({ dim: 2, samples: 10, estimator: 'mle', knownVariance: false }, 1, 3);
  assert.deepEqual(plain.traceRatio.map((x) => x.toFixed(12)), [0.9, 0.81, 0.729].map((x) => x.toFixed(12)));
  const known = curatedGaussianReplace({ dim: 2, samples: 10, estimator: 'mle', knownVariance: true }, 0.5, 3);
  assert.deepEqual(known.traceRatio, [1, 1, 1]);
  assert.deepEqual(known.meanError.map((x) => x.toFixed(12)), [0.2, 0.3, 0.4].map((x) => x.toFixed(12)));
});

/** The curated 1-D Gaussian chain, per-trial values of `metric`, through the loop. */
async function curatedChain(curate: string, knownVariance: boolean, trials: number, iterations: number, metric: string) {
  const family = gaussianFamily({ dim: 1, estimator: 'mle', knownVariance });
  const [kind, value] = curate.split(':');
  const rule = kind === 'top' ? { kind: 'top' as const, q: Number(value) } : { kind: 'threshold' as const, tau: Number(value) };
  const loop = { strategy: parseStrategy('replace'), iterations, samples: 50, testSamples: 0, curation: { rule, verifier: 'likelihood' } };
  const summary = await runTrials(() => family, loop, trials, rootKey(3), { keep: [metric] });
  return { rule, values: summary.values.get(metric) as Float64Array[] };
}

test('V3, V4: the curated trace ratio, Monte Carlo through the loop, within the median-of-means band of its exact variance', async () => {
  for (const curate of ['threshold:-1', 'top:0.5']) {
    const { rule, values } = await curatedChain(curate, false, 6000, 4, 'traceRatio');
    const kappa = curationFactor(1, 50, rule, rule.kind === 'top' ? 100 : 50);
    const mean = curatedGaussianReplace({ dim: 1, samples: 50, estimator: 'mle', knownVariance: false }, kappa, 4).traceRatio;
    const second = curatedTraceSecondMoment(50, 'mle', rule, rule.kind === 'top' ? 100 : 50, 4);
    for (let n = 0; n < 4; n++) {
      const { groups, band } = medianOfMeansBand(second[n] - mean[n] ** 2, 6000, DELTA);
      const got = medianOfMeans(values[n], groups);
      assert.ok(Math.abs(got - mean[n]) < band, `${curate} n=${n + 1}: ${got} vs ${mean[n]} ± ${band}`);
    }
    // the band is tight enough to tell curation from none: the uncurated ratio at n = 4 lies outside it
    const { band } = medianOfMeansBand(second[3] - mean[3] ** 2, 6000, DELTA);
    assert.ok(Math.abs((49 / 50) ** 4 - mean[3]) > band, 'the band must separate κ from 1');
  }
});

test('V4: the known-variance mean error (a sum of independent terms) within its exact median-of-means band', async () => {
  const tau = -1;
  const { values } = await curatedChain(`threshold:${tau}`, true, 6000, 4, 'meanError');
  const m = 50;
  const mu2 = truncatedVarianceFactor(1, -tau);
  const mu4 = truncatedFourthMoment(-tau);
  const mean = curatedGaussianReplace({ dim: 1, samples: m, estimator: 'mle', knownVariance: true }, mu2, 4).meanError;
  // terms t_1 ~ N(0, 1/m), t_j the mean of m truncated normals: E t² and E t⁴ exactly
  const second = [1 / m, ...new Array(3).fill(mu2 / m)];
  const fourth = [3 / (m * m), ...new Array(3).fill((mu4 + 3 * (m - 1) * mu2 * mu2) / m ** 3)];
  for (let n = 0; n < 4; n++) {
    let e4 = 0;
    for (let i = 0; i <= n; i++) {
      e4 += fourth[i];
      for (let j = 0; j < i; j++) e4 += 6 * second[i] * second[j];
    }
    const { groups, band } = medianOfMeansBand(e4 - mean[n] ** 2, 6000, DELTA);
    const got = medianOfMeans(values[n], groups);
    assert.ok(Math.abs(got - mean[n]) < band, `n=${n + 1}: ${got} vs ${mean[n]} ± ${band}`);
  }
});

const Q = (x: Fraction) => RATIONAL.of(x);

test('V5: the projecting verifier in exact rationals (d = 2, T = 10, σ² = 1, b² = 1, λ = 1/2, k = 2)', () => {
  const setting = { dim: 2, samples: 10, sigma2: Q(fraction(1)), bias2: Q(fraction(1)), strength: Q(fraction(1, 2)), rank: 2 };
  const errors = projectingError(setting, 3, RATIONAL).map(String);
  assert.deepEqual(errors.slice(0, 2), ['0.(285714)', '0.39(285714)']); // 2/7, 11/28
  assert.equal(projectingError(setting, 3, RATIONAL)[1].toFraction(), '11/28');
  // limit b² + σ²d/(T − d − 1)·r/(1 − r), r = 1/4: 1 + (2/7)(1/3) = 23/21
  assert.equal((projectingLimit(setting, RATIONAL) as Fraction).toFraction(), '23/21');
  // λ = 1, k = d: the verifier's own model from n = 2 on
  const full = projectingError({ ...setting, strength: Q(fraction(1)) }, 4, RATIONAL);
  assert.deepEqual(full.slice(1).map((x) => x.toFraction()), ['1', '1', '1']);
  // k < d: no limit; λ → 0 is replace, nσ²d/(T − d − 1)
  assert.equal(projectingLimit({ ...setting, rank: 1 }, RATIONAL), null);
  const none = projectingError({ ...setting, strength: Q(fraction(0)), bias2: Q(fraction(0)) }, 3, RATIONAL);
  assert.deepEqual(none.map((x) => x.toFraction()), ['2/7', '4/7', '6/7']);
});

test('V5: the conditional moments with Q = qI agree with the unconditional formula; MC given one design within the median-of-means band', async () => {
  const setting = { dim: 3, samples: 20, sigma2: 1, bias2: 0.25, strength: 0.6, rank: 2 };
  const q = 1 / (20 - 3 - 1);
  const iso = projectingConditional(Float64Array.from([q, 0, 0, 0, q, 0, 0, 0, q]), Float64Array.from({ length: 3 }, () => 0.5 / Math.sqrt(3)), setting, 5);
  const unconditional = projectingError(setting, 5, FLOAT);
  iso.mean.forEach((x, n) => assert.ok(Math.abs(x - unconditional[n]) < 1e-12, `n=${n + 1}`));
  // one design: X and w* from a fixed key, as linearFamily draws them; the noise differs per trial
  const designKey = rootKey(99);
  const g = new KeyedGenerator(foldIn(designKey, STREAM.design));
  const { dim: d, samples: T } = setting;
  const X = Float64Array.from({ length: T * d }, () => g.normal());
  const gram = new Float64Array(d * d);
  for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) gram[j * d + k] += X[t * d + j] * X[t * d + k];
  const inverse = invert3(gram);
  const exact = projectingConditional(inverse, Float64Array.from({ length: d }, () => 0.5 / Math.sqrt(d)), setting, 5);
  const options = { dim: d, samples: T, noise: 1, verifier: { bias: 0.5, project: { strength: 0.6, rank: 2 } } };
  const trials = 8000;
  const summary = await runTrials(() => linearFamily(options, designKey), { strategy: parseStrategy('replace'), iterations: 5, samples: T, testSamples: 0 }, trials, rootKey(5), { keep: ['error'] });
  const values = summary.values.get('error') as Float64Array[];
  for (let n = 0; n < 5; n++) {
    const { groups, band } = medianOfMeansBand(exact.variance[n], trials, DELTA);
    const got = medianOfMeans(values[n], groups);
    assert.ok(Math.abs(got - exact.mean[n]) < band, `n=${n + 1}: ${got} vs ${exact.mean[n]} ± ${band}`);
  }
});

function invert3(a: Float64Array): Float64Array {
  const [p, q, r, s, t, u, v, w, x] = a;
  const det = p * (t * x - u * w) - q * (s * x - u * v) + r * (s * w - t * v);
  return Float64Array.from([t * x - u * w, r * w - q * x, q * u - r * t, u * v - s * x, p * x - r * v, r * s - p * u, s * w - t * v, q * v - p * w, p * t - q * s], (c) => c / det);
}

test('V6: the truncated mean h is odd, increasing with slope in (0, 1), h′(0) = ρ₁; the linearised gap is marked and positive', () => {
  for (const u of [0.1, 0.7, 2, 6]) assert.ok(Math.abs(truncatedMean(u, 1, 0.8) + truncatedMean(-u, 1, 0.8)) < 1e-12, `odd at ${u}`);
  for (let u = -5; u < 5; u += 0.25) {
    const slope = (truncatedMean(u + 1e-5, 1, 0.8) - truncatedMean(u - 1e-5, 1, 0.8)) / 2e-5;
    assert.ok(slope > 0 && slope < 1, `h′(${u}) = ${slope}`);
  }
  const slope0 = (truncatedMean(1e-5, 1.3, 0.9) - truncatedMean(-1e-5, 1.3, 0.9)) / 2e-5;
  assert.ok(Math.abs(slope0 - truncatedVarianceFactor(1, 0.81 / (2 * 1.69))) < 1e-8, 'h′(0) = ρ₁(τ²/2σ²)');
  assert.ok(thresholdGapApproximation(5, 50, 1, 0.8) > 0);
});

test('V6: the residual verifier drives E ŵ_n to w_v: the drift at n = 20 within an empirical Bernstein band of 0 (one design)', async () => {
  const designKey = rootKey(41);
  const d = 3;
  const T = 20;
  const tau = 1;
  const options = { dim: d, samples: T, noise: 1, verifier: { bias: 0.5 } };
  const trials = 2000;
  const loop = { strategy: parseStrategy('replace'), iterations: 20, samples: T, testSamples: 0, curation: { rule: { kind: 'threshold' as const, tau: -tau }, verifier: 'residual' } };
  const summary = await runTrials(() => linearFamily(options, designKey), loop, trials, rootKey(8), { keep: ['drift'] });
  const drift = (summary.values.get('drift') as Float64Array[])[19];
  // |drift| = |uᵀG(y' − Xw_v)| ≤ τ‖Gᵀu‖₁ ≤ τ√(T·uᵀQu) ≤ τ√(T·λ_max(Q)); a crude λ_max ≤ tr Q bounds the range
  const g = new KeyedGenerator(foldIn(designKey, STREAM.design));
  const X = Float64Array.from({ length: T * d }, () => g.normal());
  const gram = new Float64Array(d * d);
  for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) gram[j * d + k] += X[t * d + j] * X[t * d + k];
  const inverse = invert3(gram);
  const range = 2 * tau * Math.sqrt(T * (inverse[0] + inverse[4] + inverse[8]));
  let sum = 0;
  let sumSq = 0;
  for (const x of drift) {
    assert.ok(Math.abs(x) <= range / 2, 'the drift lies in its proven range');
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / trials;
  const stderr = Math.sqrt((sumSq / trials - mean * mean) / (trials - 1));
  const band = empiricalBernsteinBand(stderr, trials, range, DELTA);
  assert.ok(Math.abs(mean) < band, `E drift_20 = ${mean} ± ${band} (it starts at −b = −0.5)`);
  assert.ok(band < 0.1, `the band ${band} separates the limit 0 from w*'s drift −0.5`);
});

test('V7: a token the probability verifier rejects never returns; E surviving₂ ≤ the exact admitted count', async () => {
  const real = realDistribution({ categories: 50, zipf: 1, counts: null });
  const family = categoricalFamily(real);
  const tau = 0.025; // m = 100: keep counts ≥ 3 (τm = 2.5 is not an integer)
  const loop = { strategy: parseStrategy('replace'), iterations: 6, samples: 100, testSamples: 0, curation: { rule: { kind: 'threshold' as const, tau }, verifier: 'probability' } };
  for (let t = 0; t < 20; t++) {
    const models: { outcomes: Uint32Array; p: Float64Array }[] = [];
    await runTrajectory(family, loop, foldIn(rootKey(2), t), undefined, { onModel: (model) => void models.push(model) });
    for (let n = 1; n < models.length; n++) {
      const admitted = new Set(Array.from(models[n - 1].outcomes).filter((_, j) => models[n - 1].p[j] >= tau));
      for (const i of models[n].outcomes) assert.ok(admitted.has(i), `trial ${t}: outcome ${i} of model ${n + 1} was rejected by model ${n}'s verifier`);
    }
  }
  const bound = admittedOutcomes(real, 100, tau);
  // exact check of the bound on a tiny case: π = (1/2, 1/2), m = 2, τ = 0.6: P(Bin(2, 1/2) ≥ 2) = 1/4 each
  assert.ok(Math.abs(admittedOutcomes({ ...real, probabilities: Float64Array.from([0.5, 0.5]) }, 2, 0.6) - 0.5) < 1e-15);
  const trials = 3000;
  const summary = await runTrials(() => family, loop, trials, rootKey(6), { keep: ['surviving'] });
  const surviving = (summary.values.get('surviving') as Float64Array[])[1];
  let sum = 0;
  let sumSq = 0;
  for (const x of surviving) {
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / trials;
  const stderr = Math.sqrt((sumSq / trials - mean * mean) / (trials - 1));
  assert.ok(mean <= bound + empiricalBernsteinBand(stderr, trials, 49, DELTA), `E surviving₂ = ${mean} > ${bound}`);
});
