/**
 * The run directory behind `--out DIR` and `--resume DIR`, for every command:
 *
 *   manifest.json    sealed: command, full resolved config, seed, package version, git commit, Node, backend and why,
 *                    start/end time, status running|complete|interrupted|failed, one segment per process that worked on it
 *   checkpoint.json  sealed: the command's resumable state, bound to the config (digest) and backend
 *   .lock            the pid of the run using DIR (O_EXCL; stale once that pid is dead)
 *   …                the command's own files (linear: config.json, environment.json, results.json, results.csv)
 *
 * Every file is written atomically (temporary sibling + fsync + rename) and results before the manifest says
 * `complete`, so a crash never leaves a results file that looks complete. Sealed files carry a SHA-256 of their own
 * bytes: a damaged manifest or checkpoint is refused with one line, never read as other numbers.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { makeDirectory, readSealed, SealError, sealJson, writeFileAtomic } from './atomic-file.js';
import { UsageError } from './errors.js';
import { acquireLock, assertUnlocked, isLockEntry, type Lock } from './lock.js';
import { gitState, packageVersion } from './provenance.js';

/** The sealed manifest of a run directory. */
export const MANIFEST_FILE = 'manifest.json';
/** The sealed resumable state of a run directory. */
export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT_VERSION = 1;

/** The status of a run directory. */
export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';
const STATUSES: readonly RunStatus[] = ['running', 'complete', 'interrupted', 'failed'];

/** One process that worked on a run. */
export interface Segment {
  pid: number;
  host: string;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  /** what the segment started from, e.g. "chunk 12 of 49" (absent for the first) */
  resumedFrom?: string;
}

/** manifest.json: what ran (command, resolved config, seed), where and with what (version, git commit, Node, backend), and its status with one segment per process. */
export interface Manifest {
  format: 'collapse-run';
  formatVersion: number;
  command: string;
  status: RunStatus;
  config: Record<string, unknown>;
  seed: number | null;
  package: string;
  version: string;
  gitCommit: string | null;
  gitDirty: boolean | null;
  node: string;
  platform: string;
  backend: string | null;
  backendReason: string | null;
  startedAt: string;
  endedAt: string | null;
  /** one line, for status failed */
  error?: string;
  segments: Segment[];
}

/** checkpoint.json: a command's resumable state, bound to its config digest and backend. */
export interface Checkpoint<State> {
  format: 'collapse-checkpoint';
  formatVersion: number;
  command: string;
  configDigest: string;
  backend: string | null;
  savedAt: string;
  /** seconds of work behind this state, over every segment */
  elapsedSeconds: number;
  state: State;
}

/** Key-order independent JSON, for comparing and digesting configurations. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the configuration's canonical JSON: binds a checkpoint to the configuration that made it. */
export const configDigest = (config: Record<string, unknown>) => createHash('sha256').update(canonicalJson(config)).digest('hex');

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const entries = (dir: string) => readdirSync(dir).filter((name) => !isLockEntry(name));
const now = () => new Date().toISOString();

/**
 * Whether DIR holds a collapse run: a manifest.json that is a JSON object of format collapse-run (a damaged seal
 * still counts: the directory is ours). --force clears nothing else, so a mistyped --out never costs a user's files.
 */
function holdsRun(path: string): boolean {
  try {
    const value: unknown = JSON.parse(readFileSync(join(path, MANIFEST_FILE), 'utf8'));
    return isObject(value) && value.format === 'collapse-run';
  } catch {
    return false;
  }
}

function refuseForeign(dir: string, path: string): void {
  if (entries(path).length > 0 && !holdsRun(path)) {
    throw new UsageError(`--out ${dir} is not empty and is not a collapse run directory (no ${MANIFEST_FILE}); --force replaces only a run directory or an empty one, so nothing was deleted: choose another --out`);
  }
}

/** Read-only checks before any work: a live lock, a file in the way, a non-empty directory without --force. */
export function preflightOut(dir: string, force: boolean): void {
  const path = resolve(dir);
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  assertUnlocked(dir);
  if (!force && entries(path).length > 0) {
    const manifest = tryManifest(path);
    const hint = manifest && manifest.status !== 'complete' ? ` (or --resume ${dir} to continue its ${manifest.status} run)` : '';
    throw new UsageError(`--out ${dir} exists and is not empty; pass --force to replace it${hint}`);
  }
  if (force) refuseForeign(dir, path);
}

function tryManifest(dir: string): Manifest | null {
  try {
    return readManifest(dir, undefined);
  } catch {
    return null;
  }
}

