/**
 * `collapse neural`: options (one declaration, C9), validation, and one (model, strategy) trajectory through the
 * generation loop with a checkpoint after every generation (src/loop/checkpoint.ts). src/cli/neural.ts runs the
 * pairs, two processes at a time, and prints them.
 *
 * Keys: a family's trajectory key is foldIn(rootKey(seed), its streamKey in NEURAL_FAMILIES), the same for every
 * strategy and schedule, so replace and accumulate start from the same real data and the same first model (common
 * random numbers: iteration 1 agrees, and the strategies' differences are the strategies'). With --seeds K,
 * trajectory k ≥ 1 takes foldIn(that key, STREAM_ROLES.neuralTrajectory + k) (trajectory 0 is the single run's),
 * again shared by the strategies, so replace − accumulate is a paired difference seed by seed (./neural-seeds.ts).
 */
import { NumericError, UsageError } from '../core/errors.js';
import { foldIn, rootKey, type Key } from '../core/rng.js';
import type { RunStore } from '../core/run-store.js';
import { STREAM_ROLES } from '../core/streams.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { didYouMean } from '../core/suggest.js';
import { TrajectoryCheckpoints, type TrajectoryCodec } from '../loop/checkpoint.js';
import { LOOP_STREAM, loopPlan, runTrajectory, type TrajectoryState } from '../loop/generation-loop.js';
import { checkPoolWeights, parseStrategy } from '../strategies/index.js';
import { DATA_FLAGS, NEURAL_OPTIONS, SIZE_FLAGS } from './neural-options.js';
import type { Metrics } from '../models/model.js';
import type { NeuralFamilyOptions, NeuralModel, Schedule } from '../models/neural/family.js';
import { neuralFactory, neuralModelNames, neuralStreamKey, TOY_ENV } from '../models/neural/index.js';
import { parseNeuralBackend, type ResolvedNeuralBackend } from '../models/neural/backend.js';
import type { NeuralConfig, NeuralIterationRow, NeuralPart, NeuralPartReport, PartGroup } from './neural-report.js';
import type { WeightArrays } from '../models/neural/tf.js';

/** tf.ts, imported when a part runs (it loads tfjs, ~1 s): other commands never pay for it. */
type TfModule = typeof import('../models/neural/tf.js');
import type { AnyNeuralFamily } from '../models/neural/toy.js';

// the run's shapes live in ./neural-report.ts (below ./neural-seeds.ts too); named from here as before
export type { NeuralConfig, NeuralIterationRow, NeuralPart, NeuralPartReport, PartGroup } from './neural-report.js';

// the options (SIZE_FLAGS, DATA_FLAGS, NEURAL_OPTIONS) live in ./neural-options.ts, below ./neural-report.ts's NeuralConfig
export { DATA_FLAGS, NEURAL_OPTIONS, SIZE_FLAGS, type SizeFlag } from './neural-options.js';

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

/** A --strategy value (comma-separated) as the list of canonical strategy names; throws a UsageError. */
export function parseStrategyList(raw: unknown): string[] {
  const text = parseOption(NEURAL_OPTIONS.find((o) => o.flag === 'strategy') as OptionSpec, raw) as string;
  const names = [...new Set(list(text).map((s) => parseStrategy(s).name))];
  if (names.length === 0) throw new UsageError(`--strategy needs at least one strategy; got ${JSON.stringify(raw)}`);
  return names;
}

/**
 * epochs, steps, converge, epochs:<k>, steps:<k>, converge:<cap>, converge:<cap>:<patience> → the kind, the amount
 * (undefined: the family's default, or for bare steps/converge what matchedSteps gives) and converge's patience.
 */
export function parseSchedule(text: string): { kind: Schedule['kind']; amount?: number; patience?: number } {
  const match = /^(epochs|steps|converge)(?::([^:]+))?(?::([^:]+))?$/.exec(text.trim());
  const amount = match?.[2] === undefined ? undefined : Number(match[2]);
  const patience = match?.[3] === undefined ? undefined : Number(match[3]);
  const ok =
    match &&
    (amount === undefined || (Number.isFinite(amount) && amount > 0 && amount <= 1e6 && (match[1] === 'epochs' || Number.isInteger(amount)))) &&
    (patience === undefined || (match[1] === 'converge' && Number.isInteger(patience) && patience >= 1 && patience <= 1000));
  if (!match || !ok) {
    throw new UsageError(`--schedule must be epochs, steps, converge, epochs:<k> (k in (0, 1e6]), steps:<k> or converge:<cap>[:<patience>] (integers, cap ≤ 1e6, patience ≤ 1000); got ${JSON.stringify(text)}`);
  }
  return { kind: match[1] as Schedule['kind'], amount, ...(patience !== undefined && { patience }) };
}

