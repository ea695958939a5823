/**
 * A root file system from a tar archive, parsed here (no library: the format is small, and every field
 * of an archive from a stranger is checked before it sizes anything). Read: POSIX ustar (with the name
 * prefix), pax extended headers (`x`: path, linkpath, size, mtime, uid, gid; `g`: mtime, uid, gid for
 * the members after it; other keywords ignored), GNU long names and long link names (`L`, `K`), GNU's
 * base-256 numbers, and the old GNU and v7 layouts. Members: regular files (`0`, NUL, contiguous `7`),
 * hard links (`1`), symlinks (`2`), directories (`5`, GNU dumpdir `D`); devices and FIFOs (`3`, `4`, `6`)
 * are left out with a note; volume labels (`V`) are ignored; anything else (GNU sparse files, multi-volume
 * parts) is refused. Names lose a leading `/` and `./` as tar extracts them; a name with a `..` component
 * is refused. A header with a bad checksum, a number that is not one, a member that runs past the end of
 * the file, a name with a NUL inside: each refused with one line naming the archive and the member.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ImageBuilder, type EntryMeta, type RootFsRead } from './builder.js';
import { ROOTFS_LIMITS } from './limits.js';

const BLOCK = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the file at `path` starts like a tar archive (a header block whose checksum holds, or an empty archive). */
export function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < BLOCK) return false;
  const block = head.subarray(0, BLOCK);
  return block.every((b) => b === 0) || checksumOk(block);
}

export function readTarRootFs(file: string, source = file): RootFsRead {
  const b = new ImageBuilder(source);
  readTarInto(file, b);
  return b.finish();
}

/** Add an archive's members to `b`: a later member replaces an earlier entry of the same path (as tar extracts). */
export function readTarInto(file: string, b: ImageBuilder): void {
  const fd = openSync(file, 'r');
  try {
    new TarParser(new Blocks(fd, fstatSync(fd).size, b), b).run();
  } finally {
    closeSync(fd);
  }
}

/** Sequential reads of the archive, each checked against what is left of it. */
class Blocks {
  pos = 0;
  constructor(private readonly fd: number, readonly size: number, private readonly b: ImageBuilder) {}

  /** Bytes left (the last member's data may end without its padding). */
  get left(): number {
    return Math.max(0, this.size - this.pos);
  }

  /** `n` bytes, then skip to the next block boundary. */
  read(n: number, what: string): Buffer {
    this.need(n, what);
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, out, got, n - got, this.pos + got);
      if (r === 0) this.b.fail(what, 'could not be read: the archive shrank while being read');
      got += r;
    }
    this.pos += padded(n);
    return out;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += padded(n);
  }

  private need(n: number, what: string): void {
    if (n > this.left) this.b.fail(what, `claims ${n} bytes but only ${this.left} remain: the archive is cut short or damaged`);
  }
}

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/** Header fields: [offset, length]. */
const F = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  type: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  prefix: [345, 155],
} as const;

type Field = keyof typeof F;
const field = (h: Uint8Array, f: Field): Uint8Array => h.subarray(F[f][0], F[f][0] + F[f][1]);

function checksumOk(h: Uint8Array): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  const stored = octal(field(h, 'chksum'));
  return stored !== null && (stored === unsigned || stored === signed);
}

