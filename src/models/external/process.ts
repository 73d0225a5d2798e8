/**
 * One call of an external family's program: spawned without a shell in its own process group, killed (the whole
 * group) after the spec's timeout or when the run is interrupted, and judged by its exit code alone. A failure is one
 * line naming the command, its exit code and the last line it wrote to stderr.
 */
import { spawn } from 'node:child_process';
import { UsageError } from '../../core/errors.js';

/** A call of an external family's command that failed: exit code, signal, timeout or no such program. */
export class ExternalCommandError extends UsageError {}

const shown = (words: readonly string[]) => {
  const text = words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/**
 * Runs `words` in `cwd`; resolves when it exits 0. `label` names the call in errors ("fit" of family "x"). stdout is
 * discarded (programs may log there); the last 4 KiB of stderr are kept for the error line.
 */
export function runCommand(label: string, words: readonly string[], cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(words[0], words.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    let stopped: 'timeout' | 'abort' | undefined;
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      stopped = 'timeout';
      kill();
    }, timeoutMs);
    const onAbort = () => {
      stopped = 'abort';
      kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(new ExternalCommandError(`${label} command (${shown(words)}) could not start: ${error.code ?? error.message}`));
    });
    child.on('close', (code, killedBy) => {
      done();
      if (stopped === 'abort') return reject(signal?.reason);
      const last = stderr.trim().split('\n').pop()?.trim();
      const tail = last ? `: ${last}` : ' (nothing on stderr)';
      if (stopped === 'timeout') return reject(new ExternalCommandError(`${label} command (${shown(words)}) timed out after ${timeoutMs / 1000} s and was killed${tail}`));
      if (code === 0) return resolve();
      const how = code === null ? `was killed by ${killedBy}` : `exited with code ${code}`;
      reject(new ExternalCommandError(`${label} command (${shown(words)}) ${how}${tail}`));
    });
  });
}
