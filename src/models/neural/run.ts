/**
 * `collapse neural`: options (one declaration, C9), validation, and one (model, strategy) trajectory through the
 * generation loop with a checkpoint after every generation (src/loop/checkpoint.ts). src/cli/neural.ts runs the
 * pairs, two processes at a time, and prints them.
 *
 * Keys: a family's trajectory key is foldIn(rootKey(seed), its index in FAMILY_KEY_INDEX), the same for every
 * strategy, so replace and accumulate start from the same real data and the same first model (common random
 * numbers: iteration 1 agrees, and the strategies' differences are the strategies').
 */
import { NumericError, UsageError } from '../../core/errors.js';
import { foldIn, rootKey, type Key } from '../../core/rng.js';
import type { RunStore } from '../../core/run-store.js';
import { parseOption, type OptionSpec } from '../../core/schema.js';
import { didYouMean } from '../../core/suggest.js';
import { TrajectoryCheckpoints, type TrajectoryCodec } from '../../loop/checkpoint.js';
import { loopPlan, runTrajectory, type TrajectoryState } from '../../loop/generation-loop.js';
import { checkPoolWeights, parseStrategy, STRATEGY_FORMS } from '../../strategies/index.js';
import type { Metrics } from '../model.js';
import type { NeuralFamilyOptions, NeuralModel, Schedule } from './family.js';
import { neuralFactory, neuralModelNames, TOY_ENV } from './index.js';
import type { WeightArrays } from './tf.js';

/** tf.ts, imported when a part runs (it loads tfjs, ~1 s): other commands never pay for it. */
type TfModule = typeof import('./tf.js');
import type { AnyNeuralFamily } from './toy.js';

export const NEURAL_OPTIONS: readonly OptionSpec[] = [
  { flag: 'model', kind: 'string', default: 'all', meta: 'lm|vae|diffusion|all', description: 'neural families to run, comma-separated (all: every family)' },
  { flag: 'strategy', kind: 'string', default: 'replace,accumulate', meta: 'strategies', description: `strategies, comma-separated (${STRATEGY_FORMS.join(', ')}); each family runs under each` },
  { flag: 'iterations', kind: 'int', min: 1, max: 100, description: 'generations (models fit) per trajectory (default 5; 4 with --quick)' },
  { flag: 'temperature', kind: 'number', above: 0, max: 100, description: 'sampling temperature of the lm (the paper: 1 and 0.3); other families sample at 1' },
  { flag: 'schedule', kind: 'string', meta: 'epochs|steps[:k]', description: 'training per fit: epochs[:k] passes over the pool (the paper\'s; accumulate\'s cost grows) or steps[:k] optimiser steps (fixed compute); default: the family\'s' },
  { flag: 'samples', kind: 'int', min: 2, max: 1_000_000, description: 'm, real items per data set (and synthetic items per generation); default: the family\'s' },
  { flag: 'test-samples', kind: 'int', min: 1, max: 1_000_000, description: 'held-out real items for the test loss; default: the family\'s' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xffffffff, description: 'seed of every random stream' },
  { flag: 'quick', kind: 'boolean', description: 'laptop sizes: every family, replace and accumulate, in minutes on 2 cores' },
];

/** The resolved configuration (flag names as keys, as in --config files and manifest.json). */
export interface NeuralConfig {
  model: string[];
  strategy: string[];
  iterations: number;
  temperature?: number;
  schedule?: string;
  samples?: number;
  'test-samples'?: number;
  seed: number;
  quick: boolean;
}

/** One trajectory: a family under one strategy (the unit a child process runs and a sub-run directory holds). */
export interface NeuralPart extends Omit<NeuralConfig, 'model' | 'strategy'> {
  /** `${model}-${strategy}`: JSON key, sub-directory name, legend label */
  part: string;
  model: string;
  strategy: string;
}

/** Index of each family's trajectory key under the root (stable: adding a family never moves another's key). */
const FAMILY_KEY_INDEX: Readonly<Record<string, number>> = { lm: 1, vae: 2, diffusion: 3, toy: 99 };

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

