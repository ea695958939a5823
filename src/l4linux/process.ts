/** A Linux process as the kernel keeps it (its task_struct). */
import { NSIG } from './abi.js';
import { AltStack } from './altstack.js';
import { WaitQueue, type Coroutine, type LxGen } from './coroutine.js';
import { Cred } from './cred.js';
import type { Countdown } from './itimer.js';
import type { Rlimit } from './rlimit.js';
import type { SigSet } from './sigset.js';
import type { FileTable } from './files.js';
import type { ProcessMemory } from './memory.js';
import { ThreadGroup, type FsStruct } from './thread-group.js';

export type ProcessState = 'running' | 'stopped' | 'zombie';

export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  /** Signals 1..32 blocked during the handler. */
  mask: number;
  /** Signals 33..64 blocked during the handler (absent: none). */
  maskHi?: number;
}

export const defaultSigAction = (): SigAction => ({ handler: 0, flags: 0, restorer: 0, mask: 0 });

/** What a fault tells its signal's handler (siginfo si_code, si_addr). */
export interface FaultSiginfo {
  code: number;
  addr: number;
}

/**
 * A Linux task: a process, or one thread of a thread group (Linux 2.4 keeps one task_struct per thread).
 * What a thread group shares (signal_struct: process group, session, alarms, children's times) lives in
 * `group`, what CLONE_FS shares (working directory, umask) in `fs`; the accessors below keep the call
 * sites as they were for processes. mm, files, the signal actions (CLONE_SIGHAND), credentials and limits
 * are shared by reference.
 */
export class Process {
  state: ProcessState = 'running';
  /** The thread group (getpid's value is its leader's pid, `tgid`). */
  group: ThreadGroup;
  /** This thread's user thread has ended while its group lives on (a leader that called exit, not exit_group). */
  threadExited = false;
  /** L4Linux: the L4 thread that runs this Linux thread (0, or 2k in the shared thread model; its signal thread is next). */
  lthread = 0;
  /** L4Linux, shared thread model: a thread the emulation library must create on its way back (clone's reply). */
  spawn: number[] | null = null;
  /** Wait status for the parent (exit code << 8, or the terminating signal). */
  exitStatus = 0;
  /** Children (a thread group's are its leader's: fork in any thread makes a child of the leader). */
  readonly children = new Set<Process>();
  /** The parent sleeps here in waitpid until a child exits (wait_chldexit). */
  readonly childWait = new WaitQueue('wait-child');
  /** A stopped process sleeps here until SIGCONT. */
  readonly stopWait = new WaitQueue('stopped');
  /** actions[sig] for signals 1..NSIG (CLONE_SIGHAND: the same array). */
  actions: SigAction[] = Array.from({ length: NSIG + 1 }, defaultSigAction);
  /** Pending and blocked signals (signals 1..32). */
  pending = 0;
  blocked = 0;
  /** Pending and blocked real-time signals 33..64 (bit sig - 33; sigset.ts). */
  pendingRt = 0;
  blockedRt = 0;
  /** The mask sigsuspend replaced, restored on the way back to user mode (Linux's saved_sigmask), or null. */
  savedMask: SigSet | null = null;
  /** While rt_sigtimedwait unblocks the signals it waits for: the mask before (Linux's real_blocked). */
  realBlocked: SigSet | null = null;
  /** Who sent each pending signal (siginfo si_pid, si_uid, si_code). */
  readonly sender: number[] = new Array(NSIG + 1).fill(0);
  readonly senderUid: number[] = new Array(NSIG + 1).fill(0);
  readonly sendCode: number[] = new Array(NSIG + 1).fill(0);
  /** SIGCHLD's si_status (the child's exit code or signal); -1 when the signal carries none. */
  readonly sendStatus: number[] = new Array(NSIG + 1).fill(-1);
  /** For a pending signal the CPU raised (a fault): its siginfo si_code and si_addr; null otherwise. */
  readonly faultInfo: (FaultSiginfo | null)[] = new Array(NSIG + 1).fill(null);
  /** The alternate signal stack (sigaltstack). */
  altstack: AltStack;
  /**
   * The last fault that raised a signal (Linux's thread.trap_no, error_code, cr2): signal frames show
   * them in the sigcontext.
   */
  trapNo = 0;
  errorCode = 0;
  cr2 = 0;
  virtTimer: Countdown = { value: 0, interval: 0 };
  profTimer: Countdown = { value: 0, interval: 0 };

