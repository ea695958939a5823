/**
 * The tracer: hands out global sequence numbers, owns the per-thread buffers, the string table and the
 * decision tape, and writes packets to a sink in a fixed order. Nothing here depends on host timing,
 * so the same sequence of calls always yields the same bytes.
 */
import { ChoiceBuffer } from './choice-buffer.js';
import { LIMITS } from './limits.js';
import { DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_EVENTS, FORMAT_VERSION, PacketField } from './format.js';
import {
  BufferPolicy,
  encodeFileBlob,
  encodeFooter,
  encodeHeader,
  encodeStringTable,
  encodeThread,
  type FileBlobData,
  type FooterData,
  type HeaderData,
  type MetricData,
  type StateDigestData,
  type ThreadDescriptorData,
} from './packets.js';
import type { TraceRecorder } from './recorder.js';
import type { TraceSink } from './sink.js';
import { ThreadBuffer, type BufferOwner } from './thread-buffer.js';
import { ByteWriter } from './varint.js';

export interface TracerConfig {
  chunkEvents?: number;
  chunkBytes?: number;
  /** Default overflow policy of new threads. */
  policy?: number;
  /** Default capacity in chunks for DISCARD / OVERWRITE. */
  capacityChunks?: number;
}

/** What the machine knows about a thread when it registers it. */
export interface ThreadInfo {
  l4Id: number;
  name: string;
  task: number;
  lthread: number;
  version: number;
  kind: number;
  cpu: number;
  priority: number;
  linuxPid?: number;
  /** The thread group of a Linux thread that is not its process's first (0 or absent: none). */
  linuxTgid?: number;
  taskName?: string;
  /** Overrides of the tracer's default policy for this thread. */
  policy?: number;
  capacityChunks?: number;
}

export interface FinishInfo {
  outcome: number;
  outcomeDetail?: string;
  endTime: number;
  stateDigest?: Uint8Array;
  stateParts?: StateDigestData[];
  metrics?: MetricData[];
  /** The root file system's contents the run read, sorted by hash: written before the footer. */
  blobs?: readonly FileBlobData[];
}

export class Tracer implements BufferOwner, TraceRecorder {
  readonly enabled = true;
  nextSeq = 0;
  readonly chunkEvents: number;
  readonly chunkBytes: number;
  readonly scratch = new ByteWriter(64 * 1024);
  readonly header: HeaderData;

  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>([['', 0]]);
  private stringsWritten = 1;
  private readonly buffers: ThreadBuffer[] = [];
  private readonly descriptors: ThreadDescriptorData[] = [];
  private readonly tape: ChoiceBuffer;
  private readonly defaultPolicy: number;
  private readonly defaultCapacity: number;
  private finished = false;

  constructor(private readonly sink: TraceSink, header: HeaderData, config: TracerConfig = {}) {
    this.chunkEvents = config.chunkEvents ?? DEFAULT_CHUNK_EVENTS;
    this.chunkBytes = config.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.defaultPolicy = config.policy ?? BufferPolicy.FLUSH;
    this.defaultCapacity = this.defaultPolicy === BufferPolicy.FLUSH ? 0 : Math.max(1, config.capacityChunks ?? 64);
    if (this.chunkEvents < 1 || this.chunkBytes < 16) throw new Error('tracer: chunk limits too small');
    // What a reader refuses is never written (tracer/limits.ts).
    if (this.chunkEvents > LIMITS.chunkEvents || this.chunkBytes > LIMITS.chunkBytes) throw new Error('tracer: chunk limits beyond the format\'s bounds');
    this.header = {
      ...header,
      formatVersion: FORMAT_VERSION,
      buffers: { chunkEvents: this.chunkEvents, chunkBytes: this.chunkBytes, policy: this.defaultPolicy, capacityChunks: this.defaultCapacity },
    };
    // The tape has its own scratch buffer: it is flushed while a chunk body sits in `scratch`.
    this.tape = new ChoiceBuffer((body) => this.sink.packet(PacketField.choices, body), new ByteWriter(4096));
    this.sink.packet(PacketField.header, encodeHeader(this.header));
  }

