/**
 * Streaming trace reader. Opening a file makes one sequential pass over its packet framing: the small
 * packets (header, strings, threads, footer) are decoded, chunks and tape packets are only indexed.
 * Events are then decoded a chunk at a time, either in file order (columnar, for loaders) or merged
 * across threads into global sequence order (for dump, replay). Memory stays at one decoded chunk per
 * thread plus the index.
 *
 * Every packet's checksum and index and the footer's digest of the whole file are checked on the way
 * (tracer/framing.ts), so a changed, missing or moved byte is found and located. A file cut short is
 * read up to its last whole packet and reported in `truncated`; everything else that is wrong raises a
 * TraceFormatError naming the packet and byte offset, or, with `salvage`, is stepped over and listed in
 * `damage` with what was dropped.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { decodeChoiceChunk, decodeEventChunk, readChunkHead, type DecodedChunk } from './chunk-codec.js';
import { TraceFormatError, type TraceErrorCode } from './errors.js';
import { FILE_DIGEST_BYTES, FORMAT_VERSION, FRAME_KEY, MAGIC, MAX_PACKET_BYTES, OLDEST_FORMAT_VERSION, PacketField } from './format.js';
import { FileDigest, parsePacket, sameBytes, type ParsedPacket } from './framing.js';
import { checkFooter, checkHeader, checkThread, LIMITS } from './limits.js';
import { BlobIndex, type BlobRef } from './blob-index.js';
import { contentSizes, countRootEntries } from './rootfs.js';
import {
  decodeFileBlob,
  decodeFooter,
  decodeHeader,
  decodeStringTable,
  decodeThread,
  type FooterData,
  type HeaderData,
  type StringTableData,
  type ThreadDescriptorData,
} from './packets.js';
import { varintSize, WireCursor } from './varint.js';

const FIELD_NAMES: Record<number, string> = { 1: 'header', 2: 'string table', 3: 'thread descriptor', 4: 'event chunk', 5: 'tape', 6: 'footer', 7: 'file blob' };

/** What a packet of this Packet.body field is, for messages. */
export function fieldName(field: number): string {
  return FIELD_NAMES[field] ?? `unknown (field ${field})`;
}

/** Random access to the bytes of a trace. */
export interface ByteSource {
  readonly size: number;
  /** Bytes [offset, offset + length); the caller guarantees the range lies inside the source. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  constructor(readonly path: string) {
    let kind: string | undefined;
    try {
      // Looked at before opening: opening a FIFO with no writer would block for ever.
      const st = statSync(path);
      if (st.isDirectory()) kind = 'is a directory';
      else if (!st.isFile()) kind = 'is not a regular file (a trace is read by seeking: save it to a file first)';
      this.fd = kind ? -1 : openSync(path, 'r');
      this.size = kind ? 0 : fstatSync(this.fd).size;
    } catch (e) {
      throw new TraceFormatError('IO', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (kind) throw new TraceFormatError('IO', `cannot read ${path}: it ${kind}`);
  }
  read(offset: number, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, out, got, length - got, offset + got);
      if (n === 0) throw new TraceFormatError('IO', `${this.path} shrank while being read`, offset + got);
      got += n;
    }
    return out;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Where a packet lies in the file. */
export interface PacketRef {
  /** Offset of the packet's frame. */
  offset: number;
  bodyStart: number;
  bodyLength: number;
  /** The packet's index (its position in the file as written). */
  index: number;
  /** Packet.body field number (PacketField). */
  field: number;
}

export interface ChunkRef extends PacketRef {
  thread: number;
  chunkIndex: number;
  firstSeq: number;
  firstTime: number;
  count: number;
}

export interface Truncation {
  /** Offset where readable data ends. */
  offset: number;
  reason: string;
}

/** A problem a salvaging reader stepped over, and what it dropped. */
export interface Damage {
  code: TraceErrorCode;
  /** The packet concerned (its expected index), when known. */
  packet: number | undefined;
  offset: number | undefined;
  reason: string;
  /** What was left out because of it. */
  dropped: string;
}

/** One event in decoded form. */
export interface TraceEvent {
  seq: number;
  time: number;
  thread: number;
  kind: number;
  args: number[];
}

export interface ReaderOptions {
  /** Treat a packet that runs past the end of the file as an error instead of a cut. */
  strict?: boolean;
  /**
   * Read a damaged file as far as it can be believed: packets that fail their checks are dropped and
   * listed in `damage` instead of failing the open. The header must be intact.
   */
  salvage?: boolean;
}

export interface EventFilter {
  threads?: ReadonlySet<number>;
  kinds?: ReadonlySet<number>;
  fromSeq?: number;
  toSeq?: number;
}

const BLOCK = 4 << 20;

/** Sequential windowed access used by the indexing pass. */
class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  constructor(private readonly src: ByteSource) {}
  /** Bytes [offset, offset + n) as (buffer, index of offset in it). n must fit in the source. */
  get(offset: number, n: number): [Uint8Array, number] {
    if (offset < this.start || offset + n > this.start + this.buf.length) {
      const len = Math.min(Math.max(n, BLOCK), this.src.size - offset);
      this.buf = this.src.read(offset, len);
      this.start = offset;
    }
    return [this.buf, offset - this.start];
  }
}

