/**
 * The reduced method's Wishart spectra (drawReducedDesign) drawn ahead, on a thread of their own, while the main
 * thread pools the chunks before them: they were ~20% of the main thread's time at d = 10, T = 100, 50 iterations
 * (the tridiagonal QL and the chi-square draws of every trial), and the main thread is what limits the method.
 * drawReducedDesign is the same code on either thread and each trial's draws come from its own key, so a spectrum
 * is the same float64 numbers wherever it is drawn; a chunk whose spectra are not requested ahead (the first ones,
 * runs of few chunks, or where the thread cannot start or fails) draws them itself.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { foldIn } from '../../core/rng.js';
import { STREAM } from '../../core/streams.js';
import { drawReducedDesign, type ReducedDesign } from './wishart.js';
import type { ChunkContext } from './method.js';
import type { PoolPlan } from './pool-store.js';

/** What the thread is asked for: drawReducedDesign's arguments, and an id to answer with. */
export interface SpectrumRequest {
  id: number;
  key: number;
  first: number;
  B: number;
  T: number;
  d: number;
  ridge: number;
}

/** Chunks whose spectra are requested ahead of the one starting (two are in flight: the thread keeps ahead of both). */
const AHEAD = 2;
/**
 * Runs of fewer chunks draw on the main thread: the thread's start, ~0.1 s of CPU (a Node isolate and its modules),
 * and its share of the cores cost them more than it saves. Measured on the idle 2-core VM, d = 10, T = 100, 50
 * iterations: 3 chunks (the throughput bench's 9,984 trials) 2.06–2.28 M trial-it/s with the thread against 2.67–3.40 M
 * without; 49 chunks (200,000 trials, the CLI) 4.21–4.44 M with it against 3.46–3.64 M without.
 */
export const useSpectrumThread = { minChunks: 8 };

/** Per run (its plan object is its own): the highest chunk started, and the spectra requested for later chunks. */
interface RunAhead {
  started: number;
  requested: Map<number, Promise<ReducedDesign | null>>;
}
const runs = new WeakMap<PoolPlan, RunAhead>();

/** The chunk's spectra: requested earlier from the thread, else drawn here; then the next chunks' are requested. */
export async function reducedDesignFor(context: ChunkContext): Promise<ReducedDesign> {
  const { run, kernels, root, chunk, first, plan } = context;
  const { B, T, d } = kernels.shape;
  const key = foldIn(root, STREAM.wishart);
  const ridge = run.ridge ?? 0;
  const chunks = Math.ceil(run.trials / B);
  let ahead = runs.get(plan);
  if (!ahead && chunks >= useSpectrumThread.minChunks) runs.set(plan, (ahead = { started: -1, requested: new Map() }));
  let pending: Promise<ReducedDesign | null> | undefined;
  if (ahead) {
    pending = ahead.requested.get(chunk);
    ahead.requested.delete(chunk);
    ahead.started = Math.max(ahead.started, chunk);
    for (let c = chunk + 1; c <= chunk + AHEAD && c < chunks; c++) {
      if (c > ahead.started && !ahead.requested.has(c)) ahead.requested.set(c, spectraOffThread({ key, first: c * B, B, T, d, ridge }));
    }
  }
  // a thread still starting (no answer yet: a Node isolate and its modules, ~0.1 s or more) is not waited for: this
  // chunk draws its own spectra, and the thread's copy is dropped when it comes
  const fromThread = pending && received > 0 ? await pending : null;
  if (fromThread) used += 1;
  return fromThread ?? drawReducedDesign(key, first, B, T, d, ridge);
}

let thread: Worker | null | undefined; // undefined: not started yet; null: unavailable (then every chunk draws its own)
let nextId = 0;
let received = 0;
let used = 0;

/** Chunks of this process whose spectra came from the thread (the tests check that the thread did draw them). */
export function spectraFromThread(): number {
  return used;
}
const waiting = new Map<number, (design: ReducedDesign | null) => void>();

/** drawReducedDesign on the thread; null where the thread is unavailable or failed (the caller draws it itself). */
function spectraOffThread(request: Omit<SpectrumRequest, 'id'>): Promise<ReducedDesign | null> {
  const worker = spectrumThread();
  if (!worker) return Promise.resolve(null);
  const id = ++nextId;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker.ref(); // a run awaiting its spectra keeps the process alive; an idle thread does not
    worker.postMessage({ id, ...request } satisfies SpectrumRequest);
  });
}

function spectrumThread(): Worker | null {
  if (thread !== undefined) return thread;
  try {
    thread = startThread();
    thread.unref();
    thread.on('message', ({ id, design }: { id: number; design: ReducedDesign | null }) => {
      const resolve = waiting.get(id);
      waiting.delete(id);
      if (waiting.size === 0) thread?.unref();
      if (design) received += 1;
      resolve?.(design);
    });
    const fail = (): void => {
      thread = null;
      for (const resolve of waiting.values()) resolve(null);
      waiting.clear();
    };
    thread.on('error', fail);
    thread.on('exit', fail);
  } catch {
    thread = null;
  }
  return thread;
}

/** The built module (dist/) runs wishart-worker.js; under tsx (tests, benches) the thread registers tsx first. */
function startThread(): Worker {
  // loaded here, not imported: the browser explorer bundles this module, and a page has no threads (the require
  // throws there, and every chunk draws its own spectra)
  const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./wishart-worker.js', import.meta.url));
  const entry = new URL('./wishart-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}
