/**
 * proofs/strategy-limits.md#L5: `collapse theory --optimize NAME` on a weights: expression. An interior optimum with
 * a known value (the root of a cubic), the edge optimum of geometric weights (accumulate), a non-unimodal scan
 * refused a bracket, and bad input as one-line usage errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeTheory } from '../../src/cli/theory.js';
import { UsageError } from '../../src/core/errors.js';
import { mainInProcess } from '../cli/helpers.js';
import { customWeights } from '../../src/strategies/custom-weights.js';
import { noiseFactors } from '../../src/theory/pool-weights.js';
import { optimiseWeights } from '../../src/theory/weights-optimum.js';

/**
 * Pool n = data set n − 1 (weight 1) and set n (weight a), v = a/(1 + a): e_3 = z_1 + (1 − v + v²) z_2 + v z_3, so
 * F_3 = 1 + (1 − v + v²)² + v², whose derivative vanishes where 2v³ − 3v² + 4v − 1 = 0 (one root, the cubic rising).
 */
const TWO_SETS = 'i==n ? a : (i==n-1 ? 1 : 0)';

function cubicRoot(): number {
  let [lo, hi] = [0, 1];
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (2 * mid ** 3 - 3 * mid ** 2 + 4 * mid - 1 < 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

test('L5: an interior optimum, the root of 2v³ − 3v² + 4v − 1, lies in the certified bracket', () => {
  // F_3 as the recursion computes it, at a rational a: the closed form above
  const a = 0.5;
  const v = a / (1 + a);
  const f3 = noiseFactors(customWeights(TWO_SETS, { a: '0.5' }), 3)[2];
  assert.equal(f3.toFraction(), '139/81'); // 1 + (7/9)² + (1/3)²
  assert.ok(Math.abs(Number(f3.valueOf()) - (1 + (1 - v + v * v) ** 2 + v * v)) < 1e-15);
  const root = cubicRoot();
  const best = root / (1 - root);
  const optimum = optimiseWeights(TWO_SETS, 'a', 3, ['0.01', '10']);
  assert.ok(optimum.unimodalOnGrid && !optimum.atEdge);
  const [lo, hi] = optimum.bracket.map(Number);
  assert.ok(lo <= best && best <= hi, `${lo} ≤ ${best} ≤ ${hi}`);
  assert.ok(hi - lo < 1e-6, 'narrowed while certified comparisons decide');
  assert.equal(optimum.limit, null);
});

test('L5: geometric weights a^(i−n), a ≥ 1: the optimum is the edge a = 1 (accumulate), said to be at the edge', () => {
  const optimum = optimiseWeights('a^(i-n)', 'a', 6, ['1', '100']);
  assert.ok(optimum.atEdge && Number(optimum.bracket[0]) === 1);
  assert.match(optimum.statement, /widen --range/);
  const accumulate = noiseFactors(customWeights('1'), 6).map(Number);
  optimum.factors(6).forEach((f, n) => assert.ok(Math.abs(f.value - accumulate[n]) < 1e-8, `n=${n + 1}`));
});

test('L5: a scan with a certified rise before a fall gets no bracket', () => {
  const optimum = optimiseWeights('exp(-((n-i)-a)^2)', 'a', 10, ['0', '20']);
  assert.equal(optimum.unimodalOnGrid, false);
  assert.match(optimum.statement, /not unimodal/);
  assert.equal(optimum.bracket[0], optimum.bracket[1]);
});

test('collapse theory --optimize on a weights: expression: JSON optimum { parameter, value, limit: null }; bad input one line', async () => {
  const run = await mainInProcess(['theory', '--strategy', `weights:${TWO_SETS}`, '--iterations', '3', '--optimize', 'a', '--range', '0.01:10', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(json), ['strategy', 'iterations', 'limit', 'optimum']);
  assert.deepEqual(Object.keys(json.optimum), ['parameter', 'value', 'limit']);
  const root = cubicRoot();
  assert.ok(Math.abs(json.optimum.value - root / (1 - root)) < 1e-6);
  assert.equal(json.optimum.limit, null);
  assert.equal(json.iterations.length, 3);
  for (const [args, pattern] of [
    [['--strategy', 'weights:2^(i-n)', '--optimize', 'a'], /has no parameter a/],
    [['--strategy', `weights:${TWO_SETS}`, '--optimize', 'n'], /free parameter/],
    [['--strategy', 'fresh:p', '--optimize', 'p', '--range', '0:1'], /--range applies to --optimize on a weights: expression/],
    [['--strategy', `weights:${TWO_SETS}`, '--optimize', 'a', '--range', '5'], /--range must be LO:HI/],
    [['--strategy', `weights:${TWO_SETS}`, '--optimize', 'a', '--range', '3:1'], /LO < HI/],
    [['--strategy', `weights:${TWO_SETS}`, '--optimize', 'a', '--iterations', '61'], /up to --iterations 60/],
  ] as const) {
    const bad = await mainInProcess(['theory', ...args]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /^collapse: [^\n]+\n$/);
    assert.match(bad.stderr, pattern);
  }
  assert.throws(() => computeTheory('weights:i-a', 3, 'a', '0:10'), UsageError, 'a negative weight in the range is a usage error');
});
