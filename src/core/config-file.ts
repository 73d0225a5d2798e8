/**
 * `--config FILE`: a JSON or YAML mapping whose keys are a command's option names (`dim: 32`, `trials-full: 500`).
 * Every value goes through the same schema as its flag; errors name the file and the key. Flags override the file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { echo, UsageError } from './errors.js';
import { parseOption, type OptionSpec } from './schema.js';
import { didYouMean } from './suggest.js';

/** yaml is loaded when a YAML file is read: every command imports this module, few runs have a --config. */
const parseYaml = (text: string, options: object): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, options);

/** Options that steer one invocation (where output goes, how it is printed), not the run: command line only. */
export const INVOCATION_FLAGS = ['out', 'force', 'quiet', 'json', 'debug', 'config', 'resume'] as const;

const firstLine = (text: string) => text.split('\n')[0].trim().replace(/:$/, '');

/**
 * What a value is, for an error line. A string is quoted only when short: a --config that is a symlink to a system
 * file parses as one long string, and the error must not print the file.
 */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value.length <= 40 && !value.includes('\n') ? JSON.stringify(value) : `a text of ${value.length} characters`;
  return echo(String(value), 40);
}

/** Whether a YAML text holds no document at all (blank lines, comments, markers): an empty config. */
const emptyYaml = (text: string) => text.split('\n').every((line) => /^\s*(#.*)?$/.test(line) || /^(---|\.\.\.)\s*$/.test(line));

/** Read FILE into a plain mapping, or throw one line. */
function readMapping(file: string): Record<string, unknown> {
  const where = `--config ${echo(file)}`;
  const ext = extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) throw new UsageError(`${where}: use a .json, .yaml or .yml file (the extension picks the parser)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${where}: cannot read it (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'error')})`);
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: false, logLevel: 'error' });
  } catch (error) {
    throw new UsageError(`${where}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${echo(firstLine((error as Error).message), 80)})`);
  }
  if ((value === null || value === undefined) && ext !== '.json' && emptyYaml(text)) return {}; // an empty YAML document
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}: must hold a mapping of option names to values; got ${describeType(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Rewrite a schema message about `--key` into one about the file's key. */
function rewrite(message: string, key: string, file: string): string {
  const flag = `--${key}`;
  return message.startsWith(flag) ? `--config ${file}: ${key}${message.slice(flag.length)}` : `--config ${file}: ${key}: ${message}`;
}

/**
 * Load and validate a config file for a command with options `specs`. Returns the file's raw values (strings or
 * numbers as written), each already checked against its option; the command's own validation runs on the merge.
 */
export function loadConfigFile(file: string, specs: readonly OptionSpec[], command: string): Record<string, unknown> {
  const mapping = readMapping(file);
  const names = specs.map((s) => s.flag);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapping)) {
    const spec = specs.find((s) => s.flag === key);
    if (!spec) {
      if ((INVOCATION_FLAGS as readonly string[]).includes(key)) {
        throw new UsageError(`--config ${file}: ${key} is not part of a run's configuration; pass --${key} on the command line`);
      }
      const hint = didYouMean(key, names) || ` (keys of collapse ${command}: ${names.join(', ')})`;
      throw new UsageError(`--config ${file}: unknown key ${JSON.stringify(echo(key, 60))}${hint}`);
    }
    if (spec.kind === 'boolean') {
      if (typeof value !== 'boolean') throw new UsageError(`--config ${file}: ${key} must be true or false; got ${describeType(value)}`);
    } else if (typeof value === 'object' && value !== null) {
      throw new UsageError(`--config ${file}: ${key} must be a single value; got ${describeType(value)}`);
    } else {
      try {
        parseOption(spec, value);
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(rewrite(error.message, key, file));
        throw error;
      }
    }
    values[key] = value;
  }
  return values;
}

/**
 * Merge a config file and the flags given (flags win) and validate; a validation error about a key that came from
 * the file names the file.
 */
export function withConfigFile<T>(
  file: string | undefined,
  flags: Record<string, unknown>,
  specs: readonly OptionSpec[],
  command: string,
  validate: (raw: Record<string, unknown>) => T,
): T {
  if (file === undefined) return validate(flags);
  const fromFile = loadConfigFile(file, specs, command);
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) merged[key] = value;
  try {
    return validate(merged);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const key = /^--([a-z0-9-]+)/.exec(error.message)?.[1];
    if (key && key in fromFile && flags[key] === undefined) throw new UsageError(rewrite(error.message, key, file));
    throw error;
  }
}
