/**
 * What a fault and bad-input campaign broke (issue 15): --force deleting a user's files, checks after the run
 * directory was written, environment faults reported as internal errors, a broken pipe's stack trace, and small
 * things (a JSON null config, `figures --only ,`, `help foo`, unbounded echoes of input).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { environmentFault, EXIT } from '../../src/core/errors.js';
import { BIN, collapseSync, firstLineThenClose, isOneLineError, mainInProcess, snapshot, tamper } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-faults-'));
const SMALL = ['linear', '--dim', '2', '--samples', '6', '--iterations', '2', '--trials', '200', '--backend', 'cpu', '--quiet'];

test('--out . --force in a project directory is refused; nothing is deleted', () => {
  const project = join(root, 'myproject');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'thesis.tex'), '\\documentclass{article}');
  writeFileSync(join(project, 'src', 'main.py'), 'print(1)');
  const before = snapshot(project);
  const run = spawnSync(process.execPath, [BIN, ...SMALL, '--out', '.', '--force'], { cwd: project, encoding: 'utf8' });
  assert.equal(run.status, EXIT.usage, run.stderr);
  assert.ok(isOneLineError(run.stderr), run.stderr);
  assert.match(run.stderr, /--out \. is not empty and is not a collapse run directory .* nothing was deleted/);
  assert.deepEqual(snapshot(project), before);
  // a run directory is still replaced with --force
  const dir = join(root, 'replaceable');
  assert.equal(collapseSync([...SMALL, '--out', dir]).code, 0);
  assert.equal(collapseSync([...SMALL, '--out', dir, '--force', '--seed', '1']).code, 0);
  assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).config.seed, 1);
});

test('gaussian and neural check every pool\'s weights before the run directory exists', async () => {
  for (const [command, strategy] of [['gaussian', 'weights:-1'], ['gaussian', 'weights:i+2-n'], ['neural', 'weights:i+2-n']]) {
    const dir = join(root, `early-${command}-${strategy.replace(/\W/g, '')}`);
    const args = command === 'gaussian' ? ['gaussian', '--strategy', strategy, '--iterations', '5', '--trials', '10'] : ['neural', '--model', 'lm', '--quick', '--strategy', strategy, '--iterations', '5'];
    const run = await mainInProcess([...args, '--out', dir, '--quiet']);
    assert.equal(run.code, EXIT.usage, run.stderr);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, /must not be negative; it gives -1 at n=(1|4)/);
    assert.ok(!existsSync(dir), `${command} ${strategy} left ${dir} behind`);
  }
});

test('environment faults are one line with exit 6, not internal errors', () => {
  writeFileSync(join(root, 'afile'), 'x');
  const cases: [string[], RegExp][] = [
    [[...SMALL, '--out', join(root, 'afile', 'sub')], /cannot create the directory .*afile\/sub: a part of the path is a file, not a directory$/],
    [[...SMALL, '--out', join(root, 'n'.repeat(300))], /cannot create the directory .*n{100}.*… \(\d+ characters\): a name in the path is too long$/],
  ];
  const sweep = join(root, 'sweep.yaml');
  writeFileSync(sweep, `command: linear\nout: ${join(root, 'sweep-out')}\nbase: { dim: 2, samples: 6, iterations: 2, trials: 100, backend: cpu }\ngrid: { strategy: [replace, accumulate] }\n`);
  assert.equal(collapseSync(['sweep', 'run', sweep, '--quiet']).code, 0);
  mkdirSync(join(root, 'a-directory'));
  cases.push([['sweep', 'collect', sweep, '--out', join(root, 'a-directory')], /cannot write .*a-directory: it is a directory$/]);
  cases.push([['sweep', 'collect', sweep, '--out', join(root, 'missing', 'table.csv')], /cannot open .*missing\/table\.csv: no such file or directory/]);
  for (const [args, pattern] of cases) {
    const run = collapseSync(args);
    assert.equal(run.code, EXIT.environment, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr.trim(), pattern);
  }
  // what a read-only or full disk raises (not reproducible here as root): the same one line
  const fault = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path });
  assert.equal(environmentFault(fault('EROFS', 'mkdir', '/mnt/ro/run')), 'cannot create the directory /mnt/ro/run: read-only file system');
  assert.equal(environmentFault(fault('ENOSPC', 'write', '/full/run/.results.json.tmp-123-0a1b2c3d')), 'cannot write /full/run/results.json: no space left on the device');
  assert.equal(environmentFault(fault('EACCES', 'open', '/root/x')), 'cannot open /root/x: permission denied');
  assert.equal(environmentFault(new Error('plain bug')), null);
  assert.equal(environmentFault(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })), null);
});

test('a broken pipe (collapse verify … | head -1) exits quietly with 0', async () => {
  const run = await firstLineThenClose(['verify', '--quick', '--only', 'replace reduced d=10', '--backend', 'cpu']);
  assert.match(run.line, /^collapse verify: 1 cases/);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
});

test('small things: a JSON null config, figures --only ",", help for no command, unbounded echoes', async () => {
  writeFileSync(join(root, 'null.json'), 'null');
  writeFileSync(join(root, 'null.yaml'), 'null\n');
  writeFileSync(join(root, 'empty.yaml'), '# nothing yet\n');
  for (const file of ['null.json', 'null.yaml']) {
    const run = await mainInProcess([...SMALL, '--config', join(root, file)]);
    assert.equal(run.code, EXIT.usage, file);
    assert.match(run.stderr, /must hold a mapping of option names to values; got null/);
  }
  assert.equal((await mainInProcess([...SMALL, '--config', join(root, 'empty.yaml')])).code, 0, 'an empty YAML file is an empty config');
  // a --config symlink to a system file: its contents are never printed
  const secret = join(root, 'secret.txt');
  writeFileSync(secret, 'root:SECRET-HASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n'.repeat(20));
  symlinkSync(secret, join(root, 'shadow.yaml'));
  const leaked = await mainInProcess([...SMALL, '--config', join(root, 'shadow.yaml')]);
  assert.equal(leaked.code, EXIT.usage);
  assert.ok(isOneLineError(leaked.stderr), leaked.stderr);
  assert.doesNotMatch(leaked.stderr, /SECRET/);
  const only = await mainInProcess(['figures', '--only', ',', '--out', join(root, 'gallery')]);
  assert.equal(only.code, EXIT.usage);
  assert.match(only.stderr, /--only needs at least one figure id/);
  assert.ok(!existsSync(join(root, 'gallery')));
  const help = await mainInProcess(['help', 'lineer']);
  assert.equal(help.code, EXIT.usage);
  assert.match(help.stderr, /help: no command "lineer"; commands: linear, .* \(did you mean 'linear'\?\)/);
  // a 1 MB key or value is echoed in at most a few hundred characters
  writeFileSync(join(root, 'big.json'), JSON.stringify({ ['k'.repeat(1_000_000)]: 1 }));
  const big = [await mainInProcess([...SMALL, '--config', join(root, 'big.json')]), await mainInProcess([...SMALL, '--dim', '9'.repeat(1_000_000)]), await mainInProcess([...SMALL, '--strategy', `window:${'x'.repeat(1_000_000)}`])];
  for (const run of big) {
    assert.equal(run.code, EXIT.usage);
    assert.ok(isOneLineError(run.stderr) && run.stderr.length < 500, `${run.stderr.length} characters`);
  }
});

test('values read back from a re-sealed checkpoint are range-checked: no mean of 5e303 or z = Infinity', async () => {
  const linear = join(root, 'tampered-linear');
  assert.equal((await mainInProcess([...SMALL, '--out', linear])).code, 0);
  const edits: ((s: Record<string, any>) => void)[] = [
    (s) => (s.error[0].sum = 5e303 * s.error[0].n), // sumSq stays finite: the variance came out 0, z = Infinity
    (s) => (s.error[1].sum = -1), // an error is a squared norm
    (s) => (s.traceGramInverse.sumSq = 0),
  ];
  for (const edit of edits) {
    assert.equal((await mainInProcess([...SMALL, '--out', linear, '--force'])).code, 0);
    tamper(linear, edit);
    const resumed = await mainInProcess(['linear', '--resume', linear, '--quiet']);
    assert.equal(resumed.code, EXIT.usage, resumed.stderr);
    assert.match(resumed.stderr, /its checkpoint.json does not fit the run in its manifest.json/);
  }
  const gaussian = join(root, 'tampered-gaussian');
  const RUN = ['gaussian', '--samples', '10', '--iterations', '3', '--trials', '50', '--quiet', '--out', gaussian];
  assert.equal((await mainInProcess(RUN)).code, 0);
  tamper(gaussian, (s) => {
    s.trialsDone = 20;
    for (const series of Object.values(s.moments) as { n: number; sum: number; sumSq: number }[][]) for (const m of series) Object.assign(m, { n: 20, sum: 1e200, sumSq: 1 });
    for (const name of Object.keys(s.values)) s.values[name] = s.values[name].map(() => new Array(20).fill(1));
  });
  const resumed = await mainInProcess(['gaussian', '--resume', gaussian, '--quiet']);
  assert.equal(resumed.code, EXIT.usage, resumed.stderr);
  assert.match(resumed.stderr, /its checkpoint.json does not fit the run/);
});

test('--help wraps its descriptions at 80 columns (the strategy flag pushed them out to column ~100)', async () => {
  for (const command of ['linear', 'gaussian', 'categorical', 'strong', 'neural', 'loop', 'verify', 'theory', 'sweep', 'worker', 'figures']) {
    const help = (await mainInProcess([command, '--help'])).stdout;
    const lines = help.split('\n');
    assert.ok(lines.length > 5, `${command} --help printed ${help}`);
    for (const line of lines) assert.ok(line.length <= 80, `${command}: ${line.length} columns: ${line}`);
    const column = /^ {2}--\S+(?: <[^>]*>)? +/.exec(lines.find((l) => l.startsWith('  --dim') || l.startsWith('  --json') || l.startsWith('  --queue')) ?? '')?.[0].length ?? 0;
    assert.ok(column > 0 && column <= 40, `${command}: descriptions start at column ${column}`);
  }
});

test('the theory line says whether it is exact rationals or certified float64 intervals', async () => {
  const run = async (strategy: string, iterations: string) =>
    JSON.parse((await mainInProcess(['linear', '--strategy', strategy, '--iterations', iterations, '--trials', '100', '--dim', '2', '--samples', '6', '--backend', 'cpu', '--json'])).stdout).theoryFormula as string;
  assert.match(await run('weights:exp(-(n-i)/3)', '100'), /float64 intervals certified to hold the exact value, relative half-width ≤ \d\.\de-1[34]/);
  assert.match(await run('window:3', '20'), /\(exact rationals, rounded once to float64\)$/);
});
