/**
 * Which tfjs backend the neural families run on (`collapse neural --backend`), chosen once by the parent process
 * before anything is written, and recorded in every result (manifest.json's backend and backendReason, each part's
 * report, environment.json):
 *
 * - wasm: tfjs-backend-wasm (SIMD, one thread, the BatchMatMul patch of ./tf.ts); the default, so that a run gives
 *   the same numbers on every machine unless asked otherwise;
 * - webgpu: tfjs-backend-webgpu on the `webgpu` package (Dawn), the adapter gpu.js's webgpu backend uses
 *   (src/kernels/webgpu-adapter.ts); a software adapter (Mesa's lavapipe, SwiftShader) runs it when asked for by
 *   name, slowly — it is what CI tests the backend on;
 * - cpu: tfjs's plain JavaScript backend (5–20× slower than wasm);
 * - auto: webgpu where an adapter answers and is not a software one, else wasm.
 *
 * No tfjs here: the parent resolves the choice without loading tfjs (~1 s); ./tf.ts loads the backend in the
 * process that trains.
 */
import { UsageError } from '../../core/errors.js';
import type { OptionSpec } from '../../core/schema.js';
import { peekAdapter } from '../../kernels/webgpu-adapter.js';

export type NeuralBackend = 'wasm' | 'webgpu' | 'cpu';
export type NeuralBackendRequest = NeuralBackend | 'auto';
export const NEURAL_BACKENDS: readonly NeuralBackend[] = ['wasm', 'webgpu', 'cpu'];
export const NEURAL_BACKEND_REQUESTS: readonly NeuralBackendRequest[] = ['wasm', 'webgpu', 'cpu', 'auto'];

/** Environment variable naming the backend when --backend is not given (tests, scripts). */
export const NEURAL_BACKEND_ENV = 'COLLAPSE_NEURAL_BACKEND';

/** `--backend` of `collapse neural` (and of neural sweep cells and --config files). */
export const NEURAL_BACKEND_OPTION = {
  flag: 'backend',
  kind: 'string',
  meta: 'name',
  description: 'tfjs backend: wasm (default), webgpu, cpu, or auto (webgpu where a hardware adapter answers, else wasm)',
} as const satisfies OptionSpec;

/** A backend chosen, and why (recorded beside the results). */
export interface ResolvedNeuralBackend {
  name: NeuralBackend;
  reason: string;
}

const WASM_REASON = 'tfjs 4.22 wasm (SIMD, one thread) with the BatchMatMul transpose patch';

/** A --backend value (or the environment's default) checked: one of NEURAL_BACKEND_REQUESTS, else a UsageError. */
export function parseNeuralBackend(raw: unknown, what = '--backend'): NeuralBackendRequest {
  if (typeof raw !== 'string' || !(NEURAL_BACKEND_REQUESTS as readonly string[]).includes(raw.trim())) {
    throw new UsageError(`${what} must be one of ${NEURAL_BACKEND_REQUESTS.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return raw.trim() as NeuralBackendRequest;
}

/** What runs when --backend is not given: COLLAPSE_NEURAL_BACKEND, else wasm. */
export function defaultNeuralBackend(): NeuralBackendRequest {
  const env = process.env[NEURAL_BACKEND_ENV];
  return env ? parseNeuralBackend(env, NEURAL_BACKEND_ENV) : 'wasm';
}

/**
 * The backend a run uses. A backend named that cannot run here is a one-line UsageError, never a silent fallback;
 * only `auto` falls back (to wasm), and says why. The adapter is asked in a child process (peekAdapter), so that
 * Dawn's native warnings never reach this process's stderr.
 */
export async function resolveNeuralBackend(request: NeuralBackendRequest = defaultNeuralBackend()): Promise<ResolvedNeuralBackend> {
  if (request === 'wasm') return { name: 'wasm', reason: `requested; ${WASM_REASON}` };
  if (request === 'cpu') return { name: 'cpu', reason: 'requested; tfjs 4.22 cpu (plain JavaScript)' };
  const probe = await peekAdapter();
  if (request === 'webgpu') {
    if (probe.missing) throw new UsageError(`--backend webgpu cannot run here: ${probe.missing}`);
    return { name: 'webgpu', reason: `requested; tfjs 4.22 webgpu on ${probe.adapter}${probe.software ? ' (a software adapter: slow)' : ''}` };
  }
  if (!probe.missing && !probe.software) return { name: 'webgpu', reason: `auto: tfjs 4.22 webgpu on ${probe.adapter}` };
  const why = probe.missing ?? `the WebGPU adapter is a software one (${probe.software})`;
  return { name: 'wasm', reason: `auto: ${why}; ${WASM_REASON}` };
}

/**
 * The backend of a run being resumed: the one it ran on (manifest.json's `tfjs-<name>`), so that the resumed run
 * computes the same floats; COLLAPSE_NEURAL_BACKEND naming another is refused. Synchronous: the check before a resume
 * touches anything. Whether it can run here is resolveNeuralBackend's question.
 */
export function storedNeuralBackend(stored: unknown, dir: string): NeuralBackend {
  const name = typeof stored === 'string' ? stored.replace(/^tfjs-/, '') : '';
  if (!(NEURAL_BACKENDS as readonly string[]).includes(name)) {
    throw new UsageError(`--resume ${dir}: its manifest.json names backend ${JSON.stringify(stored)}, not one of ${NEURAL_BACKENDS.map((b) => `tfjs-${b}`).join(', ')}`);
  }
  const env = process.env[NEURAL_BACKEND_ENV];
  if (env && env !== name) {
    // another backend computes other floats: the resumed run would not be the run that was started
    throw new UsageError(`--resume: ${dir} ran on tfjs-${name}, this process would use tfjs-${env}; set ${NEURAL_BACKEND_ENV}=${name} to resume it`);
  }
  return name as NeuralBackend;
}

/**
 * The backend of a run being resumed (`--resume DIR`): its own (storedNeuralBackend), checked to run here, with the
 * reason recorded when it started.
 */
export async function resumeNeuralBackend(stored: unknown, storedReason: unknown, dir: string): Promise<ResolvedNeuralBackend> {
  const name = storedNeuralBackend(stored, dir);
  try {
    await resolveNeuralBackend(name);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--resume ${dir}: the run used tfjs-${name}, which cannot run here (${error.message})`);
    throw error;
  }
  return { name, reason: typeof storedReason === 'string' && storedReason ? storedReason : `tfjs-${name}` };
}
