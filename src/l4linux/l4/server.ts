/**
 * The L4Linux 2.4 server: one L4 task owning the Linux kernel state (l4-semantics.md §7).
 *
 *   lthread 0       main thread = kernel thread of virtual CPU 0: system calls, page faults and signal
 *                   entries of its processes, one coroutine per process multiplexed on it; idle = open wait
 *   lthread 8 + i   kernel thread of virtual CPU i (maxcpus > 1)
 *   lthread 1       the server's pager
 *   lthread 2       the timer thread = virtual CPU 0's interrupt thread: receive with a 10 ms timeout,
 *                   then the timer interrupt (HZ 100: do_timer and CPU 0's local tick)
 *   lthread 16 + i  virtual CPU i's interrupt thread (maxcpus > 1): its local timer (smp_local_timer_interrupt)
 *   lthread 3       the keyboard's IRQ thread (IRQ 1), when the machine has a keyboard
 *
 * Placement (seed 000): virtual CPU i and its interrupt thread run on physical CPU i mod cpus, round
 * robin starting with CPU 0; the pager and the keyboard thread on CPU 0. A process runs on the physical
 * CPU of the virtual CPU that serves it.
 *
 * Priorities: IRQ threads > pager > kernel threads > user processes. Linux code runs under the "cli"
 * lock of a virtual CPU (emulated interrupt disabling: a top half that finds it held blocks); with
 * more than one virtual CPU also under the global kernel spinlock, whose waiters spin. That spinlock is
 * the second documented bug: an interrupt thread spinning on it above the holder's priority on the same
 * physical CPU never lets the holder run (the maxcpus deadlock). An interrupt thread takes its own
 * virtual CPU's cli lock first (blocking), so it never spins above its own kernel thread: the deadlock
 * needs two virtual CPUs on one physical CPU, that is maxcpus > cpus.
 */
import { EXC, EXC_WORDS, TRAP_SIGNAL } from '../../l4/ia32-engine.js';
import { gidLthread, gidTask, irqGid, NIL } from '../../l4/ids.js';
import { KernelLock } from '../../l4/locks.js';
import type { ModelCtx, ModelProgram } from '../../l4/model-engine.js';
import {
  exRegs,
  fpageMsg,
  ipc,
  lock,
  receive,
  replyWait,
  send,
  threadSchedule,
  unlock,
  wait,
  type IpcResult,
  type KernelOp,
  type MsgOut,
  type OpGenerator,
  type OpResult,
} from '../../l4/ops.js';
import { timeouts, us, ZERO } from '../../l4/timeouts.js';
import { Coroutine, type LxGen } from '../coroutine.js';
import { newFrameStack, traced } from '../kfunc.js';
import { Linux, type LinuxConfig } from '../linux.js';
import type { Personality } from '../platform.js';
import type { Process } from '../process.js';
import { deliverableSignal, terminateBySignal } from '../signals.js';
import { startFpu } from '../fpu-state.js';
import { hasDescriptors, loadSelectors } from '../tls.js';
import { DS, ES, FS, GS, SS } from '../../ia32/segments.js';
import { emulibPrograms } from './emulib.js';
import type { L4EnvServices } from './l4env.js';
import { L4Platform } from './platform.js';
import { LX_DOORBELL, LX_GET_REGS, LX_SIG_READY } from './protocol.js';
import { ttyInput, type Keyboard } from '../tty.js';
import { HZ, SIG, SIG_IGN } from '../abi.js';

export const SERVER_TASK = 5;
export const FIRST_USER_TASK = 16;
export const USER_TASKS = 64;

export const LTHREAD = { MAIN: 0, PAGER: 1, TIMER: 2, KEYBOARD: 3, VCPU_BASE: 8, VCPU_IRQ_BASE: 16 } as const;

/** Priorities (the 2.4 PRIO_* order; values from the reference's simulator defaults [INF]). */
export interface Priorities {
  /** IRQ n runs at irq + irqOffset(n). */
  irq: number;
  pager: number;
  kernel: number;
  user: number;
}
export const DEFAULT_PRIORITIES: Priorities = { irq: 200, pager: 190, kernel: 180, user: 100 };

