/**
 * Checkpoints of one generation-loop trajectory (issue 3's "checkpoint/resume", issue 7): after every generation the
 * state a resume needs — generations done, the metrics so far, the data sets and models a later step still reads —
 * goes into a run directory (src/core/run-store.ts):
 *
 *   checkpoint.json              sealed (SHA-256 of its own bytes): { trajectory: { done, metrics, sets, models }, … }
 *   blobs/<sha256>.bin           one per data set or model, content-addressed, each written atomically
 *
 * The sealed state names every blob with its SHA-256 and length, so a torn, stale or edited blob is detected on
 * resume (one-line UsageError), never decoded into other numbers. Blobs are written before the state that names
 * them; blobs no state names any more are removed after it is sealed, so a crash at any instant leaves the last
 * sealed state whole. Content addressing also means accumulate's older data sets are written once, not every
 * generation. Resuming gives bit-identical results because every key of the loop is derived from (trajectory key,
 * role, index), and a data set or model decodes to exactly what was encoded (the codec's contract).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../core/atomic-file.js';
import { UsageError } from '../core/errors.js';
import { plausibleNumber } from '../core/stats.js';
import type { RunStore } from '../core/run-store.js';
import type { Metrics, TrajectoryCodec } from '../models/model.js';
import type { TrajectoryState } from './generation-loop.js';

// a family declares its codec beside its ModelFamily (models/ imports nothing from loop/); checkpoints use it here
export type { TrajectoryCodec };

export const BLOB_DIR = 'blobs';

/** A data set or model in the sealed state: its index in the plan, and the blob that holds it. */
export interface BlobRef {
  index: number;
  sha256: string;
  bytes: number;
}

