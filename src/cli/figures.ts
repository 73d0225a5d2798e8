/** `collapse figures`: the figure gallery (HTML, PNG, SVG, CSV, JSON and index.html) in one directory. */
import { UsageError } from '../core/errors.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { didYouMean } from '../core/suggest.js';
import { BACKENDS, type BackendRequest } from '../kernels/backend.js';
import { makeGallery } from '../figures/gallery.js';
import { FIGURES, type Figure } from '../figures/index.js';
import type { CommonFlags } from './linear.js';
import { table } from './output.js';

export const DEFAULT_FIGURES_DIR = 'figures';

export const FIGURES_OPTIONS: readonly OptionSpec[] = [
  { flag: 'quick', kind: 'boolean', description: 'fewer trials (wider bands, said so in each caption): every figure in under two minutes on 2 cores' },
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
  for (const id of wanted) {
    if (!ids.includes(id)) throw new UsageError(`--only must name figures among ${ids.join(', ')}; got ${JSON.stringify(id)}${didYouMean(id, ids)}`);
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

export async function figuresCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const quick = Boolean(flags.quick);
  const seed = option(flags, 'seed') as number;
  const backend = option(flags, 'backend') as BackendRequest;
  const only = flags.only === undefined ? undefined : (option(flags, 'only') as string);
  const figures = selectFigures(only);
  const out = flags.out ?? DEFAULT_FIGURES_DIR;
  const verbose = !flags.quiet && !flags.json && process.stderr.isTTY === true;
  const report = await makeGallery({
    out,
    force: Boolean(flags.force),
    quick,
    seed,
    backend,
    figures,
    command: figuresCommandLine(flags),
    log: (line) => {
      if (verbose) process.stderr.write(`collapse figures: ${line}\n`);
    },
  });
  if (report.imagesSkipped) process.stderr.write(`collapse figures: PNG and SVG skipped: ${report.imagesSkipped}; wrote HTML, JSON and CSV\n`);
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
