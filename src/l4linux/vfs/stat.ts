/**
 * What stat tells about a file, and the three i386 layouts it is told in: struct stat (the old calls),
 * struct stat64 (stat64, fstatat64) and struct statx.
 */
import type { OpenFile } from '../files.js';
import { S_IFCHR, S_IFIFO, type Inode } from './inode.js';

export interface StatInfo {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  atime: number;
  mtime: number;
  ctime: number;
}

/** The file system's device number (all of it is one file system). */
const ROOT_DEV = 0x0001;
const PIPE_DEV = 0x0008;

export function statOf(inode: Inode): StatInfo {
  return { dev: ROOT_DEV, ino: inode.ino, mode: inode.stMode, nlink: inode.nlink, uid: inode.uid, gid: inode.gid, rdev: inode.rdev, size: inode.size, atime: inode.atime, mtime: inode.mtime, ctime: inode.ctime };
}

/** fstat of an open file: its inode's, or a pipe's or the console's. */
export function statOfOpen(f: OpenFile): StatInfo {
  if (f.inode) return statOf(f.inode);
  if (f.kind === 'console') return { dev: ROOT_DEV, ino: 2, mode: S_IFCHR | 0o620, nlink: 1, uid: 0, gid: 0, rdev: (5 << 8) | 1, size: 0, atime: 0, mtime: 0, ctime: 0 };
  return { dev: PIPE_DEV, ino: 3, mode: S_IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: f.pipe?.length ?? 0, atime: 0, mtime: 0, ctime: 0 };
}

const blocks = (size: number): number => Math.ceil(size / 4096) * 8;

/** struct stat64 (96 bytes). */
export function encodeStat64(s: StatInfo): Uint8Array {
  const b = new Uint8Array(96);
  const v = new DataView(b.buffer);
  v.setUint32(0, s.dev, true);
  v.setUint32(12, s.ino, true);
  v.setUint32(16, s.mode, true);
  v.setUint32(20, s.nlink, true);
  v.setUint32(24, s.uid, true);
  v.setUint32(28, s.gid, true);
  v.setUint32(32, s.rdev, true);
  v.setUint32(44, s.size % 2 ** 32, true);
  v.setUint32(48, Math.floor(s.size / 2 ** 32), true);
  v.setUint32(52, 4096, true);
  v.setUint32(56, blocks(s.size), true);
  v.setUint32(64, s.atime, true);
  v.setUint32(72, s.mtime, true);
  v.setUint32(80, s.ctime, true);
  v.setUint32(88, s.ino, true);
  return b;
}

/** The old struct stat (64 bytes); EOVERFLOW is the caller's when a value does not fit. */
export function encodeOldStat(s: StatInfo): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setUint32(0, s.dev, true);
  v.setUint32(4, s.ino, true);
  v.setUint16(8, s.mode, true);
  v.setUint16(10, s.nlink, true);
  v.setUint16(12, s.uid, true);
  v.setUint16(14, s.gid, true);
  v.setUint32(16, s.rdev, true);
  v.setUint32(20, s.size, true);
  v.setUint32(24, 4096, true);
  v.setUint32(28, blocks(s.size), true);
  v.setUint32(32, s.atime, true);
  v.setUint32(40, s.mtime, true);
  v.setUint32(48, s.ctime, true);
  return b;
}

/** STATX_BASIC_STATS: every field above is filled. */
const STATX_BASIC_STATS = 0x7ff;

/** struct statx (256 bytes). */
export function encodeStatx(s: StatInfo): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  v.setUint32(0, STATX_BASIC_STATS, true);
  v.setUint32(4, 4096, true);
  v.setUint32(16, s.nlink, true);
  v.setUint32(20, s.uid, true);
  v.setUint32(24, s.gid, true);
  v.setUint16(28, s.mode, true);
  v.setUint32(32, s.ino, true);
  v.setUint32(40, s.size % 2 ** 32, true);
  v.setUint32(44, Math.floor(s.size / 2 ** 32), true);
  v.setUint32(48, blocks(s.size), true);
  for (const [off, t] of [[64, s.atime], [96, s.ctime], [112, s.mtime]] as const) v.setUint32(off, t, true);
  v.setUint32(128, s.rdev >>> 8, true);
  v.setUint32(132, s.rdev & 0xff, true);
  v.setUint32(136, s.dev >>> 8, true);
  v.setUint32(140, s.dev & 0xff, true);
  return b;
}
