/**
 * A root file system from a host directory, the choice between a directory and a tar, the built-in
 * root file system, finding a program in an image, and the default environment.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { committedGuests, loadCommittedGuest } from '../../src/guests/catalog.js';
import { RootFsError } from '../../src/session/rootfs/builder.js';
import { defaultRootFs } from '../../src/session/rootfs/default.js';
import { DEFAULT_ENV, environment } from '../../src/session/rootfs/environment.js';
import { readRootFs } from '../../src/session/rootfs/load.js';
import { lookupPath } from '../../src/session/rootfs/lookup.js';
import { tempDir } from '../support/cli.js';
import { tarArchive } from '../support/tar.js';

function tree(): string {
  const dir = join(tempDir(), 'root');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'bin', 'hello'), loadCommittedGuest('hello'));
  chmodSync(join(dir, 'bin', 'hello'), 0o755);
  linkSync(join(dir, 'bin', 'hello'), join(dir, 'bin', 'hi'));
  symlinkSync('hello', join(dir, 'bin', 'sh'));
  symlinkSync('/bin/hello', join(dir, 'etc', 'abs'));
  writeFileSync(join(dir, 'etc', 'motd'), 'hi\n');
  utimesSync(join(dir, 'etc', 'motd'), 1000, 1234);
  return dir;
}

function refusal(arg: string): string {
  try {
    readRootFs(arg);
  } catch (e) {
    expect(e).toBeInstanceOf(RootFsError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error(`${arg} was accepted`);
}

describe('a directory as the root file system', () => {
  it('is walked without following symlinks: files, directories, symlinks, hard links', () => {
    const { image, notes } = readRootFs(tree());
    expect(notes).toEqual([]);
    expect(image.entries.map((e) => `${e.path} ${e.kind}${e.linkTo ? ` -> ${e.linkTo}` : ''}${e.target ? ` @ ${e.target}` : ''}`)).toEqual([
      '/bin dir',
      '/bin/hello file',
      '/bin/hi file -> /bin/hello',
      '/bin/sh symlink @ hello',
      '/etc dir',
      '/etc/abs symlink @ /bin/hello',
      '/etc/motd file',
    ]);
    const motd = image.entries.find((e) => e.path === '/etc/motd')!;
    expect(motd).toMatchObject({ size: 3, mtime: 1234 });
    expect(new TextDecoder().decode(image.blobs.get(motd.sha256))).toBe('hi\n');
    expect(image.entries.find((e) => e.path === '/bin/hello')!.mode).toBe(0o755);
  });

  it('reads the same tree the same way twice', () => {
    const dir = tree();
    expect(readRootFs(dir).image.entries).toEqual(readRootFs(dir).image.entries);
  });

  it('leaves FIFOs (and devices, sockets) out with a note', () => {
    const dir = tree();
    if (spawnSync('mkfifo', [join(dir, 'etc', 'fifo')]).status !== 0) return;
    const { image, notes } = readRootFs(dir);
    expect(image.entries.some((e) => e.path === '/etc/fifo')).toBe(false);
    expect(notes).toEqual([`--rootfs ${dir}: left out 1 special file (the machine provides /dev itself): /etc/fifo (FIFO)`]);
  });

  it('refuses a symlink whose relative target climbs above the root, naming it', () => {
    const dir = tree();
    symlinkSync('../../x', join(dir, 'etc', 'bad'));
    expect(refusal(dir)).toBe(`--rootfs ${dir}: /etc/bad is a symlink that points outside the root file system (../../x climbs above /)`);
  });

  it('refuses a name that is not UTF-8', () => {
    const dir = tree();
    writeFileSync(Buffer.concat([Buffer.from(join(dir, 'etc') + '/'), Buffer.from([0xff, 0x41])]), '');
    expect(refusal(dir)).toMatch(/^--rootfs .*: \/etc\/.*A has a name that is not UTF-8 text$/);
  });
});

describe('--rootfs DIR|FILE.tar', () => {
  it('refuses a missing path, a file that is neither a directory nor a tar, a compressed tar', () => {
    const dir = tempDir();
    expect(refusal(join(dir, 'nope'))).toBe(`--rootfs ${join(dir, 'nope')}: no such file or directory`);
    writeFileSync(join(dir, 'notes.txt'), 'just text\n');
    expect(refusal(join(dir, 'notes.txt'))).toBe(`--rootfs ${join(dir, 'notes.txt')}: neither a directory nor a tar archive (10 bytes, shorter than a tar header)`);
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(2048, 7));
    expect(refusal(join(dir, 'big.bin'))).toMatch(/neither a directory nor a tar archive \(its first 512 bytes are not a tar header\)$/);
    writeFileSync(join(dir, 'fs.tar.gz'), gzipSync(tarArchive([{ name: 'a', data: 'x' }])));
    expect(refusal(join(dir, 'fs.tar.gz'))).toBe(`--rootfs ${join(dir, 'fs.tar.gz')}: a gzip-compressed file; l4trace reads plain tar archives: unpack it first (gunzip -k ${join(dir, 'fs.tar.gz')})`);
    writeFileSync(join(dir, 'empty.tar'), '');
    expect(refusal(join(dir, 'empty.tar'))).toMatch(/neither a directory nor a tar archive \(0 bytes/);
  });

  it('reads a tar', () => {
    const file = join(tempDir(), 'fs.tar');
    writeFileSync(file, tarArchive([{ name: 'bin/hello', data: loadCommittedGuest('hello') }]));
    expect(readRootFs(file).image.entries.map((e) => e.path)).toEqual(['/bin', '/bin/hello']);
  });
});

describe('the built-in root file system', () => {
  it('has every committed guest in /bin, /etc, /tmp, /dev, /root, /home, with fixed owners and times', () => {
    const { image } = defaultRootFs(null);
    const by = new Map(image.entries.map((e) => [e.path, e]));
    for (const g of committedGuests()) expect(by.get(`/bin/${g}`), g).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(by.get('/tmp')).toMatchObject({ kind: 'dir', mode: 0o1777 });
    expect(by.get('/root')!.mode).toBe(0o700);
    for (const p of ['/dev', '/home', '/etc']) expect(by.get(p)!.kind).toBe('dir');
    expect(new TextDecoder().decode(image.blobs.get(by.get('/etc/passwd')!.sha256))).toBe('root:x:0:0:root:/root:/bin/sh\n');
    expect(image.entries.every((e) => e.uid === 0 && e.gid === 0 && e.mtime === 0)).toBe(true);
    expect(defaultRootFs(null).image.entries).toEqual(image.entries);
  });

  it('adds the busybox tar of `npm run rootfs`, whose members win over guests of the same name', () => {
    const root = tempDir();
    mkdirSync(join(root, '.cache', 'rootfs'), { recursive: true });
    writeFileSync(join(root, '.cache', 'rootfs', 'busybox-rootfs.tar'), tarArchive([{ name: 'bin/busybox', data: 'BB', mode: 0o755 }, { name: 'bin/sh', type: '2', linkname: 'busybox' }]));
    const by = new Map(defaultRootFs(root).image.entries.map((e) => [e.path, e]));
    expect(by.get('/bin/busybox')!.size).toBe(2);
    expect(by.get('/bin/sh')).toMatchObject({ kind: 'symlink', target: 'busybox' });
    expect(by.get('/bin/hello')!.kind).toBe('file');
  });
});

describe('finding a program in an image', () => {
  it('follows symlinks, absolute ones from the root, and .. stays at the root', () => {
    const { image } = readRootFs(tree());
    const hello = image.entries.find((e) => e.path === '/bin/hello')!;
    for (const p of ['/bin/hello', '/bin/sh', '/etc/abs', '/etc/../bin/sh', '/../../bin/hi', 'bin//./hello']) {
      const r = lookupPath(image, p);
      expect('entry' in r && r.entry.sha256, p).toBe(hello.sha256);
    }
    expect(lookupPath(image, '/bin/nope')).toEqual({ problem: '/bin/nope does not exist' });
    expect(lookupPath(image, '/etc/motd/x')).toEqual({ problem: '/etc/motd is not a directory' });
    expect(lookupPath(image, '/')).toEqual({ problem: 'is the root directory' });
  });

  it('stops at a symlink loop', () => {
    const dir = tree();
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    expect(lookupPath(readRootFs(dir).image, '/a')).toEqual({ problem: 'more than 40 symlinks on the way' });
  });
});

describe('the environment', () => {
  it('is the default with --env over it: replaced in place, new ones appended', () => {
    expect(environment([])).toEqual(DEFAULT_ENV);
    const env = environment(['TERM=dumb', 'FOO=a=b', 'EMPTY=']);
    expect(env).toEqual(DEFAULT_ENV.map((v) => (v.startsWith('TERM=') ? 'TERM=dumb' : v)).concat(['FOO=a=b', 'EMPTY=']));
    expect(() => environment(['NOEQUALS'])).toThrow(/--env "NOEQUALS": expected NAME=VALUE/);
    expect(() => environment(['=x'])).toThrow(/expected NAME=VALUE/);
  });
});
