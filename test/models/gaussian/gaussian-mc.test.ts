/**
 * Monte Carlo of recursive Gaussian fitting (the generation loop) against proofs/gaussian.md G1–G8: every metric
 * with a closed form, at every iteration, must lie within zStar(K) standard errors, K the number of such checks in this
 * file, so a correct implementation fails the file by chance with probability below 1e-6 (C6). The trial counts make
 * an effect that matters fail by many bands: a wrong divisor (m vs m − 1, ≥ 8% at m ≤ 12) is ≥ 13 standard errors of
 * the first variance ratio.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zStar } from '../../../src/core/stats.js';
import { runGaussian, validateGaussianConfig, type GaussianConfig } from '../../../src/models/gaussian/run.js';
import { parseStrategy } from '../../../src/strategies/index.js';
import { gaussianTheory, replaceVarianceRatio } from '../../../src/theory/gaussian.js';
import { fractionToNumber } from '../../../src/core/fraction.js';

interface Case {
  label: string;
  raw: Record<string, unknown>;
}

const CASES: Case[] = [
  { label: 'G1 G2 G3 G4 G8: replace, MLE, 1-D, m = 10', raw: { strategy: 'replace', samples: 10, iterations: 6, trials: 10_000, seed: 1 } },
  { label: 'G1 G3 G4: replace, unbiased, 1-D, m = 5 (E σ̂² = 1, E σ̂ = c4^k)', raw: { strategy: 'replace', samples: 5, estimator: 'unbiased', iterations: 6, trials: 10_000, seed: 2 } },
  { label: 'G2 G4 G6: replace, MLE, d = 3, m = 12', raw: { strategy: 'replace', dim: 3, samples: 12, iterations: 4, trials: 10_000, seed: 3 } },
  { label: 'G5 G8: accumulate, known variance, 1-D, m = 10', raw: { strategy: 'accumulate', samples: 10, variance: 'known', iterations: 8, trials: 10_000, seed: 4 } },
  { label: 'G6: accumulate, MLE, d = 2, m = 8', raw: { strategy: 'accumulate', dim: 2, samples: 8, iterations: 6, trials: 10_000, seed: 5 } },
  { label: 'G6: fresh:0.5, unbiased, 1-D, m = 6 (unequal weights as multiplicities)', raw: { strategy: 'fresh:0.5', samples: 6, estimator: 'unbiased', iterations: 5, trials: 10_000, seed: 6 } },
  { label: 'G6: weights:2^(i-n), MLE, 1-D, m = 8', raw: { strategy: 'weights:2^(i-n)', samples: 8, iterations: 5, trials: 10_000, seed: 7 } },
  { label: 'G6 G7: augment:1, MLE, 1-D, m = 8', raw: { strategy: 'augment:1', samples: 8, iterations: 5, trials: 10_000, seed: 8 } },
];

const configs = CASES.map((c) => validateGaussianConfig(c.raw));

/** Closed-form checks per case: every non-null theory entry of every metric (the main trace ratio included). */
function checks(config: GaussianConfig): number {
  const theory = gaussianTheory(parseStrategy(config.strategy), { dim: config.dim, samples: config.samples, estimator: config.estimator, knownVariance: config.variance === 'known' }, config.iterations);
  return Object.values(theory).reduce((sum, series) => sum + series.filter((x) => x !== null).length, 0);
}

const SUBSAMPLE_CHECKS = 1;
const COLLAPSE_CHECKS = 2;
const K = configs.reduce((sum, c) => sum + checks(c), 0) + SUBSAMPLE_CHECKS + COLLAPSE_CHECKS;
const Z = zStar(K);

CASES.forEach((c, index) => {
  test(`${c.label}: every closed form within zStar(${K}) = ${Z.toFixed(2)} standard errors`, async () => {
    const report = await runGaussian(configs[index]);
    let checked = 0;
    for (const row of report.iterations) {
      const rows = { traceRatio: { mean: row.mean, stderr: row.stderr, theory: row.theory, z: row.z }, ...row.metrics };
      for (const [name, metric] of Object.entries(rows)) {
        if (metric.theory === null) continue;
        checked++;
        assert.ok(metric.z !== null && Math.abs(metric.z) < Z, `n=${row.iteration} ${name}: mean ${metric.mean} ± ${metric.stderr}, theory ${metric.theory}, z ${metric.z}`);
      }
    }
    assert.equal(checked, checks(configs[index]), 'every closed form was checked');
  });
});

test('G4: unbiased replace, 1-D, m = 4: the median variance ratio collapses while the mean stays 1', async () => {
  const report = await runGaussian(validateGaussianConfig({ strategy: 'replace', samples: 4, estimator: 'unbiased', iterations: 12, trials: 10_000, seed: 11 }));
  const last = report.iterations[11];
  // the mean: theory 1 (checked), and the median: far below, by more than its band
  assert.ok(Math.abs(last.z as number) < Z, `mean ${last.mean} ± ${last.stderr}`);
  const median = last.metrics.medianVarianceRatio;
  assert.ok((1 - median.mean) / median.stderr > Z, `median ${median.mean} ± ${median.stderr} is not below 1`);
  assert.ok(median.ci95[0] <= median.mean && median.mean <= median.ci95[1]);
  assert.equal(median.theory, null);
});

test('accumulate-subsample: no theory anywhere; n = 1 is the fit on the real data, so it matches G1 at k = 1', async () => {
  const report = await runGaussian(validateGaussianConfig({ strategy: 'accumulate-subsample', samples: 10, iterations: 4, trials: 10_000, seed: 12 }));
  assert.equal(report.hasTheory, false);
  for (const row of report.iterations) {
    assert.equal(row.theory, null);
    assert.ok(Object.values(row.metrics).every((m) => m.theory === null && m.z === null));
  }
  const first = report.iterations[0];
  const expected = fractionToNumber(replaceVarianceRatio(10, 1));
  assert.ok(Math.abs((first.mean - expected) / first.stderr) < Z, `n=1: ${first.mean} vs ${expected}`);
});
