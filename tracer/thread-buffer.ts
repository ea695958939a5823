/**
 * One simulated thread's trace buffer. Events are varint-encoded straight into four column buffers
 * (tag, dt, u, s) as they arrive; when a chunk is full it is sealed into an EventChunk body, added to
 * the thread's hash chain, and handed on according to the overflow policy. Emitting an event writes a
 * few bytes into preallocated arrays and allocates nothing.
 */
import { createHash } from 'node:crypto';
import { FIELD_FLAGS, FLAG_REF, FLAG_SIGNED, Kind, MAX_FIELDS, STORED_ARITY } from './catalogue.js';
import { ChunkField, KIND_LIMIT } from './format.js';
import { BufferPolicy } from './packets.js';
import { ByteWriter, varintSize } from './varint.js';

/** What a buffer needs from the tracer that owns it. */
export interface BufferOwner {
  /** Next global sequence number; the buffer takes it and increments it. */
  nextSeq: number;
  readonly chunkEvents: number;
  readonly chunkBytes: number;
  /** Shared scratch for sealing chunks. */
  readonly scratch: ByteWriter;
  /** A sealed chunk that the policy keeps now (FLUSH, DISCARD within capacity). */
  writeChunk(buffer: ThreadBuffer, body: Uint8Array): void;
}

interface RingEntry {
  body: Uint8Array;
  count: number;
}

export class ThreadBuffer {
  private readonly tags = new ByteWriter(1024);
  private readonly dts = new ByteWriter(1024);
  private readonly us = new ByteWriter(1024);
  private readonly ss = new ByteWriter(64);

  private count = 0;
  private firstSeq = 0;
  private firstTime = 0;
  private lastSeq = 0;
  private lastTime = 0;

  /** Functions currently open in this thread (string ids), and a snapshot taken at chunk start. */
  private stack = new Uint32Array(64);
  private depth = 0;
  private open = new Uint32Array(64);
  private openDepth = 0;

  /** Chunks sealed so far (the next chunk's index). */
  chunkIndex = 0;
  /** Events emitted, lost ones included. */
  events = 0;
  eventsLost = 0;
  chunksLost = 0;
  /** FUNC_EXIT hooks for a function that was not open (not recorded, counted). */
  unmatchedExits = 0;
  /** sha256 chain over every sealed chunk body. */
  hash: Uint8Array = new Uint8Array(32);

  /** OVERWRITE: the newest chunks, oldest first. */
  private readonly ring: RingEntry[] = [];

  constructor(
    private readonly owner: BufferOwner,
    readonly index: number,
    readonly policy: number,
    readonly capacityChunks: number,
  ) {}

  /** Current function nesting depth. */
  get stackDepth(): number {
    return this.depth;
  }

