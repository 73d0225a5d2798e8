/**
 * What a reader needs from every figure, checked on the Plotly JSON the builders return (no browser, no Monte
 * Carlo): one colour-blind-safe palette for every trace, log axes labelled with full values (decades or 1-2-5, never
 * a bare "5"), a key to the line styles, one panel per Gaussian curve, strategies told apart by colour and marker,
 * units on the axes, the band widths said in the caption where the bands hide under the lines, and the kernel
 * references named for what they are.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildBound, staggeredMarkerSizes, type BoundData } from '../../src/figures/accumulation-bound.js';
import { buildCategorical, type CategoricalFigureData } from '../../src/figures/categorical-collapse.js';
import { buildCuration, type CurationFigureData } from '../../src/figures/curation.js';
import type { PlotlyFigure, PlotlyObject } from '../../src/figures/figure.js';
import { buildGaussian, type GaussianFigureData } from '../../src/figures/gaussian-collapse.js';
import { buildThroughput, referencesCaption, type BenchResult, type BenchRow } from '../../src/figures/kernel-throughput.js';
import { bandCaption, bandWidths, buildLinearPaper, linearPaperCaption, type LinearPaperData } from '../../src/figures/linear-paper.js';
import { buildLmSweepFigure, type LmSweepData } from '../../src/figures/lm-size-temperature.js';
import { buildNeuralFigure, metricUnit } from '../../src/figures/neural-collapse.js';
import { CATEGORICAL, LINE_STYLES, PALETTE_COLOURS, POINT_STYLE, SEQUENTIAL } from '../../src/figures/palette.js';
import { KEY_GROUP, logAxis, tickText } from '../../src/figures/plotly.js';
import { buildSweepFigure, sweepLines, type CollectedTable } from '../../src/figures/sweep-table.js';
import { cellGroups } from '../../src/sweep/groups.js';
import { buildTails, tailsCaption, type TailsFigureData } from '../../src/figures/tale-of-tails.js';
import { buildStrong, type StrongFigureData } from '../../src/figures/strong-collapse.js';
import { buildFresh, freshGrid, freshOptimum, QUICK_FRESH, type FreshOptimumData } from '../../src/figures/fresh-optimum.js';
import type { NeuralPartReport } from '../../src/experiments/neural.js';
import type { IterationRow } from '../../src/verify/report.js';

// ---- fixtures: small synthetic results for every figure ----

function rows(n: number, f: (i: number) => number, relativeHalfWidth = 0.02, theory = true): IterationRow[] {
  return Array.from({ length: n }, (_, k) => {
    const mean = f(k + 1);
    return { iteration: k + 1, mean, stderr: (mean * relativeHalfWidth) / 1.96, ci95: [mean * (1 - relativeHalfWidth), mean * (1 + relativeHalfWidth)], theory: theory ? mean : null, z: 0, zConditional: 0 };
  });
}

function paper(relativeHalfWidth = 0.02): LinearPaperData {
  const settings = { dim: 3, samples: [8, 20], noises: [0.01, 1, 100], strategies: ['replace', 'accumulate'], iterations: 20, trials: 100, method: 'reduced' as const };
  const runs = settings.strategies.flatMap((strategy) =>
    settings.samples.flatMap((samples) =>
      settings.noises.map((noise) => ({ strategy, samples, noise, command: 'x', backend: 'cpu', seconds: 0, iterations: rows(20, (i) => noise * (strategy === 'replace' ? i : 1 + 1 / i), relativeHalfWidth) })),
    ),
  );
  return { settings, runs };
}

const BOUND_STRATEGIES = ['replace', 'accumulate', 'accumulate-subsample', 'window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'];

function bound(): BoundData {
  const shape: Record<string, (i: number) => number> = {
    replace: (i) => i,
    accumulate: (i) => 1 + 0.6 * (1 - 1 / i),
    'accumulate-subsample': (i) => 1 + 2 * (1 - 1 / i),
    'window:3': (i) => 1 + i / 4,
    'augment:1': () => 1.3,
    'fresh:0.5': (i) => 0.66 + 0.34 / i,
    'weights:2^(i-n)': (i) => 1 + i / 4.1, // within 3% of window:3: the two must still be told apart
  };
  return {
    settings: { dim: 10, samples: 100, noise: 1, iterations: 50, trialsReduced: 100, trialsFull: 50, strategies: BOUND_STRATEGIES },
    firstError: 0.1,
    runs: BOUND_STRATEGIES.map((strategy) => ({
      strategy,
      method: strategy === 'accumulate-subsample' ? ('full' as const) : ('reduced' as const),
      trials: 100,
      command: 'x',
      backend: 'cpu',
      seconds: 0,
      iterations: rows(50, (i) => 0.1 * shape[strategy](i), 0.02, strategy !== 'accumulate-subsample'),
    })),
  };
}

function gaussian(): GaussianFigureData {
  const curve = (strategy: string, estimator: 'mle' | 'unbiased', mean: (n: number) => number, median: (n: number) => number) => ({
    strategy,
    estimator,
    command: 'x',
    seconds: 0,
    iterations: Array.from({ length: 30 }, (_, k) => {
      const n = k + 1;
      const m = mean(n);
      const metric = { mean: median(n), stderr: 0.001, ci95: [median(n) - 0.002, median(n) + 0.002] as [number, number], theory: null, z: null };
      return { iteration: n, mean: m, stderr: 0.01, ci95: [m * 0.97, m * 1.03] as [number, number], theory: m, z: 0, zConditional: 0, metrics: { medianVarianceRatio: metric } };
    }),
  });
  return {
    settings: { dim: 1, samples: 20, iterations: 30, trials: 100 },
    curves: [
      curve('replace', 'mle', (n) => 0.95 ** n, (n) => 0.9 ** n),
      curve('replace', 'unbiased', () => 1, (n) => 0.95 ** n), // the median on replace/MLE's mean: must not share its panel
      curve('accumulate', 'mle', (n) => 0.92 + 0.08 / n, (n) => 0.85 + 0.1 / n),
      curve('accumulate', 'unbiased', (n) => 0.97 + 0.03 / n, (n) => 0.9 + 0.1 / n),
    ],
  };
}

function neuralReport(model: string, strategy: string, metric: string, losses: number[]): NeuralPartReport {
  return {
    config: {}, backend: 'tfjs-wasm', backendReason: 'test', seconds: 1, model, strategy, metric, standIn: `${model} stand-in`,
    schedule: { kind: 'epochs', amount: 2 }, settings: {},
    iterations: losses.map((mean, i) => ({ iteration: i + 1, mean, stderr: null, ci95: null, theory: null, z: null, metrics: {} })),
  } as unknown as NeuralPartReport;
}

// the families' metric strings as src/models/neural/*/index.ts define them
const METRICS: Record<string, string> = {
  lm: 'test cross-entropy (nats/char) on held-out real text',
  vae: 'test negative ELBO (nats/image)',
  diffusion: 'test denoising loss (ε-MSE per coordinate, fixed grid of levels and noise)',
};

