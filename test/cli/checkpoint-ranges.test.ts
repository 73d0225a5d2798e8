/**
 * A sealed checkpoint is a checksum, not a signature (issue 15, item 15): edited and sealed again, it must still be
 * refused when its values could not have come from the run. Here for `verify --resume` (stored verdicts) and
 * `figures --resume` (stored figure entries); the trajectory readers are tested in test/loop/checkpoint.test.ts and
 * test/models/external/errors.test.ts. Also: `sweep collect FILE | head -1` exits quietly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunStore } from '../../src/core/run-store.js';
import { galleryConfig } from '../../src/figures/gallery.js';
import { FIGURES } from '../../src/figures/index.js';
import { collapseSync, firstLineThenClose, isOneLineError, snapshot, tamper } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-checkpoint-ranges-'));
type State = Record<string, any>;

/** Each edit, applied to a fresh copy of DIR's files and re-sealed, is refused by `resume` with one line, exit 2, nothing changed. */
function assertRefused(dir: string, resume: string[], edits: [string, (s: State) => void][], env: Record<string, string> = {}): void {
  const files = ['checkpoint.json', 'manifest.json'].map((name) => [name, readFileSync(join(dir, name))] as const);
  for (const [what, edit] of edits) {
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    tamper(dir, edit);
    const before = snapshot(dir);
    const run = collapseSync(resume, env);
    assert.equal(run.code, 2, `${what}: ${run.stderr}`);
    assert.ok(isOneLineError(run.stderr), `${what}: ${run.stderr}`);
    assert.match(run.stderr, /its checkpoint.json does not fit .* nothing was changed/, what);
    assert.deepEqual(snapshot(dir), before, `${what}: the directory changed`);
  }
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

test('verify --resume refuses re-sealed verdicts that verify could not have given', () => {
  const dir = join(root, 'verify');
  // the six Gaussian cases at the smallest trial count: each takes well under a second
  const run = collapseSync(['verify', '--only', 'gaussian', '--trials-reduced', '300', '--seed', '5', '--out', dir, '--quiet']);
  assert.ok(run.code === 0 || run.code === 4, run.stderr);
  const cases = (s: State) => (s.cases = s.cases.slice(0, 2)); // as if stopped after case 2
  const row = (s: State) => s.cases[0].report.iterations[1];
  assertRefused(dir, ['verify', '--resume', dir, '--quiet'], [
    ['a mean of 5e303', (s) => (cases(s), (row(s).mean = 5e303))],
    ['a mean that z and the interval do not follow', (s) => (cases(s), (row(s).mean *= 2))],
    ['a negative standard error', (s) => (cases(s), (row(s).stderr = -row(s).stderr))],
    ['a NaN-like string for |z|', (s) => (cases(s), (s.cases[1].maxAbsZ = 'NaN'))],
    ['a PASS that lists failures', (s) => (cases(s), (s.cases[0].pass = true), (s.cases[0].failures = ['n=1 mean: z=9.00']))],
    ['a verdict of another case', (s) => (cases(s), ([s.cases[0], s.cases[1]] = [s.cases[1], s.cases[0]]))],
    ['a report of another configuration', (s) => (cases(s), (s.cases[0].report.config.samples = 51))],
  ]);
  // the same checkpoint, cut after case 2 but otherwise as written, resumes
  tamper(dir, cases);
  const resumed = collapseSync(['verify', '--resume', dir, '--quiet']);
  assert.ok(resumed.code === 0 || resumed.code === 4, resumed.stderr);
});

test('figures --resume refuses re-sealed figure entries: negative or infinite seconds, no traces, 5e303, a bad image size', () => {
  const dir = join(root, 'gallery');
  const figures = FIGURES.filter((f) => f.id === 'kernel-throughput');
  const store = RunStore.create(dir, false, { command: 'figures', config: galleryConfig({ quick: true, seed: 3, backend: 'cpu', figures }), seed: 3, backend: null, backendReason: null });
  const output = {
    figure: { data: [{ type: 'scatter', x: [1, 2, 3], y: [4, NaN, 6] }], layout: { title: { text: 't' } } },
    caption: 'a figure made before the interruption',
    data: { throughput: [1.5e9, 2e9] },
    csv: 'x,y\n1,4\n3,6\n',
    image: { width: 900, height: 500, scale: 2 },
  };
  store.saveCheckpoint({ figures: { 'kernel-throughput': { output, seconds: 1.25 } }, backend: null }, 1.25);
  store.finish('interrupted');
  const ENV = { COLLAPSE_CHROMIUM: join(root, 'no-chromium') };
  const entry = (s: State) => s.figures['kernel-throughput'];
  assertRefused(dir, ['figures', '--resume', dir, '--quiet'], [
    ['negative seconds', (s) => (entry(s).seconds = -1)],
    ['infinite seconds', (s) => (entry(s).seconds = { $number: 'Infinity' })],
    ['an output without a figure', (s) => (entry(s).output = {})],
    ['a plotted value of 5e303', (s) => (entry(s).output.figure.data[0].y[0] = 5e303)],
    ['a value of -Infinity in its data', (s) => (entry(s).output.data.throughput[0] = { $number: '-Infinity' })],
    ['an image 0 pixels wide', (s) => (entry(s).output.image.width = 0)],
    ['both an output and a reason it was skipped', (s) => (entry(s).skipped = 'no GPU')],
  ], ENV);
  // as written, the entry is taken and the gallery finished from it (no figure is computed again)
  const resumed = collapseSync(['figures', '--resume', dir, '--quiet'], ENV);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(readFileSync(join(dir, 'kernel-throughput.csv'), 'utf8'), output.csv);
  assert.ok(existsSync(join(dir, 'index.html')));
});

test('a broken pipe (collapse sweep collect FILE | head -1) exits quietly with 0', async () => {
  const sweep = join(root, 'sweep.yaml');
  writeFileSync(sweep, `command: linear\nout: ${join(root, 'sweep-out')}\nbase: { dim: 2, samples: 6, iterations: 300, trials: 100, backend: cpu }\ngrid: { seed: [1, 2, 3, 4] }\n`);
  assert.equal(collapseSync(['sweep', 'run', sweep, '--quiet']).code, 0);
  // the table (1,200 rows, ~200 kB) outgrows a pipe's buffer: the write still pending when the reader goes meets EPIPE
  const run = await firstLineThenClose(['sweep', 'collect', sweep]);
  assert.match(run.line, /strategy/);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
});
