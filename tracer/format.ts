/** Constants of the .l4t container; see tracer/trace.proto for the packets themselves. */

/** The magic line every trace file starts with. */
export const MAGIC = new TextEncoder().encode('L4TRACE\n');

/**
 * Layout version. Bump on any incompatible change: a payload field added to an event kind, a change
 * of column semantics. Readers refuse files with a higher version, and files older than
 * OLDEST_FORMAT_VERSION. Version 2 added the per-packet index and CRC and the footer's file digest.
 * The root file system (Header.rootfs, FileBlob packets) is a compatible addition within version 2:
 * trace.proto's rules say new packet kinds and header fields are skipped by readers that do not know
 * them, and such a reader's replay rebuilds a header without the root file system, which the verifier
 * reports as a header difference; so no bump (a bump would also change every golden trace's bytes).
 */
export const FORMAT_VERSION = 2;
export const OLDEST_FORMAT_VERSION = 2;

/** No packet may be larger than this; a length prefix above it is corruption, not a short file. */
export const MAX_PACKET_BYTES = 256 * 1024 * 1024;

/** Field numbers of `Packet.body` (trace.proto). */
export const PacketField = {
  header: 1,
  strings: 2,
  thread: 3,
  chunk: 4,
  choices: 5,
  footer: 6,
  blob: 7,
} as const;

/** The field of `TraceFile` that frames each packet: key 0x0A = field 1, length-delimited. */
export const FRAME_KEY = 0x0a;

/** The integrity fields of `Packet`, after its body (trace.proto), and their keys. */
export const INDEX_KEY = (13 << 3) | 0; // varint
export const FILE_DIGEST_KEY = (14 << 3) | 2; // length-delimited
export const CRC_KEY = (15 << 3) | 5; // fixed32
export const FILE_DIGEST_BYTES = 32;

/** Field numbers of `EventChunk`. */
export const ChunkField = {
  thread: 1,
  chunkIndex: 2,
  firstSeq: 3,
  firstTime: 4,
  count: 5,
  openStack: 6,
  tag: 7,
  dt: 8,
  u: 9,
  s: 10,
} as const;

/** Field numbers of `ChoiceChunk`. */
export const ChoiceField = {
  firstIndex: 1,
  site: 2,
  value: 3,
  range: 4,
  seqDelta: 5,
} as const;

/** An event's kind lives in the low 6 bits of its tag; the sequence gap above them. */
export const KIND_BITS = 6;
export const KIND_LIMIT = 1 << KIND_BITS;

/** Defaults for chunking; stored in every header so replay seals chunks at the same places. */
export const DEFAULT_CHUNK_EVENTS = 4096;
export const DEFAULT_CHUNK_BYTES = 32 * 1024;