/** A frame located in the file, with its packet parsed. */
interface Frame extends ParsedPacket {
  end: number;
}

export class TraceReader {
  header!: HeaderData;
  readonly strings: string[] = [''];
  readonly threads: ThreadDescriptorData[] = [];
  footer: FooterData | undefined;
  readonly chunks: ChunkRef[] = [];
  readonly choiceRefs: PacketRef[] = [];
  /** Every packet read, in file order. */
  readonly packetRefs: PacketRef[] = [];
  truncated: Truncation | undefined;
  /** What a salvaging reader dropped (always empty without `salvage`: damage throws instead). */
  readonly damage: Damage[] = [];
  /** Thread indexes whose descriptor was lost (salvage): they carry a placeholder. */
  readonly lostThreads = new Set<number>();
  packets = 0;
  /** Bytes taken by event chunk packets (framing included). */
  chunkBytes = 0;
  readonly size: number;
  private readonly byThread: ChunkRef[][] = [];
  /** The root file system's file contents the file embeds (FileBlob packets), checked and indexed. */
  private blobIndex: BlobIndex = new BlobIndex(new Map());
  private expectIndex = 0;
  private readonly digest = new FileDigest();

  private constructor(private readonly src: ByteSource, private readonly opts: ReaderOptions) {
    this.size = src.size;
    this.scan();
  }

  static open(path: string, opts: ReaderOptions = {}): TraceReader {
    const src = new FileSource(path);
    try {
      return new TraceReader(src, opts);
    } catch (e) {
      src.close();
      throw e;
    }
  }

  static fromBytes(bytes: Uint8Array, opts: ReaderOptions = {}): TraceReader {
    return new TraceReader(new MemorySource(bytes), opts);
  }

  close(): void {
    this.src.close();
  }