/** A --schedule value: one or more schedules, comma-separated, each checked by parseSchedule; duplicates dropped. */
export function parseScheduleList(text: string): string[] {
  const names = [...new Set(list(text))];
  if (names.length === 0) throw new UsageError(`--schedule needs at least one schedule; got ${JSON.stringify(text)}`);
  for (const name of names) parseSchedule(name);
  return names;
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
  const config: NeuralConfig = { model, strategy, iterations: (value('iterations') as number | undefined) ?? (quick ? 4 : 5), seed: value('seed') as number, seeds: (value('seeds') as number | undefined) ?? 1, quick };
  for (const name of strategy) checkPoolWeights(parseStrategy(name), config.iterations); // before any run directory exists
  const temperature = value('temperature') as number | undefined;
  if (temperature !== undefined) config.temperature = temperature;
  const atOne = model.filter((m) => m !== 'lm');
  if (temperature !== undefined && temperature !== 1 && atOne.length > 0) {
    // refused here, before any run directory exists, rather than by each family once its part starts
    throw new UsageError(`--temperature applies to the lm only (the ${atOne.join(', ')} sample at 1); got ${temperature} with --model ${model.join(',')}; use --model lm`);
  }
  // --quick compares the paper's protocol with matched compute unless told otherwise
  const schedule = (value('schedule') as string | undefined) ?? (quick ? 'epochs,steps' : undefined);
  if (schedule !== undefined) config.schedule = parseScheduleList(schedule).join(',');
  for (const { flag, family } of SIZE_FLAGS) {
    const size = value(flag) as number | undefined;
    if (size === undefined) continue;
    if (!model.includes(family)) throw new UsageError(`--${flag} applies to the ${family} only; got it with --model ${model.join(',')}`);
    config[flag] = size;
  }
  for (const { flag, family } of DATA_FLAGS) {
    const given = value(flag) as string | undefined;
    if (given === undefined) continue;
    if (!model.includes(family)) throw new UsageError(`--${flag} applies to the ${family} only; got it with --model ${model.join(',')}`);
    if (given.trim() === '') throw new UsageError(`--${flag} needs a value; got ""`);
    config[flag] = given;
  }
  if (config.width !== undefined && config.heads !== undefined && config.width % config.heads !== 0) {
    throw new UsageError(`--width ${config.width} must be a multiple of --heads ${config.heads} (each head gets width/heads dimensions)`);
  }
  const samples = value('samples') as number | undefined;
  if (samples !== undefined) config.samples = samples;
  const testSamples = value('test-samples') as number | undefined;
  if (testSamples !== undefined) config['test-samples'] = testSamples;
  if (value('backend') !== undefined) config.backend = parseNeuralBackend(value('backend'));
  return config;
}

/**
 * Reads the data files a configuration names (--corpus FILE, --images) before anything is written, so that a bad file
 * is one line and no run directory; the family reads them again when it is built.
 */
export async function checkDataFiles(config: NeuralConfig): Promise<void> {
  if (config.corpus !== undefined && !['wordnet', 'brown', 'brown-all'].includes(config.corpus)) (await import('../models/neural/lm/corpus-file.js')).readDocuments(config.corpus);
  if (config.images !== undefined) (await import('../models/neural/vae/images.js')).loadImages(config.images);
  if (config.conformers !== undefined) await (await import('../models/neural/diffusion/sdf.js')).readConformers(config.conformers);
}