function neural(): PlotlyFigure {
  return buildNeuralFigure(Object.keys(METRICS).flatMap((m) => [neuralReport(m, 'replace', METRICS[m], [1, 1.2, 1.4]), neuralReport(m, 'accumulate', METRICS[m], [1, 0.98, 0.97])]));
}

function benchRow(backend: string, method: string, dim: number, rate: number): BenchRow {
  const seconds = 10_000 / rate;
  return { backend, method, dim, samples: 1000, trials: 1000, iterations: 10, medianSeconds: seconds, spread: [seconds * 0.9, seconds * 1.1], trialIterationsPerSecond: rate, flopsPerTrialIteration: 1e6, drawsPerTrialIteration: 1000, numpyRatio: method === 'full' ? 1.5 : null };
}

function bench(): BenchResult {
  return {
    machine: { host: 'h', cpus: 2, cpuModel: 'cpu', node: 'v20', date: '2026-12-06T00:00:00Z' },
    iterations: 10,
    repeats: 3,
    // cpu full d=100 runs at 1,000 trial-it/s, above its matmul reference 0.95e9 / 1e6 = 950 (as in the 2026-12-06 file)
    ceilings: { webasm: { matmulGflops: 8, matmulSize: 384, drawsPerSecond: 2e8 }, cpu: { matmulGflops: 0.95, matmulSize: 128, drawsPerSecond: 2e6 } },
    skipped: [],
    rows: [benchRow('webasm', 'full', 100, 2000), benchRow('cpu', 'full', 100, 1000), benchRow('webasm', 'reduced', 100, 4000), benchRow('cpu', 'reduced', 100, 300)],
  };
}

