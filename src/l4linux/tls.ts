/**
 * Thread-local storage and the LDT (docs/segments.md): set_thread_area, get_thread_area, modify_ldt
 * with Linux i386's semantics and errnos, and the segment state a process carries across fork, exec and
 * signal frames. Linux keeps the descriptors (proc.tls, proc.ldt); the platform puts them where the CPU
 * reads them (the user thread's Segments).
 */
import {
  checkLoad,
  descFromUser,
  DS,
  ES,
  FS,
  GS,
  isEmptyDesc,
  isZeroDesc,
  LDT_ENTRIES,
  parseUserDesc,
  SS,
  TLS_COUNT,
  TLS_FIRST,
  USER_CS,
  USER_DS,
  userDescWords,
  userFromDesc,
  type Segments,
} from '../ia32/segments.js';
import { EFAULT, EINVAL, ENOSYS, ESRCH } from './abi.js';
import type { LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import type { Process } from './process.js';
import { copyToUser, readWords, writeWords } from './uaccess.js';

/** The selectors of a new program (ES CS SS DS FS GS). */
export const EXEC_SELECTORS: readonly number[] = [USER_DS, USER_CS, USER_DS, USER_DS, 0, 0];
/** Bytes of struct user_desc. */
const USER_DESC_SIZE = 16;
/** 2.4's default_ldt: five empty entries (modify_ldt func 2). */
const DEFAULT_LDT_SIZE = 5 * 8;

const tlsEmpty = (tls: Uint32Array, slot: number): boolean => tls[slot * 2] === 0 && tls[slot * 2 + 1] === 0;

/** set_thread_area(struct user_desc *u). */
export function* sysSetThreadArea(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const at = a[0]!;
  const w = yield* readWords(lx, proc, at, 4);
  if (!w) return -EFAULT;
  const u = parseUserDesc(w);
  let idx = u.entry | 0;
  if (idx === -1) {
    let slot = 0;
    while (slot < TLS_COUNT && !tlsEmpty(proc.tls, slot)) slot++;
    if (slot === TLS_COUNT) return -ESRCH;
    idx = TLS_FIRST + slot;
    if (!(yield* writeWords(lx, proc, at, [idx]))) return -EFAULT;
  }
  if (idx < TLS_FIRST || idx >= TLS_FIRST + TLS_COUNT) return -EINVAL;
  const clear = isEmptyDesc(u) || isZeroDesc(u);
  // Only present 32-bit data segments (tls_desc_okay): no code, no 16-bit segments.
  if (!clear && (u.seg32 === 0 || u.contents > 1 || u.notPresent === 1)) return -EINVAL;
  const [lo, hi] = clear ? [0, 0] : descFromUser(u);
  const slot = idx - TLS_FIRST;
  proc.tls[slot * 2] = lo;
  proc.tls[slot * 2 + 1] = hi;
  yield* lx.platform.setDescriptors(proc, 'gdt');
  return 0;
}

/**
 * clone's CLONE_SETTLS: the child starts with the TLS entry the parent's user_desc at `at` describes
 * (its entry number must name a slot). false when it cannot be read or is not a valid TLS entry.
 */
export function* setTlsFromUser(lx: Linux, parent: Process, child: Process, at: number): LxGen<boolean> {
  const w = yield* readWords(lx, parent, at, 4);
  if (!w) return false;
  const u = parseUserDesc(w);
  const idx = u.entry | 0;
  if (idx < TLS_FIRST || idx >= TLS_FIRST + TLS_COUNT) return false;
  const clear = isEmptyDesc(u) || isZeroDesc(u);
  const [lo, hi] = clear ? [0, 0] : descFromUser(u);
  child.tls[(idx - TLS_FIRST) * 2] = lo;
  child.tls[(idx - TLS_FIRST) * 2 + 1] = hi;
  return true;
}

/** get_thread_area(struct user_desc *u): the descriptor of slot u->entry_number, as fill_user_desc. */
export function* sysGetThreadArea(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const at = a[0]!;
  const w = yield* readWords(lx, proc, at, 1);
  if (!w) return -EFAULT;
  const idx = w[0]! | 0;
  if (idx < TLS_FIRST || idx >= TLS_FIRST + TLS_COUNT) return -EINVAL;
  const slot = idx - TLS_FIRST;
  const u = userFromDesc(idx, proc.tls[slot * 2]!, proc.tls[slot * 2 + 1]!);
  if (!(yield* writeWords(lx, proc, at, userDescWords(u)))) return -EFAULT;
  return 0;
}

/** modify_ldt(func, ptr, bytecount). */
export function* sysModifyLdt(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const [func, ptr, bytecount] = [a[0]! | 0, a[1]!, a[2]! >>> 0];
  switch (func) {
    case 0:
      return yield* readLdt(lx, proc, ptr, bytecount);
    case 1:
      return yield* writeLdt(lx, proc, ptr, bytecount, true);
    case 2: {
      const n = Math.min(bytecount, DEFAULT_LDT_SIZE);
      return (yield* copyToUser(lx, proc, ptr, new Uint8Array(n))) ? n : -EFAULT;
    }
    case 0x11:
      return yield* writeLdt(lx, proc, ptr, bytecount, false);
    default:
      return -ENOSYS;
  }
}

/**
 * func 0: the LDT as raw descriptors, zero-filled up to min(bytecount, 64 KiB); 0 without an LDT.
 * (2.4 kept a full 8192-entry table, 2.6 and later a sized one whose tail they zero-fill: a caller
 * sees the same bytes and the same count.)
 */
function* readLdt(lx: Linux, proc: Process, ptr: number, bytecount: number): LxGen<number> {
  if (proc.ldt.length === 0) return 0;
  const n = Math.min(bytecount, LDT_ENTRIES * 8);
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < proc.ldt.length && i * 4 + 4 <= n; i++) dv.setUint32(i * 4, proc.ldt[i]!, true);
  return (yield* copyToUser(lx, proc, ptr, out)) ? n : -EFAULT;
}

