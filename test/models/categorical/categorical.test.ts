/**
 * The categorical family through the generation loop: the weighted fit, the real distributions, Monte Carlo against
 * the exact theory (proofs/categorical.md K1, K2, K4, K5) within empirical Bernstein bands sized for a false failure
 * under 1e-6 over every check in this file, and `collapse categorical` in-process (JSON shape, one-line errors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zStar } from '../../../src/core/stats.js';
import { mainInProcess } from '../../cli/helpers.js';
import { fitCategorical } from '../../../src/models/categorical/family.js';
import { subtlexCounts, SUBTLEX_WORDS, zipf } from '../../../src/models/categorical/distribution.js';
import { categoricalProfile, categoricalTheory, realDistribution, runCategorical, validateCategoricalConfig } from '../../../src/experiments/categorical.js';
import { COLLAPSE_DEFINITIONS } from '../../../src/models/collapse-profile.js';
import { CATEGORICAL_CHECKS_PER_ITERATION, empiricalBernsteinBand, judgeCategorical } from '../../../src/experiments/verify-bernstein.js';

const ITERATIONS = 8;
const STRATEGIES = ['replace', 'accumulate', 'fresh:0.5', 'augment:1'];
const BOUND = zStar(STRATEGIES.length * CATEGORICAL_CHECKS_PER_ITERATION * ITERATIONS);

test('the weighted fit: part weights a_q spread over their items; zero-mass outcomes are never in the support', () => {
  const scratch = new Float64Array(5);
  const model = fitCategorical(
    [
      { data: { items: Uint32Array.of(0, 0, 3, 4) }, weight: 0.75, set: 1 },
      { data: { items: Uint32Array.of(3, 3) }, weight: 0.25, set: 2 },
    ],
    scratch,
  );
  assert.deepEqual(Array.from(model.outcomes), [0, 3, 4]);
  assert.deepEqual(Array.from(model.p), [0.375, 0.1875 + 0.25, 0.1875]);
  assert.deepEqual(Array.from(scratch), [0, 0, 0, 0, 0], 'the scratch is left clean for the next fit');
});

test('real distributions: Zipf(β) normalised (β = 0 uniform, S₀ = 1/K exact); SUBTLEX-US counts with exact S₀', () => {
  const z = zipf(50, 1.2);
  assert.ok(Math.abs(z.cumulative[49] - 1) < 1e-12);
  assert.ok(z.probabilities[0] > z.probabilities[1]);
  assert.equal(zipf(8, 0).s0Exact?.toFraction(), '1/8');
  const words = subtlexCounts(SUBTLEX_WORDS);
  assert.equal(words.probabilities.length, 74_286);
  assert.ok(Math.abs(words.cumulative[SUBTLEX_WORDS - 1] - 1) < 1e-9);
  assert.ok(Math.abs(Number(words.s0Exact?.valueOf()) - words.s0) < 1e-12);
  assert.throws(() => subtlexCounts(SUBTLEX_WORDS + 1), /--categories/);
});

for (const strategy of STRATEGIES) {
  test(`K1 K2 K4 K5: ${strategy} Monte Carlo within the empirical Bernstein band of every exact metric`, async () => {
    const config = validateCategoricalConfig({ strategy, categories: 12, zipf: 1, samples: 20, iterations: ITERATIONS, trials: 3000, seed: 11 });
    const report = await runCategorical(config);
    assert.equal(report.hasTheory, true);
    const verdict = judgeCategorical(strategy, report, BOUND);
    assert.ok(verdict.pass, verdict.failures.join('; '));
    // every strategy here has exact survival theory except fresh:0.5 (fresh real data break both K4 and K5)
    const surviving = report.iterations.map((r) => r.metrics.surviving.theory);
    assert.equal(surviving.every((t) => t !== null), strategy !== 'fresh:0.5');
    assert.ok(report.iterations.every((r) => r.metrics.entropy.theory === null));
    // the judge can fail: a theory 0.06 off is caught at this size (the band is ≈ 6.3·stderr + 0.016 here)
    const wrong = { ...report, iterations: report.iterations.map((r) => ({ ...r, theory: (r.theory as number) + 0.06 })) };
    assert.equal(judgeCategorical(strategy, wrong, BOUND).pass, false);
  });
}

test('the Bernstein band: its two terms, and a fixed seed gives the same numbers twice', async () => {
  assert.ok(Math.abs(empiricalBernsteinBand(0.01, 1001, 1, 4e-6) - (0.01 * Math.sqrt(2 * Math.log(1e6)) + (7 * Math.log(1e6)) / 3000)) < 1e-15);
  const config = validateCategoricalConfig({ strategy: 'window:2', categories: 30, samples: 10, iterations: 3, trials: 50, seed: 3 });
  const [a, b] = [await runCategorical(config), await runCategorical(config)];
  assert.deepEqual(a.iterations.map((r) => r.mean), b.iterations.map((r) => r.mean));
});


test('collapse categorical --json: the gaussian shape (iterations[].mean/theory = E Σp², metrics by name); bad input is one line, exit 2', async () => {
  const run = await mainInProcess(['categorical', '--categories', '10', '--samples', '8', '--iterations', '3', '--trials', '20', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  for (const key of ['config', 'backend', 'seconds', 'theoryFormula', 'hasTheory', 'real', 'iterations']) assert.ok(key in json, key);
  assert.deepEqual(Object.keys(json.iterations[0].metrics).sort(), ['entropy', 'squaredDistance', 'surviving', 'tailMassLost']);
  assert.equal(json.config.strategy, 'replace');
  for (const args of [
    ['categorical', '--counts', 'subtlex', '--zipf', '1'],
    ['categorical', '--counts', 'books'],
    ['categorical', '--counts', 'subtlex', '--categories', '80000'],
    ['categorical', '--categories', '1'],
    ['categorical', '--strategy', 'fresh:2'],
  ]) {
    const bad = await mainInProcess(args);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /^collapse: [^\n]+\n$/, args.join(' '));
  }
});

test('K7: the collapse profile names all eight definitions and decides them from exact theory or bounds only', () => {
  const profile = (strategy: string, iterations = 10) => {
    const config = validateCategoricalConfig({ strategy, categories: 30, samples: 20, iterations, trials: 2 });
    return categoricalProfile(config, categoricalTheory(config, realDistribution(config)));
  };
  const replace = profile('replace');
  assert.deepEqual(Object.keys(replace), [...COLLAPSE_DEFINITIONS]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(replace).map(([name, e]) => [name, e.holds])),
    { catastrophicRiskIncrease: null, anyRiskIncrease: true, divergingRisk: false, scalingLawChange: null, collapsingVariance: true, modeEntanglement: null, tailDisappearance: true, hallucinatedData: false },
  );
  for (const name of ['catastrophicRiskIncrease', 'scalingLawChange', 'modeEntanglement'] as const) assert.equal(replace[name].measurable, false);
  const accumulate = profile('accumulate');
  assert.equal(accumulate.tailDisappearance.holds, false, 'K5: the support is frozen at the first sample');
  assert.equal(accumulate.collapsingVariance.holds, null);
  assert.equal(profile('accumulate', 1).collapsingVariance.holds, null, 'one model says nothing about the chain');
  assert.equal(profile('fresh:0.5').tailDisappearance.holds, null, 'no exact lost mass with fresh real data');
  assert.equal(profile('accumulate-subsample').anyRiskIncrease.holds, null);
});
