/**
 * Thread ids. The kernel uses one canonical form, a "gid" = task << 21 | lthread << 14 | version
 * (32 bits, the same numbers the trace stores), and converts to the ABI forms at the edges:
 * V2 (64 bit: version_low:10 lthread:7 task:11 version_high:4 | site:17 chief:11 nest:4) and
 * X.2 (32 bit: thread_no:18 version:14). See ../shared/reference/l4-semantics.md §2.
 */
export const NIL = 0;
export const INVALID = 0xffffffff;

export const MAX_TASKS = 2048; // V2 task numbers are 11 bits

export function gid(task: number, lthread: number, version: number): number {
  return task * 0x200000 + lthread * 0x4000 + version;
}
export const gidTask = (g: number): number => Math.floor(g / 0x200000);
export const gidLthread = (g: number): number => Math.floor(g / 0x4000) & 0x7f;
export const gidVersion = (g: number): number => g & 0x3fff;

/** IRQ pseudo-thread n: V2 id (low = n + 1, high = 0), i.e. task 0, lthread 0, version n + 1. */
export const irqGid = (n: number): number => gid(0, 0, n + 1);
export const isIrqGid = (g: number): boolean => g !== NIL && g !== INVALID && gidTask(g) === 0 && gidLthread(g) === 0;
export const irqOfGid = (g: number): number => gidVersion(g) - 1;

/** V2 64-bit id as {low, high} words. */
export function toV2(g: number, chief = 0): { low: number; high: number } {
  if (g === INVALID) return { low: 0xffffffff, high: 0xffffffff };
  const v = gidVersion(g);
  const low = ((v & 0x3ff) | (gidLthread(g) << 10) | (gidTask(g) << 17) | ((v >>> 10) << 28)) >>> 0;
  const high = (chief << 17) >>> 0;
  return { low, high };
}

export function fromV2(low: number): number {
  if (low >>> 0 === 0xffffffff) return INVALID;
  const versionLow = low & 0x3ff;
  const lthread = (low >>> 10) & 0x7f;
  const task = (low >>> 17) & 0x7ff;
  const versionHigh = (low >>> 28) & 0xf;
  return gid(task, lthread, versionLow | (versionHigh << 10));
}

/** X.2 global id: thread_no (task * 128 + lthread) << 14 | version; interrupt n is GlobalId(n, 1). */
export function toX2(g: number): number {
  if (g === INVALID) return 0xffffffff;
  if (isIrqGid(g)) return ((irqOfGid(g) << 14) | 1) >>> 0;
  return ((((gidTask(g) * 128 + gidLthread(g)) << 14) | gidVersion(g)) >>> 0);
}

export function fromX2(x: number): number {
  if (x >>> 0 === 0xffffffff) return INVALID;
  const threadNo = x >>> 14;
  if (threadNo >>> 7 === 0 && x !== 0) return irqGid(threadNo); // the low thread numbers are the interrupts
  return gid(threadNo >>> 7, threadNo & 0x7f, x & 0x3fff);
}

/** jdb-style: task.lthread in hex, with the version. */
export function showGid(g: number): string {
  if (g === NIL) return 'nil';
  if (g === INVALID) return 'invalid';
  if (isIrqGid(g)) return `irq${irqOfGid(g)}`;
  return `${gidTask(g).toString(16)}.${gidLthread(g).toString(16).padStart(2, '0')}v${gidVersion(g)}`;
}
