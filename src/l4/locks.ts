/**
 * Locks between model threads, as a kernel object the scheduler can see. A blocking lock suspends a
 * waiter until the holder releases it (L4Linux's uniprocessor "cli" lock); a spinning lock makes the
 * waiter busy-wait on its CPU (an SMP spinlock). A spinner that has higher priority than the holder on the
 * holder's CPU never lets the holder run: the kernel reports that as a deadlock (spinDeadlock).
 */
import type { Thread } from './thread.js';

export class KernelLock {
  holder: Thread | null = null;
  /** Blocked waiters, in arrival order. */
  readonly waiters: Thread[] = [];
  /** Acquisitions that had to wait (contention). */
  contended = 0;

  constructor(
    readonly name: string,
    /** Waiters spin instead of blocking. */
    public spin: boolean,
  ) {}
}
