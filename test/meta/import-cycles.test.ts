/**
 * No import cycles in src/: the files form layers (core below kernels below models below loop …), and a cycle — even
 * one of `import type` only — means two files that cannot be understood, tested or moved one without the other.
 * The graph is every static `import … from`/`export … from` of a relative path in src/**\/*.ts (type-only ones
 * included); `import()` is left out, since it loads on demand (the CLI's lazy command registry) and orders nothing.
 * Cycles are the strongly connected components of that graph (Tarjan), each reported with its edges.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Graph = ReadonlyMap<string, readonly string[]>;

/** Repository-relative path with forward slashes. */
const rel = (path: string): string => relative(ROOT, path).split(sep).join('/');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** The relative modules a file's top-level import and export declarations name, as repository paths of .ts files. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const target = join(dirname(file), specifier.text.replace(/\.js$/, '.ts'));
    if (existsSync(target)) out.push(rel(target));
  }
  return out;
}

function importGraph(): Graph {
  return new Map(sourceFiles(join(ROOT, 'src')).map((file) => [rel(file), staticImports(file)]));
}

/** The graph's cycles: its strongly connected components of two or more files, or one file importing itself. */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A cycle's edges, one per line, for the failure message. */
function describe(graph: Graph, component: readonly string[]): string {
  const inside = new Set(component);
  return component.flatMap((v) => (graph.get(v) ?? []).filter((w) => inside.has(w)).map((w) => `  ${v} → ${w}`)).join('\n');
}

test('the cycle finder finds a cycle, a self-import, and nothing in a layered graph', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c', 'd']],
    ['c', ['a']],
    ['d', []],
    ['e', ['a', 'e']],
  ]);
  assert.deepEqual(cycles(graph), [['a', 'b', 'c'], ['e']]);
  assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
});

const graph = importGraph();
const found = cycles(graph);

test('the import graph of src/ is read (type-only and re-export edges included)', () => {
  // known edges, so a parser that finds nothing cannot pass the cycle test below
  assert.ok(graph.get('src/models/linear/monte-carlo.ts')?.includes('src/models/linear/methods.ts'));
  assert.ok(graph.get('src/models/linear/full.ts')?.includes('src/models/linear/method.ts')); // import type
  assert.ok(graph.get('src/index.ts')?.includes('src/models/linear/monte-carlo.ts')); // export … from
  assert.ok(graph.size > 100);
});

test('src/ has no import cycles', () => {
  assert.equal(found.length, 0, `import cycles in src/ (move the shared types below both files):\n${found.map((c) => describe(graph, c)).join('\n\n')}`);
});
