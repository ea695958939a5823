/**
 * Streaming trace reader. Opening a file makes one sequential pass over its packet framing: the small
 * packets (header, strings, threads, footer) are decoded, chunks and tape packets are only indexed.
 * Events are then decoded a chunk at a time, either in file order (columnar, for loaders) or merged
 * across threads into global sequence order (for dump, replay). Memory stays at one decoded chunk per
 * thread plus the index.
 *
 * A file cut short is read up to its last whole packet and reported in `truncated`; everything else
 * that is wrong raises a TraceFormatError.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { decodeChoiceChunk, decodeEventChunk, readChunkHead, type DecodedChunk } from './chunk-codec.js';
import { TraceFormatError } from './errors.js';
import { FORMAT_VERSION, FRAME_KEY, MAGIC, MAX_PACKET_BYTES, PacketField } from './format.js';
import {
  decodeFooter,
  decodeHeader,
  decodeStringTable,
  decodeThread,
  type FooterData,
  type HeaderData,
  type ThreadDescriptorData,
} from './packets.js';
import { WireCursor } from './varint.js';

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

/** Where a packet's body lies in the file. */
export interface PacketRef {
  offset: number;
  bodyStart: number;
  bodyLength: number;
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

export class TraceReader {
  header!: HeaderData;
  readonly strings: string[] = [''];
  readonly threads: ThreadDescriptorData[] = [];
  footer: FooterData | undefined;
  readonly chunks: ChunkRef[] = [];
  readonly choiceRefs: PacketRef[] = [];
  truncated: Truncation | undefined;
  packets = 0;
  /** Bytes taken by event chunk packets (framing included). */
  chunkBytes = 0;
  readonly size: number;
  private readonly byThread: ChunkRef[][] = [];

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

  // -------------------------------------------------------------------------------------------------
  // Indexing pass

  private scan(): void {
    const size = this.src.size;
    if (size < MAGIC.length) throw new TraceFormatError('BAD_MAGIC', `not an l4trace file: only ${size} bytes`);
    const magic = this.src.read(0, MAGIC.length);
    for (let i = 0; i < MAGIC.length; i++) {
      if (magic[i] !== MAGIC[i]) throw new TraceFormatError('BAD_MAGIC', 'not an l4trace file (wrong magic line)', 0);
    }
    const win = new Window(this.src);
    let off = MAGIC.length;
    let sawHeader = false;
    while (off < size) {
      if (this.footer) throw new TraceFormatError('BAD_PACKET', 'data after the footer', off);
      const frame = this.frameAt(win, off);
      if (!frame) break;
      const [buf, at] = win.get(frame.bodyStart, frame.bodyLength);
      const end = at + frame.bodyLength;
      if (!sawHeader && frame.field !== PacketField.header) {
        throw new TraceFormatError('NO_HEADER', 'the first packet is not a header', off);
      }
      switch (frame.field) {
        case PacketField.header:
          if (sawHeader) throw new TraceFormatError('BAD_PACKET', 'a second header', off);
          this.header = decodeHeader(buf.subarray(at, end), off);
          this.checkVersion(off);
          sawHeader = true;
          break;
        case PacketField.strings: {
          const t = decodeStringTable(buf.subarray(at, end), off);
          if (t.firstId !== this.strings.length) {
            throw new TraceFormatError('BAD_PACKET', `string table starts at id ${t.firstId}, expected ${this.strings.length}`, off);
          }
          for (const v of t.value) this.strings.push(v);
          break;
        }
        case PacketField.thread: {
          const t = decodeThread(buf.subarray(at, end), off);
          if (t.index !== this.threads.length) {
            throw new TraceFormatError('BAD_PACKET', `thread descriptor #${t.index} out of order (expected #${this.threads.length})`, off);
          }
          this.threads.push(t);
          this.byThread.push([]);
          break;
        }
        case PacketField.chunk: {
          const head = readChunkHead(buf, at, end, frame.bodyStart - at);
          const list = this.byThread[head.thread];
          if (!list) throw new TraceFormatError('BAD_PACKET', `chunk of unknown thread #${head.thread}`, off);
          const prev = list[list.length - 1];
          if (prev && (head.chunkIndex <= prev.chunkIndex || head.firstSeq <= prev.firstSeq)) {
            throw new TraceFormatError('BAD_ORDER', `chunk ${head.chunkIndex} of thread #${head.thread} does not follow chunk ${prev.chunkIndex}`, off);
          }
          const ref: ChunkRef = { offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength, ...head };
          list.push(ref);
          this.chunks.push(ref);
          this.chunkBytes += frame.end - off;
          break;
        }
        case PacketField.choices:
          this.choiceRefs.push({ offset: off, bodyStart: frame.bodyStart, bodyLength: frame.bodyLength });
          break;
        case PacketField.footer:
          this.footer = decodeFooter(buf.subarray(at, end), off);
          break;
        default:
          // A packet kind from a later compatible version: skipped.
          break;
      }
      this.packets++;
      off = frame.end;
    }
    if (!sawHeader) {
      const why = this.truncated ? `the file was cut inside its header packet (${this.truncated.reason})` : 'the file holds no header packet';
      throw new TraceFormatError('NO_HEADER', why, MAGIC.length);
    }
    if (!this.footer && !this.truncated) {
      this.truncated = { offset: off, reason: `no footer: the file ends after ${this.packets} whole packets (recording cut short)` };
    }
  }

