/**
 * The lm-size-temperature figure on a synthetic sweep (numbers in, traces and bands out): rows by model size,
 * columns by temperature from 1 to greedy, per panel replace and accumulate with their 95% t-bands over the seeds
 * (the same summaries sweep collect writes), the bigram baseline, and a caption that names the schedule and the bands.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIGURES } from '../../src/figures/index.js';
import { buildLmSweepFigure, lmSweepCaption, lmSweepCsv, lmSweepData, readLmSweep, type LmGroupResult } from '../../src/figures/lm-size-temperature.js';
import type { NeuralPartReport } from '../../src/experiments/neural.js';
import { cellGroups, type CellParts } from '../../src/sweep/groups.js';

const WIDTHS = [32, 16]; // given out of order: rows sort by parameter count
const TEMPERATURES = [0, 1, 0.3];
const SEEDS = [0, 1, 2];
/** loss of a (width, temperature, strategy, seed) at generation n: replace rises, faster when greedy */
const loss = (d: number, t: number, strategy: string, seed: number, n: number) =>
  2.6 - d / 160 + (strategy === 'replace' ? (n - 1) * (t === 0 ? 0.3 : 0.1) : 0) + 0.01 * (seed - 1) * (strategy === 'replace' ? 2 : 1);

function report(d: number, t: number, strategy: string, seed: number, schedule = { kind: 'epochs' as const, amount: 3 }): NeuralPartReport {
  return {
    model: 'lm',
    strategy,
    metric: 'test cross-entropy (nats/char) on held-out real text',
    schedule,
    settings: { corpus: 'wordnet', dModel: d, layers: 2, heads: 4, context: 32, parameters: d * 1000, temperature: t },
    baselines: { values: { unigram: 3.1, bigram: 2.43 + 0.01 * seed }, target: 'bigram', description: '' },
    iterations: [1, 2, 3].map((n) => ({ iteration: n, mean: loss(d, t, strategy, seed, n), stderr: null, ci95: null, theory: null, z: null, metrics: {} })),
  } as unknown as NeuralPartReport;
}

/** Cells as a sweep over width × temperature × seeds holds them, grouped by src/sweep/groups.ts. */
function fixture(seeds = SEEDS): LmGroupResult[] {
  const cells: (CellParts & { reports: Record<string, NeuralPartReport> })[] = [];
  for (const d of WIDTHS) {
    for (const t of TEMPERATURES) {
      for (const seed of seeds) {
        const reports = Object.fromEntries(['replace', 'accumulate'].map((s) => [`lm-${s}`, report(d, t, s, seed)]));
        cells.push({ cell: `${d}-${t}-${seed}`, config: { model: ['lm'], width: d, temperature: t, seed }, parts: Object.entries(reports).map(([part, r]) => ({ part, iterations: r.iterations })), reports });
      }
    }
  }
  return cellGroups('neural', cells).map((group) => ({ group, reports: group.cells.map((id) => cells.find((c) => c.cell === id)!.reports[group.part!]) }));
}

const T2 = 4.302653; // t_{0.975, 2}

