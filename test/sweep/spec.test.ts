/**
 * Sweep files: expansion into cells, ids from the resolved configuration (stable under key order, explicit
 * defaults and YAML/JSON), dedupe of repeated cells, and one-line errors naming the file and the key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { cellFlags, loadSweep, MAX_CELLS } from '../../src/sweep/spec.js';

const dir = mkdtempSync(join(tmpdir(), 'collapse-sweep-spec-'));
let n = 0;
function file(content: unknown, ext = '.json'): string {
  const path = join(dir, `s${n++}${ext}`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const GRID = { command: 'linear', base: { dim: 4, samples: 20, trials: 100 }, grid: { strategy: ['replace', 'accumulate'], iterations: [2, 3, 4] }, seeds: 2 };

test('a grid expands to the product × seeds, the last key fastest and seeds innermost', () => {
  const sweep = loadSweep(file(GRID));
  assert.equal(sweep.cells.length, 2 * 3 * 2);
  assert.deepEqual(sweep.cells.slice(0, 3).map((c) => c.options), [
    { dim: 4, samples: 20, trials: 100, strategy: 'replace', iterations: 2, seed: 0 },
    { dim: 4, samples: 20, trials: 100, strategy: 'replace', iterations: 2, seed: 1 },
    { dim: 4, samples: 20, trials: 100, strategy: 'replace', iterations: 3, seed: 0 },
  ]);
  assert.equal(new Set(sweep.cells.map((c) => c.id)).size, 12, 'distinct cells, distinct ids');
  for (const cell of sweep.cells) {
    assert.match(cell.id, /^[0-9a-f]{16}$/);
    assert.equal(cell.dir, join(sweep.out, 'cells', cell.id));
    assert.equal(cell.config.noise, 1, 'defaults are resolved into the configuration');
  }
  assert.deepEqual([sweep.attempts, sweep.backoffSeconds, sweep.timeoutSeconds], [3, 5, 3600]);
  assert.equal(sweep.name, 's0');
});

test('ids depend on the resolved configuration only: key order, explicit defaults and YAML give the same ids', () => {
  const a = loadSweep(file(GRID)).cells.map((c) => c.id);
  const reordered = { seeds: 2, grid: { strategy: ['replace', 'accumulate'], iterations: [2, 3, 4] }, base: { trials: 100, samples: 20, dim: 4, noise: 1, method: 'full' }, command: 'linear' };
  assert.deepEqual(loadSweep(file(reordered)).cells.map((c) => c.id), a);
  const yaml = 'command: linear\nbase: {dim: 4, samples: 20, trials: 100}\ngrid:\n  strategy: [replace, accumulate]\n  iterations: [2, 3, 4]\nseeds: [0, 1]\n';
  assert.deepEqual(loadSweep(file(yaml, '.yaml')).cells.map((c) => c.id), a);
  const other = loadSweep(file({ ...GRID, base: { ...GRID.base, trials: 101 } })).cells.map((c) => c.id);
  assert.equal(other.filter((id) => a.includes(id)).length, 0, 'another trial count: other cells');
  assert.notEqual(loadSweep(file({ command: 'gaussian', base: { dim: 2 } })).cells[0].id, loadSweep(file({ command: 'gaussian', base: { dim: 3 } })).cells[0].id);
});

test('repeated cells (grid and cells list, a value written twice) are one cell', () => {
  const sweep = loadSweep(file({ command: 'linear', base: { dim: 4, samples: 20 }, grid: { iterations: [2, 2, '2'] }, cells: [{ iterations: 2 }, { iterations: 5 }] }));
  assert.deepEqual(sweep.cells.map((c) => c.config.iterations), [2, 5]);
  assert.equal(loadSweep(file({ command: 'linear' })).cells.length, 1, 'no grid: one cell of the base');
  assert.equal(loadSweep(file({ command: 'linear', cells: [{ dim: 3 }, { dim: 5 }] })).cells.length, 2, 'cells only: no empty product');
});

test('cell flags: --key=value (a value may start with a dash), booleans bare', () => {
  assert.deepEqual(cellFlags({ strategy: 'weights:-n', dim: 4, quiet: true, off: false }), ['--strategy=weights:-n', '--dim=4', '--quiet']);
});

const BAD: [unknown, string, RegExp][] = [
  ['{', '.json', /: not valid JSON \(/],
  ['a: [', '.yaml', /: not valid YAML \(/],
  [[1, 2], '.json', /must hold a mapping .*; got a list/],
  [{ command: 'linaer' }, '.json', /command must be one of linear, gaussian, categorical, neural, loop, strong, curate; got "linaer" \(did you mean 'linear'\?\)/],
  [{ command: 'linear', gird: {} }, '.json', /unknown key "gird" \(did you mean 'grid'\?\)/],
  [{ command: 'linear', base: { dimm: 3 } }, '.json', /base\.dimm: unknown option "dimm" of collapse linear \(did you mean 'dim'\?\)/],
  [{ command: 'linear', base: { out: 'x' } }, '.json', /base\.out: out is set by the sweep for each cell/],
  [{ command: 'linear', grid: { dim: [4, 0] } }, '.json', /grid\.dim\[1\]: --dim must be an integer in \[1, 1024\]; got 0/],
  [{ command: 'linear', grid: { dim: [] } }, '.json', /grid\.dim must list at least one value; got \[\]/],
  [{ command: 'linear', grid: { dim: [[4]] } }, '.json', /grid\.dim\[0\]: must be a single value; got a list/],
  [{ command: 'linear', grid: [1] }, '.json', /grid must be a mapping/],
  [{ command: 'linear', base: { dim: 50, samples: 20, method: 'reduced' } }, '.json', /cell \{dim: 50, samples: 20, method: reduced\}: --samples must be ≥ dim \+ 2/],
  [{ command: 'linear', grid: { strategy: ['replace', 'acumulate'] } }, '.json', /cell \{strategy: acumulate\}: .*acumulate/],
  [{ command: 'linear', seeds: 0 }, '.json', /seeds must be an integer in \[1, 10000\]; got 0/],
  [{ command: 'linear', seeds: [1, -1] }, '.json', /seeds\[1\] must be an integer in \[0, 4294967295\]; got -1/],
  [{ command: 'linear', seeds: 2, base: { seed: 3 } }, '.json', /seeds and an option seed both set the seed/],
  [{ command: 'linear', attempts: 2.5 }, '.json', /attempts must be an integer in \[1, 100\]; got 2\.5/],
  [{ command: 'linear', timeout: '60' }, '.json', /timeout must be an integer in \[1, 604800\]; got "60"/],
  [{ command: 'linear', name: 'a b' }, '.json', /name must be letters, digits/],
  [{ command: 'linear', cells: [] }, '.json', /cells must be a non-empty list/],
];

test('malformed sweep files: one UsageError line naming the file and the key', () => {
  for (const [content, ext, pattern] of BAD) {
    const path = file(content, ext);
    assert.throws(() => loadSweep(path), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${JSON.stringify(content)}: a UsageError`);
      assert.ok(error.message.startsWith(`sweep ${path}: `), error.message);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
  assert.throws(() => loadSweep(join(dir, 'missing.yaml')), /cannot read it \(no such file\)/);
  assert.throws(() => loadSweep(file('command: linear', '.txt')), /use a \.json, \.yaml or \.yml file/);
});

test(`a grid of more than ${MAX_CELLS} cells is refused before expanding it`, () => {
  const big = { command: 'linear', grid: { dim: Array.from({ length: 101 }, (_, i) => i + 1), iterations: Array.from({ length: 100 }, (_, i) => i + 1) } };
  assert.throws(() => loadSweep(file(big)), /the grid has 10100 cells; at most 10000/);
  assert.equal(loadSweep(file({ command: 'linear', base: { samples: 200 }, grid: { dim: Array.from({ length: 101 }, (_, i) => i + 1) } })).cells.length, 101);
});

test('the cell count is checked before the grid is expanded: 5 keys × 60 values is refused at once', () => {
  const sixty = (from: number) => Array.from({ length: 60 }, (_, i) => from + i);
  const huge = { command: 'linear', grid: { dim: sixty(1), samples: sixty(100), iterations: sixty(1), trials: sixty(100), noise: sixty(1) } };
  // expanded first, this built 7.8·10^8 rows (105 s, 4.7 GB) and crashed the V8 heap
  assert.throws(() => loadSweep(file(huge)), (e: Error) => e instanceof UsageError && /the grid has 777600000 cells; at most 10000/.test(e.message));
  assert.throws(() => loadSweep(file({ ...huge, seeds: 10_000 })), /the grid has 7776000000000 cells/);
});

test('names of Object\'s prototype as a strategy in a grid are one-line errors naming the cell', () => {
  for (const strategy of ['toString', '__proto__:1', 'constructor:1', 'valueOf:1', 'hasOwnProperty']) {
    assert.throws(
      () => loadSweep(file({ command: 'gaussian', grid: { strategy: ['replace', strategy] } })),
      (e: Error) => e instanceof UsageError && e.message.includes(`cell {strategy: ${strategy}}: --strategy must be one of`) && !e.message.includes('\n'),
      strategy,
    );
  }
});

test('the example sweeps/paper-linear-slice.yaml: 8 cells of the paper grid, d = 32, T ∈ {100, 316}, seeds 0 and 1', () => {
  const sweep = loadSweep(new URL('../../sweeps/paper-linear-slice.yaml', import.meta.url).pathname);
  assert.equal(sweep.command.name, 'linear');
  assert.equal(sweep.cells.length, 8);
  assert.deepEqual([...new Set(sweep.cells.map((c) => `${c.config.strategy} T=${c.config.samples}`))], ['replace T=100', 'replace T=316', 'accumulate T=100', 'accumulate T=316']);
  assert.deepEqual(sweep.cells.map((c) => c.config.seed), [0, 1, 0, 1, 0, 1, 0, 1]);
  for (const cell of sweep.cells) assert.equal(cell.config.dim, 32);
});
