/**
 * The sweep file: a grid over one command's options and seeds, expanded into cells. JSON or YAML:
 *
 *   name: paper-linear-slice       # default: the file's name
 *   command: linear                # any command in src/sweep/commands.ts
 *   out: runs/sweeps               # where cells live: OUT/cells/<id>/ (default runs/sweeps, shared by every sweep)
 *   base: { dim: 8, backend: webasm }          # options of every cell
 *   grid: { strategy: [replace, accumulate] }  # the cartesian product (the last key varies fastest)
 *   cells: [ { strategy: fresh:0.5 } ]         # extra cells, each over base (optional)
 *   seeds: 3                       # 0, 1, 2 (or a list); innermost
 *   attempts: 3                    # tries per cell on a queue before it is a dead letter
 *   backoff: 5                     # seconds before the first retry; doubles each time
 *   timeout: 3600                  # seconds one attempt of a cell may run
 *
 * A cell's id is a hash of its command and its fully resolved configuration (defaults applied, seed included), so
 * the same cell in two sweeps, or written two ways, is one cell and runs once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { INVOCATION_FLAGS } from '../core/config-file.js';
import { echo, UsageError } from '../core/errors.js';
import { canonicalJson } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { didYouMean } from '../core/suggest.js';
import { SWEEP_COMMANDS, type SweepCommand } from './commands.js';

export const MAX_CELLS = 10_000;
export const DEFAULT_OUT = 'runs/sweeps';
const TOP_KEYS = ['name', 'command', 'out', 'base', 'grid', 'cells', 'seeds', 'attempts', 'backoff', 'timeout'] as const;

export interface Cell {
  /** 16 hex digits of sha256(canonical {command, config}) */
  readonly id: string;
  readonly command: string;
  /** the options as the sweep file gives them (passed to the command as flags) */
  readonly options: Readonly<Record<string, string | number | boolean>>;
  /** the fully resolved configuration: what the cell's manifest must hold */
  readonly config: Readonly<Record<string, unknown>>;
  /** the cell's run directory */
  readonly dir: string;
}

export interface Sweep {
  readonly name: string;
  readonly file: string;
  readonly command: SweepCommand;
  /** absolute path of the sweep's directory; cells are in DIR/cells/<id> */
  readonly out: string;
  readonly attempts: number;
  readonly backoffSeconds: number;
  readonly timeoutSeconds: number;
  /** distinct cells in file order */
  readonly cells: readonly Cell[];
}

export type Scalar = string | number | boolean;
const isMapping = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (x: unknown) => (x === undefined ? 'nothing' : isMapping(x) ? 'a mapping' : Array.isArray(x) ? 'a list' : echo(JSON.stringify(x), 80));

export const cellId = (command: string, config: Record<string, unknown>) =>
  createHash('sha256').update(canonicalJson({ command, config })).digest('hex').slice(0, 16);

/** Read FILE as a mapping, or throw one line naming it. */
function readFile(file: string): Record<string, unknown> {
  const ext = extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) throw new UsageError(`sweep ${file}: use a .json, .yaml or .yml file (the extension picks the parser)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`sweep ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'error')})`);
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: false, logLevel: 'error' });
  } catch (error) {
    throw new UsageError(`sweep ${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0].trim()})`);
  }
  if (!isMapping(value)) throw new UsageError(`sweep ${file}: must hold a mapping (command, base, grid, seeds, …); got ${show(value ?? undefined)}`);
  return value;
}

function integer(file: string, key: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`sweep ${file}: ${key} must be an integer in [${min}, ${max}]; got ${show(value)}`);
  }
  return value;
}

/**
 * Check one option value against the command's schema, as its flag would be on the command line; the error starts
 * with `prefix` (which file, or which queue job) and where the value sits.
 */
export function checkOption(prefix: string, where: string, command: SweepCommand, key: string, value: unknown): Scalar {
  const names = command.options.map((s) => s.flag);
  const spec: OptionSpec | undefined = command.options.find((s) => s.flag === key);
  if (!spec) {
    if ((INVOCATION_FLAGS as readonly string[]).includes(key)) {
      throw new UsageError(`${prefix}: ${where}: ${key} is set by the sweep for each cell, not in the file`);
    }
    throw new UsageError(`${prefix}: ${where}: unknown option ${JSON.stringify(echo(key, 60))} of collapse ${command.name}${didYouMean(key, names) || ` (options: ${names.join(', ')})`}`);
  }
  if (spec.kind === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`${prefix}: ${where}: must be true or false; got ${show(value)}`);
    return value;
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${prefix}: ${where}: must be a single value; got ${show(value)}`);
  try {
    parseOption(spec, value);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${prefix}: ${where}: ${error.message}`);
    throw error;
  }
  return value;
}

/** The cell of `options` under a sweep directory: its resolved configuration, id and run directory. */
export function buildCell(prefix: string, command: SweepCommand, options: Record<string, Scalar>, root: string): Cell {
  let config: Record<string, unknown>;
  try {
    config = command.resolve(options);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${prefix}: cell ${describeCell(options)}: ${error.message}`);
    throw error;
  }
  const id = cellId(command.name, config);
  return { id, command: command.name, options, config, dir: resolve(root, 'cells', id) };
}

function optionMapping(file: string, where: string, command: SweepCommand, value: unknown): Record<string, Scalar> {
  if (value === undefined) return {};
  if (!isMapping(value)) throw new UsageError(`sweep ${file}: ${where} must be a mapping of option names to values; got ${show(value)}`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, checkOption(`sweep ${file}`, `${where}.${k}`, command, k, v)]));
}