/** A trajectory's state as sealed in checkpoint.json: generations done, the metrics so far, and the blobs of the live data sets and models. */
export interface StoredTrajectory {
  done: number;
  metrics: Metrics[];
  sets: BlobRef[];
  models: BlobRef[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const blobName = (hash: string) => `${hash}.bin`;


/**
 * Saves and loads one trajectory's states in one run directory. It remembers which objects it has already written
 * (by identity), so a data set that stays in the pool is encoded and hashed once per process.
 */
export class TrajectoryCheckpoints<P, D> {
  private readonly written = new WeakMap<object, BlobRef>();

  constructor(
    private readonly dir: string,
    private readonly codec: TrajectoryCodec<P, D>,
  ) {}

  private blobs(): string {
    return join(this.dir, BLOB_DIR);
  }

  private put(value: unknown, index: number, encode: () => Uint8Array): BlobRef {
    const known = typeof value === 'object' && value !== null ? this.written.get(value) : undefined;
    if (known) return { ...known, index };
    const bytes = encode();
    const ref = { index, sha256: sha256(bytes), bytes: bytes.length };
    const path = join(this.blobs(), blobName(ref.sha256));
    if (!existsSync(path)) writeFileAtomic(path, bytes); // the same name is the same bytes: a rename never tears it
    if (typeof value === 'object' && value !== null) this.written.set(value, ref);
    return ref;
  }

  /**
   * Persist `state` into `store` as its checkpoint: blobs first, then the sealed checkpoint.json naming them
   * (`extra` goes beside the trajectory in the state), then unreferenced blobs are removed.
   */
  save(store: RunStore, state: TrajectoryState<P, D>, elapsedSeconds: number, extra: Record<string, unknown> = {}): StoredTrajectory {
    mkdirSync(this.blobs(), { recursive: true });
    const sets = [...state.sets].map(([s, data]) => this.put(data, s, () => this.codec.encodeData(data)));
    const models = [...state.models].map(([k, model]) => this.put(model, k, () => this.codec.encodeModel(model)));
    fsyncDir(this.blobs());
    const stored: StoredTrajectory = { done: state.done, metrics: state.metrics, sets, models };
    store.saveCheckpoint({ ...extra, trajectory: stored }, elapsedSeconds);
    const keep = new Set([...sets, ...models].map((r) => blobName(r.sha256)));
    for (const name of readdirSync(this.blobs())) if (!keep.has(name)) rmSync(join(this.blobs(), name), { force: true });
    return stored;
  }

  /**
   * The state a checkpoint describes, every blob checked against its hash and decoded. `label` names the run
   * directory in errors (`--resume DIR`); `iterations` is the run's N. Every problem is a one-line UsageError.
   */
  load(stored: unknown, label: string, iterations: number): TrajectoryState<P, D> {
    const t = checkStoredTrajectory(stored, label, iterations);
    const read = (ref: BlobRef, what: string) => this.read(ref, what, label);
    const decode = <T>(ref: BlobRef, what: string, fn: (bytes: Uint8Array) => T): T => {
      const bytes = read(ref, what);
      let value: T;
      try {
        value = fn(bytes);
      } catch (error) {
        throw new UsageError(`--resume ${label}: the checkpoint's ${what} does not decode (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); nothing was changed`);
      }
      if (typeof value === 'object' && value !== null) this.written.set(value, ref);
      return value;
    };
    const sets = new Map(t.sets.map((r) => [r.index, decode(r, `data set ${r.index}`, (b) => this.codec.decodeData(b))] as const));
    const models = new Map(t.models.map((r) => [r.index, decode(r, `model ${r.index}`, (b) => this.codec.decodeModel(b))] as const));
    return { done: t.done, metrics: t.metrics, sets, models };
  }

  /** Read-only check before a resume touches anything: the state's shape and every blob's length and SHA-256. */
  verify(stored: unknown, label: string, iterations: number): StoredTrajectory {
    const t = checkStoredTrajectory(stored, label, iterations);
    for (const r of t.sets) this.read(r, `data set ${r.index}`, label);
    for (const r of t.models) this.read(r, `model ${r.index}`, label);
    return t;
  }

  private read(ref: BlobRef, what: string, label: string): Uint8Array {
    const path = join(this.blobs(), blobName(ref.sha256));
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new UsageError(`--resume ${label}: the checkpoint's ${what} (${BLOB_DIR}/${blobName(ref.sha256)}) is missing; nothing was changed`);
    }
    if (bytes.length !== ref.bytes || sha256(bytes) !== ref.sha256) {
      throw new UsageError(`--resume ${label}: the checkpoint's ${what} (${BLOB_DIR}/${blobName(ref.sha256)}) is damaged (its SHA-256 does not match); nothing was changed`);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

/** A codec-free view for read-only checks (TrajectoryCheckpoints.verify needs no family). */
export const verifyStoredTrajectory = (dir: string, stored: unknown, label: string, iterations: number): StoredTrajectory =>
  new TrajectoryCheckpoints<never, never>(dir, undefined as unknown as TrajectoryCodec<never, never>).verify(stored, label, iterations);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Metrics of `length` generations as read back from a checkpoint: one object per generation, every value
 * {@link plausibleNumber} (finite, no 5e303: the seal is a checksum, not a signature). The names may differ between
 * generations (a neural family reports early-stopping metrics only where they apply).
 */
export function plausibleMetrics(rows: unknown, length: number): rows is Metrics[] {
  return Array.isArray(rows) && rows.length === length && rows.every((row) => isObject(row) && Object.values(row).every(plausibleNumber));
}

/**
 * The stored trajectory, checked field by field before anything trusts it: generations done within the run's
 * iterations, their metrics, and blob references with distinct indices (a model's index is the generation that fit
 * it, so at most the generations done).
 */
export function checkStoredTrajectory(stored: unknown, label: string, iterations: number): StoredTrajectory {
  const bad = (why: string) => new UsageError(`--resume ${label}: its checkpoint.json does not fit the run in its manifest.json (${why}); nothing was changed`);
  if (!isObject(stored)) throw bad('no trajectory state');
  const { done, metrics, sets, models } = stored;
  if (!Number.isSafeInteger(done) || (done as number) < 1 || (done as number) > iterations) throw bad(`generations done ${JSON.stringify(done)?.slice(0, 40)} not in [1, ${iterations}]`);
  if (!plausibleMetrics(metrics, done as number)) throw bad('metrics');
  const refs = (x: unknown, what: string, maxIndex: number): BlobRef[] => {
    if (!Array.isArray(x)) throw bad(what);
    for (const r of x) {
      const ok = isObject(r) && Number.isSafeInteger(r.index) && (r.index as number) >= 1 && (r.index as number) <= maxIndex && typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256) && Number.isSafeInteger(r.bytes) && (r.bytes as number) >= 0;
      if (!ok) throw bad(what);
    }
    if (new Set(x.map((r: BlobRef) => r.index)).size !== x.length) throw bad(`${what}: an index twice`);
    return x as BlobRef[];
  };
  return { done: done as number, metrics, sets: refs(sets, 'data sets', Number.MAX_SAFE_INTEGER), models: refs(models, 'models', done as number) };
}