/** A sealed file of a run directory (null when absent); a damaged one is a one-line UsageError naming it. */
function readRunFile(dir: string, name: string): Record<string, unknown> | null {
  try {
    return readSealed(join(dir, name));
  } catch (error) {
    if (error instanceof SealError) throw new UsageError(`--resume ${dir}: its ${name} is damaged: ${error.message}; nothing was changed`);
    throw error;
  }
}

/**
 * Checkpoint states may hold NaN and ±Infinity (a verdict without a conditional check); JSON would turn them into
 * null. They are stored as {"$number": "NaN"} and read back as numbers, so a resumed run sees what was saved.
 */
function encodeNonFinite(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (Array.isArray(value)) return value.map(encodeNonFinite);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeNonFinite(v)]));
  }
  return value;
}

function decodeNonFinite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeNonFinite);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === '$number' && typeof entries[0][1] === 'string') return Number(entries[0][1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeNonFinite(v)]));
  }
  return value;
}

/** Read and check DIR's manifest; every problem is a one-line UsageError naming the file. */
export function readManifest(dir: string, command: string | undefined): Manifest {
  if (!existsSync(resolve(dir))) throw new UsageError(`--resume ${dir}: no such directory`);
  const value = readRunFile(dir, MANIFEST_FILE);
  if (value === null) throw new UsageError(`--resume ${dir}: no ${MANIFEST_FILE} there, so it is not a resumable run directory`);
  const m = value as Partial<Manifest>;
  const ok =
    m.format === 'collapse-run' && typeof m.command === 'string' && STATUSES.includes(m.status as RunStatus) && isObject(m.config) &&
    typeof m.startedAt === 'string' && Array.isArray(m.segments) && (m.backend === null || typeof m.backend === 'string');
  if (!ok) throw new UsageError(`--resume ${dir}: its ${MANIFEST_FILE} is not a collapse run manifest`);
  if (m.formatVersion !== FORMAT_VERSION) {
    throw new UsageError(`--resume ${dir}: its ${MANIFEST_FILE} has format version ${String(m.formatVersion)}; this collapse reads version ${FORMAT_VERSION}`);
  }
  if (command !== undefined && m.command !== command) {
    throw new UsageError(`--resume ${dir}: it holds a \`collapse ${m.command}\` run, not \`collapse ${command}\`; use collapse ${m.command} --resume ${dir}`);
  }
  return m as Manifest;
}

/** What RunStore.create records in a new manifest. */
export interface NewRun {
  command: string;
  config: Record<string, unknown>;
  seed: number | null;
  backend: string | null;
  backendReason: string | null;
}

