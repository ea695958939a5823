/**
 * Open files: file data, pipes, the console, open file descriptions and descriptor tables (the file
 * system's tree is in vfs/). Open files are shared between descriptor tables after fork and dup2.
 *
 * Everything a guest can fill here is bounded (limits.ts): file data by pages as tmpfs counts them,
 * files by inodes, open files system-wide, pipes by their capacity, the console transcript by what the
 * scenario checks.
 */
import { WaitQueue } from './coroutine.js';
import type { Inode } from './vfs/inode.js';

/** The smallest buffer a file's data gets when it grows (small files stay small). */
const MIN_CAPACITY = 256;
const EMPTY = new Uint8Array(0);

/**
 * The bytes of an in-memory file: a buffer that doubles when it is full, and the size in use. An
 * append copies only what it adds; the bytes in use are copied only when the buffer grows, O(log n)
 * times for a file of n bytes (copying the whole file on every write made appends quadratic). The
 * buffer holds less than twice the bytes in use (or MIN_CAPACITY).
 */
export class FileData {
  private buf: Uint8Array = EMPTY;
  private used = 0;
  /** How often the buffer grew (each growth copies the bytes in use). */
  growths = 0;

  get size(): number {
    return this.used;
  }

  /** The bytes in use (a view: valid until the next write or truncate). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }

  /** A copy of up to `count` bytes from `offset`; empty at or past the end. */
  read(offset: number, count: number): Uint8Array {
    return this.buf.slice(Math.min(offset, this.used), Math.min(offset + count, this.used));
  }

  /**
   * Writes `data` at `at`. A gap between the old end and `at` reads as zeros: bytes past the end
   * were never written since the buffer was made (truncate drops it), so they are zero already.
   */
  write(at: number, data: Uint8Array): void {
    const end = at + data.length;
    if (end > this.buf.length) this.grow(end);
    this.buf.set(data, at);
    this.used = Math.max(this.used, end);
  }

  truncate(): void {
    this.buf = EMPTY;
    this.used = 0;
  }

  /** Cuts or extends to `size` bytes; bytes past the old end read as zeros. */
  resize(size: number): void {
    if (size === 0) return this.truncate();
    if (size < this.used) this.buf.fill(0, size, this.used);
    else if (size > this.buf.length) this.grow(size);
    this.used = size;
  }

  private grow(atLeast: number): void {
    let capacity = Math.max(MIN_CAPACITY, this.buf.length * 2);
    while (capacity < atLeast) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes());
    this.buf = next;
    this.growths++;
  }
}

export class Pipe {
  static readonly CAPACITY = 4096;
  /** The bytes in the pipe, oldest first, from `head` round the ring. */
  private readonly ring = new Uint8Array(Pipe.CAPACITY);
  private head = 0;
  private count = 0;
  readers = 0;
  writers = 0;
  readonly readWait = new WaitQueue('pipe-read');
  readonly writeWait = new WaitQueue('pipe-write');

  /** Bytes waiting to be read. */
  get length(): number {
    return this.count;
  }

  /** Appends as much of `data` as there is room for; returns how much that was. */
  put(data: Uint8Array): number {
    const n = Math.min(Pipe.CAPACITY - this.count, data.length);
    for (let i = 0; i < n; i++) this.ring[(this.head + this.count + i) % Pipe.CAPACITY] = data[i]!;
    this.count += n;
    return n;
  }

  /** Takes up to `max` bytes, oldest first. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.count);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(this.head + i) % Pipe.CAPACITY]!;
    this.head = (this.head + n) % Pipe.CAPACITY;
    this.count -= n;
    return out;
  }
}

/** Counts the open files (struct file) of a system, for its ENFILE limit. */
export interface OpenFileCount {
  openFiles: number;
  /** An inode lost its last name and its last open file: its pages go back. */
  forget(inode: Inode): void;
}

export class OpenFile {
  refs = 1;
  offset = 0;
  /** A /proc file's bytes, made when it was opened. */
  snapshot: Uint8Array | null = null;
  /** The path it was opened by (readlink of /proc/self/fd/N). */
  path = '';
  constructor(
    readonly kind: 'inode' | 'pipe-read' | 'pipe-write' | 'console',
    /** Access mode and status flags (O_APPEND, O_NONBLOCK: fcntl F_SETFL changes these). */
    public flags: number,
    readonly inode: Inode | null,
    readonly pipe: Pipe | null,
    /** The system whose open files this one counts in (null: counted nowhere). */
    private readonly system: OpenFileCount | null = null,
  ) {
    if (system) system.openFiles++;
    if (inode) inode.opens++;
    if (kind === 'pipe-read') pipe!.readers++;
    if (kind === 'pipe-write') pipe!.writers++;
  }