/** A --strategy value (comma-separated) as the list of canonical strategy names; throws a UsageError. */
export function parseStrategyList(raw: unknown): string[] {
  const text = parseOption(NEURAL_OPTIONS.find((o) => o.flag === 'strategy') as OptionSpec, raw) as string;
  const names = [...new Set(list(text).map((s) => parseStrategy(s).name))];
  if (names.length === 0) throw new UsageError(`--strategy needs at least one strategy; got ${JSON.stringify(raw)}`);
  return names;
}

/** epochs, steps, epochs:<k>, steps:<k> → the kind and the amount (undefined: the family's default amount). */
export function parseSchedule(text: string): { kind: Schedule['kind']; amount?: number } {
  const match = /^(epochs|steps)(?::(.+))?$/.exec(text.trim());
  const amount = match?.[2] === undefined ? undefined : Number(match[2]);
  const ok = match && (amount === undefined || (Number.isFinite(amount) && amount > 0 && amount <= 1e6 && (match[1] === 'epochs' || Number.isInteger(amount))));
  if (!match || !ok) throw new UsageError(`--schedule must be epochs, steps, epochs:<k> (k in (0, 1e6]) or steps:<k> (an integer in [1, 1e6]); got ${JSON.stringify(text)}`);
  return { kind: match[1] as Schedule['kind'], amount };
}

/** Apply defaults and check every field; throws a one-line UsageError naming the flag. */
export function validateNeuralConfig(raw: Record<string, unknown>): NeuralConfig {
  const value = (flag: string) => {
    const spec = NEURAL_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    // a stored configuration (manifest.json, --resume) holds the lists as arrays
    const given = Array.isArray(raw[flag]) && (flag === 'model' || flag === 'strategy') ? (raw[flag] as unknown[]).join(',') : raw[flag];
    if (given === undefined) return 'default' in spec ? spec.default : undefined;
    return parseOption(spec, given);
  };
  const quick = Boolean(value('quick'));
  const names = neuralModelNames();
  const models = list(value('model') as string);
  for (const m of models) {
    if (m !== 'all' && !names.includes(m)) {
      throw new UsageError(`--model must be ${[...names, 'all'].join(', ')} (comma-separated); got ${JSON.stringify(m)}${didYouMean(m, [...names, 'all'])}`);
    }
  }
  const model = [...new Set(models.flatMap((m) => (m === 'all' ? names.filter((n) => n !== 'toy') : [m])))];
  if (model.length === 0) throw new UsageError(`--model needs at least one family (${names.join(', ')}); got ${JSON.stringify(raw.model)}`);
  const strategy = parseStrategyList(value('strategy'));
  const config: NeuralConfig = { model, strategy, iterations: (value('iterations') as number | undefined) ?? (quick ? 4 : 5), seed: value('seed') as number, quick };
  for (const name of strategy) checkPoolWeights(parseStrategy(name), config.iterations); // before any run directory exists
  const temperature = value('temperature') as number | undefined;
  if (temperature !== undefined) config.temperature = temperature;
  const atOne = model.filter((m) => m !== 'lm');
  if (temperature !== undefined && temperature !== 1 && atOne.length > 0) {
    // refused here, before any run directory exists, rather than by each family once its part starts
    throw new UsageError(`--temperature applies to the lm only (the ${atOne.join(', ')} sample at 1); got ${temperature} with --model ${model.join(',')}; use --model lm`);
  }
  const schedule = value('schedule') as string | undefined;
  if (schedule !== undefined) {
    parseSchedule(schedule);
    config.schedule = schedule.trim();
  }
  const samples = value('samples') as number | undefined;
  if (samples !== undefined) config.samples = samples;
  const testSamples = value('test-samples') as number | undefined;
  if (testSamples !== undefined) config['test-samples'] = testSamples;
  return config;
}

/** The configuration's (model, strategy) trajectories, model-major (so replace and accumulate of one family run side by side). */
export function neuralParts(config: NeuralConfig): NeuralPart[] {
  const { model, strategy, ...rest } = config;
  return model.flatMap((m) => strategy.map((s) => ({ ...rest, part: `${m}-${s}`, model: m, strategy: s })));
}