function sweep(): PlotlyFigure {
  const rows = ['replace', 'accumulate'].flatMap((strategy) => [0, 1].flatMap((seed) => [1, 2, 3].map((n) => ({ cell: `${strategy}${seed}`, strategy, seed, iteration: n, mean: (strategy === 'replace' ? 10 ** n : 1) * (1 + 0.1 * seed), theory: null }))));
  const table: CollectedTable = {
    sweep: 'toy',
    command: 'linear',
    columns: ['cell', 'strategy', 'seed', 'iteration', 'mean', 'theory'],
    rows,
    groups: cellGroups('linear', ['replace0', 'replace1', 'accumulate0', 'accumulate1'].map((cell) => ({ cell, config: { strategy: cell.slice(0, -1), seed: Number(cell.slice(-1)) }, parts: [{ iterations: rows.filter((r) => r.cell === cell) }] }))),
  };
  return buildSweepFigure(table, sweepLines(table));
}

function lmSweep(): PlotlyFigure {
  const curves = [16, 32].flatMap((d) => [1, 0.3, 0].flatMap((temperature) => ['replace', 'accumulate'].map((strategy) => {
    const mean = [1, 2, 3].map((n) => 2.6 - d / 200 + (strategy === 'replace' ? 0.1 * (n - 1) : 0));
    return { size: `d=${d}`, parameters: d * 1000, temperature, strategy, schedule: '3 epochs', seeds: 3, iterations: [1, 2, 3], mean, ci95Low: mean.map((m) => m - 0.03), ci95High: mean.map((m) => m + 0.03) };
  })));
  const data: LmSweepData = { sweep: 'toy', source: 'x', metric: 'test cross-entropy (nats/char)', corpora: ['wordnet'], schedules: { '3 epochs': 'three epochs' }, curves, bigram: { 'd=16': 2.43, 'd=32': 2.43 }, complete: 18, cells: 18 };
  return buildLmSweepFigure(data);
}

function categorical(): CategoricalFigureData {
  const K = 200;
  const metric = (mean: number, theory: number | null) => ({ mean, stderr: mean / 100, ci95: [mean * 0.98, mean * 1.02] as [number, number], theory, z: null });
  const curve = (strategy: string, collision: (n: number) => number, surviving: (n: number) => number, survivalTheory: boolean) => ({
    strategy,
    command: 'x',
    iterations: Array.from({ length: 40 }, (_, k) => {
      const n = k + 1;
      const c = collision(n);
      return { iteration: n, mean: c, stderr: c / 100, ci95: [c * 0.98, c * 1.02] as [number, number], theory: c, z: 0, zConditional: 0, metrics: { surviving: metric(surviving(n), survivalTheory ? surviving(n) : null) } };
    }),
  });
  return {
    settings: { categories: K, zipf: 1, samples: 100, iterations: 40, trials: 500 },
    curves: [
      curve('replace', (n) => 1 - 0.93 ** n * 0.9, (n) => 60 * 0.9 ** n + 1, true), // towards 1 (one outcome left), as K1 says
      curve('accumulate', () => 0.1, () => 60, true),
      curve('fresh:0.5', () => 0.08, () => 90, false), // no survival theory: its panel has no dashed line
      curve('augment:1', () => 0.1, () => 60, true),
    ],
  };
}

function tails(): TailsFigureData {
  const sizes = [10, 100, 1000];
  const curve = (label: string, error: (T: number) => number, plateau: number | null) => ({
    label,
    exact: [10, 100, 1000, 1e4, 1e5, 1e6].map((T): [number, number] => [T, error(T)]),
    monteCarlo: sizes.map((T) => ({ iteration: 1, samples: T, curve: label, mean: error(T), stderr: error(T) / 50, ci95: [error(T) * 0.96, error(T) * 1.04] as [number, number], theory: error(T), z: 0, zConditional: 0 })),
    plateau,
  });
  return {
    settings: { contexts: 20_000, zipf: 2, maxSamples: 1e6, monteCarloSizes: sizes, trials: 300 },
    command: 'x',
    curves: [curve('clean', (T) => T ** -0.5, null), curve('cut k=100', (T) => 0.006 + T ** -0.5, 0.006), curve('mix k=100 π=0.1', (T) => (T / 10) ** -0.5, null)],
  };
}

