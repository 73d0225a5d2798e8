/** Parsing the argument of a parameterised strategy ('window:3', 'fresh:0.25') into an exact value, or a one-line error. */
import { fraction, type Fraction } from '../core/fraction.js';
import { echo, UsageError } from '../core/errors.js';

const DECIMAL = /^\d+(\.\d+)?$/;

/** A non-negative decimal as an exact fraction, checked against [min, max]; `what` names the rule in the error. */
export function decimalParameter(strategy: string, text: string, min: number, max: number, what: string): Fraction {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`--strategy ${strategy}:${what}; got ${JSON.stringify(echo(`${strategy}:${text}`, 80))}`);
  return fraction(text);
}

/** A positive integer parameter. */
export function integerParameter(strategy: string, text: string, min: number, what: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(value) && value >= min)) throw new UsageError(`--strategy ${strategy}:${what}; got ${JSON.stringify(echo(`${strategy}:${text}`, 80))}`);
  return value;
}
