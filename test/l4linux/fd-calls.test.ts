/**
 * Descriptor, poll and memory system calls as small system-call programs, under every personality and
 * against a native run: pipes with FIONREAD, poll, select and O_NONBLOCK; ioctl's ENOTTY; lseek's
 * ESPIPE; dup3 and fcntl; readv / writev; a directory's entries; mmap / mprotect / munmap results.
 */
import { describe, expect, it } from 'vitest';
import { NR } from '../../src/l4linux/abi.js';
import { MAX_REGIONS } from '../../src/l4linux/memory.js';
import { runEverywhere, runNatively, SyscallProgram, type SyscallOutput } from '../support/syscall-elf.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

function slots(out: SyscallOutput, names: string[]): Record<string, number[]> {
  return Object.fromEntries(names.map((n) => [n, Array.from({ length: out.raw(n).length / 4 }, (_, i) => out.i32(n, i))]));
}

/** Every personality gives the native run's values (where the host can run the program). */
function sameEverywhere(p: SyscallProgram, names: string[]): Record<string, number[]> {
  const native = runNatively(p);
  const runs = runEverywhere(p);
  for (const r of runs) {
    expect(r.out.status, r.label).toBe(0);
    if (native) expect(slots(r.out, names), `${r.label} vs native`).toEqual(slots(native, names));
  }
  return slots(runs[0]!.out, names);
}

describe('pipes: readiness, FIONREAD, non-blocking reads, ioctl and lseek errors', () => {
  it('poll and select see what a pipe holds; an empty non-blocking pipe gives EAGAIN', () => {
    const p = new SyscallProgram();
    const fds = p.buf('fds', 8);
    p.call('pipe', NR.pipe2, fds, O_NONBLOCK | O_CLOEXEC);
    // poll on the read end with nothing in it, timeout 0
    const pfd = p.buf('pfd', 8);
    p.load('eax', fds).store(pfd);
    p.storeImm(pfd.plus(4), 1 /* POLLIN */);
    p.call('poll0', NR.poll, pfd, 1, 0);
    p.call('eagain', NR.read, p.mem('fds'), p.buf('rbuf', 16), 16);
    p.call('w', NR.write, p.mem('fds', 4), p.buf('msg', 8, 'abcdefg'), 7);
    p.call('nread', NR.ioctl, p.mem('fds'), 0x541b /* FIONREAD */, p.buf('n', 4));
    p.call('poll1', NR.poll, pfd, 1, 0);
    p.call('notty', NR.ioctl, p.mem('fds'), 0x5401 /* TCGETS */, p.buf('termios', 64));
    p.call('spipe', NR.lseek, p.mem('fds'), 0, 0);
    p.call('getfl', NR.fcntl64, p.mem('fds'), 3 /* F_GETFL */, 0);
    p.call('getfd', NR.fcntl64, p.mem('fds'), 1 /* F_GETFD */, 0);
    // select: the read end is readable and the write end writable
    const rset = p.buf('rset', 4);
    const wset = p.buf('wset', 4);
    p.storeImm(rset, 1 << 3).storeImm(wset, 1 << 4);
    p.call('select', NR._newselect, 5, rset, wset, 0, p.words('tv', [0, 0]));
    p.call('r', NR.read, p.mem('fds'), p.buf('got', 8), 8);
    p.call('dup3same', NR.dup3, p.mem('fds'), p.mem('fds'), 0);
    p.call('dup3', NR.dup3, p.mem('fds'), 10, 0);
    p.call('getfd10', NR.fcntl64, 10, 1, 0);
    p.finish();
    const v = sameEverywhere(p, ['pipe', 'fds', 'poll0', 'pfd', 'eagain', 'w', 'nread', 'n', 'poll1', 'notty', 'spipe', 'getfl', 'getfd', 'select', 'rset', 'wset', 'r', 'dup3same', 'dup3', 'getfd10']);
    expect(v.eagain).toEqual([-11]);
    expect(v.n).toEqual([7]);
    expect(v.notty).toEqual([-25]);
    expect(v.spipe).toEqual([-29]);
    expect(v.select).toEqual([2]);
    expect(v.dup3same).toEqual([-22]);
  });
});

