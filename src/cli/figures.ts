/**
 * `collapse figures`: the figure gallery (HTML, PNG, SVG, CSV, JSON and index.html) in one directory (default
 * figures/), run directory, checkpoints and --resume as every command (src/cli/run-command.ts).
 */
import { rmSync } from 'node:fs';
import { echo, UsageError } from '../core/errors.js';
import { CHECKPOINT_FILE, readManifest } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { didYouMean } from '../core/suggest.js';
import { BACKENDS, type BackendRequest } from '../kernels/backend.js';
import { galleryConfig, galleryResume, makeGallery, type GalleryReport, type GalleryResume } from '../figures/gallery.js';
import { FIGURES, type Figure } from '../figures/index.js';
import { runCommand, type CommonFlags } from './run-command.js';
import { table } from './output.js';
import { rejectResumeConflicts } from './resume.js';

export const DEFAULT_FIGURES_DIR = 'figures';

export const FIGURES_OPTIONS: readonly OptionSpec[] = [
  { flag: 'quick', kind: 'boolean', description: 'fewer trials and iterations (wider bands, said so in each caption); docs/figures.md gives measured times' },
  { flag: 'only', kind: 'string', meta: 'ids', description: `make only these figures, comma-separated (${FIGURES.map((f) => f.id).join(', ')})` },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xfffff000, description: 'base seed (a figure\'s k-th run uses seed + k)' },
  { flag: 'backend', kind: 'enum', default: 'auto', choices: ['auto', ...BACKENDS], description: 'gpu.js backend' },
];

function option(flags: Record<string, unknown>, flag: string): unknown {
  const spec = FIGURES_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
  const value = flags[flag];
  return value === undefined ? (spec as { default?: unknown }).default : parseOption(spec, value);
}

function selectFigures(only: string | undefined): readonly Figure[] {
  if (only === undefined) return FIGURES;
  const ids = FIGURES.map((f) => f.id);
  const wanted = only.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) throw new UsageError(`--only needs at least one figure id (${ids.join(', ')}); got ${JSON.stringify(echo(only))}`);
  for (const id of wanted) {
    if (!ids.includes(id)) throw new UsageError(`--only must name figures among ${ids.join(', ')}; got ${JSON.stringify(echo(id))}${didYouMean(id, ids)}`);
  }
  return FIGURES.filter((f) => wanted.includes(f.id));
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command as the user would retype it: the flags that were given, in a fixed order. */
export function figuresCommandLine(flags: Record<string, unknown>): string {
  const words = ['npx', 'collapse', 'figures'];
  if (flags.quick) words.push('--quick');
  for (const flag of ['only', 'seed', 'backend', 'out']) if (flags[flag] !== undefined) words.push(`--${flag}`, shellWord(String(flags[flag])));
  if (flags.force) words.push('--force');
  return words.join(' ');
}

/** What a gallery's manifest.json records (src/figures/gallery.ts galleryConfig) and a resume must match. */
interface GalleryConfig {
  quick: boolean;
  seed: number;
  backend: BackendRequest;
  figures: string[];
  images: boolean;
}

const figuresNamed = (ids: readonly string[]) => FIGURES.filter((f) => ids.includes(f.id));

/** The configuration from flags, or (a stored manifest, checked by resumedOptions first) from its figure ids. */
function validateFigures(raw: Record<string, unknown>): GalleryConfig {
  const figures = Array.isArray(raw.figures) ? figuresNamed(raw.figures.map(String)) : selectFigures(raw.only === undefined ? undefined : (option(raw, 'only') as string));
  return galleryConfig({ quick: Boolean(raw.quick), seed: option(raw, 'seed') as number, backend: option(raw, 'backend') as BackendRequest, figures }) as unknown as GalleryConfig;
}

