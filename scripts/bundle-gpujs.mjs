/**
 * Part of `npm run build`: gpu.js's CommonJS sources (121 files, 1.2 MB) as one file, dist/vendor/gpu.cjs. Every
 * short `collapse` run loads gpu.js, and resolving and reading its files one by one was ~40% of that (measured:
 * 155–408 ms against 69–291 ms for the one file, same machine, interleaved). Not minified: the code is gpu.js's own,
 * reprinted. gl and webgpu stay outside (optional native packages, loaded where they are). Without esbuild (an
 * install without devDependencies) nothing is written and the CLI loads the gpu.js package as before.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outfile = new URL('../dist/vendor/gpu.cjs', import.meta.url).pathname;

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  if (existsSync(outfile)) rmSync(outfile); // never a bundle older than the package beside it
  process.stderr.write('bundle-gpujs: esbuild is not installed; the CLI will load the gpu.js package file by file\n');
  process.exit(0);
}
mkdirSync(new URL('../dist/vendor/', import.meta.url), { recursive: true });
await esbuild.build({
  entryPoints: [require.resolve('gpu.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['gl', 'webgpu'],
  outfile,
  logLevel: 'warning',
});
