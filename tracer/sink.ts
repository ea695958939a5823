/**
 * Where finished packets go. The tracer encodes packet bodies; a sink frames and stores them. Keeping
 * sinks this dumb lets the same tracer write a file, fill memory (tests, sweeps), or feed a comparator
 * (replay) without knowing which. Framing (index, checksum, file digest) is tracer/framing.ts.
 */
import { PacketFramer } from './framing.js';
import { ByteWriter } from './varint.js';

export interface TraceSink {
  /** One packet: `field` is the Packet.body field number, `body` the encoded message (valid only during the call). */
  packet(field: number, body: Uint8Array): void;
  /** The run finished normally: make the output final. */
  close(): void;
}

/** Collects a whole trace file in memory. */
export class MemorySink implements TraceSink {
  readonly out = new ByteWriter(64 * 1024);
  private readonly framer = new PacketFramer(this.out);
  closed = false;
  packet(field: number, body: Uint8Array): void {
    this.framer.frame(field, body);
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
