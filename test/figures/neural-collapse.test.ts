import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildNeuralFigure, neuralCaption, neuralCollapse, neuralFigureCsv, NEURAL_RUN_ENV, readNeuralResults } from '../../src/figures/neural-collapse.js';
import type { NeuralPartReport } from '../../src/experiments/neural.js';

function report(model: string, strategy: string, losses: number[]): NeuralPartReport {
  return {
    config: { part: `${model}-${strategy}`, model, strategy, iterations: losses.length, seed: 0, quick: true },
    backend: 'tfjs-wasm',
    backendReason: 'test',
    seconds: 1,
    model,
    strategy,
    metric: `${model} test loss (nats/x)`,
    standIn: `${model} stand-in`,
    schedule: { kind: 'epochs', amount: 5 },
    settings: {},
    iterations: losses.map((loss, i) => ({ iteration: i + 1, mean: loss, stderr: null, ci95: null, theory: null, z: null, metrics: { loss } })),
  };
}

const reports = [
  report('vae', 'replace', [125, 145, 163]),
  report('vae', 'accumulate', [125, 119, 118]),
  report('lm', 'replace', [2.2, 2.4, 2.5]),
  report('lm', 'accumulate', [2.2, 2.3, 2.3]),
];

test('neural-collapse: one panel per family in the paper\'s order, one line per strategy with one colour in every panel', () => {
  const figure = buildNeuralFigure(reports);
  assert.equal(figure.data.length, 4);
  const lm = figure.data.filter((t) => t.xaxis === 'x');
  const vae = figure.data.filter((t) => t.xaxis === 'x2');
  assert.deepEqual(lm.map((t) => t.name), ['replace', 'accumulate'], 'lm first (the paper\'s order), though listed second');
  assert.deepEqual(vae.map((t) => t.y), [[125, 145, 163], [125, 119, 118]]);
  assert.equal((lm[0].line as { color: string }).color, (vae[0].line as { color: string }).color);
  assert.notEqual((lm[0].line as { color: string }).color, (lm[1].line as { color: string }).color);
  assert.deepEqual(figure.data.map((t) => t.showlegend), [true, true, false, false], 'legend once per strategy');
  assert.deepEqual((figure.layout.yaxis as { title: { text: string } }).title.text, 'test loss (nats/x)');
  assert.deepEqual((figure.layout.annotations as { text: string }[]).map((a) => a.text), ['lm: lm test loss', 'vae: vae test loss']);
  assert.deepEqual((figure.layout.grid as { columns: number }).columns, 2);
  assert.throws(() => buildNeuralFigure([]), /no runs/);
});

test('neural-collapse: CSV one row per part and iteration; caption honest about stand-ins', () => {
  const csv = neuralFigureCsv(reports).trim().split('\n');
  assert.equal(csv.length, 1 + 4 * 3);
  assert.match(csv[1], /^vae,replace,1,125,/);
  const caption = neuralCaption(reports, 'x/results.json');
  assert.match(caption, /Scaled-down stand-ins: compare the trends/);
  assert.match(caption, /^.*lm: lm stand-in; 5 epochs per fit\..*vae: vae stand-in/);
});

test('neural-collapse: the gallery reads a run directory (COLLAPSE_NEURAL_RUN) or is skipped with how to make one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'collapse-neural-figure-'));
  const context = { quick: true, seed: 0, command: 'test', root: dir, log: () => undefined, backend: () => Promise.reject(new Error('unused')) };
  process.env[NEURAL_RUN_ENV] = dir;
  try {
    const skipped = await neuralCollapse.make(context);
    assert.ok('skipped' in skipped && /npx collapse neural --quick --out/.test(skipped.skipped));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ 'vae-replace': reports[0], 'vae-accumulate': reports[1] }));
    const made = await neuralCollapse.make(context);
    assert.ok(!('skipped' in made));
    assert.equal(made.figure.data.length, 2);
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ a: { iterations: 3 } }));
    assert.ok('skipped' in readNeuralResults(dir));
  } finally {
    delete process.env[NEURAL_RUN_ENV];
  }
});

test('neural-collapse with --seeds: a 95% band under each line (from ci95), the caption says how many seeds and what the band is', () => {
  const seeded = reports.map((r) => ({
    ...r,
    seeds: 3,
    iterations: r.iterations.map((row) => ({ ...row, stderr: 0.1, ci95: [row.mean - 0.43, row.mean + 0.43] as [number, number] })),
  }));
  const figure = buildNeuralFigure(seeded);
  assert.equal(figure.data.length, 8, 'a band and a line per part');
  const bands = figure.data.filter((t) => t.fill === 'toself');
  assert.equal(bands.length, 4);
  const lmReplace = bands.find((t) => t.xaxis === 'x' && t.legendgroup === 'replace') as { x: number[]; y: number[] };
  assert.deepEqual(lmReplace.x, [1, 2, 3, 3, 2, 1]);
  assert.deepEqual(lmReplace.y.map((v) => Math.round(v * 100) / 100), [2.63, 2.83, 2.93, 2.07, 1.97, 1.77]);
  assert.match(neuralCaption(seeded, 'x'), /the mean over 3 seeds; bands: 95% Student-t intervals \(2 df/);
  const csv = neuralFigureCsv(seeded).trim().split('\n');
  assert.match(csv[0], /seeds,ci95_low,ci95_high$/);
  assert.match(csv[1], /^vae,replace,1,125,.*,3,124\.57,125\.43$/);
});

test('neural-collapse with two schedules: one legend entry per strategy and schedule kind across panels (amounts differ by family), the second kind dashed', () => {
  const both = reports.flatMap((r) => [
    { ...r, schedule: { kind: 'epochs' as const, amount: r.model === 'lm' ? 3 : 5 } },
    { ...r, schedule: { kind: 'steps' as const, amount: r.model === 'lm' ? 113 : 157 } },
  ]);
  const figure = buildNeuralFigure(both);
  const lines = figure.data.filter((t) => t.fill === undefined);
  assert.deepEqual([...new Set(lines.map((t) => t.legendgroup))], ['replace (epochs)', 'replace (steps)', 'accumulate (epochs)', 'accumulate (steps)']);
  assert.deepEqual(lines.filter((t) => t.showlegend).map((t) => t.name), ['replace (epochs)', 'replace (steps)', 'accumulate (epochs)', 'accumulate (steps)']);
  assert.deepEqual(lines.map((t) => (t.line as { dash: string }).dash), ['solid', 'dash', 'solid', 'dash', 'solid', 'dash', 'solid', 'dash']);
  assert.match(neuralCaption(both, 'x'), /lm: lm stand-in; 3 epochs \(solid\) vs 113 steps \(dashed\) per fit/);
});
