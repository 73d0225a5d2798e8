/** Backends for tests: one shared per file, or a named one that skips (with its reason) where it cannot run. */
import { after, before, type TestContext } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { selectBackend, type Backend, type BackendName } from '../../src/kernels/backend.js';

/** The auto-selected backend, opened before the file's tests and destroyed after them. */
export function sharedBackend(): () => Backend {
  let backend: Backend | undefined;
  before(async () => {
    backend = await selectBackend('auto');
  });
  after(async () => {
    await backend?.destroy();
  });
  return () => backend as Backend;
}

const opened: Backend[] = [];
let cleanup = false;

/** A named backend, or null after marking the test skipped with the reason it cannot run here (never a silent pass). */
export async function backendOrSkip(name: BackendName, t: TestContext): Promise<Backend | null> {
  if (!cleanup) {
    cleanup = true;
    after(async () => {
      for (const b of opened.splice(0)) await b.destroy();
    });
  }
  try {
    const backend = await selectBackend(name);
    opened.push(backend);
    return backend;
  } catch (error) {
    if (error instanceof UsageError) {
      t.skip(error.message);
      return null;
    }
    throw error;
  }
}
