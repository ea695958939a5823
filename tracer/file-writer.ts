/**
 * Streams a trace to disk through an AtomicFile: packets are framed into a buffer and written in 1 MiB
 * pieces to the temporary file as they are produced, so a crash or Ctrl-C leaves a readable prefix
 * (kept, and named on Ctrl-C); close() makes it final in one rename, so an existing file is replaced
 * only by a complete one.
 */
import { AtomicFile } from './atomic-output.js';
import { PacketFramer } from './framing.js';
import type { TraceSink } from './sink.js';
import { ByteWriter } from './varint.js';

const FLUSH_AT = 1 << 20;

export class FileSink implements TraceSink {
  private readonly file: AtomicFile;
  private readonly out = new ByteWriter(FLUSH_AT + 64 * 1024);
  private readonly framer = new PacketFramer(this.out);
  private bytesWritten = 0;

  constructor(readonly path: string, opts: { option?: string } = {}) {
    this.file = new AtomicFile(path, { ...opts, keepOnInterrupt: true });
    this.file.onInterrupt = () => this.flush();
  }

  /** The temporary file being written. */
  get partialPath(): string {
    return this.file.temp;
  }

  packet(field: number, body: Uint8Array): void {
    this.framer.frame(field, body);
    if (this.out.pos >= FLUSH_AT) this.flush();
  }

  /** Push buffered bytes to the OS, so a crash after this point keeps them. */
  flush(): void {
    if (this.out.pos === 0) return;
    this.file.write(this.out.buf.subarray(0, this.out.pos));
    this.bytesWritten += this.out.pos;
    this.out.reset();
  }

  get size(): number {
    return this.bytesWritten + this.out.pos;
  }

  close(): void {
    this.flush();
    this.file.commit();
  }

  /** Stop after a failure: keep what was written as the .partial file (readable up to its last packet). */
  abandon(): string {
    this.flush();
    return this.file.abandon();
  }

  /** Stop and remove the partial output (a failure before anything worth keeping was written). */
  discard(): void {
    this.file.discard();
  }
}
