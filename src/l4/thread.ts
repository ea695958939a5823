/**
 * Threads and tasks as the kernel sees them. A thread's kernel state is its scheduling parameters, its
 * IPC state (at most one user-level IPC plus one nested kernel page-fault IPC), and its sender queue.
 */
import type { EventBuffer } from '../../tracer/recorder.js';
import { Segments } from '../ia32/segments.js';
import { Fpu } from '../ia32/x87/fpu.js';
import type { QueuedEvent } from '../sim/event-queue.js';
import type { Engine, FaultOp } from './engine.js';
import type { GuestImage } from './guest-image.js';
import type { KernelLock } from './locks.js';
import { gid } from './ids.js';
import type { AddressSpace } from './mapdb.js';
import type { IpcResult, KernelOp, MsgOut, RecvSpec } from './ops.js';
import type { IpcTimeouts } from './timeouts.js';

/**
 * 'ready' covers running too (the CPU's `current` tells). 'sending' = polling in a partner's sender
 * queue; 'receiving' = waiting for a message; 'xfer' = locked in a long-message transfer; 'locked' =
 * waiting for a blocking KernelLock; 'sleeping' = kernel-mode code of a native task waiting for
 * Kernel.unblock.
 */
export type ThreadState = 'ready' | 'sending' | 'receiving' | 'xfer' | 'locked' | 'sleeping' | 'dead';

export class Task {
  readonly threads: (Thread | undefined)[] = new Array(128).fill(undefined);
  alive = true;
  /** Lives in a small address space (X.2 / Pistachio): switching into it only reloads segments. */
  smallSpace = false;
  /** The guest program the task runs (IA32 threads), if any. */
  image: GuestImage | undefined;
  /** Runs under a native kernel (traps enter kernel-mode code, Kernel.trapHandler). */
  native = false;
  /** `int $0x80` calls the pager directly (L4Linux's modified C library) instead of being reflected. */
  directSyscalls = false;
  constructor(
    readonly no: number,
    readonly version: number,
    /** Task number of the chief that may task_new this one. */
    public chief: number,
    readonly space: AddressSpace,
    public name: string,
    public linuxPid: number,
  ) {}
  gid(lthread: number): number {
    return gid(this.no, lthread, this.version);
  }
}

/** A long-message transfer between two threads; it can stop for page faults in either space. */
export interface Transfer {
  sender: Thread;
  receiver: Thread;
  sc: IpcCtx;
  rc: IpcCtx;
  wordsDone: boolean;
  stringIdx: number;
  offset: number;
  bytes: number;
  fpageReceived: boolean;
}

export interface IpcCtx {
  /** 'user': an IPC system call; 'pagefault': the thread's own fault; 'xferfault': a fault during a transfer. */
  kind: 'user' | 'pagefault' | 'xferfault';
  /** trace.proto IpcOp. */
  op: number;
  dest: number;
  msg: MsgOut | null;
  recv: RecvSpec | null;
  to: IpcTimeouts;
  phase: 'send' | 'recv' | 'xfer' | 'done';
  /** Sequence number of this IPC's IPC event (-1 when not traced). */
  ipcSeq: number;
  timer: QueuedEvent | null;
  /** The thread this one is queued on (send phase) or transferring with. */
  partner: Thread | null;
  xfer: Transfer | null;
  result: IpcResult | null;
  /** Sequence number of the event that sent the message received. */
  msgSeq: number;
  /** Called when the IPC ends (kernel-generated IPCs continue the work that needed them). */
  onDone: ((res: IpcResult) => void) | null;
  /** Page-fault IPCs: the PF event and the faulting address, for PF_RES. */
  pfSeq?: number;
  pfa?: number;
}

export class Thread {
  state: ThreadState = 'ready';
  /** The Linux thread it serves (its pid, the tid) and, for a thread that is not its process's first, the process (tgid). */
  linuxPid = 0;
  linuxTgid = 0;
  readonly senderQueue: Thread[] = [];
  ipc: IpcCtx | null = null;
  pf: IpcCtx | null = null;
  /** Work to do when the thread next runs: deliver a finished operation's result to the engine. */
  deliver: (() => void) | null = null;
  /**
   * An operation the thread reached while another CPU was still behind it in time: applied when every
   * CPU has caught up (Kernel.run). Dropped if the thread dies or is redirected before that.
   */
  pendingOp: KernelOp | FaultOp | null = null;
  /** In its CPU's ready queue. */
  queued = false;
  /** Woken and not yet run since: equal-priority wakeups among such threads are a tie (a choice). */
  fresh = false;
  /** Cycles left of the current timeslice. */
  sliceLeft: number;
  /** Time of the last event written for this thread (events never go back in time). */
  lastTime = 0;
  exitCode = 0;
  /** The run ends OK once every essential thread has exited. */
  essential = false;
  /** The lock this thread spins on or waits for. */
  waitingLock: KernelLock | null = null;
  /** Native tasks in kernel mode: the guest engine to return to, and the priority to go back to. */
  userEngine: Engine | null = null;
  userPrio = 0;
  /**
   * Segment registers, TLS descriptors and LDT of the thread (its TCB's copy): the IA32 engines that run
   * it share this object, so it survives exec and the emulation library's jump into guest code.
   */
  readonly segs = new Segments();
  /** The thread's x87 state (the TCB's FPU context), shared by the engines that run it, as `segs`. */
  readonly fpu = new Fpu();

  constructor(
    readonly gid: number,
    readonly task: Task,
    readonly lthread: number,
    readonly cpu: number,
    public prio: number,
    public mcp: number,
    public quantum: number,
    public pager: number,
    public engine: Engine,
    public trace: EventBuffer,
    public name: string,
  ) {
    this.sliceLeft = quantum;
  }

  /** The IPC that currently decides the thread's state: a nested page fault first. */
  get active(): IpcCtx | null {
    return this.pf ?? this.ipc;
  }

  get blocked(): boolean {
    return this.state !== 'ready';
  }
}
