/**
 * `collapse worker --queue URL [--concurrency N]`: take sweep cells from the BullMQ queue on that Redis until
 * Ctrl-C or SIGTERM, which checkpoint the cells in progress and give their jobs back to the queue. Every job is
 * checked against the sweep it names before it runs (src/sweep/job.ts); --root narrows which sweeps are served.
 */
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { watchSignals } from './interrupt.js';

export const WORKER_OPTIONS: readonly OptionSpec[] = [
  { flag: 'queue', kind: 'string', meta: 'redis://host:port', description: 'the Redis whose queue holds the cells (collapse sweep run FILE --queue URL)' },
  { flag: 'root', kind: 'string', meta: 'dir', description: "run only cells of sweeps whose directory is DIR or inside it; refuse other jobs" },
  { flag: 'concurrency', kind: 'int', default: 1, min: 1, max: 256, description: 'cells this worker runs at once, each a child process' },
  { flag: 'quiet', kind: 'boolean', description: 'no line per cell on stderr' },
  { flag: 'debug', kind: 'boolean', description: 'print stack traces of internal errors' },
];

export async function workerCommand(flags: Record<string, unknown>): Promise<number> {
  if (flags.queue === undefined) throw new UsageError('worker needs --queue redis://host:port (the Redis that sweep run --queue enqueued on)');
  const { parseQueueUrl, persistenceWarning, probeQueue, runWorker } = await import('../sweep/queue.js'); // BullMQ loads only here
  const option = (flag: string) => WORKER_OPTIONS.find((s) => s.flag === flag)!;
  const target = parseQueueUrl(parseOption(option('queue'), flags.queue) as string);
  const concurrency = parseOption(option('concurrency'), flags.concurrency ?? 1) as number;
  const roots = flags.root === undefined ? [] : [resolve(parseOption(option('root'), flags.root) as string)];
  const warning = persistenceWarning(target, await probeQueue(target, 'no worker started')); // fail fast, before the start line
  if (warning && !flags.quiet) process.stderr.write(warning + '\n');
  const watch = watchSignals();
  try {
    if (!flags.quiet) process.stderr.write(`worker: ${concurrency} at a time from queue ${target.name} on ${target.redis.host}:${target.redis.port} (pid ${process.pid})\n`);
    await runWorker(target, { concurrency, roots, log: flags.quiet ? undefined : (line) => process.stderr.write(line + '\n') }, watch.signal);
  } finally {
    watch.dispose();
  }
  return watch.interrupted()?.exitCode ?? 0;
}
