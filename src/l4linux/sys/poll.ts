/**
 * poll, ppoll, select, pselect6: which descriptors are ready, waiting (interruptibly, with a timeout
 * in jiffies) until one is. A waiter sleeps on Linux's poll queue, which every wake-up of a pipe or the
 * console also wakes (one queue for all: simple, and exact, since a woken waiter checks again).
 */
import { EBADF, EFAULT, EINVAL, ERESTARTNOHAND, NR } from '../abi.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import type { OpenFile } from '../files.js';
import { Pipe } from '../files.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyFromUser, copyToUser, readWords } from '../uaccess.js';
import { canRead, canWrite } from './io.js';
import { i32, type SyscallTable } from './syscall.js';

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const MAX_POLL_FDS = 1024;

/** The poll bits a file shows now. */
function readiness(lx: Linux, f: OpenFile): number {
  if (f.kind === 'pipe-read') return (f.pipe!.length > 0 ? POLLIN : 0) | (f.pipe!.writers === 0 ? POLLHUP : 0);
  if (f.kind === 'pipe-write') return f.pipe!.readers === 0 ? POLLERR : f.pipe!.length < Pipe.CAPACITY ? POLLOUT : 0;
  if (f.kind === 'console') {
    const c = lx.console;
    const input = c.eof || c.input.length > 0 && (!c.canonical || c.input.includes(10));
    return (input && canRead(f) ? POLLIN : 0) | (canWrite(f) ? POLLOUT : 0);
  }
  return (canRead(f) ? POLLIN : 0) | (canWrite(f) ? POLLOUT : 0);
}

/** Waits until `check` finds something (it returns a count > 0) or the deadline (jiffy, 0: none; -1: no wait). */
function* waitFor(lx: Linux, until: number, check: () => number): LxGen<number> {
  for (;;) {
    const n = check();
    if (n !== 0 || until < 0) return n;
    const why = yield* sleepOn(lx.pollWait, true, until);
    if (why === 'signal') return -ERESTARTNOHAND;
    if (why === 'timeout') return check();
  }
}

/** A timeout in microseconds as a deadline: -1 no wait, 0 none (forever). */
const deadline = (lx: Linux, us: number | null): number => (us === null ? 0 : us <= 0 ? -1 : lx.jiffyAfterUs(us));

function* poll(lx: Linux, proc: Process, at: number, nfds: number, timeoutUs: number | null): LxGen<number> {
  if (nfds > MAX_POLL_FDS) return -EINVAL;
  const raw = nfds === 0 ? new Uint8Array(0) : yield* copyFromUser(lx, proc, at, nfds * 8);
  if (!raw) return -EFAULT;
  const v = new DataView(raw.buffer);
  const check = (): number => {
    let n = 0;
    for (let i = 0; i < nfds; i++) {
      const fd = v.getInt32(i * 8, true);
      const events = v.getUint16(i * 8 + 4, true) | POLLERR | POLLHUP;
      const f = fd >= 0 ? proc.files.get(fd) : undefined;
      const rev = fd < 0 ? 0 : f ? readiness(lx, f) & events : POLLNVAL;
      v.setUint16(i * 8 + 6, rev, true);
      if (rev) n++;
    }
    return n;
  };
  const n = yield* waitFor(lx, deadline(lx, timeoutUs), check);
  if (n < 0) return n;
  return (yield* copyToUser(lx, proc, at, raw)) ? n : -EFAULT;
}

