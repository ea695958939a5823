/**
 * Builds a RootFsImage from what a reader of the host finds (a directory walk, a tar, the built-in
 * tree): entries keyed by path, contents stored once by SHA-256, hard links as shared inodes. `finish`
 * gives the canonical image: sorted by path, every parent directory present, the first file of each
 * hard-link group (by path) holding the content and the others naming it in `linkTo`. Every bound of
 * limits.ts and every path rule of the trace format (tracer/rootfs.ts) is checked as entries come in,
 * so a bad tree is refused with the path named before much is read.
 */
import { createHash } from 'node:crypto';
import { UserError } from '../../../tracer/errors.js';
import { comparePaths, parentOf, pathProblem, targetProblem } from '../../../tracer/rootfs.js';
import type { RootEntry, RootFsImage } from '../../l4linux/vfs/rootfs-image.js';
import { MemoryBlobStore } from './blob-store.js';
import { ROOTFS_LIMITS } from './limits.js';

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A root file system that cannot be read or used: one line naming the input and the path. */
export class RootFsError extends UserError {}

/** Ownership, permissions and time of an entry. */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** A root file system read from the host, with what was left out of it. */
export interface RootFsRead {
  image: RootFsImage;
  /** What the reader skipped (devices, FIFOs, sockets), one line each, for the user to see. */
  notes: string[];
}

/** Metadata of the root directory itself and of directories a tar implies without listing them. */
const IMPLIED_DIR: EntryMeta = { mode: 0o755, uid: 0, gid: 0, mtime: 0 };

interface Node extends EntryMeta {
  kind: RootEntry['kind'];
  size: number;
  sha256: string;
  target: string;
  /** Files sharing an inode are hard links of each other. */
  inode: number;
}

export class ImageBuilder {
  private readonly nodes = new Map<string, Node>();
  private readonly blobs = new Map<string, Uint8Array>();
  private contentBytes = 0;
  private nextInode = 1;
  private readonly skipped: string[] = [];

  /** `source` names the input in messages: the --rootfs argument (changed while a part from another file is read). */
  constructor(public source: string) {}

  /** Refuse the input: "<source>: <path> <what>" (`what` reads as a predicate of `path`; '' for the input itself). */
  fail(path: string, what: string): never {
    throw new RootFsError(`${this.source}: ${path ? `${path} ` : ''}${what}`);
  }

  dir(path: string, meta: EntryMeta): void {
    const old = this.nodes.get(path);
    if (old && old.kind !== 'dir') this.fail(path, `is both a ${old.kind === 'symlink' ? 'symlink' : 'file'} and a directory`);
    this.put(path, { ...this.clean(path, meta), kind: 'dir', size: 0, sha256: '', target: '', inode: 0 });
  }

  /** Check a file's size before its content is read (readers call this first). */
  checkSize(path: string, size: number): void {
    if (size > ROOTFS_LIMITS.fileBytes) this.fail(path, `is ${size} bytes; a file of the root file system holds at most ${ROOTFS_LIMITS.fileBytes}`);
    if (this.contentBytes + size > ROOTFS_LIMITS.contentBytes) this.fail(path, `would bring the files read to more than ${ROOTFS_LIMITS.contentBytes} bytes, the most a root file system may hold`);
  }

  file(path: string, meta: EntryMeta, data: Uint8Array): void {
    this.checkSize(path, data.length);
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (!this.blobs.has(sha256)) {
      this.blobs.set(sha256, data);
      this.contentBytes += data.length;
    }
    this.replaceable(path);
    this.put(path, { ...this.clean(path, meta), kind: 'file', size: data.length, sha256, target: '', inode: this.nextInode++ });
  }

  symlink(path: string, meta: EntryMeta, target: string): void {
    this.replaceable(path);
    const why = targetProblem(path, target);
    if (why) this.fail(path, `is a symlink that ${why}`);
    this.put(path, { ...this.clean(path, meta), kind: 'symlink', size: 0, sha256: '', target, inode: 0 });
  }

  /** `path` becomes another name of the file (or symlink) at `existing`. */
  hardLink(path: string, existing: string): void {
    const old = this.nodes.get(existing);
    if (!old) this.fail(path, `is a hard link to ${existing}, which is not in the archive before it`);
    if (old.kind === 'dir') this.fail(path, `is a hard link to the directory ${existing}`);
    this.replaceable(path);
    this.put(path, { ...old });
  }

  /** Something the machine has no use for (a device node, a FIFO, a socket): left out, with a note. */
  skip(path: string, what: string): void {
    this.skipped.push(`${path} (${what})`);
  }

  finish(): RootFsRead {
    const paths = [...this.nodes.keys()].sort(comparePaths);
    const first = new Map<number, string>();
    const entries = paths.map((path): RootEntry => {
      const n = this.nodes.get(path)!;
      let linkTo = '';
      if (n.kind === 'file') {
        linkTo = first.get(n.inode) ?? '';
        if (!linkTo) first.set(n.inode, path);
      }
      return { path, kind: n.kind, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime, size: n.size, sha256: n.sha256, target: n.target, linkTo };
    });
    const metadata = entries.reduce((n, e) => n + 60 + utf8Length(e.path) + utf8Length(e.target) + utf8Length(e.linkTo), 0);
    if (metadata > ROOTFS_LIMITS.headerBytes) this.fail('', `holds ${metadata} bytes of names and metadata, more than the ${ROOTFS_LIMITS.headerBytes} a trace header may hold`);
    // Only the contents some entry still has (a replaced tar member leaves its old content behind).
    const used = new Map(entries.filter((e) => e.kind === 'file').map((e) => [e.sha256, this.blobs.get(e.sha256)!] as const));
    return { image: { entries, blobs: new MemoryBlobStore(used) }, notes: this.notes() };
  }

  private notes(): string[] {
    if (this.skipped.length === 0) return [];
    const shown = this.skipped.slice(0, 3).join(', ');
    const more = this.skipped.length > 3 ? ` and ${this.skipped.length - 3} more` : '';
    return [`${this.source}: left out ${this.skipped.length} special file${this.skipped.length === 1 ? '' : 's'} (the machine provides /dev itself): ${shown}${more}`];
  }

  /** A later tar member of the same name replaces an earlier one, except a directory. */
  private replaceable(path: string): void {
    const old = this.nodes.get(path);
    if (old?.kind === 'dir') this.fail(path, 'is both a directory and a file or symlink');
  }

  private put(path: string, node: Node): void {
    const problem = pathProblem(path);
    if (problem) this.fail(JSON.stringify(path), problem);
    const parent = parentOf(path);
    if (parent) {
      const p = this.nodes.get(parent);
      if (!p) this.dir(parent, IMPLIED_DIR);
      else if (p.kind !== 'dir') this.fail(path, `its parent ${parent} is a ${p.kind}, not a directory`);
    }
    if (!this.nodes.has(path) && this.nodes.size >= ROOTFS_LIMITS.entries) this.fail(path, `would make more than ${ROOTFS_LIMITS.entries} entries, the most a root file system may hold`);
    this.nodes.set(path, node);
  }

  /** Permission bits only; ids must fit 32 bits; times are clamped into the format's range. */
  private clean(path: string, m: EntryMeta): EntryMeta {
    for (const [what, v] of [['uid', m.uid], ['gid', m.gid]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) this.fail(path, `has ${what} ${v}, not a 32-bit id`);
    }
    const mtime = Math.min(Math.max(Math.floor(m.mtime), 0), ROOTFS_LIMITS.maxMtime);
    return { mode: m.mode & 0o7777, uid: m.uid, gid: m.gid, mtime };
  }
}