function strong(): StrongFigureData {
  const curve = (share: number, error: (n: number) => number) => ({
    share,
    label: share === 0 ? 'clean' : `p₂ = ${share}`,
    exact: [10, 100, 1000, 1e4].map((n): [number, number] => [n, error(n)]),
    monteCarlo: [20, 200].map((n) => ({ iteration: 1, samples: n, teacherRows: 0, share, mean: error(n), stderr: error(n) / 50, ci95: [error(n) * 0.96, error(n) * 1.04] as [number, number], theory: error(n), z: 0, zConditional: 0, varianceTheory: 0, biasTheory: 0, bias: 0, asymptotic: 0, floor: 0 })),
    floor: share === 0 ? null : share * share,
  });
  return {
    settings: { dim: 5, noise: 1, shift: 1, shares: [0, 0.1], maxSamples: 1e4, monteCarloSizes: [20, 200], trials: 10 },
    command: 'x',
    curves: [curve(0, (n) => 5 / n), curve(0.1, (n) => 0.01 + 5 / n)],
  };
}

function curationData(): CurationFigureData {
  const withMetrics = (r: IterationRow) => ({ ...r, ci95: r.ci95 as [number, number], metrics: { surviving: { mean: 80 / r.iteration, stderr: 0.1, ci95: [80 / r.iteration - 0.2, 80 / r.iteration + 0.2] as [number, number], theory: null, z: null } } });
  const curve = (panel: 0 | 1 | 2, label: string, f: (i: number) => number, theory = true) => ({ panel, label, command: 'x', iterations: rows(10, f, 0.02, theory).map(withMetrics) });
  return {
    settings: { iterations: 10, trials: 100 },
    verifierError: 0.25,
    categories: 100,
    curves: [
      curve(0, 'no verifier', (i) => 0.98 ** i),
      curve(0, 'threshold:-1.35', (i) => 0.98 ** i * 0.62 ** (i - 1)),
      curve(0, 'top:0.5', (i) => 0.98 ** i * 0.15 ** (i - 1)),
      curve(1, 'no verifier', (i) => 0.4 / i, false),
      curve(2, 'project λ=0.5', (i) => 0.25 + 0.1 / i),
      curve(2, 'residual threshold:-1', (i) => 0.27 + 0.05 / i, false),
    ],
  };
}

function freshData(): FreshOptimumData {
  const settings = { ...QUICK_FRESH, grid: 40, shares: [0.5, 1], trials: 10 };
  const point = (share: number, ratio: number) => ({ share, command: 'x', backend: 'cpu', trials: 10, row: { iteration: 20, mean: ratio, stderr: ratio / 50, ci95: [ratio * 0.96, ratio * 1.04] as [number, number], theory: ratio, z: 0, zConditional: 0 } });
  return { settings, firstError: 1, grid: freshGrid(40, settings.horizons), optimum: freshOptimum(), points: [point(0.5, 2 / 3), point(1, 1)] };
}

const FIGURES: Record<string, () => PlotlyFigure> = {
  curation: () => buildCuration(curationData()),
  'linear-paper': () => buildLinearPaper(paper()),
  'accumulation-bound': () => buildBound(bound()),
  'gaussian-collapse': () => buildGaussian(gaussian()),
  'neural-collapse': neural,
  'lm-size-temperature': lmSweep,
  'kernel-throughput': () => buildThroughput({ file: 'bench/results/x.json', result: bench() }),
  'sweep-table': sweep,
  'categorical-collapse': () => buildCategorical(categorical()),
  'tale-of-tails': () => buildTails(tails()),
  'strong-collapse': () => buildStrong(strong()),
  'fresh-optimum': () => buildFresh(freshData()),
};

// ---- helpers ----

