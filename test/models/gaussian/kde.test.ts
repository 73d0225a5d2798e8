/**
 * Kernel density estimation through the loop (Monte Carlo only, no closed form printed): its held-out likelihood on
 * a case computed by hand, its sampler against the moments of the weighted pool, and the collapse contrast of Kazdan
 * et al. 2024 (replace degrades the held-out likelihood, accumulate does not). K checks at |z| < zStar(K).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zStar } from '../../../src/core/stats.js';
import { kdeFamily, kdeMetrics, silvermanBandwidth } from '../../../src/models/gaussian/kde.js';
import { runGaussian, validateGaussianConfig } from '../../../src/experiments/gaussian.js';

// sampler: mean and variance; collapse contrast: one
const K = 3;
const Z = zStar(K);

test('kde: held-out NLL of a one-point KDE is ½ln(2πh²) + t²/(2h²), by hand; weights enter as mixture weights', () => {
  const h = 0.5;
  const one = { x: Float64Array.of(0), weights: Float64Array.of(1), rows: 1 };
  const test1 = { rows: 2, dim: 1, x: Float64Array.of(1, -2) };
  const expected = 0.5 * Math.log(2 * Math.PI * h * h) + (1 + 4) / 2 / (2 * h * h);
  assert.ok(Math.abs(kdeMetrics(one, test1, 1, h).heldOutNll - expected) < 1e-12);
  const two = { x: Float64Array.of(0, 3), weights: Float64Array.of(0.25, 0.75), rows: 2 };
  const t = { rows: 1, dim: 1, x: Float64Array.of(1) };
  const density = (0.25 * Math.exp(-1 / (2 * h * h)) + 0.75 * Math.exp(-4 / (2 * h * h))) / Math.sqrt(2 * Math.PI * h * h);
  assert.ok(Math.abs(kdeMetrics(two, t, 1, h).heldOutNll + Math.log(density)) < 1e-12);
  const metrics = kdeMetrics(two, t, 1, h);
  assert.ok(Math.abs(metrics.traceRatio - (0.25 * 0.75 * 9 + h * h)) < 1e-12, 'variance of the mixture');
  assert.ok(Math.abs(silvermanBandwidth(1, 100) - (4 / 300) ** 0.2) < 1e-15);
});

test(`kde: a sample has the pool's weighted mean and variance + h² (|z| < ${Z.toFixed(2)})`, async () => {
  const h = 0.3;
  const family = kdeFamily({ dim: 1, bandwidth: h });
  const a = { rows: 2, dim: 1, x: Float64Array.of(-1, 1) };
  const b = { rows: 2, dim: 1, x: Float64Array.of(4, 6) };
  const model = await family.fit([{ data: a, weight: 0.75, set: 1 }, { data: b, weight: 0.25, set: 2 }], 0);
  const mean = 0.75 * 0 + 0.25 * 5;
  const variance = 0.75 * 1 + 0.25 * 26 - mean * mean + h * h;
  const n = 200_000;
  const draws = (await family.sample(model, n, 77)).x;
  let s = 0;
  let s2 = 0;
  for (const x of draws) {
    s += x;
    s2 += (x - mean) ** 2;
  }
  const zMean = (s / n - mean) / Math.sqrt(variance / n);
  // Var((x − μ)²) = μ4 − σ⁴; μ4 of the mixture computed exactly from its components
  const fourth = [[-1, 0.375], [1, 0.375], [4, 0.125], [6, 0.125]].reduce((acc, [c, w]) => {
    const d = c - mean;
    return acc + w * (d ** 4 + 6 * d * d * h * h + 3 * h ** 4);
  }, 0);
  const zVar = (s2 / n - variance) / Math.sqrt((fourth - variance * variance) / n);
  assert.ok(Math.abs(zMean) < Z, `mean ${s / n} vs ${mean}, z ${zMean}`);
  assert.ok(Math.abs(zVar) < Z, `variance ${s2 / n} vs ${variance}, z ${zVar}`);
});

test('kde (Kazdan et al. 2024): after 10 fits, replace has a worse held-out likelihood than accumulate, by more than the band', async () => {
  const common = { model: 'kde', samples: 20, iterations: 10, trials: 200, 'test-samples': 100 };
  const replace = await runGaussian(validateGaussianConfig({ ...common, strategy: 'replace', seed: 31 }));
  const accumulate = await runGaussian(validateGaussianConfig({ ...common, strategy: 'accumulate', seed: 32 }));
  const r = replace.iterations[9].metrics.heldOutNll;
  const a = accumulate.iterations[9].metrics.heldOutNll;
  assert.equal(r.theory, null);
  const z = (r.mean - a.mean) / Math.hypot(r.stderr, a.stderr);
  assert.ok(z > Z, `replace NLL ${r.mean} ± ${r.stderr}, accumulate ${a.mean} ± ${a.stderr}, z ${z}`);
});
