/**
 * The layering of src/ as a checked rule: a folder imports only from the folders below it.
 *
 *   core/                          imports nothing else in src/
 *   models/                        the families themselves: never loop/, verify/, experiments/, cli/ (nor figures/,
 *                                  sweep/, site/); what runs a family lives above it
 *   loop/, verify/                 never experiments/ or the layers on top of it
 *   experiments/                   options, validation, theory choice, runs: never cli/, figures/, sweep/, site/
 *
 * Imports are read from the text (static `import … from`, `export … from`, `import(…)`), resolved against the
 * importing file, so a relative path that climbs into a forbidden folder is caught however it is spelt.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Folders of src/ each folder may not import from. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  models: ['loop', 'verify', 'experiments', 'cli', 'figures', 'sweep', 'site'],
  loop: ['verify', 'experiments', 'cli', 'figures', 'sweep', 'site'],
  verify: ['experiments', 'cli', 'figures', 'sweep', 'site'],
  experiments: ['cli', 'figures', 'sweep', 'site'],
};

/** The module specifiers a source text imports or re-exports, static or dynamic. */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) found.push(m[1]);
  return found;
}

/** The src/ folder a relative specifier of `file` (a path relative to src/, with /) lands in, or null (a package, node:…). */
export function targetFolder(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  return target.startsWith('..') ? '..' : target.split('/')[0];
}

/** `file` (relative to src/) importing what it may not, as "file → specifier" lines. */
export function violations(file: string, source: string): string[] {
  const folder = file.split('/')[0];
  const out: string[] = [];
  for (const specifier of specifiers(source)) {
    const target = targetFolder(file, specifier);
    if (target === null || target === folder) continue;
    const bad = folder === 'core' ? true : (FORBIDDEN[folder] ?? []).includes(target);
    if (bad) out.push(`${file} → ${specifier}`);
  }
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts)$/.test(entry.name)) out.push(relative(SRC, path).split(sep).join('/'));
  }
  return out.sort();
}

test('the checker finds an upward import, static, re-exported or dynamic, and passes a downward one', () => {
  assert.deepEqual(violations('models/linear/x.ts', "import { runTrials } from '../../loop/generation-loop.js';"), ['models/linear/x.ts → ../../loop/generation-loop.js']);
  assert.deepEqual(violations('models/x.ts', "export { a } from '../experiments/linear.js';"), ['models/x.ts → ../experiments/linear.js']);
  assert.deepEqual(violations('models/neural/x.ts', "const m = await import('../../cli/output.js');"), ['models/neural/x.ts → ../../cli/output.js']);
  assert.deepEqual(violations('core/x.ts', "import type { Key } from '../strategies/index.js';"), ['core/x.ts → ../strategies/index.js']);
  assert.deepEqual(violations('verify/x.ts', "import { runVerify } from '../experiments/verify.js';"), ['verify/x.ts → ../experiments/verify.js']);
  assert.deepEqual(violations('models/linear/x.ts', "import { a } from '../../core/rng.js';\nimport { b } from './chunk.js';\nimport { c } from 'node:fs';"), []);
  assert.deepEqual(violations('experiments/x.ts', "import { runTrials } from '../loop/generation-loop.js';\nimport { buildRows } from '../verify/report.js';"), []);
});

test('src/ keeps its layers: core/ imports nothing above it, models/ nothing that runs it', () => {
  const files = sources(SRC);
  assert.ok(files.some((f) => f.startsWith('models/')) && files.some((f) => f.startsWith('core/')), 'src/models and src/core hold sources');
  const found = files.flatMap((file) => violations(file, readFileSync(join(SRC, file), 'utf8')));
  assert.deepEqual(found, [], `imports against the layering:\n${found.join('\n')}`);
});