/** Per-IRQ priority offsets (L4Linux 2.6 irq_prio[], S4: IRQ0 +1, IRQ2 +15, IRQ8..15 +14..+7) [INF for the rest]. */
export function irqOffset(n: number): number {
  if (n === 0) return 1;
  if (n === 1) return 16;
  if (n === 2) return 15;
  if (n >= 8) return 14 - (n - 8);
  return 9 - n; // IRQ3..7: +6..+2
}

export interface ServerOptions {
  personality: Exclude<Personality, 'native'>;
  /** Virtual CPUs (kernel threads), placed round robin on the machine's `cpus` physical CPUs. */
  maxcpus: number;
  /** Physical CPUs of the machine. */
  cpus: number;
  prio: Priorities;
  /** Memory for processes (log2 bytes). */
  poolLog2: number;
  keyboard: Keyboard | null;
  /** 'direct': the modified C library calls the server itself; 'trampoline': int $0x80 is reflected. */
  syscalls: 'trampoline' | 'direct';
  /** Threads of a process: each in a task of its own (L4Linux 2.4), or all in the process's task. */
  threadModel: 'task' | 'shared';
  /** L4Env: the task server and dataspace manager (their programs run in their own tasks). */
  l4env: L4EnvServices | null;
}

/** A virtual CPU: a kernel thread and the coroutines it has to continue. */
export interface Vcpu {
  index: number;
  lthread: number;
  /** The physical CPU its threads run on (round robin from CPU 0). */
  cpu: number;
  /** Live processes this virtual CPU serves (the load reschedule_idle looks at). */
  processes: number;
  /** Event order of the moment it last became idle (no process of its own): the oldest idle is picked first. */
  idleSince: number;
  /** Emulated interrupt disabling of this virtual CPU. */
  cli: KernelLock;
  runnable: Coroutine[];
  /** Another thread queued work here and owes this kernel thread a wakeup. */
  doorbell: boolean;
}

interface Reply {
  to: number;
  msg: MsgOut;
}

export class LinuxServer {
  readonly lx: Linux;
  readonly platform: L4Platform;
  readonly vcpus: Vcpu[] = [];
  /** The global kernel lock of an SMP kernel (maxcpus > 1); waiters spin. */
  readonly bkl: KernelLock | null;
  /** The Linux thread of each user L4 thread pair (user thread 2k, signal thread 2k + 1), by `pairKey`. */
  readonly byThread = new Map<number, Process>();
  /** Start addresses of the server's threads and of the emulation library (set by `load`). */
  private ips = { pager: 0, timer: 0, localTimer: 0, keyboard: 0, vcpu: 0, emulibStart: 0, sigThread: 0 };
  /** Counts idle transitions, so `idleSince` orders them without reading a clock. */
  private idleClock = 0;

  constructor(
    config: LinuxConfig,
    readonly opts: ServerOptions,
  ) {
    this.lx = new Linux(config);
    for (let i = 0; i < opts.maxcpus; i++) {
      const lthread = i === 0 ? LTHREAD.MAIN : LTHREAD.VCPU_BASE + i;
      this.vcpus.push({ index: i, lthread, cpu: i % opts.cpus, processes: 0, idleSince: i, cli: new KernelLock(`cli/vcpu${i}`, false), runnable: [], doorbell: false });
    }
    this.bkl = opts.maxcpus > 1 ? new KernelLock('kernel_flag', true) : null;
    this.platform = new L4Platform(this);
    this.lx.platform = this.platform;
  }

  /**
   * Register the server's and the emulation library's model code (`program` returns the address to
   * start threads at) and return the main thread's start address.
   */
  load(program: (p: ModelProgram) => number): number {
    const emulib = emulibPrograms(this.lx.config.signalFix, SERVER_TASK, () => this.ips.sigThread);
    this.ips.emulibStart = program(emulib.start);
    this.ips.sigThread = program(emulib.signalThread);
    this.ips.pager = program({ name: 'linux-pager', run: (ctx) => this.pager(ctx) });
    this.ips.timer = program({ name: 'linux-timer', run: (ctx) => this.timer(ctx) });
    this.ips.localTimer = program({ name: 'linux-local-timer', run: (ctx) => this.localTimer(ctx, this.vcpus[ctx.lthread - LTHREAD.VCPU_IRQ_BASE]!) });
    this.ips.keyboard = program({ name: 'linux-irq1', run: (ctx) => this.keyboard(ctx) });
    this.ips.vcpu = program({ name: 'linux-vcpu', run: (ctx) => this.vcpuLoop(ctx, this.vcpus[ctx.lthread - LTHREAD.VCPU_BASE]!) });
    this.platform.emulibStartIp = this.ips.emulibStart;
    return program({ name: 'linux-server', run: (ctx) => this.main(ctx) });
  }

