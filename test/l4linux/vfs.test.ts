/**
 * The file system's tree and path walking (src/l4linux/vfs): what Linux's namei does with '.', '..',
 * symlinks (followed in the middle, optionally at the end, at most 40), trailing slashes, long names;
 * a root file system image loaded with hard links, symlinks and lazy contents; /proc as a program reads it.
 */
import { describe, expect, it } from 'vitest';
import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, NR } from '../../src/l4linux/abi.js';
import { FileSystem } from '../../src/l4linux/vfs/filesystem.js';
import type { Inode } from '../../src/l4linux/vfs/inode.js';
import { pathOf, walk, walkParent } from '../../src/l4linux/vfs/namei.js';
import type { RootEntry } from '../../src/l4linux/vfs/rootfs-image.js';
import { runSyscallElf, SyscallProgram } from '../support/syscall-elf.js';

const limits = { pages: 64, inodes: 64, openFiles: 64 };

function tree(): FileSystem {
  const fs = new FileSystem(limits, () => 0);
  const usr = fs.mkdirs('/usr/lib');
  const file = fs.create('file', 0o644);
  fs.attach(usr, 'libc.a', file);
  const link = (dir: Inode, name: string, target: string): void => {
    const l = fs.create('symlink', 0o777);
    l.target = target;
    fs.attach(dir, name, l);
  };
  link(fs.root, 'lib', 'usr/lib');
  link(fs.root, 'abs', '/usr/lib/libc.a');
  link(fs.root, 'loop', 'loop');
  link(fs.root, 'dangling', '/nowhere');
  return fs;
}

const at = (fs: FileSystem, path: string, follow = true): Inode | number => walk(fs, null, fs.root, path, follow);

describe('path walking', () => {
  it('follows links in the middle of a path and, when asked, at its end', () => {
    const fs = tree();
    const libc = at(fs, '/usr/lib/libc.a') as Inode;
    expect(at(fs, '/lib/libc.a')).toBe(libc);
    expect(at(fs, 'lib/./../lib/libc.a')).toBe(libc);
    expect(at(fs, '/abs')).toBe(libc);
    expect((at(fs, '/abs', false) as Inode).kind).toBe('symlink');
    expect(at(fs, '/../../usr/lib/libc.a')).toBe(libc); // '..' of the root is the root
  });

  it('gives Linux errors: ENOENT, ENOTDIR, ELOOP after 40 links, ENAMETOOLONG', () => {
    const fs = tree();
    expect(at(fs, '/missing')).toBe(-ENOENT);
    expect(at(fs, '')).toBe(-ENOENT);
    expect(at(fs, '/dangling')).toBe(-ENOENT);
    expect(at(fs, '/usr/lib/libc.a/x')).toBe(-ENOTDIR);
    expect(at(fs, '/usr/lib/libc.a/')).toBe(-ENOTDIR);
    expect(at(fs, '/loop')).toBe(-ELOOP);
    expect((at(fs, '/loop', false) as Inode).kind).toBe('symlink');
    expect(at(fs, `/${'x'.repeat(256)}`)).toBe(-ENAMETOOLONG);
    expect(at(fs, `/${'a/'.repeat(2048)}`)).toBe(-ENAMETOOLONG);
  });

  it('finds a parent directory and the last name, and the path of a directory', () => {
    const fs = tree();
    const p = walkParent(fs, null, fs.root, '/lib/new/') as { dir: Inode; name: string };
    expect(p.name).toBe('new');
    expect(p.dir).toBe(at(fs, '/usr/lib'));
    expect(pathOf(fs, p.dir)).toBe('/usr/lib');
    expect(pathOf(fs, fs.root)).toBe('/');
    expect(walkParent(fs, null, fs.root, '/abs/x')).toBe(-ENOTDIR);
  });
});

describe('a root file system image', () => {
  const entry = (path: string, kind: RootEntry['kind'], extra: Partial<RootEntry> = {}): RootEntry => ({
    path, kind, mode: kind === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 7, size: 0, sha256: '', target: '', linkTo: '', ...extra,
  });

  it('loads directories, files whose bytes come from the store only when read, hard links and symlinks', () => {
    const bytes = new TextEncoder().encode('hello');
    const reads: string[] = [];
    const fs = new FileSystem(limits, () => 0);
    fs.load({
      entries: [
        entry('/etc', 'dir'),
        entry('/etc/motd', 'file', { size: 5, sha256: 'h1' }),
        entry('/etc/motd2', 'file', { size: 5, sha256: 'h1', linkTo: '/etc/motd' }),
        entry('/etc/link', 'symlink', { target: 'motd' }),
      ],
      blobs: { get: (h) => (reads.push(h), h === 'h1' ? bytes : undefined) },
    });
    const motd = at(fs, '/etc/link') as Inode;
    expect(motd).toBe(at(fs, '/etc/motd2'));
    expect(motd.nlink).toBe(2);
    expect(motd.size).toBe(5);
    expect(reads).toEqual([]); // nothing read yet
    expect(new TextDecoder().decode(motd.content()!.bytes())).toBe('hello');
    expect(reads).toEqual(['h1']);
    expect(motd.mtime).toBe(7);
  });

  it('a content the store lacks reads as lost (the guest gets EIO), not as an empty file', () => {
    const fs = new FileSystem(limits, () => 0);
    fs.load({ entries: [entry('/x', 'file', { size: 3, sha256: 'gone' })], blobs: { get: () => undefined } });
    expect((at(fs, '/x') as Inode).content()).toBeNull();
  });
});

describe('/proc, made on demand', () => {
  it('self/status, self/exe, self/fd, mounts and version read as a program sees them', () => {
    const p = new SyscallProgram();
    p.call('fd', NR.open, p.buf('status', 20, '/proc/self/status\0'), 0, 0);
    p.call('n', NR.read, p.mem('fd'), p.buf('text', 256), 256);
    p.call('exe', NR.readlink, p.buf('exepath', 16, '/proc/self/exe\0'), p.buf('target', 64), 64);
    p.call('fd3', NR.readlink, p.buf('fdpath', 20, '/proc/self/fd/3\0'), p.buf('fdtarget', 64), 64);
    p.call('mfd', NR.open, p.buf('mounts', 16, '/proc/mounts\0'), 0, 0);
    p.call('m', NR.read, p.mem('mfd'), p.buf('mtext', 128), 128);
    p.call('wr', NR.open, p.buf('status2', 20, '/proc/self/status\0'), 1 /* O_WRONLY */, 0);
    p.call('mk', NR.mkdir, p.buf('newdir', 16, '/proc/mine\0'), 0o755);
    p.finish();
    const out = runSyscallElf(p, [], 'procview').out;
    const status = out.text('text', 0, out.i32('n'));
    expect(status).toContain('Name:\tprocview\n');
    expect(status).toContain('Pid:\t1\n');
    expect(status).toContain('Uid:\t0\t0\t0\t0\n');
    expect(out.text('target', 0, out.i32('exe'))).toBe('/bin/procview');
    expect(out.text('fdtarget', 0, out.i32('fd3'))).toBe('/proc/self/status');
    expect(out.text('mtext', 0, out.i32('m'))).toContain('rootfs / rootfs rw 0 0');
    expect(out.i32('wr')).toBeGreaterThanOrEqual(0); // root opens it; writing would fail (EINVAL)
    expect(out.i32('mk')).toBe(-13); // EACCES: /proc holds no new names
  });
});