  /** The last descriptor was closed. Returns the wait queue to wake, if any. */
  release(): WaitQueue | null {
    if (--this.refs > 0) return null;
    if (this.system) this.system.openFiles--;
    const inode = this.inode;
    if (inode && --inode.opens === 0 && inode.nlink === 0) this.system?.forget(inode);
    if (this.kind === 'pipe-read') {
      this.pipe!.readers--;
      return this.pipe!.writeWait;
    }
    if (this.kind === 'pipe-write') {
      this.pipe!.writers--;
      return this.pipe!.readWait;
    }
    return null;
  }
}

export const MAX_FDS = 64;

export class FileTable {
  readonly fds: (OpenFile | undefined)[] = new Array(MAX_FDS).fill(undefined);
  /** FD_CLOEXEC of each descriptor (a property of the descriptor, not of the open file). */
  readonly cloexec = new Uint8Array(MAX_FDS);

  get(fd: number): OpenFile | undefined {
    return fd >= 0 && fd < MAX_FDS ? this.fds[fd] : undefined;
  }

  /** Lowest free descriptor at or above `from`, or -1. */
  install(f: OpenFile, from = 0, cloexec = false): number {
    for (let fd = Math.max(0, from); fd < MAX_FDS; fd++) {
      if (this.fds[fd] === undefined) {
        this.fds[fd] = f;
        this.cloexec[fd] = cloexec ? 1 : 0;
        return fd;
      }
    }
    return -1;
  }

  clone(): FileTable {
    const t = new FileTable();
    this.fds.forEach((f, i) => {
      if (f) {
        f.refs++;
        t.fds[i] = f;
      }
    });
    t.cloexec.set(this.cloexec);
    return t;
  }
}

/**
 * The console: output goes to the machine's console; input comes from the keyboard (canonical mode: a
 * read returns at most one line) or, for scripted runs, from text given up front (read like a file).
 */
export class Console {
  readonly input: number[] = [];
  /** End of input has been seen (after the pending bytes are read). */
  eof = false;
  /** Line discipline: reads end at a newline. */
  canonical = true;
  readonly readWait = new WaitQueue('console-read');

  /** Bytes a read may return now, or null when it has to wait for more. */
  take(max: number): number[] | null {
    if (!this.canonical && this.input.length > 0) return this.input.splice(0, max);
    const nl = this.input.indexOf(10);
    if (nl >= 0) return this.input.splice(0, Math.min(nl + 1, max));
    if (this.eof) return this.input.splice(0, Math.min(this.input.length, max));
    return null;
  }
}

/**
 * What the console showed: how many bytes were written, and the first `keep` of them, for a scenario
 * that checks the transcript (the shell compares it with its expected one and keeps as many bytes as
 * that has). Past `keep` only the count grows, so a guest writing without end costs no memory.
 */
export class Transcript {
  /** Bytes written to the console. A double: exact up to 2^53 (8 PiB). */
  bytes = 0;
  private readonly kept = new FileData();

  constructor(readonly keep: number) {}

  append(data: Uint8Array): void {
    const room = this.keep - this.kept.size;
    if (room > 0) this.kept.write(this.kept.size, data.length > room ? data.subarray(0, room) : data);
    this.bytes += data.length;
  }

  /** The first bytes written, at most `keep` of them. */
  text(): Uint8Array {
    return this.kept.bytes();
  }

  /** Whether the console showed exactly `expected` (decidable when `keep` covers it). */
  equals(expected: Uint8Array): boolean {
    const t = this.text();
    return this.bytes === expected.length && t.length === expected.length && t.every((b, i) => b === expected[i]);
  }
}
