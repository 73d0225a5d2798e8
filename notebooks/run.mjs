#!/usr/bin/env node
/**
 * `npm run notebooks`: execute every notebooks/*.ipynb headless with Deno's Jupyter kernel and store the outputs in
 * the notebooks (in place). `--check` executes them into a temporary directory instead, leaving the files untouched
 * (what CI runs). Any cell that throws fails the run (exit 1); a missing tool is named with its install line (exit 2).
 *
 *   node notebooks/run.mjs [--check] [notebooks/NAME.ipynb …]
 *
 * Tools: Debian's `jupyter-nbconvert` and `python3-nbclient` (apt-get install -y jupyter-nbconvert python3-nbclient),
 * and Deno ≥ 2: $DENO, else `deno` on PATH, else the `deno` npm package fetched by npx (pinned below). The kernel
 * spec is written to a temporary JUPYTER_PATH, so nothing is installed into the user's Jupyter.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DENO_NPM = 'deno@2.9.6';
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const named = args.filter((a) => !a.startsWith('--'));

function fail(code, message) {
  process.stderr.write(`notebooks: ${message}\n`);
  process.exit(code);
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

function findNbconvert() {
  const candidates = [process.env.JUPYTER_NBCONVERT, onPath('jupyter-nbconvert'), '/usr/bin/jupyter-nbconvert'].filter(Boolean);
  for (const path of candidates) {
    try {
      execFileSync(path, ['--version'], { stdio: 'ignore' });
      return path;
    } catch {
      // not runnable: try the next
    }
  }
  return fail(2, 'jupyter-nbconvert not found (Debian: apt-get install -y jupyter-nbconvert python3-nbclient; or set JUPYTER_NBCONVERT)');
}

function denoVersion(path) {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    return null;
  }
}

function findDeno() {
  for (const path of [process.env.DENO, onPath('deno'), join(root, 'node_modules', '.bin', 'deno')].filter(Boolean)) {
    if (denoVersion(path)) return path;
  }
  try {
    // the npm package's launcher runs the real binary; ask it where that is, so the kernel starts without npx
    const out = execFileSync('npx', ['--yes', DENO_NPM, 'eval', 'console.log(Deno.execPath())'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir() });
    const path = out.trim().split('\n').pop();
    if (path && denoVersion(path)) return path;
  } catch {
    // fall through to the message
  }
  return fail(2, `Deno not found and \`npx ${DENO_NPM}\` failed (install Deno ≥ 2, or set DENO=/path/to/deno)`);
}

const notebooks = named.length
  ? named.map((n) => resolve(n))
  : readdirSync(here).filter((n) => n.endsWith('.ipynb')).sort().map((n) => join(here, n));
if (notebooks.length === 0) fail(2, `no notebooks in ${relative(process.cwd(), here) || '.'}`);

const nbconvert = findNbconvert();
const deno = findDeno();
const jupyterPath = mkdtempSync(join(tmpdir(), 'collapse-jupyter-'));
mkdirSync(join(jupyterPath, 'kernels', 'deno'), { recursive: true });
writeFileSync(
  join(jupyterPath, 'kernels', 'deno', 'kernel.json'),
  JSON.stringify({ argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript', env: { NO_COLOR: '1' } }, null, 2),
);
const outDir = check ? mkdtempSync(join(tmpdir(), 'collapse-notebooks-')) : null;
process.stdout.write(`notebooks: ${denoVersion(deno)} (${deno}); ${nbconvert}${check ? '; --check: outputs go to a temporary directory' : '; outputs stored in place'}\n`);

/** 1-based indices of code cells without any output: a lost display is a failed run, not a quiet one. */
function silentCells(path) {
  const cells = JSON.parse(readFileSync(path, 'utf8')).cells.filter((c) => c.cell_type === 'code');
  return cells.flatMap((c, i) => (c.outputs && c.outputs.length > 0 ? [] : [i + 1]));
}

let failed = 0;
const env = { ...process.env, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter), NO_COLOR: '1', JUPYTER_PLATFORM_DIRS: '1' };
for (const notebook of notebooks) {
  const kernel = JSON.parse(readFileSync(notebook, 'utf8')).metadata?.kernelspec?.name;
  if (kernel !== 'deno') fail(2, `${relative(root, notebook)}: kernelspec is ${JSON.stringify(kernel)}; these notebooks run on the 'deno' kernel`);
  const started = performance.now();
  const output = outDir ? join(outDir, basename(notebook)) : notebook;
  let result;
  let silent = [];
  // A silent cell is Deno's kernel losing an output to a race (see 01's `show`), not the notebook failing: run again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    result = spawnSync(
      nbconvert,
      ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600', '--ExecutePreprocessor.kernel_name=deno', ...(outDir ? ['--output-dir', outDir] : ['--inplace']), notebook],
      { env, cwd: dirname(notebook), encoding: 'utf8' },
    );
    silent = result.status === 0 ? silentCells(output) : [];
    if (silent.length === 0 || attempt === 3) break;
    process.stdout.write(`  note  ${relative(root, notebook)}: code cell(s) ${silent.join(', ')} came back without output; executing again (attempt ${attempt + 1} of 3)\n`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status === 0 && silent.length > 0) {
    failed++;
    process.stdout.write(`  FAIL  ${relative(root, notebook)}  ${seconds} s: code cell(s) ${silent.join(', ')} showed nothing (every cell here displays its result with \`await show(…)\`)\n`);
  } else if (result.status === 0) {
    process.stdout.write(`  ok    ${relative(root, notebook)}  ${seconds} s\n`);
  } else {
    failed++;
    const log = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.split('\n').filter((l) => !/MissingIDFieldWarning|validate\(nb\)|is unstable/.test(l));
    process.stdout.write(`  FAIL  ${relative(root, notebook)}  ${seconds} s\n${log.slice(-30).map((l) => `        ${l}`).join('\n')}\n`);
  }
}
rmSync(jupyterPath, { recursive: true, force: true });
if (outDir) rmSync(outDir, { recursive: true, force: true });
process.stdout.write(`notebooks: ${notebooks.length - failed} of ${notebooks.length} executed without error\n`);
process.exit(failed ? 1 : 0);
