/**
 * Linux kernel paths as coroutines. Each system call, page fault or signal entry of a process runs as
 * a generator (the process's kernel "coroutine", l4-semantics.md §7). It yields kernel operations
 * (work, IPC, unmap, task_new ...) that whoever drives it executes, and `lx-sleep` when it must wait
 * (a pipe is empty, a child has not exited). A sleeping coroutine is parked on a wait queue; `wake`
 * makes it runnable again and its driver continues it.
 *
 * On L4Linux the driver is the server's kernel thread, which multiplexes the coroutines of all
 * processes; on native Linux each process's own thread drives its coroutine in kernel mode.
 */
import type { KernelOp, OpResult } from '../l4/ops.js';
import { newFrameStack, type FrameStack } from './kfunc.js';
import type { Process } from './process.js';

/** How a sleep ended. */
export type WakeReason = 'woken' | 'signal' | 'timeout' | 'killed';

export interface SleepOp {
  op: 'lx-sleep';
  /** The queue to sleep on; null = only a timeout or a signal ends the sleep. */
  wq: WaitQueue | null;
  /** A signal ends the sleep ('signal'). */
  interruptible: boolean;
  /** Absolute jiffy at which the sleep ends ('timeout'), or 0 for none. */
  untilJiffy: number;
}

export type LxOp = KernelOp | SleepOp;
export type LxResult = OpResult | WakeReason;
export type LxGen<T = void> = Generator<LxOp, T, LxResult>;

/** A list of sleeping coroutines (Linux wait_queue_head_t). */
export class WaitQueue {
  readonly sleepers: Coroutine[] = [];
  constructor(readonly name: string) {}
}

export type CoroutineState = 'running' | 'sleeping' | 'runnable' | 'done';

/** The kernel-side execution of one request of a process. */
export class Coroutine {
  state: CoroutineState = 'running';
  /** What the coroutine is resumed with next (the wake reason after a sleep). */
  resumeWith: LxResult = undefined;
  /** While sleeping: where and how. */
  sleep: SleepOp | null = null;
  /** The thread that waits for the answer (L4Linux: the requester's gid). */
  replyTo = 0;
  /** Its open Linux kernel functions (kfunc.ts): its "kernel stack". */
  readonly frames: FrameStack = newFrameStack();

  constructor(
    readonly proc: Process,
    readonly gen: LxGen<unknown>,
    /** What the coroutine serves, for the trace and for debugging. */
    readonly what: string,
  ) {}
}

/** Sleep until woken (or a signal / timeout, as requested). */
export function* sleepOn(wq: WaitQueue | null, interruptible: boolean, untilJiffy = 0): LxGen<WakeReason> {
  return (yield { op: 'lx-sleep', wq, interruptible, untilJiffy }) as WakeReason;
}


/** Consume `cycles` of CPU time (Linux work; the driver's thread is charged). */
export function* work(cycles: number): LxGen {
  if (cycles > 0) yield { op: 'work', cycles };
}
