/** The strategy list: one line per strategy (C1). Add a file and a line here to add a strategy. */
import { echo, UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { accumulate } from './accumulate.js';
import { accumulateSubsample } from './accumulate-subsample.js';
import { augment } from './augment.js';
import { customWeights } from './custom-weights.js';
import { fresh } from './fresh.js';
import { replace } from './replace.js';
import type { PoolStrategy } from './strategy.js';
import { window } from './window.js';

export type { PoolStrategy } from './strategy.js';
export { checkPoolWeights, dataPlan, sourceOf, uniformRange, type DataPlan } from './strategy.js';

/** Strategies without a parameter, by name. */
export const STRATEGIES: Readonly<Record<string, PoolStrategy>> = {
  replace,
  accumulate,
  'accumulate-subsample': accumulateSubsample,
};

/** A strategy with a parameter, written name:<argument> (e.g. window:3). */
export interface ParameterisedStrategy {
  /** the form help and errors show, e.g. 'window:<k>' */
  readonly usage: string;
  /** The strategy for this argument; an invalid argument is a one-line UsageError. */
  make(argument: string): PoolStrategy;
}

/** Strategies with a parameter, by name. */
export const PARAMETERISED: Readonly<Record<string, ParameterisedStrategy>> = {
  window: { usage: 'window:<k>', make: window },
  augment: { usage: 'augment:<r>', make: augment },
  fresh: { usage: 'fresh:<p>', make: fresh },
  weights: { usage: 'weights:<expr>', make: customWeights },
};

/** Every form --strategy accepts, for help and errors. */
export const STRATEGY_FORMS: readonly string[] = [...Object.keys(STRATEGIES), ...Object.values(PARAMETERISED).map((p) => p.usage)];

/** One instance of every strategy, for figures and reports that show them all. */
export const STRATEGY_EXAMPLES: readonly string[] = ['replace', 'accumulate', 'accumulate-subsample', 'window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'];

const parsed = new Map<string, PoolStrategy>();

/** Resolve a --strategy value, or throw a one-line UsageError. The same text gives the same object (theory caches by it). */
export function parseStrategy(text: unknown): PoolStrategy {
  if (typeof text === 'string' && parsed.has(text)) return parsed.get(text) as PoolStrategy;
  const strategy = resolve(text);
  parsed.set(text as string, strategy);
  return strategy;
}

function resolve(text: unknown): PoolStrategy {
  const forms = STRATEGY_FORMS.join(', ');
  if (typeof text !== 'string' || text.trim() === '') {
    throw new UsageError(`--strategy must be one of ${forms}; got ${typeof text === 'string' ? JSON.stringify(text) : echo(String(text), 40)}`);
  }
  // own names only: 'toString', '__proto__' or 'constructor' are Object's, not strategies
  if (Object.hasOwn(STRATEGIES, text)) return STRATEGIES[text];
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  if (Object.hasOwn(PARAMETERISED, head)) {
    const family = PARAMETERISED[head];
    if (colon < 0 || colon === text.length - 1) throw new UsageError(`--strategy ${head} needs an argument: ${family.usage}; got ${JSON.stringify(echo(text, 80))}`);
    return family.make(text.slice(colon + 1));
  }
  throw new UsageError(`--strategy must be one of ${forms}; got ${JSON.stringify(echo(text, 80))}${didYouMean(head, [...Object.keys(STRATEGIES), ...Object.keys(PARAMETERISED)])}`);
}
