/**
 * A tiny gallery made end to end in a temp dir (small Monte Carlo, real Plotly), then opened in headless Chromium:
 * every page draws the traces its figure has, loads nothing from the network, and every PNG has the requested size
 * and is not blank, every PDF is one vector page of the figure's size, and no text runs past the image's edge.
 * Without /usr/bin/chromium the browser checks are skipped (with the reason); the fallback that
 * writes HTML, JSON and CSV without images is checked either way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { boundFigure } from '../../src/figures/accumulation-bound.js';
import { chromiumPath, launchChromium, plotlyBundlePath, pngSize } from '../../src/figures/browser.js';
import type { GalleryReport } from '../../src/figures/gallery.js';
import { makeGalleryInDir } from '../helpers/gallery.js';
import { kernelThroughput } from '../../src/figures/kernel-throughput.js';
import { linearPaperFigure } from '../../src/figures/linear-paper.js';

const CHROMIUM = chromiumPath();
const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (Debian: apt-get install -y chromium); browser checks skipped`;

const tinyPaper = linearPaperFigure(() => ({ dim: 3, samples: [8, 12], noises: [0.1, 10], strategies: ['replace', 'accumulate'], iterations: 5, trials: 200, method: 'reduced' }));
const tinyBound = boundFigure(() => ({ dim: 3, samples: 12, noise: 1, iterations: 5, trialsReduced: 200, trialsFull: 40, strategies: ['replace', 'accumulate', 'accumulate-subsample'] }));
const FIGS = [tinyPaper, tinyBound, kernelThroughput];
// per line: band, Monte Carlo, theory; then the line-style key (2 legend-only traces)
const EXPECTED_TRACES: Record<string, number> = { 'linear-paper': 2 * 2 * 2 * 3 + 2, 'accumulation-bound': 3 + 3 + 2 + 1 + 2 };

const base = mkdtempSync(join(tmpdir(), 'collapse-figures-'));
const dir = join(base, 'gallery');
let report: GalleryReport;
let browser: Browser | null = null;

/** The image size each figure asked for (PNG pixels are this × scale; SVG and PDF this in CSS px). */
function sizeOf(id: string): { width: number; height: number } {
  const [width, height] = ({ 'linear-paper': [1200, 720], 'accumulation-bound': [1000, 620], 'kernel-throughput': [1100, 600] } as Record<string, number[]>)[id];
  return { width, height };
}

before(async () => {
  report = await makeGalleryInDir({ out: dir, force: false, quick: true, seed: 5, backend: 'auto', figures: FIGS, command: 'npx collapse figures --quick (test)' });
  if (!noChromium) {
    const launched = await launchChromium();
    if ('reason' in launched) throw new Error(launched.reason);
    browser = launched;
  }
});

after(async () => {
  await browser?.close();
});

test('the gallery holds every file of every figure, plotly.min.js and index.html', () => {
  const files = readdirSync(dir).sort();
  const images = noChromium ? [] : ['png', 'svg', 'pdf'];
  for (const id of ['linear-paper', 'accumulation-bound']) {
    for (const ext of ['html', 'json', 'csv', ...images]) assert.ok(files.includes(`${id}.${ext}`), `${id}.${ext}`);
    assert.equal(report.figures.find((f) => f.id === id)?.traces, EXPECTED_TRACES[id]);
  }
  assert.ok(files.includes('index.html') && files.includes('gallery.json'));
  assert.match(readFileSync(join(dir, 'manifest.json'), 'utf8'), /"status": "complete"/);
  assert.deepEqual(readFileSync(join(dir, 'plotly.min.js')), readFileSync(plotlyBundlePath()));
  assert.ok(!files.some((f) => f.startsWith('.')), 'no staging leftovers');
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  for (const f of report.figures) assert.match(index, new RegExp(`id="${f.id}"`));
  assert.match(index, /npx collapse figures --quick \(test\)/);
  // the figure's data JSON carries the caption and every plotted number
  const json = JSON.parse(readFileSync(join(dir, 'linear-paper.json'), 'utf8'));
  assert.equal(json.data.runs.length, 8);
  assert.match(json.caption, /bands are wider/);
  assert.equal(readFileSync(join(dir, 'linear-paper.csv'), 'utf8').trim().split('\n').length, 1 + 8 * 5);
});

