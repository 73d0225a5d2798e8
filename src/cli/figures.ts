/** `collapse figures`: the figure gallery (HTML, PNG, SVG, CSV, JSON and index.html) in one directory. */
import { echo, UsageError } from '../core/errors.js';
import { readManifest } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { didYouMean } from '../core/suggest.js';
import { BACKENDS, type BackendRequest } from '../kernels/backend.js';
import { makeGallery } from '../figures/gallery.js';
import { FIGURES, type Figure } from '../figures/index.js';
import type { CommonFlags } from './run-command.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
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

/** --resume DIR: the options from DIR's manifest; a flag given beside it must say the same. */
function resumedOptions(flags: Record<string, unknown>, dir: string): { quick: boolean; seed: number; backend: BackendRequest; figures: readonly Figure[] } {
  rejectResumeConflicts(flags, dir);
  const stored = readManifest(dir, 'figures').config as { quick?: unknown; seed?: unknown; backend?: unknown; figures?: unknown };
  const ids = Array.isArray(stored.figures) ? stored.figures.map(String) : [];
  const figures = FIGURES.filter((f) => ids.includes(f.id));
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
  return { quick: stored.quick, seed: stored.seed, backend: stored.backend as BackendRequest, figures };
}

export async function figuresCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const resume = flags.resume === undefined ? undefined : String(parseOption({ flag: 'resume', kind: 'string', meta: 'dir', description: '' }, flags.resume));
  const settings = resume
    ? resumedOptions(flags, resume)
    : {
        quick: Boolean(flags.quick),
        seed: option(flags, 'seed') as number,
        backend: option(flags, 'backend') as BackendRequest,
        figures: selectFigures(flags.only === undefined ? undefined : (option(flags, 'only') as string)),
      };
  const { quick, seed, backend, figures } = settings;
  const out = resume ?? (flags.out as string | undefined) ?? DEFAULT_FIGURES_DIR;
  const verbose = !flags.quiet && !flags.json && process.stderr.isTTY === true;
  const watch = watchSignals();
  let report: Awaited<ReturnType<typeof makeGallery>>;
  try {
    report = await makeGallery({
      out,
      force: Boolean(flags.force),
      quick,
      seed,
      backend,
      figures,
      resume: resume !== undefined,
      signal: watch.signal,
      command: figuresCommandLine(resume ? { quick, seed, backend, only: figures.map((f) => f.id).join(','), out } : flags),
      log: (line) => {
        if (verbose) process.stderr.write(`collapse figures: ${line}\n`);
      },
    });
  } catch (error) {
    if (error instanceof Interrupted) {
      process.stderr.write(interruptedLine('figures', out) + '\n');
      return error.exitCode;
    }
    throw error;
  } finally {
    watch.dispose();
  }
  if (report.imagesSkipped) process.stderr.write(`collapse figures: PNG, SVG and PDF skipped: ${report.imagesSkipped}; wrote HTML, JSON and CSV\n`);
  if (flags.json) {
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
