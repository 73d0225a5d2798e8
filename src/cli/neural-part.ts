/**
 * One part of `collapse neural` (a family under one strategy) in its own sub-run directory, in this process or in a
 * child process (src/cli/neural-child.ts is the child's entry; src/cli/neural.ts forks it, two at a time, because
 * tfjs-wasm uses one core per process).
 *
 * A part's directory is a run directory (src/core/run-store.ts) whose config is the part (with its `part` id):
 * manifest.json, checkpoint.json + blobs/ after every generation (src/loop/checkpoint.ts), results.json and
 * results.csv at the end, and for the vae samples/generation-<n>.png (a 10×10 grid of model n's samples). The parent
 * owns the directory: a part never started (no manifest) is created afresh there (--force within the parent's run).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, NumericError, UsageError } from '../core/errors.js';
import { assertUnlocked } from '../core/lock.js';
import { foldIn } from '../core/rng.js';
import { STREAM_ROLES } from '../core/streams.js';
import { canonicalJson, inspectRun, MANIFEST_FILE, readManifest, RunStore, type Checkpoint, type Manifest } from '../core/run-store.js';
import { verifyStoredTrajectory } from '../loop/checkpoint.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { Metrics } from '../models/model.js';
import type { ResolvedNeuralBackend } from '../models/neural/backend.js';
import { runNeuralPart, type NeuralPart, type NeuralPartReport, type PartControl } from '../experiments/neural.js';
import { Interrupted } from './interrupt.js';


export interface PartJob {
  part: NeuralPart;
  /** the part's run directory (undefined: nothing is saved) */
  dir?: string;
  /** continue the run in `dir` */
  resume: boolean;
  /** the tfjs backend, chosen once by the parent for every part (src/models/neural/backend.ts) */
  backend: ResolvedNeuralBackend;
}

/** What a child (or the in-process runner) reports. */
export type PartMessage =
  | { type: 'generation'; part: string; n: number; metrics: Metrics; seconds: number }
  | { type: 'done'; part: string; report: NeuralPartReport }
  | { type: 'error'; part: string; code: number; message: string };

/** The part's stored run, checked read-only: its config must be this part; its checkpoint whole (every blob hashed). */
function checkPartRun(job: PartJob) {
  return (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    const dir = job.dir as string;
    if (canonicalJson(manifest.config) !== canonicalJson(job.part)) {
      throw new UsageError(`--resume: ${dir} holds another part (${String(manifest.config.part)}) than ${job.part.part}; nothing was changed`);
    }
    const backend = `tfjs-${job.backend.name}`;
    if (manifest.backend !== backend) {
      // another backend computes other floats: the resumed run would not be the run that was started
      throw new UsageError(`--resume: ${dir} ran on ${String(manifest.backend)}, this run on ${backend}; start the run afresh`);
    }
    if (checkpoint === null) return { resumedFrom: 'the start (no generation had been checkpointed)', checked: null };
    const stored = verifyStoredTrajectory(dir, (checkpoint.state as { trajectory?: unknown } | null)?.trajectory, dir, job.part.iterations);
    return { resumedFrom: `generation ${stored.done} of ${job.part.iterations}`, checked: null };
  };
}

/** Read-only: a started part's directory can be resumed (its config is this part, its checkpoint and blobs whole). */
export function checkPartDir(job: PartJob): void {
  inspectRun(job.dir as string, 'neural', checkPartRun(job));
  assertUnlocked(job.dir as string); // e.g. a child of a killed parent still finishing its generation
}

/** Where a part's directory stands: never started, started (resumable), or complete with its report. */
export function partStatus(dir: string): { status: 'new' } | { status: 'started' } | { status: 'complete'; report: NeuralPartReport } {
  if (!existsSync(join(dir, MANIFEST_FILE))) return { status: 'new' };
  const manifest = readManifest(dir, 'neural');
  if (manifest.status !== 'complete') return { status: 'started' };
  // results.json is written atomically before the manifest says complete
  return { status: 'complete', report: JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as NeuralPartReport };
}

/** Run (or continue) one part here; `notify` hears each generation. Throws Interrupted when `signal` aborts. */
export async function runPartHere(job: PartJob, signal: AbortSignal, notify: (message: PartMessage) => void): Promise<NeuralPartReport> {
  const { part } = job;
  let store: RunStore | undefined;
  let resume: PartControl['resume'];
  if (job.dir !== undefined) {
    if (job.resume) {
      const opened = RunStore.resume(job.dir, 'neural', checkPartRun(job));
      store = opened.store;
      if (opened.checkpoint) resume = { state: opened.checkpoint.state, label: job.dir, elapsedSeconds: opened.checkpoint.elapsedSeconds };
    } else {
      store = RunStore.create(job.dir, true, { command: 'neural', config: { ...part }, seed: part.seed, backend: `tfjs-${job.backend.name}`, backendReason: job.backend.reason });
    }
  }
  try {
    const grids = store !== undefined && part.model === 'vae' ? await import('../models/neural/vae/index.js') : undefined;
    const report = await runNeuralPart(part, {
      store,
      resume,
      signal,
      backend: job.backend,
      onGeneration: (n, metrics, seconds) => notify({ type: 'generation', part: part.part, n, metrics, seconds }),
      onModel:
        grids && store
          ? async (family, model, n, key) => {
              const samples = await family.sample(model, 100, foldIn(foldIn(key, STREAM_ROLES.neuralGrid), n));
              mkdirSync(store!.path('samples'), { recursive: true });
              writeFileAtomic(store!.path(`samples/generation-${n}.png`), grids.imageGridPng(samples as Parameters<typeof grids.imageGridPng>[0]));
            }
          : undefined,
    });
    if (store) {
      store.writeJson('results.json', report);
      store.writeText('results.csv', partsCsv([report]));
      store.finish('complete');
    }
    return report;
  } catch (error) {
    // an error is the error even when a signal came meanwhile (the parent stops a part's siblings when it fails):
    // only the loop's own stop (it throws the signal's reason) is an interruption
    const interrupted = error instanceof Interrupted;
    store?.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/**
 * One row per report and iteration: the loss (the mean over the seeds with --seeds), every metric any report has
 * (empty where it has none), then the schedule, the number of seeds, and the loss's standard error and 95% interval.
 */
export function partsCsv(reports: readonly NeuralPartReport[]): string {
  const names = [...new Set(reports.flatMap((r) => r.iterations.flatMap((row) => Object.keys(row.metrics))))].filter((n) => n !== 'loss');
  const lines = [['part', 'model', 'strategy', 'iteration', 'loss', ...names, 'schedule', 'seeds', 'stderr', 'ci95_low', 'ci95_high'].join(',')];
  for (const report of reports) {
    for (const r of report.iterations) {
      const schedule = `${report.schedule.kind}:${report.schedule.amount}`;
      lines.push([report.config.part, report.model, report.strategy, r.iteration, r.mean, ...names.map((n) => r.metrics[n] ?? ''), schedule, report.seeds ?? 1, r.stderr ?? '', r.ci95?.[0] ?? '', r.ci95?.[1] ?? ''].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The exit code and one line for an error a part ended with (the child's side of the protocol). */
export function describeError(error: unknown): { code: number; message: string } {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (error instanceof Interrupted) return { code: error.exitCode, message };
  if (error instanceof UsageError) return { code: EXIT.usage, message };
  if (error instanceof NumericError) return { code: EXIT.numeric, message };
  return { code: EXIT.bug, message };
}
