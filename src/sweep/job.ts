/**
 * What a queue job carries, and how a worker checks it. Anyone who can write to the Redis can put a job on the
 * queue, so a worker trusts none of it: it rebuilds the cell from the job's command and options with the checks a
 * sweep file gets (options from the command's schema only, each value checked as its flag would be), recomputes the
 * cell's id and directory (`<sweep's directory>/cells/<id>`), and runs that cell, never a path or a flag taken from
 * the job. A job that does not survive this is refused: it goes straight to the failed set (the dead letters).
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { SWEEP_COMMANDS } from './commands.js';
import { buildCell, checkOption, type Cell, type Scalar, type Sweep } from './spec.js';

export interface CellJob {
  sweep: string;
  /** the sweep's directory (absolute): the cell runs in ROOT/cells/<id> */
  root: string;
  /** who enqueued it (random per enqueue): two sweeps adding the same cell at once can tell whose job it is */
  token: string;
  cell: Cell;
  timeoutSeconds: number;
}

/** The longest one attempt may run (a week), as `timeout` in a sweep file. */
const MAX_TIMEOUT_SECONDS = 7 * 86_400;

export const jobData = (sweep: Sweep, cell: Cell, token: string): CellJob => ({
  sweep: sweep.name, root: sweep.out, token, cell, timeoutSeconds: sweep.timeoutSeconds,
});

const isMapping = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const inside = (dir: string, root: string) => {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};
const cut = (text: string) => (text.length > 80 ? `${text.slice(0, 77)}…` : text);

/**
 * The cell a job may run, rebuilt from its command and options, or a UsageError saying why the job is refused.
 * `roots`: the worker's --root (the directories whose sweeps it serves), if given.
 */
export function checkJob(data: unknown, roots: readonly string[] = []): { sweep: string; cell: Cell; timeoutSeconds: number } {
  try {
    return checkJobData(data, roots);
  } catch (error) {
    // the option checks echo the value they refuse, and a job's value may be of any size
    if (error instanceof UsageError && error.message.length > 400) throw new UsageError(`${error.message.slice(0, 399)}…`);
    throw error;
  }
}

function checkJobData(data: unknown, roots: readonly string[]): { sweep: string; cell: Cell; timeoutSeconds: number } {
  const refuse = (why: string): never => {
    throw new UsageError(why);
  };
  if (!isMapping(data)) return refuse('its data is not a mapping');
  const { sweep, root, cell, timeoutSeconds } = data;
  if (typeof sweep !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(sweep)) refuse(`sweep must be a sweep name; got ${cut(JSON.stringify(sweep) ?? 'nothing')}`);
  if (typeof root !== 'string' || !isAbsolute(root) || resolve(root) !== root) refuse(`root must be the sweep's directory as an absolute path; got ${cut(JSON.stringify(root) ?? 'nothing')}`);
  const dir = root as string;
  if (roots.length > 0 && !roots.some((r) => inside(dir, r))) refuse(`its sweep directory ${cut(dir)} is not inside --root ${roots.join(', ')}`);
  if (typeof timeoutSeconds !== 'number' || !Number.isSafeInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    refuse(`timeoutSeconds must be an integer in [1, ${MAX_TIMEOUT_SECONDS}]; got ${cut(JSON.stringify(timeoutSeconds) ?? 'nothing')}`);
  }
  if (!isMapping(cell)) return refuse('cell is not a mapping');
  const command = SWEEP_COMMANDS.find((c) => c.name === cell.command);
  if (!command) return refuse(`cell.command must be one of ${SWEEP_COMMANDS.map((c) => c.name).join(', ')}; got ${cut(JSON.stringify(cell.command) ?? 'nothing')}`);
  if (!isMapping(cell.options)) return refuse('cell.options is not a mapping');
  const prefix = `sweep ${sweep}`;
  const options: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(cell.options)) {
    const label = /^[\w-]{1,40}$/.test(key) ? key : cut(JSON.stringify(key)); // a key may hold anything: quoted, cut
    options[key] = checkOption(prefix, `cell.options.${label}`, command, key, value);
  }
  const rebuilt = buildCell(prefix, command, options, dir);
  // the id and directory follow from the options; a job that says otherwise was not written by `sweep run`
  if (cell.id !== rebuilt.id) refuse(`cell.id ${cut(JSON.stringify(cell.id) ?? 'nothing')} is not the id of its options (${rebuilt.id})`);
  if (cell.dir !== rebuilt.dir) refuse(`cell.dir ${cut(JSON.stringify(cell.dir) ?? 'nothing')} is not the cell's directory in its sweep (${rebuilt.dir})`);
  return { sweep: sweep as string, cell: rebuilt, timeoutSeconds: timeoutSeconds as number };
}
