/** --config FILE: JSON or YAML, validated by the option schema, errors naming the file and the key, flags win. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile, withConfigFile } from '../../src/core/config-file.js';
import { UsageError } from '../../src/core/errors.js';
import { LINEAR_OPTIONS, validateLinearConfig } from '../../src/experiments/linear.js';

const dir = mkdtempSync(join(tmpdir(), 'collapse-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const load = (path: string) => loadConfigFile(path, LINEAR_OPTIONS, 'linear');
const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n'), String(pattern));

test('YAML and JSON files with the option names as keys', () => {
  assert.deepEqual(load(file('a.yaml', 'strategy: replace\ndim: 4\nnoise: 0.5\n')), { strategy: 'replace', dim: 4, noise: 0.5 });
  assert.deepEqual(load(file('a.yml', '# nothing\n')), {});
  assert.deepEqual(load(file('a.json', '{"trials": "500", "method": "reduced"}')), { trials: '500', method: 'reduced' });
});

test('every value is checked by the flag schema; the error names the file and the key', () => {
  const bad = file('bad.yaml', 'dim: abc\n');
  refused(() => load(bad), new RegExp(`^--config ${bad}: dim must be an integer in \\[1, 1024\\]; got "abc"$`));
  refused(() => load(file('b.json', '{"noise": 0}')), /: noise must be a number in \(0, 1000000\]; got 0$/);
  refused(() => load(file('c.yaml', 'seed: [1, 2]\n')), /: seed must be a single value; got a list$/);
  refused(() => load(file('d.yaml', 'method: ~\n')), /: method must be one of full, reduced; got null$/);
  refused(() => load(file('e.yaml', 'noise: .inf\n')), /: noise must be a number/);
});

test('unknown keys are refused with a suggestion; output options belong on the command line', () => {
  refused(() => load(file('f.yaml', 'dimm: 3\n')), /unknown key "dimm" \(did you mean 'dim'\?\)$/);
  refused(() => load(file('g.yaml', 'zzzzzz: 3\n')), /unknown key "zzzzzz" \(keys of collapse linear: strategy, dim, /);
  refused(() => load(file('h.yaml', 'out: results\n')), /out is not part of a run's configuration; pass --out on the command line$/);
});

test('unreadable, unparsable or ill-shaped files are one line each', () => {
  refused(() => load(join(dir, 'missing.yaml')), /: cannot read it \(no such file\)$/);
  refused(() => load(file('x.toml', 'dim = 3')), /use a \.json, \.yaml or \.yml file/);
  refused(() => load(file('i.yaml', 'dim: [1\n  bad: {\n')), /: not valid YAML \(/);
  refused(() => load(file('j.json', '{"dim": 3,}')), /: not valid JSON \(/);
  refused(() => load(file('k.yaml', '- 1\n- 2\n')), /must hold a mapping of option names to values; got a list$/);
  refused(() => load(file('l.yaml', 'dim: 3\ndim: 4\n')), /not valid YAML/);
  refused(() => load(file('m.yaml', 'a: 1\n---\nb: 2\n')), /not valid YAML/);
});

test('flags override the file; a cross-field error about a file key names the file', () => {
  const path = file('n.yaml', 'dim: 4\nsamples: 20\ntrials: 50\n');
  const config = withConfigFile(path, { dim: '5', samples: undefined }, LINEAR_OPTIONS, 'linear', validateLinearConfig);
  assert.equal(config.dim, 5);
  assert.equal(config.samples, 20);
  assert.equal(config.trials, 50);
  const strategy = file('o.yaml', 'strategy: acumulate\n');
  refused(() => withConfigFile(strategy, {}, LINEAR_OPTIONS, 'linear', validateLinearConfig), new RegExp(`^--config ${strategy}: strategy must be one of .*\\(did you mean 'accumulate'\\?\\)$`));
  // the same value as a flag names the flag
  refused(() => withConfigFile(undefined, { strategy: 'acumulate' }, LINEAR_OPTIONS, 'linear', validateLinearConfig), /^--strategy must be one of/);
});