/** A run directory held by this process (`--out DIR`): the lock, the sealed manifest with its status and segments, checkpoints bound to the config digest, and the run's own files, each written atomically. Create with RunStore.create, continue with RunStore.resume. */
export class RunStore {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly lock: Lock,
    private manifest: Manifest,
    private segmentStarted: number,
  ) {}

  /** A new run in DIR (created if missing): lock, refuse or (with force) clear old contents, write the manifest. */
  static create(dir: string, force: boolean, run: NewRun): RunStore {
    preflightOut(dir, force);
    const path = resolve(dir);
    makeDirectory(path);
    const lock = acquireLock(path, run.command);
    try {
      const old = entries(path);
      if (old.length > 0 && !force) throw new UsageError(`--out ${dir} exists and is not empty; pass --force to replace it`);
      refuseForeign(dir, path); // again under the lock, right before anything is deleted
      for (const name of old) rmSync(join(path, name), { recursive: true, force: true });
      const git = gitState();
      const manifest: Manifest = {
        format: 'collapse-run',
        formatVersion: FORMAT_VERSION,
        command: run.command,
        status: 'running',
        config: run.config,
        seed: run.seed,
        package: 'collapse-lab',
        version: packageVersion(),
        gitCommit: git.commit,
        gitDirty: git.dirty,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        backend: run.backend,
        backendReason: run.backendReason,
        startedAt: now(),
        endedAt: null,
        segments: [{ pid: process.pid, host: hostname(), startedAt: now(), endedAt: null, status: 'running' }],
      };
      const store = new RunStore(path, lock, manifest, performance.now());
      store.writeManifest();
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Reopen DIR to continue its run. `check` sees the manifest and the checkpoint (null if none was written) before
   * anything is changed, throws a UsageError to refuse, and returns where the run resumes from (for the manifest);
   * nothing in DIR is modified unless it returns.
   */
  static resume<State, Checked>(
    dir: string,
    command: string,
    check: (manifest: Manifest, checkpoint: Checkpoint<State> | null) => { resumedFrom: string; checked: Checked },
  ): { store: RunStore; manifest: Manifest; checkpoint: Checkpoint<State> | null; checked: Checked } {
    const path = resolve(dir);
    const load = () => inspectRun<State, Checked>(dir, command, check);
    load(); // read-only first: a damaged or mismatched run is refused without touching the directory
    assertUnlocked(dir);
    const lock = acquireLock(path, command);
    try {
      const { manifest, checkpoint, resumedFrom, checked } = load(); // again under the lock: continue what was checked
      manifest.status = 'running';
      manifest.endedAt = null;
      delete manifest.error;
      manifest.segments.push({ pid: process.pid, host: hostname(), startedAt: now(), endedAt: null, status: 'running', resumedFrom });
      const store = new RunStore(path, lock, manifest, performance.now());
      store.writeManifest();
      return { store, manifest: structuredClone(manifest), checkpoint, checked };
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  get config(): Record<string, unknown> {
    return this.manifest.config;
  }

  /** The path of a file of the run. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes a file of the run atomically (temporary sibling, fsync, rename). */
  writeText(name: string, text: string | Uint8Array): void {
    writeFileAtomic(this.path(name), text);
  }

  /** Writes a value as indented JSON, atomically. */
  writeJson(name: string, value: unknown): void {
    this.writeText(name, JSON.stringify(value, null, 2) + '\n');
  }

  /** Persist the command's resumable state; `elapsedSeconds` is the work behind it over every segment. */
  saveCheckpoint(state: unknown, elapsedSeconds: number): void {
    const checkpoint: Checkpoint<unknown> = {
      format: 'collapse-checkpoint',
      formatVersion: FORMAT_VERSION,
      command: this.manifest.command,
      configDigest: configDigest(this.manifest.config),
      backend: this.manifest.backend,
      savedAt: now(),
      elapsedSeconds,
      state: encodeNonFinite(state),
    };
    writeFileAtomic(this.path(CHECKPOINT_FILE), sealJson(checkpoint as unknown as Record<string, unknown>));
  }

  /** Seconds this process has worked on the run. */
  segmentSeconds(): number {
    return (performance.now() - this.segmentStarted) / 1000;
  }

  /** Record how the run ended (results must already be written for complete), then release the lock. */
  finish(status: Exclude<RunStatus, 'running'>, error?: string): void {
    if (this.released) return;
    try {
      const m = this.manifest;
      m.status = status;
      m.endedAt = now();
      if (error !== undefined) m.error = error.split('\n')[0];
      const segment = m.segments[m.segments.length - 1];
      segment.endedAt = m.endedAt;
      segment.status = status;
      this.writeManifest();
    } finally {
      this.release();
    }
  }

  /** Release the lock without touching the manifest. */
  release(): void {
    this.released = true;
    this.lock.release();
  }

  private writeManifest(): void {
    writeFileAtomic(this.path(MANIFEST_FILE), sealJson(this.manifest as unknown as Record<string, unknown>));
  }
}

/**
 * Read-only: DIR's manifest and checkpoint, checked (a complete run is refused), then `check`ed by the command.
 * Every problem is a one-line UsageError; nothing is written.
 */
export function inspectRun<State, Checked>(
  dir: string,
  command: string,
  check: (manifest: Manifest, checkpoint: Checkpoint<State> | null) => { resumedFrom: string; checked: Checked },
): { manifest: Manifest; checkpoint: Checkpoint<State> | null; resumedFrom: string; checked: Checked } {
  const manifest = readManifest(dir, command);
  if (manifest.status === 'complete') throw new UsageError(`--resume ${dir}: the run is already complete; its results are in ${join(dir, 'results.json')}`);
  const checkpoint = readCheckpoint<State>(dir, manifest);
  return { manifest, checkpoint, ...check(manifest, checkpoint) };
}

/** Read and check DIR's checkpoint against its manifest; null when none was written. */
export function readCheckpoint<State>(dir: string, manifest: Manifest): Checkpoint<State> | null {
  const value = readRunFile(dir, CHECKPOINT_FILE);
  if (value === null) return null;
  const c = value as Partial<Checkpoint<State>>;
  if (c.format !== 'collapse-checkpoint' || c.formatVersion !== FORMAT_VERSION || !('state' in c) || typeof c.elapsedSeconds !== 'number') {
    throw new UsageError(`--resume ${dir}: its ${CHECKPOINT_FILE} is not a collapse checkpoint of format version ${FORMAT_VERSION}`);
  }
  if (c.command !== manifest.command || c.configDigest !== configDigest(manifest.config) || c.backend !== manifest.backend) {
    throw new UsageError(`--resume ${dir}: its ${CHECKPOINT_FILE} belongs to another run (its command, configuration or backend differ from ${MANIFEST_FILE})`);
  }
  return { ...c, state: decodeNonFinite(c.state) } as Checkpoint<State>;
}
