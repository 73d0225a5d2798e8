/** The collapse profile of the linear and neural families, verify's definition names and the figures' (src/experiments/profiles.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIGURES } from '../../src/figures/index.js';
import { captionWithDefinitions } from '../../src/figures/figure.js';
import { COLLAPSE_DEFINITIONS } from '../../src/models/collapse-profile.js';
import { linearProfile, neuralProfile } from '../../src/experiments/profiles.js';
import type { LinearConfig } from '../../src/experiments/linear.js';
import type { NeuralCurve } from '../../src/experiments/profiles.js';
import { caseDefinitions, quantityDefinition } from '../../src/verify/definitions.js';
import { builtInCases } from '../../src/experiments/verify.js';
import { mainInProcess } from '../cli/helpers.js';

const linear = (over: Partial<LinearConfig>): LinearConfig => ({ strategy: 'replace', dim: 10, samples: 100, noise: 1, iterations: 5, trials: 10, seed: 0, method: 'reduced', backend: 'cpu', ...over });
const verdict = (c: Partial<LinearConfig>, name: keyof ReturnType<typeof linearProfile>) => {
  const e = linearProfile(linear(c))[name];
  return [e.measurable, e.holds, e.basis];
};

test('linear: every definition, decided from the exact factors F_n and the proved limits', () => {
  assert.deepEqual(Object.keys(linearProfile(linear({}))), [...COLLAPSE_DEFINITIONS]);
  // replace: F_5 = 5 > 1 and F_n = n diverges; accumulate: F_5 = 5269/3600 > 1 but bounded by π²/6
  assert.deepEqual(verdict({}, 'anyRiskIncrease'), [true, true, 'theory']);
  assert.deepEqual(verdict({}, 'divergingRisk'), [true, true, 'theory']);
  assert.deepEqual(verdict({ strategy: 'accumulate' }, 'anyRiskIncrease'), [true, true, 'theory']);
  assert.deepEqual(verdict({ strategy: 'accumulate' }, 'divergingRisk'), [true, false, 'theory']);
  assert.deepEqual(verdict({ strategy: 'window:3' }, 'divergingRisk'), [true, true, 'theory']);
  // fresh:1/2: F_n = 2/3 + (1/3)(1/4)^{n−1} < 1 for n ≥ 2, the risk falls
  assert.deepEqual(verdict({ strategy: 'fresh:0.5' }, 'anyRiskIncrease'), [true, false, 'theory']);
  // augment:0: F_n = 1 exactly; the float interval holds 1, the exact rationals decide: no increase
  assert.deepEqual(verdict({ strategy: 'augment:0' }, 'anyRiskIncrease'), [true, false, 'theory']);
  assert.deepEqual(verdict({ strategy: 'augment:1' }, 'anyRiskIncrease'), [true, true, 'theory']);
  // no closed form: undecided, never guessed
  assert.deepEqual(verdict({ strategy: 'weights:2^(i-n)' }, 'divergingRisk'), [true, null, null]);
  assert.deepEqual(verdict({ ridge: 5 }, 'anyRiskIncrease'), [true, null, null]);
  assert.deepEqual(verdict({ strategy: 'accumulate-subsample', method: 'full' }, 'anyRiskIncrease'), [true, null, null]);
  assert.deepEqual(verdict({ samples: 8 }, 'scalingLawChange'), [true, null, null]);
  assert.deepEqual(verdict({ iterations: 1 }, 'anyRiskIncrease'), [true, null, null]);
  // random design: replace has P8 (grows, diverges), accumulate none
  assert.deepEqual(verdict({ design: 'random' }, 'anyRiskIncrease'), [true, true, 'theory']);
  assert.deepEqual(verdict({ design: 'random', strategy: 'accumulate' }, 'anyRiskIncrease'), [true, null, null]);
  assert.deepEqual(verdict({}, 'scalingLawChange'), [true, false, 'theory']);
  assert.deepEqual(verdict({}, 'collapsingVariance'), [true, false, 'theory']);
  for (const name of ['catastrophicRiskIncrease', 'modeEntanglement', 'tailDisappearance', 'hallucinatedData'] as const) assert.deepEqual(verdict({}, name), [false, null, null]);
});

const neural = (losses: number[][], model = 'toy'): NeuralCurve =>
  ({
    model,
    iterations: losses[0].map((_, n) => ({ iteration: n + 1, mean: losses.reduce((a, l) => a + l[n], 0) / losses.length })),
    ...(losses.length > 1 && { trajectories: losses.map((loss, k) => ({ part: `p.seed${k + 1}`, trajectory: k, loss })) }),
  });

test('neural: the test-loss increase from the paired 95% t-interval over seeds; one seed or an interval holding 0 undecided', () => {
  // differences 1, 1.1, 0.9: mean 1, s = 0.1, half-width 4.302653·0.1/√3 = 0.248 → [0.752, 1.248] above 0
  const up = neuralProfile(neural([[2, 3], [2, 3.1], [2, 2.9]])).anyRiskIncrease;
  assert.deepEqual([up.holds, up.basis], [true, 'measurement']);
  const down = neuralProfile(neural([[3, 2], [3, 1.9], [3, 2.1]])).anyRiskIncrease;
  assert.deepEqual([down.holds, down.basis], [false, 'measurement']);
  // differences 1, −1, 0.1: the interval holds 0
  assert.equal(neuralProfile(neural([[2, 3], [2, 1], [2, 2.1]])).anyRiskIncrease.holds, null);
  assert.equal(neuralProfile(neural([[2, 3]])).anyRiskIncrease.holds, null);
  const p = neuralProfile(neural([[2, 3]], 'lm'));
  assert.deepEqual(Object.keys(p), [...COLLAPSE_DEFINITIONS]);
  for (const name of COLLAPSE_DEFINITIONS.filter((d) => d !== 'anyRiskIncrease')) assert.equal(p[name].measurable, false, name);
  assert.match(p.tailDisappearance.why, /no rare set/);
  assert.match(neuralProfile(neural([[2, 3]], 'vae')).tailDisappearance.why, /the vae family records no tail statistic/);
});

/** K seeds of the lm with their losses flat and their rareMass series as given. */
const lm = (rare: number[][]): NeuralCurve => ({
  model: 'lm',
  iterations: rare[0].map((_, n) => ({ mean: 2, metrics: { loss: 2, rareMass: rare.reduce((a, r) => a + r[n], 0) / rare.length } })),
  ...(rare.length > 1 && { trajectories: rare.map((rareMass) => ({ loss: rareMass.map(() => 2), rareMass })) }),
});

