/**
 * The container's integrity layer (format 2). Every packet is framed as the protobuf encoding of one
 * `TraceFile.packet` field:
 *
 *   0x0A <len>  <key> <body length> <body>  [0x68 <index>]  [0x72 0x20 <file digest>]  0x7D <crc32, 4 bytes LE>
 *
 * - `index` is the packet's position in the file (0 = the header, omitted there as proto3 omits zeros),
 *   so a missing, repeated or swapped packet shows as a gap or a step back;
 * - `crc` is the CRC-32 of the packet's own bytes before it (key, body, index, digest), so a changed
 *   byte is found and located in its packet, and a salvaging reader can keep every other packet;
 * - the footer packet adds `file_digest`, the SHA-256 of every byte of the file before the footer's
 *   frame (magic line included): the whole file is committed to in full length.
 *
 * What is left outside the checks, the frame's key and length, is checked structurally: the packet
 * inside must fill the frame exactly, with minimal varints. Writers and readers share this file so the
 * two sides cannot drift apart. CRC-32 comes from node:zlib (C code); SHA-256 from node:crypto.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { TraceFormatError } from './errors.js';
import { CRC_KEY, FILE_DIGEST_BYTES, FILE_DIGEST_KEY, FRAME_KEY, INDEX_KEY, MAGIC, PacketField } from './format.js';
import { ByteWriter, varintSize } from './varint.js';

/** Frames packets into a byte buffer, numbering them and keeping the running digest of the file. */
export class PacketFramer {
  /** The index the next packet gets. */
  index = 0;
  private readonly digest: Hash = createHash('sha256');

  /** Starts a file in `out` with its magic line. */
  constructor(private readonly out: ByteWriter) {
    out.bytes(MAGIC);
    this.digest.update(MAGIC);
  }

  /** Append one packet: `field` is the Packet.body field number, `body` the encoded message. */
  frame(field: number, body: Uint8Array): void {
    const out = this.out;
    const start = out.pos;
    const index = this.index++;
    const fileDigest = field === PacketField.footer ? this.digest.copy().digest() : null;
    const key = field * 8 + 2;
    const inner =
      varintSize(key) + varintSize(body.length) + body.length + (index > 0 ? 1 + varintSize(index) : 0) + (fileDigest ? 2 + FILE_DIGEST_BYTES : 0) + 5;
    out.byte(FRAME_KEY);
    out.varint(inner);
    const packetStart = out.pos;
    out.varint(key);
    out.varint(body.length);
    out.bytes(body);
    if (index > 0) {
      out.byte(INDEX_KEY);
      out.varint(index);
    }
    if (fileDigest) {
      out.byte(FILE_DIGEST_KEY);
      out.byte(FILE_DIGEST_BYTES);
      out.bytes(fileDigest);
    }
    const crc = crc32(out.buf.subarray(packetStart, out.pos));
    out.ensure(5);
    out.byte(CRC_KEY);
    out.byte(crc & 0xff);
    out.byte((crc >>> 8) & 0xff);
    out.byte((crc >>> 16) & 0xff);
    out.byte(crc >>> 24);
    this.digest.update(out.buf.subarray(start, out.pos));
  }
}

/** A packet as the reader finds it inside its frame. */
export interface ParsedPacket {
  /** Packet.body field number (PacketField). */
  field: number;
  bodyStart: number;
  bodyLength: number;
  index: number;
  fileDigest: Uint8Array | null;
  /** Whether the stored CRC matches the packet's bytes. */
  crcOk: boolean;
}

/**
 * Parse the packet inside a frame: `buf[at, at + len)` holds the frame's contents, which start at file
 * offset `start`. Structure errors throw BAD_PACKET; a CRC mismatch is reported in `crcOk` so the
 * caller decides between failing and salvaging.
 */
export function parsePacket(buf: Uint8Array, at: number, len: number, start: number, frameOffset: number): ParsedPacket {
  const end = at + len;
  const bad = (why: string): TraceFormatError => new TraceFormatError('BAD_PACKET', why, frameOffset);
  let pos = at;
  const varint = (what: string): number => {
    let v = 0;
    let mul = 1;
    const from = pos;
    for (;;) {
      if (pos >= end) throw bad(`the packet ends inside its ${what}`);
      const b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (pos - from >= 8) throw bad(`the packet's ${what} is not a valid varint`);
    }
    if (pos - from !== varintSize(v)) throw bad(`the packet's ${what} is not minimally encoded`);
    return v;
  };
  const key = varint('key');
  if ((key & 7) !== 2 || key < 8) throw bad(`the packet body has wire type ${key & 7}`);
  const bodyLength = varint('body length');
  const bodyStart = pos;
  if (bodyLength > end - bodyStart) throw bad('the packet body runs past its frame');
  pos += bodyLength;
  let index = 0;
  if (pos < end && buf[pos] === INDEX_KEY) {
    pos++;
    index = varint('index');
    if (index === 0) throw bad('the packet index 0 is written (it must be omitted)');
  }
  let fileDigest: Uint8Array | null = null;
  if (pos < end && buf[pos] === FILE_DIGEST_KEY) {
    if (end - pos < 2 + FILE_DIGEST_BYTES || buf[pos + 1] !== FILE_DIGEST_BYTES) throw bad('the file digest is not 32 bytes');
    fileDigest = buf.slice(pos + 2, pos + 2 + FILE_DIGEST_BYTES);
    pos += 2 + FILE_DIGEST_BYTES;
  }
  if (end - pos !== 5 || buf[pos] !== CRC_KEY) throw bad('the packet does not end with its checksum');
  const stored = (buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16) | (buf[pos + 4]! << 24)) >>> 0;
  const crcOk = crc32(buf.subarray(at, pos)) === stored;
  const field = Math.floor(key / 8);
  if (crcOk && (fileDigest !== null) !== (field === PacketField.footer)) {
    throw bad(field === PacketField.footer ? 'the footer holds no file digest' : 'a file digest outside the footer');
  }
  return { field, bodyStart: start + (bodyStart - at), bodyLength, index, fileDigest, crcOk };
}

/** A running SHA-256 over the file's bytes, as a reader sees them. */
export class FileDigest {
  private readonly hash: Hash = createHash('sha256');
  update(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }
  /** The digest of everything so far (the hash goes on). */
  peek(): Uint8Array {
    return this.hash.copy().digest();
  }
}

/** Equal byte arrays, compared in full. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