describe('vectored I/O and directories', () => {
  it('writev gathers, readv scatters; getdents64 lists . and .. of a new directory; rmdir and unlink errors', () => {
    const p = new SyscallProgram();
    const dir = p.buf('dir', 32, '/tmp/l4trace-fdcalls-dir\0');
    const file = p.buf('file', 40, '/tmp/l4trace-fdcalls-dir/f\0');
    p.call('rm0', NR.rmdir, dir); // in case a previous native run left it
    p.call('mkdir', NR.mkdir, dir, 0o755);
    p.call('mkdir2', NR.mkdir, dir, 0o755);
    p.call('fd', NR.open, file, 0o102 /* O_RDWR|O_CREAT */, 0o644);
    const iov = p.words('iov', [0, 3, 0, 4]);
    const a = p.buf('a', 4, 'abc');
    const b = p.buf('b', 4, 'defg');
    p.mov('eax', a).store(iov);
    p.mov('eax', b).store(iov.plus(8));
    p.call('writev', NR.writev, p.mem('fd'), iov, 2);
    p.call('seek', NR.lseek, p.mem('fd'), 1, 0);
    const riov = p.words('riov', [0, 2, 0, 10]);
    p.mov('eax', p.buf('x', 4)).store(riov);
    p.mov('eax', p.buf('y', 12)).store(riov.plus(8));
    p.call('readv', NR.readv, p.mem('fd'), riov, 2);
    p.call('notempty', NR.rmdir, dir);
    p.call('isdir', NR.unlink, dir);
    p.call('dfd', NR.open, dir, 0o200000 /* O_DIRECTORY */, 0);
    p.call('ents', NR.getdents64, p.mem('dfd'), p.buf('dents', 256), 256);
    p.call('unlink', NR.unlink, file);
    p.call('rmdir', NR.rmdir, dir);
    p.call('enoent', NR.unlink, file);
    p.finish();
    const v = sameEverywhere(p, ['mkdir', 'mkdir2', 'writev', 'seek', 'readv', 'x', 'y', 'notempty', 'isdir', 'unlink', 'rmdir', 'enoent']);
    expect(v.writev).toEqual([7]);
    expect(v.readv).toEqual([6]);
    expect(v.mkdir2).toEqual([-17]);
    expect(v.notempty).toEqual([-39]);
    expect(v.isdir).toEqual([-21]);
  });
});

describe('what a hostile program can make the server hold is bounded', () => {
  it('mmap fails with ENOMEM at MAX_REGIONS regions; a symlink loop gives ELOOP; the program goes on', () => {
    const p = new SyscallProgram();
    const count = p.buf('count', 4);
    p.label('loop');
    p.sys(NR.mmap2, 0, 4096, 1 /* PROT_READ */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    p.store(p.buf('last', 4));
    p.cmpEax(-12).jcc('e', 'done');
    p.inc(count);
    p.load('eax', count).cmpEax(MAX_REGIONS + 100).jcc('l', 'loop');
    p.label('done');
    const loop = p.buf('loopname', 32, '/tmp/l4trace-loop-link\0');
    p.call('unlink', NR.unlink, loop);
    p.call('symlink', NR.symlink, loop, loop);
    p.call('open', NR.open, loop, 0, 0);
    p.call('unlink2', NR.unlink, loop);
    p.finish();
    for (const r of runEverywhere(p)) {
      expect(r.out.status, r.label).toBe(0);
      expect(r.out.i32('last'), r.label).toBe(-12);
      expect(r.out.i32('count'), r.label).toBeGreaterThan(MAX_REGIONS - 16);
      expect(r.out.i32('count'), r.label).toBeLessThan(MAX_REGIONS);
      expect(r.out.i32('open'), r.label).toBe(-40);
    }
  });
});