function gridMapping(file: string, command: SweepCommand, value: unknown): [string, Scalar[]][] {
  if (value === undefined) return [];
  if (!isMapping(value)) throw new UsageError(`sweep ${file}: grid must be a mapping of option names to lists of values; got ${show(value)}`);
  return Object.entries(value).map(([key, values]) => {
    const list = Array.isArray(values) ? values : [values];
    if (list.length === 0) throw new UsageError(`sweep ${file}: grid.${key} must list at least one value; got []`);
    return [key, list.map((v, i) => checkOption(`sweep ${file}`, `grid.${key}[${i}]`, command, key, v))];
  });
}

function seedList(file: string, value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Array.from({ length: integer(file, 'seeds', value, 1, MAX_CELLS, 1) }, (_, i) => i);
  if (!Array.isArray(value) || value.length === 0) throw new UsageError(`sweep ${file}: seeds must be a count (1 to ${MAX_CELLS}) or a non-empty list of seeds; got ${show(value)}`);
  return value.map((seed, i) => integer(file, `seeds[${i}]`, seed, 0, 0xffffffff, 0));
}

function product(axes: [string, Scalar[]][]): Record<string, Scalar>[] {
  let rows: Record<string, Scalar>[] = [{}];
  for (const [key, values] of axes) rows = rows.flatMap((row) => values.map((v) => ({ ...row, [key]: v })));
  return rows;
}

const describeCell = (options: Record<string, Scalar>) => `{${Object.entries(options).map(([k, v]) => `${k}: ${String(v)}`).join(', ')}}`;

/** Load, validate and expand a sweep file; every problem is one UsageError line naming the file and the key. */
export function loadSweep(file: string, outOverride?: string): Sweep {
  const raw = readFile(file);
  for (const key of Object.keys(raw)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`sweep ${file}: unknown key ${JSON.stringify(echo(key, 60))}${didYouMean(key, TOP_KEYS) || ` (keys: ${TOP_KEYS.join(', ')})`}`);
    }
  }
  const names = SWEEP_COMMANDS.map((c) => c.name);
  const command = SWEEP_COMMANDS.find((c) => c.name === raw.command);
  if (!command) {
    const hint = typeof raw.command === 'string' ? didYouMean(raw.command, names) : '';
    throw new UsageError(`sweep ${file}: command must be one of ${names.join(', ')}; got ${show(raw.command)}${hint}`);
  }
  const name = raw.name ?? basename(file, extname(file));
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new UsageError(`sweep ${file}: name must be letters, digits, '.', '_' or '-' (at most 100); got ${show(name)}`);
  }
  const out = outOverride ?? raw.out ?? DEFAULT_OUT;
  if (typeof out !== 'string' || out.trim() === '') throw new UsageError(`sweep ${file}: out must be a directory path; got ${show(out)}`);
  const base = optionMapping(file, 'base', command, raw.base);
  const axes = gridMapping(file, command, raw.grid);
  if (raw.cells !== undefined && (!Array.isArray(raw.cells) || raw.cells.length === 0)) {
    throw new UsageError(`sweep ${file}: cells must be a non-empty list of option mappings; got ${show(raw.cells)}`);
  }
  const extra = ((raw.cells as unknown[] | undefined) ?? []).map((c, i) => optionMapping(file, `cells[${i}]`, command, c));
  const seeds = seedList(file, raw.seeds);
  if (seeds && ('seed' in base || axes.some(([k]) => k === 'seed') || extra.some((c) => 'seed' in c))) {
    throw new UsageError(`sweep ${file}: seeds and an option seed both set the seed; keep one`);
  }
  // counted before anything is expanded: 5 keys × 60 values would be 7.8·10^8 rows (minutes, then a heap crash)
  const gridRows = axes.length > 0 || extra.length === 0 ? axes.reduce((count, [, values]) => count * values.length, 1) : 0;
  const total = (gridRows + extra.length) * (seeds?.length ?? 1);
  if (total > MAX_CELLS) throw new UsageError(`sweep ${file}: the grid has ${Number.isSafeInteger(total) ? total : total.toExponential(2)} cells; at most ${MAX_CELLS} (split it into several sweeps)`);
  const rows = [...(gridRows > 0 ? product(axes) : []), ...extra].map((row) => ({ ...base, ...row }));
  const root = resolve(out);
  const cells = new Map<string, Cell>();
  for (const row of rows) {
    for (const seed of seeds ?? [undefined]) {
      const cell = buildCell(`sweep ${file}`, command, seed === undefined ? row : { ...row, seed }, root);
      if (!cells.has(cell.id)) cells.set(cell.id, cell);
    }
  }
  return {
    name,
    file,
    command,
    out: root,
    attempts: integer(file, 'attempts', raw.attempts, 1, 100, 3),
    backoffSeconds: integer(file, 'backoff', raw.backoff, 0, 86_400, 5),
    timeoutSeconds: integer(file, 'timeout', raw.timeout, 1, 7 * 86_400, 3600),
    cells: [...cells.values()],
  };
}

/** The flags that run a cell's command on the given options (booleans bare; `--k=v` so a value may start with '-'). */
export function cellFlags(options: Readonly<Record<string, Scalar>>): string[] {
  return Object.entries(options).flatMap(([key, value]) => (value === true ? [`--${key}`] : value === false ? [] : [`--${key}=${String(value)}`]));
}