/**
 * func 1 (old mode) and 0x11: install one entry. As 2.4's write_ldt: a conforming code segment
 * (contents 3) only in new mode and not present; base 0 and limit 0 clear the entry in old mode, the
 * LDT_empty pattern in both; old mode drops the useable bit. The LDT grows to hold the entry.
 */
function* writeLdt(lx: Linux, proc: Process, ptr: number, bytecount: number, oldMode: boolean): LxGen<number> {
  if (bytecount !== USER_DESC_SIZE) return -EINVAL;
  const w = yield* readWords(lx, proc, ptr, 4);
  if (!w) return -EFAULT;
  const u = parseUserDesc(w);
  if (u.entry >= LDT_ENTRIES) return -EINVAL;
  if (u.contents === 3 && (oldMode || u.notPresent === 0)) return -EINVAL;
  const clear = (oldMode && u.base === 0 && u.limit === 0) || isEmptyDesc(u);
  const [lo, hi] = clear ? [0, 0] : descFromUser(oldMode ? { ...u, useable: 0 } : u);
  if (proc.ldt.length < (u.entry + 1) * 2) {
    const grown = new Uint32Array((u.entry + 1) * 2);
    grown.set(proc.ldt);
    proc.ldt = grown;
  }
  proc.ldt[u.entry * 2] = lo;
  proc.ldt[u.entry * 2 + 1] = hi;
  yield* lx.platform.setDescriptors(proc, 'ldt');
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// Fork, exec, first entry, signal frames

/** fork: the child gets the parent's TLS entries, a copy of its LDT, and its selectors. */
export function forkSegments(lx: Linux, parent: Process, child: Process): void {
  child.tls = parent.tls.slice();
  child.ldt = parent.ldt.slice();
  const segs = lx.platform.userSegments(parent);
  child.startSel = segs ? Array.from(segs.sel) : null;
}

/** exec: FS = GS = 0, no TLS entries, no LDT. */
export function execSegments(proc: Process): void {
  proc.tls = new Uint32Array(6);
  proc.ldt = new Uint32Array(0);
  proc.startSel = null;
}

/**
 * The state a new user thread starts with: the process's descriptors and its start selectors, each
 * loaded with the CPU's checks (one that no longer loads becomes the null selector).
 */
export function startSegments(segs: Segments, proc: Process): void {
  segs.reset();
  segs.tls.set(proc.tls);
  segs.ldt.d = proc.ldt.slice();
  loadSelectors(segs, proc.startSel ?? EXEC_SELECTORS, [ES, SS, DS, FS, GS]);
}

/** Whether the process has descriptors a new thread must be given (fork of a process that set some). */
export function hasDescriptors(proc: Process): { tls: boolean; ldt: boolean } {
  return { tls: proc.tls.some((v) => v !== 0), ldt: proc.ldt.length > 0 };
}

/**
 * Load selectors (indexed ES CS SS DS FS GS) into `regs` of `segs` as the kernel's loadsegment does:
 * one that does not pass the CPU's checks becomes the null selector (its fixup), SS stays flat.
 */
export function loadSelectors(segs: Segments, sel: readonly number[], regs: readonly number[]): void {
  for (const s of regs) {
    const v = sel[s]! & 0xffff;
    if (checkLoad(segs, s, v) === null) segs.cache(s, v);
    else if (s === SS) segs.cache(SS, USER_DS);
    else segs.setNull(s);
  }
}

/** The sigcontext's gs fs es ds words of the user thread (flat defaults without one). */
export function sigcontextSelectors(lx: Linux, proc: Process): number[] {
  const segs = lx.platform.userSegments(proc);
  if (!segs) return [0, 0, USER_DS, USER_DS];
  return [segs.sel[GS]!, segs.sel[FS]!, segs.sel[ES]!, segs.sel[DS]!];
}

/** A handler runs with DS and ES of the user data segment (FS and GS as they were). */
export function handlerSelectors(lx: Linux, proc: Process): void {
  const segs = lx.platform.userSegments(proc);
  if (!segs) return;
  segs.cache(DS, USER_DS);
  segs.cache(ES, USER_DS);
}

/**
 * sigreturn: gs fs es ds from the sigcontext. A selector that does not load becomes 0, as Linux's
 * loadsegment fixup (gs, fs) and its return-path fixup (ds, es) do; no signal.
 */
export function sigreturnSelectors(lx: Linux, proc: Process, words: readonly number[]): void {
  const segs = lx.platform.userSegments(proc);
  if (!segs) return;
  const sel = [words[2]!, 0, USER_DS, words[3]!, words[1]!, words[0]!];
  loadSelectors(segs, sel, [GS, FS, ES, DS]);
}
