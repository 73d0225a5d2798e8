/**
 * `collapse sweep run|status|collect FILE`: a grid of cells (src/sweep/spec.ts) run by the local pool or a BullMQ
 * queue, its state read from the cells' run directories, and its results gathered into one table.
 */
import { writeFileAtomic } from '../core/atomic-file.js';
import { UsageError } from '../core/errors.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import type { CellOutcome } from '../sweep/cell.js';
import { collectTable, tableToCsv, tableToJson } from '../sweep/collect.js';
import type { Executor, SweepOutcome } from '../sweep/executor.js';
import { LocalExecutor } from '../sweep/local.js';
import type { QueueExecutor } from '../sweep/queue.js';

/** BullMQ and ioredis load only for --queue: they would double the start-up of every command. */
const queueModule = () => import('../sweep/queue.js');
import { loadSweep, type Sweep } from '../sweep/spec.js';
import { progressBar, sweepStatus } from '../sweep/status.js';
import { watchSignals } from './interrupt.js';

export const SWEEP_ACTIONS = ['run', 'status', 'collect'] as const;

/** Exit code of a sweep that ended with failed cells (dead letters on a queue). */
export const EXIT_CELLS_FAILED = 5;

export const SWEEP_OPTIONS: readonly OptionSpec[] = [
  { flag: 'queue', kind: 'string', meta: 'redis://host:port', description: 'run (or look up) the cells on a BullMQ queue on this Redis; workers: collapse worker --queue URL' },
  { flag: 'workers', kind: 'int', min: 1, max: 256, description: 'run: child processes of the local pool (default one per core)' },
  { flag: 'detach', kind: 'boolean', description: 'run --queue: enqueue the cells and return without waiting for them' },
  { flag: 'dir', kind: 'string', meta: 'dir', description: "the sweep's directory (cells in DIR/cells/<id>), instead of the file's out (run also takes --out DIR)" },
  { flag: 'format', kind: 'enum', default: 'csv', choices: ['csv', 'json'], description: 'collect: the table as CSV or JSON (every row also carries its seed group: mean, stderr, 95% t-interval over the cells that differ only in the seed)' },
  { flag: 'out', kind: 'string', meta: 'path', description: "run: the sweep's directory (as --dir); collect: write the table to this file instead of stdout" },
  { flag: 'json', kind: 'boolean', description: 'run, status: print one JSON object' },
  { flag: 'quiet', kind: 'boolean', description: 'run: no line per cell on stderr' },
  { flag: 'debug', kind: 'boolean', description: 'print stack traces of internal errors' },
];

/** A word as a shell would need it (URLs with ?queue= must be quoted). */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const text = (flag: string, value: unknown) => parseOption({ flag, kind: 'string', meta: '', description: '' }, value) as string;

