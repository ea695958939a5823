/**
 * Native Linux 2.4: the kernel runs in the processes' own context. A process is a task of the simulated
 * machine whose traps (`int $0x80`, page faults, CPU exceptions) switch the trapping thread into kernel
 * mode, where the Linux core runs as that thread's code; there is no IPC anywhere. The kernel owns the
 * page tables and physical memory, so mapping a page or write-protecting one is a direct change, paid
 * for by Linux's own per-page costs. The timer interrupt runs in the kernel at every tick.
 *
 * Signals for a process in user mode interrupt it (its next return to user mode delivers them): native
 * Linux has no kick that could be lost.
 */
import { EMULIB_SIGNAL_ENTRY, EXC, Ia32Engine } from '../../l4/ia32-engine.js';
import { KEEP } from '../../l4/engine.js';
import { NIL } from '../../l4/ids.js';
import type { Kernel } from '../../l4/kernel.js';
import { AddressSpace, mapPage, unmapPage } from '../../l4/mapdb.js';
import type { ModelCtx, ModelProgram } from '../../l4/model-engine.js';
import type { KernelOp, OpGenerator } from '../../l4/ops.js';
import type { Thread } from '../../l4/thread.js';
import { R, W, X } from '../../ia32/memory.js';
import type { Segments } from '../../ia32/segments.js';
import { HZ } from '../abi.js';
import { Coroutine, type LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { PageEntry } from '../memory.js';
import { SIG_PATH, type KickOutcome, type Platform, type UserFpu, type UserPage } from '../platform.js';
import type { Process } from '../process.js';
import { startFpu } from '../fpu-state.js';
import { startSegments } from '../tls.js';

/** Physical frames below this are the kernel's own (boot code, sigma0's bookkeeping). */
const FIRST_FRAME = 256;
const FIRST_TASK = 16;
const TASKS = 64;

export interface NativeOptions {
  /** Priority of user processes, and of threads while they run kernel code (not preemptible by users). */
  userPrio: number;
  kernelPrio: number;
}

export class NativePlatform implements Platform {
  readonly personality = 'native' as const;
  /** All of physical memory, as the kernel sees it (frame n at n * 4096). */
  private readonly kernelSpace: AddressSpace;
  private readonly freeFrames: number[] = [];
  private nextFrame = FIRST_FRAME;
  private readonly freeTasks: number[] = [];
  private readonly threads = new Map<Process, Thread>();
  /** The Linux thread each L4 thread runs. */
  private readonly byThread = new Map<Thread, Process>();

  constructor(
    private readonly k: Kernel,
    private readonly lx: Linux,
    private readonly opts: NativeOptions,
  ) {
    this.kernelSpace = new AddressSpace(0, k.mem, true);
    for (let i = 0; i < TASKS; i++) this.freeTasks.push(FIRST_TASK + i);
    k.trapHandler = (t, trap) => this.kernelEntry(t, trap);
    k.kernelModePrio = opts.kernelPrio;
  }

  /** The timer interrupt: every 1/HZ s from the start, in whatever thread runs then. */
  startTimer(): void {
    const tick = (1_000_000 / HZ) * this.k.costs.cyclesPerUs;
    const fire = (at: number): void => {
      this.k.at(0, at, () => {
        this.interrupt(this.lx.tick());
        fire(at + tick);
      });
    };
    fire(tick);
  }

  /** Run interrupt-level Linux code now, charging its work to the interrupted CPU. */
  private interrupt(body: LxGen): void {
    for (;;) {
      const step = body.next(undefined);
      if (step.done) return;
      const op = step.value;
      if (op.op === 'work') this.k.charge(op.cycles);
      else throw new Error(`native linux: interrupt code cannot ${op.op}`);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Memory

  /** A free physical frame, or -1 when physical memory is used up. */
  *allocPage(): LxGen<number> {
    const reused = this.freeFrames.pop();
    if (reused !== undefined) return reused * 4096;
    if (this.nextFrame >= this.k.mem.frames) return -1;
    return this.nextFrame++ * 4096;
  }

  /** vm_enough_memory: free frames. */
  *reserve(pages: number): LxGen<boolean> {
    return this.freeFrames.length + (this.k.mem.frames - this.nextFrame) >= pages;
  }

  *freePage(at: number): LxGen {
    this.freeFrames.push(at / 4096);
  }

  readPage(at: number, offset: number, len: number): Uint8Array {
    return this.k.mem.bytes.slice(at + offset, at + offset + len);
  }

  writePage(at: number, offset: number, data: Uint8Array): void {
    this.k.mem.write(at + offset, data);
  }

  *writeProtect(proc: Process, pages: UserPage[]): LxGen {
    const space = this.threads.get(proc)?.task.space;
    if (space) for (const p of pages) unmapPage(space, p.vpn, true, true);
  }

  *unmapPages(proc: Process, pages: UserPage[]): LxGen {
    const space = this.threads.get(proc)?.task.space;
    if (space) for (const p of pages) unmapPage(space, p.vpn, false, true);
  }

  *mapPage(proc: Process, vpn: number, e: PageEntry): LxGen {
    const space = this.threads.get(proc)?.task.space;
    if (space) mapPage(this.kernelSpace, e.b.at / 4096, space, vpn, R | X | (e.writable && !e.cow ? W : 0), false);
  }

  // -------------------------------------------------------------------------------------------------
  // Processes

  *startProcess(proc: Process, kind: 'init' | 'fork' | 'exec'): LxGen<boolean> {
    const regs = proc.startRegs!;
    if (kind === 'exec') {
      const t = this.threads.get(proc);
      if (t === undefined || !this.k.execGuest(t, proc.mm.image, regs)) return false;
      startSegments(t.segs, proc);
      return true;
    }
    const no = this.freeTasks.shift();
    if (no === undefined) return false;
    proc.task = no;
    const task = this.k.newTask(no, 0, proc.name, proc.pid, false);
    const creator = this.lx.ctx.gid;
    const t = this.k.createThread(task, 0, regs[EXC.EIP]!, regs[EXC.ESP]!, this.opts.userPrio, 0, NIL, { name: proc.name, linuxPid: proc.pid, image: proc.mm.image.name, native: true }, creator);
    if (!t || !(t.engine instanceof Ia32Engine)) return false;
    t.engine.loadRegisters(regs);
    startSegments(t.segs, proc);
    proc.started = true;
    this.adopt(proc, t);
    // fork copied the parent's page-table entries (copy_page_range, paid for per page by Linux): the
    // child starts with every page present, shared ones read-only.
    for (const [vpn, e] of proc.mm.pages) yield* this.mapPage(proc, vpn, e);
    return true;
  }

  private adopt(proc: Process, t: Thread): void {
    this.threads.set(proc, t);
    this.byThread.set(t, proc);
    startFpu(this.lx, proc);
  }

  /** Last step of exit: the task goes, and with it the thread (possibly the one running this code). */
  *endProcess(proc: Process): LxGen {
    const t = this.threads.get(proc);
    this.forget(proc);
    if (t) {
      this.freeTasks.push(proc.task);
      this.k.deleteTask(t.task, false);
    }
  }

  /** A thread of the process: another thread of the same task (the same page tables). */
  *startThread(thread: Process, creator: Process): LxGen<boolean> {
    const ct = this.threads.get(creator);
    if (!ct) return false;
    const task = ct.task;
    let lthread = 1;
    while (lthread < 128 && task.threads[lthread]) lthread++;
    if (lthread >= 128) return false;
    const regs = thread.startRegs!;
    thread.task = creator.task;
    thread.lthread = lthread;
    const note = { name: thread.name, linuxPid: thread.pid, linuxTgid: thread.tgid, native: true, guest: true };
    const t = this.k.createThread(task, lthread, regs[EXC.EIP]!, regs[EXC.ESP]!, this.opts.userPrio, 0, NIL, note, this.lx.ctx.gid);
    if (!t || !(t.engine instanceof Ia32Engine)) return false;
    t.engine.loadRegisters(regs);
    startSegments(t.segs, thread);
    thread.started = true;
    this.adopt(thread, t);
    return true;
  }

  *endThread(thread: Process): LxGen {
    const t = this.threads.get(thread);
    this.forget(thread);
    if (t) this.k.killThread(t, 3, 0);
  }

  private forget(proc: Process): void {
    const t = this.threads.get(proc);
    this.threads.delete(proc);
    if (t) this.byThread.delete(t);
  }

  userFpu(proc: Process): UserFpu | null {
    const t = this.threads.get(proc);
    return t ? this.k.fpu(t.gid) : null;
  }

  canKick(): boolean {
    return true;
  }

  /** Interrupt the process: its next return to user mode takes the signal. */
  *kick(proc: Process): LxGen<KickOutcome> {
    const t = this.threads.get(proc);
    if (t && !t.userEngine) t.engine.redirect(EMULIB_SIGNAL_ENTRY, KEEP);
    return { path: SIG_PATH.KICK, error: 0 };
  }

  schedule(co: Coroutine): void {
    const t = this.threads.get(co.proc);
    if (t) this.k.unblock(t);
  }

  userSegments(proc: Process): Segments | null {
    return this.threads.get(proc)?.segs ?? null;
  }

  /** The kernel writes the GDT entries (load_TLS) or the LDT itself: part of the system call's work. */
  *setDescriptors(proc: Process, table: 'gdt' | 'ldt'): LxGen {
    const segs = this.userSegments(proc);
    if (!segs) return;
    if (table === 'gdt') segs.tls.set(proc.tls);
    else segs.ldt.d = proc.ldt.slice();
    segs.refresh();
  }

  // -------------------------------------------------------------------------------------------------
  // Kernel entry

  private kernelEntry(t: Thread, trap: Extract<KernelOp, { op: 'trap' }>): ModelProgram | null {
    const proc = this.byThread.get(t);
    if (!proc || !proc.runsUser) return null;
    return { name: 'linux-kernel', run: (ctx) => this.kernelPath(ctx, t, proc, trap) };
  }

  /** The kernel path of one trap, on the trapping thread: the Linux coroutine, then back to user mode. */
  private *kernelPath(ctx: ModelCtx, t: Thread, proc: Process, trap: Extract<KernelOp, { op: 'trap' }>): OpGenerator {
    const lx = this.lx;
    let body: LxGen<number[] | null>;
    let what: string;
    if (trap.pf) {
      body = this.pageFault(t, proc, trap.pf.addr, trap.pf.write);
      what = 'page fault';
    } else if (trap.regs && trap.regs[EXC.TRAPNO] === 0x80) {
      body = lx.syscall(proc, trap.regs);
      what = 'syscall';
    } else {
      body = lx.trap(proc, trap.regs!);
      what = 'exception';
    }
    const co = new Coroutine(proc, body, what);
    proc.coroutine = co;
    let input: unknown = undefined;
    for (;;) {
      lx.ctx = ctx;
      lx.switchTo(proc);
      const step = co.gen.next(input as never);
      if (step.done) {
        co.state = 'done';
        if (proc.coroutine === co) proc.coroutine = null;
        if (!proc.alive) return; // the thread died with its task
        yield { op: 'returnToUser', regs: step.value as number[] | null };
        return;
      }
      const op = step.value;
      if (op.op === 'lx-sleep') {
        const now = lx.park(co, op);
        if (now !== null) {
          input = now;
          continue;
        }
        yield { op: 'sleep' };
        co.state = 'running';
        input = co.resumeWith;
        co.resumeWith = undefined;
        continue;
      }
      input = yield op;
    }
  }

  /** A user page fault: Linux resolves it and enters the page; the way back delivers signals. */
  private *pageFault(t: Thread, proc: Process, addr: number, write: boolean): LxGen<number[] | null> {
    const page = yield* this.lx.pageFault(proc, addr, write);
    if (!proc.alive) return null; // killed: no memory for the page
    if (page) yield* this.mapPage(proc, page.vpn, proc.mm.pages.get(page.vpn)!);
    const user = t.userEngine;
    if (!(user instanceof Ia32Engine)) return null;
    // A bad access left SIGSEGV pending: the way back delivers it (handler or default action).
    return yield* this.lx.returnToUser(proc, user.saveRegisters(), null);
  }
}
