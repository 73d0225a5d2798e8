import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, equal, fraction, type Fraction } from 'mathjs';
import { UsageError } from '../../src/core/errors.js';
import { parseStrategy, STRATEGIES, uniformRange } from '../../src/strategies/index.js';

test('every strategy: pool weights are exact, non-negative and sum to 1 (n ≤ 60)', () => {
  for (const strategy of Object.values(STRATEGIES)) {
    for (let n = 1; n <= 60; n++) {
      const weights = strategy.poolWeights(n);
      assert.equal(weights.length, n, `${strategy.name} n=${n}`);
      const total = weights.reduce((s, w) => add(s, w) as Fraction, fraction(0));
      assert.ok(equal(total, fraction(1)), `${strategy.name} n=${n}: weights sum to ${total}`);
      assert.ok(weights.every((w) => Number(w.s) >= 0), `${strategy.name} n=${n}: a negative weight`);
    }
  }
});

test('replace pools the newest generation only; accumulate pools all equally', () => {
  assert.deepEqual(STRATEGIES.replace.poolWeights(4).map(String), ['0', '0', '0', '1']);
  assert.deepEqual(STRATEGIES.accumulate.poolWeights(4).map(String), ['0.25', '0.25', '0.25', '0.25']);
});

test('uniformRange finds equal contiguous weights and nothing else', () => {
  assert.deepEqual(uniformRange([0, 0, 1]), { first: 3, last: 3 });
  assert.deepEqual(uniformRange([0.25, 0.25, 0.25, 0.25]), { first: 1, last: 4 });
  assert.deepEqual(uniformRange([0, 0.5, 0.5]), { first: 2, last: 3 });
  assert.equal(uniformRange([0.5, 0, 0.5]), null);
  assert.equal(uniformRange([0.25, 0.75]), null);
  assert.equal(uniformRange([0, 0]), null);
});

test('parseStrategy: names resolve; bad values give one-line UsageErrors with a suggestion', () => {
  assert.equal(parseStrategy('replace').name, 'replace');
  assert.throws(() => parseStrategy('acumulate'), (e: Error) => e instanceof UsageError && /did you mean 'accumulate'/.test(e.message) && !e.message.includes('\n'));
  for (const bad of ['', ' ', 'nope', null, undefined, 5, [], {}]) {
    assert.throws(() => parseStrategy(bad), (e: Error) => e instanceof UsageError && e.message.startsWith('--strategy must be one of'));
  }
});