test('an existing gallery is refused without --force, replaced whole with it', async () => {
  await assert.rejects(makeGalleryInDir({ out: dir, force: false, quick: true, seed: 0, backend: 'auto', figures: [], command: 'x' }), /exists and is not empty; pass --force/);
  const other = join(base, 'replaced');
  const options = { out: other, quick: true, seed: 0, backend: 'auto' as const, command: 'x', images: false };
  await makeGalleryInDir({ ...options, force: false, figures: [kernelThroughput] });
  assert.ok(existsSync(join(other, 'kernel-throughput.html')));
  await makeGalleryInDir({ ...options, force: true, figures: [] });
  assert.deepEqual(readdirSync(other).sort(), ['gallery.json', 'index.html', 'manifest.json', 'plotly.min.js']);
  assert.deepEqual(readdirSync(base).filter((f) => f.startsWith('.')), [], 'no staging leftovers');
});

test('each HTML page draws its traces in headless Chromium, offline', { skip: noChromium }, async () => {
  const page = await (browser as Browser).newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  try {
    for (const f of report.figures.filter((x) => !x.skipped)) {
      await page.goto(pathToFileURL(join(dir, `${f.id}.html`)).href);
      await page.waitForFunction(() => (globalThis as any).document.body.getAttribute('data-traces') !== null, undefined, { timeout: 20_000 });
      const drawn = await page.evaluate(() => {
        const d = (globalThis as any).document;
        const gd = d.querySelector('.js-plotly-plot');
        return { data: gd.data.length, paths: d.querySelectorAll('.js-plotly-plot .scatterlayer .trace, .js-plotly-plot .barlayer .trace').length };
      });
      assert.equal(drawn.data, f.traces, f.id);
      assert.equal(drawn.paths, f.traces, `${f.id}: every trace has an SVG group`);
    }
  } finally {
    await page.close();
  }
  assert.ok(requests.every((u) => u.startsWith('file://')), `network requests: ${requests.filter((u) => !u.startsWith('file://')).join(', ')}`);
});

