/**
 * Crafting trace files for tests: a valid file's packets framed again (fresh indexes, checksums and file
 * digest) after an edit, as a stranger who knows the format would make them. Such a file passes every
 * integrity check, so what it claims must be caught by validation, not by the checks.
 */
import { PacketField } from '../../tracer/format.js';
import { PacketFramer } from '../../tracer/framing.js';
import { decodeHeader, encodeHeader, type HeaderData } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { ByteWriter } from '../../tracer/varint.js';

/** Every packet of `bytes`, in order, as (field, body). */
export function packetsOf(bytes: Uint8Array): { field: number; body: Uint8Array }[] {
  const r = TraceReader.fromBytes(bytes);
  return r.packetRefs.map((p) => ({ field: p.field, body: r.chunkBody(p).slice() }));
}

/** Frame packets into a file with valid checks. */
export function frameFile(packets: readonly { field: number; body: Uint8Array }[]): Uint8Array {
  const w = new ByteWriter();
  const f = new PacketFramer(w);
  for (const p of packets) f.frame(p.field, p.body);
  return w.toBytes();
}

/** The same file with its header edited, every check made valid again. */
export function withEditedHeader(bytes: Uint8Array, edit: (h: HeaderData) => void): Uint8Array {
  return frameFile(
    packetsOf(bytes).map((p) => {
      if (p.field !== PacketField.header) return p;
      const h = decodeHeader(p.body, 0);
      edit(h);
      return { field: p.field, body: encodeHeader(h) };
    }),
  );
}

/** Byte ranges of each packet's frame in the file (offset to the next packet or the end). */
export function packetSpans(bytes: Uint8Array): { field: number; index: number; start: number; end: number }[] {
  const r = TraceReader.fromBytes(bytes);
  const refs = r.packetRefs;
  return refs.map((p, i) => ({ field: p.field, index: p.index, start: p.offset, end: refs[i + 1]?.offset ?? bytes.length }));
}
