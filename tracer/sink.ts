/**
 * Where finished packets go. The tracer encodes packet bodies; a sink frames and stores them. Keeping
 * sinks this dumb lets the same tracer write a file, fill memory (tests, sweeps), or feed a comparator
 * (replay) without knowing which.
 */
import { FRAME_KEY, MAGIC } from './format.js';
import { ByteWriter, varintSize } from './varint.js';

export interface TraceSink {
  /** One packet: `field` is the Packet.body field number, `body` the encoded message (valid only during the call). */
  packet(field: number, body: Uint8Array): void;
  /** The run finished normally: make the output final. */
  close(): void;
}

/** Append one framed packet (0x0A len [key len body]) to `out`. */
export function framePacket(out: ByteWriter, field: number, body: Uint8Array): void {
  const inner = varintSize(field * 8 + 2) + varintSize(body.length) + body.length;
  out.byte(FRAME_KEY);
  out.varint(inner);
  out.varint(field * 8 + 2);
  out.varint(body.length);
  out.bytes(body);
}

/** Collects a whole trace file in memory. */
export class MemorySink implements TraceSink {
  readonly out = new ByteWriter(64 * 1024);
  closed = false;
  constructor() {
    this.out.bytes(MAGIC);
  }
  packet(field: number, body: Uint8Array): void {
    framePacket(this.out, field, body);
  }
  close(): void {
    this.closed = true;
  }
  bytes(): Uint8Array {
    return this.out.toBytes();
  }
}

/** Discards everything: used to run the machine with tracing off. */
export class NullSink implements TraceSink {
  packet(): void {}
  close(): void {}
}
