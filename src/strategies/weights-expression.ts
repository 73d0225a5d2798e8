/**
 * The expression of weights:<expr>, parsed by mathjs and evaluated here, on a whitelist: numbers, n and i, the
 * constants pi, e, tau, phi, arithmetic, comparisons, and/or/not, `? :`, and deterministic functions of those. Anything
 * else (random(), pickRandom, assignments, matrices, units, strings) is refused when the strategy is parsed, so a
 * weighting is a fixed function of (n, i): the theory, the Monte Carlo and a resumed run all see the same weights.
 *
 * Arithmetic is exact (rationals) while the numbers stay small; a rational that would pass EXACT_BITS bits, or a
 * function without rational values (exp, sqrt, …), continues in float64. Either way the weight is the exact rational
 * of the value computed, so the theory stays exact for the weights used, and no input makes the work explode:
 * weights:(n/3)^(10^5) is an error at once (its float64 value is Infinity), not minutes of big-integer arithmetic.
 */
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode } from 'mathjs';
import { UsageError } from '../core/errors.js';
import { exactFraction, fraction, fractionToNumber, type Fraction } from '../core/fraction.js';

/** Bits of numerator or denominator above which an exact intermediate continues in float64. */
export const EXACT_BITS = 4096;
const EXACT_LIMIT = 1n << BigInt(EXACT_BITS);
/** The longest expression and the deepest nesting accepted (a 5,000-term sum is refused, not a stack overflow). */
export const MAX_EXPRESSION_LENGTH = 1000;
const MAX_DEPTH = 100;

const CONSTANTS: Readonly<Record<string, number>> = { pi: Math.PI, PI: Math.PI, e: Math.E, E: Math.E, tau: 2 * Math.PI, phi: (1 + Math.sqrt(5)) / 2 };
/** Functions evaluated exactly on rationals (where the result is rational and small). */
const EXACT_FUNCTIONS = ['abs', 'sign', 'floor', 'ceil', 'fix', 'round', 'min', 'max', 'mod', 'pow', 'square', 'cube', 'factorial'] as const;
/** Functions evaluated in float64 by mathjs: deterministic, real-valued where defined. */
const FLOAT_FUNCTIONS = [
  'exp', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'cbrt', 'nthRoot', 'hypot', 'gamma', 'lgamma', 'erf',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
] as const;
const FUNCTIONS = new Set<string>([...EXACT_FUNCTIONS, ...FLOAT_FUNCTIONS]);
const OPERATORS = new Set([
  'add', 'subtract', 'multiply', 'divide', 'unaryMinus', 'unaryPlus', 'pow', 'mod', 'factorial',
  'smaller', 'larger', 'smallerEq', 'largerEq', 'equal', 'unequal', 'and', 'or', 'xor', 'not',
]);

let engines: { parser: MathJsInstance; real: MathJsInstance } | undefined;
/** mathjs, loaded on the first weights:<expr> (~0.6 s), never at start-up. The parser keeps literals as exact decimals. */
function mathjs(): { parser: MathJsInstance; real: MathJsInstance } {
  if (!engines) {
    const { create, all } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
    engines = { parser: create(all, { number: 'BigNumber', precision: 64 }), real: create(all) };
  }
  return engines;
}

/** An exact rational, or a float64 once exactness was given up. */
type Value = Fraction | number;

const ZERO = fraction(0);
const ONE = fraction(1);
const isFloat = (v: Value): v is number => typeof v === 'number';
const toFloat = (v: Value): number => (isFloat(v) ? v : fractionToNumber(v));
const truth = (v: Value): boolean => (isFloat(v) ? v !== 0 : Number(v.n) !== 0);
const bool = (b: boolean): Value => (b ? ONE : ZERO);
const bits = (x: bigint) => (x === 0n ? 0 : x.toString(2).length);
/** Keep a rational exact while it is small; beyond EXACT_BITS continue in float64. */
const bounded = (f: Fraction): Value => (BigInt(f.n) >= EXACT_LIMIT || BigInt(f.d) >= EXACT_LIMIT ? fractionToNumber(f) : f);
const isInteger = (f: Fraction) => BigInt(f.d) === 1n;

