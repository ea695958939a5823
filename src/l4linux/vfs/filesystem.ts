/**
 * The in-memory file system every process sees: a tree of inodes rooted at '/', built from the run's
 * root file system (vfs/rootfs-image.ts) or, without one, holding just the guest programs under /bin.
 * /dev and /proc are added by the kernel (devices.ts, proc.ts). Path walking is in namei.ts.
 *
 * Everything a guest can grow is bounded (limits.ts): file data by pages as tmpfs counts them, inodes
 * by count, open files system-wide. Contents of the root file system count as disk, not as tmpfs
 * pages, until a guest writes them.
 */
import { PAGE_BYTES } from '../limits.js';
import { OpenFile, type OpenFileCount, type Pipe } from '../files.js';
import { Inode, type InodeKind } from './inode.js';
import type { RootFsImage } from './rootfs-image.js';

/** Limits of the file system (from the machine's memory, limits.ts). */
export interface FileSystemLimits {
  /** Pages of file data, over all regular files. */
  pages: number;
  /** Inodes guests may create. */
  inodes: number;
  /** Open files, system-wide. */
  openFiles: number;
}

/** Pages a file of `size` bytes holds (tmpfs allocates whole pages). */
const pagesFor = (size: number): number => Math.ceil(size / PAGE_BYTES);

export class FileSystem implements OpenFileCount {
  readonly root: Inode;
  /** Pages the regular files hold: each holds whole pages, as tmpfs counts them. */
  usedPages = 0;
  /** Inodes created by guests. */
  files = 0;
  /** Open files (struct file) in the system. */
  openFiles = 0;
  private nextIno = 1;

  constructor(
    readonly limits: FileSystemLimits,
    /** Seconds since the epoch, for timestamps. */
    readonly clock: () => number,
  ) {
    this.root = this.newInode('dir', 0o755, 0, 0, 0);
    this.root.parent = this.root;
  }

  newInode(kind: InodeKind, mode: number, uid: number, gid: number, mtime: number): Inode {
    return new Inode(this.nextIno++, kind, mode, uid, gid, mtime);
  }

  /** Adds `child` under `dir` as `name` (a directory gets its parent link). */
  attach(dir: Inode, name: string, child: Inode): void {
    dir.children!.set(name, child);
    if (child.kind === 'dir') {
      child.parent = dir;
      child.name = name;
      dir.nlink++;
    }
  }

  /** The directory at an absolute path made of plain names, created (0755, root) as needed. */
  mkdirs(path: string, mtime = 0): Inode {
    let dir = this.root;
    for (const name of path.split('/').filter((p) => p !== '')) {
      let next = dir.children!.get(name);
      if (!next) {
        next = this.newInode('dir', 0o755, 0, 0, mtime);
        this.attach(dir, name, next);
      }
      if (next.kind !== 'dir') throw new Error(`rootfs: ${path}: ${name} is not a directory`);
      dir = next;
    }
    return dir;
  }

  /** Loads a root file system image: entries in path order, contents fetched from its store when used. */
  load(image: RootFsImage): void {
    const byPath = new Map<string, Inode>();
    for (const e of image.entries) {
      const slash = e.path.lastIndexOf('/');
      const dir = this.mkdirs(e.path.slice(0, slash));
      const name = e.path.slice(slash + 1);
      if (e.kind === 'file' && e.linkTo !== '') {
        const other = byPath.get(e.linkTo);
        if (!other || other.kind !== 'file') throw new Error(`rootfs: ${e.path}: hard link to a missing file ${e.linkTo}`);
        other.nlink++;
        dir.children!.set(name, other);
        byPath.set(e.path, other);
        continue;
      }
      if (e.kind === 'dir' && dir.children!.get(name)?.kind === 'dir') {
        const d = dir.children!.get(name)!;
        Object.assign(d, { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, atime: e.mtime, ctime: e.mtime });
        byPath.set(e.path, d);
        continue;
      }
      const inode = this.newInode(e.kind, e.mode, e.uid, e.gid, e.mtime);
      if (e.kind === 'symlink') inode.target = e.target;
      if (e.kind === 'file') {
        inode.data = null;
        const hash = e.sha256;
        inode.lazy = { size: e.size, load: () => (e.size === 0 ? new Uint8Array(0) : image.blobs.get(hash)) };
      }
      this.attach(dir, name, inode);
      byPath.set(e.path, inode);
    }
  }

  /** A guest program under /bin whose bytes are the machine's image `name` (no root file system). */
  addProgram(name: string, size: number, load: () => Uint8Array): void {
    const bin = this.mkdirs('/bin');
    if (bin.children!.has(name)) return;
    const inode = this.newInode('file', 0o755, 0, 0, 0);
    inode.data = null;
    inode.lazy = { size, load };
    inode.image = name;
    this.attach(bin, name, inode);
  }

  /** Whether a guest may create another inode (tmpfs's nr_inodes; ENOSPC when not). */
  canCreate(): boolean {
    return this.files < this.limits.inodes;
  }

  /** A new inode made by a guest (counted against the limit). */
  create(kind: InodeKind, mode: number): Inode {
    this.files++;
    return this.newInode(kind, mode, 0, 0, this.clock());
  }

  /** An inode lost its last name and its last open file. */
  forget(inode: Inode): void {
    if (inode.kind === 'file' && inode.data) {
      this.usedPages -= pagesFor(inode.data.size);
      inode.data.truncate();
    }
    if (this.files > 0) this.files--;
  }

  /** A new open file, or null when the system has NR_FILE of them (ENFILE). */
  open(kind: OpenFile['kind'], flags: number, inode: Inode | null, pipe: Pipe | null): OpenFile | null {
    if (this.openFiles >= this.limits.openFiles) return null;
    return new OpenFile(kind, flags, inode, pipe, this);
  }

  /**
   * Writes `data` into a regular file at `at`: all of it, or as much as fits in the pages the file
   * system has left (tmpfs: a short write up to the end of the last page it could get; the next write
   * gets ENOSPC). Returns the bytes written, 0 when nothing fit, -1 when the file's content is lost.
   */
  write(inode: Inode, at: number, data: Uint8Array): number {
    const had = inode.data ? pagesFor(inode.data.size) : 0;
    const content = inode.content();
    if (!content) return -1;
    const room = (had + this.limits.pages - this.usedPages) * PAGE_BYTES - at;
    const n = Math.max(0, Math.min(data.length, room));
    if (n === 0) return 0;
    content.write(at, n < data.length ? data.subarray(0, n) : data);
    inode.program = null;
    this.usedPages += pagesFor(content.size) - had;
    inode.mtime = inode.ctime = this.clock();
    return n;
  }

  /** Cuts or extends a file to `size` bytes (zeros past the old end). false: no room, or content lost. */
  resize(inode: Inode, size: number): boolean {
    const had = inode.data ? pagesFor(inode.data.size) : 0;
    const content = inode.content();
    if (!content) return false;
    if (pagesFor(size) - had > this.limits.pages - this.usedPages) return false;
    content.resize(size);
    inode.program = null;
    this.usedPages += pagesFor(size) - had;
    inode.mtime = inode.ctime = this.clock();
    return true;
  }

  /** O_TRUNC: the file's pages go back to the file system. */
  truncate(inode: Inode): void {
    this.resize(inode, 0);
  }
}
