/**
 * Part of `npm run build`: gpu.js's CommonJS sources (121 files, 1.2 MB) as one file, dist/vendor/gpu.cjs. Every
 * short `collapse` run loads gpu.js, and resolving and reading its files one by one was ~40% of that (measured:
 * 155–408 ms against 69–291 ms for the one file, same machine, interleaved). Not minified: the code is gpu.js's own,
 * reprinted. gl and webgpu stay outside (optional native packages, loaded where they are). Without a working esbuild
 * (an install without devDependencies) nothing is written, the build goes on, and the CLI loads the gpu.js package.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outfile = new URL('../dist/vendor/gpu.cjs', import.meta.url).pathname;

try {
  const esbuild = await import('esbuild');
  mkdirSync(new URL('../dist/vendor/', import.meta.url), { recursive: true });
  await esbuild.build({
    entryPoints: [require.resolve('gpu.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['gl', 'webgpu'],
    outfile,
    logLevel: 'silent',
  });
} catch (error) {
  if (existsSync(outfile)) rmSync(outfile); // never a bundle older than the package beside it
  const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(`bundle-gpujs: no one-file gpu.js (${why}); the CLI loads the gpu.js package file by file\n`);
}