/** --resume DIR: DIR's manifest must describe a gallery; a flag given beside it must say the same. */
function resumedOptions(flags: Record<string, unknown>, dir: string): void {
  rejectResumeConflicts(flags, dir);
  const stored = readManifest(dir, 'figures').config as { quick?: unknown; seed?: unknown; backend?: unknown; figures?: unknown };
  const ids = Array.isArray(stored.figures) ? stored.figures.map(String) : [];
  const figures = figuresNamed(ids);
  if (typeof stored.quick !== 'boolean' || typeof stored.seed !== 'number' || typeof stored.backend !== 'string' || figures.length !== ids.length) {
    throw new UsageError(`--resume ${dir}: its manifest.json does not describe a gallery this version of collapse makes; start afresh`);
  }
  const differs = (flag: string, stored: unknown) => {
    if (flags[flag] === undefined || flags[flag] === false) return;
    const given = flag === 'only' ? selectFigures(flags.only as string).map((f) => f.id).join(',') : option(flags, flag);
    if (String(given) !== String(stored)) throw new UsageError(`--resume ${dir} continues the gallery as its manifest.json says; --${flag} ${String(flags[flag])} differs (drop the flag)`);
  };
  differs('quick', stored.quick);
  differs('seed', stored.seed);
  differs('backend', stored.backend);
  differs('only', ids.join(','));
}

export function figuresCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const resume = flags.resume === undefined ? undefined : String(parseOption({ flag: 'resume', kind: 'string', meta: 'dir', description: '' }, flags.resume));
  // the gallery's own checks of --resume with their messages; its flags, all checked, then stay out of runCommand's
  if (resume !== undefined) resumedOptions(flags, resume);
  const verbose = !flags.quiet && !flags.json && process.stderr.isTTY === true;
  return runCommand<GalleryConfig, GalleryResume | undefined, GalleryReport>(
    {
      name: 'figures',
      options: FIGURES_OPTIONS,
      validate: validateFigures,
      writeConfig: false,
      checkState: (config, checkpoint, dir) => galleryResume(checkpoint, config.figures, dir),
      // a figure selects the backend when it needs one (and the checkpoint records it), so the manifest names none
      backend: () => ({ name: null, reason: null }),
      run: ({ config, dir, store, resumed, signal }) => {
        const { quick, seed, backend } = config;
        const out = dir as string; // always a directory: --out defaults to figures/
        return makeGallery(
          {
            out,
            quick,
            seed,
            backend,
            figures: figuresNamed(config.figures),
            signal,
            command: figuresCommandLine(resume ? { quick, seed, backend, only: config.figures.join(','), out } : flags),
            log: (line) => {
              if (verbose) process.stderr.write(`collapse figures: ${line}\n`);
            },
          },
          store!,
          resumed,
        );
      },
      write: (_report, store) => rmSync(store.path(CHECKPOINT_FILE), { force: true }), // every figure is in the pages now
      print: (report, { config, dir }) => print(report, config.quick, dir as string, Boolean(flags.json)),
    },
    resume !== undefined ? { resume, quiet: flags.quiet, json: flags.json } : { ...flags, out: flags.out ?? DEFAULT_FIGURES_DIR },
  );
}

function print(report: GalleryReport, quick: boolean, out: string, json: boolean): number {
  if (report.imagesSkipped) process.stderr.write(`collapse figures: PNG, SVG and PDF skipped: ${report.imagesSkipped}; wrote HTML, JSON and CSV\n`);
  if (json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  const rows = report.figures.map((f) => [f.id, f.skipped ? 'skipped' : String(f.traces), f.seconds.toFixed(1), f.skipped ?? f.files.filter((n) => !n.endsWith('.html')).map((n) => n.slice(n.lastIndexOf('.') + 1)).join(' ')]);
  process.stdout.write(
    `collapse figures${quick ? ' --quick' : ''}: ${report.figures.filter((f) => !f.skipped).length} of ${report.figures.length} figures in ${report.seconds.toFixed(1)} s` +
      `${report.backend ? ` on ${report.backend}` : ''}\n\n` +
      table(['figure', 'traces', 'seconds', 'files (besides .html)'], rows) +
      `\n\nwrote ${out}/index.html (open it in a browser; works offline)\n`,
  );
  return 0;
}