/** Both exact, or both float64. */
function binary(a: Value, b: Value, exact: (x: Fraction, y: Fraction) => Value, float: (x: number, y: number) => Value): Value {
  return isFloat(a) || isFloat(b) ? float(toFloat(a), toFloat(b)) : exact(a, b);
}

function compare(a: Value, b: Value): number {
  if (isFloat(a) || isFloat(b)) {
    const x = toFloat(a);
    const y = toFloat(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  return a.compare(b);
}

function power(base: Value, exponent: Value): Value {
  if (!isFloat(base) && !isFloat(exponent) && isInteger(exponent)) {
    const e = BigInt(exponent.s) * BigInt(exponent.n);
    const size = Math.max(bits(BigInt(base.n)), bits(BigInt(base.d)));
    if (Number(e < 0n ? -e : e) * size <= EXACT_BITS) {
      if (Number(base.n) === 0 && e < 0n) return Infinity;
      return bounded(base.pow(fraction(e)));
    }
  }
  const x = toFloat(base);
  const result = Math.pow(x, toFloat(exponent));
  if ((result === 0 || !Number.isFinite(result)) && x !== 0 && Number.isFinite(x)) {
    // exact, the power would pass EXACT_BITS bits; in float64 it under- or overflows: no weight to give
    throw new RangeError(`a power beyond float64's range, too large to compute exactly`);
  }
  return result;
}

function modulo(a: Value, b: Value): Value {
  // mathjs: x − y·floor(x/y), and x mod 0 = x
  return binary(a, b, (x, y) => (Number(y.n) === 0 ? x : bounded(x.sub(y.mul(x.div(y).floor())))), (x, y) => (y === 0 ? x : x - y * Math.floor(x / y)));
}

function factorial(v: Value): Value {
  if (!isFloat(v) && isInteger(v) && Number(v.s) >= 0 && Number(v.n) <= 1000) {
    let product = 1n;
    for (let k = 2n; k <= BigInt(v.n); k++) {
      product *= k;
      if (product >= EXACT_LIMIT) return Number(mathjs().real.gamma(Number(v.n) + 1));
    }
    return fraction(product);
  }
  const x = toFloat(v);
  return Number.isInteger(x) && x >= 0 ? Number(mathjs().real.gamma(x + 1)) : NaN;
}

function operator(fn: string, args: Value[]): Value {
  const [a, b] = args;
  switch (fn) {
    case 'add':
      return binary(a, b, (x, y) => bounded(x.add(y)), (x, y) => x + y);
    case 'subtract':
      return binary(a, b, (x, y) => bounded(x.sub(y)), (x, y) => x - y);
    case 'multiply':
      return binary(a, b, (x, y) => bounded(x.mul(y)), (x, y) => x * y);
    case 'divide':
      return binary(a, b, (x, y) => (Number(y.n) === 0 ? toFloat(x) / 0 : bounded(x.div(y))), (x, y) => x / y);
    case 'unaryMinus':
      return isFloat(a) ? -a : a.neg();
    case 'unaryPlus':
      return a;
    case 'pow':
      return power(a, b);
    case 'mod':
      return modulo(a, b);
    case 'factorial':
      return factorial(a);
    case 'smaller':
      return bool(compare(a, b) < 0);
    case 'larger':
      return bool(compare(a, b) > 0);
    case 'smallerEq':
      return bool(compare(a, b) <= 0);
    case 'largerEq':
      return bool(compare(a, b) >= 0);
    case 'equal':
      return bool(compare(a, b) === 0);
    case 'unequal':
      return bool(compare(a, b) !== 0);
    case 'and':
      return bool(truth(a) && truth(b));
    case 'or':
      return bool(truth(a) || truth(b));
    case 'xor':
      return bool(truth(a) !== truth(b));
    case 'not':
      return bool(!truth(a));
  }
  throw new Error(`weights: operator ${fn} passed the whitelist but has no rule`);
}

function exactFunction(name: (typeof EXACT_FUNCTIONS)[number], args: Value[]): Value {
  const [a, b] = args;
  switch (name) {
    case 'abs':
      return isFloat(a) ? Math.abs(a) : a.abs();
    case 'sign':
      return isFloat(a) ? Math.sign(a) : fraction(Number(a.n) === 0 ? 0 : Number(a.s));
    case 'floor':
      return isFloat(a) ? Math.floor(a) : a.floor();
    case 'ceil':
      return isFloat(a) ? Math.ceil(a) : a.ceil();
    case 'fix':
      return isFloat(a) ? Math.trunc(a) : Number(a.s) < 0 ? a.ceil() : a.floor();
    case 'round':
      // half away from zero, as mathjs rounds numbers
      return isFloat(a) ? Math.sign(a) * Math.round(Math.abs(a)) : a.abs().add(fraction(1, 2)).floor().mul(fraction(Number(a.s)));
    case 'min':
      return args.reduce((m, x) => (compare(x, m) < 0 ? x : m));
    case 'max':
      return args.reduce((m, x) => (compare(x, m) > 0 ? x : m));
    case 'mod':
      return modulo(a, b);
    case 'pow':
      return power(a, b);
    case 'square':
      return power(a, fraction(2));
    case 'cube':
      return power(a, fraction(3));
    case 'factorial':
      return factorial(a);
  }
}

/** A pre-checked expression tree, evaluated at (n, i). */
type Evaluate = (n: Fraction, i: Fraction) => Value;

/** Check `node` against the whitelist and build its evaluator; `refuse(why)` makes the one-line error. */
function build(node: MathNode, depth: number, refuse: (why: string) => UsageError): Evaluate {
  if (depth > MAX_DEPTH) throw refuse(`is nested more than ${MAX_DEPTH} levels deep`);
  const n = node as MathNode & Record<string, unknown>;
  const children = () => (n.args as MathNode[]).map((arg) => build(arg, depth + 1, refuse));
  switch (node.type) {
    case 'ConstantNode': {
      const value = n.value as unknown;
      if (typeof value === 'boolean') return () => bool(value);
      const decimal = value as { e?: number; isZero?: () => boolean; toFraction?: () => [{ toFixed(): string }, { toFixed(): string }]; toString(): string };
      if (typeof decimal?.toFraction !== 'function' || typeof decimal.e !== 'number') throw refuse(`uses ${JSON.stringify(String(value)).slice(0, 40)}, which is not a number`);
      if (!decimal.isZero?.() && Math.abs(decimal.e) > 307) throw refuse(`uses the number ${decimal.toString()}, outside float64's range (about 1e-307 to 1e307)`);
      const [num, den] = decimal.toFraction();
      const exact = fraction(BigInt(num.toFixed()), BigInt(den.toFixed()));
      return () => exact;
    }
    case 'SymbolNode': {
      const name = n.name as string;
      if (name === 'n') return (nn) => nn;
      if (name === 'i') return (_, ii) => ii;
      if (Object.hasOwn(CONSTANTS, name)) return () => CONSTANTS[name];
      throw refuse(`uses the unknown name ${JSON.stringify(name.slice(0, 40))} (use n, i and the constants pi, e, tau, phi)`);
    }
    case 'ParenthesisNode':
      return build(n.content as MathNode, depth + 1, refuse);
    case 'OperatorNode': {
      const fn = n.fn as string;
      if (!OPERATORS.has(fn)) throw refuse(`uses the operator ${JSON.stringify(n.op)}, which weights do not allow`);
      const args = children();
      return (nn, ii) => operator(fn, args.map((arg) => arg(nn, ii)));
    }
    case 'ConditionalNode': {
      const [condition, yes, no] = [n.condition, n.trueExpr, n.falseExpr].map((c) => build(c as MathNode, depth + 1, refuse));
      return (nn, ii) => (truth(condition(nn, ii)) ? yes(nn, ii) : no(nn, ii));
    }
    case 'RelationalNode': {
      const params = (n.params as MathNode[]).map((p) => build(p, depth + 1, refuse));
      const conditionals = n.conditionals as string[];
      return (nn, ii) => {
        const values = params.map((p) => p(nn, ii));
        return bool(conditionals.every((c, k) => truth(operator(c, [values[k], values[k + 1]]))));
      };
    }
    case 'FunctionNode': {
      const fn = n.fn as MathNode & { name?: string };
      const name = fn.type === 'SymbolNode' ? (fn.name as string) : '';
      if (!FUNCTIONS.has(name)) {
        const what = name ? `the function ${JSON.stringify(name.slice(0, 40))}` : 'a computed function';
        throw refuse(`uses ${what}; weights must be a deterministic function of n and i (allowed: ${[...FUNCTIONS].join(', ')})`);
      }
      const args = children();
      if (args.length === 0) throw refuse(`calls ${name}() without an argument`);
      if ((EXACT_FUNCTIONS as readonly string[]).includes(name)) {
        return (nn, ii) => exactFunction(name as (typeof EXACT_FUNCTIONS)[number], args.map((arg) => arg(nn, ii)));
      }
      const real = mathjs().real as unknown as Record<string, (...xs: number[]) => unknown>;
      return (nn, ii) => {
        const result = real[name](...args.map((arg) => toFloat(arg(nn, ii))));
        return typeof result === 'number' ? result : NaN; // a complex or other result is no real weight
      };
    }
    default:
      throw refuse(`uses a ${node.type.replace(/Node$/, '').toLowerCase()} expression; weights allow numbers, n, i, arithmetic, comparisons, ?: and deterministic functions`);
  }
}

/**
 * Parse and check weights:<argument>; the result gives a(n, i) as an exact rational, or throws a one-line UsageError.
 * `parameters` binds free names to decimal values (exact: the parser keeps decimals exact), so `collapse theory
 * --optimize a` can evaluate weights:exp(-(n-i)/a) at chosen a; without them a free name is an error.
 */
export function compileWeights(argument: string, usage: (why: string) => UsageError, parameters: Readonly<Record<string, string>> = {}): (n: number, i: number) => Fraction {
  if (argument.length > MAX_EXPRESSION_LENGTH) throw usage(`is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let node: MathNode;
  try {
    node = mathjs().parser.parse(argument);
  } catch (error) {
    if (error instanceof RangeError) throw usage('is nested too deeply to parse');
    throw usage(`needs an expression in n and i that mathjs can parse (${(error as Error).message.split('\n')[0].slice(0, 200)})`);
  }
  if (Object.keys(parameters).length > 0) {
    const { parser } = mathjs();
    node = node.transform((child) =>
      child.type === 'SymbolNode' && Object.hasOwn(parameters, (child as MathNode & { name: string }).name)
        ? new parser.ConstantNode(parser.bignumber(parameters[(child as MathNode & { name: string }).name]))
        : child,
    );
  }
  const evaluate = build(node, 0, usage);
  return (n, i) => {
    let value: Value;
    try {
      value = evaluate(fraction(n), fraction(i));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw usage(`could not be evaluated at n=${n}, i=${i} (${(error as Error).message.split('\n')[0].slice(0, 200)})`);
    }
    if (!isFloat(value)) return value;
    if (!Number.isFinite(value)) throw usage(`must give a finite number; it gives ${String(value)} at n=${n}, i=${i}`);
    return exactFraction(value);
  };
}
