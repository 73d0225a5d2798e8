/**
 * Make a gallery: compute every figure, render PNG/SVG/PDF in headless Chromium when it is here, then write the pages,
 * the data, the images, plotly.min.js and index.html into one run directory. The directory is the caller's, already
 * opened (src/core/run-store.ts: lock, one atomic write per file, manifest.json marked complete last; `collapse
 * figures` opens it through src/cli/run-command.ts): every figure computed is checkpointed into it, so an interrupted
 * gallery resumes with the figures it had (--resume DIR, checked by {@link galleryResume}); the pages themselves are
 * written only when every figure is there.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { plausibleNumber } from '../core/stats.js';
import { CHECKPOINT_FILE, type Checkpoint } from '../core/run-store.js';
import { environment } from '../core/environment.js';
import { selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import { launchChromium, plotlyBundlePath, renderImages, type Rendered } from './browser.js';
import { captionWithDefinitions, isSkipped, type Figure, type FigureContext, type FigureOutput } from './figure.js';
import { figureHtml, galleryHtml, PLOTLY_FILE, type GalleryEntry } from './render.js';

export interface GalleryOptions {
  /** the run directory, as the report names it */
  out: string;
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
  /** checked before each figure: an aborted gallery throws signal.reason (its checkpoint has every figure made) */
  signal?: AbortSignal;
}

/** Where a gallery keeps its checkpoint and writes its files: an opened run directory (a RunStore is one). */
export interface GallerySink {
  saveCheckpoint(state: unknown, elapsedSeconds: number): void;
  writeText(name: string, content: string | Uint8Array): void;
}

/** What a resumed gallery continues with: the figures made before the interruption, and the backend they ran on. */
export interface GalleryResume {
  done: Map<string, DoneFigure>;
  backend: string | null;
}

/** A figure as checkpointed: its output, or why it was skipped, and what it took. */
export interface DoneFigure {
  output?: FigureOutput;
  skipped?: string;
  seconds: number;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Every number in x is NaN (a gap in a trace) or {@link plausibleNumber}: no ±Infinity, no 5e303. */
const plausibleNumbers = (x: unknown): boolean =>
  typeof x === 'number' ? Number.isNaN(x) || plausibleNumber(x) : Array.isArray(x) ? x.every(plausibleNumbers) : isObject(x) ? Object.values(x).every(plausibleNumbers) : true;

/**
 * A figure entry read back from a checkpoint (sealed with a checksum, not a signature, so range-checked): seconds
 * finite and ≥ 0; either why it was skipped, or an output with its traces, caption, CSV, an image size a page can
 * have, and plottable numbers throughout.
 */
function plausibleDoneFigure(f: unknown): f is DoneFigure {
  if (!isObject(f) || !plausibleNumber(f.seconds) || f.seconds < 0) return false;
  if (f.output === undefined) return typeof f.skipped === 'string' && f.skipped.length > 0;
  const o = f.output;
  if (f.skipped !== undefined || !isObject(o) || typeof o.caption !== 'string' || typeof o.csv !== 'string') return false;
  if (!isObject(o.figure) || !Array.isArray(o.figure.data) || o.figure.data.length === 0 || !o.figure.data.every(isObject) || !isObject(o.figure.layout)) return false;
  const image = o.image;
  const pixels = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) <= 10_000;
  if (!isObject(image) || !pixels(image.width) || !pixels(image.height) || !plausibleNumber(image.scale) || image.scale <= 0 || image.scale > 10) return false;
  return plausibleNumbers(o.figure) && plausibleNumbers(o.data);
}

