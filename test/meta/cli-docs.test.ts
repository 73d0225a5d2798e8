/**
 * docs/cli.md documents every command and every option: each command of the CLI's registry (src/cli/main.ts) has a
 * `### \`collapse NAME\`` section there, and each of its options appears in that section as `--flag`. A new option
 * that is not documented fails here instead of going stale in the reference.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/main.js';

const DOC = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

function section(name: string): string | null {
  const start = DOC.indexOf(`### \`collapse ${name}\``);
  if (start < 0) return null;
  const next = DOC.indexOf('\n### ', start + 1);
  return DOC.slice(start, next < 0 ? undefined : next);
}

test('docs/cli.md has a section for every command, naming every one of its options', async () => {
  const missing: string[] = [];
  for (const entry of COMMANDS) {
    const text = section(entry.name);
    if (text === null) {
      missing.push(`collapse ${entry.name}: no section`);
      continue;
    }
    const { specs } = await entry.load();
    for (const spec of specs) if (!text.includes(`\`--${spec.flag}\``)) missing.push(`collapse ${entry.name} --${spec.flag}`);
  }
  assert.deepEqual(missing, []);
});
