/**
 * The command line as a user meets it: stable JSON fields, --out, and bad input refused with one line on stderr,
 * a non-zero exit, no stack trace and nothing written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = new URL('../../bin/collapse.js', import.meta.url).pathname;

function collapse(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const small = ['--dim', '3', '--samples', '12', '--iterations', '4', '--trials', '500', '--seed', '3'];

test('linear --json prints one object with the stable field names', () => {
  const { code, stdout, stderr } = collapse('linear', '--strategy', 'accumulate', ...small, '--json');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.deepEqual(Object.keys(json.config).sort(), ['backend', 'design', 'dim', 'iterations', 'method', 'noise', 'ridge', 'samples', 'seed', 'spectrum', 'strategy', 'trials']);
  assert.equal(typeof json.backend, 'string');
  assert.equal(typeof json.seconds, 'number');
  assert.equal(json.iterations.length, 4);
  for (const [i, row] of json.iterations.entries()) {
    assert.equal(row.iteration, i + 1);
    for (const key of ['mean', 'stderr', 'theory', 'z']) assert.equal(typeof row[key], 'number', key);
    assert.equal(row.ci95.length, 2);
  }
  // accumulate theory: σ²·d/(T−d−1)·Σ 1/i² with σ² = 1, d = 3, T = 12
  assert.ok(Math.abs(json.iterations[1].theory - (3 / 8) * 1.25) < 1e-12);
});

test('linear prints the table, the backend and the time', () => {
  const { code, stdout } = collapse('linear', '--strategy', 'replace', ...small, '--method', 'reduced');
  assert.equal(code, 0);
  assert.match(stdout, /backend (webgpu|webasm|cpu) \(/);
  assert.match(stdout, /trial-iterations\/s/);
  assert.match(stdout, /mean\s+stderr\s+ci95 low\s+ci95 high\s+theory\s+z\s+z\|X/);
});

test('--out writes config, environment, JSON and CSV, and refuses to overwrite without --force', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'collapse-')), 'run');
  assert.equal(collapse('linear', ...small, '--out', dir, '--quiet').code, 0);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'config.json', 'environment.json', 'manifest.json', 'results.csv', 'results.json']);
  const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.equal(csv[0], 'iteration,mean,stderr,ci95_low,ci95_high,theory,z,z_conditional');
  const again = collapse('linear', ...small, '--out', dir);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists and is not empty; pass --force/);
  assert.equal(collapse('linear', ...small, '--out', dir, '--force', '--quiet').code, 0);
});

const BAD: [string[], RegExp][] = [
  [['linear', '--dim', 'abc'], /--dim must be an integer in \[1, 1024\]; got "abc"/],
  [['linear', '--dim', '-1'], /--dim must be an integer/],
  [['linear', '--dim', '2.5'], /--dim must be an integer/],
  [['linear', '--dim', 'NaN'], /--dim must be an integer/],
  [['linear', '--dim', 'Infinity'], /--dim must be an integer/],
  [['linear', '--trials', '1e12'], /--trials must be an integer in \[2, 100000000\]/],
  [['linear', '--trials', '0x10'], /--trials must be an integer/],
  [['linear', '--noise', '0'], /--noise must be a number in \(0, 1000000\]/],
  [['linear', '--noise', '-1'], /--noise must be a number/],
  [['linear', '--dim', '32', '--samples', '33', '--method', 'reduced'], /--samples must be ≥ dim \+ 2 \(= 34\) for --method reduced and --design random; got 33/],
  [['linear', '--strategy', 'acumulate'], /--strategy must be one of replace, accumulate, accumulate-subsample, window:<k>, augment:<r>, fresh:<p>, weights:<expr>; got "acumulate" \(did you mean 'accumulate'\?\)/],
  [['linear', '--strategy', 'window:0'], /--strategy window:k needs an integer k ≥ 1/],
  [['linear', '--strategy', 'fresh:1.5'], /--strategy fresh:p needs a fraction p in \[0, 1\]/],
  [['linear', '--strategy', 'weights:1/('], /--strategy weights:<expr> needs an expression in n and i that mathjs can parse/],
  [['linear', '--strategy', 'weights:-1'], /--strategy weights:<expr> must not be negative/],
  [['linear', '--strategy', 'accumulate-subsample', '--method', 'reduced'], /--method reduced samples whole-data-set fits/],
  [['linear', '--method', 'fast'], /--method must be one of full, reduced/],
  [['linear', '--backend', 'cuda'], /--backend must be one of auto, webgpu, webasm, cpu/],
  [['linear', '--seed', '-3'], /--seed must be an integer/],
  [['linear', '--dimm', '3'], /unknown option '--dimm' \(did you mean --dim\?\)/],
  [['linear', '--dim'], /argument missing|--dim must be an integer|too many arguments/],
  [['linear', 'extra'], /too many arguments|unknown command|excess/i],
  [['lineer'], /unknown command 'lineer' \(did you mean linear\?\)/],
  [['linear', '--dim', '1024', '--samples', '1000000', '--trials', '2'], /needs .* lower --samples or --dim/],
  [['verify', '--trials-full', '5'], /--trials-full must be an integer in \[100, 10000000\]/],
  [['verify', '--only', 'no such case'], /matches no case/],
];

for (const [args, message] of BAD) {
  test(`bad input refused: collapse ${args.join(' ')}`, () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'collapse-')), 'never');
    const { code, stdout, stderr } = collapse(...args, '--out', dir);
    assert.equal(code, 2, `exit code; stderr: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    assert.ok(stderr.startsWith('collapse: '));
    assert.doesNotMatch(stderr, /\bat .*\.(js|ts):\d+/, 'no stack trace');
    assert.equal(stdout, '');
    assert.equal(existsSync(dir), false, 'nothing written');
  });
}

test('an --out path that exists as a file is refused without touching it', () => {
  const root = mkdtempSync(join(tmpdir(), 'collapse-'));
  mkdirSync(join(root, 'full'));
  writeFileSync(join(root, 'full', 'keep.txt'), 'precious');
  const { code } = collapse('linear', ...small, '--out', join(root, 'full'));
  assert.equal(code, 2);
  assert.equal(readFileSync(join(root, 'full', 'keep.txt'), 'utf8'), 'precious');
});

test('verify runs its cases and reports PASS with exit 0', () => {
  const { code, stdout, stderr } = collapse('verify', '--only', 'd=10 ', '--trials-full', '400', '--trials-reduced', '2000', '--json');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.equal(json.pass, true);
  assert.equal(json.cases.length, 16); // replace, accumulate and the 4 literature strategies × 2 methods, and 4 ridge cases
  const ridge = json.cases.filter((c: { name: string }) => c.name.includes('ridge'));
  assert.equal(ridge.length, 4);
  for (const c of ridge) assert.ok(c.maxAbsZ === null && c.maxAbsZConditional < json.zStar, `${c.name}: judged on z|X alone`);
  assert.ok(json.zStar > 4.5);
  for (const c of json.cases) assert.equal(c.run.iterations.length, 20);
});

test('verify covers Gaussian fitting: its closed-form cases pass, with metrics judged', () => {
  const { code, stdout, stderr } = collapse('verify', '--only', 'gaussian', '--trials-reduced', '2000', '--json');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.equal(json.pass, true);
  // the 6 closed-form cases, and the 2 curated ones (proofs/curation.md V4), whose names start "gaussian curated"
  assert.equal(json.cases.length, 8);
  const closedForm = json.cases.filter((c: { name: string }) => !c.name.startsWith('gaussian curated'));
  assert.equal(closedForm.length, 6);
  for (const c of closedForm) assert.ok(c.run.iterations.length === 20 && 'metrics' in c.run.iterations[0], c.name);
});
