/**
 * The cross-references between code, proofs and tests stay intact:
 *
 * 1. every `@proof proofs/<file>.md#P<k>` tag in src/**\/*.ts names a proofs file that exists and an anchor in it
 *    (`<a id="P<k>">` or a heading `## P<k>.`);
 * 2. every label P<k> defined in proofs/*.md (by such an anchor or heading) is named somewhere in the test sources
 *    (test/**\/*.test.ts outside test/meta/): the string P<k> not followed by a digit;
 * 3. every exported function of src/theory/*.ts has a TSDoc block directly above it with a one-line `@source` citation.
 *
 * One test per reference, label and function, so that a known gap in src/ (which this file must not paper over) is
 * marked `todo` on its own assertion and everything else stays enforced.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Gaps in src/ this file found and may not fix itself (src/ belongs to other changes): each turns exactly one
 * assertion into a `todo`. Keys: `<src file> -> <proof reference>` for @proof tags, `<src file>#<function>` for
 * @source. Remove an entry once the gap is closed (its test then passes as a todo and should be enforced again).
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {
};

/** Repository-relative path with forward slashes, for messages and keys. */
function rel(path: string): string {
  return relative(ROOT, path).split(sep).join('/');
}

/** Files under `dir` (recursively) whose repository-relative path passes `keep`, sorted. */
function walk(dir: string, keep: (relPath: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (entry.isFile() && keep(rel(path))) out.push(path);
  }
  return out.sort();
}

const read = (path: string): string => readFileSync(path, 'utf8');

