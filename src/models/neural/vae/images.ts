/**
 * The vae's own images (`--images DIR|FILE`): a folder of PNG files (read with pngjs) or an IDX file, as binarised
 * images split into training and held-out test images (every 10th image, in file-name or file order, held out).
 *
 * The stated rule for PNGs of any size and colour: greyscale by luma (0.299 R + 0.587 G + 0.114 B; transparent
 * pixels count as black, MNIST's background), the largest centred square cropped, area-averaged down (or
 * nearest-neighbour up) to 28×28, then binarised at > 127. An IDX file keeps its own size (binarised at > 127).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { UsageError } from '../../../core/errors.js';
import { parseIdxImages, takeImages, type ImageSet } from './mnist.js';

export const IMAGE_SIDE = 28;
const TEST_EVERY = 10;

/** One PNG as SIDE×SIDE binarised pixels (the rule in the header). */
export function pngPixels(bytes: Uint8Array, name: string, side = IMAGE_SIDE): Uint8Array {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(bytes));
  } catch (error) {
    throw new UsageError(`--images ${name}: not a readable PNG (${(error as Error).message.split('\n')[0]})`);
  }
  const { width, height, data } = png;
  const grey = (x: number, y: number) => {
    const i = 4 * (y * width + x);
    return ((0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) * data[i + 3]) / 255;
  };
  const square = Math.min(width, height);
  const x0 = Math.floor((width - square) / 2);
  const y0 = Math.floor((height - square) / 2);
  const out = new Uint8Array(side * side);
  for (let v = 0; v < side; v++) {
    for (let u = 0; u < side; u++) {
      // source box [u·s/side, (u+1)·s/side) (at least one pixel: nearest-neighbour when enlarging)
      const xa = x0 + Math.floor((u * square) / side);
      const xb = Math.max(xa + 1, x0 + Math.floor(((u + 1) * square) / side));
      const ya = y0 + Math.floor((v * square) / side);
      const yb = Math.max(ya + 1, y0 + Math.floor(((v + 1) * square) / side));
      let sum = 0;
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) sum += grey(x, y);
      out[v * side + u] = sum / ((xb - xa) * (yb - ya)) > 127 ? 1 : 0;
    }
  }
  return out;
}

export interface ImageSource {
  train: ImageSet;
  test: ImageSet;
  description: string;
}

/** A folder of PNGs or an IDX file, split; one-line UsageErrors name the path and the problem. */
export function loadImages(path: string): ImageSource {
  let all: ImageSet;
  let what: string;
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new UsageError(`--images ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (stats.isDirectory()) {
    const files = readdirSync(path).filter((f) => /\.png$/i.test(f)).sort();
    if (files.length === 0) throw new UsageError(`--images ${path}: no .png files in this folder`);
    const pixels = new Uint8Array(files.length * IMAGE_SIDE * IMAGE_SIDE);
    files.forEach((f, i) => pixels.set(pngPixels(readFileSync(join(path, f)), join(path, f)), i * IMAGE_SIDE * IMAGE_SIDE));
    all = { count: files.length, width: IMAGE_SIDE, height: IMAGE_SIDE, pixels };
    what = `${files.length} PNG files from ${basename(path)} (centre-cropped square, resized to 28×28, binarised at > 127)`;
  } else {
    try {
      all = parseIdxImages(readFileSync(path), path);
    } catch (error) {
      throw new UsageError(`--images ${(error as Error).message.startsWith(path) ? '' : `${path}: `}${(error as Error).message.split('\n')[0]}`);
    }
    what = `${all.count} ${all.width}×${all.height} images of the IDX file ${basename(path)} (binarised at > 127)`;
  }
  if (all.count < TEST_EVERY) throw new UsageError(`--images ${path}: ${all.count} image${all.count === 1 ? '' : 's'}; at least ${TEST_EVERY} are needed (every ${TEST_EVERY}th is held out for the test loss)`);
  const rows = Array.from({ length: all.count }, (_, i) => i);
  return {
    train: takeImages(all, rows.filter((i) => i % TEST_EVERY !== TEST_EVERY - 1)),
    test: takeImages(all, rows.filter((i) => i % TEST_EVERY === TEST_EVERY - 1)),
    description: `${what}; every 10th image held out`,
  };
}