/** The configuration's curves: family × schedule × strategy, each with its --seeds trajectories. */
export function neuralGroups(config: NeuralConfig): PartGroup[] {
  const { model, strategy, seeds, schedule, ...rest } = config;
  const schedules = schedule === undefined ? [undefined] : list(schedule);
  return model.flatMap((m) =>
    schedules.flatMap((sc) =>
      strategy.map((s) => {
        const id = `${m}-${s}${schedules.length > 1 ? `.${sc}` : ''}`;
        const parts = Array.from({ length: seeds }, (_, k): NeuralPart => ({
          ...rest,
          part: seeds > 1 ? `${id}.seed${k + 1}` : id,
          model: m,
          strategy: s,
          ...(sc !== undefined && { schedule: sc }),
          ...(seeds > 1 && { trajectory: k }),
        }));
        return { id, model: m, strategy: s, ...(sc !== undefined && { schedule: sc }), parts };
      }),
    ),
  );
}

/**
 * Every trajectory, in the order they run: family, schedule, seed, then strategy (so replace and accumulate of one
 * seed run side by side and a run stopped early has whole pairs).
 */
export function neuralParts(config: NeuralConfig): NeuralPart[] {
  const groups = neuralGroups(config);
  const out: NeuralPart[] = [];
  const blocks = new Map<string, PartGroup[]>();
  for (const g of groups) {
    const block = `${g.model}\u0000${g.schedule ?? ''}`;
    blocks.set(block, [...(blocks.get(block) ?? []), g]);
  }
  for (const block of blocks.values()) {
    for (let k = 0; k < config.seeds; k++) for (const g of block) out.push(g.parts[k]);
  }
  return out;
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

/**
 * A neural family's checkpoint codec: its own data codec, and weights through encodeWeights, read back by `prepare`
 * (asynchronous, as webgpu needs) before each save.
 */
export function neuralCodec<D>(family: AnyNeuralFamily<D>, tf: TfModule): TrajectoryCodec<NeuralModel, D> & { prepare(models: Iterable<NeuralModel>): Promise<void> } {
  const readback = new tf.WeightReadback();
  return {
    prepare: (models) => readback.prepare(models),
    encodeData: (data) => family.encodeData(data),
    decodeData: (bytes) => family.decodeData(bytes),
    encodeModel: (model) => encodeWeights(readback.take(model)),
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
    data: part.model === 'lm' ? part.corpus : part.model === 'vae' ? part.images : part.model === 'diffusion' ? part.conformers : undefined,
    sizes: Object.fromEntries(SIZE_FLAGS.filter(({ flag }) => part[flag] !== undefined).map(({ flag }) => [flag, part[flag] as number])),
  };
  let family = await factory(options);
  if (part.schedule !== undefined) {
    const { kind, amount, patience } = parseSchedule(part.schedule);
    if (amount === undefined && kind === family.schedule.kind) return family;
    // bare steps: replace's steps under the family's epochs (matched compute); bare converge: a cap of 10× that
    const matched = amount !== undefined ? undefined : kind === 'steps' ? matchedSteps(family) : kind === 'converge' ? 10 * matchedSteps(family) : undefined;
    family = await factory({ ...options, schedule: { kind, amount: amount ?? matched ?? 1, ...(patience !== undefined && { patience }) } }); // bare epochs: one pass, the paper's protocol
  }
  return family;
}

/**
 * Bare `steps`, matched compute: the optimiser steps one fit of replace gets under the family's default epochs
 * schedule (epochs × m / batch, rounded up), given to every fit whatever its pool's size.
 */
export function matchedSteps(family: Pick<AnyNeuralFamily, 'schedule' | 'settings'>): number {
  const { kind, amount } = family.schedule;
  if (kind !== 'epochs') return amount;
  const samples = Number(family.settings.samples);
  const batch = Number(family.settings.batch);
  if (!(samples > 0 && batch > 0)) throw new Error('a family with an epochs schedule must state samples and batch in its settings');
  return Math.max(1, Math.ceil((amount * samples) / batch));
}

export interface PartControl {
  /** the part's run directory: a checkpoint after every generation */
  store?: RunStore;
  /** the tfjs backend, chosen once for the whole run (./backend.ts); undefined: loadTf's default */
  backend?: ResolvedNeuralBackend;
  /** continue from this checkpoint state (checkpoint.json's `state`) */
  resume?: { state: unknown; label: string; elapsedSeconds: number };
  signal?: AbortSignal;
  onGeneration?: (n: number, metrics: Metrics, seconds: number) => void;
  /** after model n is fit (before it may be freed): e.g. write a grid of its samples */
  onModel?: (family: AnyNeuralFamily, model: NeuralModel, n: number, key: Key) => Promise<void>;
}

export function partKey(part: NeuralPart): Key {
  const family = foldIn(rootKey(part.seed), neuralStreamKey(part.model));
  return part.trajectory ? foldIn(family, STREAM_ROLES.neuralTrajectory + part.trajectory) : family;
}

/** Synthetic items a data set of a strategy with syntheticScale r holds, for m asked: round(r·m), at least 1. */
export function syntheticItems(scale: number, m: number): number {
  const n = Math.max(1, Math.round(scale * m));
  if (n > 10_000_000) throw new UsageError(`a synthetic data set of ${n} items (r·m = ${scale}·${m}) is more than 10⁷; lower r or --samples`);
  return n;
}

/** Run (or continue) one part; a non-finite metric is a NumericError naming the generation. */
export async function runNeuralPart(part: NeuralPart, control: PartControl = {}): Promise<NeuralPartReport> {
  const tfModule = await import('../models/neural/tf.js');
  const tf = await tfModule.loadTf(control.backend?.name); // first: the family loads tfjs on the backend chosen here
  const family = await buildFamily(part);
  const samples = Number(family.settings.samples ?? part.samples);
  const testSamples = Number(family.settings.testSamples ?? part['test-samples']);
  if (!Number.isInteger(samples) || !Number.isInteger(testSamples)) throw new Error(`the ${part.model} family does not say its samples and testSamples in its settings`);
  const strategy = parseStrategy(part.strategy);
  const config = { strategy, iterations: part.iterations, samples, testSamples };
  const plan = loopPlan(strategy, part.iterations);
  const key = partKey(part);
  const codec = neuralCodec(family, tfModule);
  const checkpoints = control.store ? new TrajectoryCheckpoints(control.store.dir, codec) : undefined;
  const prior = control.resume?.elapsedSeconds ?? 0;
  let resume: TrajectoryState<NeuralModel, unknown> | undefined;
  if (control.resume) {
    if (!checkpoints) throw new Error('resume needs the run directory');
    resume = checkpoints.load((control.resume.state as { trajectory?: unknown } | null)?.trajectory, control.resume.label, part.iterations);
  }
  const started = performance.now();
  const seconds = () => prior + (performance.now() - started) / 1000;
  // augment:r draws r·m synthetic items per generation (the data the strategy describes), not m reweighted ones
  const scale = strategy.syntheticScale;
  const loopFamily: AnyNeuralFamily = scale === undefined ? family : { ...family, sample: (model, n, k) => family.sample(model, syntheticItems(scale, n), k) };
  const metrics = await runTrajectory(loopFamily, config, key, plan, {
    resume,
    signal: control.signal,
    release: (model) => family.dispose(model),
    onGeneration: async (state) => {
      const row = state.metrics[state.done - 1];
      for (const [name, value] of Object.entries(row)) {
        if (!Number.isFinite(value)) throw new NumericError(`${name} is ${value} at generation ${state.done} (${part.part})`, state.done);
      }
      if (checkpoints) await codec.prepare(state.models.values());
      checkpoints?.save(control.store as RunStore, state, seconds());
      control.onGeneration?.(state.done, row, seconds());
      // a fit is synchronous tfjs work between promises that resolve at once: without a turn of the event loop
      // here, signals, IPC messages and a parent's disconnect would not be seen until the whole run ended
      await new Promise((resolve) => setImmediate(resolve));
    },
    onModel: control.onModel && (async (model, n) => (control.onModel as NonNullable<PartControl['onModel']>)(family, model, n, key)),
  });
  // the loop's own draws, redrawn from their keys: data set 1 (real, every strategy's first) and the test set
  const testKey = foldIn(key, LOOP_STREAM.test);
  const baselines = family.baselines
    ? await family.baselines(await family.real(samples, foldIn(foldIn(key, LOOP_STREAM.data), 1)), family.heldOut ? await family.heldOut(testSamples, testKey) : await family.real(testSamples, testKey))
    : undefined;
  return {
    config: part,
    ...(baselines && { baselines }),
    backend: `tfjs-${tf.getBackend()}`,
    backendReason: control.backend?.reason ?? (tf.getBackend() === 'wasm' ? 'tfjs 4.22 wasm (SIMD, one thread) with the BatchMatMul transpose patch' : `tfjs ${tf.getBackend()} backend`),
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
