/**
 * Files: a small in-memory file system (regular files, the guest programs under /bin), the console
 * device, and pipes. Open files are shared between descriptor tables after fork and dup2.
 */
import { WaitQueue } from './coroutine.js';

export interface Inode {
  kind: 'file' | 'program' | 'console' | 'null';
  data: Uint8Array;
  /** For programs: the guest image name. */
  image?: string;
}

export class Pipe {
  /** Bytes in the pipe, oldest first. */
  buf: number[] = [];
  readers = 0;
  writers = 0;
  readonly readWait = new WaitQueue('pipe-read');
  readonly writeWait = new WaitQueue('pipe-write');
  static readonly CAPACITY = 4096;
}

export class OpenFile {
  refs = 1;
  offset = 0;
  constructor(
    readonly kind: 'inode' | 'pipe-read' | 'pipe-write' | 'console',
    readonly flags: number,
    readonly inode: Inode | null,
    readonly pipe: Pipe | null,
  ) {
    if (kind === 'pipe-read') pipe!.readers++;
    if (kind === 'pipe-write') pipe!.writers++;
  }

  /** The last descriptor was closed. Returns the wait queue to wake, if any. */
  release(): WaitQueue | null {
    if (--this.refs > 0) return null;
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

  get(fd: number): OpenFile | undefined {
    return fd >= 0 && fd < MAX_FDS ? this.fds[fd] : undefined;
  }

  /** Lowest free descriptor, or -1. */
  install(f: OpenFile): number {
    const fd = this.fds.findIndex((x) => x === undefined);
    if (fd >= 0) this.fds[fd] = f;
    return fd;
  }

  clone(): FileTable {
    const t = new FileTable();
    this.fds.forEach((f, i) => {
      if (f) {
        f.refs++;
        t.fds[i] = f;
      }
    });
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

export class FileSystem {
  readonly inodes = new Map<string, Inode>();

  constructor(programs: string[]) {
    this.inodes.set('/dev/console', { kind: 'console', data: new Uint8Array(0) });
    this.inodes.set('/dev/tty', { kind: 'console', data: new Uint8Array(0) });
    this.inodes.set('/dev/null', { kind: 'null', data: new Uint8Array(0) });
    for (const p of programs) this.inodes.set(`/bin/${p}`, { kind: 'program', data: new Uint8Array(0), image: p });
  }

  /** Paths are absolute or relative to / (the only working directory). */
  static normalize(path: string): string {
    const parts: string[] = [];
    for (const p of path.split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') parts.pop();
      else parts.push(p);
    }
    return '/' + parts.join('/');
  }

  lookup(path: string): Inode | undefined {
    return this.inodes.get(FileSystem.normalize(path));
  }

  create(path: string): Inode {
    const inode: Inode = { kind: 'file', data: new Uint8Array(0) };
    this.inodes.set(FileSystem.normalize(path), inode);
    return inode;
  }
}