/** The labels a proofs file defines (P<k>, G<k>, …: a capital and a number): `<a id="P<k>">` anchors and `## P<k>.` headings. */
function definedLabels(markdown: string): Set<string> {
  const labels = new Set<string>();
  for (const m of markdown.matchAll(/<a\s+id\s*=\s*["']([A-Z]\d+)["']\s*\/?>/g)) labels.add(m[1]);
  for (const m of markdown.matchAll(/^##\s+([A-Z]\d+)\./gm)) labels.add(m[1]);
  return labels;
}

function gapOptions(key: string): { todo?: string } {
  return KNOWN_GAPS[key] ? { todo: KNOWN_GAPS[key] } : {};
}

// ---- 1. @proof tags in src/ point at existing anchors ----

interface ProofReference {
  source: string;
  line: number;
  target: string;
}

const PROOF_TAG = /@proof\b[ \t]*(\S*)/g;

function proofReferences(): ProofReference[] {
  const refs: ProofReference[] = [];
  for (const file of walk(join(ROOT, 'src'), (p) => p.endsWith('.ts'))) {
    const text = read(file);
    for (const m of text.matchAll(PROOF_TAG)) {
      const line = text.slice(0, m.index).split('\n').length;
      refs.push({ source: rel(file), line, target: m[1] });
    }
  }
  return refs;
}

const references = proofReferences();

test('meta: src/ has @proof tags to check', () => {
  assert.ok(references.length > 0, 'no @proof tag found under src/: the walk or the pattern is broken');
});

for (const { source, line, target } of references) {
  const key = `${source} -> ${target}`;
  test(`meta: @proof ${target} (${source}:${line}) names an existing proofs file and anchor`, gapOptions(key), () => {
    const m = /^(proofs\/[\w.\-/]+\.md)#([A-Z]\d+)$/.exec(target);
    assert.ok(m, `${source}:${line}: malformed @proof tag "${target}", expected proofs/<file>.md#P<k>`);
    const [, file, label] = m;
    const path = join(ROOT, file);
    assert.ok(existsSync(path), `${source}:${line}: @proof ${target}: file ${file} does not exist`);
    assert.ok(
      definedLabels(read(path)).has(label),
      `${source}:${line}: @proof ${target}: ${file} has no anchor <a id="${label}"> and no heading "## ${label}."`,
    );
  });
}

// ---- 2. every label of proofs/*.md is named by some test ----

const proofFiles = walk(join(ROOT, 'proofs'), (p) => /^proofs\/[^/]+\.md$/.test(p));
const testSources = walk(join(ROOT, 'test'), (p) => p.endsWith('.test.ts') && !p.startsWith('test/meta/')).map((path) => ({
  path: rel(path),
  text: read(path),
}));

test('meta: there are proofs and tests to cross-check', () => {
  assert.ok(proofFiles.length > 0, 'no proofs/*.md file found');
  assert.ok(testSources.length > 0, 'no test/**/*.test.ts file found outside test/meta/');
});

for (const proof of proofFiles) {
  const labels = [...definedLabels(read(proof))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  test(`meta: ${rel(proof)} defines labels`, () => {
    assert.ok(labels.length > 0, `${rel(proof)} defines no <a id="P<k>"> anchor or "## P<k>." heading`);
  });
  for (const label of labels) {
    test(`meta: ${rel(proof)}#${label} is named by a test (test/**/*.test.ts)`, () => {
      const pattern = new RegExp(`\\b${label}(?!\\d)`);
      const naming = testSources.filter((t) => pattern.test(t.text));
      assert.ok(naming.length > 0, `${rel(proof)}: label ${label} is named by no test title or assertion under test/ (outside test/meta/)`);
    });
  }
}

// ---- 3. every exported function of src/theory/*.ts cites a @source ----

interface ExportedFunction {
  file: string;
  name: string;
  line: number;
  /** the TSDoc block directly above the declaration, or null */
  doc: string | null;
}

const EXPORTED_FUNCTION = /^export\s+(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/gm;

function exportedFunctions(): ExportedFunction[] {
  const found: ExportedFunction[] = [];
  for (const file of walk(join(ROOT, 'src', 'theory'), (p) => /^src\/theory\/[^/]+\.ts$/.test(p))) {
    const text = read(file);
    for (const m of text.matchAll(EXPORTED_FUNCTION)) {
      const before = text.slice(0, m.index);
      const open = before.lastIndexOf('/**');
      const close = open < 0 ? -1 : before.indexOf('*/', open);
      // the nearest preceding /** … */ counts only if nothing but whitespace separates it from the declaration
      const doc = open >= 0 && close >= 0 && before.slice(close + 2).trim() === '' ? before.slice(open, close + 2) : null;
      found.push({ file: rel(file), name: m[1], line: before.split('\n').length, doc });
    }
  }
  return found;
}

const functions = exportedFunctions();

test('meta: src/theory/ exports functions to check', () => {
  assert.ok(functions.length > 0, 'no exported function found in src/theory/*.ts: the walk or the pattern is broken');
});

for (const { file, name, line, doc } of functions) {
  test(`meta: ${file} ${name}() has a TSDoc @source citation`, gapOptions(`${file}#${name}`), () => {
    assert.ok(doc !== null, `${file}:${line}: exported function ${name} has no TSDoc /** … */ block directly above it`);
    const source = /@source[ \t]+(\S[^\n]*)/.exec(doc);
    assert.ok(source, `${file}:${line}: exported function ${name}: its TSDoc block has no @source citation`);
    assert.ok(source[1].replace(/\*\/\s*$/, '').trim().length > 0, `${file}:${line}: exported function ${name}: empty @source`);
  });
}

// ---- the known-gap list stays honest ----

test('meta: every KNOWN_GAPS entry names an existing @proof reference or exported function', () => {
  const keys = new Set([...references.map((r) => `${r.source} -> ${r.target}`), ...functions.map((f) => `${f.file}#${f.name}`)]);
  const stale = Object.keys(KNOWN_GAPS).filter((key) => !keys.has(key));
  assert.deepEqual(stale, [], `KNOWN_GAPS entries that name nothing in src/ (remove or fix them): ${stale.join(', ')}`);
});
