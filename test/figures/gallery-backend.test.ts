/** A resumed gallery records the backend its figures ran on, even when this segment needed none (it said null). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeGalleryInDir } from '../helpers/gallery.js';
import type { Figure, FigureOutput } from '../../src/figures/figure.js';

const output = (id: string): FigureOutput => ({ figure: { data: [{ y: [1] }], layout: {} }, caption: id, data: { id }, csv: 'x\n1\n', image: { width: 10, height: 10, scale: 1 } });

test('figures made on a backend before an interruption keep it in the resumed gallery.json', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'collapse-gallery-backend-')), 'g');
  const controller = new AbortController();
  const onBackend: Figure = {
    id: 'uses-backend', title: 'uses the backend',
    async make(context) {
      await context.backend();
      controller.abort(new Error('stop after the first figure'));
      return output('uses-backend');
    },
  };
  const hostOnly: Figure = { id: 'host-only', title: 'needs no backend', make: async () => output('host-only') };
  const options = { out, force: false, quick: true, seed: 0, backend: 'cpu' as const, figures: [onBackend, hostOnly], command: 'test', images: false, root: process.cwd() };
  await assert.rejects(makeGalleryInDir({ ...options, signal: controller.signal }), /stop after the first figure/);
  const report = await makeGalleryInDir({ ...options, resume: true });
  assert.equal(report.backend, 'cpu');
  const written = JSON.parse(readFileSync(join(out, 'gallery.json'), 'utf8'));
  assert.equal(written.backend, 'cpu');
  assert.equal(written.environment.backend, 'cpu');
});
