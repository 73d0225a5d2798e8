/**
 * Make a gallery: compute every figure, render PNG/SVG in headless Chromium when it is here, then write the pages,
 * the data, the images, plotly.min.js and index.html into one run directory (src/core/run-store.ts: lock, one
 * atomic write per file, manifest.json marked complete last). Everything is computed in memory first, so an
 * existing gallery is untouched until the new one is written, and nothing is written when a figure fails.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { preflightOut, RunStore } from '../core/run-store.js';
import { environment } from '../cli/output.js';
import { selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import { launchChromium, plotlyBundlePath, renderImages, type Rendered } from './browser.js';
import { isSkipped, type Figure, type FigureContext, type FigureOutput } from './figure.js';
import { figureHtml, galleryHtml, PLOTLY_FILE, type GalleryEntry } from './render.js';

export interface GalleryOptions {
  out: string;
  force: boolean;
  quick: boolean;
  seed: number;
  backend: BackendRequest;
  figures: readonly Figure[];
  /** the command line quoted in captions */
  command: string;
  /** render PNG/SVG (default true); false writes HTML, JSON and CSV only */
  images?: boolean;
  /** the repository root (default: the one holding this package) */
  root?: string;
  log?: (line: string) => void;
}

export interface GalleryFigureReport {
  id: string;
  title: string;
  seconds: number;
  files: string[];
  skipped?: string;
  /** the number of traces the figure has (what Plotly draws) */
  traces?: number;
}

export interface GalleryReport {
  out: string;
  seconds: number;
  backend: string | null;
  /** null when PNG and SVG were rendered; otherwise why not */
  imagesSkipped: string | null;
  figures: GalleryFigureReport[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * RunStore.writeText hands its text to Buffer.from(text, 'utf8'), which copies bytes unchanged when given bytes; its
 * signature says string. Until it says string | Uint8Array, the PNGs and the Plotly bundle pass through this cast
 * (test/figures/gallery.test.ts checks both byte for byte).
 */
function writeGallery(dir: string, force: boolean, files: Map<string, string | Uint8Array>, run: { config: Record<string, unknown>; seed: number; backend: Backend | null }): void {
  const store = RunStore.create(dir, force, { command: 'figures', config: run.config, seed: run.seed, backend: run.backend?.name ?? null, backendReason: run.backend?.reason ?? null });
  try {
    for (const [name, content] of files) store.writeText(name, content as string);
  } catch (error) {
    store.finish('failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
  store.finish('complete');
}

export async function makeGallery(options: GalleryOptions): Promise<GalleryReport> {
  const log = options.log ?? (() => undefined);
  preflightOut(options.out, options.force); // refuse before any work
  const started = performance.now();
  const held: { backend: Backend | null } = { backend: null };
  const context: FigureContext = {
    quick: options.quick,
    seed: options.seed,
    command: options.command,
    root: options.root ?? ROOT,
    log,
    async backend() {
      if (!held.backend) {
        held.backend = await selectBackend(options.backend);
        log(`backend ${held.backend.name} (${held.backend.reason})`);
      }
      return held.backend;
    },
  };
  const made: { figure: Figure; output: FigureOutput | null; skipped?: string; seconds: number }[] = [];
  try {
    for (const figure of options.figures) {
      const t0 = performance.now();
      log(`${figure.id}: computing`);
      const result = await figure.make(context);
      const seconds = (performance.now() - t0) / 1000;
      if (isSkipped(result)) {
        log(`${figure.id}: skipped (${result.skipped})`);
        made.push({ figure, output: null, skipped: result.skipped, seconds });
      } else {
        log(`${figure.id}: ${result.figure.data.length} traces in ${seconds.toFixed(1)} s`);
        made.push({ figure, output: result, seconds });
      }
    }
  } finally {
    await held.backend?.destroy();
  }

  const jobs = made.filter((m) => m.output).map((m) => ({ id: m.figure.id, figure: (m.output as FigureOutput).figure, image: (m.output as FigureOutput).image }));
  let images = new Map<string, Rendered>();
  let imagesSkipped: string | null = null;
  if (options.images === false) imagesSkipped = 'not requested';
  else if (jobs.length > 0) {
    const browser = await launchChromium();
    if ('reason' in browser) imagesSkipped = browser.reason;
    else {
      try {
        const t0 = performance.now();
        images = await renderImages(browser, jobs);
        log(`PNG and SVG rendered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await browser.close();
      }
    }
  }

  const files = new Map<string, string | Uint8Array>();
  files.set(PLOTLY_FILE, readFileSync(plotlyBundlePath()));
  const entries: GalleryEntry[] = [];
  const reports: GalleryFigureReport[] = [];
  for (const { figure, output, skipped, seconds } of made) {
    if (!output) {
      entries.push({ id: figure.id, title: figure.title, command: options.command, skipped, images: false, seconds });
      reports.push({ id: figure.id, title: figure.title, seconds, files: [], skipped });
      continue;
    }
    const rendered = images.get(figure.id);
    const names: string[] = [];
    const put = (name: string, content: string | Uint8Array) => {
      files.set(name, content);
      names.push(name);
    };
    put(`${figure.id}.html`, figureHtml({ id: figure.id, title: figure.title, caption: output.caption, command: options.command, figure: output.figure, image: output.image, images: Boolean(rendered) }));
    put(`${figure.id}.json`, JSON.stringify({ id: figure.id, title: figure.title, caption: output.caption, command: options.command, quick: options.quick, seed: options.seed, data: output.data }, null, 1) + '\n');
    put(`${figure.id}.csv`, output.csv);
    if (rendered) {
      put(`${figure.id}.png`, rendered.png);
      put(`${figure.id}.svg`, rendered.svg);
    }
    entries.push({ id: figure.id, title: figure.title, caption: output.caption, command: options.command, images: Boolean(rendered), image: output.image, seconds });
    reports.push({ id: figure.id, title: figure.title, seconds, files: names, traces: output.figure.data.length });
  }
  const seconds = (performance.now() - started) / 1000;
  const env = environment({ backend: held.backend?.name ?? null, imagesSkipped });
  files.set('index.html', galleryHtml(entries, { command: options.command, date: String(env.date), version: String(env.version), imagesSkipped, seconds }));
  const report: GalleryReport = { out: options.out, seconds, backend: held.backend?.name ?? null, imagesSkipped, figures: reports };
  files.set('gallery.json', JSON.stringify({ ...report, command: options.command, quick: options.quick, seed: options.seed, environment: env }, null, 2) + '\n');
  const config = { quick: options.quick, seed: options.seed, backend: options.backend, figures: options.figures.map((f) => f.id), images: options.images !== false };
  writeGallery(options.out, options.force, files, { config, seed: options.seed, backend: held.backend });
  return report;
}
