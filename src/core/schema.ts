/**
 * One declaration per option (C9): its type, default, range and one-line description. The same declaration builds
 * the CLI flags and --help, validates flag values with a one-line error, and is echoed in result JSON.
 */
import { echo, UsageError } from './errors.js';

interface Base {
  /** the long flag without dashes, e.g. 'dim' */
  readonly flag: string;
  readonly description: string;
}
/** An integer flag in [min, max]. */
export interface IntOption extends Base {
  readonly kind: 'int';
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}
/** A number flag above `above` (or equal to it, `inclusive`) and at most `max`. */
export interface NumberOption extends Base {
  readonly kind: 'number';
  readonly default?: number;
  /** exclusive lower bound */
  readonly above: number;
  /** inclusive instead: the value may equal `above` (e.g. a ridge penalty of 0) */
  readonly inclusive?: boolean;
  readonly max: number;
}
/** A flag taking one of its `choices`. */
export interface EnumOption extends Base {
  readonly kind: 'enum';
  readonly default: string;
  readonly choices: readonly string[];
}
/** A non-empty text flag (a path, a strategy, a list). */
export interface StringOption extends Base {
  readonly kind: 'string';
  readonly default?: string;
  /** metavariable in --help */
  readonly meta: string;
}
/** A switch: given or not. */
export interface BooleanOption extends Base {
  readonly kind: 'boolean';
}
/** One option's declaration: the CLI flag, --help, validation and (with {@link ConfigOf}) the configuration type. */
export type OptionSpec = IntOption | NumberOption | EnumOption | StringOption | BooleanOption;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function show(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(echo(raw, 80)) : echo(String(raw), 80);
}

/** Parse one raw flag value (a string from the command line, or a value from code) against its declaration. */
export function parseOption(spec: OptionSpec, raw: unknown): unknown {
  const name = `--${spec.flag}`;
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      if (spec.kind === 'int') {
        if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
          throw new UsageError(`${name} must be an integer in [${spec.min}, ${spec.max}]; got ${show(raw)}`);
        }
      } else if (!Number.isFinite(value) || (spec.inclusive ? value < spec.above : value <= spec.above) || value > spec.max) {
        throw new UsageError(`${name} must be a number in ${spec.inclusive ? '[' : '('}${spec.above}, ${spec.max}]; got ${show(raw)}`);
      }
      return value;
    }
    case 'enum':
      if (typeof raw !== 'string' || !spec.choices.includes(raw)) {
        throw new UsageError(`${name} must be one of ${spec.choices.join(', ')}; got ${show(raw)}`);
      }
      return raw;
    case 'string':
      if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${name} needs a non-empty value; got ${show(raw)}`);
      return raw;
    case 'boolean':
      return raw === true || raw === 'true';
  }
}

/** The --help fragment of an option, e.g. "--dim <int>   d, features (1–4096; default 10)". */
export function describeOption(spec: OptionSpec): { flags: string; help: string } {
  switch (spec.kind) {
    case 'int':
      return { flags: `--${spec.flag} <int>`, help: `${spec.description} [${spec.min}–${spec.max}]` };
    case 'number':
      return { flags: `--${spec.flag} <x>`, help: `${spec.description} (${spec.inclusive ? '≥' : '>'} ${spec.above}, ≤ ${spec.max})` };
    case 'enum':
      return { flags: `--${spec.flag} <${spec.choices.join('|')}>`, help: spec.description };
    case 'string':
      return { flags: `--${spec.flag} <${spec.meta}>`, help: spec.description };
    case 'boolean':
      return { flags: `--${spec.flag}`, help: spec.description };
  }
}

/** The value one declaration parses to: a number, one of its choices, a string or a boolean. */
export type OptionValue<S extends OptionSpec> = S extends { kind: 'int' | 'number' }
  ? number
  : S extends { kind: 'enum'; choices: readonly (infer C)[] }
    ? C
    : S extends { kind: 'string' }
      ? string
      : boolean;

/** The flags of `Specs` with a default (always set once validated), less those named in `Optional`. */
export type Defaulted<Specs extends readonly OptionSpec[], Optional extends string> = Exclude<Extract<Specs[number], { default: unknown }>['flag'], Optional>;

/**
 * The configuration type of an option set, derived from its declaration (declared `as const`), so one declaration
 * serves the flags, --help, validation and the type: a flag with a default is a required key, one without is
 * optional; `Optional` keeps defaulted keys optional where code builds configurations without them.
 */
export type ConfigOf<Specs extends readonly OptionSpec[], Optional extends string = never> = {
  -readonly [S in Specs[number] as S['flag'] extends Defaulted<Specs, Optional> ? S['flag'] : never]: OptionValue<S>;
} & {
  -readonly [S in Specs[number] as S['flag'] extends Defaulted<Specs, Optional> ? never : S['flag']]?: OptionValue<S>;
};
