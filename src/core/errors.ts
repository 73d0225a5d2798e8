/**
 * Error classes the CLI maps to exit codes (C8): a UsageError is the user's input (exit 2),
 * a NumericError is a NaN/Inf the numbers produced (exit 3); anything else is a bug (exit 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A saved checkpoint that does not fit the run it is resumed into (another configuration or chunking). */
export class CheckpointMismatchError extends UsageError {}

/** A numeric fault (a NaN or infinite metric, a singular fit): the CLI exits 3. `iteration`, where known, names the generation it happened at. */
export class NumericError extends Error {
  override readonly name = 'NumericError';
  constructor(message: string, readonly iteration?: number) {
    super(message);
  }
}

/** The CLI's exit codes: 0 ok, 1 internal error, 2 bad usage, 3 numeric fault, 4 verify failed. */
export const EXIT = { ok: 0, bug: 1, usage: 2, numeric: 3, verifyFailed: 4 } as const;
