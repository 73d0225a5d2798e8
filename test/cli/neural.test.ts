/**
 * `collapse neural` end to end with the toy tfjs family (COLLAPSE_NEURAL_TOY=1, src/models/neural/toy.ts), so that it
 * takes seconds: bad input is one line and exit 2; two child processes give the numbers one process gives; a run
 * SIGKILLed at a random moment, or stopped by SIGINT, and resumed gives results bit-identical to a run never
 * stopped; a damaged checkpoint is refused with one line and nothing changed. The CLI runs from src/ through tsx
 * (no dist/ build needed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { COLLAPSE_DEFINITIONS, type CollapseProfile } from '../../src/models/collapse-profile.js';
import { lockHolder } from '../../src/core/lock.js';
import { isOneLineError, mainInProcess, snapshot, sleep, waitFor, type Outcome } from './helpers.js';

process.env.COLLAPSE_NEURAL_TOY = '1';
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const TOY_BASE = ['neural', '--model', 'toy', '--quick', '--samples', '60', '--test-samples', '200', '--iterations', '3', '--seed', '5'];
const TOY = [...TOY_BASE, '--schedule', 'steps']; // the toy's own 40 steps (--quick alone compares epochs and steps)
const root = mkdtempSync(join(tmpdir(), 'collapse-neural-'));

/** The CLI from src/ in a child process (tsx), as a user would run it. */
function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { main } from ${JSON.stringify(MAIN)}; process.exitCode = await main(process.argv.slice(1));`, '--', ...args], {
    env: { ...process.env, COLLAPSE_NEURAL_TOY: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Outcome>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

type Results = Record<string, { iterations: { iteration: number; mean: number; stderr: null; theory: null; metrics: Record<string, number> }[]; model: string; strategy: string; backend: string; profile: CollapseProfile }>;
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
const numbers = (r: Results) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.iterations.map((row) => row.metrics)]));
const partDone = (dir: string, part: string) => {
  const file = join(dir, 'runs', part, 'checkpoint.json');
  return existsSync(file) ? (readSealed(file) as { state: { trajectory: { done: number } } }).state.trajectory.done : 0;
};

let reference: Results;

before(async () => {
  // the reference: both parts in this one process (COLLAPSE_NEURAL_PROCESSES=1), never interrupted
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const dir = join(root, 'reference');
  const run = await mainInProcess([...TOY, '--out', dir, '--quiet']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  reference = results(dir);
});

test('bad input: one line naming the flag, exit 2, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [['--model', 'gan'], /^collapse: --model must be lm, vae, diffusion, toy, all \(comma-separated\); got "gan"/],
    [['--iterations', '0'], /^collapse: --iterations must be an integer in \[1, 100\]; got "0"/],
    [['--iterations', '2.5'], /--iterations must be an integer/],
    [['--temperature', '-1'], /^collapse: --temperature must be a number in \[0, 100\]; got "-1"/],
    [['--model', 'vae,diffusion', '--width', '8'], /^collapse: --width applies to the lm only; got it with --model vae,diffusion$/m],
    [['--model', 'toy', '--latent', '8'], /^collapse: --latent applies to the vae only; got it with --model toy$/m],
    [['--model', 'lm', '--width', '30', '--heads', '4'], /^collapse: --width 30 must be a multiple of --heads 4/],
    [['--model', 'lm', '--ddpm-steps', '0'], /^collapse: --ddpm-steps must be an integer in \[1, 5000\]/],
    [['--seeds', '0'], /^collapse: --seeds must be an integer in \[1, 100\]/],
    [['--schedule', 'converge:100:0'], /^collapse: --schedule must be epochs, steps, converge/],
    [['--temperature', 'NaN'], /--temperature must be a number/],
    [['--model', 'toy', '--temperature', '0.3'], /^collapse: --temperature applies to the lm only \(the toy sample at 1\); got 0.3 with --model toy; use --model lm$/m],
    [['--strategy', 'replace,bogus'], /^collapse: --strategy must be one of replace, accumulate/],
    [['--schedule', 'weeks'], /^collapse: --schedule must be epochs, steps, converge, epochs:<k>/],
    [['--schedule', 'steps:2.5'], /^collapse: --schedule must be/],
    [['--samples', '1'], /^collapse: --samples must be an integer in \[2, 1000000\]/],
    [['--seed', '-1'], /^collapse: --seed must be an integer/],
    [['--modle', 'lm'], /^collapse: unknown option '--modle'/],
  ];
  for (const [args, pattern] of cases) {
    const out = join(root, `bad-${args.join('')}`.replace(/[^\w-]/g, '_'));
    const run = await mainInProcess(['neural', ...args, '--out', out]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, pattern);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('--resume: a complete run, --out beside it, or one part\'s directory are refused with one line', async () => {
  const dir = join(root, 'reference');
  const before = snapshot(dir);
  const cases: [string[], RegExp][] = [
    [['--resume', dir], /the run is already complete/],
    [['--resume', dir, '--out', join(root, 'elsewhere')], /drop --out/],
    [['--resume', join(dir, 'runs', 'toy-replace')], /already complete|one part of a neural run/],
  ];
  for (const [args, pattern] of cases) {
    const run = await mainInProcess(['neural', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, pattern);
  }
  assert.deepEqual(snapshot(dir), before, 'nothing changed');
});

test('JSON: one object keyed by part, each with the shape of the other commands; common random numbers at iteration 1', () => {
  assert.deepEqual(Object.keys(reference), ['toy-replace', 'toy-accumulate']);
  for (const report of Object.values(reference)) {
    assert.deepEqual(report.iterations.map((r) => r.iteration), [1, 2, 3]);
    for (const row of report.iterations) {
      assert.equal(row.mean, row.metrics.loss);
      assert.equal(row.stderr, null);
      assert.equal(row.theory, null);
    }
  }
  // replace and accumulate share the trajectory key: the same real data and first model
  assert.equal(reference['toy-replace'].iterations[0].mean, reference['toy-accumulate'].iterations[0].mean);
  assert.notEqual(reference['toy-replace'].iterations[2].mean, reference['toy-accumulate'].iterations[2].mean);
  // the collapse profile: every definition named; one seed gives no interval, so the loss increase is undecided
  for (const report of Object.values(reference)) {
    assert.deepEqual(Object.keys(report.profile), [...COLLAPSE_DEFINITIONS]);
    assert.deepEqual([report.profile.anyRiskIncrease.measurable, report.profile.anyRiskIncrease.holds], [true, null]);
    assert.match(report.profile.anyRiskIncrease.why, /one trajectory/);
    assert.equal(report.profile.divergingRisk.measurable, false);
  }
});

test('text output: the loss of each strategy side by side, the stand-in, the schedule; --out writes the figure data', async () => {
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const dir = join(root, 'text');
  const run = await mainInProcess([...TOY, '--out', dir, '--quiet']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '', '--quiet');
  assert.match(run.stdout, /^n\s+replace\s+accumulate/m);
  assert.match(run.stdout, /scaled-down stand-ins: compare trends/);
  assert.match(run.stdout, /a 1-D Gaussian fit by Adam/);
  assert.match(run.stdout, /schedule steps: replace 40 steps, accumulate 40 steps per fit \(matched compute: the same optimiser steps whatever the pool's size\)/);
  assert.deepEqual(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').map((line) => line.split(',').slice(0, 4).join(',')), [
    'part,model,strategy,iteration', 'toy-replace,toy,replace,1', 'toy-replace,toy,replace,2', 'toy-replace,toy,replace,3',
    'toy-accumulate,toy,accumulate,1', 'toy-accumulate,toy,accumulate,2', 'toy-accumulate,toy,accumulate,3',
  ]);
  const csv = readFileSync(join(dir, 'neural-collapse.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 2 * 3);
  const figure = JSON.parse(readFileSync(join(dir, 'neural-collapse.json'), 'utf8')) as { figure: { data: unknown[] } };
  assert.equal(figure.figure.data.length, 2);
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'complete');
  assert.deepStrictEqual(numbers(results(dir)), numbers(reference), 'the same seed, the same numbers');
});

test('SIGKILL at a random moment, then --resume: a damaged blob or checkpoint is refused (one line, exit 2, nothing changed); whole again, it resumes bit-identically', async () => {
  const dir = join(root, 'killed');
  const run = cli([...TOY, '--strategy', 'accumulate', '--out', dir, '--quiet']);
  await waitFor(() => partDone(dir, 'toy-accumulate') >= 1, 'the first checkpoint', 60_000);
  await sleep(Math.floor(Math.random() * 150)); // anywhere in generation 2 or 3 (a failure names the generation reached)
  run.child.kill('SIGKILL');
  const killed = await run.done;
  const at = partDone(dir, 'toy-accumulate');
  // it finished before the kill landed, or was killed between sealing its results and exiting: nothing to resume
  // (rare; the SIGINT test below always resumes)
  if (killed.code === 0 || existsSync(join(dir, 'results.json'))) return;
  assert.equal(killed.signal, 'SIGKILL');
  // damage: a bit of one blob, then one byte of the sealed checkpoint; each refused before anything is written
  const part = join(dir, 'runs', 'toy-accumulate');
  const checkpoint = join(part, 'checkpoint.json');
  const stored = (readSealed(checkpoint) as { state: { trajectory: { models: { sha256: string }[] } } }).state.trajectory;
  if (stored.models.length > 0) {
    // none once generation 3 is checkpointed (accumulate then needs no model); before that, model 1 or 2
    const blob = join(part, 'blobs', `${stored.models[0].sha256}.bin`);
    const good = readFileSync(blob);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0x40;
    writeFileSync(blob, bad);
    const before = snapshot(dir);
    const resumed = await mainInProcess(['neural', '--resume', dir]);
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.ok(isOneLineError(resumed.stderr), resumed.stderr);
    assert.match(resumed.stderr, /checkpoint's model \d+ \(blobs\/[0-9a-f]{64}\.bin\) is damaged/);
    assert.deepEqual(snapshot(dir), before, 'nothing changed');
    writeFileSync(blob, good);
  }
  const text = readFileSync(checkpoint, 'utf8');
  writeFileSync(checkpoint, text.replace('"done": ', '"done":  '));
  const before = snapshot(dir);
  let resumed = await mainInProcess(['neural', '--resume', dir]);
  assert.equal(resumed.code, 2);
  assert.ok(isOneLineError(resumed.stderr), resumed.stderr);
  assert.match(resumed.stderr, /^collapse: --resume .*checkpoint.json is damaged: its checksum does not match/);
  assert.deepEqual(snapshot(dir), before, 'nothing changed');
  writeFileSync(checkpoint, text);
  const whole = snapshot(dir);
  resumed = await mainInProcess(['neural', '--resume', dir, '--iterations', '4']);
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /^collapse: --resume .* --iterations 4 differs from its iterations 3 \(drop the flag\)$/m);
  assert.deepEqual(snapshot(dir), whole, 'nothing changed');
  process.env.COLLAPSE_NEURAL_BACKEND = 'cpu'; // another backend computes other floats: refused, not resumed
  resumed = await mainInProcess(['neural', '--resume', dir]);
  delete process.env.COLLAPSE_NEURAL_BACKEND;
  assert.equal(resumed.code, 2);
  assert.match(resumed.stderr, /ran on tfjs-wasm, this process would use tfjs-cpu; set COLLAPSE_NEURAL_BACKEND=wasm to resume it/);
  assert.deepEqual(snapshot(dir), whole, 'nothing changed');
  resumed = await mainInProcess(['neural', '--resume', dir, '--quiet', '--iterations', '3']); // a flag equal to the stored value is fine
  assert.equal(resumed.code, 0, `killed after generation ${at}: ${resumed.stderr}`);
  assert.deepStrictEqual(numbers(results(dir)), { 'toy-accumulate': numbers(reference)['toy-accumulate'] }, `killed after generation ${at}`);
});

test('SIGINT: the parent stops both children (two processes), says how to resume, exits 130; --resume here finishes bit-identically to one process', async () => {
  const dir = join(root, 'interrupted');
  const run = cli([...TOY, '--out', dir]);
  await waitFor(() => partDone(dir, 'toy-replace') >= 1 || partDone(dir, 'toy-accumulate') >= 1, 'a first checkpoint', 60_000);
  run.child.kill('SIGINT');
  const stopped = await run.done;
  if (stopped.code === 0) return; // finished before the signal: nothing to resume
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, new RegExp(`^collapse: interrupted; resume with: npx collapse neural --resume ${dir.replace(/[/\\]/g, '\\$&')}$`, 'm'));
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'interrupted');
  for (const part of ['toy-replace', 'toy-accumulate']) {
    const status = (readSealed(join(dir, 'runs', part, 'manifest.json')) as { status: string }).status;
    assert.ok(status === 'interrupted' || status === 'complete', `${part}: ${status}`); // a child that got the signal stopped cleanly
  }
  const resumed = await mainInProcess(['neural', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(numbers(results(dir)), numbers(reference));
});

test('the parent SIGKILLed: its children die with it, and --resume finishes bit-identically', async () => {
  const dir = join(root, 'orphaned');
  const run = cli([...TOY, '--iterations', '3', '--out', dir, '--quiet']);
  await waitFor(() => partDone(dir, 'toy-replace') >= 1 || partDone(dir, 'toy-accumulate') >= 1, 'a first checkpoint', 60_000);
  run.child.kill('SIGKILL');
  await run.done;
  // both children were forked at the start: wait until neither holds its part's lock (a dead pid's lock is stale)
  const idle = () => ['toy-replace', 'toy-accumulate'].every((part) => lockHolder(join(dir, 'runs', part)) === null);
  await waitFor(idle, 'both children to stop', 30_000);
  const resumed = await mainInProcess(['neural', '--resume', dir, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepStrictEqual(numbers(results(dir)), numbers(reference));
});

test('one part fails while its sibling runs: the failure (one line, its exit code 3) wins over the sibling the parent stopped', async () => {
  const dir = join(root, 'failing');
  // accumulate's pool reaches 3 data sets at generation 3 and fails there; replace (300-step fits) is still running
  const run = cli([...TOY_BASE, '--iterations', '5', '--schedule', 'steps:300', '--out', dir, '--quiet'], { COLLAPSE_NEURAL_TOY_FAIL: '3' });
  const failed = await run.done;
  assert.equal(failed.code, 3, failed.stderr);
  assert.ok(isOneLineError(failed.stderr), failed.stderr);
  assert.match(failed.stderr, /^collapse: numeric fault: toy-accumulate: toy: injected failure on a pool of 3 data sets/);
  assert.doesNotMatch(failed.stderr, /interrupted/);
  const status = (part: string) => (readSealed(join(dir, 'runs', part, 'manifest.json')) as { status: string }).status;
  assert.equal(status('toy-accumulate'), 'failed');
  assert.ok(['interrupted', 'complete'].includes(status('toy-replace')), status('toy-replace'));
  assert.equal((readSealed(join(dir, 'manifest.json')) as { status: string }).status, 'failed');
});

test('the parent SIGKILLed mid-fit: its children die within seconds (not after their fit), so a resume finds the parts unlocked at once', async () => {
  const dir = join(root, 'orphaned-mid-fit');
  // fits of 10,000 steps take ≥ 10 s: the old children finished theirs, holding their locks, before they noticed
  const args = [...TOY_BASE, '--iterations', '1', '--schedule', 'steps:10000', '--out', dir, '--quiet'];
  const run = cli(args);
  const parts = ['toy-replace', 'toy-accumulate'].map((part) => join(dir, 'runs', part));
  await waitFor(() => parts.every((part) => existsSync(join(part, '.lock'))), 'both children to start', 60_000);
  await sleep(1500); // into the fit (loading tfjs takes ~1 s)
  const pids = parts.map((part) => (JSON.parse(readFileSync(join(part, '.lock'), 'utf8')) as { pid: number }).pid);
  assert.ok(parts.every((part) => lockHolder(part) !== null), 'both children were fitting when the parent was killed');
  run.child.kill('SIGKILL');
  await run.done;
  const killed = performance.now();
  // what --resume checks of every part before it starts (src/cli/neural-part.ts checkPartDir)
  await waitFor(() => parts.every((part) => lockHolder(part) === null), 'both parts to be unlocked', 30_000);
  const seconds = (performance.now() - killed) / 1000;
  assert.ok(seconds < 4, `children (pids ${pids.join(', ')}) outlived their parent by ${seconds.toFixed(1)} s`);
  const status = (readSealed(join(dir, 'manifest.json')) as { status: string }).status;
  assert.equal(status, 'running', 'the parent was killed: its manifest still says running, and --resume takes it over');
});

type SeedReport = Omit<Results[string], 'iterations'> & {
  seeds: number;
  trajectories: { part: string; trajectory: number; loss: number[] }[];
  iterations: { mean: number; stderr: number; ci95: [number, number] }[];
  pairedDifference?: { minus: string; iterations: { mean: number; stderr: number; ci95: [number, number] }[] };
};

let seeded: Record<string, SeedReport> | undefined;
async function seededRun(): Promise<Record<string, SeedReport>> {
  if (seeded) return seeded;
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const dir = join(root, 'seeds');
  const run = await mainInProcess([...TOY, '--seeds', '3', '--out', dir, '--quiet']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  return (seeded = results(dir) as unknown as Record<string, SeedReport>);
}

test('--seeds 3: mean, s/√3 and the t interval (t₀.₉₇₅,₂ = 4.302653) of the 3 trajectories per generation; trajectory 1 is the single run; replace − accumulate paired', async () => {
  const r = await seededRun();
  assert.deepEqual(Object.keys(r), ['toy-replace', 'toy-accumulate']);
  for (const [id, report] of Object.entries(r)) {
    assert.equal(report.seeds, 3);
    assert.deepEqual(report.trajectories.map((t) => t.part), [1, 2, 3].map((k) => `${id}.seed${k}`));
    // trajectory 0 keeps the single run's key: bit-identical to the reference run (--seeds 1)
    assert.deepEqual(report.trajectories[0].loss, reference[id].iterations.map((row) => row.mean));
    // the three seeds are different trajectories (different init, data and samples)
    assert.notEqual(report.trajectories[1].loss[0], report.trajectories[0].loss[0]);
    report.iterations.forEach((row, i) => {
      const xs = report.trajectories.map((t) => t.loss[i]);
      const mean = (xs[0] + xs[1] + xs[2]) / 3;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
      assert.ok(Math.abs(row.mean - mean) <= 1e-12 * Math.abs(mean));
      assert.ok(Math.abs(row.stderr - sd / Math.sqrt(3)) <= 1e-12 * sd);
      assert.ok(Math.abs(row.ci95[1] - row.ci95[0] - 2 * 4.302653 * row.stderr) <= 1e-9 * row.stderr);
    });
  }
  const difference = r['toy-replace'].pairedDifference;
  assert.ok(difference);
  assert.equal(difference.minus, 'accumulate');
  // generation 1 is shared seed by seed (common random numbers): the paired difference is exactly 0 there
  assert.deepEqual([difference.iterations[0].mean, difference.iterations[0].stderr], [0, 0]);
  const d = [0, 1, 2].map((k) => r['toy-replace'].trajectories[k].loss[2] - r['toy-accumulate'].trajectories[k].loss[2]);
  assert.ok(Math.abs(difference.iterations[2].mean - (d[0] + d[1] + d[2]) / 3) <= 1e-12);
  assert.equal(r['toy-accumulate'].pairedDifference, undefined);
  // the profile's loss increase: the t interval of loss_3 − loss_1 paired over the 3 seeds decides it
  for (const report of Object.values(r)) {
    const diffs = report.trajectories.map((t) => t.loss[2] - t.loss[0]);
    const mean = (diffs[0] + diffs[1] + diffs[2]) / 3;
    const half = 4.302653 * Math.sqrt(diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2 / 3);
    const entry = report.profile.anyRiskIncrease;
    assert.equal(entry.holds, mean - half > 0 ? true : mean + half < 0 ? false : null);
    assert.equal(entry.basis, entry.holds === null ? null : 'measurement');
    assert.match(entry.why, /paired over 3 seeds/);
  }
});

test('--seeds in two processes, SIGKILLed and resumed: every trajectory resumes bit-identically; the text shows ± and the paired difference', async () => {
  const expected = await seededRun();
  const dir = join(root, 'seeds-killed');
  const run = cli([...TOY, '--seeds', '3', '--out', dir, '--quiet']);
  await waitFor(() => partDone(dir, 'toy-replace.seed1') >= 1, 'a first checkpoint', 60_000);
  run.child.kill('SIGKILL');
  await run.done;
  await waitFor(() => ['replace', 'accumulate'].every((s) => [1, 2, 3].every((k) => lockHolder(join(dir, 'runs', `toy-${s}.seed${k}`)) === null)), 'the children to die', 30_000);
  const resumed = await mainInProcess(['neural', '--resume', dir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const statistics = (r: Results) => Object.values(r as unknown as Record<string, SeedReport>).map(({ iterations, trajectories, pairedDifference }) => ({ iterations, trajectories, pairedDifference }));
  assert.deepStrictEqual(statistics(results(dir)), statistics(results(join(root, 'seeds'))), 'bit-identical, intervals included');
  assert.match(resumed.stdout, /± is the half-width of a 95% Student-t interval over the 3 seeds/);
  assert.match(resumed.stdout, /^n\s+replace\s+accumulate\s+replace − accumulate/m);
  const ci = expected['toy-replace'].iterations[1];
  assert.ok(resumed.stdout.includes(`± ${(Math.round(((ci.ci95[1] - ci.ci95[0]) / 2) * 1e4) / 1e4).toString().slice(0, 4)}`), resumed.stdout);
});

test('several schedules side by side, labelled: --schedule steps,steps:80 (and --quick alone compares epochs with matched steps)', async () => {
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const run = await mainInProcess([...TOY, '--schedule', 'steps,steps:80', '--iterations', '2']);
  const quick = await mainInProcess([...TOY_BASE, '--iterations', '1', '--json']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /schedule steps: replace 40 steps, accumulate 40 steps per fit \(matched compute/);
  assert.match(run.stdout, /schedule steps:80: replace 80 steps, accumulate 80 steps per fit \(matched compute/);
  assert.equal(quick.code, 0, quick.stderr);
  const json = JSON.parse(quick.stdout) as Record<string, { schedule: { kind: string; amount: number } }>;
  assert.deepEqual(Object.keys(json), ['toy-replace.epochs', 'toy-accumulate.epochs', 'toy-replace.steps', 'toy-accumulate.steps']);
  assert.deepEqual(json['toy-replace.epochs'].schedule, { kind: 'epochs', amount: 1 });
});

test('--schedule steps,converge:2000:2: early stopping beside fixed steps, labelled; each fit records where it stopped', async () => {
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const run = await mainInProcess([...TOY, '--schedule', 'steps,converge:2000:2', '--iterations', '2', '--json']);
  const text = await mainInProcess([...TOY, '--schedule', 'steps,converge:2000:2', '--iterations', '2']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout) as Record<string, { schedule: { kind: string; amount: number; patience: number }; iterations: { metrics: Record<string, number> }[] }>;
  assert.deepEqual(Object.keys(json), ['toy-replace.steps', 'toy-accumulate.steps', 'toy-replace.converge:2000:2', 'toy-accumulate.converge:2000:2']);
  assert.deepEqual(json['toy-replace.converge:2000:2'].schedule, { kind: 'converge', amount: 2000, patience: 2 });
  for (const row of json['toy-accumulate.converge:2000:2'].iterations) {
    const { steps, bestStep } = row.metrics;
    assert.ok(steps <= 2000 && bestStep <= steps);
    if (steps < 2000) assert.equal(steps - bestStep, 2 * 50, 'stopped 2 checks (of 50 steps) after the best');
  }
  assert.equal(json['toy-replace.steps'].iterations[0].metrics.steps, undefined, 'fixed steps record nothing');
  assert.match(text.stdout, /schedule converge:2000:2: replace ≤ 2000 steps \(patience 2 checks, one every 50 steps\), accumulate ≤ 2000 steps .*\(early stopping on a validation split of each fit's own pool \(never the test set\)/);
  assert.match(text.stdout, /^n\s+replace\s+accumulate\s+replace − accumulate\s+steps replace\s+steps accumulate/m);
});

test('augment:r draws r·m synthetic items per generation (m real + r·m synthetic in the pool), not m reweighted ones', async () => {
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const run = await mainInProcess([...TOY, '--strategy', 'replace,augment:2,augment:0.5', '--iterations', '3', '--json']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout) as Record<string, { iterations: { metrics: Record<string, number> }[] }>;
  const items = (id: string) => json[id].iterations.map((row) => row.metrics.poolItems);
  assert.deepEqual(items('toy-replace'), [60, 60, 60]);
  assert.deepEqual(items('toy-augment:2'), [60, 60 + 120, 60 + 120]);
  assert.deepEqual(items('toy-augment:0.5'), [60, 60 + 30, 60 + 30]);
});

test('size flags reach the family: --model lm --width 24 --heads 3 --layers 1 --context 8 builds that transformer; --temperature 0 is greedy', async () => {
  const { buildFamily, neuralParts, validateNeuralConfig } = await import('../../src/experiments/neural.js');
  const config = validateNeuralConfig({ model: 'lm', width: 24, heads: 3, layers: 1, context: 8, temperature: 0, quick: true, schedule: 'steps:1', samples: 4, 'test-samples': 2 });
  const family = await buildFamily(neuralParts(config)[0]);
  assert.deepEqual([family.settings.dModel, family.settings.heads, family.settings.layers, family.settings.context, family.settings.temperature], [24, 3, 1, 8, 0]);
  const vae = await buildFamily(neuralParts(validateNeuralConfig({ model: 'vae', hidden: 40, latent: 3, quick: true }))[0]);
  assert.deepEqual([vae.settings.hidden, vae.settings.latent], [40, 3]);
  const ddpm = await buildFamily(neuralParts(validateNeuralConfig({ model: 'diffusion', 'ddpm-width': 48, 'ddpm-steps': 30, quick: true }))[0]);
  assert.deepEqual([ddpm.settings.hidden, ddpm.settings.levels], [48, 30]);
});

test('--corpus FILE and --images DIR|FILE: a run on small files made here; bad files are one line naming the file, exit 2, nothing written', async () => {
  const { PNG } = await import('pngjs');
  const data = join(root, 'data');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(data, 'pngs'), { recursive: true });
  // text: 40 short stories, one per paragraph; JSON Lines of the same
  const stories = Array.from({ length: 40 }, (_, i) => `once upon a time a ${['cat', 'fox', 'owl'][i % 3]} named ${i} walked to the river and sat down.`);
  writeFileSync(join(data, 'stories.txt'), stories.join('\n\n'));
  writeFileSync(join(data, 'stories.jsonl'), stories.map((text) => JSON.stringify({ text })).join('\n'));
  // images: 20 PNGs of 40×30 RGB (a bright bar whose place varies), and an IDX file of 12 images of 6×5
  for (let i = 0; i < 20; i++) {
    const png = new PNG({ width: 40, height: 30 });
    for (let p = 0; p < 40 * 30; p++) {
      const bright = Math.floor((p % 40) / 4) === i % 10;
      png.data.set(bright ? [255, 255, 255, 255] : [0, 0, 0, 255], 4 * p);
    }
    writeFileSync(join(data, 'pngs', `img${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
  }
  const idx = Buffer.alloc(16 + 12 * 30);
  idx.writeUInt32BE(0x803, 0);
  idx.writeUInt32BE(12, 4);
  idx.writeUInt32BE(5, 8);
  idx.writeUInt32BE(6, 12);
  for (let i = 0; i < 12 * 30; i++) idx[16 + i] = (i * 7) % 256;
  writeFileSync(join(data, 'tiny.idx'), idx);
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const tinyLm = ['--width', '8', '--heads', '2', '--layers', '1', '--context', '8', '--samples', '16', '--test-samples', '8', '--iterations', '2', '--schedule', 'steps:2', '--json', '--strategy', 'replace'];
  const tinyVae = ['--hidden', '8', '--latent', '2', '--samples', '10', '--test-samples', '2', '--iterations', '2', '--schedule', 'steps:2', '--json', '--strategy', 'replace'];
  const text = await mainInProcess(['neural', '--model', 'lm', '--corpus', join(data, 'stories.txt'), ...tinyLm]);
  const jsonl = await mainInProcess(['neural', '--model', 'lm', '--corpus', join(data, 'stories.jsonl'), ...tinyLm]);
  const pngs = await mainInProcess(['neural', '--model', 'vae', '--images', join(data, 'pngs'), ...tinyVae]);
  const idxRun = await mainInProcess(['neural', '--model', 'vae', '--images', join(data, 'tiny.idx'), ...tinyVae, '--samples', '9', '--test-samples', '1']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  for (const run of [text, jsonl, pngs, idxRun]) assert.equal(run.code, 0, run.stderr);
  type Out = Record<string, { standIn: string; iterations: { mean: number }[]; settings: Record<string, unknown> }>;
  const [t, j, p, x] = [text, jsonl, pngs, idxRun].map((run) => JSON.parse(run.stdout) as Out);
  assert.match(t['lm-replace'].standIn, /stories\.txt \(40 documents, \d+ characters; every 10th document held out/);
  assert.deepEqual(j['lm-replace'].iterations.map((r) => r.mean), t['lm-replace'].iterations.map((r) => r.mean), 'the same documents, as text or JSON Lines, give the same run');
  assert.match(p['vae-replace'].standIn, /^20 PNG files from pngs \(centre-cropped square, resized to 28×28, binarised at > 127\); every 10th image held out/);
  assert.match(x['vae-replace'].standIn, /12 6×5 images of the IDX file tiny\.idx.*MLP VAE 30-8-2/);
  const bad: [string[], RegExp][] = [
    [['--model', 'lm', '--corpus', join(data, 'missing.txt')], /^collapse: --corpus .*missing\.txt: cannot read it \(ENOENT\)$/m],
    [['--model', 'lm', '--corpus', join(data, 'pngs')], /^collapse: --corpus .*pngs: is a directory/m],
    [['--model', 'lm', '--corpus', join(data, 'tiny.idx')], /^collapse: --corpus .*tiny\.idx: \d+ documents?; at least 10 are needed/m],
    [['--model', 'vae', '--images', join(data, 'stories.txt')], /^collapse: --images .*stories\.txt: IDX magic \d+, expected 2051/m],
    [['--model', 'vae', '--images', join(data, 'nowhere')], /^collapse: --images .*nowhere: cannot read it \(ENOENT\)$/m],
    [['--model', 'vae', '--corpus', join(data, 'stories.txt')], /^collapse: --corpus applies to the lm only; got it with --model vae$/m],
  ];
  writeFileSync(join(data, 'broken.jsonl'), '{"text": "fine"}\n{not json}\n');
  bad.push([['--model', 'lm', '--corpus', join(data, 'broken.jsonl')], /^collapse: --corpus .*broken\.jsonl: line 2 is not JSON/m]);
  mkdirSync(join(data, 'badpng'), { recursive: true });
  writeFileSync(join(data, 'badpng', 'a.png'), 'not a png');
  bad.push([['--model', 'vae', '--images', join(data, 'badpng')], /^collapse: --images .*a\.png: not a readable PNG/m]);
  for (const [args, pattern] of bad) {
    const out = join(root, 'bad-data');
    const run = await mainInProcess(['neural', ...args, '--out', out]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), run.stderr);
    assert.match(run.stderr, pattern);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('--conformers FILE.sdf: a run on a multi-conformer SDF made here (openchemlib); bad files are one line, exit 2, nothing written', async () => {
  const OCL = await import('openchemlib');
  OCL.Resources.registerFromNodejs();
  const data = join(root, 'sdf');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(data, { recursive: true });
  // 12 conformers of pentanol: openchemlib's first one, moved a little per entry (so the entries differ)
  const molecule = OCL.Molecule.fromSmiles('CCCCCO');
  const generator = new OCL.ConformerGenerator(1);
  assert.ok(generator.initializeConformers(molecule));
  const conformer = generator.getNextConformerAsMolecule() as InstanceType<typeof OCL.Molecule>;
  const entries: string[] = [];
  for (let k = 0; k < 12; k++) {
    const copy = conformer.getCompactCopy();
    for (let a = 0; a < copy.getAllAtoms(); a++) copy.setAtomX(a, copy.getAtomX(a) + 0.03 * Math.sin(7 * k + a));
    entries.push(copy.toMolfile());
  }
  const sdf = (list: string[]) => list.map((m) => `${m}\n$$$$\n`).join('');
  writeFileSync(join(data, 'pentanol.sdf'), sdf(entries));
  writeFileSync(join(data, 'five.sdf'), sdf(entries.slice(0, 5)));
  const flat = OCL.Molecule.fromSmiles('CCCCCO');
  flat.inventCoordinates();
  writeFileSync(join(data, 'flat.sdf'), sdf(Array.from({ length: 12 }, () => flat.toMolfile())));
  const other = OCL.Molecule.fromSmiles('CCO');
  other.inventCoordinates();
  writeFileSync(join(data, 'mixed.sdf'), sdf([...entries.slice(0, 11), other.toMolfile()]));
  process.env.COLLAPSE_NEURAL_PROCESSES = '1';
  const run = await mainInProcess(['neural', '--model', 'diffusion', '--conformers', join(data, 'pentanol.sdf'), '--ddpm-width', '8', '--ddpm-steps', '5', '--samples', '20', '--test-samples', '5', '--iterations', '2', '--schedule', 'steps:2', '--strategy', 'replace', '--json']);
  delete process.env.COLLAPSE_NEURAL_PROCESSES;
  assert.equal(run.code, 0, run.stderr);
  const report = (JSON.parse(run.stdout) as Record<string, { standIn: string; settings: Record<string, number>; iterations: { mean: number }[] }>)['diffusion-replace'];
  assert.match(report.standIn, /12 conformers of 6 heavy atoms from pentanol\.sdf \(centred, Kabsch-aligned to the first; every 10th held out\)/);
  assert.deepEqual([report.settings.dim, report.settings.jitter, report.settings.hidden, report.settings.levels], [18, 0, 8, 5]);
  assert.ok(report.iterations.every((r) => Number.isFinite(r.mean)));
  const bad: [string, RegExp][] = [
    [join(data, 'missing.sdf'), /^collapse: --conformers .*missing\.sdf: cannot read it \(ENOENT\)$/m],
    [join(data, 'five.sdf'), /^collapse: --conformers .*five\.sdf: 5 conformers; at least 10 are needed/m],
    [join(data, 'flat.sdf'), /^collapse: --conformers .*flat\.sdf: entry 1 is flat \(every z is 0\)/m],
    [join(data, 'mixed.sdf'), /^collapse: --conformers .*mixed\.sdf: entry 12 is another molecule/m],
  ];
  for (const [file, pattern] of bad) {
    const out = join(root, 'bad-sdf');
    const failed = await mainInProcess(['neural', '--model', 'diffusion', '--conformers', file, '--out', out]);
    assert.equal(failed.code, 2, `${file}: ${failed.stderr}`);
    assert.ok(isOneLineError(failed.stderr), failed.stderr);
    assert.match(failed.stderr, pattern);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});
