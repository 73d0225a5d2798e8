import type { Fraction } from 'mathjs';

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * A mathjs Fraction as the nearest-ish float64 (within a few ulps). Fraction.valueOf() divides Number(n) by
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