  gidOf(ctx: ModelCtx, lthread: number): number {
    return ctx.machine.threadId(SERVER_TASK, lthread);
  }

  vcpuGid(ctx: ModelCtx, v: number): number {
    return this.gidOf(ctx, this.vcpus[v]!.lthread);
  }

  // -------------------------------------------------------------------------------------------------
  // Threads

  private *main(ctx: ModelCtx): OpGenerator {
    if (!(yield* this.platform.initMemory(ctx))) throw new Error('linux server: no memory for the page pool');
    const p = this.opts.prio;
    yield* this.startThread(ctx, LTHREAD.PAGER, this.ips.pager, p.pager, 'linux-pager', 0);
    yield* this.startThread(ctx, LTHREAD.TIMER, this.ips.timer, p.irq + irqOffset(0), 'linux-timer', 0);
    if (this.opts.keyboard) yield* this.startThread(ctx, LTHREAD.KEYBOARD, this.ips.keyboard, p.irq + irqOffset(1), 'linux-irq1', 0);
    for (const v of this.vcpus.slice(1)) {
      yield* this.startThread(ctx, v.lthread, this.ips.vcpu, p.kernel, `linux-vcpu${v.index}`, v.cpu);
      yield* this.startThread(ctx, LTHREAD.VCPU_IRQ_BASE + v.index, this.ips.localTimer, p.irq + irqOffset(0), `linux-timer${v.index}`, v.cpu);
    }
    const v0 = this.vcpus[0]!;
    yield* this.enterLinux(v0.cli);
    yield* this.atomically(ctx, this.lx.spawnInit());
    yield* this.leaveLinux(v0.cli);
    yield* this.vcpuLoop(ctx, v0);
  }

  private *startThread(ctx: ModelCtx, lthread: number, ip: number, prio: number, name: string, cpu: number): OpGenerator {
    yield* exRegs(lthread, ip, 0, { pager: this.gidOf(ctx, LTHREAD.PAGER), annotate: { name, cpu } });
    yield* threadSchedule(this.gidOf(ctx, lthread), prio);
  }

  /**
   * The server's own pager. The server's memory is mapped from sigma0 in one piece at start, so its
   * threads do not fault; a fault would get a page from sigma0 here.
   */
  private *pager(ctx: ModelCtx): OpGenerator {
    const s0 = ctx.machine.threadId(2, 0);
    let r = yield* wait();
    for (;;) {
      if (r.error !== 0 || r.words.length !== 2) {
        r = yield* wait();
        continue;
      }
      const addr = (r.words[0]! & ~0xfff) >>> 0;
      yield* ipc(s0, { words: [0xfffffffc, 12] }, { from: s0, window: { base: addr, log2: 12 } });
      r = yield* replyWait(r.src, [], timeouts({ snd: ZERO }));
    }
  }

  /** The timer thread: HZ ticks from receive timeouts, each a timer interrupt in Linux. */
  private timer(ctx: ModelCtx): OpGenerator {
    return this.ticks(ctx, this.vcpus[0]!, () => this.irq(0, 'timer_interrupt', this.lx.tick()));
  }

  /**
   * Virtual CPU v's interrupt thread (v > 0): its local timer, HZ ticks of per-CPU accounting
   * (smp_local_timer_interrupt -> update_process_times). It enters Linux like any top half: its own
   * virtual CPU's cli lock, then the kernel lock.
   */
  private localTimer(ctx: ModelCtx, v: Vcpu): OpGenerator {
    const kf = this.lx.kf;
    return this.ticks(ctx, v, () => traced(kf, 'smp_apic_timer_interrupt', traced(kf, 'smp_local_timer_interrupt', this.lx.localTick())));
  }

  /** HZ ticks from receive timeouts on a fixed grid; each runs `tick()` as a top half of virtual CPU v. */
  private *ticks(ctx: ModelCtx, v: Vcpu, tick: () => LxGen): OpGenerator {
    const period = (1_000_000 / HZ) * ctx.machine.costs.cyclesPerUs;
    let next = ctx.now() + period;
    for (;;) {
      const left = Math.max(0, next - ctx.now());
      yield* receive(NIL, timeouts({ rcv: us(Math.ceil(left / ctx.machine.costs.cyclesPerUs)) }));
      next += period;
      yield* this.topHalf(ctx, tick(), v);
    }
  }