export async function sweepCommand(flags: Record<string, unknown>): Promise<number> {
  const [action, file] = (flags.args as string[] | undefined) ?? [];
  if (!(SWEEP_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`sweep: the action must be one of ${SWEEP_ACTIONS.join(', ')}; got ${JSON.stringify(action)} (collapse sweep run FILE)`);
  }
  if (flags.workers !== undefined && (action !== 'run' || flags.queue !== undefined)) throw new UsageError('--workers sizes the local pool of sweep run; with --queue start workers with collapse worker');
  if (flags.detach && (action !== 'run' || flags.queue === undefined)) throw new UsageError('--detach goes with sweep run --queue URL');
  const dirFlag = flags.dir !== undefined ? text('dir', flags.dir) : action !== 'collect' && flags.out !== undefined ? text('out', flags.out) : undefined;
  const q = flags.queue === undefined ? undefined : await queueModule();
  const queue = q?.parseQueueUrl(text('queue', flags.queue));
  const sweep = loadSweep(file, dirFlag); // a malformed file stops here: nothing is enqueued or run
  const quiet = Boolean(flags.quiet) || Boolean(flags.json);
  if (action === 'status') {
    const status = sweepStatus(sweep);
    if (q && queue) await q.probeQueue(queue, 'no status from the queue');
    const dead = q && queue ? await q.deadLetters(queue, sweep) : [];
    if (flags.json) {
      process.stdout.write(JSON.stringify({ sweep: sweep.name, dir: sweep.out, ...status, deadLetters: dead }) + '\n');
    } else {
      const lines = [`sweep ${sweep.name}: ${sweep.cells.length} cells of collapse ${sweep.command.name} in ${sweep.out}`, process.stdout.isTTY ? progressBar(status) : progressBar(status).replace(/^\[[#-]*\] /, '')];
      for (const cell of status.cells) if (cell.state === 'failed' || cell.state === 'running') lines.push(`  ${cell.id} ${cell.state}${cell.detail ? `: ${cell.detail}` : ''}`);
      for (const d of dead) lines.push(`  dead letter ${d.id} after ${d.attempts} attempts: ${d.reason}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  }
  if (action === 'collect') {
    const format = parseOption(SWEEP_OPTIONS.find((s) => s.flag === 'format')!, flags.format ?? 'csv') as 'csv' | 'json';
    const table = collectTable(sweep);
    const body = format === 'csv' ? tableToCsv(table) : tableToJson(table);
    if (flags.out !== undefined) writeFileAtomic(text('out', flags.out), body);
    else process.stdout.write(body);
    if (table.missing.length > 0) process.stderr.write(`collapse: sweep ${sweep.name}: ${table.missing.length} of ${sweep.cells.length} cells have no results yet (collapse sweep status ${file})\n`);
    return 0;
  }
  if (q && queue) {
    // an unreachable queue, a missing database, a replica: one line, before anything is printed or enqueued
    const warning = q.persistenceWarning(queue, await q.probeQueue(queue));
    if (warning && !flags.quiet) process.stderr.write(warning + '\n');
  }
  const executor: Executor = q && queue ? new q.QueueExecutor(queue, !flags.detach) : new LocalExecutor((flags.workers === undefined ? undefined : parseOption(SWEEP_OPTIONS.find((s) => s.flag === 'workers')!, flags.workers)) as number | undefined);
  return runSweep(sweep, executor, quiet, Boolean(flags.json));
}

async function runSweep(sweep: Sweep, executor: Executor, quiet: boolean, json: boolean): Promise<number> {
  const watch = watchSignals();
  const log = (line: string) => quiet || process.stderr.write(line + '\n');
  log(`sweep ${sweep.name}: ${sweep.cells.length} cells of collapse ${sweep.command.name} in ${sweep.out} (${executor.name})`);
  let outcome: SweepOutcome;
  try {
    outcome = await executor.run(sweep, {
      onQueued: (added, shared, workers) => {
        log(`sweep ${sweep.name}: queued ${added} cells${shared > 0 ? `; ${shared} were already queued (shared with another sweep, or from an earlier run)` : ''}`);
        if (workers === 0 && added + shared > 0) log(`sweep ${sweep.name}: no worker is connected yet; start some with: npx collapse worker --queue ${executor.name === 'queue' ? shellWord((executor as QueueExecutor).target.url) : 'URL'}`);
      },
      onRequeued: (id) => log(`sweep ${sweep.name}: the job of cell ${id} vanished from the queue before the cell was complete (Redis restarted without appendonly?); queued it again`),
      onCell: (c: CellOutcome, finished, total) => log(`sweep ${sweep.name}: ${finished}/${total} cell ${c.id} ${c.status === 'skipped' ? 'already complete' : c.status}${c.how === 'resume' ? ' (resumed)' : ''}${c.error ? `: ${c.error}` : ''}`),
    }, watch.signal);
  } finally {
    watch.dispose();
  }
  const interrupted = watch.interrupted();
  const summary = { sweep: sweep.name, dir: sweep.out, cells: sweep.cells.length, done: outcome.done, skipped: outcome.skipped, failed: outcome.failed, queued: outcome.queued };
  if (json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const queued = outcome.queued > 0 ? `, ${outcome.queued} ${interrupted ? 'unfinished' : 'queued for the workers'}` : '';
    process.stdout.write(`sweep ${sweep.name}: ${sweep.cells.length} cells: ${outcome.done} run, ${outcome.skipped} already complete, ${outcome.failed.length} failed${queued}\n`);
    for (const f of outcome.failed) process.stdout.write(`  failed ${f.id}: ${f.error ?? ''}\n`);
  }
  if (interrupted) {
    process.stderr.write(
      executor.name === 'queue'
        ? `collapse: interrupted; the cells stay queued and the workers keep running them (collapse sweep status ${shellWord(sweep.file)} --queue ${shellWord((executor as QueueExecutor).target.url)})\n`
        : 'collapse: interrupted; run the sweep again to continue (complete cells are skipped, interrupted ones resumed)\n',
    );
    return interrupted.exitCode;
  }
  return outcome.failed.length > 0 ? EXIT_CELLS_FAILED : 0;
}
