/**
 * A gallery in its own run directory, for tests that call the figures layer without the CLI: the directory opened
 * (new, or `resume` the interrupted one), src/figures/gallery.ts's makeGallery run into it, and the directory marked
 * complete (checkpoint dropped), interrupted (`signal` aborted) or failed, as `collapse figures` does through
 * src/cli/run-command.ts.
 */
import { rmSync } from 'node:fs';
import { UsageError } from '../../src/core/errors.js';
import { canonicalJson, CHECKPOINT_FILE, preflightOut, RunStore, type Checkpoint, type Manifest } from '../../src/core/run-store.js';
import { galleryConfig, galleryResume, makeGallery, type GalleryOptions, type GalleryReport, type GalleryResume } from '../../src/figures/gallery.js';

export async function makeGalleryInDir(options: GalleryOptions & { force: boolean; resume?: boolean }): Promise<GalleryReport> {
  const config = galleryConfig(options);
  let store: RunStore;
  let resumed: GalleryResume | undefined;
  if (options.resume) {
    const check = (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
      if (canonicalJson(manifest.config) !== canonicalJson(config)) throw new UsageError(`--resume ${options.out}: the gallery there was started with other options`);
      return galleryResume(checkpoint, options.figures.map((f) => f.id), options.out);
    };
    ({ store, checked: resumed } = RunStore.resume(options.out, 'figures', check));
  } else {
    preflightOut(options.out, options.force);
    store = RunStore.create(options.out, options.force, { command: 'figures', config, seed: options.seed, backend: null, backendReason: null });
  }
  try {
    const report = await makeGallery(options, store, resumed);
    rmSync(store.path(CHECKPOINT_FILE), { force: true });
    store.finish('complete');
    return report;
  } catch (error) {
    const interrupted = options.signal?.aborted === true && error === options.signal.reason;
    store.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    throw error;
  }
}
