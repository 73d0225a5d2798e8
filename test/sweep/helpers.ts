/**
 * Shared by the sweep tests: a fresh build of the CLI (cells run bin/collapse.js → dist/), a real redis-server on
 * a free loopback port (append-only file in a temp dir, so a restart keeps the queue), worker processes, and
 * readers for the cells' sealed manifests and checkpoints. Everything started here is killed by `stopAll`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { readSealed } from '../../src/core/atomic-file.js';
import { BIN, sleep } from '../cli/helpers.js';

export { BIN, sleep };

/** `promise`, or `late` once `ms` have passed; the timer is cleared at once and never holds the test process open. */
export function orAfter<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
export const REDIS_SERVER = '/usr/bin/redis-server';
export const HAVE_REDIS = existsSync(REDIS_SERVER);
const ROOT = new URL('../../', import.meta.url).pathname;

/** Short lock and stall intervals, a checkpoint after every chunk, quick polls. */
export const FAST_QUEUE_ENV = {
  COLLAPSE_QUEUE_LOCK_MS: '2000',
  COLLAPSE_QUEUE_STALLED_MS: '1000',
  COLLAPSE_QUEUE_POLL_MS: '200',
  COLLAPSE_CHECKPOINT_INTERVAL_MS: '0',
};

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : name.endsWith('.ts') ? stat.mtimeMs : 0);
  }
  return latest;
}

/** Cells run the built CLI: rebuild dist/ when a source is newer (CI's npm ci has already built it). */
export function ensureBuilt(): void {
  const marker = join(ROOT, 'dist/sweep/orphan-guard.js');
  if (existsSync(marker) && statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs >= newest(join(ROOT, 'src'))) return;
  // tsc emits even when some other file has a type error; what matters is that dist/ is there
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'ignore' });
  if (!existsSync(marker)) throw new Error('npm run build did not produce dist/sweep; the sweep tests need the built CLI');
}

const children = new Set<ChildProcess>();

/** Start a process in its own process group (so teardown can kill it with everything it started). */
export function start(args: string[], env: Record<string, string> = {}, command = process.execPath): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { child, output: () => output, exited };
}

export function collapse(args: string[], env: Record<string, string> = {}) {
  return start([BIN, ...args], { ...FAST_QUEUE_ENV, ...env });
}

/** SIGKILL every process group started here (workers with their cells, redis-servers) and wait for them. */
export async function stopAll(): Promise<void> {
  const waiting = [...children].map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('close', resolve))));
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(waiting);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** SIGTERM (the append-only file is flushed), wait for the exit, start again on the same port and files */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
  /** start again after stop(), on the same port and files */
  start(): Promise<void>;
}

async function waitForPing(port: number, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > until) throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
      await sleep(100);
    } finally {
      client.disconnect();
    }
  }
}

/** `appendOnly: false`: no persistence at all (a restart empties it); `args`: more redis-server options. */
export async function startRedis(dir: string, { appendOnly = true, args = [] as string[] } = {}): Promise<RedisServer> {
  const port = await freePort();
  let server: ReturnType<typeof start>;
  const launch = async () => {
    server = start(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendOnly ? 'yes' : 'no', '--dir', dir, ...args], {}, REDIS_SERVER);
    await waitForPing(port);
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart(downMs) {
      server.child.kill('SIGTERM');
      await server.exited;
      await sleep(downMs);
      await launch();
    },
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
    },
    start: launch,
  };
}

/** How many jobs of each state a queue holds (straight from Redis). */
export async function jobCounts(url: string, queue: string): Promise<Record<string, number>> {
  const { Queue } = await import('bullmq');
  const port = Number(new URL(url).port);
  const q = new Queue(queue, { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } });
  try {
    return await q.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed');
  } finally {
    await q.close();
  }
}

interface CellManifest {
  status: string;
  segments: { status: string; resumedFrom?: string }[];
}
export const manifestOf = (cellDir: string) => readSealed(join(cellDir, 'manifest.json')) as unknown as CellManifest | null;
export function chunksDone(cellDir: string): number {
  try {
    const checkpoint = readSealed(join(cellDir, 'checkpoint.json')) as { state: { chunksDone: number } } | null;
    return checkpoint?.state.chunksDone ?? 0;
  } catch {
    return 0;
  }
}
export const cellDirs = (sweepDir: string) => (existsSync(join(sweepDir, 'cells')) ? readdirSync(join(sweepDir, 'cells')).map((id) => join(sweepDir, 'cells', id)) : []);

/** Poll until `predicate` holds; throw after `ms` with what was awaited. */
export async function until<T>(predicate: () => T | undefined | false, what: string, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}
