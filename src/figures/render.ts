/** HTML: one self-contained page per figure (plotly.min.js beside it, no network) and the gallery index.html. */
import type { ImageSize, PlotlyFigure } from './figure.js';

/** The Plotly bundle copied once into every gallery; pages load it by this relative name. */
export const PLOTLY_FILE = 'plotly.min.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe inside <script type="application/json">: no '</script>' or '<!--' can appear. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Caption text with `backticked` spans as <code>. */
function captionHtml(caption: string): string {
  return escapeHtml(caption).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 1320px; padding: 0 16px; color: #222; }
  figcaption, .note { font-size: 14px; line-height: 1.5; max-width: 1200px; }
  code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; font-size: 13px; }
  .links a { margin-right: 12px; }
  .card { border-top: 1px solid #ddd; padding-top: 16px; margin-top: 24px; }
  .card img { max-width: 100%; height: auto; border: 1px solid #eee; }
  .card iframe { width: 100%; border: 1px solid #eee; }
  .skipped { color: #8a4b00; }
`;

export interface PageEntry {
  id: string;
  title: string;
  caption: string;
  command: string;
  figure: PlotlyFigure;
  image: ImageSize;
  /** PNG, SVG and PDF were rendered beside the page */
  images: boolean;
}

/**
 * One figure's page. The figure JSON is embedded; plotly.min.js is loaded from beside the file (works offline, from
 * file://). When the plot is drawn, body[data-traces] holds the number of traces Plotly drew.
 */
export function figureHtml(entry: PageEntry, plotlySrc = PLOTLY_FILE): string {
  const { width, height } = entry.image;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(entry.title)} — collapse-lab</title>
<style>${STYLE}</style>
<script src="${escapeHtml(plotlySrc)}"></script>
</head>
<body>
<h1 style="font-size:20px">${escapeHtml(entry.title)}</h1>
<div id="figure" class="figure" style="width:100%;max-width:${width}px;height:${height}px"></div>
<figcaption>${captionHtml(entry.caption)}<br>Made by <code>${escapeHtml(entry.command)}</code>.</figcaption>
<p class="links note"><a href="${entry.id}.json">data (JSON)</a><a href="${entry.id}.csv">data (CSV)</a>${entry.images ? `<a href="${entry.id}.png">PNG</a><a href="${entry.id}.svg">SVG</a><a href="${entry.id}.pdf">PDF</a>` : ''}<a href="index.html">gallery</a></p>
<script type="application/json" id="figure-json">${scriptJson(entry.figure)}</script>
<script>
  (function () {
    var el = document.getElementById('figure');
    if (!window.Plotly) { el.textContent = '${PLOTLY_FILE} did not load: keep it in the same directory as this page.'; return; }
    var fig = JSON.parse(document.getElementById('figure-json').textContent);
    Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false }).then(function (gd) {
      document.body.setAttribute('data-traces', String(gd.data.length));
    });
  })();
</script>
</body>
</html>
`;
}

export interface GalleryEntry {
  id: string;
  title: string;
  caption?: string;
  command: string;
  /** why the figure was not made (e.g. no benchmark results) */
  skipped?: string;
  /** PNG, SVG and PDF exist */
  images: boolean;
  image?: ImageSize;
  seconds: number;
}

export function galleryHtml(entries: readonly GalleryEntry[], meta: { command: string; date: string; version: string; imagesSkipped: string | null; seconds: number }): string {
  const cards = entries.map((e) => {
    if (e.skipped) {
      return `<section class="card" id="${e.id}">
<h2>${escapeHtml(e.title)}</h2>
<p class="note skipped">Skipped: ${captionHtml(e.skipped)}</p>
</section>`;
    }
    const height = e.image?.height ?? 600;
    const view = e.images
      ? `<a href="${e.id}.html" title="open the interactive figure"><img src="${e.id}.png" alt="${escapeHtml(e.title)}" width="${e.image?.width ?? ''}"></a>`
      : `<iframe src="${e.id}.html" title="${escapeHtml(e.title)}" style="height:${height + 200}px" loading="lazy"></iframe>`;
    const images = e.images ? `<a href="${e.id}.png">PNG</a><a href="${e.id}.svg">SVG</a><a href="${e.id}.pdf">PDF</a>` : '';
    return `<section class="card" id="${e.id}">
<h2>${escapeHtml(e.title)}</h2>
${view}
<figcaption>${captionHtml(e.caption ?? '')}<br>Made by <code>${escapeHtml(e.command)}</code> in ${e.seconds.toFixed(1)} s.</figcaption>
<p class="links note"><a href="${e.id}.html">interactive</a>${images}<a href="${e.id}.csv">CSV</a><a href="${e.id}.json">JSON</a></p>
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>collapse-lab figures</title>
<style>${STYLE}</style>
</head>
<body>
<h1>collapse-lab figures</h1>
<p class="note">Made by <code>${escapeHtml(meta.command)}</code> (collapse-lab ${escapeHtml(meta.version)}, ${escapeHtml(meta.date)}, ${meta.seconds.toFixed(1)} s).
Each figure links to its interactive page (works offline: ${PLOTLY_FILE} is in this directory) and to its data as CSV and JSON.</p>
${meta.imagesSkipped ? `<p class="note skipped">PNG, SVG and PDF were not rendered: ${escapeHtml(meta.imagesSkipped)}. The interactive pages are shown instead.</p>\n` : ''}${cards.join('\n')}
</body>
</html>
`;
}
