/**
 * The GDB Remote Serial Protocol's framing (gdb manual, "Overview" of the remote protocol): packets
 * `$data#cs` with a modulo-256 checksum in two hex digits, `}` escapes (the byte XOR 0x20) for `$ # } *`,
 * run-length encoding (`X*n`: X repeated n - 29 more times), `+` / `-` acknowledgements and the
 * interrupt byte 0x03 between packets. The peer is a stranger (any TCP client): a packet longer than
 * the size the stub advertises, or bytes that are not a packet, never grow memory; they are reported
 * and skipped up to the next `$`.
 */

/** The largest packet body the stub accepts and advertises (qSupported PacketSize). */
export const MAX_PACKET = 0x4000;

export type Incoming =
  /** A whole packet: its body with escapes and run lengths undone; `ok` false when the checksum is wrong. */
  | { type: 'packet'; data: Uint8Array; ok: boolean }
  | { type: 'ack' }
  | { type: 'nack' }
  /** Ctrl-C from gdb (0x03 outside a packet): stop the target. */
  | { type: 'interrupt' }
  /** Bytes that are no packet, or a packet over MAX_PACKET: skipped (`why` says which). */
  | { type: 'garbage'; why: string };

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;

/** Splits the byte stream from gdb into packets, acknowledgements and interrupts. Feed it with `push`. */
export class PacketReader {
  private buf: number[] = [];
  /** In a packet: its raw body so far (escapes undone later), or null between packets. */
  private body: number[] | null = null;
  /** After `#`: the checksum digits read so far. */
  private sum: number[] | null = null;
  private overflow = false;
  private readonly out: Incoming[] = [];

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.byte(b);
  }

  /** The next complete item, or null until more bytes arrive. */
  next(): Incoming | null {
    return this.out.shift() ?? null;
  }

  private byte(b: number): void {
    if (this.sum !== null) {
      this.sum.push(b);
      if (this.sum.length === 2) this.finish();
      return;
    }
    if (this.body !== null) {
      if (b === HASH) this.sum = [];
      else if (b === DOLLAR) {
        // A new packet before the old one ended: the old one is lost (gdb resends what it does not see acknowledged).
        this.out.push({ type: 'garbage', why: 'a packet was cut off by the next one' });
        this.body = [];
        this.overflow = false;
      } else if (this.body.length < MAX_PACKET * 2) this.body.push(b);
      else this.overflow = true;
      return;
    }
    if (b === DOLLAR) {
      this.flushGarbage();
      this.body = [];
      this.overflow = false;
    } else if (b === 0x2b && this.buf.length === 0) this.out.push({ type: 'ack' });
    else if (b === 0x2d && this.buf.length === 0) this.out.push({ type: 'nack' });
    else if (b === 0x03 && this.buf.length === 0) this.out.push({ type: 'interrupt' });
    else if (this.buf.length < 64) this.buf.push(b);
  }

  private flushGarbage(): void {
    if (this.buf.length === 0) return;
    this.out.push({ type: 'garbage', why: `${this.buf.length} stray byte(s) outside a packet` });
    this.buf = [];
  }

  private finish(): void {
    const raw = this.body!;
    const digits = String.fromCharCode(...this.sum!);
    this.body = null;
    this.sum = null;
    if (this.overflow) {
      this.out.push({ type: 'garbage', why: `a packet longer than ${MAX_PACKET} bytes` });
      return;
    }
    let sum = 0;
    for (const c of raw) sum = (sum + c) & 0xff;
    const ok = /^[0-9a-fA-F]{2}$/.test(digits) && parseInt(digits, 16) === sum;
    const data = unescapeBody(raw);
    if (data === null || data.length > MAX_PACKET) this.out.push({ type: 'garbage', why: data === null ? 'a bad escape or run length' : `a packet longer than ${MAX_PACKET} bytes` });
    else this.out.push({ type: 'packet', data, ok });
  }
}

/** Undo `}` escapes and `*` run lengths; null when they are malformed. */
function unescapeBody(raw: number[]): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === ESCAPE) {
      if (i + 1 >= raw.length) return null;
      out.push(raw[++i]! ^ 0x20);
    } else if (c === STAR) {
      if (out.length === 0 || i + 1 >= raw.length) return null;
      const n = raw[++i]! - 29;
      if (n < 0 || out.length + n > MAX_PACKET) return null;
      const last = out[out.length - 1]!;
      for (let k = 0; k < n; k++) out.push(last);
    } else out.push(c);
  }
  return Uint8Array.from(out);
}

/** A packet to send: `$`, the body with `$ # } *` escaped, `#`, the checksum (no run lengths: plain is always valid). */
export function encodePacket(body: string | Uint8Array): Uint8Array {
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out: number[] = [DOLLAR];
  let sum = 0;
  const put = (b: number): void => {
    out.push(b);
    sum = (sum + b) & 0xff;
  };
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) {
      put(ESCAPE);
      put(b ^ 0x20);
    } else put(b);
  }
  out.push(HASH, ...new TextEncoder().encode(sum.toString(16).padStart(2, '0')));
  return Uint8Array.from(out);
}

/** Bytes as the protocol's lowercase hex (memory, registers in target byte order). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Hex from gdb as bytes; null for an odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A 32-bit value as gdb reads an i386 register: 8 hex digits, little-endian. */
export function le32Hex(v: number): string {
  return toHex(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff));
}
