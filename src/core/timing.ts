/**
 * Start-up phase times, printed on stderr when COLLAPSE_TIMING=1 (bench/startup.bench.ts reads them): many short runs
 * (sweeps, tests) pay Node's start, module loading and kernel compilation each time, so where that time goes is
 * measured, not guessed. Off by default: then every call here is a test of one boolean. Node-free (the browser build
 * shares gpu-backend.ts, which records kernel compiles here), so `process` is looked up, not assumed.
 */

interface ProcessLike {
  env?: Record<string, string | undefined>;
  stderr?: { write(text: string): unknown };
}
const proc = (globalThis as { process?: ProcessLike }).process;

export const timingEnabled = proc?.env?.COLLAPSE_TIMING === '1';

/** One kernel's first call: the synchronous part is gpu.js building it (JavaScript → wasm, compile, instantiate). */
export interface KernelTiming {
  kernel: string;
  /** gpu.js's output dimensions and return type: a new shape is a new compile */
  shape: string;
  /** ms of gpu.js's build on webasm (translation, emission, wasm compile and instantiation); on other backends the first call's synchronous part */
  compileMs: number;
  /** ms from the first call to its result: compile, worker threads started and set up, the run itself */
  firstCallMs: number;
}

const marks: Record<string, number> = {};
const kernels: KernelTiming[] = [];

/** Milliseconds since the process started (Node's performance.timeOrigin), at the first time `phase` is reached. */
export function mark(phase: string): void {
  if (timingEnabled && !(phase in marks)) marks[phase] = performance.now();
}

export function recordKernel(timing: KernelTiming): void {
  if (timingEnabled) kernels.push(timing);
}

export interface TimingReport {
  /** ms since the process started at which each phase was first reached */
  marks: Record<string, number>;
  kernels: KernelTiming[];
}

export function timingReport(): TimingReport {
  return { marks: { ...marks }, kernels: kernels.map((k) => ({ ...k })) };
}

/** One line on stderr, `collapse timing: {json}`, when COLLAPSE_TIMING=1. */
export function printTiming(): void {
  if (!timingEnabled) return;
  mark('end');
  const node = (performance as { nodeTiming?: { bootstrapComplete?: number } }).nodeTiming;
  // Node's own start-up (before any module of ours is read) as a mark of its own
  if (node?.bootstrapComplete !== undefined) marks.nodeReady = node.bootstrapComplete;
  proc?.stderr?.write(`collapse timing: ${JSON.stringify(timingReport())}\n`);
}
