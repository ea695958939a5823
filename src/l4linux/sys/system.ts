/**
 * What the system says about itself: uname, sysinfo, getcpu.
 *
 * uname reports the kernel the machine models, Linux 2.4.19 (docs/table2.md), on an i686. Static glibc
 * 2.36 and musl 1.2 programs do not check the kernel version at startup (glibc 2.36 makes no uname call
 * there and has no "kernel too old" check in static programs; tested: test/l4linux/identity-calls.test.ts),
 * so the release can say what is modelled rather than what the libraries' system-call ABI dates from.
 */
import { EFAULT, NR } from '../abi.js';
import { uptime } from '../clock.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import type { Backing } from '../memory.js';
import { copyToUser, writeWords } from '../uaccess.js';
import type { SyscallTable } from './syscall.js';

/** struct new_utsname: six NUL-padded fields of 65 bytes. */
const UTS_FIELD = 65;
export const UTSNAME = {
  sysname: 'Linux',
  nodename: 'l4linux',
  release: '2.4.19',
  version: '#1 Wed Jan 1 00:00:00 UTC 2003',
  machine: 'i686',
  domainname: '(none)',
} as const;

function* sysUname(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const out = new Uint8Array(6 * UTS_FIELD);
  const enc = new TextEncoder();
  Object.values(UTSNAME).forEach((s, i) => out.set(enc.encode(s), i * UTS_FIELD));
  return (yield* copyToUser(lx, proc, a[0]!, out)) ? 0 : -EFAULT;
}

/** Frames below 1 MiB: the microkernel's and sigma0's, never Linux's. */
const RESERVED_FRAMES = 256;

/**
 * Memory in use by Linux: the pages backing every process's memory (shared ones once) and the kernel
 * pages held for each. The rest of the machine's frames above the first megabyte count as free.
 */
function usedPages(lx: Linux): number {
  const backings = new Set<Backing>();
  let kernel = 0;
  for (const p of lx.processes.values()) {
    for (const e of p.mm.pages.values()) backings.add(e.b);
    kernel += p.kernelPages.length;
  }
  return backings.size + kernel;
}

/**
 * struct sysinfo (64 bytes on i386): uptime rounded up to a second, no load, the machine's memory and
 * Linux's use of it, no swap, no high memory, the number of processes (zombies included). Memory is in
 * bytes (mem_unit 1) while the total fits 32 bits, else in pages (mem_unit 4096), as Linux reports it.
 */
function* sysSysinfo(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const up = uptime(lx);
  const total = lx.ctx.machine.param<number>('physFrames');
  const free = Math.max(0, total - RESERVED_FRAMES - usedPages(lx));
  const unit = total * 4096 < 0x100000000 ? 1 : 4096;
  const mem = (pages: number): number => (unit === 1 ? pages * 4096 : pages);
  const words = [up.sec + (up.nsec > 0 ? 1 : 0), 0, 0, 0, mem(total), mem(free), 0, 0, 0, 0, lx.processes.size & 0xffff, 0, 0, unit, 0, 0];
  return (yield* writeWords(lx, proc, a[0]!, words)) ? 0 : -EFAULT;
}

/** getcpu: CPU 0, node 0 (each pointer may be NULL). */
function* sysGetcpu(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  for (const at of [a[0]!, a[1]!]) if (at !== 0 && !(yield* writeWords(lx, proc, at, [0]))) return -EFAULT;
  return 0;
}

export const SYSTEM_SYSCALLS: SyscallTable = [
  [NR.uname, sysUname],
  [NR.sysinfo, sysSysinfo],
  [NR.getcpu, sysGetcpu],
];