  /** The keyboard's IRQ thread: each hit brings bytes for the terminal. */
  private *keyboard(ctx: ModelCtx): OpGenerator {
    const kbd = this.opts.keyboard!;
    const line = irqGid(kbd.irq);
    yield* receive(line, timeouts({ rcv: ZERO })); // attach
    for (;;) {
      const r = yield* receive(line); // V2: receiving from the line also unmasks it
      if (r.error !== 0 || r.src !== line) continue;
      const bytes = kbd.read();
      yield* this.topHalf(ctx, this.irq(1, 'keyboard_interrupt', ttyInput(this.lx, bytes)));
    }
  }

  /** Interrupt `n`'s handler as the kernel function trace shows it: do_IRQ -> handle_IRQ_event -> `handler`. */
  private irq(_n: number, handler: string, body: LxGen): LxGen {
    const kf = this.lx.kf;
    return traced(kf, 'do_IRQ', traced(kf, 'handle_IRQ_event', traced(kf, handler, body)));
  }

  /** An interrupt's top half runs Linux code on its virtual CPU (default 0) with its interrupts disabled. */
  private *topHalf(ctx: ModelCtx, body: LxGen, v: Vcpu = this.vcpus[0]!): OpGenerator {
    yield* this.enterLinux(v.cli);
    yield* this.atomically(ctx, body);
    yield* this.leaveLinux(v.cli);
    yield* this.ringDoorbells(ctx, null);
  }

  private *enterLinux(cli: KernelLock): OpGenerator {
    yield* lock(cli);
    if (this.bkl) yield* lock(this.bkl);
  }

  private *leaveLinux(cli: KernelLock): OpGenerator {
    if (this.bkl) yield* unlock(this.bkl);
    yield* unlock(cli);
  }

  /** Run Linux code that never sleeps (interrupt work, boot) on this thread. */
  *atomically<T>(ctx: ModelCtx, body: LxGen<T>): OpGenerator<T> {
    let input: OpResult = undefined;
    const frames = newFrameStack(); // an interrupt's own stack
    for (;;) {
      this.lx.ctx = ctx;
      this.lx.kf.frames = frames;
      const step = body.next(input);
      if (step.done) {
        this.lx.kf.finish(frames);
        return step.value;
      }
      if (step.value.op === 'lx-sleep') throw new Error('linux: interrupt code tried to sleep');
      input = yield step.value;
    }
  }

  /** Tell other kernel threads that they have coroutines to continue (send timeout 0: never block). */
  private *ringDoorbells(ctx: ModelCtx, self: Vcpu | null): OpGenerator {
    for (const v of this.vcpus) {
      if (v === self || !v.doorbell) continue;
      v.doorbell = false;
      yield* send(this.gidOf(ctx, v.lthread), [LX_DOORBELL], timeouts({ snd: ZERO }));
    }
  }

  /**
   * A kernel thread: wait for requests (replying to the previous one in the same call), run the
   * request's coroutine and the coroutines other threads woke, and reply to whoever is done.
   */
  private *vcpuLoop(ctx: ModelCtx, v: Vcpu): OpGenerator {
    const accept = { maxWords: EXC_WORDS };
    let pending: Reply | null = null;
    for (;;) {
      let r: IpcResult | null = null;
      if (v.runnable.length === 0) {
        // Idle: open wait (after replying to the last caller with send timeout 0).
        r = pending ? yield* replyWait(pending.to, pending.msg.words, timeouts({ snd: ZERO }), pending.msg, accept) : yield* wait(timeouts({}), accept);
        if (r.error !== 0) r = null;
      } else if (pending) {
        yield* send(pending.to, pending.msg.words, timeouts({ snd: ZERO }), pending.msg);
      }
      pending = null;
      yield* this.enterLinux(v.cli);
      const replies: Reply[] = [];
      if (r) yield* this.request(ctx, v, r, replies);
      v.doorbell = false;
      while (v.runnable.length > 0) yield* this.drive(ctx, v.runnable.shift()!, replies);
      yield* this.leaveLinux(v.cli);
      yield* this.ringDoorbells(ctx, v);
      for (const reply of replies.slice(0, -1)) yield* send(reply.to, reply.msg.words, timeouts({ snd: ZERO }), reply.msg);
      pending = replies.at(-1) ?? null;
    }
  }