test('neural lm: tail disappearance from the paired 95% t-interval of rareMass_N − rareMass_1; one seed undecided', () => {
  // differences −0.03, −0.04, −0.02: mean −0.03, s = 0.01, half-width 4.302653·0.01/√3 = 0.024841 → [−0.054841, −0.005159]
  const lost = neuralProfile(lm([[0.1, 0.08, 0.07], [0.1, 0.07, 0.06], [0.09, 0.08, 0.07]])).tailDisappearance;
  assert.deepEqual([lost.measurable, lost.holds, lost.basis], [true, true, 'measurement']);
  assert.match(lost.why, /^metrics\.rareMass .* at n = 3 minus n = 1, paired over 3 seeds: -0\.03000, 95% t-interval \[-0\.05484, -0\.005159\] \(approximate/);
  const kept = neuralProfile(lm([[0.1, 0.13], [0.1, 0.14], [0.09, 0.11]])).tailDisappearance;
  assert.deepEqual([kept.holds, kept.basis], [false, 'measurement']);
  // differences −0.03, +0.03, 0: the interval holds 0
  const straddle = neuralProfile(lm([[0.1, 0.07], [0.1, 0.13], [0.1, 0.1]])).tailDisappearance;
  assert.deepEqual([straddle.measurable, straddle.holds, straddle.basis], [true, null, null]);
  assert.match(straddle.why, /holds 0$/);
  const one = neuralProfile(lm([[0.1, 0.05]])).tailDisappearance;
  assert.deepEqual([one.measurable, one.holds], [true, null]);
  assert.match(one.why, /one trajectory: metrics\.rareMass .* 0\.1000 at n = 1, 0\.05000 at n = 2, no interval \(run --seeds K ≥ 2\)/);
  // the loss is flat in every seed: its differences are all 0, an interval [0, 0] that holds 0
  assert.equal(neuralProfile(lm([[0.1, 0.08], [0.1, 0.07]])).anyRiskIncrease.holds, null);
});

test('verify names the definitions its cases check; --only accepts a definition name', () => {
  const cases = builtInCases();
  for (const c of cases) assert.ok(caseDefinitions(c.kind, c.name).length > 0, c.name);
  const byDefinition = (d: string) => cases.filter((c) => (caseDefinitions(c.kind, c.name) as string[]).includes(d)).map((c) => c.kind);
  const scaling = cases.filter((c) => (caseDefinitions(c.kind, c.name) as string[]).includes('scalingLawChange')).map((c) => c.name.split(' ')[0]);
  assert.deepEqual([...new Set(scaling)].sort(), ['strong', 'tails'], 'the tails case (clean/cut/mix) and the strong-collapse floors');
  assert.ok(caseDefinitions('bernstein', 'gaussian curated top:0.5 likelihood replace mle d=1 m=50').includes('collapsingVariance'));
  assert.ok(byDefinition('tailDisappearance').every((k) => k === 'bernstein'));
  assert.ok(byDefinition('anyRiskIncrease').includes('linear'));
  assert.equal(quantityDefinition('gaussian', 'gaussian replace', 'w2Squared'), 'anyRiskIncrease');
  assert.equal(quantityDefinition('bernstein', 'categorical replace', 'tailMassLost'), 'tailDisappearance');
});

test('figure captions name the definitions their quantities measure', () => {
  const named = FIGURES.filter((f) => f.measures);
  assert.ok(named.length >= 6);
  for (const f of named) {
    for (const d of Object.keys(f.measures ?? {})) assert.ok((COLLAPSE_DEFINITIONS as readonly string[]).includes(d), `${f.id}: ${d}`);
    assert.match(captionWithDefinitions(f, 'Caption.'), /^Caption\. Definitions of collapse measured .*: \w+ \(/);
  }
  const tails = FIGURES.find((f) => f.id === 'tale-of-tails');
  assert.ok(tails && captionWithDefinitions(tails, '').includes('scalingLawChange'));
});

test('collapse verify --only scalingLawChange runs the cases that check it, and its JSON names the definition', async () => {
  const run = await mainInProcess(['verify', '--only', 'scalingLawChange', '--quick', '--json', '--backend', 'cpu']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout) as { cases: { name: string; definitions: string[] }[] };
  // Hutter's clean/cut/mix case, and the two strong-collapse cases (their floors in n; their chains' risk)
  assert.deepEqual(json.cases.map((c) => c.name.split(' ')[0]), ['tails', 'strong', 'strong']);
  assert.deepEqual(json.cases.map((c) => c.definitions), [['scalingLawChange'], ['anyRiskIncrease', 'scalingLawChange'], ['anyRiskIncrease', 'scalingLawChange']]);
});

test('collapse linear --json carries the profile', async () => {
  const run = await mainInProcess(['linear', '--strategy', 'fresh:0.5', '--trials', '100', '--iterations', '3', '--method', 'reduced', '--backend', 'cpu', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const { profile } = JSON.parse(run.stdout) as { profile: Record<string, { holds: boolean | null; basis: string | null }> };
  assert.deepEqual(Object.keys(profile), [...COLLAPSE_DEFINITIONS]);
  // fresh:1/2: F_3 = 11/16 < 1, bounded by 2/3
  assert.deepEqual([profile.anyRiskIncrease.holds, profile.divergingRisk.holds, profile.divergingRisk.basis], [false, false, 'theory']);
});
