/**
 * A root file system from a host directory: walked with lstat, never following a symlink (a symlink is
 * stored as one, with its target as written). Directories, regular files and symlinks are kept; files
 * with more than one link that share an inode become hard links; device nodes, FIFOs and sockets are
 * left out with a note (the machine provides /dev itself, and a tree copied from a real system often
 * holds some). Names are taken as UTF-8; a name that is not is refused. Directory entries are visited in
 * sorted order, so the same tree always reads the same way (and fails at the same place).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { comparePaths } from '../../../tracer/rootfs.js';
import { ImageBuilder, type EntryMeta, type RootFsRead } from './builder.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readDirectoryRootFs(dir: string, source = dir): RootFsRead {
  const walk = new Walk(new ImageBuilder(source));
  walk.directory(dir, '');
  return walk.b.finish();
}

class Walk {
  /** The first path seen of each inode with several links (device:inode). */
  private readonly inodes = new Map<string, string>();

  constructor(readonly b: ImageBuilder) {}

  directory(host: string, at: string): void {
    for (const name of this.names(host, at)) {
      const path = `${at}/${name}`;
      const child = join(host, name);
      const st = this.io(path, () => lstatSync(child, { bigint: true }));
      this.entry(child, path, st);
    }
  }

  private entry(host: string, path: string, st: BigIntStats): void {
    const meta: EntryMeta = { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), mtime: Number(st.mtimeMs / 1000n) };
    if (st.isDirectory()) {
      this.b.dir(path, meta);
      this.directory(host, path);
    } else if (st.isFile()) {
      this.file(host, path, st, meta);
    } else if (st.isSymbolicLink()) {
      const target = this.io(path, () => readlinkSync(host, { encoding: 'buffer' }));
      this.b.symlink(path, meta, this.text(path, target, 'a symlink target'));
    } else {
      this.b.skip(path, st.isCharacterDevice() ? 'character device' : st.isBlockDevice() ? 'block device' : st.isFIFO() ? 'FIFO' : 'socket');
    }
  }

  private file(host: string, path: string, st: BigIntStats, meta: EntryMeta): void {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1n ? this.inodes.get(key) : undefined;
    if (first) return this.b.hardLink(path, first);
    this.b.checkSize(path, Number(st.size));
    this.b.file(path, meta, this.io(path, () => readFileSync(host)));
    if (st.nlink > 1n) this.inodes.set(key, path);
  }

  private names(host: string, at: string): string[] {
    const raw = this.io(at || '/', () => readdirSync(host, { encoding: 'buffer' }));
    return raw.map((n) => this.text(`${at}/${n.toString('latin1')}`, n, 'a name')).sort(comparePaths);
  }

  private text(path: string, bytes: Buffer, what: string): string {
    try {
      return utf8.decode(bytes);
    } catch {
      return this.b.fail(path, `has ${what} that is not UTF-8 text`);
    }
  }

  /** A host call, its failure named by the path inside the root file system. */
  private io<T>(path: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return this.b.fail(path, `cannot be read (${err.code ?? err.message})`);
    }
  }
}
