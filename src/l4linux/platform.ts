/**
 * What the Linux core needs from the machine it runs on. The core (linux.ts, syscalls.ts, signals.ts)
 * is the same for every personality; a platform decides how pages are held and mapped, how processes
 * become tasks, how a running process is forced into the kernel, and who runs woken coroutines:
 *
 *  - native Linux 2.4 (native/platform.ts): the kernel owns the page tables; traps enter it directly.
 *  - L4Linux 2.4 on L4 V2 (l4/platform.ts): a user-level server task; every interaction is IPC.
 *  - L4Linux 2.4 on L4Env (l4/l4env.ts): as V2, with tasks from a task server and memory from a
 *    dataspace manager.
 */
import type { Segments } from '../ia32/segments.js';
import type { Coroutine, LxGen } from './coroutine.js';
import type { PageEntry } from './memory.js';
import type { Process } from './process.js';

/** A user page: its virtual page number and the address of the page that backs (or backed) it. */
export interface UserPage {
  vpn: number;
  at: number;
}

export type Personality = 'native' | 'l4linux' | 'l4env';
export const PERSONALITIES: readonly Personality[] = ['native', 'l4linux', 'l4env'];

/** How a signal reached (or failed to reach) its target, for the SIG_SEND event (trace.proto SigPath). */
export const SIG_PATH = { NONE: 0, IN_KERNEL: 1, KICK: 2, DEFERRED: 3, IGNORED: 4, BLOCKED: 5, SERVER: 6 } as const;

export interface KickOutcome {
  path: number;
  /** The kick IPC's error code (0 = delivered; ENOT_EXISTENT / SETIMEOUT when lost). */
  error: number;
}

export interface Platform {
  readonly personality: Personality;

  // --- pages of memory backing user pages and kernel data --------------------------------------------
  /**
   * A fresh page; its address is in the platform's terms (server pool address, physical address), or -1
   * when memory is used up.
   */
  allocPage(): LxGen<number>;
  /** Whether `pages` more pages could be allocated now (Linux's vm_enough_memory, for brk). */
  reserve(pages: number): LxGen<boolean>;
  freePage(at: number): LxGen;
  readPage(at: number, offset: number, len: number): Uint8Array;
  writePage(at: number, offset: number, data: Uint8Array): void;

  // --- changes to a process's address space ------------------------------------------------------------
  /** Take write access away from these pages (fork's copy-on-write); the next write faults. */
  writeProtect(proc: Process, pages: UserPage[]): LxGen;
  /** Remove these translations from the process's address space (brk shrinking, a page replaced). */
  unmapPages(proc: Process, pages: UserPage[]): LxGen;
  /**
   * Linux resolved a page of the process outside a user page fault (copy_to_user). Native Linux enters
   * it into the page table now; L4Linux maps it when the process faults on it.
   */
  mapPage(proc: Process, vpn: number, e: PageEntry): LxGen;

  // --- processes -----------------------------------------------------------------------------------------
  /**
   * Give a new process (init, a fork child, an exec'd image) something to run: it enters user mode with
   * `proc.startRegs`. For exec the process's previous incarnation is replaced.
   */
  startProcess(proc: Process, kind: 'init' | 'fork' | 'exec'): LxGen<boolean>;
  /** The process has exited (`proc` is its last thread): remove what ran it. */
  endProcess(proc: Process): LxGen;
  /**
   * A new thread of `creator`'s process (clone with CLONE_THREAD): it enters user mode with
   * `thread.startRegs` in the same memory. L4Linux 2.4 runs it in an L4 task of its own with the same
   * mappings (the per-thread address space of seed 000's known bugs); the shared model in a new L4
   * thread of the creator's task; native Linux in the same address space.
   */
  startThread(thread: Process, creator: Process): LxGen<boolean>;
  /** A thread ended while its process lives on: remove what ran it. */
  endThread(thread: Process): LxGen;
  /**
   * A signal is pending for a process that runs in user mode: force it into the kernel (L4Linux 2.4:
   * a kick IPC to its signal thread). Returns how that went, for the trace.
   */
  kick(proc: Process): LxGen<KickOutcome>;
  /** A sleeping coroutine was woken: arrange for its driver to continue it. */
  schedule(co: Coroutine): void;
  /** Whether the process's user thread may be forced into the kernel right now (the fix variants). */
  canKick(proc: Process): boolean;

  // --- segments (docs/segments.md) ---------------------------------------------------------------------
  /**
   * The user thread's segment state (selectors, TLS entries, LDT), or null while it has no thread.
   * Native Linux saved the selectors on kernel entry; on L4Linux the emulation library passes them
   * beside the exception words.
   */
  userSegments(proc: Process): Segments | null;
  /**
   * Make the user thread's TLS entries ('gdt') or its task's LDT ('ldt') those Linux keeps for the
   * process (proc.tls, proc.ldt), and reload its FS and GS: native Linux writes the descriptor tables;
   * L4Linux asks the microkernel (Fiasco's fiasco_gdt_set / fiasco_ldt_set).
   */
  setDescriptors(proc: Process, table: 'gdt' | 'ldt'): LxGen;

  // --- the x87 ---------------------------------------------------------------------------------------------
  /**
   * The user thread's FPU, for the `_fpstate` of signal frames, or null while it has no IA32 thread.
   * Native Linux saves it on the way into the handler (unlazy_fpu); L4Linux reads the state the
   * microkernel keeps for the thread.
   */
  userFpu(proc: Process): UserFpu | null;
}

/** What signal delivery needs of a thread's FPU (src/ia32/x87/fpu.ts). */
export interface UserFpu {
  /** The 108-byte FSAVE image (32-bit protected-mode layout) at `off`. */
  save(out: Uint8Array, off: number): void;
  restore(src: Uint8Array, off: number): void;
  /** FNINIT: the state a signal handler starts with. */
  init(): void;
}
