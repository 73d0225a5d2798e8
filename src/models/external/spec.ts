/**
 * The spec of an external-process family (`collapse loop --family external --spec FILE`): four commands of a program
 * in any language, with file-based exchange. JSON or YAML (the extension picks the parser):
 *
 *   name: gaussian-numpy          # one id in reports (default: the file's name)
 *   timeout: 120                  # seconds one call may run before it is killed (default 300)
 *   real:     [python3, family.py, real, "{n}", "{seed}", "{out}"]            # n real items       → {out}
 *   fit:      [python3, family.py, fit, "{pool}", "{seed}", "{model}"]        # a weighted pool    → {model}
 *   sample:   [python3, family.py, sample, "{model}", "{n}", "{seed}", "{out}"] # n items of a model → {out}
 *   evaluate: [python3, family.py, evaluate, "{model}", "{test}", "{out}"]    # metrics on held-out real data → {out}
 *
 * A command is a list of words, or one string split at spaces; no shell runs it. Words are relative to the spec's
 * folder, which is the working directory of every call. Data sets are JSON Lines, one item (any JSON value) per line;
 * the pool is JSON Lines of {"set": s, "weight": a_s, "w": a_s/size_s, "x": item}: `weight` is the part's weight
 * as PoolPart has it (the weights of a pool sum to 1), `w` each item's share. The model is a file or a folder the
 * fit command writes at {model}, opaque to collapse-lab. Metrics are one JSON object of finite numbers within ±1e100. Seeds are
 * uint32 from the run's keys: a program that derives all its randomness from {seed} resumes bit-identically.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';

/** The four calls, with the placeholders each may use and must use. */
export const COMMANDS = {
  real: { allowed: ['n', 'seed', 'out'], required: ['n', 'out'] },
  fit: { allowed: ['pool', 'seed', 'model'], required: ['pool', 'model'] },
  sample: { allowed: ['model', 'n', 'seed', 'out'], required: ['model', 'n', 'out'] },
  // evaluate gets no seed: ModelFamily.evaluate is deterministic given the model and the test set
  evaluate: { allowed: ['model', 'test', 'out'], required: ['model', 'test', 'out'] },
} as const;

/** One of the spec's four commands. */
export type CommandName = keyof typeof COMMANDS;

/** An external family's spec, loaded and checked by {@link loadSpec}. */
export interface ExternalSpec {
  readonly name: string;
  /** absolute path of the spec file */
  readonly file: string;
  /** the working directory of every call: the spec's folder */
  readonly cwd: string;
  /** per-call limit in milliseconds */
  readonly timeoutMs: number;
  /** each command's words, with {placeholders} */
  readonly commands: Readonly<Record<CommandName, readonly string[]>>;
  /** SHA-256 of the spec's bytes: a resumed run refuses a spec that changed */
  readonly sha256: string;
}

const KEYS = ['name', 'timeout', ...Object.keys(COMMANDS)];
const isMapping = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Load and check a spec; every problem is one UsageError line naming the file and the key. */
export function loadSpec(file: string, sha256: (bytes: Buffer) => string): ExternalSpec {
  const where = `--spec ${file}`;
  const ext = extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) throw new UsageError(`${where}: use a .json, .yaml or .yml file (the extension picks the parser)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${where}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`);
  }
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(bytes.toString('utf8')) : parseYaml(bytes.toString('utf8'), { prettyErrors: false, logLevel: 'error' });
  } catch (error) {
    throw new UsageError(`${where}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isMapping(raw)) throw new UsageError(`${where}: must be a mapping with keys ${KEYS.join(', ')}`);
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) throw new UsageError(`${where}: unknown key ${JSON.stringify(key)}${didYouMean(key, KEYS) || ` (keys: ${KEYS.join(', ')})`}`);
  }
  const name = raw.name ?? basename(file, extname(file));
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) throw new UsageError(`${where}: name must be letters, digits, '.', '_' or '-'; got ${JSON.stringify(name)}`);
  const timeout = raw.timeout ?? 300;
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= 86_400)) throw new UsageError(`${where}: timeout must be seconds in (0, 86400]; got ${JSON.stringify(timeout)}`);
  const commands = {} as Record<CommandName, readonly string[]>;
  for (const [command, rule] of Object.entries(COMMANDS) as [CommandName, (typeof COMMANDS)[CommandName]][]) {
    const value = raw[command];
    const words = typeof value === 'string' ? value.trim().split(/\s+/) : value;
    if (!Array.isArray(words) || words.length === 0 || words[0] === '' || !words.every((w) => typeof w === 'string' || typeof w === 'number')) {
      throw new UsageError(`${where}: ${command} must be a command: a list of words or one string; got ${JSON.stringify(value ?? null)}`);
    }
    const text = words.map(String);
    const used = new Set([...text.join(' ').matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]));
    for (const p of used) {
      if (!(rule.allowed as readonly string[]).includes(p)) throw new UsageError(`${where}: ${command} uses {${p}}; it may use ${rule.allowed.map((a) => `{${a}}`).join(', ')}`);
    }
    for (const p of rule.required) if (!used.has(p)) throw new UsageError(`${where}: ${command} must pass {${p}} to the program`);
    commands[command] = text;
  }
  const path = resolve(file);
  return { name, file: path, cwd: dirname(path), timeoutMs: timeout * 1000, commands, sha256: sha256(bytes) };
}

/** The command's words with its placeholders filled in. */
export function fillCommand(words: readonly string[], values: Readonly<Record<string, string | number>>): string[] {
  return words.map((word) => word.replace(/\{([a-z]+)\}/g, (_, key: string) => String(values[key])));
}
