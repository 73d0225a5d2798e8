/**
 * The queue's edges, against real redis-servers (each test its own, on a free loopback port) and real workers:
 *   - a job that `sweep run` did not write (a cell directory outside its sweep, a flag that is not a cell option, a
 *     bad value, a job without its sweep's directory, a sweep outside the worker's --root) is refused to the dead
 *     letters with one logged line each, and nothing outside the sweep is touched; a genuine job still runs;
 *   - a database the server does not have (/16), and a read-only replica: one line, exit 2, nothing enqueued;
 *   - Ctrl-C of a worker whose Redis has gone: it stops within seconds;
 *   - a cell that completes while Redis is down: the summary counts it as run (not "already complete"), with an
 *     append-only file and without one (there the lost queue is re-filled and no complete cell is called failed).
 * Skipped, with the reason, only where /usr/bin/redis-server is missing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobData } from '../../src/sweep/job.js';
import { loadSweep } from '../../src/sweep/spec.js';
import { isOneLineError } from '../cli/helpers.js';
import { cellDirs, collapse, ensureBuilt, HAVE_REDIS, jobCounts, manifestOf, REDIS_SERVER, orAfter, sleep, startRedis, stopAll, until } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-queue-edges-'));
const TINY = { command: 'linear', base: { dim: 3, samples: 12, iterations: 2, trials: 1024, method: 'full', backend: 'webasm', strategy: 'replace' }, seeds: [1], attempts: 3, backoff: 0, timeout: 300 };
const sweepFile = (name: string, content: object) => {
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const redisDir = () => mkdtempSync(join(root, 'redis-'));

const skip = HAVE_REDIS ? false : `${REDIS_SERVER} is not installed (.ci/run installs it with apt-get)`;

describe('queue edges', { skip, concurrency: 1 }, () => {
  before(ensureBuilt);
  after(stopAll);

  test('a job sweep run did not write is refused to the dead letters, one line each; nothing outside the sweep is touched', async () => {
    const redis = await startRedis(redisDir());
    const served = join(root, 'served');
    const sweepDir = join(served, 'sweep');
    const victim = join(root, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'thesis.tex'), 'years of work');
    const sweep = loadSweep(sweepFile('tiny', TINY), sweepDir);
    const cell = sweep.cells[0];
    const genuine = jobData(sweep, cell, 'token');
    const elsewhere = loadSweep(sweepFile('tiny', TINY), victim); // a well-formed job for a sweep outside --root
    const { root: _, ...withoutRoot } = genuine;
    const forged: [string, object, RegExp][] = [
      ['outside', { ...genuine, cell: { ...cell, dir: victim } }, /refused: cell\.dir ".*victim" is not the cell's directory in its sweep/],
      ['flag', { ...genuine, cell: { ...cell, options: { ...cell.options, config: '/etc/passwd' } } }, /refused: sweep tiny: cell\.options\.config: config is set by the sweep for each cell/],
      ['unknown', { ...genuine, cell: { ...cell, options: { ...cell.options, 'no-such': 1 } } }, /refused: sweep tiny: cell\.options\.no-such: unknown option "no-such" of collapse linear/],
      ['value', { ...genuine, cell: { ...cell, options: { ...cell.options, dim: 'abc' } } }, /refused: sweep tiny: cell\.options\.dim: .*dim/],
      ['rootless', withoutRoot, /refused: root must be the sweep's directory as an absolute path; got nothing/],
      ['foreign', jobData(elsewhere, elsewhere.cells[0], 'token'), /refused: its sweep directory .*victim is not inside --root .*served/],
    ];
    const url = `${redis.url}?queue=forged`;
    const queue = new Queue('forged', { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
    const settled = async (what: string) => {
      for (const end = Date.now() + 120_000; ;) {
        const c = await jobCounts(redis.url, 'forged');
        if (c.wait + c.active + c.delayed === 0) return c;
        assert.ok(Date.now() < end, `timed out waiting for ${what}: ${JSON.stringify(c)}`);
        await sleep(100);
      }
    };
    try {
      // every forged job but the last, and a genuine one, to a worker without --root
      for (const [id, data] of forged.slice(0, -1)) await queue.add('forged', data, { jobId: id, attempts: 3 });
      await queue.add('genuine', genuine, { jobId: 'genuine', attempts: 3 });
      const worker = collapse(['worker', '--queue', url]);
      const counts = await settled('the first worker');
      assert.deepEqual(readdirSync(victim), ['thesis.tex'], 'the directory outside the sweep is untouched');
      assert.deepEqual(counts, { wait: 0, active: 0, delayed: 0, completed: 1, failed: forged.length - 1 });
      assert.equal(manifestOf(cell.dir)!.status, 'complete', 'the genuine job ran its cell');
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 143);
      // a well-formed job for a sweep outside the worker's --root
      await queue.add('forged', forged.at(-1)![1], { jobId: 'foreign', attempts: 3 });
      const confined = collapse(['worker', '--queue', url, '--root', served]);
      await settled('the --root worker');
      confined.child.kill('SIGTERM');
      assert.equal(await confined.exited, 143);
      const lines = (worker.output() + confined.output()).split('\n').filter((l) => l.includes(' refused: '));
      assert.equal(lines.length, forged.length, worker.output() + confined.output());
      for (const [id, , reason] of forged) {
        const line = lines.find((l) => l.startsWith(`worker: job ${id} refused: `));
        assert.ok(line, `one line for job ${id}: ${lines.join('\n')}`);
        assert.match(line, reason);
        // no retries: a dead letter after its first attempt, with the reason
        const job = (await queue.getJob(id))!;
        assert.equal(await job.getState(), 'failed');
        assert.equal(job.attemptsMade, 1, id);
        assert.match(job.failedReason, reason);
      }
    } finally {
      await queue.close();
    }
    assert.deepEqual(readdirSync(victim), ['thesis.tex']);
  });

  test('a database the server does not have (/16): one line, exit 2, nothing enqueued', async () => {
    const redis = await startRedis(redisDir());
    const file = sweepFile('db', TINY);
    for (const args of [['sweep', 'run', file, '--out', join(root, 'db'), '--detach'], ['worker']]) {
      const run = collapse([...args, '--queue', `${redis.url}/16`]);
      assert.equal(await run.exited, 2, run.output());
      assert.ok(isOneLineError(run.output()), run.output());
      assert.match(run.output(), /^collapse: --queue redis:\/\/127\.0\.0\.1:\d+\/16: Redis at 127\.0\.0\.1:\d+ has no database 16 \(ERR DB index is out of range\); (nothing was enqueued|no worker started)\n$/);
    }
    assert.deepEqual(await jobCounts(redis.url, 'collapse-cells'), { wait: 0, active: 0, delayed: 0, completed: 0, failed: 0 }, 'nothing went to database 0');
  });

  test('a read-only replica: sweep run and worker refuse it with one line (no idling)', async () => {
    const primary = await startRedis(redisDir());
    const replica = await startRedis(redisDir(), { args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const file = sweepFile('replica', TINY);
    for (const args of [['worker'], ['sweep', 'run', file, '--out', join(root, 'replica'), '--detach']]) {
      const run = collapse([...args, '--queue', replica.url]);
      const code = await orAfter(run.exited, 30_000, 'still running after 30 s');
      assert.equal(code, 2, run.output());
      assert.ok(isOneLineError(run.output()), run.output());
      assert.match(run.output(), new RegExp(`is a read-only replica of 127\\.0\\.0\\.1:${primary.port}; point --queue at the primary; (no worker started|nothing was enqueued)\\n$`));
    }
    // a worker whose Redis becomes a replica later (a failover): it stops with one line instead of idling
    const demoted = await startRedis(redisDir());
    const worker = collapse(['worker', '--queue', demoted.url]);
    await until(() => worker.output().includes(' at a time from queue '), 'the worker to start');
    const admin = new Redis({ host: '127.0.0.1', port: demoted.port });
    try {
      await admin.call('REPLICAOF', '127.0.0.1', String(primary.port));
    } finally {
      admin.disconnect();
    }
    const code = await orAfter(worker.exited, 30_000, 'still running 30 s after becoming a replica');
    assert.equal(code, 2, worker.output());
    assert.match(worker.output(), new RegExp(`\\ncollapse: --queue ${demoted.url.replace(/\./g, '\\.')}: Redis at 127\\.0\\.0\\.1:${demoted.port} has become a read-only replica; point --queue at the primary\\n$`));
  });

  test('Ctrl-C of a worker whose Redis has gone: it stops within seconds, exit 130', async () => {
    const redis = await startRedis(redisDir());
    const worker = collapse(['worker', '--queue', redis.url]);
    await until(() => worker.output().includes(' at a time from queue '), 'the worker to start');
    await redis.stop();
    await sleep(1500); // the old worker then hung on a single Ctrl-C (its close waited for Redis forever)
    const sent = Date.now();
    worker.child.kill('SIGINT');
    const code = await orAfter(worker.exited, 10_000, 'still running 10 s after one SIGINT');
    assert.equal(code, 130, worker.output());
    assert.ok(Date.now() - sent < 10_000);
    assert.match(worker.output(), /worker: Redis at 127\.0\.0\.1:\d+ does not answer; stopping without it/);
  });

  // ~1.2 s of work on an idle core: Redis goes down as soon as the cell starts, and comes back after it is complete
  // and the job's lock (2 s here) has expired, so the worker cannot record the completion
  const SLOW = { ...TINY, base: { ...TINY.base, dim: 4, samples: 20, iterations: 10, trials: 20 * 4096 } };

  for (const appendOnly of [true, false]) {
    test(`a cell that completes while Redis is down counts as run, not "already complete" (appendonly ${appendOnly ? 'yes' : 'no'})`, async () => {
      const redis = await startRedis(redisDir(), { appendOnly });
      const dir = join(root, `down-${appendOnly}`);
      // two cells, one worker: the second is still queued when Redis goes
      const file = sweepFile(`down-${appendOnly}`, { ...SLOW, grid: { strategy: ['replace', 'accumulate'] } });
      const sweep = collapse(['sweep', 'run', file, '--queue', redis.url, '--out', dir]);
      await until(() => /queued 2 cells/.test(sweep.output()), 'the sweep to enqueue');
      const worker = collapse(['worker', '--queue', redis.url]);
      const first = await until(() => cellDirs(dir)[0], 'the first cell to start');
      await redis.stop();
      await until(() => manifestOf(first)?.status === 'complete', 'the first cell to complete', 120_000);
      await sleep(2500);
      await redis.start();
      assert.equal(await orAfter(sweep.exited, 150_000, 'still waiting'), 0, sweep.output());
      assert.match(sweep.output(), /sweep down-(true|false): 2 cells: 2 run, 0 already complete, 0 failed\n/);
      if (!appendOnly) {
        assert.match(sweep.output(), /the job of cell [0-9a-f]{16} vanished from the queue before the cell was complete \(Redis restarted without appendonly\?\); queued it again/);
        assert.match(sweep.output(), /collapse: warning: Redis at 127\.0\.0\.1:\d+ runs without appendonly/);
      }
      for (const cell of cellDirs(dir)) assert.equal(manifestOf(cell)!.status, 'complete');
      worker.child.kill('SIGTERM');
      await worker.exited;
    });
  }
});