  /**
   * Parse the framing of the packet at `off`. Returns undefined (and records the cut) when the file ends
   * inside it.
   */
  private frameAt(win: Window, off: number): { field: number; bodyStart: number; bodyLength: number; end: number } | undefined {
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
      if (!(c.done && off + avail === size)) throw new TraceFormatError('BAD_LENGTH', `packet length is not a valid varint (${(e as Error).message})`, off);
      return this.cut(off, 'the file ends inside a packet length');
    }
    if (len > MAX_PACKET_BYTES) throw new TraceFormatError('BAD_LENGTH', `packet length ${len} exceeds the ${MAX_PACKET_BYTES}-byte limit`, off);
    const start = c.pos - at + off;
    if (len > size - start) {
      const msg = `packet at byte ${off} declares ${len} bytes but only ${size - start} remain`;
      if (this.opts.strict) throw new TraceFormatError('LENGTH_PAST_END', `length prefix larger than the file: ${msg}`, off);
      this.checkCutPacket(win, off, start, len);
      return this.cut(off, msg);
    }
    if (len === 0) throw new TraceFormatError('BAD_PACKET', 'empty packet', off);
    const [pbuf, pat] = win.get(start, Math.min(len, 16));
    const inner = new WireCursor(pbuf, pat, pat + Math.min(len, 16), start - pat);
    const key = inner.varint();
    if ((key & 7) !== 2) throw new TraceFormatError('BAD_PACKET', `packet body has wire type ${key & 7}`, off);
    const bodyLen = inner.varint();
    const bodyStart = start + (inner.pos - pat);
    if (bodyStart + bodyLen !== start + len) throw new TraceFormatError('BAD_PACKET', 'packet body length disagrees with its frame', off);
    return { field: Math.floor(key / 8), bodyStart, bodyLength: bodyLen, end: start + len };
  }

  /**
   * A packet that runs past the end of the file is a cut only if the packet itself agrees with its frame:
   * every packet is a length-delimited field whose own length is `len` minus its key and length bytes.
   * A frame length that was damaged (a flipped bit, a wrong value) disagrees with it; so does one whose
   * first bytes are not a packet at all. When too few bytes remain to tell, it is a cut.
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
    if ((key & 7) !== 2) throw new TraceFormatError('LENGTH_PAST_END', `${claimed}, and what follows is not a packet (wire type ${key & 7}): a damaged length, not a cut`, off);
    const expected = len - (inner.pos - at);
    if (bodyLen !== expected) {
      throw new TraceFormatError('LENGTH_PAST_END', `${claimed}, but the packet inside says ${bodyLen} body bytes (the frame implies ${expected}): a damaged length, not a cut`, off);
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
  }

  // -------------------------------------------------------------------------------------------------
  // Access

  /** The string with id `id`, or a placeholder for an id the file never defined. */
  string(id: number): string {
    return this.strings[id] ?? `?${id}`;
  }

  threadName(index: number): string {
    const t = this.threads[index];
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
    const chunk = decodeEventChunk(body, 0, body.length, ref.bodyStart);
    if (chunk.thread >= this.threads.length) throw new TraceFormatError('BAD_PACKET', `chunk of unknown thread #${chunk.thread}`, ref.offset);
    return chunk;
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
      if (seq <= last) throw new TraceFormatError('BAD_ORDER', `sequence number ${seq} appears twice (threads disagree)`, c.list[c.ci]!.offset);
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

  /** The decision tape as parallel arrays. */
  tape(): { sites: number[]; values: number[]; ranges: number[]; seqs: number[] } {
    const out = { sites: [] as number[], values: [] as number[], ranges: [] as number[], seqs: [] as number[] };
    let seq = 0;
    for (const ref of this.choiceRefs) {
      const body = this.src.read(ref.bodyStart, ref.bodyLength);
      const d = decodeChoiceChunk(body, 0, body.length, ref.bodyStart);
      if (d.firstIndex !== out.sites.length) throw new TraceFormatError('BAD_PACKET', `tape chunk starts at ${d.firstIndex}, expected ${out.sites.length}`, ref.offset);
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
