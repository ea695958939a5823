/**
 * Finding a path in a root file system image as the machine's lookup would (used on the host to resolve
 * the program `l4trace run` is asked to start): symlinks followed, absolute targets from the image's
 * root, ".." at the root staying there (as under chroot), at most 40 symlinks (Linux's ELOOP bound).
 */
import type { RootEntry, RootFsImage } from '../../l4linux/vfs/rootfs-image.js';

const MAX_SYMLINKS = 40;

export type Lookup = { entry: RootEntry; path: string } | { problem: string };

export function lookupPath(image: RootFsImage, path: string): Lookup {
  const byPath = new Map(image.entries.map((e) => [e.path, e] as const));
  const todo = path.split('/').reverse();
  let at = '';
  let hops = 0;
  let entry: RootEntry | null = null; // null: the root directory
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '' || part === '.') continue;
    if (entry && entry.kind !== 'dir') return { problem: `${at} is not a directory` };
    if (part === '..') {
      at = at.slice(0, at.lastIndexOf('/'));
      entry = at ? byPath.get(at)! : null;
      continue;
    }
    const next = byPath.get(`${at}/${part}`);
    if (!next) return { problem: `${at}/${part} does not exist` };
    if (next.kind === 'symlink') {
      if (++hops > MAX_SYMLINKS) return { problem: `more than ${MAX_SYMLINKS} symlinks on the way` };
      todo.push(...next.target.split('/').reverse());
      if (next.target.startsWith('/')) [at, entry] = ['', null];
      continue;
    }
    at = next.path;
    entry = next;
  }
  return entry ? { entry, path: at } : { problem: 'is the root directory' };
}