test('PNGs have the requested size and are not blank; SVGs are SVG', { skip: noChromium }, async () => {
  const page = await (browser as Browser).newPage();
  try {
    for (const f of report.figures.filter((x) => !x.skipped)) {
      const json = JSON.parse(readFileSync(join(dir, `${f.id}.json`), 'utf8'));
      assert.ok(json.caption.length > 0);
      const png = readFileSync(join(dir, `${f.id}.png`));
      const size = pngSize(png);
      const image = ({ 'linear-paper': [1200, 720], 'accumulation-bound': [1000, 620], 'kernel-throughput': [1100, 600] } as Record<string, number[]>)[f.id];
      assert.deepEqual(size, { width: image[0] * 2, height: image[1] * 2 }, f.id);
      const pixels = await page.evaluate(async (url) => {
        const g = globalThis as any;
        const img = new g.Image();
        img.src = url;
        await img.decode();
        const canvas = g.document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const data: Uint8ClampedArray = ctx.getImageData(0, 0, img.width, img.height).data;
        const colours = new Set<number>();
        let ink = 0;
        for (let i = 0; i < data.length; i += 4) {
          colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          if (data[i] + data[i + 1] + data[i + 2] < 600) ink++;
        }
        return { width: img.width, colours: colours.size, ink: ink / (data.length / 4) };
      }, `data:image/png;base64,${png.toString('base64')}`);
      assert.equal(pixels.width, image[0] * 2);
      assert.ok(pixels.colours > 50, `${f.id}: only ${pixels.colours} distinct colours`);
      assert.ok(pixels.ink > 0.01, `${f.id}: ${(pixels.ink * 100).toFixed(2)}% non-white pixels`);
      assert.match(readFileSync(join(dir, `${f.id}.svg`), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    }
  } finally {
    await page.close();
  }
});

test('PDFs: one page each, the figure\'s size (CSS px → pt), beside the PNG and SVG and linked from the pages', { skip: noChromium }, () => {
  for (const f of report.figures.filter((x) => !x.skipped)) {
    const pdf = readFileSync(join(dir, `${f.id}.pdf`));
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', f.id);
    const text = pdf.toString('latin1');
    assert.deepEqual([...text.matchAll(/\/Count (\d+)/g)].map((m) => m[1]), ['1'], `${f.id}: one page`);
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text);
    const { width, height } = sizeOf(f.id);
    assert.ok(box && Math.abs(Number(box[1]) - width * 0.75) < 1 && Math.abs(Number(box[2]) - height * 0.75) < 1, `${f.id}: MediaBox ${box?.[0]}`);
    assert.match(readFileSync(join(dir, `${f.id}.html`), 'utf8'), new RegExp(`href="${f.id}.pdf"`));
  }
  assert.match(readFileSync(join(dir, 'index.html'), 'utf8'), /href="linear-paper\.pdf"/);
});

test('no text (tick label, title, legend) runs past the edge of the image: the old kernel-throughput label did, to 1112 of 1100 px', { skip: noChromium }, async () => {
  const page = await (browser as Browser).newPage();
  try {
    for (const f of report.figures.filter((x) => !x.skipped)) {
      const { width, height } = sizeOf(f.id);
      await page.setContent(`<!doctype html><body style="margin:0">${readFileSync(join(dir, `${f.id}.svg`), 'utf8')}</body>`);
      const outside = await page.evaluate(({ width, height }) => {
        const d = (globalThis as any).document;
        const out: string[] = [];
        for (const el of d.querySelectorAll('svg text')) { // tick labels, axis and panel titles, legend (x2tick etc. included)
          const r = el.getBoundingClientRect();
          if (r.width > 0 && (r.left < -0.5 || r.top < -0.5 || r.right > width + 0.5 || r.bottom > height + 0.5)) out.push(`${el.textContent} (${r.left.toFixed(0)}–${r.right.toFixed(0)})`);
        }
        return out;
      }, { width, height });
      assert.deepEqual(outside, [], `${f.id}: clipped labels`);
    }
  } finally {
    await page.close();
  }
});

test('without Chromium: HTML, JSON and CSV are written and one stderr line says why PNG/SVG were skipped', () => {
  const out = join(base, 'no-chromium');
  const bin = new URL('../../bin/collapse.js', import.meta.url).pathname;
  const result = spawnSync(process.execPath, [bin, 'figures', '--only', 'kernel-throughput', '--out', out], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, COLLAPSE_CHROMIUM: join(base, 'no-such-chromium') },
  });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^collapse figures: PNG, SVG and PDF skipped: .*no-such-chromium not found/);
  assert.deepEqual(readdirSync(out).sort(), ['gallery.json', 'index.html', 'kernel-throughput.csv', 'kernel-throughput.html', 'kernel-throughput.json', 'manifest.json', 'plotly.min.js']);
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /PNG, SVG and PDF were not rendered/);
  assert.match(result.stdout, /kernel-throughput/);
});

test('--only refuses an unknown figure with one line', () => {
  const bin = new URL('../../bin/collapse.js', import.meta.url).pathname;
  const result = spawnSync(process.execPath, [bin, 'figures', '--only', 'linear-papr', '--out', join(base, 'never')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--only must name figures among .*; got "linear-papr" \(did you mean 'linear-paper'\?\)/);
  assert.ok(!existsSync(join(base, 'never')));
});