/** Every colour a trace draws with: lines, markers, marker outlines, band fills (rgba back to hex), whiskers. */
function traceColours(trace: PlotlyObject): string[] {
  const out: string[] = [];
  const add = (c: unknown) => {
    if (typeof c !== 'string') return;
    const rgba = /^rgba?\((\d+),(\d+),(\d+)/.exec(c.replace(/\s/g, ''));
    out.push(rgba ? `#${rgba.slice(1, 4).map((v) => Number(v).toString(16).padStart(2, '0')).join('')}` : c.toLowerCase());
  };
  const line = trace.line as { color?: unknown } | undefined;
  const marker = trace.marker as { color?: unknown; line?: { color?: unknown } } | undefined;
  add(line?.color);
  add(marker?.color);
  add(marker?.line?.color);
  add(trace.fillcolor);
  add((trace.error_y as { color?: unknown } | undefined)?.color);
  return out;
}

function axes(layout: PlotlyObject): [string, PlotlyObject][] {
  return Object.entries(layout).filter(([k, v]) => /^[xy]axis\d*$/.test(k) && v && typeof v === 'object') as [string, PlotlyObject][];
}

const SUPER: Record<string, string> = { '⁻': '-', '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9' };

/** '0.05', '20', '10⁻⁵', '2×10⁶' back to the number; NaN for a label that does not say its magnitude. */
function parseTick(text: string): number {
  const power = /^(?:([\d.]+)×)?10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)$/.exec(text);
  if (power) return Number(power[1] ?? 1) * 10 ** Number([...power[2]].map((c) => SUPER[c]).join(''));
  return /^[\d.]+$/.test(text) ? Number(text) : NaN;
}

/** sRGB hex → CIELAB, after a Machado et al. (2009) colour-vision-deficiency simulation (severity 1) in linear RGB. */
const CVD: Record<string, number[][]> = {
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
  typical: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};

