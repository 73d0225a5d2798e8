/** Where a run came from: package version, git commit, Node — recorded in every run directory. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

let cachedVersion: string | undefined;
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

let cachedCommit: { commit: string | null; dirty: boolean | null } | undefined;
/** HEAD of the checkout the code runs from, and whether tracked files differ from it; nulls outside git. */
export function gitState(): { commit: string | null; dirty: boolean | null } {
  if (cachedCommit === undefined) {
    const cwd = dirname(fileURLToPath(PACKAGE_JSON));
    const git = (...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    try {
      const commit = git('rev-parse', 'HEAD');
      let dirty: boolean | null = null;
      try {
        dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
      } catch {
        dirty = null;
      }
      cachedCommit = { commit, dirty };
    } catch {
      cachedCommit = { commit: null, dirty: null };
    }
  }
  return cachedCommit;
}

export function gitCommit(): string | null {
  return gitState().commit;
}
