/** Shared by the CLI tests: the built CLI as a child process, and main() in-process with its output captured. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSealed, sealJson } from '../../src/core/atomic-file.js';

export const BIN = new URL('../../bin/collapse.js', import.meta.url).pathname;

export interface Outcome {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function collapseSync(args: string[], env: Record<string, string> = {}): Outcome {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Start the CLI; `done` resolves when it exits. */
export function collapseAsync(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collapse ${args.join(' ')} did not exit within 120 s`));
    }, 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until `predicate` holds (or throw after `ms`). */
export async function waitFor(predicate: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Every file under `dir` with its bytes (names sorted), to compare a directory before and after. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (at: string, prefix: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else out[`${prefix}${name}`] = readFileSync(path).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

/** A one-line usage error as the CLI promises it: `collapse: …`, no stack trace. */
/** Trials a trials command's run directory has checkpointed (0 before its first checkpoint). */
export const trialsDone = (dir: string): number =>
  existsSync(join(dir, 'checkpoint.json')) ? (readSealed(join(dir, 'checkpoint.json')) as { state: { trialsDone: number } }).state.trialsDone : 0;

export function isOneLineError(stderr: string): boolean {
  return stderr.endsWith('\n') && stderr.trim().split('\n').length === 1 && stderr.startsWith('collapse: ') && !/\bat .*\.(js|ts):\d+/.test(stderr);
}

/**
 * Run main(argv) in this process with stdout and stderr captured. Tests that use it run their cases one after the
 * other (node:test runs a file's tests in order).
 */
export async function mainInProcess(argv: string[]): Promise<Outcome> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  // the CLI writes strings; the test runner's own reports (v8-serialized Buffers) must still reach it
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (out as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (err as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Edit a run's sealed checkpoint and seal it again (a checksum, not a signature: anyone can), marked interrupted. */
export function tamper(dir: string, edit: (state: Record<string, any>) => void): void {
  const checkpoint = readSealed(join(dir, 'checkpoint.json')) as Record<string, any>;
  edit(checkpoint.state);
  writeFileSync(join(dir, 'checkpoint.json'), sealJson(checkpoint));
  const manifest = readSealed(join(dir, 'manifest.json')) as Record<string, any>;
  manifest.status = 'interrupted';
  writeFileSync(join(dir, 'manifest.json'), sealJson(manifest));
}

/** Run the CLI, read its first line of stdout, then close the pipe (what `| head -1` does). */
export function firstLineThenClose(args: string[]): Promise<{ code: number | null; line: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let line = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!line && out.includes('\n')) {
        line = out.slice(0, out.indexOf('\n'));
        child.stdout.destroy();
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no exit within 120 s'));
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, line, stderr });
    });
  });
}
