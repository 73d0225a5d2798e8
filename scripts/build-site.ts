/**
 * `npm run site`: the static site in site/ (git-ignored): the explorer (site/index.html + one IIFE bundle, so it runs
 * from file:// as well as from any static host), README.md, docs/*.md and proofs/*.md rendered to HTML, the API
 * reference (docs/api, from `npm run docs`) and the figure gallery (--figures DIR, default figures/) when they exist.
 *
 *   node --import tsx scripts/build-site.ts [--out DIR] [--figures DIR]
 *
 * The bundle is the library itself: two Node-only seams are swapped for browser ones (kernels/backend.ts →
 * site/browser-backend.ts; node:module → site/node-module.ts) and setImmediate is injected.
 */
import { build, type Plugin } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import { UsageError } from '../src/core/errors.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) fail(`--${name} needs a directory`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(`build-site: ${message}\n`);
  process.exit(2);
}

/** The browser's side of the seams: which library modules the bundle replaces, and with what. */
const browserSeams: Plugin = {
  name: 'browser-seams',
  setup(b) {
    b.onResolve({ filter: /\/kernels\/backend\.js$/ }, (args) => {
      if (!args.importer.startsWith(join(root, 'src'))) return undefined;
      return { path: join(root, 'src/site/browser-backend.ts') };
    });
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: join(root, 'src/site/node-module.ts') }));
    // anything else from Node would fail in a page: refuse it at build time, naming the importer
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} (imported by ${relative(root, args.importer)}) has no browser seam` }] }));
  },
};

export interface SiteSources {
  /** the figure gallery to copy (a directory with index.html); default figures/ when it has one */
  figures?: string;
  /** the TypeDoc output to copy; default docs/api when it has an index.html */
  api?: string;
}

export async function buildSite(out: string, sources: SiteSources = {}): Promise<string[]> {
  const pages = collectPages(sources); // first: a bad --figures fails before anything is written
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'src/site/explorer.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outfile: join(out, 'explorer.js'),
    plugins: [browserSeams],
    inject: [join(root, 'src/site/immediate.ts')],
    // only createRequire reads it, and the browser's node:module ignores its argument
    define: { 'import.meta.url': '"about:blank"' },
    logLevel: 'warning',
  });
  cpSync(require.resolve('plotly.js-dist-min/plotly.min.js'), join(out, 'plotly.min.js'));
  writeFileSync(join(out, 'style.css'), readFileSync(join(root, 'src/site/style.css')));

  const nav = (depth: number) => navigation(pages, depth);
  writeFileSync(join(out, 'index.html'), page('collapse-lab explorer', nav(0), readFileSync(join(root, 'src/site/explorer.html'), 'utf8'), 0, ['plotly.min.js', 'explorer.js']));
  for (const doc of pages.markdown) {
    const depth = doc.site.split('/').length - 1;
    const marked = new Marked({ walkTokens: (token) => {
      if (token.type === 'link' || token.type === 'image') token.href = siteLink(doc.source, token.href, pages);
    } });
    const html = marked.parse(readFileSync(join(root, doc.source), 'utf8'), { async: false });
    mkdirSync(dirname(join(out, doc.site)), { recursive: true });
    writeFileSync(join(out, doc.site), page(doc.title, nav(depth), `<article class="doc">${html}</article>`, depth, []));
  }
  if (pages.api) cpSync(pages.api, join(out, 'api'), { recursive: true });
  if (pages.figures) cpSync(pages.figures, join(out, 'figures'), { recursive: true });
  return [...pages.markdown.map((d) => d.site), ...(pages.api ? ['api/'] : []), ...(pages.figures ? ['figures/'] : [])];
}

interface Pages {
  markdown: { source: string; site: string; title: string }[];
  api: string | undefined;
  figures: string | undefined;
}

function collectPages(sources: SiteSources): Pages {
  const markdown: Pages['markdown'] = [];
  const add = (source: string, site: string) => {
    const text = readFileSync(join(root, source), 'utf8');
    markdown.push({ source, site, title: /^#\s+(.+)$/m.exec(text)?.[1] ?? source });
  };
  if (existsSync(join(root, 'README.md'))) add('README.md', 'readme.html');
  for (const dir of ['docs', 'proofs']) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of readdirSync(join(root, dir)).sort()) if (name.endsWith('.md')) add(`${dir}/${name}`, `${dir}/${name.replace(/\.md$/, '.html')}`);
  }
  const figures = sources.figures ? resolve(sources.figures) : existsSync(join(root, 'figures/index.html')) ? join(root, 'figures') : undefined;
  if (sources.figures && !existsSync(join(figures as string, 'index.html'))) throw new UsageError(`--figures ${sources.figures}: no index.html there (make the gallery with npm run figures)`);
  const api = sources.api ?? join(root, 'docs/api');
  return { markdown, api: existsSync(join(api, 'index.html')) ? api : undefined, figures };
}

/** A link in a markdown file as a link in the site: .md pages to their .html, docs/api to api/, the rest unchanged. */
function siteLink(source: string, href: string, pages: Pages): string {
  if (/^([a-z]+:|#|\/)/i.test(href)) return href;
  const [path, hash = ''] = href.split('#');
  const target = posix.normalize(posix.join(posix.dirname(source), path));
  const doc = pages.markdown.find((d) => d.source === target);
  let site: string | undefined = doc?.site;
  if (!site && pages.api && (target === 'docs/api' || target.startsWith('docs/api/'))) site = target.replace(/^docs\/api/, 'api');
  if (!site) return href;
  const from = posix.dirname(pages.markdown.find((d) => d.source === source)?.site ?? '');
  return posix.relative(from, site) + (hash ? `#${hash}` : '');
}

function navigation(pages: Pages, depth: number): string {
  const up = '../'.repeat(depth);
  const link = (href: string, text: string) => `<a href="${up}${href}">${escapeHtml(text)}</a>`;
  const guides = pages.markdown.filter((d) => d.source.startsWith('docs/'));
  const items = [
    link('index.html', 'Explorer'),
    ...(pages.markdown.some((d) => d.source === 'README.md') ? [link('readme.html', 'README')] : []),
    ...guides.map((d) => link(d.site, d.title)),
    ...(pages.api ? [link('api/index.html', 'API')] : []),
    ...(pages.figures ? [link('figures/index.html', 'Figures')] : []),
  ];
  return `<nav aria-label="Site">${items.join('\n')}</nav>`;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function page(title: string, nav: string, body: string, depth: number, scripts: string[]): string {
  const up = '../'.repeat(depth);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${up}style.css">
</head>
<body>
<header>${nav}</header>
<main>
${body}
</main>
${scripts.map((s) => `<script src="${up}${s}"></script>`).join('\n')}
</body>
</html>
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(flag('out') ?? join(root, 'site'));
  const started = performance.now();
  let written: string[];
  try {
    written = await buildSite(out, { figures: flag('figures') });
  } catch (error) {
    fail(error instanceof UsageError ? error.message : String((error as Error).message ?? error).split('\n')[0]);
  }
  process.stdout.write(`site: ${relative(process.cwd(), out) || '.'}/index.html (explorer) + ${written.length} pages in ${((performance.now() - started) / 1000).toFixed(1)} s; open it from disk or copy the folder to any static host\n`);
}
