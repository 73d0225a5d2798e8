/**
 * proofs/gaussian.md#G9: the collapse profile of Gaussian runs, decided from exact theory only (no Monte Carlo here:
 * runGaussian with 2 trials gives the profile, which depends on the configuration alone).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLLAPSE_DEFINITIONS } from '../../../src/models/collapse-profile.js';
import { runGaussian, type GaussianConfig } from '../../../src/experiments/gaussian.js';

const base: GaussianConfig = { model: 'gaussian', strategy: 'replace', dim: 1, samples: 10, estimator: 'mle', variance: 'fitted', iterations: 6, trials: 2, seed: 0 };
const profile = async (change: Partial<GaussianConfig>) => (await runGaussian({ ...base, ...change })).profile;

test('G9: replace collapses the variance (both estimators), a known variance does not; risk from exact E W2²', async () => {
  const replace = await profile({});
  assert.deepEqual(Object.keys(replace), [...COLLAPSE_DEFINITIONS]);
  assert.equal(replace.collapsingVariance.holds, true);
  assert.equal((await profile({ estimator: 'unbiased' })).collapsingVariance.holds, true, 'G4: almost surely, although E σ̂² = σ²');
  assert.equal(replace.anyRiskIncrease.holds, true);
  assert.equal(replace.anyRiskIncrease.basis, 'theory');
  const known = await profile({ strategy: 'accumulate', variance: 'known' });
  assert.equal(known.collapsingVariance.holds, false);
  assert.equal(known.anyRiskIncrease.holds, true, 'E W2² = M_n grows under accumulate with a known variance (G5, G8)');
  const accumulate = await profile({ strategy: 'accumulate' });
  assert.equal(accumulate.collapsingVariance.holds, null);
  assert.equal(accumulate.anyRiskIncrease.holds, null, 'no exact E W2² with a fitted variance off single-set chains');
  for (const name of ['catastrophicRiskIncrease', 'scalingLawChange', 'modeEntanglement', 'tailDisappearance', 'hallucinatedData'] as const) {
    assert.equal(replace[name].measurable, false, name);
  }
  const kde = (await runGaussian({ ...base, model: 'kde', estimator: 'mle', variance: 'fitted', bandwidth: 0.5, testSamples: 5 })).profile;
  assert.equal(kde.collapsingVariance.holds, null);
});