  /** Whether every packet passed its checks (a cut file is intact up to its cut). */
  get intact(): boolean {
    return this.damage.length === 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Indexing pass

  private scan(): void {
    const size = this.src.size;
    if (size < MAGIC.length) throw new TraceFormatError('BAD_MAGIC', `not an l4trace file: only ${size} bytes`);
    const magic = this.src.read(0, MAGIC.length);
    for (let i = 0; i < MAGIC.length; i++) {
      if (magic[i] !== MAGIC[i]) throw new TraceFormatError('BAD_MAGIC', 'not an l4trace file (wrong magic line)', 0);
    }
    this.digest.update(magic);
    const win = new Window(this.src);
    let off = MAGIC.length;
    while (off < size) {
      if (this.footer) {
        this.problem(new TraceFormatError('BAD_PACKET', 'data after the footer', off, this.expectIndex), 'everything after the footer');
        break;
      }
      let frame: Frame | undefined;
      try {
        frame = this.frameAt(win, off);
      } catch (e) {
        if (!(e instanceof TraceFormatError)) throw e;
        this.problem(e.atPacket(this.expectIndex), 'the packet whose frame is damaged');
        const next = this.resync(win, off + 1);
        if (next < 0) break;
        this.damage[this.damage.length - 1]!.dropped += ` (bytes ${off}..${next - 1})`;
        off = next;
        continue;
      }
      if (!frame) break;
      this.take(win, off, frame);
      off = frame.end;
    }
    if (!this.headerSeen) {
      const why = this.truncated ? `the file was cut inside its header packet (${this.truncated.reason})` : 'the file holds no readable header packet';
      throw new TraceFormatError('NO_HEADER', why, MAGIC.length, 0);
    }
    if (!this.footer && !this.truncated) {
      this.truncated = { offset: off, reason: `no footer: the file ends after ${this.packets} whole packets (recording cut short)` };
    }
  }

  private headerSeen = false;

  /** Check one framed packet's checksum and index, feed the file digest, and decode what it holds. */
  private take(win: Window, off: number, frame: Frame): void {
    const index = this.expectIndex;
    const before = frame.field === PacketField.footer ? this.digest.peek() : null;
    const [buf, at] = win.get(off, frame.end - off);
    this.digest.update(buf.subarray(at, at + frame.end - off));
    if (!frame.crcOk) {
      this.expectIndex++;
      this.problem(new TraceFormatError('BAD_CHECK', `${fieldName(frame.field)} packet does not match its checksum: its bytes were changed`, off, index), `packet #${index}`);
      return;
    }
    if (frame.index !== index) {
      if (frame.index < index) {
        this.problem(
          new TraceFormatError('BAD_SEQUENCE', `packet #${frame.index} (${fieldName(frame.field)}) comes after packet #${index - 1}: packets were swapped or repeated`, off, frame.index),
          `packet #${frame.index} (out of place)`,
        );
        return;
      }
      const gap = frame.index - index === 1 ? `packet #${index} is` : `packets #${index}..#${frame.index - 1} are`;
      this.problem(new TraceFormatError('MISSING_PACKET', `${gap} missing: the next packet found is #${frame.index}`, off, frame.index), 'nothing more (what the missing packets held)');
      this.expectIndex = frame.index;
    }
    this.expectIndex++;
    if (!this.headerSeen && frame.field !== PacketField.header) {
      // Salvaging past a damaged header: name the header's own damage (packet #0 and where it is), not
      // the packet after it where the reader found out (issue 12's acceptance test: a changed header byte
      // was reported as "packet #1").
      const first = this.damage[0];
      if (index > 0 && first) throw new TraceFormatError('NO_HEADER', `the header packet is damaged (${first.reason}): nothing in the file can be believed without it`, first.offset, first.packet);
      throw new TraceFormatError('NO_HEADER', index === 0 ? 'the first packet is not a header' : 'the header packet is damaged: nothing in the file can be believed without it', off, index);
    }
    try {
      this.decodePacket(buf.subarray(at + (frame.bodyStart - off), at + (frame.bodyStart - off) + frame.bodyLength), off, frame, before);
    } catch (e) {
      if (!(e instanceof TraceFormatError) || frame.field === PacketField.header) throw e instanceof TraceFormatError ? e.atPacket(index) : e;
      this.problem(e.atPacket(index), `packet #${index} (${fieldName(frame.field)})`);
      return;
    }
    this.packetRefs.push({ offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength, index, field: frame.field });
    this.packets++;
  }

  private decodePacket(body: Uint8Array, off: number, frame: Frame, digestBefore: Uint8Array | null): void {
    if (this.blobIndex.refs.length > 0 && frame.field !== PacketField.blob && frame.field !== PacketField.footer) {
      throw new TraceFormatError('BAD_ORDER', `a ${fieldName(frame.field)} packet after the file blobs (they come last, before the footer)`, off);
    }
    switch (frame.field) {
      case PacketField.header:
        if (this.headerSeen) throw new TraceFormatError('BAD_PACKET', 'a second header', off);
        this.checkRootEntryCount(body, off);
        this.header = decodeHeader(body, off);
        this.checkVersion(off);
        checkHeader(this.header, off);
        this.blobIndex = new BlobIndex(contentSizes(this.header.rootfs));
        this.headerSeen = true;
        return;
      case PacketField.blob:
        this.blobIndex.take(decodeFileBlob(body, off), { offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength, index: this.expectIndex - 1 });
        return;
      case PacketField.strings:
        return this.takeStrings(decodeStringTable(body, off), off);
      case PacketField.thread:
        return this.takeThread(decodeThread(body, off), off);
      case PacketField.chunk:
        return this.takeChunk(body, off, frame);
      case PacketField.choices:
        this.choiceRefs.push({ offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength, index: this.expectIndex - 1, field: frame.field });
        return;
      case PacketField.footer: {
        const footer = decodeFooter(body, off);
        checkFooter(footer, this.threads.length, off);
        // The footer passed its own checksum, so what it says is kept even when the file around it is
        // damaged; a digest mismatch is news only when no packet before it failed already.
        this.footer = footer;
        if (!sameBytes(frame.fileDigest!, digestBefore!) && this.damage.length === 0) {
          this.problem(
            new TraceFormatError('BAD_DIGEST', "the footer's digest of the file does not match the bytes before it: packets were added, removed, reordered or taken from another file", off, this.expectIndex - 1),
            'nothing (the packets themselves passed their checks)',
          );
        }
        return;
      }
      default:
        // A packet kind from a later compatible version: skipped.
        return;
    }
  }

  /** The header's root file system is bounded before the decoder builds an object per entry. */
  private checkRootEntryCount(body: Uint8Array, off: number): void {
    const n = countRootEntries(body, off);
    if (n > LIMITS.rootfsEntries) throw new TraceFormatError('BAD_HEADER', `the root file system: ${n} entries (at most ${LIMITS.rootfsEntries})`, off);
  }

  private takeStrings(t: StringTableData, off: number): void {
    if (t.firstId < this.strings.length) {
      throw new TraceFormatError('BAD_PACKET', `string table starts at id ${t.firstId}, expected ${this.strings.length}`, off);
    }
    if (t.firstId > this.strings.length) {
      if (!this.opts.salvage) throw new TraceFormatError('BAD_PACKET', `string table starts at id ${t.firstId}, expected ${this.strings.length}`, off);
      while (this.strings.length < t.firstId) this.strings.push(`?${this.strings.length}`); // lost with a dropped table
    }
    for (const v of t.value) this.strings.push(v);
  }

  private takeThread(t: ThreadDescriptorData, off: number): void {
    if (t.index < this.threads.length || (t.index > this.threads.length && !this.opts.salvage)) {
      throw new TraceFormatError('BAD_PACKET', `thread descriptor #${t.index} out of order (expected #${this.threads.length})`, off);
    }
    checkThread(t, this.header, off);
    while (this.threads.length < t.index) this.addLostThread();
    this.threads.push(t);
    this.byThread.push([]);
  }

  /** A placeholder for a thread whose descriptor a salvaging reader dropped. */
  private addLostThread(): void {
    const index = this.threads.length;
    this.lostThreads.add(index);
    this.threads.push({ index, l4Id: 0, name: 0, task: 0, lthread: 0, version: 0, kind: 0, cpu: 0, priority: 0, policy: 0, capacityChunks: 0, linuxPid: 0, createdSeq: 0, taskName: 0, linuxTgid: 0 });
    this.byThread.push([]);
  }

  private takeChunk(body: Uint8Array, off: number, frame: Frame): void {
    const head = readChunkHead(body, 0, body.length, frame.bodyStart);
    const list = this.byThread[head.thread];
    if (!list) throw new TraceFormatError('BAD_PACKET', `chunk of unknown thread #${head.thread}`, off);
    const prev = list[list.length - 1];
    if (prev && (head.chunkIndex <= prev.chunkIndex || head.firstSeq <= prev.firstSeq)) {
      throw new TraceFormatError('BAD_ORDER', `chunk ${head.chunkIndex} of thread #${head.thread} does not follow chunk ${prev.chunkIndex}`, off);
    }
    const ref: ChunkRef = { offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength, index: this.expectIndex - 1, field: frame.field, ...head };
    list.push(ref);
    this.chunks.push(ref);
    this.chunkBytes += frame.end - off;
  }

  /** Throw `e`, or (salvaging) note it with what is dropped because of it. */
  private problem(e: TraceFormatError, dropped: string): void {
    if (!this.opts.salvage) throw e;
    this.damage.push({ code: e.code, packet: e.packet, offset: e.offset, reason: e.reason, dropped });
  }

  /** After damaged framing: the offset of the next frame whose packet passes its checksum, or -1. */
  private resync(win: Window, from: number): number {
    const size = this.src.size;
    for (let p = from; p < size; p++) {
      const [buf, at] = win.get(p, 1);
      if (buf[at] !== FRAME_KEY) continue;
      try {
        const f = this.frameAt(win, p, true);
        if (f && f.crcOk) return p;
      } catch {
        // not a frame here
      }
    }
    return -1;
  }

  /**
   * Parse the framing of the packet at `off`. Returns undefined (and records the cut) when the file ends
   * inside it. `probing` (resync) neither records cuts nor reports lengths past the end.
   */
  private frameAt(win: Window, off: number, probing = false): Frame | undefined {
    const size = this.src.size;
    const avail = Math.min(24, size - off);
    const [buf, at] = win.get(off, avail);
    if (buf[at] !== FRAME_KEY) throw new TraceFormatError('BAD_PACKET', `expected a packet frame, found byte 0x${buf[at]!.toString(16)}`, off);
    const c = new WireCursor(buf, at + 1, at + avail, off - at);
    let len: number;
    try {
      len = c.varint();
    } catch (e) {
      // Only a varint that runs into the end of the file is a cut; one that has the bytes and is still
      // not a valid length (over 10 bytes, above 2^53) is damage.
      if (probing || !(c.done && off + avail === size)) throw new TraceFormatError('BAD_LENGTH', `packet length is not a valid varint (${(e as Error).message})`, off);
      return this.cut(off, 'the file ends inside a packet length');
    }
    if (len > MAX_PACKET_BYTES) throw new TraceFormatError('BAD_LENGTH', `packet length ${len} exceeds the ${MAX_PACKET_BYTES}-byte limit`, off);
    if (c.pos - (at + 1) !== varintSize(len)) throw new TraceFormatError('BAD_LENGTH', 'packet length is not minimally encoded', off);
    const start = c.pos - at + off;
    if (len > size - start) {
      if (probing) return undefined;
      const msg = `packet at byte ${off} declares ${len} bytes but only ${size - start} remain`;
      if (this.opts.strict) throw new TraceFormatError('LENGTH_PAST_END', `length prefix larger than the file: ${msg}`, off);
      this.checkCutPacket(win, off, start, len);
      return this.cut(off, msg);
    }
    if (len === 0) throw new TraceFormatError('BAD_PACKET', 'empty packet', off);
    const [pbuf, pat] = win.get(start, len);
    const packet = parsePacket(pbuf, pat, len, start, off);
    return { ...packet, end: start + len };
  }

  /**
   * A packet that runs past the end of the file is a cut only if the packet itself agrees with its frame:
   * its key and body length, plus the index and checksum that follow the body, must add up to the frame's
   * length. A frame length that was damaged (a flipped bit, a wrong value) disagrees with it; so does one
   * whose first bytes are not a packet at all. When too few bytes remain to tell, it is a cut.
   */
  private checkCutPacket(win: Window, off: number, start: number, len: number): void {
    const avail = Math.min(16, this.src.size - start);
    const [buf, at] = win.get(start, avail);
    const inner = new WireCursor(buf, at, at + avail, start - at);
    let key: number;
    let bodyLen: number;
    try {
      key = inner.varint();
      bodyLen = inner.varint();
    } catch {
      return; // the file ends inside the packet's own key or length: nothing to compare
    }
    const claimed = `packet at byte ${off}: its frame declares ${len} bytes, more than the ${this.src.size - start} left in the file`;
    if ((key & 7) !== 2) throw new TraceFormatError('LENGTH_PAST_END', `${claimed}, and what follows is not a packet (wire type ${key & 7}): a damaged length, not a cut`, off, this.expectIndex);
    const index = this.expectIndex;
    const trailer = (index > 0 ? 1 + varintSize(index) : 0) + (Math.floor(key / 8) === PacketField.footer ? 2 + FILE_DIGEST_BYTES : 0) + 5;
    const expected = len - (inner.pos - at) - trailer;
    if (bodyLen !== expected) {
      throw new TraceFormatError('LENGTH_PAST_END', `${claimed}, but the packet inside says ${bodyLen} body bytes (the frame implies ${expected}): a damaged length, not a cut`, off, index);
    }
  }

  private cut(off: number, reason: string): undefined {
    this.truncated = { offset: off, reason };
    return undefined;
  }

  private checkVersion(off: number): void {
    const v = this.header.formatVersion;
    if (v > FORMAT_VERSION) {
      throw new TraceFormatError(
        'FUTURE_VERSION',
        `trace format version ${v} is newer than this l4trace understands (format ${FORMAT_VERSION}); written by l4trace ${this.header.toolVersion || '?'}`,
        off,
      );
    }
    if (v < 1) throw new TraceFormatError('BAD_PACKET', 'header has no format version', off);
    if (v < OLDEST_FORMAT_VERSION) {
      throw new TraceFormatError(
        'OLD_VERSION',
        `trace format version ${v} (written by l4trace ${this.header.toolVersion || '?'}) has no integrity checks; this l4trace reads format ${OLDEST_FORMAT_VERSION}..${FORMAT_VERSION}: record it again`,
        off,
      );
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Access

  /** The file blobs the trace embeds, in file order (sorted by hash). */
  get blobRefs(): readonly BlobRef[] {
    return this.blobIndex.refs;
  }

  /** Bytes of file content the blobs hold. */
  get blobBytes(): number {
    return this.blobIndex.bytes;
  }

  /** The embedded file contents by SHA-256 (hex), read from the file (they were checked when it was opened). */
  blobs(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const ref of this.blobIndex.refs) out.set(ref.sha256, decodeFileBlob(this.src.read(ref.bodyStart, ref.bodyLength), ref.offset).data);
    return out;
  }

  /** The string with id `id`, or a placeholder for an id the file never defined. */
  string(id: number): string {
    return this.strings[id] ?? `?${id}`;
  }

  threadName(index: number): string {
    const t = this.threads[index];
    if (this.lostThreads.has(index)) return `#${index} (descriptor lost)`;
    return t ? this.string(t.name) : `#${index}`;
  }

  /** The thread's name, with `#index` added when another thread has the same name (dump lines). */
  threadLabel(index: number): string {
    const name = this.threadName(index);
    if (!this.sharedNames) {
      const seen = new Map<string, number>();
      for (let i = 0; i < this.threads.length; i++) seen.set(this.threadName(i), (seen.get(this.threadName(i)) ?? 0) + 1);
      this.sharedNames = new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
    }
    return this.sharedNames.has(name) ? `${name}#${index}` : name;
  }

  private sharedNames: Set<string> | undefined;

  chunksOf(thread: number): readonly ChunkRef[] {
    return this.byThread[thread] ?? [];
  }

  /** Raw EventChunk body bytes. */
  chunkBody(ref: PacketRef): Uint8Array {
    return this.src.read(ref.bodyStart, ref.bodyLength);
  }

  decodeChunk(ref: ChunkRef): DecodedChunk {
    const body = this.src.read(ref.bodyStart, ref.bodyLength);
    let chunk: DecodedChunk;
    try {
      chunk = decodeEventChunk(body, 0, body.length, ref.bodyStart);
    } catch (e) {
      throw e instanceof TraceFormatError ? e.atPacket(ref.index) : e;
    }
    if (chunk.thread >= this.threads.length) throw new TraceFormatError('BAD_PACKET', `chunk of unknown thread #${chunk.thread}`, ref.offset, ref.index);
    return chunk;
  }

  /** The largest sequence number of an event the file holds (-1 when none): each thread's last chunk, decoded. */
  lastSeq(): number {
    let last = -1;
    for (const list of this.byThread) {
      const ref = list[list.length - 1];
      if (!ref) continue;
      const c = this.decodeChunk(ref);
      if (c.count > 0) last = Math.max(last, c.seqs[c.count - 1]!);
    }
    return last;
  }

  /** Every chunk in file order, decoded. */
  *decodedChunks(): Generator<DecodedChunk> {
    for (const ref of this.chunks) yield this.decodeChunk(ref);
  }

  /** Events merged across threads in global sequence order. */
  *events(filter: EventFilter = {}): Generator<TraceEvent> {
    const from = filter.fromSeq ?? 0;
    const to = filter.toSeq ?? Infinity;
    const cursors: Cursor[] = [];
    for (let t = 0; t < this.byThread.length; t++) {
      if (filter.threads && !filter.threads.has(t)) continue;
      const list = this.byThread[t]!;
      // Skip chunks that end before `from`: a chunk ends before the next one starts.
      let ci = 0;
      while (ci + 1 < list.length && list[ci + 1]!.firstSeq <= from) ci++;
      if (ci < list.length) cursors.push({ list, ci, chunk: undefined, i: 0 });
    }
    const heap = new CursorHeap();
    for (const c of cursors) if (this.advance(c, from)) heap.push(c);
    let last = -1;
    while (heap.size > 0) {
      const c = heap.peek();
      const ch = c.chunk!;
      const i = c.i;
      const seq = ch.seqs[i]!;
      if (seq > to) break;
      if (seq <= last) throw new TraceFormatError('BAD_ORDER', `sequence number ${seq} appears twice (threads disagree)`, c.list[c.ci]!.offset, c.list[c.ci]!.index);
      last = seq;
      const kind = ch.kinds[i]!;
      if (!filter.kinds || filter.kinds.has(kind)) {
        const args: number[] = [];
        for (let a = ch.argStart[i]!; a < ch.argStart[i + 1]!; a++) args.push(ch.args[a]!);
        yield { seq, time: ch.times[i]!, thread: ch.thread, kind, args };
      }
      c.i++;
      if (this.advance(c, from)) heap.replaceTop(c);
      else heap.pop();
    }
  }

  /** Move a cursor to its next event with seq >= from; false when the thread has no more. */
  private advance(c: Cursor, from: number): boolean {
    for (;;) {
      if (c.chunk && c.i < c.chunk.count) {
        if (c.chunk.seqs[c.i]! >= from) return true;
        c.i++;
        continue;
      }
      if (c.chunk) c.ci++;
      if (c.ci >= c.list.length) return false;
      c.chunk = this.decodeChunk(c.list[c.ci]!);
      c.i = 0;
    }
  }

  /**
   * The decision tape as parallel arrays. A salvaged file's tape ends at its first missing piece (the
   * choices after a gap cannot be placed).
   */
  tape(): { sites: number[]; values: number[]; ranges: number[]; seqs: number[] } {
    const out = { sites: [] as number[], values: [] as number[], ranges: [] as number[], seqs: [] as number[] };
    let seq = 0;
    for (const ref of this.choiceRefs) {
      const body = this.src.read(ref.bodyStart, ref.bodyLength);
      let d: ReturnType<typeof decodeChoiceChunk>;
      try {
        d = decodeChoiceChunk(body, 0, body.length, ref.bodyStart);
      } catch (e) {
        if (this.opts.salvage && e instanceof TraceFormatError) break;
        throw e instanceof TraceFormatError ? e.atPacket(ref.index) : e;
      }
      if (d.firstIndex !== out.sites.length) {
        if (this.opts.salvage) break;
        throw new TraceFormatError('BAD_PACKET', `tape chunk starts at ${d.firstIndex}, expected ${out.sites.length}`, ref.offset, ref.index);
      }
      for (let i = 0; i < d.sites.length; i++) {
        seq += d.seqs[i]!;
        out.sites.push(d.sites[i]!);
        out.values.push(d.values[i]!);
        out.ranges.push(d.ranges[i]!);
        out.seqs.push(seq);
      }
    }
    return out;
  }

  /**
   * Recompute each thread's hash chain from the chunks in the file and compare with the footer.
   * Only threads that lost nothing can be checked (the chain covers lost chunks too).
   */
  verifyHashes(): { thread: number; status: 'ok' | 'mismatch' | 'unchecked' }[] {
    if (!this.footer) return [];
    return this.footer.threads.map((s) => {
      const list = this.byThread[s.thread] ?? [];
      if (s.chunksLost > 0 || list.length !== s.chunks) return { thread: s.thread, status: 'unchecked' as const };
      let h: Uint8Array = new Uint8Array(32);
      for (const ref of list) h = createHash('sha256').update(h).update(this.chunkBody(ref)).digest();
      return { thread: s.thread, status: Buffer.from(h).equals(Buffer.from(s.hash)) ? ('ok' as const) : ('mismatch' as const) };
    });
  }
}

interface Cursor {
  list: ChunkRef[];
  ci: number;
  chunk: DecodedChunk | undefined;
  i: number;
}

/** Min-heap of cursors by their current event's sequence number. */
class CursorHeap {
  private readonly a: Cursor[] = [];
  get size(): number {
    return this.a.length;
  }
  private key(c: Cursor): number {
    return c.chunk!.seqs[c.i]!;
  }
  peek(): Cursor {
    return this.a[0]!;
  }
  push(c: Cursor): void {
    const a = this.a;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.key(a[p]!) <= this.key(a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.down();
    }
  }
  replaceTop(c: Cursor): void {
    this.a[0] = c;
    this.down();
  }
  private down(): void {
    const a = this.a;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.key(a[l]!) < this.key(a[m]!)) m = l;
      if (r < a.length && this.key(a[r]!) < this.key(a[m]!)) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
  }
}
