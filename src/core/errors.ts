/**
 * Error classes the CLI maps to exit codes (C8): a UsageError is the user's input (exit 2), a NumericError is a
 * NaN/Inf the numbers produced (exit 3), an environment fault is the machine refusing (a read-only or full disk, a
 * path that cannot be made: exit 6); anything else is a bug (exit 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A saved checkpoint that does not fit the run it is resumed into (another configuration or chunking). */
export class CheckpointMismatchError extends UsageError {}

/** A numeric fault (a NaN or infinite metric, a singular fit): the CLI exits 3. `iteration`, where known, names the generation it happened at. */
export class NumericError extends Error {
  override readonly name = 'NumericError';
  constructor(message: string, readonly iteration?: number) {
    super(message);
  }
}

/** The CLI's exit codes: 0 ok, 1 internal error, 2 bad usage, 3 numeric fault, 4 verify failed, 6 the environment (disk, permissions, paths); 5 is `sweep run`'s failed cells. */
export const EXIT = { ok: 0, bug: 1, usage: 2, numeric: 3, verifyFailed: 4, environment: 6 } as const;

/** What the file system said, in words, for the errno codes that are the machine's or the path's fault, not a bug. */
const FAULTS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENAMETOOLONG: 'a name in the path is too long',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory (or its parent is missing)',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  EIO: 'input/output error',
  EXDEV: 'crosses file systems',
  EBUSY: 'the resource is busy',
};

const VERBS: Readonly<Record<string, string>> = {
  mkdir: 'create the directory', open: 'open', write: 'write', rename: 'write', fsync: 'write', close: 'write',
  unlink: 'remove', rmdir: 'remove', rm: 'remove', read: 'read', scandir: 'list', stat: 'inspect', lstat: 'inspect', copyfile: 'copy',
};

/** At most this many characters of a path or a user's value in an error line. */
export const ECHO_LIMIT = 200;

/** Cut user input echoed in a message to ECHO_LIMIT characters (a 1 MB key must not become a 1 MB error line). */
export function echo(text: string, limit = ECHO_LIMIT): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters)` : text;
}

/**
 * One line for a file-system error that is the environment's fault, or null for anything else. Paths of the
 * temporary siblings atomic writes use are shown as the file they stand for.
 */
export function environmentFault(error: unknown): string | null {
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (!(error instanceof Error) || typeof e.code !== 'string' || !Object.hasOwn(FAULTS, e.code)) return null;
  const target = (e.syscall === 'rename' && e.dest ? e.dest : e.path) ?? '';
  const path = target.replace(/([\\/])\.([^\\/]+)\.tmp-\d+-[0-9a-f]+$/, '$1$2');
  const verb = (e.syscall && VERBS[e.syscall]) ?? 'use';
  return `cannot ${verb} ${echo(path || '(unnamed)')}: ${FAULTS[e.code]}`;
}
