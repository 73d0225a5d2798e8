/**
 * A grid of binary images as an 8-bit grayscale PNG, encoded here with node:zlib (no image dependency), so that a run
 * can save each generation's samples and a user can watch their diversity drop under `replace`.
 */
import { deflateSync } from 'node:zlib';
import type { ImageSet } from './mnist.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG chunks use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An 8-bit grayscale PNG of `gray` (width×height bytes, row-major, 0 black … 255 white). */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Uint8Array {
  if (gray.length !== width * height) throw new Error(`${gray.length} pixels for a ${width}×${height} PNG`);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (gray), deflate, filter method 0, no interlace
  const raw = new Uint8Array(height * (width + 1)); // each scanline: filter type 0 (none), then its bytes
  for (let y = 0; y < height; y++) raw.set(gray.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The first `count` images of `set` as a PNG grid, `columns` wide, white digits on black with a 2-pixel gray gutter
 * (so that blank samples still show as tiles). Size: columns·(w+2)+2 by rows·(h+2)+2.
 */
export function imageGridPng(set: ImageSet, columns = 10, count = Math.min(set.count, 100)): Uint8Array {
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns must be a positive integer; got ${columns}`);
  if (!Number.isInteger(count) || count < 1 || count > set.count) throw new RangeError(`count must be in [1, ${set.count}]; got ${count}`);
  const { width: w, height: h } = set;
  const cols = Math.min(columns, count);
  const rows = Math.ceil(count / cols);
  const gutter = 2;
  const W = cols * (w + gutter) + gutter;
  const H = rows * (h + gutter) + gutter;
  const gray = new Uint8Array(W * H).fill(96);
  for (let k = 0; k < count; k++) {
    const x0 = gutter + (k % cols) * (w + gutter);
    const y0 = gutter + Math.floor(k / cols) * (h + gutter);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) gray[(y0 + y) * W + x0 + x] = set.pixels[k * w * h + y * w + x] ? 255 : 0;
    }
  }
  return encodeGrayPng(gray, W, H);
}
