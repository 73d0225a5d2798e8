/**
 * verify's verdicts: least-squares cases judged by their finite-sample bands (proofs P12), which catch a misstated
 * noise level; the false-failure claim split into its proven and its normal-approximation parts; the skewed detRatio
 * left unjudged. Fixed seeds; the band checks carry their own false-failure bound (each ≤ δ, here 1e-7).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLinear, type LinearConfig, type LinearReport } from '../../src/experiments/linear.js';
import { runGaussian } from '../../src/experiments/gaussian.js';
import { GAUSSIAN_METRICS } from '../../src/theory/gaussian.js';
import { judge, judgeGaussian, linearBands, runVerify, UNJUDGED_METRICS, type VerifyCase } from '../../src/experiments/verify.js';
import { claimText } from '../../src/cli/verify.js';
import { sharedBackend } from '../helpers/backend.js';

const backend = sharedBackend();
const DELTA = 1e-7;
const config: LinearConfig = { strategy: 'replace', dim: 10, samples: 100, noise: 1, iterations: 4, trials: 20000, seed: 9, method: 'reduced', backend: 'auto' };

/** The report of a run whose noise was really σ² = `actual` while theory and residuals assume config.noise = 1. */
function misstated(report: LinearReport, actual: number): LinearReport {
  const inputs = report.bandInputs!;
  const N = inputs.trials;
  const traceSum = report.traceGramInverse!.mean * N;
  const perTrace = config.dim / (config.samples - config.dim - 1);
  return {
    ...report,
    iterations: report.iterations.map((row) => ({ ...row, theory: (row.theory as number) / actual })),
    // R' = error − c'·t with c' = c/actual: Σ R' = Σ R + (c − c')·Σ t
    bandInputs: {
      ...inputs,
      gramInverseSquares: inputs.gramInverseSquares,
      residualSums: inputs.residualSums.map((sum, n) => {
        const c = (report.iterations[n].theory as number) / perTrace;
        return sum + (c - c / actual) * traceSum;
      }),
    },
  };
}

test('P12: a correct least-squares run lies inside its bands; a noise misstated by 10% falls outside them', async () => {
  const report = await runLinear(config, { backend: backend() });
  const bands = linearBands(report, DELTA)!;
  assert.equal(bands.length, config.iterations);
  const ok = judge('replace reduced', report, 6, DELTA);
  assert.ok(ok.pass, ok.failures.join('; '));
  assert.ok(ok.worstBandRatio < 1 && ok.worstBandRatio > 0);
  const bad = judge('replace reduced, σ² 10% high', misstated(report, 1.1), 6, DELTA);
  assert.equal(bad.pass, false);
  assert.ok(bad.failures.some((f) => f.includes('conditional residual')), bad.failures.join('; '));
  assert.ok(bad.failures.some((f) => f.includes('mean − theory')), bad.failures.join('; '));
});

test('P12: verify states its claim in two parts — proven events (least squares, Gaussian logDetRatio) and normal-approximation checks', async () => {
  const cases: VerifyCase[] = [
    { kind: 'linear', name: 'replace reduced', config: { strategy: 'replace', method: 'reduced', dim: 10, samples: 100, noise: 1, iterations: 3 } },
    { kind: 'linear', name: 'replace reduced ridge', config: { strategy: 'replace', method: 'reduced', dim: 10, samples: 100, noise: 1, iterations: 3, ridge: 5 } },
    { kind: 'gaussian', name: 'gaussian replace', config: { model: 'gaussian', strategy: 'replace', dim: 1, samples: 50, estimator: 'mle', variance: 'fitted', iterations: 2 } },
  ];
  const report = await runVerify({ trials: { full: 200, reduced: 2000 }, seed: 1, backend: backend(), cases });
  assert.ok(report.pass, JSON.stringify(report.cases.map((c) => c.failures)));
  // least squares: one event per iteration plus one for the case's trace; ridge: its z|X per iteration; Gaussian: the
  // mean and every metric but detRatio per iteration
  // least squares: 3 iterations + 1 trace event; ridge: 3 iterations; Gaussian replace: logDetRatio at both (Chernoff)
  assert.equal(report.claim.proven.checks, 3 + 1 + 3 + 2);
  assert.equal(report.claim.normalApproximation.checks, (1 + GAUSSIAN_METRICS.length - UNJUDGED_METRICS.size) * 2 - 2);
  assert.equal(report.checks, report.claim.proven.checks + report.claim.normalApproximation.checks);
  assert.ok(Math.abs(report.claim.proven.falseFailure + report.claim.normalApproximation.falseFailure - 1e-6) < 1e-15);
  const text = claimText(report);
  assert.match(text, /proven, 9 events: ≤ 3\.9e-7 for any number of trials/);
  assert.match(text, /normal approximation, 14 checks at \|z\| < \d\.\d\d: ≈ 6\.1e-7, not proven/);
  assert.doesNotMatch(text, /not proven — ridge/); // ridge z|X is in the proven part
  assert.ok(report.cases[1].worstBandRatio < 1 && report.cases[0].worstBandRatio < 1);
});

