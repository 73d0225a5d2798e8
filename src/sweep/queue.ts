/**
 * The distributed executor: BullMQ on Redis. `sweep run --queue URL` enqueues one job per cell that is not complete
 * (job id = cell id, so overlapping sweeps share a job and a shared cell runs once); `collapse worker --queue URL`
 * on any number of machines runs them through `runCell`. BullMQ gives retries with exponential backoff, and stalled
 * job detection: a job whose worker died (SIGKILL, lost machine) loses its lock and is taken by another worker,
 * which resumes the cell from its checkpoint. A job that fails every attempt stays in the failed set: the dead
 * letters that `sweep run` and `sweep status --queue` list.
 *
 * Workers write each cell to its directory under the sweep's directory named in the job, so every machine must see
 * the sweep's directory at the same path (a shared filesystem); a machine that cannot still runs the cell, from the
 * start, into its own copy of the path. A worker checks every job first (src/sweep/job.ts) and refuses what a
 * `sweep run` would not have written. Redis setup (authentication, TLS, persistence): docs/sweeps.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { UsageError } from '../core/errors.js';
import { envMilliseconds } from '../core/environment.js';
import { inspectCell, runCell, type CellOutcome } from './cell.js';
import type { Executor, SweepEvents, SweepOutcome } from './executor.js';
import { checkJob, jobData, type CellJob } from './job.js';
import type { Cell, Sweep } from './spec.js';

export const DEFAULT_QUEUE_NAME = 'collapse-cells';

/** How often a sweep queues a cell again whose job vanished (a Redis restarted without its append-only file). */
const MAX_REQUEUES = 3;

/** Where Redis is: a plain object both ioredis and BullMQ take. */
interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
}

export interface QueueTarget {
  url: string;
  name: string;
  redis: RedisAddress;
}

/** `redis://[user:pass@]host[:port][/db][?queue=NAME]` (rediss:// for TLS); one line if it is not one. */
export function parseQueueUrl(url: string): QueueTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--queue must be a redis://host[:port][/db] URL; got ${JSON.stringify(url)}`);
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new UsageError(`--queue must be a redis://host[:port][/db] URL; got ${JSON.stringify(url)}`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new UsageError(`--queue ${url}: the path must be a database number (/0 … /15); got /${db}`);
  const name = parsed.searchParams.get('queue') ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new UsageError(`--queue ${url}: queue= must be letters, digits, '.', '_' or '-'; got ${JSON.stringify(name)}`);
  const redis: RedisAddress = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: db === '' ? 0 : Number(db),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { url, name, redis };
}

/** What the probe learnt about the Redis. */
export interface QueueProbe {
  /** appendonly yes: the queue survives a restart; null if Redis would not say */
  appendOnly: boolean | null;
}

