/** `collapse linear` as a user sees it: the table's "—" where the variance is infinite, the trace line, --help on T. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collapseSync, isOneLineError } from './helpers.js';

const small = ['--iterations', '2', '--trials', '200', '--seed', '3'];

test('linear --dim 5 --samples 7: "—" for the interval, z and z|X, one line saying why; JSON nulls', () => {
  const text = collapseSync(['linear', '--dim', '5', '--samples', '7', ...small, '--quiet']);
  assert.equal(text.code, 0, text.stderr);
  const rows = text.stdout.split('\n').filter((line) => /^[12] /.test(line));
  assert.equal(rows.length, 2);
  for (const row of rows) assert.equal(row.trim().split(/\s+/).filter((cell) => cell === '—').length, 4, row); // ci95 ×2, z, z|X
  assert.equal(text.stdout.split('\n').filter((line) => line.includes('infinite variance')).length, 2, text.stdout); // why, and the trace's ±
  const json = JSON.parse(collapseSync(['linear', '--dim', '5', '--samples', '7', ...small, '--json']).stdout);
  assert.match(json.noIntervalReason, /infinite/);
  for (const row of json.iterations) assert.ok(row.z === null && row.zConditional === null && row.ci95 === null);
});

test('linear --ridge: the trace line names tr((XᵀX + λI)⁻¹) and prints no d/(T−d−1) theory', () => {
  const out = collapseSync(['linear', '--ridge', '5', '--dim', '6', '--samples', '20', ...small, '--quiet']);
  assert.equal(out.code, 0, out.stderr);
  const line = out.stdout.split('\n').find((l) => l.startsWith('tr(')) ?? '';
  assert.match(line, /^tr\(\(XᵀX \+ λI\)⁻¹\), λ = 5: Monte Carlo [0-9.]+ ± .*no closed form/);
});

test('linear --dim 32 --samples 20: no tr((XᵀX)⁻¹) number; --help states the T ≥ d + 2 rule as the theory\'s, not the flag\'s', () => {
  const out = collapseSync(['linear', '--dim', '32', '--samples', '20', ...small, '--json']);
  assert.equal(JSON.parse(out.stdout).traceGramInverse, null);
  const help = collapseSync(['linear', '--help']);
  // the --samples entry with its wrapped continuation lines (indented past the flags' column)
  const lines = help.stdout.split('\n');
  const first = lines.findIndex((l) => l.includes('--samples '));
  const rest = lines.slice(first + 1).findIndex((l) => !/^ {10,}\S/.test(l));
  const samples = lines.slice(first, rest < 0 ? undefined : first + 1 + rest).map((l) => l.trim()).join(' ');
  assert.match(samples, /theory needs ≥ dim \+ 2/);
  assert.match(samples, /minimum-norm/);
});

test('linear at a noise float32 cannot resolve: one-line refusal, exit 2, nothing printed on stdout', () => {
  for (const args of [
    ['--noise', '1e-300', '--method', 'reduced', '--strategy', 'replace', '--dim', '10', '--samples', '12', '--iterations', '5'],
    ['--noise', '1e-30', '--strategy', 'replace', '--dim', '10', '--samples', '12', '--iterations', '5'],
  ]) {
    const out = collapseSync(['linear', ...args, '--trials', '2000']);
    assert.equal(out.code, 2, out.stderr);
    assert.ok(isOneLineError(out.stderr), out.stderr);
    assert.match(out.stderr, /float(32|64)/);
    assert.equal(out.stdout, '');
  }
});
