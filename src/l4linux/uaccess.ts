/**
 * Kernel access to user memory (copy_from_user / copy_to_user). Linux reads and writes a process's
 * pages through the pages that back them, faulting them in (and breaking copy-on-write) as needed.
 * When that gives a process a new page under an address, the platform removes the old translation.
 */
import { work, type LxGen } from './coroutine.js';
import { OOM, resolvePage, type Linux } from './linux.js';
import type { PageEntry } from './memory.js';
import type { Process } from './process.js';

/** The page backing `addr` for the access, or null if the address is not part of the process. */
function* userPage(lx: Linux, proc: Process, addr: number, write: boolean): LxGen<PageEntry | null> {
  const vpn = Math.floor((addr >>> 0) / 4096);
  const e = proc.mm.pages.get(vpn);
  if (e && (!write || !e.cow)) {
    if (write && !e.writable) return null;
    return e;
  }
  const r = yield* resolvePage(lx, proc, addr, write);
  // No memory for the page: the access fails (2.4: a kernel-mode fault takes the -EFAULT fixup).
  if (!r || r === OOM) return null;
  if (r.replaced) yield* lx.platform.unmapPages(proc, [{ vpn, at: r.replaced.at }]);
  yield* lx.platform.mapPage(proc, vpn, r.e);
  return r.e;
}

export function* copyFromUser(lx: Linux, proc: Process, addr: number, len: number): LxGen<Uint8Array | null> {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; ) {
    const a = (addr + i) >>> 0;
    const e = yield* userPage(lx, proc, a, false);
    if (!e) return null;
    const n = Math.min(len - i, 4096 - (a & 4095));
    out.set(lx.platform.readPage(e.b.at, a & 4095, n), i);
    i += n;
  }
  yield* work(len * lx.costs.copyPerByte);
  return out;
}

export function* copyToUser(lx: Linux, proc: Process, addr: number, data: Uint8Array): LxGen<boolean> {
  for (let i = 0; i < data.length; ) {
    const a = (addr + i) >>> 0;
    const e = yield* userPage(lx, proc, a, true);
    if (!e) return false;
    const n = Math.min(data.length - i, 4096 - (a & 4095));
    lx.platform.writePage(e.b.at, a & 4095, data.subarray(i, i + n));
    i += n;
  }
  yield* work(data.length * lx.costs.copyPerByte);
  return true;
}

/** 32-bit little-endian words from user memory. */
export function* readWords(lx: Linux, proc: Process, addr: number, count: number): LxGen<number[] | null> {
  const b = yield* copyFromUser(lx, proc, addr, count * 4);
  if (!b) return null;
  const dv = new DataView(b.buffer);
  return Array.from({ length: count }, (_, i) => dv.getUint32(i * 4, true));
}

export function* writeWords(lx: Linux, proc: Process, addr: number, words: number[]): LxGen<boolean> {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return yield* copyToUser(lx, proc, addr, b);
}

/** A NUL-terminated string of at most `max` bytes, or null (bad address, too long). */
export function* readString(lx: Linux, proc: Process, addr: number, max = 4096): LxGen<string | null> {
  const bytes: number[] = [];
  for (let a = addr >>> 0; bytes.length < max; ) {
    const n = 4096 - (a & 4095);
    const chunk = yield* copyFromUser(lx, proc, a, Math.min(n, max - bytes.length));
    if (!chunk) return null;
    const z = chunk.indexOf(0);
    if (z >= 0) {
      bytes.push(...chunk.subarray(0, z));
      return new TextDecoder().decode(new Uint8Array(bytes));
    }
    bytes.push(...chunk);
    a = (a + chunk.length) >>> 0;
  }
  return null;
}

/** A NULL-terminated array of string pointers (argv, envp). */
export function* readStringArray(lx: Linux, proc: Process, addr: number, maxItems = 256): LxGen<string[] | null> {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let i = 0; i < maxItems; i++) {
    const w = yield* readWords(lx, proc, addr + i * 4, 1);
    if (!w) return null;
    if (w[0] === 0) return out;
    const s = yield* readString(lx, proc, w[0]!);
    if (s === null) return null;
    out.push(s);
  }
  return null;
}