/** The configuration a gallery's manifest records (and a resume must match). */
export function galleryConfig(options: Pick<GalleryOptions, 'quick' | 'seed' | 'backend' | 'figures' | 'images'>): Record<string, unknown> {
  return { quick: options.quick, seed: options.seed, backend: options.backend, figures: options.figures.map((f) => f.id), images: options.images !== false };
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
  /** null when PNG, SVG and PDF were rendered; otherwise why not */
  imagesSkipped: string | null;
  figures: GalleryFigureReport[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The checkpoint of an interrupted gallery (null if none was written), checked before a resume trusts it: entries of
 * the gallery's own figures only, each {@link plausibleDoneFigure}, and the backend they ran on. Throws a one-line
 * UsageError naming `dir` otherwise.
 */
export function galleryResume(checkpoint: Checkpoint<unknown> | null, figures: readonly string[], dir: string): { resumedFrom: string; checked: GalleryResume } {
  const unfit = () => new UsageError(`--resume ${dir}: its ${CHECKPOINT_FILE} does not fit the gallery in its manifest.json; nothing was changed`);
  const stored = (checkpoint?.state as { figures?: Record<string, DoneFigure> } | null)?.figures ?? {};
  const known = new Set(figures);
  if (typeof stored !== 'object' || stored === null || !Object.entries(stored).every(([id, f]) => known.has(id) && plausibleDoneFigure(f))) throw unfit();
  // the backend the figures made before the interruption ran on (this segment may select none)
  const backend = (checkpoint?.state as { backend?: unknown } | null)?.backend ?? null;
  if (backend !== null && typeof backend !== 'string') throw unfit();
  const done = new Map(Object.entries(stored));
  return { resumedFrom: `${done.size} of ${figures.length} figures made`, checked: { done, backend } };
}

/**
 * Make the gallery into `sink` (an opened run directory), continuing `resumed` (the figures an interrupted gallery
 * had made) when given. The caller marks the directory complete (and drops its checkpoint) or failed.
 */
export function makeGallery(options: GalleryOptions, sink: GallerySink, resumed?: GalleryResume): Promise<GalleryReport> {
  return buildGallery(options, sink, resumed?.done ?? new Map(), resumed?.backend ?? null, options.log ?? (() => undefined));
}

async function buildGallery(options: GalleryOptions, store: GallerySink, done: Map<string, DoneFigure>, priorBackend: string | null, log: (line: string) => void): Promise<GalleryReport> {
  const started = performance.now();
  const held: { backend: Backend | null } = { backend: null };
  const backendName = () => held.backend?.name ?? priorBackend;
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
      const earlier = done.get(figure.id);
      if (earlier) {
        log(`${figure.id}: made before the interruption`);
        made.push({ figure, output: earlier.output ?? null, skipped: earlier.skipped, seconds: earlier.seconds });
        continue;
      }
      options.signal?.throwIfAborted();
      const t0 = performance.now();
      log(`${figure.id}: computing`);
      const result = await figure.make(context);
      const seconds = (performance.now() - t0) / 1000;
      if (isSkipped(result)) {
        log(`${figure.id}: skipped (${result.skipped})`);
        made.push({ figure, output: null, skipped: result.skipped, seconds });
        done.set(figure.id, { skipped: result.skipped, seconds });
      } else {
        log(`${figure.id}: ${result.figure.data.length} traces in ${seconds.toFixed(1)} s`);
        made.push({ figure, output: result, seconds });
        done.set(figure.id, { output: result, seconds });
      }
      store.saveCheckpoint({ figures: Object.fromEntries(done), backend: backendName() }, [...done.values()].reduce((sum, f) => sum + f.seconds, 0));
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
        log(`PNG, SVG and PDF rendered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
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
    const caption = captionWithDefinitions(figure, output.caption);
    const names: string[] = [];
    const put = (name: string, content: string | Uint8Array) => {
      files.set(name, content);
      names.push(name);
    };
    put(`${figure.id}.html`, figureHtml({ id: figure.id, title: figure.title, caption, command: options.command, figure: output.figure, image: output.image, images: Boolean(rendered) }));
    put(`${figure.id}.json`, JSON.stringify({ id: figure.id, title: figure.title, caption, command: options.command, quick: options.quick, seed: options.seed, data: output.data }, null, 1) + '\n');
    put(`${figure.id}.csv`, output.csv);
    if (rendered) {
      put(`${figure.id}.png`, rendered.png);
      put(`${figure.id}.svg`, rendered.svg);
      put(`${figure.id}.pdf`, rendered.pdf);
    }
    entries.push({ id: figure.id, title: figure.title, caption, command: options.command, images: Boolean(rendered), image: output.image, seconds });
    reports.push({ id: figure.id, title: figure.title, seconds, files: names, traces: output.figure.data.length });
  }
  const seconds = (performance.now() - started) / 1000;
  const env = environment({ backend: backendName(), imagesSkipped });
  files.set('index.html', galleryHtml(entries, { command: options.command, date: String(env.date), version: String(env.version), imagesSkipped, seconds }));
  const report: GalleryReport = { out: options.out, seconds, backend: backendName(), imagesSkipped, figures: reports };
  files.set('gallery.json', JSON.stringify({ ...report, command: options.command, quick: options.quick, seed: options.seed, environment: env }, null, 2) + '\n');
  for (const [name, content] of files) store.writeText(name, content);
  return report;
}
