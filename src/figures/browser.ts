/**
 * Static images in headless Chromium (Debian's `chromium`, driven by playwright-core): each figure is drawn by the
 * same Plotly bundle the HTML pages load, then exported with Plotly.toImage as PNG and SVG, and the SVG printed by
 * Chromium to a one-page vector PDF of the same size (papers want PDF). No network is used.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import type { ImageSize, PlotlyFigure } from './figure.js';

/** Debian's chromium; COLLAPSE_CHROMIUM overrides it (tests point it at a missing path to check the fallback). */
export function chromiumPath(): string {
  return process.env.COLLAPSE_CHROMIUM || '/usr/bin/chromium';
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The plotly.min.js the pages load and the renderer injects. */
export function plotlyBundlePath(): string {
  return createRequire(import.meta.url).resolve('plotly.js-dist-min/plotly.min.js');
}

/** Launch headless Chromium, or say in one line why it cannot run here. */
export async function launchChromium(path = chromiumPath()): Promise<Browser | { reason: string }> {
  if (!existsSync(path)) return { reason: `${path} not found (Debian: apt-get install -y chromium)` };
  try {
    const { chromium } = await import('playwright-core');
    return await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { reason: `${path} did not start: ${message}` };
  }
}

export interface RenderJob {
  id: string;
  figure: PlotlyFigure;
  image: ImageSize;
}

export interface Rendered {
  png: Buffer;
  svg: string;
  pdf: Buffer;
}

/** A page holding only the SVG, sized to it, for page.pdf: one page, no margins, vector. */
export function pdfPageHtml(svg: string, width: number, height: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>@page { size: ${width}px ${height}px; margin: 0 } html, body { margin: 0; padding: 0 } svg { display: block }</style></head><body>${svg}</body></html>`;
}

/** Draw every figure in one page of the browser and export PNG (width·scale × height·scale pixels), SVG and PDF. */
export async function renderImages(browser: Browser, jobs: readonly RenderJob[]): Promise<Map<string, Rendered>> {
  const page = await browser.newPage();
  const printer = await browser.newPage();
  const out = new Map<string, Rendered>();
  try {
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"></body></html>');
    await page.addScriptTag({ path: plotlyBundlePath() });
    for (const job of jobs) {
      const urls = await page.evaluate(async ({ figure, image }) => {
        // runs in the page: Plotly is the bundle injected above
        const g = globalThis as unknown as { Plotly: any; document: any };
        const div = g.document.createElement('div');
        div.style.width = `${image.width}px`;
        div.style.height = `${image.height}px`;
        g.document.body.appendChild(div);
        try {
          await g.Plotly.newPlot(div, figure.data, { ...figure.layout, width: image.width, height: image.height }, { staticPlot: true });
          const png: string = await g.Plotly.toImage(div, { format: 'png', width: image.width, height: image.height, scale: image.scale });
          const svg: string = await g.Plotly.toImage(div, { format: 'svg', width: image.width, height: image.height });
          return { png, svg };
        } finally {
          g.Plotly.purge(div);
          div.remove();
        }
      }, job);
      const svg = decodeDataUrl(urls.svg).toString('utf8');
      const { width, height } = job.image;
      await printer.setContent(pdfPageHtml(svg, width, height));
      const pdf = await printer.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
      out.set(job.id, { png: decodeDataUrl(urls.png), svg, pdf });
    }
  } finally {
    await printer.close();
    await page.close();
  }
  return out;
}

/** 'data:image/png;base64,…' or 'data:image/svg+xml,%3Csvg…' to bytes. */
export function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) throw new Error(`not a data URL: ${url.slice(0, 40)}`);
  const head = url.slice(5, comma);
  const body = url.slice(comma + 1);
  return head.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/** Width and height from a PNG's IHDR chunk; throws if the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) throw new Error('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(...png.subarray(12, 16)) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