  // --- identity, limits, scheduling, accounting (cred.ts, rlimit.ts; sys/identity.ts) -------------
  cred: Cred;
  rlimits: Rlimit[];
  /** Nice value, -20..19. */
  nice = 0;
  /** personality(2)'s value (PER_LINUX = 0); recorded only. */
  personality = 0;
  /** set_robust_list: recorded (it matters once there are threads). */
  robustList = { head: 0, len: 0 };
  /** The name prctl(PR_SET_NAME) gave (Linux's comm, at most 15 bytes); null: the program's name. */
  comm: Uint8Array | null = null;
  /** The process has called execve (setpgid refuses a child that has: EACCES). */
  didExec = false;
  /** Cycle time of creation and of exit (-1: alive): the process's CPU clocks (clock.ts cpuCycles). */
  startedAt = 0;
  endedAt = -1;
  /**
   * How restart_syscall continues a sleep a signal interrupted without running a handler (Linux's
   * restart_block; -ERESTART_RESTARTBLOCK), or null: restart_syscall then fails with EINTR.
   */
  restartBlock: (() => LxGen<number | null>) | null = null;
  /** The program file it runs (/proc/self/exe) and its arguments (/proc/self/cmdline). */
  exe = '';
  cmdline: string[] = [];
  /** The signal the parent gets when this process ends (clone's CSIGNAL; fork: SIGCHLD; 0: none). */
  exitSignal = 17;
  /** CLONE_CHILD_CLEARTID's or set_tid_address's address (kept for the thread support to come). */
  clearTid = 0;
  /** CLONE_VFORK: the parent sleeps here until the child execs or exits. */
  vforkDone: WaitQueue | null = null;
  /** The kernel path the process is executing (it is "in the kernel"), if any. */
  coroutine: Coroutine | null = null;

  // --- platform state (L4Linux) ------------------------------------------------------------------
  /** The L4 task number (both platforms run a process in a task of the simulated machine). */
  task = 0;
  /** Registers the process enters user mode with the first time (fork return, exec entry). */
  startRegs: number[] | null = null;
  /** Segment selectors (ES CS SS DS FS GS) it enters user mode with the first time; null: exec's defaults. */
  startSel: number[] | null = null;
  /** The FSAVE image of the FPU it enters user mode with the first time (a fork child: the parent's). */
  startFpu: Uint8Array | null = null;
  /** The thread's TLS descriptors, GDT entries 6..8 (thread_struct.tls_array: low, high words each). */
  tls = new Uint32Array(6);
  /** The process's LDT (mm context): 2 words per entry; empty when it has none. */
  ldt = new Uint32Array(0);
  /** The user thread got its start registers: it runs in user mode (L4Linux "threads up"). */
  started = false;
  /** The signal thread reported that it waits for kicks (the handshake fix). */
  sigReady = false;
  /** A kick failed while a signal was pending (the recheck fix retries it). */
  kickLost = false;
  /** A kick reached the signal thread and the user thread has not entered the server since. */
  kicked = false;
  /** The server's kernel thread (virtual CPU) that serves this process. */
  vcpu = 0;
  /** Pages of kernel memory (task structure, page tables) held for the process. */
  kernelPages: number[] = [];

  constructor(
    public pid: number,
    public parent: Process | null,
    pgrp: number,
    public name: string,
    public mm: ProcessMemory,
    public files: FileTable,
    /** Working directory and umask (fs_struct): the parent's copy, or shared with the creating thread (CLONE_FS). */
    public fs: FsStruct,
  ) {
    // fork: the child has its parent's identity, session, limits, niceness, name, alternate stack and
    // blocked real-time signals (the caller copies the rest of the signal state); no timers, no robust list.
    this.group = new ThreadGroup(this, pgrp, parent ? parent.group.sid : pid);
    this.cred = parent ? parent.cred.clone() : new Cred();
    this.rlimits = parent ? parent.rlimits.map((r) => ({ ...r })) : [];
    this.altstack = parent ? parent.altstack.clone() : new AltStack();
    if (parent) {
      this.nice = parent.nice;
      this.personality = parent.personality;
      this.comm = parent.comm;
      this.blockedRt = parent.blockedRt;
    }
  }

  /**
   * execve's reset of what belongs to the old program: caught signals revert to SIG_DFL (ignored ones
   * stay ignored) and lose their flags and masks (flush_signal_handlers), the alternate signal stack,
   * the name prctl gave, the robust list and clear_child_tid go.
   */
  resetForExec(): void {
    for (const act of this.actions) {
      if (act.handler !== 1 /* SIG_IGN */) act.handler = 0;
      Object.assign(act, { flags: 0, restorer: 0, mask: 0, maskHi: 0 });
    }
    this.altstack.reset();
    this.comm = null;
    this.robustList = { head: 0, len: 0 };
    this.clearTid = 0;
    this.didExec = true;
  }

  /** Linux's comm: the name prctl gave, else the program's base name; at most 15 bytes. */
  commName(): string {
    const name = this.comm ? new TextDecoder().decode(this.comm) : this.name.slice(this.name.lastIndexOf('/') + 1);
    return name.slice(0, 15);
  }

  get ppid(): number {
    return this.group.leader.parent?.tgid ?? 0;
  }

  get alive(): boolean {
    return this.state !== 'zombie';
  }

  /** The thread group's id: what getpid returns. */
  get tgid(): number {
    return this.group.leader.pid;
  }

  get isLeader(): boolean {
    return this.group.leader === this;
  }

  /** A live thread that runs (or can run) user code: a signal may be delivered to it. */
  get runsUser(): boolean {
    return this.alive && !this.threadExited;
  }

}

/** Wait status as waitpid reports it: exit code << 8, or the terminating signal. */
export const exitedStatus = (code: number): number => (code & 0xff) << 8;
export const signaledStatus = (sig: number): number => sig & 0x7f;
