/** The strategy list: one line per strategy (C1). Add a file and a line here to add a strategy. */
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { accumulate } from './accumulate.js';
import { replace } from './replace.js';
import type { PoolStrategy } from './strategy.js';

export type { PoolStrategy } from './strategy.js';
export { sourceOf, uniformRange } from './strategy.js';

export const STRATEGIES: Readonly<Record<string, PoolStrategy>> = {
  replace,
  accumulate,
};

/** Resolve a --strategy value, or throw a one-line UsageError. */
export function parseStrategy(text: unknown): PoolStrategy {
  const names = Object.keys(STRATEGIES);
  if (typeof text !== 'string' || text.trim() === '') {
    throw new UsageError(`--strategy must be one of ${names.join(', ')}; got ${JSON.stringify(text)}`);
  }
  const found = STRATEGIES[text];
  if (!found) {
    throw new UsageError(`--strategy must be one of ${names.join(', ')}; got ${JSON.stringify(text)}${didYouMean(text, names)}`);
  }
  return found;
}