/** `INFO section` as a map, or null where INFO is disabled (some managed Redis). */
async function info(client: Redis, section: string): Promise<Map<string, string> | null> {
  try {
    const text = await client.info(section);
    return new Map(text.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
  } catch {
    return null;
  }
}

/**
 * Fail fast: one PING with a short connect timeout and no retries, before anything is enqueued or a worker waits;
 * the database must exist (SELECT) and the server must take writes (not a replica). The connections used afterwards
 * reconnect forever (a Redis restart is survived, not reported).
 */
export async function probeQueue(target: QueueTarget, consequence = 'nothing was enqueued'): Promise<QueueProbe> {
  const timeoutMs = envMilliseconds('COLLAPSE_QUEUE_CONNECT_TIMEOUT_MS', 3000);
  const probe = new Redis({
    ...target.redis,
    db: 0, // selected below, where a database that does not exist is an error rather than an 'error' event
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error)); // the socket's own error (ECONNREFUSED …), reported below once
  let timer: NodeJS.Timeout | undefined;
  // a peer that accepts the connection but never answers (not Redis, a stuck server) must not hang us either
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const where = `${target.redis.host}:${target.redis.port}`;
  try {
    return await Promise.race([(async () => {
      try {
        await probe.connect();
        await probe.ping();
      } catch (error) {
        throw new UsageError(`--queue ${target.url}: cannot reach Redis (${(cause ?? (error as Error)).message.split('\n')[0]}); ${consequence}`);
      }
      try {
        await probe.select(target.redis.db);
      } catch (error) {
        throw new UsageError(`--queue ${target.url}: Redis at ${where} has no database ${target.redis.db} (${(error as Error).message.split('\n')[0]}); ${consequence}`);
      }
      const replication = await info(probe, 'replication');
      if (replication?.get('role') === 'slave') {
        const primary = replication.has('master_host') ? ` of ${replication.get('master_host')}:${replication.get('master_port')}` : '';
        throw new UsageError(`--queue ${target.url}: Redis at ${where} is a read-only replica${primary}; point --queue at the primary; ${consequence}`);
      }
      const aof = (await info(probe, 'persistence'))?.get('aof_enabled');
      return { appendOnly: aof === undefined ? null : aof === '1' };
    })(), silent]);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--queue ${target.url}: cannot reach Redis (${(cause ?? (error as Error)).message.split('\n')[0]}); ${consequence}`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

/** The warning for a Redis without an append-only file, or null. */
export function persistenceWarning(target: QueueTarget, probe: QueueProbe): string | null {
  if (probe.appendOnly !== false) return null;
  return `collapse: warning: Redis at ${target.redis.host}:${target.redis.port} runs without appendonly: a restart loses the queued jobs (a waiting sweep run queues its cells again; docs/sweeps.md)`;
}

/** Options of every long-lived connection: BullMQ's blocking commands need maxRetriesPerRequest null. */
const connection = (target: QueueTarget) => ({ ...target.redis, maxRetriesPerRequest: null });

/** A cell whose id already names a job for another directory (another sweep dir) gets its own job id. */
const jobIdFor = (cell: Cell, shared: boolean) => (shared ? cell.id : `${cell.id}.${createHash('sha256').update(cell.dir).digest('hex').slice(0, 8)}`);

export class QueueExecutor implements Executor {
  readonly name = 'queue';

  constructor(
    readonly target: QueueTarget,
    /** false: enqueue and return (the cells run on the workers) */
    readonly wait = true,
  ) {}

  async run(sweep: Sweep, events: SweepEvents, signal?: AbortSignal): Promise<SweepOutcome> {
    await probeQueue(this.target);
    const queue = new Queue<CellJob, CellOutcome>(this.target.name, { connection: connection(this.target) });
    queue.on('error', () => undefined); // reconnects on its own; a poll simply waits
    try {
      const outcome: SweepOutcome = { done: 0, skipped: 0, failed: [], queued: 0 };
      const pending = new Map<string, Cell>(); // job id → cell
      let finished = 0;
      let newJobs = 0;
      for (const cell of sweep.cells) {
        if (inspectCell(cell).state === 'done') {
          outcome.skipped++;
          events.onCell?.({ id: cell.id, status: 'skipped', how: 'skip', seconds: 0 }, ++finished, sweep.cells.length);
          continue;
        }
        const { jobId, added } = await this.enqueue(queue, sweep, cell);
        pending.set(jobId, cell);
        if (added) newJobs++;
      }
      const workers = await queue.getWorkersCount().catch(() => null); // CLIENT LIST may be disabled on a managed Redis
      events.onQueued?.(newJobs, pending.size - newJobs, workers);
      if (!this.wait) return { ...outcome, queued: pending.size };
      const poll = envMilliseconds('COLLAPSE_QUEUE_POLL_MS', 500);
      const requeued = new Map<string, number>(); // cell id → how often its job vanished
      while (pending.size > 0 && !signal?.aborted) {
        // ask in batches: concurrent commands share the connection, so a big sweep costs few round trips per poll
        const entries = [...pending];
        const states: string[] = [];
        for (let i = 0; i < entries.length; i += 200) states.push(...(await Promise.all(entries.slice(i, i + 200).map(([jobId]) => queue.getJobState(jobId)))));
        for (const [k, [jobId, cell]] of entries.entries()) {
          const state = states[k];
          if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
          const job = await queue.getJob(jobId);
          pending.delete(jobId);
          const complete = inspectCell(cell).state === 'done';
          if (state === 'unknown' && !complete && (requeued.get(cell.id) ?? 0) < MAX_REQUEUES) {
            // the queue lost the job (a Redis restarted without appendonly) before the cell was done: ask again
            requeued.set(cell.id, (requeued.get(cell.id) ?? 0) + 1);
            events.onRequeued?.(cell.id);
            pending.set((await this.enqueue(queue, sweep, cell)).jobId, cell);
            continue;
          }
          let result: CellOutcome;
          if ((state === 'completed' || state === 'unknown') && complete) {
            // not complete when this sweep looked (those were skipped above), so run during this sweep, even where
            // the job's last attempt found it done (its first attempt's result lost in a Redis restart) or the
            // job itself was lost
            const value = state === 'completed' ? job?.returnvalue : undefined;
            result = { id: cell.id, status: 'done', how: value?.how === 'resume' ? 'resume' : 'fresh', seconds: value?.seconds ?? 0 };
            outcome.done++;
          } else {
            const why = state === 'unknown'
              ? `its job was removed from the queue ${MAX_REQUEUES + 1} times (is Redis restarting without appendonly? docs/sweeps.md)`
              : state === 'completed' ? `the job completed but ${cell.dir} is not complete here (is the sweep directory shared with the workers?)` : (job?.failedReason ?? 'failed');
            result = { id: cell.id, status: 'failed', how: 'fresh', seconds: 0, error: why };
            outcome.failed.push(result);
          }
          events.onCell?.(result, ++finished, sweep.cells.length);
        }
        if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, poll));
      }
      return { ...outcome, queued: pending.size };
    } finally {
      await queue.close();
    }
  }

  /** Add the cell's job unless one is already queued or running for it. */
  private async enqueue(queue: Queue<CellJob, CellOutcome>, sweep: Sweep, cell: Cell): Promise<{ jobId: string; added: boolean }> {
    let jobId = jobIdFor(cell, true);
    let job = await queue.getJob(jobId);
    if (job && job.data.cell.dir !== cell.dir) {
      jobId = jobIdFor(cell, false);
      job = await queue.getJob(jobId);
    }
    if (job) {
      const state = await job.getState();
      if (state === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }); // a dead letter, asked for again
        return { jobId, added: true };
      }
      if (state !== 'completed') return { jobId, added: false }; // queued or running for another sweep: shared, runs once
      await job.remove(); // completed once, but its directory is gone or incomplete: run it again
    }
    const token = randomUUID();
    await queue.add(`${cell.command} ${cell.id}`, jobData(sweep, cell, token), {
      jobId,
      attempts: sweep.attempts,
      backoff: { type: 'exponential', delay: sweep.backoffSeconds * 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
    // adding an existing job id is a no-op: if another sweep added this cell a moment ago, the stored job is theirs
    return { jobId, added: (await queue.getJob(jobId))?.data.token === token };
  }
}

/** Dead letters of a sweep: its cells whose job failed every attempt, with the reason. */
export async function deadLetters(target: QueueTarget, sweep: Sweep): Promise<{ id: string; attempts: number; reason: string }[]> {
  await probeQueue(target);
  const queue = new Queue<CellJob>(target.name, { connection: connection(target) });
  queue.on('error', () => undefined);
  try {
    const out: { id: string; attempts: number; reason: string }[] = [];
    for (const cell of sweep.cells) {
      for (const jobId of [jobIdFor(cell, true), jobIdFor(cell, false)]) {
        const job = await queue.getJob(jobId);
        if (job && job.data.cell.dir === cell.dir && (await job.getState()) === 'failed') {
          out.push({ id: cell.id, attempts: job.attemptsMade, reason: job.failedReason ?? '' });
        }
      }
    }
    return out;
  } finally {
    await queue.close();
  }
}

export interface WorkerOptions {
  concurrency: number;
  /** one line per cell on stderr */
  log?: (line: string) => void;
  /** run only cells of sweeps whose directory is one of these or inside one (collapse worker --root) */
  roots?: readonly string[];
}

/** A line for the log from text a job supplied: no control characters, bounded. */
const oneLine = (text: string) => {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > 400 ? `${flat.slice(0, 397)}…` : flat;
};

/** Resolves true if `promise` settles within `ms`, false otherwise. */
const within = (promise: Promise<unknown>, ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
};

/**
 * A worker: takes cells from the queue until `signal` aborts. A stopping worker SIGTERMs its cells (they
 * checkpoint) and puts their jobs back to wait without spending an attempt. A job that fails its check
 * (src/sweep/job.ts) is refused: one line in the log, and the job goes to the failed set at once, without retries.
 * A Redis that turns read-only (a failover made it a replica) stops the worker with a UsageError.
 */
export async function runWorker(target: QueueTarget, options: WorkerOptions, signal: AbortSignal): Promise<void> {
  const stopping = new AbortController();
  const cells = new Set<Promise<CellOutcome>>(); // the cells running now
  const processing = new Set<Promise<CellOutcome>>(); // jobs in the processor, handing their job back included
  const processor = (job: Job<CellJob, CellOutcome>, token?: string): Promise<CellOutcome> => {
    const p = processJob(job, token);
    processing.add(p);
    return p.finally(() => processing.delete(p));
  };
  const processJob = async (job: Job<CellJob, CellOutcome>, token?: string): Promise<CellOutcome> => {
    let checked: ReturnType<typeof checkJob>;
    try {
      checked = checkJob(job.data, options.roots);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const why = oneLine(`refused: ${error.message}`);
      options.log?.(`worker: job ${oneLine(String(job.id)).slice(0, 80)} ${why}`);
      throw new UnrecoverableError(why); // no retries: straight to the dead letters
    }
    const { cell, timeoutSeconds } = checked;
    // a job that stalled lost its worker: locks its run left on another (dead) host are taken over
    const running = runCell(cell, { timeoutMs: timeoutSeconds * 1000, signal: stopping.signal, takeOverForeignLocks: job.stalledCounter > 0 });
    cells.add(running);
    const result = await running.finally(() => cells.delete(running));
    if (result.status === 'failed' && stopping.signal.aborted && token) {
      options.log?.(`worker: cell ${cell.id} stopped after ${result.seconds.toFixed(1)} s (checkpointed) and given back to the queue`);
      await job.moveToWait(token); // not the cell's fault: back to wait without spending an attempt
      throw new WaitingError();
    }
    options.log?.(`worker: cell ${cell.id} ${result.status}${result.how === 'resume' ? ' (resumed)' : ''} in ${result.seconds.toFixed(1)} s${result.error ? `: ${result.error}` : ''}`);
    if (result.status !== 'failed') return result;
    throw new Error(result.error ?? `cell ${cell.id} failed`);
  };
  const worker = new Worker<CellJob, CellOutcome>(target.name, processor, {
    connection: connection(target),
    concurrency: options.concurrency,
    // how soon a dead worker's cell is taken by another: the lock expires after lockDuration, checked every stalledInterval
    lockDuration: envMilliseconds('COLLAPSE_QUEUE_LOCK_MS', 30_000),
    stalledInterval: envMilliseconds('COLLAPSE_QUEUE_STALLED_MS', 30_000),
    maxStalledCount: 5,
  });
  let readOnly: string | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    worker.on('error', (error: Error) => {
      // connection errors: ioredis reconnects. A replica answers every write with READONLY, forever: stop.
      if (/^READONLY\b/.test(error.message) && readOnly === undefined) {
        readOnly = `--queue ${target.url}: Redis at ${target.redis.host}:${target.redis.port} has become a read-only replica; point --queue at the primary`;
        resolve();
      }
    });
  });
  await stopped;
  stopping.abort();
  await Promise.allSettled([...cells]); // each cell checkpoints on SIGTERM (SIGKILL after 10 s)
  // the stopped cells' jobs go back to the queue, and close() quits the connections: both need Redis, and without it
  // would wait for a reconnection forever; then the worker closes by force (no QUIT, no waiting for jobs)
  const graceMs = envMilliseconds('COLLAPSE_WORKER_CLOSE_MS', 2000);
  const handedBack = await within(Promise.allSettled([...processing]), graceMs);
  const reachable = handedBack && readOnly === undefined && (await probeQueue(target).then(() => true, () => false));
  if (!reachable && readOnly === undefined) options.log?.(`worker: Redis at ${target.redis.host}:${target.redis.port} does not answer; stopping without it (a job this worker held goes back to the queue when its lock expires)`);
  await worker.close(!reachable);
  if (readOnly !== undefined) throw new UsageError(readOnly);
}
