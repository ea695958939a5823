/**
 * The kernel operations a thread can ask for. Model code yields them from a generator; the IA32 engine
 * decodes them from registers at `int 0x30`..`0x36`. The kernel never cares which engine asked.
 */
import type { KernelLock } from './locks.js';
import type { IpcTimeouts } from './timeouts.js';
import { TIMEOUTS_NEVER } from './timeouts.js';

/** `RecvSpec.from` for an open wait (any sender). */
export const OPEN = -1;

/** A flexpage to map or grant: `log2` >= 12, placed at `sndBase` modulo the receive window. */
export interface SendFpage {
  base: number;
  log2: number;
  write: boolean;
  grant: boolean;
  sndBase: number;
}

export interface StringItem {
  addr: number;
  len: number;
}

export interface MsgOut {
  /** Untyped words: the first three travel in registers, the rest are copied from memory. */
  words: number[];
  fpages?: SendFpage[];
  strings?: StringItem[];
}

export interface RecvSpec {
  /** gid of the one sender accepted (closed receive), or OPEN. */
  from: number;
  /** Where received mappings go; none = mappings are refused. */
  window?: { base: number; log2: number } | null;
  /** Receive buffers for strings. */
  buffers?: StringItem[];
  /** Words accepted (default 3: the register words of a short message). */
  maxWords?: number;
}

/** Simulator-side facts about a new thread: names and pid for the trace, placement, and run goals. */
export interface Annotation {
  name?: string;
  taskName?: string;
  linuxPid?: number;
  /** The Linux thread group of a thread that is not its process's first (its pid is the tid). */
  linuxTgid?: number;
  /** CPU to run on (default: the creator's). */
  cpu?: number;
  /** The run ends OK when every essential thread has exited. */
  essential?: boolean;
  /** X.2: put the new task in a small address space. */
  smallSpace?: boolean;
  /** The guest image (by name) whose code the task runs, for IA32 threads and function names. */
  image?: string;
  /** The task runs under a native kernel: its traps and faults enter kernel-mode code on the same thread. */
  native?: boolean;
  /** The task's C library calls the Linux server directly (modified libc): `int $0x80` is that IPC. */
  directSyscalls?: boolean;
  /** The thread runs the task's guest image (after a startup in model code); default: lthread 0 of a task with an image. */
  guest?: boolean;
}

export type KernelOp =
  | { op: 'work'; cycles: number }
  | {
      op: 'ipc';
      dest: number;
      send: MsgOut | null;
      recv: RecvSpec | null;
      timeouts: IpcTimeouts;
      /** Raw ABI descriptors for the trace (decoders fill them; derived when absent). */
      sndDesc?: number;
      rcvDesc?: number;
    }
  | { op: 'exRegs'; lthread: number; ip: number; sp: number; pager?: number; annotate?: Annotation }
  | { op: 'taskNew'; task: number; mcp: number; pager: number; ip: number; sp: number; prio?: number; annotate?: Annotation }
  | { op: 'threadSwitch'; dest: number }
  | { op: 'threadSchedule'; dest: number; prio?: number; timesliceUs?: number }
  | { op: 'unmap'; base: number; log2: number; downgrade: boolean; self: boolean }
  | { op: 'unmaskIrq'; irq: number }
  | { op: 'touch'; addr: number; write: boolean }
  | { op: 'lock'; lock: KernelLock }
  | { op: 'unlock'; lock: KernelLock }
  /**
   * User-level code of the emulation library jumping into guest code with these registers (12-word
   * exception layout); `signalEntry`: and straight on into the signal entry (it was forced there).
   */
  | { op: 'enterGuest'; regs: number[]; signalEntry?: boolean }
  /**
   * Guest code of a native-kernel task entering its kernel: an exception with its registers (12-word
   * layout), or a page fault. The kernel runs the trap handler's code on the same thread.
   */
  | { op: 'trap'; regs: number[] | null; pf?: { addr: number; write: boolean; ip: number } }
  /** Kernel-mode code of a native task going back to the guest, with new registers or (null) as it was. */
  | { op: 'returnToUser'; regs: number[] | null }
  /** Kernel-mode code of a native task blocks until Kernel.unblock. */
  | { op: 'sleep' }

  /**
   * Fiasco's fiasco_gdt_set / fiasco_ldt_set: descriptors (2 words each) for thread `dest`'s GDT entries
   * from `first` on (the TLS entries), or the LDT of its task (the whole table; `first` 0). The thread's
   * FS and GS are reloaded from the new tables.
   */
  | { op: 'descSet'; dest: number; table: 'gdt' | 'ldt'; first: number; words: number[] }
  | { op: 'exit'; code?: number };

export interface IpcResult {
  kind: 'ipc';
  error: number;
  /** Sender of the message received (0 = none). */
  src: number;
  words: number[];
  fpageReceived: boolean;
  /** Bytes received in strings. */
  bytes: number;
}

export interface ExRegsResult {
  kind: 'exRegs';
  ok: boolean;
  oldIp: number;
  oldSp: number;
  oldFlags: number;
  oldPager: number;
  created: boolean;
}

