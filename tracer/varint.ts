/**
 * Protobuf wire primitives on plain numbers. Values are non-negative integers below 2^53 (JS numbers
 * are exact there); the machine never needs more. Hot paths (event encoding, column decoding) use
 * these, so they avoid BigInt and allocation.
 */
import { TraceFormatError } from './errors.js';

const TWO_POW_28 = 0x10000000;

/** A growable byte buffer with protobuf writers. Grows by doubling, so steady state is allocation-free. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative integer < 2^53. */
  varint(v: number): void {
    if (v < 0x80 && this.pos < this.buf.length) {
      this.buf[this.pos++] = v;
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (v < 0x80) {
      buf[pos++] = v;
    } else if (v < TWO_POW_28) {
      while (v >= 0x80) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      while (v >= 0x80) {
        buf[pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      buf[pos++] = v;
    }
    this.pos = pos;
  }

  /** sint64 zigzag varint of an integer with |v| < 2^52. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** A length-delimited field: key, length, then the bytes. */
  lengthDelimited(field: number, src: Uint8Array, start = 0, end = src.length): void {
    this.varint(field * 8 + 2);
    const n = end - start;
    this.varint(n);
    this.ensure(n);
    if (n <= 64) {
      // Short copies (names, nested packets) are cheaper as a loop than as subarray() + set().
      const buf = this.buf;
      let pos = this.pos;
      for (let i = start; i < end; i++) buf[pos++] = src[i]!;
      this.pos = pos;
      return;
    }
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** A varint field, omitted when zero (proto3 canonical form). */
  varintField(field: number, v: number): void {
    if (v === 0) return;
    this.varint(field * 8);
    this.varint(v);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Encoded size of an unsigned varint. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Largest varint we accept inside event columns: 8 bytes = 56 bits. */
const MAX_VARINT_BYTES = 8;

/**
 * Decode a packed column of unsigned varints into `out`. Returns the number of values. The caller
 * sizes `out` to at least end - start (every value takes at least one byte).
 */
export function decodePackedVarints(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
  offsetForErrors: number,
): number {
  let pos = start;
  let n = 0;
  while (pos < end) {
    let b = buf[pos++]!;
    if (b < 0x80) {
      out[n++] = b;
      continue;
    }
    let v = b & 0x7f;
    let mul = 128;
    let len = 1;
    for (;;) {
      if (pos >= end) throw new TraceFormatError('BAD_PACKET', 'varint runs past the end of its column', offsetForErrors + pos);
      b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (++len >= MAX_VARINT_BYTES) throw new TraceFormatError('BAD_PACKET', 'varint longer than 8 bytes in an event column', offsetForErrors + pos);
    }
    out[n++] = v;
  }
  return n;
}

/** Decode a packed sint64 (zigzag) column. */
export function decodePackedZigzag(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
  offsetForErrors: number,
): number {
  const n = decodePackedVarints(buf, start, end, out, offsetForErrors);
  for (let i = 0; i < n; i++) {
    const z = out[i]!;
    out[i] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  return n;
}

/**
 * A bounds-checked cursor for parsing protobuf framing. Every read that would run past `end` throws a
 * TraceFormatError instead of reading garbage.
 */
export class WireCursor {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    /** Absolute file offset of buf[0], for error messages. */
    readonly base = 0,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new TraceFormatError('BAD_PACKET', 'varint runs past the end of its message', this.base + this.pos);
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) throw new TraceFormatError('BAD_PACKET', 'varint above 2^53', this.base + this.pos);
        return v;
      }
      mul *= 128;
    }
    throw new TraceFormatError('BAD_PACKET', 'varint longer than 10 bytes', this.base + this.pos);
  }

  /** Read a length prefix and return [start, end) of the bytes it covers. */
  lengthDelimited(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new TraceFormatError('BAD_PACKET', `field length ${len} exceeds its message`, this.base + start);
    this.pos = start + len;
    return [start, start + len];
  }

  /** Skip one field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new TraceFormatError('BAD_PACKET', `unsupported wire type ${wireType}`, this.base + this.pos);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new TraceFormatError('BAD_PACKET', 'fixed-width field runs past the end of its message', this.base + this.pos);
    this.pos += n;
  }
}
