/**
 * `collapse neural`'s options (src/experiments/neural.ts), as a property: any mix of valid and garbage flag values
 * either validates to a configuration that validates to itself (what --resume relies on: the stored configuration
 * must come back unchanged) or is refused with one UsageError line naming a flag; and the parts and schedules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../src/core/run-store.js';
import { UsageError } from '../../src/core/errors.js';
import { neuralParts, parseSchedule, partDirName, validateNeuralConfig } from '../../src/experiments/neural.js';

const GARBAGE = fc.constantFrom('', ' ', '-1', '0', '2.5', 'NaN', 'Infinity', '1e9', 'gan', 'replace,', ',', 'steps:', 'epochs:-1', '[]', '{}');
const VALUES: Record<string, fc.Arbitrary<string>> = {
  model: fc.constantFrom('lm', 'vae', 'diffusion', 'all', 'lm,vae', 'vae,lm,vae'),
  strategy: fc.constantFrom('replace', 'accumulate', 'replace,accumulate', 'window:3', 'fresh:0.5,replace', 'weights:1/n'),
  iterations: fc.integer({ min: 1, max: 100 }).map(String),
  temperature: fc.constantFrom('1', '0.3', '2'),
  schedule: fc.constantFrom('epochs', 'steps', 'epochs:2', 'steps:100', 'epochs:0.5'),
  samples: fc.integer({ min: 2, max: 5000 }).map(String),
  'test-samples': fc.integer({ min: 1, max: 5000 }).map(String),
  seed: fc.integer({ min: 0, max: 0xffffffff }).map(String),
};

test('property: a configuration validates to itself, or one UsageError line names a flag (fast-check, 300 runs)', () => {
  const flags = fc.record(
    Object.fromEntries(Object.entries(VALUES).map(([flag, valid]) => [flag, fc.option(fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: GARBAGE, weight: 1 }), { nil: undefined })])),
    { requiredKeys: [] },
  );
  let valid = 0;
  let refused = 0;
  fc.assert(
    fc.property(flags, fc.boolean(), (raw, quick) => {
      let config;
      try {
        config = validateNeuralConfig({ ...raw, quick });
      } catch (error) {
        assert.ok(error instanceof UsageError, String(error));
        assert.ok(!error.message.includes('\n') && /^--(model|strategy|iterations|temperature|schedule|samples|test-samples|seed) /.test(error.message), error.message);
        refused++;
        return;
      }
      const again = validateNeuralConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>);
      assert.equal(canonicalJson(again), canonicalJson(config));
      assert.equal(config.iterations, raw.iterations === undefined ? (quick ? 4 : 5) : Number(raw.iterations));
      assert.ok(config.model.length > 0 && new Set(config.model).size === config.model.length);
      valid++;
    }),
    { numRuns: 300, seed: 20261125 },
  );
  assert.ok(valid >= 10 && refused >= 10, `both paths exercised: ${valid} valid, ${refused} refused`);
});

test('parts: model-major, one per family and strategy, ids safe as directory names; schedules parse', () => {
  const config = validateNeuralConfig({ model: 'vae,lm', strategy: 'replace,weights:1/n' });
  assert.deepEqual(neuralParts(config).map((p) => p.part), ['vae-replace', 'vae-weights:1/n', 'lm-replace', 'lm-weights:1/n']);
  assert.equal(partDirName('lm-weights:1/n'), 'lm-weights:1_n');
  assert.deepEqual(validateNeuralConfig({}).model, ['lm', 'vae', 'diffusion'], 'all three by default');
  assert.deepEqual(parseSchedule('steps:250'), { kind: 'steps', amount: 250 });
  assert.deepEqual(parseSchedule('epochs'), { kind: 'epochs', amount: undefined });
  for (const bad of ['steps:0', 'steps:1.5', 'epochs:0', 'days', 'steps:abc']) assert.throws(() => parseSchedule(bad), UsageError, bad);
});
