/**
 * An inode of the in-memory file system: a directory, a regular file, a symbolic link or a character
 * device. A file's bytes are either its own (FileData, once written) or, until then, a blob of the root
 * file system fetched on first use (so a run embeds in its trace only the contents it read).
 *
 * /proc's inodes are made on demand (proc.ts): a directory may list and look up its entries through
 * `dynamic`, a file may produce its bytes when opened, a link its target when read.
 */
import { FileData } from '../files.js';
import type { Process } from '../process.js';
import type { GuestImage } from '../../l4/guest-image.js';

export type InodeKind = 'dir' | 'file' | 'symlink' | 'chr';

/** st_mode's type bits. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
const TYPE_BITS: Record<InodeKind, number> = { dir: S_IFDIR, file: S_IFREG, symlink: S_IFLNK, chr: S_IFCHR };

/** d_type values of getdents64. */
export const DT: Record<InodeKind, number> = { dir: 4, file: 8, symlink: 10, chr: 2 };

/** The devices /dev holds (devices.ts). */
export type DeviceName = 'null' | 'zero' | 'full' | 'console' | 'tty' | 'urandom' | 'random';

/** Entries of a directory made on demand (/proc). */
export interface DynamicDir {
  list(reader: Process | null): string[];
  lookup(reader: Process | null, name: string): Inode | null;
}

/** Where a file's content comes from before it has bytes of its own. */
export interface LazyContent {
  size: number;
  /** The bytes, or undefined when the store lacks them (a damaged or incomplete trace: EIO). */
  load(): Uint8Array | undefined;
}

export class Inode {
  nlink = 1;
  /** Open files on it: an unlinked file lives until the last is closed. */
  opens = 0;
  /** The program exec made of this file's bytes (dropped when they change), so exec parses it once. */
  program: GuestImage | null = null;
  atime: number;
  ctime: number;
  /** Regular file: its own bytes (null while the content is still lazy). */
  data: FileData | null = null;
  lazy: LazyContent | null = null;
  /** A guest image this file holds (the committed /bin programs): exec uses the machine's image. */
  image: string | null = null;
  /** Directory: entries by name, in creation order; its parent ('..') and its name there. */
  children: Map<string, Inode> | null = null;
  parent: Inode | null = null;
  name = '';
  dynamic: DynamicDir | null = null;
  /** Symlink: its target text (or one computed when read). */
  target = '';
  targetFn: ((reader: Process | null) => string) | null = null;
  /** File made when opened (/proc). */
  generate: ((proc: Process) => Uint8Array) | null = null;
  device: DeviceName | null = null;
  /** Device number (st_rdev), major << 8 | minor. */
  rdev = 0;

  constructor(
    readonly ino: number,
    readonly kind: InodeKind,
    public mode: number,
    public uid: number,
    public gid: number,
    public mtime: number,
  ) {
    this.atime = mtime;
    this.ctime = mtime;
    if (kind === 'dir') this.children = new Map();
    if (kind === 'file') this.data = new FileData();
  }

  /** st_mode: the type and the permission bits. */
  get stMode(): number {
    return TYPE_BITS[this.kind] | (this.mode & 0o7777);
  }

  get size(): number {
    if (this.kind === 'file') return this.data ? this.data.size : (this.lazy?.size ?? 0);
    if (this.kind === 'symlink') return new TextEncoder().encode(this.target).length;
    if (this.kind === 'dir') return 4096;
    return 0;
  }

  /**
   * The file's bytes now, without copying a root file system's content (it is immutable there): a view
   * valid until the next write. null when the content cannot be had (the guest then gets EIO).
   */
  bytesNow(): Uint8Array | null {
    if (this.data) return this.data.bytes();
    return this.lazy?.load() ?? null;
  }

  /**
   * The file's bytes as FileData (to write them), loading lazy content on first use; null when the
   * content cannot be had (the guest then gets EIO).
   */
  content(): FileData | null {
    if (this.data) return this.data;
    const bytes = this.lazy?.load();
    if (!bytes) return null;
    const d = new FileData();
    d.write(0, bytes);
    this.data = d;
    this.lazy = null;
    return d;
  }
}