  /** The id of an interned string (interned on first use). */
  intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Register a thread; its descriptor is written at once, so it is known before its first event. */
  addThread(info: ThreadInfo): ThreadBuffer {
    const index = this.buffers.length;
    const policy = info.policy ?? this.defaultPolicy;
    const capacity = policy === BufferPolicy.FLUSH ? 0 : Math.max(1, info.capacityChunks ?? this.defaultCapacity);
    const buffer = new ThreadBuffer(this, index, policy, capacity);
    const desc: ThreadDescriptorData = {
      index,
      l4Id: info.l4Id,
      name: this.intern(info.name),
      task: info.task,
      lthread: info.lthread,
      version: info.version,
      kind: info.kind,
      cpu: info.cpu,
      priority: info.priority,
      policy,
      capacityChunks: capacity,
      linuxPid: info.linuxPid ?? 0,
      ...(info.linuxTgid ? { linuxTgid: info.linuxTgid } : {}),
      createdSeq: this.nextSeq,
      taskName: this.intern(info.taskName ?? ''),
    };
    this.buffers.push(buffer);
    this.descriptors.push(desc);
    this.tape.seal();
    this.flushStrings();
    this.sink.packet(PacketField.thread, encodeThread(desc));
    return buffer;
  }

  get threadCount(): number {
    return this.buffers.length;
  }

  buffer(index: number): ThreadBuffer {
    const b = this.buffers[index];
    if (!b) throw new Error(`tracer: no thread #${index}`);
    return b;
  }

  /** Append a decision to the tape; `seq` defaults to the next event's sequence number. */
  choice(site: number, value: number, range: number): void {
    this.tape.add(site, value, range, this.nextSeq);
  }

  get choices(): number {
    return this.tape.total;
  }

  /**
   * A sealed chunk goes out after the choices made before it and the strings it uses (in this order,
   * also for thread descriptors): a file cut short after any packet then holds every decision the run
   * made before that packet, so a replay can reproduce all of its prefix.
   */
  writeChunk(_buffer: ThreadBuffer, body: Uint8Array): void {
    this.tape.seal();
    this.flushStrings();
    this.sink.packet(PacketField.chunk, body);
  }

  private flushStrings(): void {
    if (this.stringsWritten === this.strings.length) return;
    const value = this.strings.slice(this.stringsWritten);
    this.sink.packet(PacketField.strings, encodeStringTable({ firstId: this.stringsWritten, value }));
    this.stringsWritten = this.strings.length;
  }

  /**
   * End the trace: seal every buffer in thread order, write the flight-recorder rings, the rest of the
   * tape and the footer, then close the sink.
   */
  finish(info: FinishInfo): FooterData {
    this.flushAll();
    let events = 0;
    let lost = 0;
    const threads = this.buffers.map((b) => {
      events += b.events;
      lost += b.eventsLost;
      return { thread: b.index, events: b.events, eventsLost: b.eventsLost, chunks: b.chunkIndex, chunksLost: b.chunksLost, hash: b.hash, unmatchedExits: b.unmatchedExits };
    });
    const footer: FooterData = {
      outcome: info.outcome,
      outcomeDetail: info.outcomeDetail ?? '',
      events,
      eventsLost: lost,
      endTime: info.endTime,
      nextSeq: this.nextSeq,
      threads,
      stateDigest: info.stateDigest ?? new Uint8Array(0),
      stateParts: info.stateParts ?? [],
      choices: this.tape.total,
      tapeHash: this.tape.hash,
      metrics: info.metrics ?? [],
    };
    this.writeBlobs(info.blobs ?? []);
    this.sink.packet(PacketField.footer, encodeFooter(footer));
    this.sink.close();
    return footer;
  }

  /**
   * End a rewritten trace (filtered, or edited by a test) with the footer of the run it came from: the
   * footer describes the run, whose hash chains and counts replay checks, not this file's chunks.
   */
  finishWithFooter(footer: FooterData, blobs: readonly FileBlobData[] = []): void {
    this.flushAll();
    this.writeBlobs(blobs);
    this.sink.packet(PacketField.footer, encodeFooter(footer));
    this.sink.close();
  }

  /**
   * End a rewritten trace whose source was cut short or damaged without a footer: the result reads as
   * cut short, as its source did, instead of passing for the complete record of a run.
   */
  finishCut(blobs: readonly FileBlobData[] = []): void {
    this.flushAll();
    this.writeBlobs(blobs);
    this.sink.close();
  }

  /** File blobs go last, sorted by hash, each once (the reader refuses anything else). */
  private writeBlobs(blobs: readonly FileBlobData[]): void {
    let last = '';
    for (const b of blobs) {
      const sha = Buffer.from(b.sha256).toString('hex');
      if (sha <= last) throw new Error('tracer: file blobs must be sorted by hash, each once');
      last = sha;
      this.sink.packet(PacketField.blob, encodeFileBlob(b));
    }
  }

  private flushAll(): void {
    if (this.finished) throw new Error('tracer: finish() called twice');
    this.finished = true;
    for (const b of this.buffers) b.seal();
    for (const b of this.buffers) {
      if (b.policy === BufferPolicy.OVERWRITE) for (const body of b.retainedChunks()) this.writeChunk(b, body);
    }
    this.tape.seal();
    this.flushStrings();
  }
}