/** select: three fd_set bitmaps of `nfds` bits; the ready ones are written back. */
function* select(lx: Linux, proc: Process, nfds: number, sets: number[], timeoutUs: number | null): LxGen<number> {
  if (i32(nfds) < 0 || nfds > MAX_POLL_FDS) return -EINVAL;
  const words = Math.ceil(nfds / 32);
  const wanted: (number[] | null)[] = [];
  for (const at of sets) {
    if (at === 0) wanted.push(null);
    else {
      const w = words === 0 ? [] : yield* readWords(lx, proc, at, words);
      if (!w) return -EFAULT;
      wanted.push(w);
    }
  }
  for (let fd = 0; fd < nfds; fd++) if (wanted.some((w) => w && w[fd >> 5]! & (1 << (fd & 31))) && !proc.files.get(fd)) return -EBADF;
  const out = wanted.map((w) => (w ? new Array<number>(words).fill(0) : null));
  const check = (): number => {
    let n = 0;
    for (let fd = 0; fd < nfds; fd++) {
      const f = proc.files.get(fd);
      if (!f) continue;
      const r = readiness(lx, f);
      const bits = [r & (POLLIN | POLLHUP), r & (POLLOUT | POLLERR), 0];
      wanted.forEach((w, k) => {
        if (w && w[fd >> 5]! & (1 << (fd & 31)) && bits[k]) {
          out[k]![fd >> 5] |= 1 << (fd & 31);
          n++;
        }
      });
    }
    return n;
  };
  const n = yield* waitFor(lx, deadline(lx, timeoutUs), () => (out.forEach((o) => o?.fill(0)), check()));
  if (n < 0) return n;
  for (let k = 0; k < 3; k++) {
    if (!out[k]) continue;
    const b = new Uint8Array(words * 4);
    const dv = new DataView(b.buffer);
    out[k]!.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    if (!(yield* copyToUser(lx, proc, sets[k]!, b))) return -EFAULT;
  }
  return n;
}

/** A struct timeval / timespec (32-bit or 64-bit seconds) as microseconds; null for a NULL pointer. */
function* timeoutAt(lx: Linux, proc: Process, at: number, kind: 'timeval' | 'timespec' | 'timespec64'): LxGen<number | null | false> {
  if (at === 0) return null;
  const w = yield* readWords(lx, proc, at, kind === 'timespec64' ? 4 : 2);
  if (!w) return false;
  const sec = kind === 'timespec64' ? w[0]! + w[1]! * 2 ** 32 : w[0]!;
  const frac = kind === 'timespec64' ? w[2]! : w[1]!;
  return sec * 1e6 + (kind === 'timeval' ? frac : Math.floor(frac / 1000));
}

function* withTimeout(lx: Linux, proc: Process, at: number, kind: 'timeval' | 'timespec' | 'timespec64', run: (us: number | null) => LxGen<number>): LxGen<number> {
  const us = yield* timeoutAt(lx, proc, at, kind);
  if (us === false) return -EFAULT;
  return yield* run(us);
}

export const POLL_SYSCALLS: SyscallTable = [
  [NR.poll, (lx, p, a) => poll(lx, p, a[0]!, a[1]!, i32(a[2]!) < 0 ? null : i32(a[2]!) * 1000)],
  [NR.ppoll, (lx, p, a) => withTimeout(lx, p, a[2]!, 'timespec', (us) => poll(lx, p, a[0]!, a[1]!, us))],
  [NR.ppoll_time64, (lx, p, a) => withTimeout(lx, p, a[2]!, 'timespec64', (us) => poll(lx, p, a[0]!, a[1]!, us))],
  [NR._newselect, (lx, p, a) => withTimeout(lx, p, a[4]!, 'timeval', (us) => select(lx, p, a[0]!, [a[1]!, a[2]!, a[3]!], us))],
  [NR.pselect6, (lx, p, a) => withTimeout(lx, p, a[4]!, 'timespec', (us) => select(lx, p, a[0]!, [a[1]!, a[2]!, a[3]!], us))],
  [NR.pselect6_time64, (lx, p, a) => withTimeout(lx, p, a[4]!, 'timespec64', (us) => select(lx, p, a[0]!, [a[1]!, a[2]!, a[3]!], us))],
  [NR.select, function* (lx, p, a) {
    const w = yield* readWords(lx, p, a[0]!, 5);
    if (!w) return -EFAULT;
    return yield* withTimeout(lx, p, w[4]!, 'timeval', (us) => select(lx, p, w[0]!, [w[1]!, w[2]!, w[3]!], us));
  }],
];