  /**
   * Record one event. Payload values follow the kind's fields in trace.proto order; `ref` fields take an
   * absolute sequence number (or -1 for none). Returns the event's sequence number.
   */
  emit(kind: number, time: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0): number {
    if (kind === Kind.FUNC_EXIT && this.depth === 0) throw new Error(`tracer: FUNC_EXIT with no open function in thread #${this.index}`);
    const seq = this.head(kind, time);
    const n = STORED_ARITY[kind]!;
    if (n > 0) {
      this.field(kind, 0, a0, seq);
      if (n > 1) {
        this.field(kind, 1, a1, seq);
        if (n > 2) {
          this.field(kind, 2, a2, seq);
          if (n > 3) {
            this.field(kind, 3, a3, seq);
            if (n > 4) {
              this.field(kind, 4, a4, seq);
              if (n > 5) {
                this.field(kind, 5, a5, seq);
                if (n > 6) {
                  this.field(kind, 6, a6, seq);
                  if (n > 7) {
                    this.field(kind, 7, a7, seq);
                    if (n > 8) {
                      this.field(kind, 8, a8, seq);
                      if (n > 9) this.field(kind, 9, a9, seq);
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    if (kind === Kind.FUNC_ENTER) this.push(a0);
    else if (kind === Kind.FUNC_EXIT) this.depth--;
    this.tail();
    return seq;
  }

  /** FUNC_ENTER fast path. */
  funcEnter(time: number, func: number): number {
    const seq = this.head(Kind.FUNC_ENTER, time);
    this.us.varint(func);
    this.push(func);
    this.tail();
    return seq;
  }

  /**
   * A function returned. If it is the innermost open function this is one FUNC_EXIT. If it is open
   * further out (a longjmp skipped the exit hooks of inner frames), the inner frames are closed first,
   * as Score-P does. If it is not open at all, nothing is recorded and the mismatch is counted.
   * Returns the number of FUNC_EXIT events written.
   */
  funcExit(time: number, func: number): number {
    let d = this.depth;
    while (d > 0 && this.stack[d - 1] !== func) d--;
    if (d === 0) {
      this.unmatchedExits++;
      return 0;
    }
    const exits = this.depth - d + 1;
    for (let i = 0; i < exits; i++) {
      this.head(Kind.FUNC_EXIT, time);
      this.depth--;
      this.tail();
    }
    return exits;
  }

  private head(kind: number, time: number): number {
    const seq = this.owner.nextSeq++;
    if (time < this.lastTime) {
      throw new Error(`tracer: thread #${this.index} time went backwards (${time} < ${this.lastTime}) at seq ${seq}`);
    }
    if (kind <= 0 || kind >= KIND_LIMIT || STORED_ARITY[kind] === 255) throw new Error(`tracer: unknown event kind ${kind}`);
    if (this.count === 0) {
      this.firstSeq = seq;
      this.firstTime = time;
      this.lastSeq = seq - 1;
      this.lastTime = time;
      this.snapshotStack();
    }
    const gap = seq - this.lastSeq - 1;
    this.tags.varint(gap === 0 ? kind : kind + gap * KIND_LIMIT);
    this.dts.varint(time - this.lastTime);
    this.lastSeq = seq;
    this.lastTime = time;
    return seq;
  }

  private tail(): void {
    this.count++;
    this.events++;
    if (this.count >= this.owner.chunkEvents || this.us.pos + this.ss.pos >= this.owner.chunkBytes) this.seal();
  }

  private field(kind: number, i: number, v: number, seq: number): void {
    const flags = FIELD_FLAGS[kind * MAX_FIELDS + i]!;
    if (flags === 0) {
      // Plain unsigned field, the common case: one byte for small values without the general path.
      const w = this.us;
      if (v >= 0 && v < 0x80 && w.pos < w.buf.length) w.buf[w.pos++] = v;
      else if (v >= 0) w.varint(v);
      else throw new Error(`tracer: negative value ${v} in unsigned field ${i} of kind ${kind}`);
      return;
    }
    if (flags & FLAG_REF) {
      if (v < 0) v = 0;
      else if (v >= seq) throw new Error(`tracer: back reference to seq ${v} from seq ${seq}`);
      else v = seq - v;
    }
    if (flags & FLAG_SIGNED) this.ss.zigzag(v);
    else if (v >= 0) this.us.varint(v);
    else throw new Error(`tracer: negative value ${v} in unsigned field ${i} of kind ${kind}`);
  }

  private push(func: number): void {
    if (this.depth === this.stack.length) {
      const grown = new Uint32Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[this.depth++] = func;
  }

  private snapshotStack(): void {
    if (this.open.length < this.depth) this.open = new Uint32Array(this.stack.length);
    this.open.set(this.stack.subarray(0, this.depth));
    this.openDepth = this.depth;
  }

  /** Close the current chunk (if it has events) and pass it on according to the policy. */
  seal(): void {
    if (this.count === 0) return;
    const w = this.owner.scratch;
    w.reset();
    w.varintField(ChunkField.thread, this.index);
    w.varintField(ChunkField.chunkIndex, this.chunkIndex);
    w.varintField(ChunkField.firstSeq, this.firstSeq);
    w.varintField(ChunkField.firstTime, this.firstTime);
    w.varintField(ChunkField.count, this.count);
    if (this.openDepth > 0) {
      let size = 0;
      for (let i = 0; i < this.openDepth; i++) size += varintSize(this.open[i]!);
      w.varint(ChunkField.openStack * 8 + 2);
      w.varint(size);
      for (let i = 0; i < this.openDepth; i++) w.varint(this.open[i]!);
    }
    w.lengthDelimited(ChunkField.tag, this.tags.buf, 0, this.tags.pos);
    w.lengthDelimited(ChunkField.dt, this.dts.buf, 0, this.dts.pos);
    if (this.us.pos > 0) w.lengthDelimited(ChunkField.u, this.us.buf, 0, this.us.pos);
    if (this.ss.pos > 0) w.lengthDelimited(ChunkField.s, this.ss.buf, 0, this.ss.pos);
    const body = w.view();
    this.hash = createHash('sha256').update(this.hash).update(body).digest();

    if (this.policy === BufferPolicy.FLUSH) {
      this.owner.writeChunk(this, body);
    } else if (this.policy === BufferPolicy.DISCARD) {
      if (this.chunkIndex < this.capacityChunks) this.owner.writeChunk(this, body);
      else {
        this.eventsLost += this.count;
        this.chunksLost++;
      }
    } else {
      this.ring.push({ body: body.slice(), count: this.count });
      if (this.ring.length > this.capacityChunks) {
        const dropped = this.ring.shift()!;
        this.eventsLost += dropped.count;
        this.chunksLost++;
      }
    }

    this.chunkIndex++;
    this.count = 0;
    this.tags.reset();
    this.dts.reset();
    this.us.reset();
    this.ss.reset();
  }

  /** OVERWRITE: the chunks still held at the end of the run, oldest first. */
  retainedChunks(): readonly Uint8Array[] {
    return this.ring.map((e) => e.body);
  }
}
