/**
 * Named buffers that a run reuses from chunk to chunk. A fresh typed array of a few MB costs a page fault per 4 KiB
 * on first touch (~11 µs each on these VMs, measured: 18 ms for 6.5 MB, against 0.6 ms to copy into memory already
 * touched), which made allocation the largest single cost of a full-method chunk. A buffer's contents are whatever
 * its last user left: callers overwrite what they read.
 */
export class Scratch {
  private readonly buffers = new Map<string, Float32Array | Float64Array>();

  /** `length` float32 values named `name`, the same memory on every call while it is large enough. */
  float32(name: string, length: number): Float32Array {
    return this.get(name, length, Float32Array);
  }

  float64(name: string, length: number): Float64Array {
    return this.get(name, length, Float64Array);
  }

  private get<A extends Float32Array | Float64Array>(name: string, length: number, type: { new (length: number): A }): A {
    let buffer = this.buffers.get(name);
    if (!(buffer instanceof type) || buffer.length < length) {
      buffer = new type(length);
      this.buffers.set(name, buffer);
    }
    return buffer.subarray(0, length) as A;
  }
}
