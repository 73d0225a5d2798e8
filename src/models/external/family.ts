/**
 * An external-process family as a ModelFamily: every call writes its inputs into a work folder, runs the spec's
 * command (src/models/external/process.ts) and reads its output only after it exited 0, so a half-written file is
 * never read. A data set is its JSON Lines (one item per line, each checked to be JSON); a model is the path of the
 * file or folder the fit command wrote. The codec stores both in checkpoints byte for byte.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { plausibleNumber, STORED_MAGNITUDE } from '../../core/stats.js';
import type { Key } from '../../core/rng.js';
import type { Metrics, ModelFamily, Pool, TrajectoryCodec } from '../model.js';
import { ExternalCommandError, runCommand } from './process.js';
import { fillCommand, type CommandName, type ExternalSpec } from './spec.js';

/** A fitted model of an external family: the file or folder its fit command wrote. */
export interface ExternalModel {
  readonly path: string;
}

/** A data set of an external family: one JSON value per line. */
export type ExternalData = readonly string[];

/** An external family, its checkpoint codec, and the release of its work folder. */
export interface ExternalFamily extends ModelFamily<ExternalModel, ExternalData> {
  readonly codec: TrajectoryCodec<ExternalModel, ExternalData>;
  /** deletes a model no later step reads */
  release(model: ExternalModel): void;
  /** deletes the work folder */
  dispose(): void;
}

/** The family of `spec`, exchanging files in `work` (created; its old contents removed). */
export function externalFamily(spec: ExternalSpec, work: string, signal?: AbortSignal): ExternalFamily {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let next = 0;
  const fresh = (stem: string) => join(work, `${stem}-${++next}`);
  const call = (command: CommandName, values: Record<string, string | number>) =>
    runCommand(`external family ${spec.name}: ${command}`, fillCommand(spec.commands[command], values), spec.cwd, spec.timeoutMs, signal);
  const fail = (command: CommandName, why: string) => new ExternalCommandError(`external family ${spec.name}: ${command} command exited 0 but ${why}`);
  /** the metric names of the first evaluate call: every later call must give the same (tables and resumes rely on it) */
  let metricNames: string | undefined;

  const readItems = (command: CommandName, path: string, expected: number): ExternalData => {
    if (!existsSync(path) || !statSync(path).isFile()) throw fail(command, `wrote no file at {out}`);
    const text = readFileSync(path, 'utf8');
    rmSync(path, { force: true });
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    lines.forEach((line, i) => {
      try {
        JSON.parse(line);
      } catch {
        throw fail(command, `line ${i + 1} of its output is not JSON: ${line.slice(0, 60)}`);
      }
    });
    if (lines.length !== expected) throw fail(command, `wrote ${lines.length} items; ${expected} were asked for`);
    return lines;
  };

  const draw = async (command: 'real' | 'sample', n: number, key: Key, model?: ExternalModel): Promise<ExternalData> => {
    const out = `${fresh(command)}.jsonl`;
    await call(command, { n, seed: key >>> 0, out, ...(model ? { model: model.path } : {}) });
    return readItems(command, out, n);
  };

  const testFiles = new WeakMap<ExternalData, string>();
  const testFile = (test: ExternalData) => {
    let path = testFiles.get(test);
    if (!path) {
      path = `${fresh('test')}.jsonl`;
      writeFileSync(path, test.join('\n') + '\n');
      testFiles.set(test, path);
    }
    return path;
  };

  const writeModel = (bytes: Uint8Array): ExternalModel => {
    const path = fresh('model');
    if (bytes[0] === 0x46) {
      writeFileSync(path, bytes.subarray(1)); // 'F': a file
    } else {
      const files = JSON.parse(Buffer.from(bytes.subarray(1)).toString('utf8')) as Record<string, string>; // 'D': a folder
      mkdirSync(path, { recursive: true });
      for (const [name, base64] of Object.entries(files)) {
        mkdirSync(join(path, name, '..'), { recursive: true });
        writeFileSync(join(path, name), Buffer.from(base64, 'base64'));
      }
    }
    return { path };
  };
  const readModel = (model: ExternalModel): Uint8Array => {
    if (statSync(model.path).isFile()) return Buffer.concat([Buffer.from('F'), readFileSync(model.path)]);
    const files: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else files[relative(model.path, path)] = readFileSync(path).toString('base64');
      }
    };
    walk(model.path);
    return Buffer.from('D' + JSON.stringify(files));
  };

  return {
    name: spec.name,
    real: (n, key) => draw('real', n, key),
    sample: (model, n, key) => draw('sample', n, key, model),
    async fit(pool: Pool<ExternalData>, key: Key) {
      const path = `${fresh('pool')}.jsonl`;
      const lines = pool.flatMap(({ data, weight, set }) => data.map((x) => `{"set":${set},"weight":${weight},"w":${weight / data.length},"x":${x}}`));
      writeFileSync(path, lines.join('\n') + '\n');
      const model = fresh('model');
      await call('fit', { pool: path, seed: key >>> 0, model });
      rmSync(path, { force: true });
      if (!existsSync(model)) throw fail('fit', 'wrote no model at {model}');
      return { path: model };
    },
    async evaluate(model: ExternalModel, test: ExternalData): Promise<Metrics> {
      const out = `${fresh('metrics')}.json`;
      await call('evaluate', { model: model.path, test: testFile(test), out });
      if (!existsSync(out)) throw fail('evaluate', 'wrote no metrics at {out}');
      let metrics: unknown;
      try {
        metrics = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        throw fail('evaluate', 'its metrics file is not JSON');
      } finally {
        rmSync(out, { force: true });
      }
      const entries = typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics) ? Object.entries(metrics) : null;
      if (!entries || entries.length === 0) throw fail('evaluate', 'its metrics are not a JSON object of numbers');
      // the bound a resume checks stored metrics against (src/loop/checkpoint.ts): what a run accepts, a resume accepts
      const bad = entries.find(([, v]) => !plausibleNumber(v));
      if (bad) throw fail('evaluate', `metric ${JSON.stringify(bad[0])} is ${JSON.stringify(bad[1])}, not a finite number${typeof bad[1] === 'number' && Number.isFinite(bad[1]) ? ` within ±${STORED_MAGNITUDE}` : ''}`);
      const names = entries.map(([name]) => JSON.stringify(name)).sort().join(', ');
      metricNames ??= names;
      const short = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);
      if (names !== metricNames) throw fail('evaluate', `its metrics are ${short(names)}, earlier ${short(metricNames)} (the same names every call)`);
      return Object.fromEntries(entries) as Metrics;
    },
    size: (data) => data.length,
    take: (data, rows) => rows.map((r) => data[r]),
    release: (model) => rmSync(model.path, { recursive: true, force: true }),
    dispose: () => rmSync(work, { recursive: true, force: true }),
    codec: {
      encodeData: (data) => Buffer.from(data.join('\n'), 'utf8'),
      decodeData: (bytes) => (bytes.length === 0 ? [] : Buffer.from(bytes).toString('utf8').split('\n')),
      encodeModel: readModel,
      decodeModel: writeModel,
    },
  };
}
