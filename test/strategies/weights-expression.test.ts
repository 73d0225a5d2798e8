/**
 * weights:<expr> is a deterministic function of n and i on a whitelist, bounded in the work it can cause; the
 * theory of weights whose exact rationals would grow huge falls back to float64 intervals that contain them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { exactFraction, fraction } from '../../src/core/fraction.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { intervalNoiseFactors, noiseFactors, noiseFactorsArithmetic, noiseFactorsNumeric } from '../../src/theory/pool-weights.js';

const oneLine = (pattern: RegExp) => (e: Error) => e instanceof UsageError && !e.message.includes('\n') && pattern.test(e.message);

/** The weights of pools 1..5, which is where a weights error surfaces at the latest. */
const weightsOf = (text: string) => {
  const strategy = parseStrategy(text);
  return Array.from({ length: 5 }, (_, k) => strategy.poolWeights(k + 1).map(String));
};

test('weights: random functions are refused when the strategy is parsed (a weighting must be a function of n and i)', () => {
  for (const call of ['random()', 'random(1, 2)', 'pickRandom([1, 2])', 'randomInt(1, 3)', 'n * random()', '1 + randomInt(2)']) {
    assert.throws(() => parseStrategy(`weights:${call}`), oneLine(/weights must be a deterministic function of n and i/), call);
  }
  for (const other of ['f(x) = 1', 'a = 1', '[1, 2]', '"text"', 'evaluate("1")', 'import({})', '5 cm', 'x']) {
    assert.throws(() => parseStrategy(`weights:${other}`), oneLine(/--strategy weights:<expr> /), other);
  }
  // the same text gives the same weights every time (what reproducibility and resume rely on)
  assert.deepEqual(weightsOf('weights:exp(-(n-i)/3) + sqrt(i)'), weightsOf('weights:exp(-(n-i)/3) + sqrt(i)'));
});

test('weights: deterministic expressions keep their exact values (rationals where they can be)', () => {
  assert.deepEqual(parseStrategy('weights:2^(i-n)').poolWeights(3).map(String), ['0.(142857)', '0.(285714)', '0.(571428)']);
  assert.deepEqual(parseStrategy('weights:i == n ? 1 : 0.1').poolWeights(2).map(String), ['0.(09)', '0.(90)']);
  assert.deepEqual(parseStrategy('weights:max(1, i) mod 3 + abs(-1/2)').poolWeights(3).map(String), ['0.(3)', '0.(5)', '0.(1)']);
  assert.deepEqual(parseStrategy('weights:1 < i <= 2').poolWeights(3).map(String), ['0', '1', '0']);
  assert.deepEqual(parseStrategy('weights:i!').poolWeights(3).map(String), ['0.(1)', '0.(2)', '0.(6)']); // 1, 2, 6 of 9
});

test('weights: huge powers, numbers beyond float64 and very long expressions are one-line errors, at once', () => {
  // exact, (n/3)^(10^5) has ~160,000-bit numerators: it used to run for minutes deaf to SIGINT
  assert.throws(() => weightsOf('weights:(n/3)^(10^5)'), oneLine(/power beyond float64's range/));
  assert.throws(() => weightsOf('weights:(1 + 1/n)^(10^5)'), oneLine(/power beyond float64's range/));
  assert.throws(() => parseStrategy('weights:1e-400'), oneLine(/the number 1e-400, outside float64's range/));
  assert.throws(() => parseStrategy('weights:1e400 * n'), oneLine(/outside float64's range/));
  const long = Array.from({ length: 5000 }, () => 'i').join('+'); // overflowed the call stack (an internal error)
  assert.throws(() => parseStrategy(`weights:${long}`), oneLine(/is longer than 1000 characters; got "weights:i\+i.{0,200}…"$/));
  assert.throws(() => parseStrategy(`weights:${'('.repeat(400)}1${')'.repeat(400)}`), oneLine(/nested/));
  // exactness is kept where it is cheap: 2^(i−n) at n = 1000 is an exact power of two
  assert.ok(parseStrategy('weights:2^(i-n)').poolWeights(1000)[0].equals(fraction(1n, 2n ** 1000n - 1n)));
});

test('weights: names of Object\'s prototype are no strategies (one line, not an internal error)', () => {
  for (const name of ['toString', 'hasOwnProperty', 'valueOf', 'constructor', '__proto__', '__proto__:1', 'constructor:1', 'valueOf:1', 'toString:3']) {
    assert.throws(() => parseStrategy(name), oneLine(/^--strategy must be one of /), name);
  }
});

test('theory: exact rationals while they stay small, else certified float64 intervals, and it says which', () => {
  // the README's weights:exp(−(n−i)/3) took 8 s at 50 iterations and 343 s at 100 in exact rationals
  const expWeights = parseStrategy('weights:exp(-(n-i)/3)');
  const arithmetic = noiseFactorsArithmetic(expWeights, 100);
  assert.equal(arithmetic.method, 'interval');
  assert.ok(arithmetic.method === 'interval' && arithmetic.relativeError > 0 && arithmetic.relativeError < 1e-12, JSON.stringify(arithmetic));
  assert.equal(noiseFactorsNumeric(expWeights, 100).length, 100);
  assert.deepEqual(noiseFactorsArithmetic(parseStrategy('accumulate'), 100), { method: 'exact' });
  assert.deepEqual(noiseFactorsArithmetic(parseStrategy('weights:2^(i-n)'), 30), { method: 'exact' });
  // the intervals hold the exact values (compared as rationals), and are narrow
  for (const name of ['weights:exp(-(n-i)/3)', 'weights:1/i', 'window:3', 'fresh:0.5', 'augment:1', 'weights:2^(i-n)', 'weights:exp(-1000*(n-i))']) {
    const strategy = parseStrategy(name);
    const exact = noiseFactors(strategy, 12);
    intervalNoiseFactors(strategy, 12).forEach(([lo, hi], k) => {
      assert.ok(exactFraction(lo).compare(exact[k]) <= 0 && exact[k].compare(exactFraction(hi)) <= 0, `${name} n=${k + 1}: [${lo}, ${hi}] misses ${exact[k].valueOf()}`);
      assert.ok(hi - lo <= 1e-13 * hi, `${name} n=${k + 1}: width ${hi - lo}`);
    });
  }
});
