/**
 * The distributed executor against a real redis-server (started here on a free loopback port, append-only file in
 * a temp dir) and real worker processes (bin/collapse.js worker):
 *   - a worker SIGKILLed mid-cell: another worker takes the job (stalled-job detection) and resumes the cell from
 *     its checkpoint; the collected table equals an undisturbed local run, byte for byte (same seeds, webasm);
 *   - Redis restarted mid-sweep: workers and the waiting `sweep run` reconnect; every cell ran exactly once;
 *   - two sweeps with a shared cell: one job, one run;
 *   - a cell that keeps timing out: retried, then a dead letter (exit 5, listed by status);
 *   - a malformed sweep file or an unreachable queue: one line, exit 2, nothing enqueued, no hang.
 * Skipped, with the reason, only where /usr/bin/redis-server is missing (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseQueueUrl } from '../../src/sweep/queue.js';
import { isOneLineError, mainInProcess } from '../cli/helpers.js';
import {
  BIN, cellDirs, chunksDone, collapse, ensureBuilt, FAST_QUEUE_ENV, HAVE_REDIS, jobCounts, manifestOf, REDIS_SERVER, startRedis, stopAll, until,
  type RedisServer,
} from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-sweep-queue-'));
// two linear cells of 10 chunks (4096 trials, ~60 ms each on an idle core), a checkpoint after every chunk: a kill
// after chunk 2 leaves the cell ~0.5 s of work, far more than the orphaned child needs to notice (0.1 s)
const SWEEP = {
  command: 'linear',
  base: { dim: 4, samples: 20, iterations: 10, trials: 10 * 4096, method: 'full', backend: 'webasm' },
  grid: { strategy: ['replace', 'accumulate'] },
  seeds: [5],
  attempts: 3,
  backoff: 1,
  timeout: 300,
};
const sweepFile = (name: string, content: object) => {
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const FILE = sweepFile('grid', SWEEP);

let redis: RedisServer;
let reference: string;

/** `collapse sweep collect FILE --dir DIR` (in this process: the CLI's code without a start-up per call) */
async function collect(file: string, dir: string): Promise<string> {
  const run = await mainInProcess(['sweep', 'collect', file, '--dir', dir]);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

const skip = HAVE_REDIS ? false : `${REDIS_SERVER} is not installed (.ci/run installs it with apt-get)`;

describe('sweeps on a BullMQ queue', { skip, concurrency: 1 }, () => {
  before(async () => {
    ensureBuilt();
    redis = await startRedis(mkdtempSync(join(root, 'redis-')));
    // the undisturbed reference: the same sweep on the local pool
    const local = collapse(['sweep', 'run', FILE, '--out', join(root, 'reference'), '--workers', '2', '--quiet']);
    assert.equal(await local.exited, 0, local.output());
    reference = await collect(FILE, join(root, 'reference'));
    assert.equal(reference.trim().split('\n').length, 1 + 2 * 10, 'header + 2 cells × 10 iterations');
  });
  after(stopAll); // redis-server, workers and their cells, even when a test failed

  test('a worker SIGKILLed mid-cell: another worker resumes the cell from its checkpoint; the table equals the local run', async () => {
    const url = `${redis.url}?queue=kill`;
    const dir = join(root, 'kill');
    const sweep = collapse(['sweep', 'run', FILE, '--queue', url, '--out', dir]);
    const first = collapse(['worker', '--queue', url]);
    const victim = await until(() => cellDirs(dir).find((cell) => chunksDone(cell) >= 2), 'a cell 2 chunks in');
    first.child.kill('SIGKILL'); // the worker only: its cell is orphaned and stops itself at its next chunk
    assert.equal(await first.exited, null);
    const second = collapse(['worker', '--queue', url, '--concurrency', '2']);
    assert.equal(await sweep.exited, 0, sweep.output());
    const m = manifestOf(victim)!;
    assert.equal(m.status, 'complete');
    assert.equal(m.segments.length, 2, `the killed cell ran in two segments: ${JSON.stringify(m.segments)}`);
    assert.match(m.segments[1].resumedFrom ?? '', /chunk (\d+)/, 'resumed from a checkpoint, not from the start');
    assert.ok(Number(/chunk (\d+)/.exec(m.segments[1].resumedFrom!)![1]) >= 2, m.segments[1].resumedFrom);
    for (const cell of cellDirs(dir).filter((c) => c !== victim)) assert.equal(manifestOf(cell)!.segments.length, 1, `${cell} ran once`);
    assert.match(second.output(), /\(resumed\)/);
    assert.equal(await collect(FILE, dir), reference, 'the collected table equals the undisturbed local run');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 143);
  });

  test('Redis restarted mid-sweep: workers and sweep run reconnect; nothing lost, no cell run twice', async () => {
    const url = `${redis.url}?queue=restart`;
    const dir = join(root, 'restart');
    const workers = [collapse(['worker', '--queue', url]), collapse(['worker', '--queue', url])];
    const sweep = collapse(['sweep', 'run', FILE, '--queue', url, '--out', dir]);
    await until(() => cellDirs(dir).some((cell) => chunksDone(cell) >= 1), 'a cell under way');
    await redis.restart(1500);
    assert.equal(await sweep.exited, 0, sweep.output());
    assert.equal(cellDirs(dir).length, 2);
    for (const cell of cellDirs(dir)) {
      const m = manifestOf(cell)!;
      assert.equal(m.status, 'complete', cell);
      assert.equal(m.segments.length, 1, `${cell} ran exactly once: ${JSON.stringify(m.segments)}`);
    }
    assert.deepEqual(await jobCounts(redis.url, 'restart'), { wait: 0, active: 0, delayed: 0, completed: 2, failed: 0 });
    assert.equal(await collect(FILE, dir), reference);
    for (const w of workers) w.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [143, 143]);
  });

  test('two sweeps with an overlapping cell: one job for it, and it runs once', async () => {
    const url = `${redis.url}?queue=overlap`;
    const dir = join(root, 'overlap');
    const tiny = { ...SWEEP, base: { ...SWEEP.base, iterations: 3, trials: 2048 } };
    const a = sweepFile('a', { ...tiny, grid: { strategy: ['replace', 'accumulate'] } });
    const b = sweepFile('b', { ...tiny, grid: { strategy: ['accumulate', 'window:2'] } });
    // both sweeps enqueue before any worker runs
    const [ra, rb] = [collapse(['sweep', 'run', a, '--queue', url, '--out', dir]), collapse(['sweep', 'run', b, '--queue', url, '--out', dir])];
    await until(() => /queued \d+ cells/.test(ra.output()) && /queued \d+ cells/.test(rb.output()), 'both sweeps to enqueue');
    assert.deepEqual(
      [ra.output(), rb.output()].map((o) => /queued (\d+) cells(; (\d+) were already queued)?/.exec(o)!).map((m) => [Number(m[1]), Number(m[3] ?? 0)]).sort(),
      [[1, 1], [2, 0]],
      'the second sweep to enqueue adds one job and finds the shared one',
    );
    assert.equal((await jobCounts(redis.url, 'overlap')).wait, 3, 'accumulate is one job for both sweeps');
    assert.ok(ra.output().includes(`no worker is connected yet; start some with: npx collapse worker --queue '${url}'`), ra.output());
    const worker = collapse(['worker', '--queue', url, '--concurrency', '2']);
    assert.deepEqual([await ra.exited, await rb.exited], [0, 0], ra.output() + rb.output());
    assert.equal(cellDirs(dir).length, 3);
    for (const cell of cellDirs(dir)) assert.equal(manifestOf(cell)!.segments.length, 1, `${cell} ran once`);
    assert.equal((worker.output().match(/ done in /g) ?? []).length, 3, worker.output());
    // the shared cell's rows are the same in both tables
    const rows = (t: string) => t.trim().split('\n').slice(1).filter((row) => row.includes(',accumulate,'));
    assert.equal(rows(await collect(a, dir)).length, 3);
    assert.deepEqual(rows(await collect(a, dir)), rows(await collect(b, dir)));
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  test('a worker stopped with SIGTERM checkpoints its cell and gives the job back without spending an attempt', async () => {
    const url = `${redis.url}?queue=term`;
    const dir = join(root, 'term');
    const one = sweepFile('one', { ...SWEEP, grid: undefined, base: { ...SWEEP.base, strategy: 'replace' } }); // a cell of the reference
    const sweep = collapse(['sweep', 'run', one, '--queue', url, '--out', dir]);
    const first = collapse(['worker', '--queue', url]);
    const cell = await until(() => cellDirs(dir).find((c) => chunksDone(c) >= 2), 'the cell 2 chunks in');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 143, first.output());
    assert.match(first.output(), /stopped after .* \(checkpointed\) and given back to the queue/);
    assert.equal(manifestOf(cell)!.status, 'interrupted');
    assert.deepEqual(await jobCounts(redis.url, 'term'), { wait: 1, active: 0, delayed: 0, completed: 0, failed: 0 });
    const second = collapse(['worker', '--queue', url]);
    assert.equal(await sweep.exited, 0, sweep.output());
    const m = manifestOf(cell)!;
    assert.deepEqual(m.segments.map((s) => s.status), ['interrupted', 'complete']);
    assert.match(m.segments[1].resumedFrom ?? '', /chunk/);
    const replaceRows = (t: string) => t.trim().split('\n').slice(1).filter((row) => row.includes(',replace,'));
    assert.deepEqual(replaceRows(await collect(one, dir)), replaceRows(reference));
    second.child.kill('SIGTERM');
    await second.exited;
  });

  test('a cell that keeps timing out is retried with backoff, then a dead letter: exit 5, listed by status', async () => {
    const url = `${redis.url}?queue=dead`;
    const dir = join(root, 'dead');
    // ~25 s of work on an idle core: each 1-s attempt resumes the last one's checkpoint, so it must be far from done in 4
    const file = sweepFile('slow', { ...SWEEP, grid: undefined, base: { ...SWEEP.base, strategy: 'replace', trials: 400 * 4096 }, timeout: 1, attempts: 2, backoff: 0 });
    const worker = collapse(['worker', '--queue', url]);
    const sweep = collapse(['sweep', 'run', file, '--queue', url, '--out', dir]);
    assert.equal(await sweep.exited, 5, sweep.output());
    assert.match(sweep.output(), /1 cells: 0 run, 0 already complete, 1 failed/);
    assert.match(sweep.output(), /failed [0-9a-f]{16}: cell [0-9a-f]{16} timed out after 1 s/);
    assert.equal((worker.output().match(/ failed( \(resumed\))? in /g) ?? []).length, 2, `two attempts: ${worker.output()}`);
    const status = await mainInProcess(['sweep', 'status', file, '--dir', dir, '--queue', url]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /0\/1 done · 0 running · 0 failed · 1 pending/);
    assert.match(status.stdout, /dead letter [0-9a-f]{16} after 2 attempts: cell [0-9a-f]{16} timed out after 1 s/);
    assert.deepEqual(await jobCounts(redis.url, 'dead'), { wait: 0, active: 0, delayed: 0, completed: 0, failed: 1 });
    // running the sweep again asks for the dead letter again: two more attempts, the same job
    const again = collapse(['sweep', 'run', file, '--queue', url, '--out', dir]);
    assert.equal(await again.exited, 5, again.output());
    assert.match(again.output(), /queued 1 cells/);
    assert.equal((worker.output().match(/ failed( \(resumed\))? in /g) ?? []).length, 4, worker.output());
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  test('a malformed sweep file: one line, exit 2, nothing enqueued', async () => {
    const url = `${redis.url}?queue=bad`;
    const bad = [
      sweepFile('typo', { ...SWEEP, gird: {} }),
      sweepFile('badcell', { ...SWEEP, grid: { strategy: ['replace', 'acumulate'] } }), // the first cell is fine; none may be enqueued
      join(root, 'missing.yaml'),
    ];
    for (const file of bad) {
      const run = await mainInProcess(['sweep', 'run', file, '--queue', url, '--out', join(root, 'bad')]); // in this process: no start-up per case
      assert.equal(run.code, 2, run.stderr);
      assert.ok(isOneLineError(run.stderr), run.stderr);
      assert.ok(run.stderr.startsWith(`collapse: sweep ${file}: `), run.stderr);
    }
    assert.deepEqual(await jobCounts(redis.url, 'bad'), { wait: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  test('an unreachable queue: one line, exit 2, no hang (sweep run, sweep status, worker)', async () => {
    const consequence = { run: 'nothing was enqueued', status: 'no status from the queue', worker: 'no worker started' };
    // the real CLI once: it exits (no connection left open), well before the spawn timeout
    const spawned = spawnSync(process.execPath, [BIN, 'sweep', 'run', FILE, '--queue', 'redis://127.0.0.1:1'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...FAST_QUEUE_ENV } });
    assert.equal(spawned.signal, null, 'sweep run did not hang');
    assert.equal(spawned.status, 2, spawned.stderr);
    assert.equal(spawned.stderr, `collapse: --queue redis://127.0.0.1:1: cannot reach Redis (connect ECONNREFUSED 127.0.0.1:1); nothing was enqueued\n`);
    // a peer that accepts connections and never answers
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    process.env.COLLAPSE_QUEUE_CONNECT_TIMEOUT_MS = '500';
    try {
      const url = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const run = await mainInProcess(['sweep', 'run', FILE, '--queue', url]);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, `collapse: --queue ${url}: cannot reach Redis (no answer within 0.5 s); nothing was enqueued\n`);
    } finally {
      delete process.env.COLLAPSE_QUEUE_CONNECT_TIMEOUT_MS;
      silent.close();
    }
    for (const args of [['sweep', 'run', FILE], ['sweep', 'status', FILE], ['worker']]) {
      const run = await mainInProcess([...args, '--queue', 'redis://127.0.0.1:1']);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(isOneLineError(run.stderr), run.stderr);
      const action = (args[0] === 'worker' ? 'worker' : args[1]) as keyof typeof consequence;
      assert.equal(run.stderr, `collapse: --queue redis://127.0.0.1:1: cannot reach Redis (connect ECONNREFUSED 127.0.0.1:1); ${consequence[action]}\n`);
    }
  });
});

test('queue URLs: redis://[user:pass@]host[:port][/db][?queue=NAME], anything else one line naming --queue', () => {
  assert.deepEqual(parseQueueUrl('redis://127.0.0.1:6380/2?queue=lab'), { url: 'redis://127.0.0.1:6380/2?queue=lab', name: 'lab', redis: { host: '127.0.0.1', port: 6380, db: 2 } });
  assert.deepEqual(parseQueueUrl('rediss://u:p%40ss@h').redis, { host: 'h', port: 6379, db: 0, username: 'u', password: 'p@ss', tls: {} });
  assert.equal(parseQueueUrl('redis://h').name, 'collapse-cells');
  for (const url of ['http://x', 'redis://', 'h:6379', 'redis://h/abc', 'redis://h?queue=a%20b', '']) {
    assert.throws(() => parseQueueUrl(url), (e: unknown) => e instanceof UsageError && e.message.startsWith('--queue ') && !e.message.includes('\n'), url);
  }
});
