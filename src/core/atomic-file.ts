/**
 * Crash-safe files: every write goes to a temporary file in the same directory, is fsynced, and is renamed over the
 * target (then the directory is fsynced), so a reader — or a run killed at any instant — sees the old file or the new
 * one, never half of one. Sealed JSON adds a SHA-256 of the file's own bytes, so a truncated, bit-flipped or
 * hand-mangled file is detected instead of being read as different numbers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** fsync a directory so a rename in it survives a power cut (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * mkdir -p, one level at a time from the nearest existing ancestor, so each failure is the errno of the level that
 * failed (ENOTDIR for a file in the way, EACCES, EROFS); Node's recursive mkdir can spin forever under /proc.
 */
export function makeDirectory(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // made by a racing run: fine
    }
  }
}

/** Write `content` (text as UTF-8, or bytes) to `path` atomically: temporary sibling, fsync, rename, fsync the directory. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(temp, 'wx', 0o644);
  try {
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDir(dirname(path));
}

const SEAL_PREFIX = '{"sha256":"';
const SEAL_HEX = 64;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * `{"sha256":"<hex>",` followed by the object's own pretty-printed fields: still plain JSON (jq reads it), and the
 * hash covers every byte after it, so any change to the file is detected.
 */
export function sealJson(value: Record<string, unknown>): string {
  const pretty = JSON.stringify(value, null, 2);
  if (!pretty.startsWith('{\n')) throw new Error('sealJson needs a non-empty object');
  const body = pretty.slice(1) + '\n';
  return `${SEAL_PREFIX}${sha256(body)}",${body}`;
}

/** Why a sealed file is unusable. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

/** Parse and check a sealed file's bytes; throws a SealError with a short reason. */
export function unsealJson(data: Buffer | string): Record<string, unknown> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length === 0) throw new SealError('it is empty');
  const head = SEAL_PREFIX.length;
  const hex = bytes.subarray(head, head + SEAL_HEX).toString('latin1');
  if (bytes.subarray(0, head).toString('latin1') !== SEAL_PREFIX || !/^[0-9a-f]{64}$/.test(hex) || bytes.subarray(head + SEAL_HEX, head + SEAL_HEX + 2).toString('latin1') !== '",') {
    throw new SealError('it does not start with its checksum (not written by collapse, or truncated)');
  }
  const body = bytes.subarray(head + SEAL_HEX + 2);
  if (createHash('sha256').update(body).digest('hex') !== hex) throw new SealError('its checksum does not match (truncated or modified)');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new SealError('it is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SealError('it is not a JSON object');
  const { sha256: _, ...rest } = value as Record<string, unknown>;
  return rest;
}

/** Read a sealed file; a missing file is null, an unreadable or damaged one a SealError. */
export function readSealed(path: string): Record<string, unknown> | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SealError(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return unsealJson(bytes);
}
