/**
 * The figure builders are pure: data in, Plotly JSON out. Small synthetic inputs check the trace counts, axis
 * types and subplot wiring without a browser or a Monte Carlo; plus the registry, captions, CSV and bench lookup.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { figuresCommandLine } from '../../src/cli/figures.js';
import { boundCaption, boundCsv, buildBound, registryStrategies, type BoundData } from '../../src/figures/accumulation-bound.js';
import { decodeDataUrl, pngSize } from '../../src/figures/browser.js';
import { FIGURES } from '../../src/figures/index.js';
import { buildThroughput, newestBenchResult, throughputCsv, type BenchResult, type BenchRow, type ThroughputData } from '../../src/figures/kernel-throughput.js';
import { buildLinearPaper, linearPaperCaption, linearPaperCsv, type LinearPaperData } from '../../src/figures/linear-paper.js';
import { figureHtml, galleryHtml, scriptJson } from '../../src/figures/render.js';
import { STRATEGIES, STRATEGY_EXAMPLES } from '../../src/strategies/index.js';
import { ACCUMULATE_BOUND } from '../../src/theory/harmonic.js';
import type { IterationRow } from '../../src/verify/report.js';

function rows(n: number, f: (i: number) => number, theory: ((i: number) => number) | null = f): IterationRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const mean = f(i);
    return { iteration: i, mean, stderr: mean / 50, ci95: [mean * 0.96, mean * 1.04], theory: theory ? theory(i) : null, z: 0, zConditional: 0 };
  });
}

function paperData(strategies: string[], samples: number[], noises: number[], n = 5): LinearPaperData {
  const runs = strategies.flatMap((strategy) =>
    samples.flatMap((T) => noises.map((noise) => ({ strategy, samples: T, noise, command: 'x', backend: 'cpu', seconds: 0, iterations: rows(n, (i) => noise * i) }))),
  );
  return { settings: { dim: 3, samples, noises, strategies, iterations: n, trials: 100, method: 'reduced' }, runs };
}

const type = (axis: unknown) => (axis as { type: string }).type;

test('linear-paper: rows × columns panels, three traces per σ² (band, Monte Carlo, theory), log y, linear x, then the key', () => {
  const data = paperData(['replace', 'accumulate'], [8, 12, 20], [0.1, 1]);
  const { data: traces, layout } = buildLinearPaper(data);
  assert.equal(traces.length, 2 * 3 * 2 * 3 + 2);
  for (let k = 0; k < 6; k++) {
    const s = k === 0 ? '' : String(k + 1);
    assert.equal(type(layout[`xaxis${s}`]), 'linear');
    assert.equal(type(layout[`yaxis${s}`]), 'log');
    assert.equal(traces.filter((t) => t.xaxis === `x${s}` && t.yaxis === `y${s}`).length, 6, `panel ${k}`);
  }
  assert.deepEqual(layout.grid, { rows: 2, columns: 3, pattern: 'independent', roworder: 'top to bottom', xgap: 0.12, ygap: 0.16 });
  // one legend entry per σ², solid Monte Carlo; theory dashed
  assert.deepEqual(traces.filter((t) => t.showlegend === true).map((t) => t.name), ['σ² = 0.1', 'σ² = 1', 'Monte Carlo mean (shaded: 95% band)', 'exact theory']);
  assert.equal(traces.filter((t) => (t.line as { dash?: string }).dash === 'dash').length, 12 + 1);
  // a band is one closed polygon over 2n points, filled
  const band = traces[0];
  assert.equal(band.fill, 'toself');
  assert.equal((band.x as number[]).length, 10);
  // column titles
  assert.deepEqual((layout.annotations as { text: string }[]).map((a) => a.text), ['T = 8', 'T = 12', 'T = 20']);
});

test('linear-paper: no theory trace where theory is null; a missing run is an error', () => {
  const data = paperData(['replace'], [8], [1]);
  data.runs[0].iterations = rows(5, (i) => i, null);
  assert.equal(buildLinearPaper(data).data.length, 2 + 2);
  assert.throws(() => buildLinearPaper({ ...data, runs: [] }), /no run for replace/);
});

test('linear-paper: CSV has one row per run and iteration; the quick caption says the bands are wider and why', () => {
  const data = paperData(['replace', 'accumulate'], [8], [0.1, 1], 4);
  const csv = linearPaperCsv(data).trim().split('\n');
  assert.equal(csv.length, 1 + 2 * 2 * 4);
  assert.equal(csv[0], 'strategy,dim,samples,noise,iteration,mean,stderr,ci95_low,ci95_high,theory,z');
  assert.match(linearPaperCaption(data, true), /--quick: 100 trials per line .* bands are wider/);
  assert.doesNotMatch(linearPaperCaption(data, false), /--quick/);
});

function boundData(strategies: string[], n = 6): BoundData {
  const e1 = 0.5;
  return {
    settings: { dim: 3, samples: 12, noise: 1, iterations: n, trialsReduced: 100, trialsFull: 50, strategies },
    firstError: e1,
    runs: strategies.map((strategy) => {
      const exact = strategy !== 'accumulate-subsample';
      return { strategy, method: exact ? ('reduced' as const) : ('full' as const), trials: 100, command: 'x', backend: 'cpu', seconds: 0, iterations: rows(n, (i) => e1 * (1 + 1 / i), exact ? (i) => e1 * (1 + 1 / i) : null) };
    }),
  };
}

test('accumulation-bound: band + Monte Carlo (+ theory where exact) per strategy, then the π²/6 line; log y', () => {
  const data = boundData(['replace', 'accumulate', 'accumulate-subsample']);
  const { data: traces, layout } = buildBound(data);
  assert.equal(traces.length, 3 + 3 + 2 + 1 + 2);
  assert.equal(type(layout.yaxis), 'log');
  assert.equal(type(layout.xaxis), 'linear');
  const asymptote = traces[traces.length - 3];
  assert.deepEqual(asymptote.y, [ACCUMULATE_BOUND, ACCUMULATE_BOUND]);
  assert.match(String(asymptote.name), /π²\/6/);
  assert.match((layout.annotations as { text: string }[])[0].text, /π²\/6/);
  // curves are divided by E₁
  const mc = traces.find((t) => t.name === 'replace') as { y: number[] };
  assert.ok(Math.abs(mc.y[0] - 2) < 1e-12);
  assert.equal(boundCsv(data).trim().split('\n').length, 1 + 3 * 6);
  assert.match(boundCaption(data, false), /accumulate-subsample: no closed form/);
  assert.match(boundCaption(data, true), /--quick: .* bands are wider/);
});

test('accumulation-bound reads the registry: every strategy of STRATEGIES and every example appears', () => {
  const names = registryStrategies();
  for (const name of Object.keys(STRATEGIES)) assert.ok(names.includes(name), name);
  for (const name of STRATEGY_EXAMPLES) assert.ok(names.includes(name), name);
  assert.equal(new Set(names).size, names.length);
});

function benchRow(backend: string, method: string, dim: number, samples: number, rate: number, numpyRatio: number | null): BenchRow {
  const seconds = (1000 * 10) / rate;
  return { backend, method, dim, samples, trials: 1000, iterations: 10, medianSeconds: seconds, spread: [seconds * 0.9, seconds * 1.1], trialIterationsPerSecond: rate, flopsPerTrialIteration: 100, drawsPerTrialIteration: 10, numpyRatio };
}

function benchResult(date: string): BenchResult {
  return {
    machine: { host: 'h', cpus: 2, cpuModel: 'cpu', node: 'v20', date },
    iterations: 10,
    repeats: 3,
    ceilings: { webasm: { matmulGflops: 2, matmulSize: 384, drawsPerSecond: 3e7 }, cpu: { matmulGflops: 0.5, matmulSize: 128, drawsPerSecond: 2e7 } },
    skipped: ['webgpu: no adapter'],
    rows: [benchRow('webasm', 'full', 10, 100, 6e4, 0.3), benchRow('webasm', 'reduced', 10, 100, 4e5, null), benchRow('cpu', 'full', 10, 100, 4e4, null), benchRow('cpu', 'reduced', 10, 100, 3e5, null)],
  };
}

test('kernel-throughput: a panel per method; bars per backend, two ceilings, numpy where measured; log y', () => {
  const data: ThroughputData = { file: 'bench/results/x.json', result: benchResult('2026-01-01T00:00:00Z') };
  const { data: traces, layout } = buildThroughput(data);
  // full: 2 bars + 2 ceilings + numpy; reduced: 2 bars + 2 ceilings
  assert.equal(traces.length, 5 + 4);
  assert.equal(traces.filter((t) => t.type === 'bar').length, 4);
  assert.equal(type(layout.yaxis), 'log');
  assert.equal(type(layout.yaxis2), 'log');
  assert.equal(type(layout.xaxis), 'category');
  const flop = traces.find((t) => String(t.name).startsWith('matmul reference')) as { y: number[] };
  assert.deepEqual(flop.y, [2e9 / 100, 0.5e9 / 100]);
  const numpy = traces.find((t) => String(t.name).startsWith('numpy')) as { y: number[] };
  assert.ok(Math.abs(numpy.y[0] - 6e4 / 0.3) < 1e-6);
  assert.equal(throughputCsv(data).trim().split('\n').length, 5);
});

test('kernel-throughput: the newest results file by its recorded date; skipped with a reason when there is none', () => {
  const root = mkdtempSync(join(tmpdir(), 'collapse-bench-'));
  assert.match((newestBenchResult(root) as { skipped: string }).skipped, /npm run bench/);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'notes.json'), '{"not": "a result"}');
  assert.match((newestBenchResult(root) as { skipped: string }).skipped, /no throughput results/);
  writeFileSync(join(root, 'bench', 'results', 'a.json'), JSON.stringify(benchResult('2026-03-01T00:00:00Z')));
  writeFileSync(join(root, 'bench', 'results', 'b.json'), JSON.stringify(benchResult('2026-02-01T00:00:00Z')));
  utimesSync(join(root, 'bench', 'results', 'a.json'), new Date(0), new Date(0)); // mtime older, recorded date newer
  assert.equal((newestBenchResult(root) as ThroughputData).file, 'bench/results/a.json');
});

test('the registry: unique ids, safe as file names', () => {
  const ids = FIGURES.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[a-z0-9-]+$/);
  assert.ok(ids.includes('linear-paper') && ids.includes('accumulation-bound') && ids.includes('kernel-throughput'));
});

test('pages: figure JSON embedded safely, plotly.min.js by relative path, caption and command shown', () => {
  const figure = { data: [{ type: 'scatter', y: [1], name: '</script><script>alert(1)</script>' }], layout: {} };
  const html = figureHtml({ id: 'f', title: 'T <b>', caption: 'a `cmd` & b', command: 'npx collapse figures --quick', figure, image: { width: 400, height: 300, scale: 1 }, images: false });
  assert.equal(html.match(/<\/script>/g)?.length, 3); // the bundle, the JSON, the loader: the name did not close a tag
  assert.match(html, /<script src="plotly\.min\.js"><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.match(html, /a <code>cmd<\/code> &amp; b/);
  assert.match(html, /Made by <code>npx collapse figures --quick<\/code>/);
  assert.doesNotMatch(html, /f\.png/);
  assert.deepEqual(JSON.parse(scriptJson(figure)), figure);
  const gallery = galleryHtml(
    [
      { id: 'f', title: 'F', caption: 'c', command: 'cmd', images: true, image: { width: 4, height: 3, scale: 1 }, seconds: 1 },
      { id: 'g', title: 'G', command: 'cmd', skipped: 'no results', images: false, seconds: 0 },
    ],
    { command: 'cmd', date: 'd', version: 'v', imagesSkipped: null, seconds: 1 },
  );
  assert.match(gallery, /<img src="f\.png"/);
  assert.match(gallery, /Skipped: no results/);
});

test('PNG header and data URLs decode', () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAYAAAC56t6BAAAAEklEQVR4nGP4z8DwHwQZYAwAXQUG+u/kNgAAAAAASUVORK5CYII=', 'base64');
  assert.deepEqual(pngSize(png), { width: 2, height: 3 });
  assert.throws(() => pngSize(Buffer.from('GIF89a........................')), /not a PNG/);
  assert.equal(decodeDataUrl('data:image/svg+xml,%3Csvg%3E').toString(), '<svg>');
  assert.deepEqual(decodeDataUrl(`data:image/png;base64,${png.toString('base64')}`), png);
});

test('the caption command is the command line as given', () => {
  assert.equal(figuresCommandLine({ quick: true }), 'npx collapse figures --quick');
  assert.equal(figuresCommandLine({ quick: true, out: '/tmp/my figs', force: true, seed: '3' }), "npx collapse figures --quick --seed 3 --out '/tmp/my figs' --force");
});
