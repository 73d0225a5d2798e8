import { Fraction } from 'fraction.js';

export { Fraction };

/**
 * A rational number, exactly (fraction.js, the type mathjs itself computes with). Strategies and theory use it
 * directly: loading mathjs costs ~0.6 s per process, and only weights:<expr> needs its parser.
 */
export function fraction(numerator: number | bigint | string | Fraction, denominator?: number | bigint): Fraction {
  return denominator === undefined ? new Fraction(numerator) : new Fraction(numerator as number | bigint, denominator);
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * A Fraction as the nearest-ish float64 (within a few ulps). Fraction.valueOf() divides Number(n) by
 * Number(d), which is Infinity/Infinity = NaN once both pass 1.8e308 (Σ_{i≤n} 1/i² from n = 359 on); scaling both
 * down by the same power of two first keeps the ratio.
 */
export function fractionToNumber(f: Fraction): number {
  let n = BigInt(f.n);
  let d = BigInt(f.d);
  const excess = Math.max(bitLength(n), bitLength(d)) - 1000;
  if (excess > 0) {
    n >>= BigInt(excess);
    d >>= BigInt(excess);
    if (d === 0n) return Number(f.s) * Infinity;
  }
  return (Number(f.s) * Number(n)) / Number(d);
}

/** The exact rational value of a finite double (m·2^e), as a Fraction. */
export function exactFraction(x: number): Fraction {
  if (!Number.isFinite(x)) throw new RangeError(`exactFraction: ${x} is not finite`);
  if (x === 0) return fraction(0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (exponentBits === 0) exponent = -1074; // subnormal
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  const numerator = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa;
  const denominator = exponent >= 0 ? 1n : 1n << BigInt(-exponent);
  return fraction(negative ? -numerator : numerator, denominator);
}
