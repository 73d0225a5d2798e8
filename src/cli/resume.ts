/**
 * `--resume DIR`, for any command: the configuration comes from DIR's manifest; flags that would change it are
 * refused (a flag equal to the stored value is allowed), and so are flags that would send output elsewhere.
 */
import { UsageError } from '../core/errors.js';
import { canonicalJson, RunStore, type Checkpoint, type Manifest, type NewRun } from '../core/run-store.js';
import type { OptionSpec } from '../core/schema.js';

/** Refuse --out, --force, --config with --resume. */
export function rejectResumeConflicts(flags: Record<string, unknown>, dir: string): void {
  for (const flag of ['out', 'force', 'config']) {
    if (flags[flag] !== undefined && flags[flag] !== false) {
      throw new UsageError(`--resume ${dir} takes the run's configuration and directory from ${dir}/manifest.json; drop --${flag}`);
    }
  }
}

/**
 * The stored configuration, re-validated by `validate` (it must come back unchanged), with every given flag
 * required to equal its stored value. `normalise(flag, raw)` parses one flag the way validation would.
 */
export function configFromManifest<Config extends object>(
  manifest: Manifest,
  dir: string,
  flags: Record<string, unknown>,
  specs: readonly OptionSpec[],
  validate: (raw: Record<string, unknown>) => Config,
  normalise: (spec: OptionSpec, raw: unknown) => unknown,
): Config {
  const stored = manifest.config;
  let config: Config;
  try {
    config = validate(stored);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--resume ${dir}: the configuration in its manifest.json is not valid here: ${error.message}`);
    throw error;
  }
  if (canonicalJson(config) !== canonicalJson(stored)) {
    throw new UsageError(`--resume ${dir}: the configuration in its manifest.json is not one this version of collapse writes; start the run afresh`);
  }
  for (const spec of specs) {
    const given = flags[spec.flag];
    if (given === undefined || (spec.kind === 'boolean' && given === false)) continue;
    const value = normalise(spec, given);
    const storedValue = (config as Record<string, unknown>)[spec.flag];
    if (canonicalJson(value) !== canonicalJson(storedValue)) {
      const shown = storedValue === undefined ? 'unset' : JSON.stringify(storedValue);
      throw new UsageError(`--resume ${dir} continues the run as stored in its manifest.json; --${spec.flag} ${String(given)} differs from its ${spec.flag} ${shown} (drop the flag)`);
    }
  }
  return config;
}

/**
 * The run directory of a command that checkpoints: the interrupted one continued (`resuming`; checked again under its
 * lock by `check`), a new one at `dir`, or none without a directory. `priorSeconds`: the work behind the checkpoint.
 */
export function openRun<Checked>(
  dir: string | undefined,
  resuming: boolean,
  command: string,
  check: (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => { resumedFrom: string; checked: Checked },
  create: { force: boolean; run: NewRun },
): { store?: RunStore; checked?: Checked; priorSeconds: number } {
  if (dir === undefined) return { priorSeconds: 0 };
  if (resuming) {
    const resumed = RunStore.resume(dir, command, check);
    return { store: resumed.store, checked: resumed.checked, priorSeconds: resumed.checkpoint?.elapsedSeconds ?? 0 };
  }
  return { store: RunStore.create(dir, create.force, create.run), priorSeconds: 0 };
}
