/**
 * The process's environment as runs record and read it: the record every run directory and figure keeps, and
 * millisecond knobs from environment variables. Here in core/ because cli/, figures/ and sweep/ all use them.
 */
import { cpus, totalmem } from 'node:os';
import { gitState, packageVersion } from './provenance.js';

/** What a reader needs to reproduce or compare a run. */
export function environment(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    package: 'collapse-lab',
    version: packageVersion(),
    gitCommit: gitState().commit,
    gitDirty: gitState().dirty,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    ...extra,
  };
}

/** Milliseconds from an environment variable (a tuning and testing knob), else the default. */
export function envMilliseconds(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && process.env[name] !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}