test('P12: ridge z|X is judged by its band given X and w*; a noise misstated by 10% falls outside it', async () => {
  const report = await runLinear({ ...config, ridge: 5 }, { backend: backend() });
  const ok = judge('ridge', report, 6, DELTA);
  assert.ok(ok.pass && ok.worstBandRatio < 1 && report.bandInputs?.ridgeSpread?.length === config.iterations, ok.failures.join('; '));
  // σ² 10% higher than assumed: the residual's mean moves by 10% of the noise part of E[error | X, w*]; emulate it by
  // the misstated run itself (σ² = 1.1), whose residual sums are taken against σ² = 1's expectations
  const bigger = await runLinear({ ...config, ridge: 5, noise: 1.1 }, { backend: backend() });
  const shift = bigger.iterations.map((row, n) => row.mean - report.iterations[n].mean); // same seed: the noise part scales
  const tampered = { ...report, bandInputs: { ...report.bandInputs!, residualSums: report.bandInputs!.residualSums.map((sum, n) => sum + shift[n] * config.trials) } };
  const bad = judge('ridge, σ² 10% high', tampered, 6, DELTA);
  assert.equal(bad.pass, false, `worst ${bad.worstBandRatio}`);
});

test('G2: detRatio (a product of χ² factors, far from normal) is not judged; logDetRatio is, by its exact Chernoff band', async () => {
  const report = await runGaussian({ model: 'gaussian', strategy: 'replace', dim: 3, samples: 20, estimator: 'mle', variance: 'fitted', iterations: 2, trials: 500, seed: 4 });
  const tamper = (metric: string) => ({
    ...report,
    iterations: report.iterations.map((row) => ({ ...row, metrics: { ...row.metrics, [metric]: { ...row.metrics[metric], z: -100 } } })),
  });
  assert.ok(judgeGaussian('clean', report, 6).pass);
  assert.ok(judgeGaussian('detRatio off', tamper('detRatio'), 6).pass, 'detRatio is reported, not judged');
  // logDetRatio is judged by its band, not its z: a tampered z changes nothing, a mean moved by 8 standard errors fails
  assert.ok(judgeGaussian('logDetRatio z off', tamper('logDetRatio'), 6, 1e-7).pass);
  const moved = {
    ...report,
    iterations: report.iterations.map((row) => ({ ...row, metrics: { ...row.metrics, logDetRatio: { ...row.metrics.logDetRatio, mean: row.metrics.logDetRatio.mean - 8 * row.metrics.logDetRatio.stderr } } })),
  };
  const verdict = judgeGaussian('logDetRatio moved', moved, 6, 1e-7);
  assert.equal(verdict.pass, false);
  assert.ok(verdict.failures.every((f) => f.includes('logDetRatio')), verdict.failures.join('; '));
  assert.ok(judgeGaussian('clean', report, 6, 1e-7).worstBandRatio < 1);
});
