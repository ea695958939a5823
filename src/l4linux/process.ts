/** A Linux process as the kernel keeps it (its task_struct). */
import { NSIG } from './abi.js';
import { WaitQueue, type Coroutine } from './coroutine.js';
import type { FileTable } from './files.js';
import type { ProcessMemory } from './memory.js';
import type { Inode } from './vfs/inode.js';

export type ProcessState = 'running' | 'stopped' | 'zombie';

export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  mask: number;
}

export const defaultSigAction = (): SigAction => ({ handler: 0, flags: 0, restorer: 0, mask: 0 });

/** What a fault tells its signal's handler (siginfo si_code, si_addr). */
export interface FaultSiginfo {
  code: number;
  addr: number;
}

export class Process {
  state: ProcessState = 'running';
  /** Wait status for the parent (exit code << 8, or the terminating signal). */
  exitStatus = 0;
  readonly children = new Set<Process>();
  /** The parent sleeps here in waitpid until a child exits (wait_chldexit). */
  readonly childWait = new WaitQueue('wait-child');
  /** A stopped process sleeps here until SIGCONT. */
  readonly stopWait = new WaitQueue('stopped');
  /** actions[sig] for signals 1..NSIG. */
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, defaultSigAction);
  /** Pending and blocked signals (signals 1..32). */
  pending = 0;
  blocked = 0;
  /** Who sent each pending signal (siginfo si_pid). */
  readonly sender: number[] = new Array(33).fill(0);
  /** For a pending signal the CPU raised (a fault): its siginfo si_code and si_addr; null otherwise. */
  readonly faultInfo: (FaultSiginfo | null)[] = new Array(33).fill(null);
  /**
   * The last fault that raised a signal (Linux's thread.trap_no, error_code, cr2): signal frames show
   * them in the sigcontext.
   */
  trapNo = 0;
  errorCode = 0;
  cr2 = 0;
  /** Jiffy at which SIGALRM is due, or 0. */
  alarmAt = 0;
  /** Working directory (set when the process is made: init's is /, a child's its parent's). */
  cwd!: Inode;
  /** File-creation mask (Linux's default 022). */
  umask = 0o022;
  /** The program file it runs (/proc/self/exe) and its arguments (/proc/self/cmdline). */
  exe = '';
  cmdline: string[] = [];
  /** The signal the parent gets when this process ends (clone's CSIGNAL; fork: SIGCHLD; 0: none). */
  exitSignal = 17;
  /** CLONE_CHILD_CLEARTID's address (kept for the thread support to come). */
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
    readonly pid: number,
    public parent: Process | null,
    public pgrp: number,
    public name: string,
    public mm: ProcessMemory,
    public files: FileTable,
  ) {}

  get ppid(): number {
    return this.parent?.pid ?? 0;
  }

  get alive(): boolean {
    return this.state !== 'zombie';
  }
}

/** Wait status as waitpid reports it: exit code << 8, or the terminating signal. */
export const exitedStatus = (code: number): number => (code & 0xff) << 8;
export const signaledStatus = (sig: number): number => sig & 0x7f;