/** A directory name for a part (strategy expressions may hold '/', '*' or spaces). */
export const partDirName = (part: string) => part.replace(/[^\w.:^+-]+/g, '_');

/** Weights as bytes: a uint32 header length, a JSON header [{name, shape}], zero padding to 4, the float32 values. */
export function encodeWeights(arrays: WeightArrays): Uint8Array {
  const names = Object.keys(arrays);
  const header = Buffer.from(JSON.stringify(names.map((name) => ({ name, shape: arrays[name].shape }))), 'utf8');
  const start = 4 + Math.ceil(header.length / 4) * 4;
  const total = names.reduce((sum, name) => sum + arrays[name].values.length, 0);
  const bytes = new Uint8Array(start + 4 * total);
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 4);
  const values = new Float32Array(bytes.buffer, start, total);
  let at = 0;
  for (const name of names) {
    values.set(arrays[name].values, at);
    at += arrays[name].values.length;
  }
  return bytes;
}

export function decodeWeights(bytes: Uint8Array): WeightArrays {
  const copy = Uint8Array.from(bytes); // aligned, and detached from the file buffer
  const length = new DataView(copy.buffer).getUint32(0, true);
  const header = JSON.parse(Buffer.from(copy.subarray(4, 4 + length)).toString('utf8')) as { name: string; shape: number[] }[];
  const start = 4 + Math.ceil(length / 4) * 4;
  const out: WeightArrays = {};
  let at = start;
  for (const { name, shape } of header) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (at + 4 * size > copy.length) throw new Error(`weights ${name} run past the end of the blob`);
    out[name] = { shape, values: new Float32Array(copy.buffer, at, size) };
    at += 4 * size;
  }
  if (at !== copy.length) throw new Error('the blob is longer than its weights');
  return out;
}

/** A neural family's checkpoint codec: its own data codec, and weights through encodeWeights. */
export function neuralCodec<D>(family: AnyNeuralFamily<D>, tf: TfModule): TrajectoryCodec<NeuralModel, D> {
  return {
    encodeData: (data) => family.encodeData(data),
    decodeData: (bytes) => family.decodeData(bytes),
    encodeModel: (model) => encodeWeights(tf.weightsToArrays(model.weights)),
    decodeModel: (bytes) => ({ weights: tf.arraysToWeights(decodeWeights(bytes)) }),
  };
}

/** Build a part's family with the options the configuration resolves (schedule: see parseSchedule). */
export async function buildFamily(part: NeuralPart): Promise<AnyNeuralFamily> {
  const factory = await neuralFactory(part.model);
  if (factory === undefined) throw new UsageError(`--model ${part.model} is not available here${part.model === 'toy' ? ` (set ${TOY_ENV}=1)` : ''}`);
  const options: NeuralFamilyOptions = {
    quick: part.quick,
    temperature: part.temperature,
    samples: part.samples,
    testSamples: part['test-samples'],
  };
  let family = await factory(options);
  if (part.schedule !== undefined) {
    const { kind, amount } = parseSchedule(part.schedule);
    if (amount === undefined && kind === family.schedule.kind) return family;
    if (amount === undefined && kind === 'steps') {
      throw new UsageError(`--schedule steps needs a number of steps for the ${part.model} (its default is ${family.schedule.kind}:${family.schedule.amount}); e.g. --schedule steps:200`);
    }
    family = await factory({ ...options, schedule: { kind, amount: amount ?? 1 } }); // bare epochs: one pass, the paper's protocol
  }
  return family;
}

export interface NeuralIterationRow {
  iteration: number;
  /** the test loss on held-out real data (lower is better) */
  mean: number;
  stderr: null;
  ci95: null;
  theory: null;
  z: null;
  metrics: Metrics;
}