  /** Decode one request and start its coroutine. */
  private *request(ctx: ModelCtx, v: Vcpu, r: IpcResult, replies: Reply[]): OpGenerator {
    const w = r.words;
    if (w.length === 1 && w[0] === LX_DOORBELL) return;
    const proc = this.byThread.get(pairKey(gidTask(r.src), gidLthread(r.src)));
    if (!proc || !proc.runsUser) return; // a request of a dying process or thread: no answer, it goes away
    this.lx.ctx = ctx;
    const fromUser = (gidLthread(r.src) & 1) === 0;
    if (w.length === 1 && w[0] === LX_SIG_READY && !fromUser) {
      yield* this.atomically(ctx, this.signalReady(proc));
      return;
    }
    let body: LxGen<MsgOut | null>;
    let what: string;
    if (w.length === 1 && w[0] === LX_GET_REGS && fromUser) {
      body = this.start(proc);
      what = 'start';
    } else if (w.length === 2) {
      body = this.pageFault(proc, (w[0]! & ~3) >>> 0, (w[0]! & 2) !== 0);
      what = 'page fault';
    } else if (w.length >= EXC_WORDS && fromUser) {
      proc.kicked = false; // on its way out of this entry the process takes its pending signals
      const regs = w.slice(0, EXC_WORDS);
      const trapno = regs[EXC.TRAPNO]!;
      body = asReply(proc, trapno === 0x80 ? this.lx.syscall(proc, regs) : this.lx.trap(proc, regs));
      what = trapno === 0x80 ? 'syscall' : trapno === TRAP_SIGNAL ? 'signal entry' : 'exception';
    } else {
      return;
    }
    const old = proc.coroutine;
    if (old && old !== null) {
      // The user thread was forced out of a system call it was blocked in (the signal thread's
      // lthread_ex_regs cancelled its IPC): the call is abandoned and re-executed after the signal.
      const i = v.runnable.indexOf(old);
      if (i >= 0) v.runnable.splice(i, 1);
      this.lx.abandon(old);
    }
    const co = new Coroutine(proc, body, what);
    co.replyTo = r.src;
    proc.coroutine = co;
    yield* this.drive(ctx, co, replies);
  }

