/**
 * Path walking (Linux's namei): absolute paths start at the root, relative ones at a directory (the
 * process's working directory, or an *at call's dirfd); '..' of the root is the root; symbolic links
 * are followed in every component but the last unless asked, at most MAX_LINKS of them (ELOOP).
 */
import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from '../abi.js';
import type { Process } from '../process.js';
import type { FileSystem } from './filesystem.js';
import type { Inode } from './inode.js';

/** Linux's MAXSYMLINKS (40 since 4.2; 2.4 had 5 nested / 32 total: 40 lets today's programs run). */
const MAX_LINKS = 40;
/** PATH_MAX and NAME_MAX. */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

/** A walk's result: the inode, or a negative errno. */
export type Walked = Inode | number;

/** The entry `name` of directory `dir` (a /proc directory makes it on demand). */
export function child(dir: Inode, name: string, proc: Process | null): Inode | null {
  if (dir.dynamic) return dir.dynamic.lookup(proc, name);
  return dir.children?.get(name) ?? null;
}

/** A symlink's target (/proc's are computed for the reader). */
export function linkTarget(link: Inode, proc: Process | null): string {
  return link.targetFn ? link.targetFn(proc) : link.target;
}

/** Walks `path` from `start`; `follow`: a symlink as the last component is followed too. */
export function walk(fs: FileSystem, proc: Process | null, start: Inode, path: string, follow: boolean): Walked {
  if (path === '') return -ENOENT;
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  return walkFrom(fs, proc, start, path, follow, { links: 0 });
}

function walkFrom(fs: FileSystem, proc: Process | null, start: Inode, path: string, follow: boolean, budget: { links: number }): Walked {
  let cur = path.startsWith('/') ? fs.root : start;
  const parts = path.split('/').filter((p) => p !== '');
  const mustBeDir = path.endsWith('/');
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    if (cur.kind !== 'dir') return -ENOTDIR;
    if (name.length > NAME_MAX) return -ENAMETOOLONG;
    if (name === '.') continue;
    let next = name === '..' ? (cur.parent ?? fs.root) : child(cur, name, proc);
    if (!next) return -ENOENT;
    const last = i === parts.length - 1;
    if (next.kind === 'symlink' && (!last || follow || mustBeDir)) {
      if (++budget.links > MAX_LINKS) return -ELOOP;
      const r = walkFrom(fs, proc, cur, linkTarget(next, proc), true, budget);
      if (typeof r === 'number') return r;
      next = r;
    }
    cur = next;
  }
  if (mustBeDir && cur.kind !== 'dir') return -ENOTDIR;
  return cur;
}

/**
 * The directory a path's last component lives in, and that component's name ('' for '/', '.' or '..'
 * as written: callers refuse those where Linux does).
 */
export function walkParent(fs: FileSystem, proc: Process | null, start: Inode, path: string): { dir: Inode; name: string } | number {
  if (path === '') return -ENOENT;
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return { dir: fs.root, name: '' };
  const slash = trimmed.lastIndexOf('/');
  const name = trimmed.slice(slash + 1);
  if (name.length > NAME_MAX) return -ENAMETOOLONG;
  const dirPath = slash < 0 ? '.' : slash === 0 ? '/' : trimmed.slice(0, slash);
  const dir = walk(fs, proc, start, dirPath, true);
  if (typeof dir === 'number') return dir;
  if (dir.kind !== 'dir') return -ENOTDIR;
  return { dir, name };
}

/** The absolute path of a directory (getcwd), or null when it was removed. */
export function pathOf(fs: FileSystem, dir: Inode): string | null {
  const names: string[] = [];
  let cur = dir;
  for (let depth = 0; cur !== fs.root; depth++) {
    if (!cur.parent || depth > PATH_MAX) return null;
    names.push(cur.name);
    cur = cur.parent;
  }
  return '/' + names.reverse().join('/');
}