/** An octal field (leading spaces, then digits, ended by NUL or space), or null when it is not one. */
function octal(f: Uint8Array): number | null {
  let i = 0;
  while (i < f.length && f[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < f.length && f[i] !== 0 && f[i] !== 0x20; i++) {
    const d = f[i]! - 0x30;
    if (d < 0 || d > 7) return null;
    v = v * 8 + d;
    digits++;
  }
  for (; i < f.length; i++) if (f[i] !== 0 && f[i] !== 0x20) return null;
  return digits === 0 && f.some((x) => x !== 0 && x !== 0x20) ? null : v;
}

/** Pax keywords a member can carry. */
interface Pax {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
}

class TarParser {
  /** Pax `g` values, for every later member. */
  private global: Pax = {};
  /** Pending `x`, `L`, `K` values for the next member. */
  private local: Pax = {};

  constructor(private readonly blocks: Blocks, private readonly b: ImageBuilder) {}

  run(): void {
    if (this.blocks.size === 0) this.b.fail('', 'is an empty file, not a tar archive');
    for (let n = 0; ; n++) {
      if (this.blocks.left === 0) this.b.fail('', `ends after member ${n} without its end-of-archive block: it is cut short`);
      const h = this.blocks.read(BLOCK, `member ${n + 1}'s header`);
      if (h.every((x) => x === 0)) return; // end of archive (what follows is padding)
      if (!checksumOk(h)) this.b.fail(`member ${n + 1}'s header (at byte ${this.blocks.pos - BLOCK})`, 'does not match its checksum: it is not a tar header, or a damaged one');
      this.member(h);
    }
  }

  private member(h: Buffer): void {
    const raw = this.headerName(h);
    const type = String.fromCharCode(h[156]!);
    const headerSize = this.number(h, 'size', raw);
    switch (type) {
      case 'x':
      case 'g':
        return this.pax(type, this.metadata(headerSize, raw));
      case 'L':
        this.local.path = this.longName(this.metadata(headerSize, raw), raw);
        return;
      case 'K':
        this.local.linkpath = this.longName(this.metadata(headerSize, raw), raw);
        return;
    }
    const pax = { ...this.global, ...this.local };
    const size = pax.size ?? headerSize;
    this.local = {};
    const name = pax.path ?? raw;
    const path = this.entryPath(name);
    const meta: EntryMeta = {
      mode: this.number(h, 'mode', name),
      uid: pax.uid ?? this.number(h, 'uid', name),
      gid: pax.gid ?? this.number(h, 'gid', name),
      mtime: pax.mtime ?? this.number(h, 'mtime', name),
    };
    const link = pax.linkpath ?? this.text(field(h, 'linkname'), name, 'a link name');
    this.store(type, name, path, meta, size, link);
  }

  private store(type: string, name: string, path: string | null, meta: EntryMeta, size: number, link: string): void {
    const what = `member ${JSON.stringify(name)}`;
    if (path === null) return this.blocks.skip(size, what); // the root directory itself: fixed metadata
    switch (type) {
      case '0':
      case '\0':
      case '7':
        this.b.checkSize(path, size);
        return this.b.file(path, meta, this.blocks.read(size, what));
      case '1': {
        const target = this.entryPath(link);
        if (target === null) this.b.fail(path, 'is a hard link to the root directory');
        this.blocks.skip(size, what);
        return this.b.hardLink(path, target);
      }
      case '2':
        this.blocks.skip(size, what);
        return this.b.symlink(path, meta, link);
      case '5':
      case 'D':
        this.blocks.skip(size, what);
        return this.b.dir(path, meta);
      case '3':
      case '4':
      case '6':
        this.blocks.skip(size, what);
        return this.b.skip(path, { '3': 'character device', '4': 'block device', '6': 'FIFO' }[type]);
      case 'V':
        return this.blocks.skip(size, what);
      default:
        return this.b.fail(path, `has tar type ${JSON.stringify(type)} (${type === 'S' ? 'a GNU sparse file' : type === 'M' ? 'a multi-volume part' : 'unknown'}), which l4trace does not read`);
    }
  }

  /** The ustar name (with its prefix under POSIX ustar; old GNU uses that space for other fields). */
  private headerName(h: Buffer): string {
    const name = this.text(field(h, 'name'), '', 'a name');
    const posix = Buffer.from(field(h, 'magic')).toString('latin1') === 'ustar\0';
    const prefix = posix ? this.text(field(h, 'prefix'), name, 'a name prefix') : '';
    return prefix ? `${prefix}/${name}` : name;
  }

  /** A NUL-terminated header string, as UTF-8. */
  private text(f: Uint8Array, member: string, what: string): string {
    const end = f.indexOf(0);
    return this.decode(f.subarray(0, end < 0 ? f.length : end), member, what);
  }

  private decode(bytes: Uint8Array, member: string, what: string): string {
    try {
      return utf8.decode(bytes);
    } catch {
      return this.b.fail(member ? `member ${JSON.stringify(member)}` : 'a member', `has ${what} that is not UTF-8 text`);
    }
  }

  /** A numeric header field: octal, or GNU base-256 (high bit set; negative values refused). */
  private number(h: Uint8Array, f: 'mode' | 'uid' | 'gid' | 'size' | 'mtime', member: string): number {
    const bytes = field(h, f);
    if (bytes[0]! & 0x80) {
      if (bytes[0] === 0xff) return f === 'mtime' ? 0 : this.b.fail(`member ${JSON.stringify(member)}`, `has a negative ${f}`);
      let v = bytes[0]! & 0x7f;
      for (let i = 1; i < bytes.length; i++) {
        v = v * 256 + bytes[i]!;
        if (v > Number.MAX_SAFE_INTEGER) this.b.fail(`member ${JSON.stringify(member)}`, `has a ${f} beyond 2^53`);
      }
      return v;
    }
    const v = octal(bytes);
    if (v === null) this.b.fail(`member ${JSON.stringify(member)}`, `has a ${f} field that is not an octal number`);
    return v;
  }

  /** The data of a metadata member (pax header, long name), bounded before it is read. */
  private metadata(size: number, member: string): Buffer {
    if (size > ROOTFS_LIMITS.tarMetadataBytes) this.b.fail(`member ${JSON.stringify(member)}`, `is a ${size}-byte metadata header (at most ${ROOTFS_LIMITS.tarMetadataBytes})`);
    return this.blocks.read(size, `member ${JSON.stringify(member)}`);
  }

  /** A GNU long name: the data up to a NUL, and nothing but NULs after it. */
  private longName(data: Buffer, member: string): string {
    const end = data.indexOf(0);
    if (end >= 0 && data.subarray(end).some((x) => x !== 0)) this.b.fail(`member ${JSON.stringify(member)}`, 'has a long name with a NUL byte inside');
    return this.decode(data.subarray(0, end < 0 ? data.length : end), member, 'a long name');
  }

  /** Pax records: "<length> <keyword>=<value>\n", the length counting the whole record. */
  private pax(type: 'x' | 'g', data: Buffer): void {
    const at = type === 'x' ? 'a pax header' : 'a pax global header';
    const bad = (why: string): never => this.b.fail(at, why);
    const values: Pax = {};
    for (let pos = 0; pos < data.length; ) {
      const sp = data.indexOf(0x20, pos);
      const lenText = sp < 0 ? '' : data.subarray(pos, sp).toString('latin1');
      if (!/^[1-9][0-9]{0,7}$/.test(lenText)) {
        if (data.subarray(pos).every((x) => x === 0)) break; // NUL padding some writers leave
        bad('has a record without a valid length');
      }
      const end = pos + Number(lenText);
      if (end > data.length || end <= sp + 1 || data[end - 1] !== 0x0a) bad('has a record whose length does not fit');
      const record = this.decode(data.subarray(sp + 1, end - 1), type === 'x' ? 'pax header' : 'pax global header', 'a record');
      const eq = record.indexOf('=');
      if (eq <= 0) bad('has a record without a keyword');
      this.paxValue(values, record.slice(0, eq), record.slice(eq + 1), bad);
      pos = end;
    }
    if (type === 'x') Object.assign(this.local, values);
    else Object.assign(this.global, { ...(values.mtime !== undefined ? { mtime: values.mtime } : {}), ...(values.uid !== undefined ? { uid: values.uid } : {}), ...(values.gid !== undefined ? { gid: values.gid } : {}) });
  }

  private paxValue(out: Pax, key: string, value: string, bad: (why: string) => never): void {
    const int = (max: number): number => {
      if (!/^[0-9]{1,16}$/.test(value) || Number(value) > max) bad(`has ${key}=${value}, not a number up to ${max}`);
      return Number(value);
    };
    if (key.startsWith('GNU.sparse.')) bad('describes a GNU sparse file, which l4trace does not read');
    if ((key === 'path' || key === 'linkpath') && value.includes('\0')) bad(`has a ${key} with a NUL byte`);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') out.size = int(Number.MAX_SAFE_INTEGER);
    else if (key === 'uid') out.uid = int(0xffffffff);
    else if (key === 'gid') out.gid = int(0xffffffff);
    else if (key === 'mtime') {
      if (!/^-?[0-9]{1,16}(\.[0-9]*)?$/.test(value)) bad(`has mtime=${value}, not a time`);
      out.mtime = Math.max(0, Math.floor(Number(value)));
    }
  }

  /** A member name as an entry path: '/'-separated, '.' and empty components dropped; null for the root. */
  private entryPath(name: string): string | null {
    if (name === '') this.b.fail('', 'has a member with an empty name');
    if (name.includes('\0')) this.b.fail(`member ${JSON.stringify(name)}`, 'has a name with a NUL byte');
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) this.b.fail(`member ${JSON.stringify(name)}`, 'has a name that climbs out of the archive with ".."');
    return parts.length === 0 ? null : `/${parts.join('/')}`;
  }
}