  /** Continue a coroutine until it sleeps or finishes (then its reply is queued). */
  private *drive(ctx: ModelCtx, co: Coroutine, replies: Reply[]): OpGenerator {
    if (!co.proc.alive || co.state === 'done') return;
    this.lx.ctx = ctx;
    this.lx.switchTo(co.proc);
    let input = co.resumeWith;
    co.resumeWith = undefined;
    co.state = 'running';
    const kf = this.lx.kf;
    kf.frames = co.frames;
    if (co.frames.out) {
      // Back from a sleep: its functions continue on this thread, and it returns from schedule().
      kf.switchIn(co.frames);
      kf.exit();
    }
    for (;;) {
      this.lx.ctx = ctx;
      kf.frames = co.frames;
      const step = co.gen.next(input);
      if (step.done) {
        kf.finish(co.frames);
        co.state = 'done';
        if (co.proc.coroutine === co) co.proc.coroutine = null;
        const msg = step.value as MsgOut | null;
        if (msg && co.proc.alive) replies.push({ to: co.replyTo, msg });
        return;
      }
      const op = step.value;
      if (op.op === 'lx-sleep') {
        kf.enter('schedule');
        const now = this.lx.park(co, op);
        if (now === null) {
          kf.switchOut(co.frames); // it sleeps in schedule(): its frames leave this thread
          return;
        }
        kf.exit();
        input = now;
        continue;
      }
      input = yield op as KernelOp;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Requests of the emulation library

  /** LX_GET_REGS: a new task's first entry; it starts user mode with the registers Linux prepared. */
  private *start(proc: Process): LxGen<MsgOut | null> {
    proc.started = true;
    const regs = proc.startRegs ?? [];
    // A fork child of a process with TLS entries or an LDT: they go to the new task first (only then:
    // a process without them costs nothing extra), and its selectors beside the registers.
    const need = hasDescriptors(proc);
    if (need.tls) yield* this.lx.platform.setDescriptors(proc, 'gdt');
    if (need.ldt) yield* this.lx.platform.setDescriptors(proc, 'ldt');
    const segs = proc.startSel ? this.lx.platform.userSegments(proc) : null;
    if (segs && proc.startSel) loadSelectors(segs, proc.startSel, [ES, SS, DS, FS, GS]);
    startFpu(this.lx, proc);
    const fix = this.lx.config.signalFix;
    // The 2.4 startup path replies without looking at pending signals: the race (§8). The fixes do look.
    if (fix === 'recheck' || (fix === 'handshake' && proc.sigReady)) {
      const out = yield* this.lx.returnToUser(proc, regs.slice(), null);
      return out ? { words: out } : null;
    }
    return { words: regs };
  }

  /**
   * LX_SIG_READY (handshake fix): the signal thread waits for a kick from now on. If the process already
   * runs in user mode and a signal is pending, kick now, in the same server step.
   */
  private *signalReady(proc: Process): LxGen {
    proc.sigReady = true;
    if (proc.started && proc.coroutine === null && !proc.kicked && deliverableSignal(proc) !== 0) yield* this.lx.retryKick(proc);
  }

  /** A page fault of the user thread: Linux resolves it, the reply maps the page. */
  private *pageFault(proc: Process, addr: number, write: boolean): LxGen<MsgOut | null> {
    const page = yield* this.lx.pageFault(proc, addr, write);
    if (!page && !proc.alive) return null; // killed: no memory for the page
    if (!page) {
      // A bad access. With a SIGSEGV handler the user thread must be forced out of its page-fault IPC
      // (a kick; the fault is not answered), else the default action ends the process here.
      if (proc.actions[SIG.SEGV]!.handler > SIG_IGN) yield* this.lx.retryKick(proc);
      else yield* terminateBySignal(this.lx, proc, SIG.SEGV);
      return null;
    }
    if (this.lx.config.signalFix === 'recheck' && deliverableSignal(proc) !== 0) yield* this.lx.retryKick(proc);
    return fpageMsg({ base: page.at, log2: 12, write: page.writable, grant: false, sndBase: page.vpn * 4096 });
  }

  /**
   * Which virtual CPU serves a new process (fork, clone in the task thread model): Linux 2.4's
   * reschedule_idle() for a new task, simplified. The parent's virtual CPU is busy (it runs the fork), so
   * the child goes to an idle one (none of its own processes), the one idle the longest first; with none
   * idle, to the least loaded, the parent's on a tie, then the lowest number. The choice holds for the
   * process's life: its task's exception handler and pager are fixed at task_new, and V2 lets only the
   * task itself change them (documented in docs/linux.md).
   */
  assignVcpu(parent: Process | null): number {
    if (this.vcpus.length === 1) return 0;
    let best: Vcpu | null = null;
    for (const v of this.vcpus) {
      if (v.processes === 0 && (!best || best.processes > 0 || v.idleSince < best.idleSince)) best = v;
    }
    if (!best) {
      const from = parent ? parent.vcpu : 0;
      for (let i = 0; i < this.vcpus.length; i++) {
        const v = this.vcpus[(from + i) % this.vcpus.length]!;
        if (!best || v.processes < best.processes) best = v;
      }
    }
    best!.processes++;
    return best!.index;
  }

  /** A process served by virtual CPU `index` ended. */
  releaseVcpu(index: number): void {
    const v = this.vcpus[index];
    if (!v || v.processes === 0) return;
    if (--v.processes === 0) v.idleSince = this.vcpus.length + this.idleClock++;
  }
}

/** The registers to continue with; after them, a thread the emulation library must create (shared thread model). */
function* asReply(proc: Process, body: LxGen<number[] | null>): LxGen<MsgOut | null> {
  const regs = yield* body;
  const spawn = proc.spawn;
  proc.spawn = null;
  if (!regs) return null;
  return { words: spawn ? [...regs, ...spawn] : regs };
}

/** The key of a user L4 thread and its signal thread in `LinuxServer.byThread`. */
export function pairKey(task: number, lthread: number): number {
  return task * 128 + (lthread & ~1);
}

/** The task and the user thread's lthread of a `pairKey`. */
export function pairOf(key: number): { task: number; lthread: number } {
  return { task: Math.floor(key / 128), lthread: key % 128 };
}
