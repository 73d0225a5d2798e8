#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the package's prepare script).
import { existsSync } from 'node:fs';
import module from 'node:module';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('collapse: dist/ is missing; run `npm ci` (or `npm run build`) first\n');
  process.exit(1);
}
// Node ≥ 22.1 keeps V8's compiled code of every module on disk between runs (start-up is most of a short run);
// Node 20 has no such cache, and this line does nothing there. COLLAPSE_CACHE=0 turns it off like the kernel cache.
if (process.env.COLLAPSE_CACHE !== '0') module.enableCompileCache?.();
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
