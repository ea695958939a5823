/**
 * The rules of a trace's root file system (Header.rootfs and the FileBlob packets, trace.proto): what a
 * path, an entry and a blob must be before a reader believes them. The writing side (src/session/rootfs)
 * builds images with the same path rules, so nothing it writes is refused here. Every check runs before
 * anything is sized by the values it checks: the header's entries are counted on the wire before the
 * header is decoded, blob sizes are added up before a blob is kept.
 */
import { TraceFormatError } from './errors.js';
import { sameBytes } from './framing.js';
import { LIMITS } from './limits.js';
import { RootEntryKind, type RootEntryData, type RootFsData } from './packets.js';
import { WireCursor } from './varint.js';

const utf8 = new TextEncoder();

/** Header.rootfs and RootFs.entries (trace.proto). */
const HEADER_ROOTFS_FIELD = 19;
const ROOTFS_ENTRIES_FIELD = 1;

/**
 * Order of entry paths: UTF-8 byte order (= code point order). JS compares UTF-16 code units, which
 * puts U+E000..U+FFFF after the surrogates that encode U+10000 and above; the fix-up maps them back.
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeOrder(x) - codeOrder(y);
  }
  return a.length - b.length;
}

function codeOrder(c: number): number {
  if (c < 0xd800) return c;
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/** Why `path` is not an absolute normalised entry path ('/bin/sh'), or null when it is one. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/') || path === '/') return 'is not an absolute path below /';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (utf8.encode(path).length > LIMITS.rootfsPathBytes) return `is longer than ${LIMITS.rootfsPathBytes} bytes`;
  for (const part of path.slice(1).split('/')) {
    if (part === '') return 'has an empty component (a doubled or trailing slash)';
    if (part === '.' || part === '..') return `has a "${part}" component`;
    if (utf8.encode(part).length > LIMITS.rootfsNameBytes) return `has a component longer than ${LIMITS.rootfsNameBytes} bytes`;
  }
  return null;
}

/** The directory an entry path lies in ('' for the root). */
export function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/**
 * Whether a symlink at `path` whose target is relative climbs above the root: `../../x` from /a/l does.
 * Judged on the words of the target alone (lexically, as it is written): a target that leaves the root
 * is refused even if a symlink on its way would bring it back. Absolute targets resolve inside the root
 * (as under chroot), so they never escape.
 */
export function symlinkEscapes(path: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  let depth = path.split('/').length - 2; // components of the link's directory
  for (const part of target.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** Why a symlink target cannot be stored, or null. */
export function targetProblem(path: string, target: string): string | null {
  if (target === '') return 'has an empty target';
  if (target.includes('\0')) return 'has a target with a NUL byte';
  if (utf8.encode(target).length > LIMITS.rootfsTargetBytes) return `has a target longer than ${LIMITS.rootfsTargetBytes} bytes`;
  if (symlinkEscapes(path, target)) return `points outside the root file system (${target} climbs above /)`;
  return null;
}

/**
 * Count the root file system's entries in an encoded Header without decoding it: a hostile header could
 * otherwise make the decoder build millions of objects before any bound is checked.
 */
export function countRootEntries(header: Uint8Array, offset: number): number {
  let n = 0;
  const c = new WireCursor(header, 0, header.length, offset);
  while (!c.done) {
    const key = c.varint();
    if (key >>> 3 !== HEADER_ROOTFS_FIELD || (key & 7) !== 2) {
      c.skip(key & 7);
      continue;
    }
    const [start, end] = c.lengthDelimited();
    const inner = new WireCursor(header, start, end, offset);
    while (!inner.done) {
      const k = inner.varint();
      if (k >>> 3 === ROOTFS_ENTRIES_FIELD) n++;
      inner.skip(k & 7);
    }
  }
  return n;
}

/** Refuse a root file system no recording can have (see trace.proto's RootFs). */
export function checkRootFs(fs: RootFsData, offset: number): void {
  const bad = (what: string): never => {
    throw new TraceFormatError('BAD_HEADER', `the root file system: ${what}`, offset);
  };
  if (fs.entries.length > LIMITS.rootfsEntries) bad(`${fs.entries.length} entries (at most ${LIMITS.rootfsEntries})`);
  const byPath = new Map<string, RootEntryData>();
  const content = new Map<string, number>();
  let prev = '';
  for (const e of fs.entries) {
    const problem = pathProblem(e.path);
    if (problem) bad(`entry path ${JSON.stringify(e.path)} ${problem}`);
    if (prev && comparePaths(prev, e.path) >= 0) bad(`entry ${JSON.stringify(e.path)} is out of order or repeated (after ${JSON.stringify(prev)})`);
    prev = e.path;
    const parent = parentOf(e.path);
    if (parent && byPath.get(parent)?.kind !== RootEntryKind.DIR) bad(`entry ${JSON.stringify(e.path)} has no parent directory entry ${JSON.stringify(parent)}`);
    const why = entryProblem(e, byPath);
    if (why) bad(`entry ${JSON.stringify(e.path)} ${why}`);
    byPath.set(e.path, e);
    if (e.kind === RootEntryKind.FILE) content.set(hex(e.sha256), e.size);
  }
  let total = 0;
  for (const size of content.values()) total += size;
  if (total > LIMITS.rootfsBytes) bad(`its files hold ${total} bytes of content (at most ${LIMITS.rootfsBytes})`);
}

/** What is wrong with one entry (its path and place already checked), or null. */
function entryProblem(e: RootEntryData, earlier: ReadonlyMap<string, RootEntryData>): string | null {
  if (e.mode > 0o7777) return `has mode ${e.mode.toString(8)} (permission bits are at most 7777)`;
  if (e.mtime >= LIMITS.rootfsMtime) return `has mtime ${e.mtime} (below 2^40 expected)`;
  if (e.kind !== RootEntryKind.FILE && (e.size !== 0 || e.sha256.length !== 0 || e.linkTo !== '')) return 'is not a file but has a size, content hash or link';
  if (e.kind !== RootEntryKind.SYMLINK && e.target !== '') return 'is not a symlink but has a target';
  switch (e.kind) {
    case RootEntryKind.DIR:
      return null;
    case RootEntryKind.SYMLINK:
      return targetProblem(e.path, e.target);
    case RootEntryKind.FILE:
      if (e.sha256.length !== 32) return `has a ${e.sha256.length}-byte content hash (SHA-256 has 32)`;
      if (e.size > LIMITS.rootfsFileBytes) return `has ${e.size} bytes (a file holds at most ${LIMITS.rootfsFileBytes})`;
      return e.linkTo ? linkProblem(e, earlier.get(e.linkTo)) : null;
    default:
      return `has unknown kind ${e.kind}`;
  }
}

/** A hard link names the first file of its group, and shares every field of it but the path. */
function linkProblem(e: RootEntryData, first: RootEntryData | undefined): string | null {
  if (!first || first.kind !== RootEntryKind.FILE || first.linkTo !== '') return `is a hard link to ${JSON.stringify(e.linkTo)}, which is not an earlier file that is no link itself`;
  const same = first.mode === e.mode && first.uid === e.uid && first.gid === e.gid && first.mtime === e.mtime && first.size === e.size && sameBytes(first.sha256, e.sha256);
  return same ? null : `is a hard link to ${JSON.stringify(e.linkTo)} but differs from it`;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** The file sizes of a root file system by content hash (hex): what a blob must match. */
export function contentSizes(fs: RootFsData | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of fs?.entries ?? []) if (e.kind === RootEntryKind.FILE) out.set(hex(e.sha256), e.size);
  return out;
}
