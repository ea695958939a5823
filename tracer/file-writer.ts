/**
 * Streams a trace to disk. Packets are written to `<out>.<pid>.partial` as they are produced, so a
 * crash leaves a readable prefix; close() renames it over `<out>` in one step, so an existing file is
 * replaced only by a complete one.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { MAGIC } from './format.js';
import { framePacket, type TraceSink } from './sink.js';
import { ByteWriter } from './varint.js';

const FLUSH_AT = 1 << 20;

export class FileSink implements TraceSink {
  readonly partialPath: string;
  private fd: number;
  private readonly out = new ByteWriter(FLUSH_AT + 64 * 1024);
  private bytesWritten = 0;
  private finished = false;

  constructor(readonly path: string) {
    this.partialPath = `${path}.${process.pid}.partial`;
    this.fd = openSync(this.partialPath, 'w');
    this.out.bytes(MAGIC);
  }

  packet(field: number, body: Uint8Array): void {
    framePacket(this.out, field, body);
    if (this.out.pos >= FLUSH_AT) this.flush();
  }

  /** Push buffered bytes to the OS, so a crash after this point keeps them. */
  flush(): void {
    if (this.out.pos === 0 || this.finished) return;
    let off = 0;
    while (off < this.out.pos) off += writeSync(this.fd, this.out.buf, off, this.out.pos - off);
    this.bytesWritten += this.out.pos;
    this.out.reset();
  }

  get size(): number {
    return this.bytesWritten + this.out.pos;
  }

  close(): void {
    if (this.finished) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.finished = true;
    renameSync(this.partialPath, this.path);
  }

  /** Stop after a failure: keep what was written as the .partial file (readable up to its last packet). */
  abandon(): string {
    if (!this.finished) {
      this.flush();
      closeSync(this.fd);
      this.finished = true;
    }
    return this.partialPath;
  }

  /** Stop and remove the partial output (a failure before anything worth keeping was written). */
  discard(): void {
    if (!this.finished) {
      closeSync(this.fd);
      this.finished = true;
    }
    try {
      unlinkSync(this.partialPath);
    } catch {
      // already gone
    }
  }
}