test('lmSweepData + buildLmSweepFigure: rows by size, columns τ = 1, 0.3, 0; each line the seeds\' mean with its t-band', () => {
  const data = lmSweepData('toy', 'toy.yaml', fixture(), 18, 18);
  assert.equal(data.curves.length, 2 * 3 * 2);
  const { data: traces, layout } = buildLmSweepFigure(data);
  // 6 panels: rows d=16 then d=32 (by parameters), columns τ = 1, 0.3, 0
  const titles = (layout.annotations as { text: string }[]).map((a) => a.text);
  assert.deepEqual(titles, [16, 32].flatMap((d) => ['τ = 1', 'τ = 0.3', 'τ = 0 (greedy)'].map((t) => `d=${d}, L=2, 4 heads, context 32<br>${t}`)));
  assert.ok(layout.yaxis6 && !layout.yaxis7);
  // panel 6 = d=32, greedy: replace's line and band by hand
  const inPanel = (k: number) => traces.filter((t) => t.xaxis === (k === 1 ? 'x' : `x${k}`));
  const panel = inPanel(6);
  assert.equal(panel.length, 2 * 2 + 1, 'a band and a line per strategy, and the bigram');
  const line = panel.find((t) => t.name === 'replace' && t.mode === 'lines+markers')!;
  const means = [1, 2, 3].map((n) => loss(32, 0, 'replace', 1, n)); // the seeds' offsets −0.02, 0, +0.02 cancel
  (line.y as number[]).forEach((y, i) => assert.ok(Math.abs(y - means[i]) < 1e-12));
  const half = T2 * (0.02 / Math.sqrt(3)); // s = 0.02 over three seeds
  const band = panel.find((t) => t.fill === 'toself' && t.legendgroup === 'replace')!;
  const expected = [...means.map((m) => m + half), ...[...means].reverse().map((m) => m - half)];
  (band.y as number[]).forEach((y, i) => assert.ok(Math.abs(y - expected[i]) < 1e-9, `band ${i}: ${y} vs ${expected[i]}`));
  const bigram = panel.find((t) => t.name === 'bigram baseline')!;
  assert.equal((bigram.y as number[])[0], (bigram.y as number[])[1]);
  assert.ok(Math.abs((bigram.y as number[])[0] - 2.44) < 1e-12, 'the mean of the seeds\' bigrams');
  // one legend entry per strategy and one for the baseline; every panel shares one y range
  assert.deepEqual(traces.filter((t) => t.showlegend === true).map((t) => t.name), ['replace', 'accumulate', 'bigram baseline']);
  const ranges = Object.entries(layout).filter(([k]) => /^yaxis\d*$/.test(k)).map(([, a]) => JSON.stringify((a as { range: number[] }).range));
  assert.equal(new Set(ranges).size, 1);
  assert.equal(lmSweepCsv(data).trim().split('\n').length, 1 + 12 * 3);
});

test('lmSweepCaption: names the schedule, the seeds and the bands, the sizes, and what is missing', () => {
  const caption = lmSweepCaption(lmSweepData('toy', 'toy.yaml', fixture(), 17, 18));
  assert.match(caption, /Schedule: 3 epochs per fit over the whole pool \(the paper's protocol/);
  assert.match(caption, /mean over 3 seeds \(sweep cells\); bands: 95% Student-t intervals/);
  assert.match(caption, /d=16, L=2, 4 heads, context 32 \(16000 parameters\); d=32/);
  assert.match(caption, /Only 17 of the sweep's 18 cells are complete/);
  const one = lmSweepData('toy', 'toy.yaml', fixture([0]), 6, 6);
  assert.match(lmSweepCaption(one), /One seed per line: no interval/);
  assert.equal(buildLmSweepFigure(one).data.filter((t) => t.fill === 'toself').length, 0, 'no band from one seed');
});

test('lmSweepData refuses a sweep that draws two lines on one spot, and a family other than the lm', () => {
  const groups = fixture();
  assert.throws(() => lmSweepData('toy', 'toy.yaml', [...groups, groups[0]], 18, 18), /two cell groups draw replace \(3 epochs\) at d=32.*varies an option besides/);
  const vae = { ...groups[0], reports: groups[0].reports.map((r) => ({ ...r, model: 'vae' })) };
  assert.throws(() => lmSweepData('toy', 'toy.yaml', [vae], 1, 1), /is not an lm run/);
});

test('the gallery figure is registered, and skipped with how to run the sweep while no cell is complete', async () => {
  assert.ok(FIGURES.some((f) => f.id === 'lm-size-temperature'));
  const dir = mkdtempSync(join(tmpdir(), 'collapse-lm-figure-'));
  const file = join(dir, 'lm.yaml');
  writeFileSync(file, JSON.stringify({ command: 'neural', out: join(dir, 'cells'), base: { model: 'lm', iterations: 2 }, grid: { temperature: [1, 0] }, seeds: 2 }));
  assert.match(String((await readLmSweep(file, undefined) as { skipped: string }).skipped), /no complete cell of .*lm\.yaml.*sweep run sweeps\/lm-size-temperature\.yaml/);
  const linear = join(dir, 'linear.yaml');
  writeFileSync(linear, JSON.stringify({ command: 'linear', base: { dim: 2, samples: 8 } }));
  assert.match(String((await readLmSweep(linear, dir) as { skipped: string }).skipped), /collapse linear, not of collapse neural/);
  assert.match(String((await readLmSweep(join(dir, 'none.yaml'), dir) as { skipped: string }).skipped), /cannot read it/);
});