function lab(hex: string, matrix: number[][]): number[] {
  const linear = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = matrix.map((row) => Math.min(1, Math.max(0, row[0] * linear[0] + row[1] * linear[1] + row[2] * linear[2])));
  const x = 0.4124 * r + 0.3576 * g + 0.1805 * b;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const [fx, fy, fz] = [f(x / 0.95047), f(y), f(z / 1.08883)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

const deltaE = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

// ---- the palette ----

test('palette: the categorical colours stay ≥ 15 ΔE apart under protanopia, deuteranopia and tritanopia (d3 category10 fell to 4.6)', () => {
  for (const [kind, matrix] of Object.entries(CVD)) {
    for (let i = 0; i < CATEGORICAL.length; i++) {
      for (let j = i + 1; j < CATEGORICAL.length; j++) {
        const d = deltaE(lab(CATEGORICAL[i], matrix), lab(CATEGORICAL[j], matrix));
        assert.ok(d >= 15, `${kind}: ${CATEGORICAL[i]} and ${CATEGORICAL[j]} are ${d.toFixed(1)} ΔE apart`);
      }
    }
  }
  // the old palette fails this very check, so it can fail
  const old = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  assert.ok(deltaE(lab(old[1], CVD.protanopia), lab(old[2], CVD.protanopia)) < 15);
});

test('palette: the sequential colours get lighter in order, ≥ 10 L* a step, under every colour-vision deficiency', () => {
  for (const [kind, matrix] of Object.entries(CVD)) {
    const lightness = SEQUENTIAL.map((c) => lab(c, matrix)[0]);
    lightness.slice(1).forEach((l, i) => assert.ok(l > lightness[i] + 10, `${kind}: L* ${lightness.map((v) => v.toFixed(0)).join(', ')}`));
  }
});

test('palette.ts imports nothing, so a browser page can load it as it is', () => {
  const source = readFileSync(new URL('../../src/figures/palette.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(source, /^\s*(import|export \* from|export \{[^}]*\} from)\b/m);
  assert.doesNotMatch(source, /\brequire\(|process\.|Buffer\b/);
});

test('every figure draws only with the palette of src/figures/palette.ts', () => {
  const allowed = new Set(PALETTE_COLOURS.map((c) => c.toLowerCase()));
  for (const [id, build] of Object.entries(FIGURES)) {
    const used = build().data.flatMap(traceColours);
    assert.ok(used.length > 0, id);
    const foreign = [...new Set(used.filter((c) => !allowed.has(c)))];
    assert.deepEqual(foreign, [], `${id} draws with colours outside the palette`);
  }
});

// ---- log axes ----

test('logAxis: full-value labels, decades where they give three ticks, else 1-2-5; powers of ten far from 1', () => {
  const ticks = (values: number[]) => logAxis(values).ticktext;
  assert.deepEqual(ticks([0.6, 55]), ['1', '2', '5', '10', '20', '50']);
  assert.deepEqual(ticks([0.005, 1.05]), ['0.01', '0.1', '1']);
  assert.deepEqual(ticks([500, 2e6]), ['10³', '10⁴', '10⁵', '10⁶'], 'one style per axis: all powers once one needs it');
  assert.deepEqual(ticks([0.8, 1.3]), ['0.8', '0.9', '1'], 'a short axis still gets three labelled ticks');
  assert.equal(tickText(2e-6), '2×10⁻⁶');
  assert.equal(tickText(0.05), '0.05');
});

test('every log axis of every figure labels its ticks with full values, at decades or 1-2-5 (no bare minor digits)', () => {
  let seen = 0;
  for (const [id, build] of Object.entries(FIGURES)) {
    for (const [name, axis] of axes(build().layout)) {
      if (axis.type !== 'log') continue;
      seen++;
      const values = axis.tickvals as number[] | undefined;
      const texts = axis.ticktext as string[] | undefined;
      assert.ok(Array.isArray(values) && Array.isArray(texts) && values.length >= 3, `${id} ${name}: explicit ticks`);
      assert.equal(axis.tickmode, 'array', `${id} ${name}`);
      values.forEach((v, i) => {
        assert.ok(Math.abs(parseTick(texts[i]) / v - 1) < 1e-9, `${id} ${name}: label ${JSON.stringify(texts[i])} for ${v}`);
        const mantissa = Number((v / 10 ** Math.floor(Math.log10(v) + 1e-9)).toPrecision(6));
        assert.ok([1, 2, 5].includes(mantissa), `${id} ${name}: tick ${v} is not at 1, 2 or 5 × 10ᵏ`);
      });
      const range = axis.range as number[];
      assert.ok(values.every((v) => Math.log10(v) >= range[0] - 1e-9 && Math.log10(v) <= range[1] + 1e-9), `${id} ${name}: ticks inside the range`);
      assert.match(String((axis.title as { text?: string } | undefined)?.text ?? 'log scale'), /log scale/, `${id} ${name}: the title says log scale`);
    }
  }
  assert.ok(seen >= 11, `log axes checked: ${seen}`);
});

// ---- line styles ----

test('figures with Monte Carlo, theory and median lines carry a key to the line styles, and the lines follow it', () => {
  const expected: Record<string, string[]> = {
    'linear-paper': ['monteCarlo', 'theory'],
    'accumulation-bound': ['monteCarlo', 'theory'],
    'gaussian-collapse': ['monteCarlo', 'theory', 'median'],
    'categorical-collapse': ['monteCarlo', 'theory'],
  };
  for (const [id, kinds] of Object.entries(expected)) {
    const traces = FIGURES[id]().data;
    const key = traces.filter((t) => t.legendgroup === KEY_GROUP);
    assert.deepEqual(key.map((t) => (t.line as { dash: string }).dash), kinds.map((k) => LINE_STYLES[k as keyof typeof LINE_STYLES].dash), id);
    assert.ok(key.every((t) => t.showlegend === true && (t.x as unknown[]).every((x) => x === null)), `${id}: legend-only`);
    assert.match(String(key[0].name), /Monte Carlo/);
    const data = traces.filter((t) => t.legendgroup !== KEY_GROUP && t.fill === undefined);
    const dashOf = (re: RegExp) => [...new Set(data.filter((t) => re.test(String(t.name))).map((t) => (t.line as { dash?: string }).dash))];
    assert.deepEqual(dashOf(/theory$/), [LINE_STYLES.theory.dash], `${id}: theory lines`);
    if (kinds.includes('median')) assert.deepEqual(dashOf(/median$/), [LINE_STYLES.median.dash], `${id}: median lines`);
    assert.deepEqual(dashOf(/^(?!.*(theory|median|π)).*$/), [LINE_STYLES.monteCarlo.dash], `${id}: Monte Carlo lines`);
  }
});

test('a key with dashed lines is wide enough to show them: constant item sizing draws legend lines 5 px wide (a dash 15 px), so ≥ 60 px', () => {
  let checked = 0;
  for (const [id, build] of Object.entries(FIGURES)) {
    const { data, layout } = build();
    const dashed = data.some((t) => t.legendgroup === KEY_GROUP && !['solid', undefined].includes((t.line as { dash?: string } | undefined)?.dash));
    const legend = (layout.legend ?? {}) as PlotlyObject;
    if (!dashed || legend.itemsizing !== 'constant') continue;
    checked++;
    assert.ok(Number(legend.itemwidth ?? 30) >= 60, `${id}: legend itemwidth ${legend.itemwidth ?? 30} px shows one dash of the key as a short solid bar`);
  }
  assert.ok(checked >= 2, `legends checked: ${checked}`);
});

test('tale-of-tails: its key says dashed = exact sum, open circles = Monte Carlo with 95% bars, dash-dot = plateau, and the traces follow it', () => {
  const traces = FIGURES['tale-of-tails']().data;
  const key = traces.filter((t) => t.legendgroup === KEY_GROUP);
  assert.deepEqual(key.map((t) => t.mode), ['markers', 'lines', 'lines']);
  assert.equal((key[0].marker as { symbol: string }).symbol, POINT_STYLE.symbol);
  assert.match(String(key[0].name), /Monte Carlo.*95%/);
  assert.deepEqual(key.slice(1).map((t) => (t.line as { dash: string }).dash), [LINE_STYLES.theory.dash, LINE_STYLES.reference.dash]);
  assert.match(String(key[2].name), /plateau/);
  const data = traces.filter((t) => t.legendgroup !== KEY_GROUP);
  const named = (re: RegExp) => data.filter((t) => re.test(String(t.name)));
  assert.equal(named(/theory$/).length, 3);
  assert.ok(named(/theory$/).every((t) => (t.line as { dash: string }).dash === LINE_STYLES.theory.dash && t.showlegend === false));
  assert.equal(named(/plateau$/).length, 1);
  assert.equal((named(/plateau$/)[0].line as { dash: string }).dash, LINE_STYLES.reference.dash);
  const points = data.filter((t) => t.mode === 'markers');
  assert.equal(points.length, 3);
  assert.ok(points.every((t) => (t.marker as { symbol: string }).symbol === POINT_STYLE.symbol && t.error_y && t.showlegend === true), 'one legend entry per curve: its Monte Carlo circles');
});

test('tale-of-tails: the caption says how wide the Monte Carlo intervals are, since bars shorter than a circle hide in it', () => {
  // the fixture's intervals are mean × (1 ± 0.04)
  assert.match(tailsCaption(tails(), true), /intervals reach at most ±4\.0% of the mean, so a bar shorter than its circle hides inside it/);
});

// ---- the Gaussian figure ----

test('gaussian-collapse: one panel per curve (no two curves share axes); replace on log y, accumulate on linear y zoomed near 1', () => {
  const { data, layout } = buildGaussian(gaussian());
  const panels = new Map<string, PlotlyObject[]>();
  for (const t of data.filter((x) => x.legendgroup !== KEY_GROUP)) {
    const panel = `${t.xaxis}/${t.yaxis}`;
    panels.set(panel, [...(panels.get(panel) ?? []), t]);
  }
  assert.equal(panels.size, 4);
  for (const [panel, traces] of panels) {
    assert.equal(traces.filter((t) => t.fill).length, 1, `${panel}: one band`);
    assert.equal(traces.filter((t) => !t.fill && (t.line as { dash?: string }).dash === LINE_STYLES.monteCarlo.dash).length, 1, `${panel}: one mean`);
    const curves = new Set(traces.filter((t) => / (theory|median)$/.test(String(t.name))).map((t) => String(t.name).replace(/ (theory|median)$/, '')));
    assert.equal(curves.size, 1, `${panel}: ${[...curves].join(' and ')}`);
  }
  // the median of replace/unbiased and the theory of replace/MLE: now in different panels
  const panelOf = (name: string) => data.filter((t) => t.name === name).map((t) => `${t.xaxis}/${t.yaxis}`);
  assert.notDeepEqual(panelOf('replace, unbiased median'), panelOf('replace, mle theory'));
  assert.equal((layout.yaxis as PlotlyObject).type, 'log');
  assert.equal((layout.yaxis2 as PlotlyObject).type, 'log');
  const accumulate = layout.yaxis3 as PlotlyObject;
  assert.equal(accumulate.type, 'linear');
  const [low, high] = accumulate.range as number[];
  assert.ok(low > 0.8 && high < 1.1, `accumulate row zoomed to its lines: ${low}–${high}`);
  assert.deepEqual(layout.yaxis4 && (layout.yaxis4 as PlotlyObject).range, accumulate.range, 'a row shares its y range');
});

// ---- the accumulation bound ----

test('accumulation-bound: window:3 and weights:2^(i-n) differ in colour (even to colour-blind readers) and in marker, at staggered points', () => {
  const { data } = buildBound(bound());
  const line = (name: string) => data.find((t) => t.name === name) as { line: { color: string }; marker: { symbol: string; size: number[] } };
  const window = line('window:3');
  const weights = line('weights:2^(i-n)');
  for (const [kind, matrix] of Object.entries(CVD)) {
    const d = deltaE(lab(window.line.color, matrix), lab(weights.line.color, matrix));
    assert.ok(d >= 15, `${kind}: ${d.toFixed(1)} ΔE`);
  }
  assert.notEqual(window.marker.symbol, weights.marker.symbol);
  const at = (sizes: number[]) => sizes.flatMap((s, i) => (s > 0 ? [i] : []));
  assert.ok(at(window.marker.size).length >= 5);
  assert.equal(at(window.marker.size).filter((i) => at(weights.marker.size).includes(i)).length, 0, 'markers never on the same iteration');
  assert.deepEqual(at(staggeredMarkerSizes(12, 0, 7)), [0, 5, 10]);
});

// ---- linear-paper's bands ----

test('linear-paper: the caption says how wide the bands are, and that they hide under the lines where they do', () => {
  const narrow = bandWidths(paper(0.02));
  assert.ok(Math.abs(narrow.relative.max - 0.04) < 1e-9 && Math.abs(narrow.relative.min - 0.04) < 1e-9);
  assert.equal(narrow.hidden, narrow.lines);
  const caption = linearPaperCaption(paper(0.02), false);
  assert.match(caption, /95% intervals are 4%–4% of the mean wide \(median 4%\)/);
  assert.match(caption, /in every line the band is thinner than the line and hidden under it/);
  // a band 2 × 60% wide is seen: no such clause
  const wide = bandWidths(paper(0.6));
  assert.equal(wide.hidden, 0);
  assert.doesNotMatch(bandCaption(wide), /thinner/);
  assert.match(bandCaption(wide), /120% of the mean wide/);
});

// ---- units and the kernel references ----

test('neural-collapse: every panel\'s y axis names a unit, the diffusion loss included', () => {
  const { layout } = neural();
  const titles = axes(layout).filter(([k]) => k.startsWith('y')).map(([, a]) => String((a.title as { text: string }).text));
  assert.deepEqual(titles, ['test loss (nats/char)', 'test loss (nats/image)', 'test loss (ε-MSE per coordinate, unitless)']);
  assert.equal(metricUnit('a loss'), 'unit not stated by the family');
});

test('kernel-throughput: the markers are named references, and the caption names the bar that passes one', () => {
  const { data, layout } = FIGURES['kernel-throughput']();
  assert.ok(!data.some((t) => /ceiling/.test(String(t.name))), 'no marker is called a ceiling');
  assert.ok(data.some((t) => /^matmul reference.*not a bound/.test(String(t.name))));
  assert.match(referencesCaption(bench()), /references, not ceilings.*one bar passes a reference: cpu full d=100, T=1000 at 1\.05× the matmul reference/);
  const lower = bench();
  lower.ceilings.cpu.matmulGflops = 2;
  assert.match(referencesCaption(lower), /every bar stays below both/);
  // labels unrotated, one short line each, so none runs past the panel's right edge
  assert.equal((layout.xaxis as PlotlyObject).tickangle, 0);
  const categories = data.filter((t) => t.type === 'bar').flatMap((t) => t.x as string[]);
  assert.ok(categories.every((c) => c.split('<br>').every((part) => part.length <= 8)), categories.join(' | '));
});
