/**
 * What the threads of one process share in Linux (signal_struct and the thread-group list) and what
 * CLONE_FS shares (fs_struct). A process made by fork has a group of its own; clone with CLONE_THREAD
 * adds a thread to the caller's group.
 */
import type { Process } from './process.js';
import type { Inode } from './vfs/inode.js';

export class ThreadGroup {
  /** Live threads, in creation order (the leader first while its thread lives). */
  readonly threads: Process[];
  /** Jiffy at which SIGALRM is due, or 0 (ITIMER_REAL is per process). */
  alarmAt = 0;
  realInterval = 0;
  /** CPU cycles of reaped children (times' cutime). */
  childCycles = 0;
  /** exit_group (or a fatal signal) is ending every thread: new threads are refused. */
  exiting = false;
  /**
   * Signals sent to the process that every thread blocked when they came (signal_struct's shared_pending,
   * signals 1..32 and 33..64), with who sent each; the first thread that can take one claims it.
   */
  sharedPending = 0;
  sharedPendingRt = 0;
  readonly sharedInfo = new Map<number, SharedSigInfo>();

  constructor(
    /** The thread whose pid is the group's id (getpid); it stays the group's face until the group ends. */
    public leader: Process,
    public pgrp: number,
    public sid: number,
  ) {
    this.threads = [leader];
  }

  /** The live threads other than `t`. */
  others(t: Process): Process[] {
    return this.threads.filter((x) => x !== t);
  }
}

/** Who sent a shared pending signal (the siginfo fields Process keeps per signal). */
export interface SharedSigInfo {
  sender: number;
  uid: number;
  code: number;
  status: number;
}

/** The working directory and file-creation mask (fs_struct). */
export class FsStruct {
  constructor(
    /** Working directory (init's is /). */
    public cwd: Inode,
    /** File-creation mask (Linux's default 022). */
    public umask = 0o022,
  ) {}

  /** A child's or an unshared thread's copy (fork, clone without CLONE_FS). */
  clone(): FsStruct {
    return new FsStruct(this.cwd, this.umask);
  }
}
