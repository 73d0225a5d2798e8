/**
 * The curated verify cases (src/experiments/verify-curation.ts, proofs/curation.md V4): the median-of-means band's arithmetic,
 * the estimator itself, and the two built-in cases, which pass at a small trial count and give verdicts a resume
 * would accept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zStar } from '../../src/core/stats.js';
import { implausibleVerdict } from '../../src/experiments/verify-stored.js';
import { curationCases, medianOfMeans, medianOfMeansBand } from '../../src/experiments/verify-curation.js';
import { builtInCases } from '../../src/experiments/verify.js';

test('V4: k = ⌈8 ln(1/δ)⌉ groups and ε = 2√(Vk/n); the median of group means', () => {
  const { groups, band } = medianOfMeansBand(4, 10_000, 1e-7);
  assert.equal(groups, Math.ceil(8 * Math.log(1e7)));
  assert.ok(Math.abs(band - 2 * Math.sqrt((4 * groups) / 10_000)) < 1e-15);
  assert.equal(medianOfMeansBand(1, 10, 1e-9).groups, 10, 'never more groups than values');
  assert.equal(medianOfMeans([1, 2, 3, 100, 5, 6], 3), 5.5); // group means 1.5, 51.5, 5.5: the outlier only moves its own group
  assert.equal(medianOfMeans([1, 3, 5, 7], 2), 4);
});

test('V4: the curated Gaussian cases are in the built-in grid, pass, and their verdicts are plausible on resume', async () => {
  const names = builtInCases().map((c) => c.name).filter((name) => name.startsWith('gaussian curated'));
  assert.equal(names.length, 2);
  for (const c of curationCases()) {
    const verdict = await c.run(400, 2, zStar(100));
    assert.ok(verdict.pass, `${c.name}: ${verdict.failures.join('; ')}`);
    assert.ok(verdict.worstBandRatio < 1);
    assert.equal(implausibleVerdict(structuredClone(verdict), c), null);
  }
});
