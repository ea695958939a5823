/**
 * Reading a root file system from a tar archive (src/session/rootfs/tar.ts): what tar programs write
 * (GNU tar itself when the host has it), every header layout the reader knows, and hostile archives,
 * each refused with one line naming the archive and the member.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RootFsError } from '../../src/session/rootfs/builder.js';
import { readRootFs } from '../../src/session/rootfs/load.js';
import { readTarRootFs } from '../../src/session/rootfs/tar.js';
import { ROOTFS_LIMITS } from '../../src/session/rootfs/limits.js';
import { tempDir } from '../support/cli.js';
import { paxRecords, tarArchive, type TarMember } from '../support/tar.js';

function tarFile(members: readonly TarMember[], opts: { end?: boolean } = {}): string {
  const file = join(tempDir(), 'fs.tar');
  writeFileSync(file, tarArchive(members, opts));
  return file;
}

const read = (members: readonly TarMember[], opts: { end?: boolean } = {}) => readTarRootFs(tarFile(members, opts), 'fs.tar');

function refused(members: readonly TarMember[], pattern: RegExp, opts: { end?: boolean } = {}): string {
  let message = '';
  try {
    read(members, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(RootFsError);
    message = (e as Error).message;
  }
  expect(message, 'the archive was accepted').not.toBe('');
  expect(message).toMatch(/^fs\.tar: /);
  expect(message).not.toContain('\n');
  expect(message).toMatch(pattern);
  return message;
}

const text = (image: { blobs: { get(h: string): Uint8Array | undefined } }, sha: string): string => new TextDecoder().decode(image.blobs.get(sha)!);

describe('tar archives', () => {
  it('reads files, directories, symlinks and hard links into a sorted tree with every parent', () => {
    const { image, notes } = read([
      { name: 'bin/', type: '5', mtime: 1700000000 },
      { name: 'bin/busybox', data: 'BB', mode: 0o755, uid: 3, gid: 4, mtime: 1700000001 },
      { name: 'bin/sh', type: '2', linkname: 'busybox' },
      { name: 'bin/ash', type: '1', linkname: 'bin/busybox' },
      { name: './etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' }, // etc/ itself is not listed
      { name: 'dev/null', type: '3' },
    ]);
    expect(image.entries.map((e) => `${e.path} ${e.kind}`)).toEqual(['/bin dir', '/bin/ash file', '/bin/busybox file', '/bin/sh symlink', '/etc dir', '/etc/passwd file']);
    const [, ash, busybox, sh, etc] = image.entries;
    // The first of a link group by path (/bin/ash) is the file; the others name it and share its metadata.
    expect(ash).toMatchObject({ mode: 0o755, uid: 3, gid: 4, mtime: 1700000001, size: 2, linkTo: '' });
    expect(busybox).toMatchObject({ mode: 0o755, uid: 3, gid: 4, mtime: 1700000001, size: 2, linkTo: '/bin/ash', sha256: ash!.sha256 });
    expect(sh).toMatchObject({ target: 'busybox', size: 0, sha256: '' });
    expect(etc).toMatchObject({ mode: 0o755, uid: 0, gid: 0, mtime: 0 });
    expect(text(image, busybox!.sha256)).toBe('BB');
    expect(notes).toEqual(['fs.tar: left out 1 special file (the machine provides /dev itself): /dev/null (character device)']);
  });

  it('a hard link group: the first path holds the content, the rest name it', () => {
    const { image } = read([{ name: 'z', data: 'x' }, { name: 'a', type: '1', linkname: 'z' }, { name: 'm', type: '1', linkname: 'a' }]);
    expect(image.entries.map((e) => [e.path, e.linkTo])).toEqual([['/a', ''], ['/m', '/a'], ['/z', '/a']]);
  });

  it('reads pax headers (long names, linkpath, size, mtime, ids), GNU long names, the ustar prefix, base-256 numbers', () => {
    const long = `d/${'n'.repeat(150)}`;
    const { image } = read([
      { name: 'PaxHeader', type: 'x', data: paxRecords([['path', long], ['mtime', '1234.5'], ['uid', '70000'], ['comment', 'ignored']]) },
      { name: 'short', data: 'pax' },
      { name: 'PaxHeader', type: 'x', data: paxRecords([['linkpath', 'target-from-pax']]) },
      { name: 'l', type: '2', linkname: 'x' },
      { name: '././@LongLink', type: 'L', data: `g/${'q'.repeat(120)}\0`, magic: 'gnu' },
      { name: 'cut', data: 'gnu', magic: 'gnu' },
      { name: 'file', prefix: 'pre/fix', data: 'prefixed' },
      { name: 'old', data: 'v7', magic: 'v7' },
      { name: 'big-uid', data: '', edit: (h) => h.set([0x80, 0, 0, 0, 0, 0, 0x01, 0x00], 108) },
    ]);
    const by = new Map(image.entries.map((e) => [e.path, e]));
    expect(by.get(`/${long}`)).toMatchObject({ mtime: 1234, uid: 70000, size: 3 });
    expect(by.get('/l')!.target).toBe('target-from-pax');
    expect(by.get(`/g/${'q'.repeat(120)}`)!.size).toBe(3);
    expect(by.get('/pre/fix/file')!.size).toBe(8);
    expect(by.get('/old')!.size).toBe(2);
    expect(by.get('/big-uid')!.uid).toBe(256);
  });

  it('a pax global header sets mtime and ids of the members after it', () => {
    const { image } = read([{ name: 'g', type: 'g', data: paxRecords([['mtime', '99'], ['gid', '7']]) }, { name: 'a', data: '' }, { name: 'b', data: '', gid: 1 }]);
    expect(image.entries.map((e) => [e.path, e.mtime, e.gid])).toEqual([['/a', 99, 7], ['/b', 99, 7]]);
  });

  it('a later member replaces an earlier one of the same path, as tar extracts', () => {
    const { image } = read([{ name: 'a', data: 'old' }, { name: 'a', data: 'new' }]);
    expect(image.entries).toHaveLength(1);
    expect(text(image, image.entries[0]!.sha256)).toBe('new');
  });

  it('leading slashes and ./ are dropped; the root itself keeps its fixed metadata; an empty archive is an empty tree', () => {
    expect(read([{ name: './', type: '5', mode: 0o700 }, { name: '/abs/x', data: '' }]).image.entries.map((e) => e.path)).toEqual(['/abs', '/abs/x']);
    expect(read([]).image.entries).toEqual([]);
  });

  it('absolute symlink targets are fine (they resolve inside the root); relative ones may not climb above it', () => {
    expect(read([{ name: 'a/l', type: '2', linkname: '/etc/passwd' }, { name: 'a/m', type: '2', linkname: '../b' }]).image.entries).toHaveLength(3);
    refused([{ name: 'a/l', type: '2', linkname: '../../x' }], /^fs\.tar: \/a\/l is a symlink that points outside the root file system \(\.\.\/\.\.\/x climbs above \/\)$/);
    refused([{ name: 'l', type: '2', linkname: 'a/../../x' }], /climbs above/);
    refused([{ name: 'l', type: '2', linkname: '' }], /empty target/);
  });

  it('refuses names that climb out of the archive', () => {
    refused([{ name: '../x', data: '' }], /member "\.\.\/x" has a name that climbs out of the archive/);
    refused([{ name: '/../x', data: '' }], /climbs out/);
    refused([{ name: 'a/../../x', data: '' }], /climbs out/);
    refused([{ name: 'PaxHeader', type: 'x', data: paxRecords([['path', '../../etc/x']]) }, { name: 'ok', data: '' }], /climbs out/);
    refused([{ name: 'h', type: '1', linkname: '../x' }], /climbs out/);
  });

  it('refuses names with a NUL byte inside', () => {
    refused([{ name: 'PaxHeader', type: 'x', data: paxRecords([['path', 'a\0b']]) }, { name: 'ok', data: '' }], /pax header has a path with a NUL byte/);
    refused([{ name: '././@LongLink', type: 'L', data: 'a\0b\0' }, { name: 'ok', data: '' }], /long name with a NUL byte inside/);
  });

  it('refuses a bad checksum, a cut archive, and a missing end-of-archive block', () => {
    refused([{ name: 'a', data: 'x', edit: (h) => (h[0] = 0x62), keepChecksum: true }], /member 1's header \(at byte 0\) does not match its checksum/);
    const whole = tarArchive([{ name: 'a', data: 'x'.repeat(2000) }]);
    const file = join(tempDir(), 'cut.tar');
    writeFileSync(file, whole.subarray(0, 1024));
    expect(() => readTarRootFs(file, 'fs.tar')).toThrow(/^fs\.tar: member "a" claims 2000 bytes but only 512 remain: the archive is cut short or damaged$/);
    refused([{ name: 'a', data: 'x' }], /ends after member 1 without its end-of-archive block/, { end: false });
    const unpadded = join(tempDir(), 'unpadded.tar');
    writeFileSync(unpadded, tarArchive([{ name: 'a', data: 'xyz' }], { end: false }).subarray(0, 515));
    expect(() => readTarRootFs(unpadded, 'fs.tar')).toThrow(/^fs\.tar: ends after member 1 without its end-of-archive block: it is cut short$/);
  });

  it('refuses huge sizes before reading (or allocating) them', () => {
    refused([{ name: 'big', data: '', size: ROOTFS_LIMITS.fileBytes + 1 }], new RegExp(`^fs\\.tar: /big is ${ROOTFS_LIMITS.fileBytes + 1} bytes; a file of the root file system holds at most ${ROOTFS_LIMITS.fileBytes}$`));
    refused([{ name: 'big', data: '', edit: (h) => h.set([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0], 124) }], /\/big is 1048576 bytes|claims 1048576 bytes/); // base-256, past the end
    refused([{ name: 'big', data: '', edit: (h) => h.fill(0xff, 124, 136) }], /has a negative size/);
    refused([{ name: 'big', data: '', edit: (h) => h.set([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 124) }], /size beyond 2\^53/);
    refused([{ name: 'PaxHeader', type: 'x', data: '', size: ROOTFS_LIMITS.tarMetadataBytes + 1 }], /is a 1048577-byte metadata header/);
    refused([{ name: 'PaxHeader', type: 'x', data: paxRecords([['size', '99999999999']]) }, { name: 'a', data: '' }], /\/a is 99999999999 bytes/);
  });

  it('refuses malformed numbers and pax records', () => {
    refused([{ name: 'a', data: '', edit: (h) => h.set(new TextEncoder().encode('12x4567\0'), 100) }], /member "a" has a mode field that is not an octal number/);
    refused([{ name: 'PaxHeader', type: 'x', data: '99 path=a\n' }, { name: 'a', data: '' }], /a pax header has a record whose length does not fit/);
    refused([{ name: 'PaxHeader', type: 'x', data: 'x path=a\n' }, { name: 'a', data: '' }], /record without a valid length/);
    refused([{ name: 'PaxHeader', type: 'x', data: paxRecords([['uid', '-1']]) }, { name: 'a', data: '' }], /has uid=-1, not a number/);
  });

  it('refuses member types it does not read, and trees that cannot be', () => {
    refused([{ name: 's', type: 'S', data: '' }], /\/s has tar type "S" \(a GNU sparse file\)/);
    refused([{ name: 'PaxHeader', type: 'x', data: paxRecords([['GNU.sparse.size', '10']]) }, { name: 'a', data: '' }], /sparse/);
    refused([{ name: 'f', data: 'x' }, { name: 'f/g', data: 'y' }], /\/f\/g its parent \/f is a file, not a directory/);
    refused([{ name: 'd/', type: '5' }, { name: 'd', data: 'y' }], /\/d is both a directory and a file or symlink/);
    refused([{ name: 'h', type: '1', linkname: 'nowhere' }], /\/h is a hard link to \/nowhere, which is not in the archive before it/);
    refused([{ name: 'd/', type: '5' }, { name: 'h', type: '1', linkname: 'd' }], /hard link to the directory/);
  });

  it('refuses names that are not UTF-8', () => {
    refused([{ name: 'a', data: '', edit: (h) => h.set([0xff, 0xfe], 0) }], /has a name that is not UTF-8 text/);
  });

  it('reads what GNU tar writes', () => {
    if (spawnSync('tar', ['--version']).status !== 0) return;
    const dir = tempDir();
    const src = join(dir, 'src');
    mkdirSync(join(src, 'bin'), { recursive: true });
    mkdirSync(join(src, 'deep', 'x'.repeat(120), 'y'.repeat(120)), { recursive: true });
    writeFileSync(join(src, 'bin', 'prog'), 'program');
    linkSync(join(src, 'bin', 'prog'), join(src, 'bin', 'prog2'));
    symlinkSync('prog', join(src, 'bin', 'p'));
    writeFileSync(join(src, 'deep', 'x'.repeat(120), 'y'.repeat(120), 'z'.repeat(200)), 'far');
    for (const format of ['gnu', 'posix', 'ustar']) {
      const file = join(dir, `${format}.tar`);
      const names = format === 'ustar' ? ['bin'] : ['bin', 'deep'];
      const r = spawnSync('tar', ['-cf', file, `--format=${format}`, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1000', '--sort=name', '-C', src, ...names]);
      expect(r.status, String(r.stderr)).toBe(0);
      const { image } = readRootFs(file);
      const by = new Map(image.entries.map((e) => [e.path, e]));
      expect(by.get('/bin/p')!.target, format).toBe('prog');
      expect(by.get('/bin/prog')).toMatchObject({ size: 7, mtime: 1000, uid: 0, linkTo: '' });
      expect(by.get('/bin/prog2')!.linkTo).toBe('/bin/prog');
      if (format !== 'ustar') expect(by.get(`/deep/${'x'.repeat(120)}/${'y'.repeat(120)}/${'z'.repeat(200)}`)!.size, format).toBe(3);
    }
  });
});