export interface TaskNewResult {
  kind: 'taskNew';
  /** gid of the new task's thread 0; NIL on failure. */
  task: number;
}

export interface ScheduleResult {
  kind: 'schedule';
  ok: boolean;
  oldPrio: number;
  usedCycles: number;
}

export interface UnmapResult {
  kind: 'unmap';
  mappings: number;
}

export type OpResult = IpcResult | ExRegsResult | TaskNewResult | ScheduleResult | UnmapResult | undefined;

export type OpGenerator<T = void> = Generator<KernelOp, T, OpResult>;

// ---------------------------------------------------------------------------------------------------
// Helpers for model code: `const r = yield* call(server, [1, 2])`.

export function* work(cycles: number): OpGenerator {
  yield { op: 'work', cycles };
}

export function* ipc(dest: number, send: MsgOut | null, recv: RecvSpec | null, timeouts: IpcTimeouts = TIMEOUTS_NEVER): OpGenerator<IpcResult> {
  return (yield { op: 'ipc', dest, send, recv, timeouts }) as IpcResult;
}

export const send = (dest: number, words: number[], t: IpcTimeouts = TIMEOUTS_NEVER, extra: Partial<MsgOut> = {}): OpGenerator<IpcResult> =>
  ipc(dest, { words, ...extra }, null, t);

export const receive = (from: number, t: IpcTimeouts = TIMEOUTS_NEVER, spec: Partial<RecvSpec> = {}): OpGenerator<IpcResult> =>
  ipc(0, null, { from, ...spec }, t);

export const wait = (t: IpcTimeouts = TIMEOUTS_NEVER, spec: Partial<RecvSpec> = {}): OpGenerator<IpcResult> => ipc(0, null, { from: OPEN, ...spec }, t);

export const call = (dest: number, words: number[], t: IpcTimeouts = TIMEOUTS_NEVER, extra: Partial<MsgOut> = {}, spec: Partial<RecvSpec> = {}): OpGenerator<IpcResult> =>
  ipc(dest, { words, ...extra }, { from: dest, ...spec }, t);

export const replyWait = (dest: number, words: number[], t: IpcTimeouts = TIMEOUTS_NEVER, extra: Partial<MsgOut> = {}, spec: Partial<RecvSpec> = {}): OpGenerator<IpcResult> =>
  ipc(dest, { words, ...extra }, { from: OPEN, ...spec }, t);

export function* exRegs(lthread: number, ip: number, sp: number, extra: { pager?: number; annotate?: Annotation } = {}): OpGenerator<ExRegsResult> {
  return (yield { op: 'exRegs', lthread, ip, sp, ...extra }) as ExRegsResult;
}

export function* taskNew(task: number, mcp: number, pager: number, ip: number, sp: number, extra: { prio?: number; annotate?: Annotation } = {}): OpGenerator<TaskNewResult> {
  return (yield { op: 'taskNew', task, mcp, pager, ip, sp, ...extra }) as TaskNewResult;
}

export function* threadSwitch(dest = 0): OpGenerator {
  yield { op: 'threadSwitch', dest };
}

export function* threadSchedule(dest: number, prio?: number, timesliceUs?: number): OpGenerator<ScheduleResult> {
  return (yield { op: 'threadSchedule', dest, ...(prio === undefined ? {} : { prio }), ...(timesliceUs === undefined ? {} : { timesliceUs }) }) as ScheduleResult;
}

export function* unmap(base: number, log2: number, downgrade: boolean, self: boolean): OpGenerator<UnmapResult> {
  return (yield { op: 'unmap', base, log2, downgrade, self }) as UnmapResult;
}

export function* unmaskIrq(irq: number): OpGenerator {
  yield { op: 'unmaskIrq', irq };
}

export function* touch(addr: number, write: boolean): OpGenerator {
  yield { op: 'touch', addr, write };
}

export function* exit(code = 0): OpGenerator {
  yield { op: 'exit', code };
}

/** V2 flexpage word: page:20 zero:4 size:6 write:1 grant:1 (low bits first: grant, write, size). */
export function fpageWord(fp: { base: number; log2: number; write: boolean; grant: boolean }): number {
  return ((Math.floor(fp.base / 4096) * 4096) | (fp.log2 << 2) | (fp.write ? 2 : 0) | (fp.grant ? 1 : 0)) >>> 0;
}

/** A short message carrying one flexpage: words = (send base, fpage word). */
export function fpageMsg(fp: SendFpage): MsgOut {
  return { words: [fp.sndBase >>> 0, fpageWord(fp)], fpages: [fp] };
}

export function* lock(l: KernelLock): OpGenerator {
  yield { op: 'lock', lock: l };
}

export function* unlock(l: KernelLock): OpGenerator {
  yield { op: 'unlock', lock: l };
}

export function* descSet(dest: number, table: 'gdt' | 'ldt', first: number, words: number[]): OpGenerator {
  yield { op: 'descSet', dest, table, first, words };
}

export function* enterGuest(regs: number[], signalEntry = false): OpGenerator {
  yield { op: 'enterGuest', regs, signalEntry };
}