/** One part's result: the JSON shape of the other commands ({ config, backend, seconds, iterations }) plus labels. */
export interface NeuralPartReport {
  config: NeuralPart;
  backend: string;
  backendReason: string;
  seconds: number;
  model: string;
  strategy: string;
  metric: string;
  standIn: string;
  schedule: Schedule;
  settings: Readonly<Record<string, number | string | boolean>>;
  iterations: NeuralIterationRow[];
}

export interface PartControl {
  /** the part's run directory: a checkpoint after every generation */
  store?: RunStore;
  /** continue from this checkpoint state (checkpoint.json's `state`) */
  resume?: { state: unknown; label: string; elapsedSeconds: number };
  signal?: AbortSignal;
  onGeneration?: (n: number, metrics: Metrics, seconds: number) => void;
  /** after model n is fit (before it may be freed): e.g. write a grid of its samples */
  onModel?: (family: AnyNeuralFamily, model: NeuralModel, n: number, key: Key) => Promise<void>;
}

export const partKey = (part: NeuralPart): Key => foldIn(rootKey(part.seed), FAMILY_KEY_INDEX[part.model] ?? 100);

/** Run (or continue) one part; a non-finite metric is a NumericError naming the generation. */
export async function runNeuralPart(part: NeuralPart, control: PartControl = {}): Promise<NeuralPartReport> {
  const family = await buildFamily(part);
  const tfModule = await import('./tf.js');
  const tf = await tfModule.loadTf();
  const samples = Number(family.settings.samples ?? part.samples);
  const testSamples = Number(family.settings.testSamples ?? part['test-samples']);
  if (!Number.isInteger(samples) || !Number.isInteger(testSamples)) throw new Error(`the ${part.model} family does not say its samples and testSamples in its settings`);
  const strategy = parseStrategy(part.strategy);
  const config = { strategy, iterations: part.iterations, samples, testSamples };
  const plan = loopPlan(strategy, part.iterations);
  const key = partKey(part);
  const checkpoints = control.store ? new TrajectoryCheckpoints(control.store.dir, neuralCodec(family, tfModule)) : undefined;
  const prior = control.resume?.elapsedSeconds ?? 0;
  let resume: TrajectoryState<NeuralModel, unknown> | undefined;
  if (control.resume) {
    if (!checkpoints) throw new Error('resume needs the run directory');
    resume = checkpoints.load((control.resume.state as { trajectory?: unknown } | null)?.trajectory, control.resume.label, part.iterations);
  }
  const started = performance.now();
  const seconds = () => prior + (performance.now() - started) / 1000;
  const metrics = await runTrajectory(family, config, key, plan, {
    resume,
    signal: control.signal,
    release: (model) => family.dispose(model),
    onGeneration: async (state) => {
      const row = state.metrics[state.done - 1];
      for (const [name, value] of Object.entries(row)) {
        if (!Number.isFinite(value)) throw new NumericError(`${name} is ${value} at generation ${state.done} (${part.part})`, state.done);
      }
      checkpoints?.save(control.store as RunStore, state, seconds());
      control.onGeneration?.(state.done, row, seconds());
      // a fit is synchronous tfjs work between promises that resolve at once: without a turn of the event loop
      // here, signals, IPC messages and a parent's disconnect would not be seen until the whole run ended
      await new Promise((resolve) => setImmediate(resolve));
    },
    onModel: control.onModel && (async (model, n) => (control.onModel as NonNullable<PartControl['onModel']>)(family, model, n, key)),
  });
  return {
    config: part,
    backend: `tfjs-${tf.getBackend()}`,
    backendReason: tf.getBackend() === 'wasm' ? 'tfjs 4.22 wasm (SIMD, one thread) with the BatchMatMul transpose patch' : `tfjs ${tf.getBackend()} backend (COLLAPSE_NEURAL_BACKEND)`,
    seconds: seconds(),
    model: part.model,
    strategy: part.strategy,
    metric: family.metric,
    standIn: family.standIn,
    schedule: family.schedule,
    settings: family.settings,
    iterations: metrics.map((m, i) => ({ iteration: i + 1, mean: m.loss, stderr: null, ci95: null, theory: null, z: null, metrics: m })),
  };
}
