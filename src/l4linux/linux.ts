/**
 * The Linux 2.4 kernel core shared by every personality: processes, their memory, files and signals,
 * the system-call dispatcher and the kernel entry and exit paths. It never talks to the machine itself;
 * what differs between native Linux and L4Linux goes through the Platform (platform.ts).
 *
 * Entry points each return a coroutine body (coroutine.ts): `syscall`, `pageFault`, `trap` (a CPU
 * exception or the L4Linux signal entry) and `start` (the first entry of a new process on L4Linux).
 * Their drivers set `ctx` to the model context they run on before every step, so trace events land in
 * the buffer of the thread that executes the kernel path.
 */
import { KernelFunctions, traced } from './kfunc.js';
import { ENUMS, Kind } from '../../tracer/catalogue.js';
import { UserError } from '../../tracer/errors.js';
import type { ModelCtx } from '../l4/model-engine.js';
import type { GuestImage } from '../l4/guest-image.js';
import type { CostProfile } from '../l4/costs.js';
import { EXC, EXC_WORDS, TRAP_DE, TRAP_SIGNAL, TRAP_UD } from '../l4/ia32-engine.js';
import { buildInitialStack } from '../ia32/process-stack.js';
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, FPE_INTDIV, fpeCode, HZ, ILL_ILLOPN, NR, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, SIG, SIGNAL_NAMES, TRAPNO } from './abi.js';
import { work, type Coroutine, type LxGen, type SleepOp, type WakeReason } from './coroutine.js';
export { work };
import { Console, FileTable, Transcript } from './files.js';
import { consoleOutput, setupConsoles, type KernelConsoles } from './consoles.js';
import { FileSystem } from './vfs/filesystem.js';
import { makeDevices } from './vfs/devices.js';
import { mountProc } from './vfs/proc.js';
import { TtyState } from './sys/tty-calls.js';
import { loadProgram } from './exec.js';
import { WaitQueue } from './coroutine.js';
import type { LinuxLimits } from './limits.js';
import { ProcessMemory, USER_STACK_TOP, type Backing } from './memory.js';
import type { Platform } from './platform.js';
import { Process, type FaultSiginfo } from './process.js';
import { chldSiginfo, deliverableSignal, deliverSignal, restoreSavedMask, sendSignal } from './signals.js';
import { SYSCALLS } from './syscalls.js';
import type { RootFsImage } from './vfs/rootfs-image.js';
import { copyToUser } from './uaccess.js';
import { BOOT_EPOCH, RealtimeClock, realtime } from './clock.js';
import { ERESTART_RESTARTBLOCK, NR_RESTART_SYSCALL } from './abi-calls.js';
import { itimerTick } from './itimer.js';
import { atRandom } from './random.js';
import { defaultRlimits } from './rlimit.js';
import { FutexTable } from './futex.js';
import { clearChildTid } from './sys/futex.js';
import { FsStruct } from './thread-group.js';

export type SignalFix = 'none' | 'handshake' | 'recheck';

export { HZ };

export interface LinuxConfig {
  /** Write FUNC_ENTER/EXIT for the Linux kernel functions the model's steps stand for (kfunc.ts). */
  kernelFunctions?: boolean;
  /** The first process: a guest program, its arguments after argv[0], and its environment. */
  init: string;
  args: string[];
  env: string[];
  /** Guest programs reachable under /bin (execve). */
  programs: string[];
  /** Console input available from the start (then end of input); null = input comes from the keyboard. */
  stdin: string | null;
  /** L4Linux's fix for the fresh-process signal race (l4-semantics.md §8). */
  signalFix: SignalFix;
  /** Bytes of console output kept for the scenario to check, the first ones (default 0: only counted). */
  consoleKeep?: number;
  /** Bounds of what guests can make Linux hold, from the machine's memory (limits.ts). */
  limits: LinuxLimits;
  /** The root file system (vfs/rootfs-image.ts); absent or null: /bin holds `programs` only. */
  rootfs?: RootFsImage | null;
  /** init is the program at this absolute path in the root file system (then `init` is only its name). */
  initPath?: string | null;
  /** The first system call Linux lacks stops the run (outcome `error`) with its name and number. */
  strict?: boolean;
  /** CLOCK_REALTIME at boot, seconds since 1970 (clock.ts; default BOOT_EPOCH). */
  epoch?: number;
  /** init must exit with this status; another status ends the run with outcome `fail` (sweeps hunt for those). */
  expectExit?: number;
  /**
   * The boot command line's `console=` entries (consoles.ts); absent: the machine's console as before
   * (it always opens; no kernel messages).
   */
  console?: readonly string[];
  /** Asked when init exits: why the run failed after all (outcome `fail`), or null. */
  checkAtInitExit?: () => string | null;
}

/** Mechanism counts kept by Linux (the L4 kernel keeps its own). */
export interface LinuxStats {
  syscalls: number;
  pageFaults: number;
  /** Pages copied to break copy-on-write sharing. */
  pagesCopied: number;
  /** Pages filled from the program file or with zeros. */
  pagesFilled: number;
  forks: number;
  execs: number;
  exits: number;
  signalsSent: number;
  signalsDelivered: number;
  /** Kicks that did not reach the signal thread (L4Linux). */
  kicksLost: number;
  /** Processes killed because a page fault found no free memory. */
  oomKills: number;
}

/** A marker syscall (the benchmark's timestamps): when, by whom, and which. */
export interface MarkerHit {
  pid: number;
  id: number;
}


export class Linux {
  readonly processes = new Map<number, Process>();
  readonly fs: FileSystem;
  /** The console's terminal state, when the console is a terminal (input from a keyboard). */
  readonly tty: TtyState | null;
  /** Futex sleepers by address space and word. */
  readonly futexes = new FutexTable();
  /** poll and select sleep here; every wake-up of a pipe or the console wakes them too. */
  readonly pollWait = new WaitQueue('poll');
  /** System calls this Linux lacks that guests made: number -> how many times. */
  readonly unimplemented = new Map<number, number>();
  readonly console = new Console();
  readonly stats: LinuxStats = { syscalls: 0, pageFaults: 0, pagesCopied: 0, pagesFilled: 0, forks: 0, execs: 0, exits: 0, signalsSent: 0, signalsDelivered: 0, kicksLost: 0, oomKills: 0 };
  /** Coroutines sleeping with a deadline. */
  readonly timers: Coroutine[] = [];
  jiffies = 0;
  /** What the console showed: a byte count, and as many first bytes as the scenario checks. */
  readonly transcript: Transcript;
  /** The kernel's consoles when the boot command line names them (config.console), else null. */
  consoles: KernelConsoles | null = null;
  /** The model context of the thread executing Linux code right now (set by the drivers). */
  ctx!: ModelCtx;
  platform!: Platform;
  init: Process | null = null;
  /** Called for each l4trace_marker system call (benchmarks snapshot counters there). */
  onMarker: ((hit: MarkerHit) => void) | null = null;
  /** CLOCK_REALTIME's epoch and settimeofday's offset (clock.ts). */
  readonly realtime: RealtimeClock;
  /** The Linux kernel functions' trace (kfunc.ts); its `frames` is set by the drivers, as `ctx` is. */
  readonly kf: KernelFunctions;
  /** The process whose kernel path ran last (LX_SWITCH events mark changes). */
  private current = 0;
  private nextPid = 1;

  constructor(readonly config: LinuxConfig) {
    const l = config.limits;
    this.realtime = new RealtimeClock(config.epoch ?? BOOT_EPOCH);
    this.kf = new KernelFunctions(config.kernelFunctions ?? false, () => this.ctx);
    this.fs = new FileSystem({ pages: l.fsPages, inodes: l.fsInodes, openFiles: l.maxFiles }, () => this.time());
    if (config.rootfs) this.fs.load(config.rootfs);
    makeDevices(this.fs);
    mountProc(this.fs, this);
    this.tty = config.stdin === null ? new TtyState(1) : null;
    this.transcript = new Transcript(config.consoleKeep ?? 0);
    if (config.stdin !== null) {
      // One push per byte: spreading a large input into push's arguments overflows the host's stack.
      for (const b of new TextEncoder().encode(config.stdin)) this.console.input.push(b);
      this.console.eof = true;
      this.console.canonical = false;
    }
  }

  get costs(): CostProfile {
    return this.ctx.machine.costs;
  }

  now(): number {
    return this.ctx.now();
  }

  /** Write a Linux-level trace event into the executing thread's buffer. */
  ev(kind: number, ...a: number[]): number {
    return this.ctx.trace.emit(kind, this.ctx.now(), a[0] ?? 0, a[1] ?? 0, a[2] ?? 0, a[3] ?? 0, a[4] ?? 0, a[5] ?? 0);
  }

  /** The driver is about to run a kernel path of `proc` (Linux's `current` changes). */
  switchTo(proc: Process): void {
    if (proc.pid !== this.current) {
      this.ev(Kind.LX_SWITCH, this.current, proc.pid);
      this.current = proc.pid;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Processes

  newProcess(parent: Process | null, name: string, mm: ProcessMemory, files: FileTable): Process {
    const pid = this.nextPid++;
    const proc = new Process(pid, parent, parent?.group.pgrp ?? pid, name, mm, files, parent ? parent.fs.clone() : new FsStruct(this.fs.root));
    proc.startedAt = this.now();
    if (!parent) proc.rlimits = defaultRlimits(this.config.limits.maxThreads);
    proc.exe = parent?.exe ?? '';
    proc.cmdline = parent?.cmdline ?? [];
    this.processes.set(pid, proc);
    // A child of any thread is a child of its thread group (wait in any thread reaps it; getppid is the tgid).
    if (parent) {
      proc.parent = parent.group.leader;
      proc.parent.children.add(proc);
    }
    return proc;
  }

  /**
   * A new thread in `creator`'s thread group (clone with CLONE_THREAD): the same memory, signal actions,
   * identity and limits; `sharedFs` / `sharedFiles` as CLONE_FS / CLONE_FILES ask.
   */
  newThread(creator: Process, sharedFs: boolean, sharedFiles: boolean): Process {
    const pid = this.nextPid++;
    const g = creator.group;
    const t = new Process(pid, g.leader.parent, g.pgrp, creator.name, creator.mm, sharedFiles ? creator.files : creator.files.clone(), sharedFs ? creator.fs : creator.fs.clone());
    t.group = g;
    g.threads.push(t);
    t.actions = creator.actions;
    t.cred = creator.cred;
    t.rlimits = creator.rlimits;
    t.virtTimer = creator.virtTimer;
    t.profTimer = creator.profTimer;
    t.altstack.reset(); // a thread starts without its creator's alternate stack (sas_ss_reset)
    t.ldt = creator.ldt;
    t.exe = creator.exe;
    t.cmdline = creator.cmdline;
    t.exitSignal = 0;
    t.startedAt = this.now();
    this.processes.set(pid, t);
    return t;
  }

  /** Create init: its memory, its initial stack with argv and environment, its console descriptors. */
  *spawnInit(): LxGen<Process> {
    for (const name of this.config.programs) {
      const image = this.ctx.machine.image(name);
      this.fs.addProgram(name, image.data.length, () => image.data);
    }
    const files = new FileTable();
    // init/main.c: open /dev/console, dup it twice. Without a console with a terminal (consoles.ts) init
    // runs without descriptors 0, 1 and 2.
    if (!this.config.console || setupConsoles(this, this.config.console)) {
      const tty = this.fs.open('console', 2 /* O_RDWR */, null, null)!;
      for (let fd = 0; fd < 3; fd++) files.fds[fd] = tty;
      tty.refs = 3;
    }
    const argv = [this.config.init, ...this.config.args];
    const program = this.initProgram(argv);
    const proc = this.newProcess(null, program.name, new ProcessMemory(program.image), files);
    proc.exe = program.exe;
    proc.cmdline = program.argv;
    this.init = proc;
    const stack = buildInitialStack(USER_STACK_TOP, program.argv, this.config.env, program.image.elf, atRandom(this));
    if (!(yield* copyToUser(this, proc, stack.sp, stack.bytes))) throw new Error(`linux: cannot build the stack of ${this.config.init}`);
    proc.startRegs = entryRegs(program.image.elf.entry, stack.sp);
    if (!(yield* this.platform.startProcess(proc, 'init'))) throw new Error(`linux: cannot start ${this.config.init}`);
    return proc;
  }

  /** init's program: a guest image by name, or a program file of the root file system (initPath). */
  private initProgram(argv: string[]): { name: string; image: GuestImage; argv: string[]; exe: string } {
    const path = this.config.initPath;
    if (!path) return { name: this.config.init, image: this.ctx.machine.image(this.config.init), argv, exe: `/bin/${this.config.init}` };
    const loaded = loadProgram(this, this.fs.root, null, path, argv);
    if (typeof loaded === 'number') throw new InitError(`${path}: cannot run it as the first process (errno ${-loaded}${ERRNO_HINT[-loaded] ? `: ${ERRNO_HINT[-loaded]}` : ''})`);
    return { name: path.slice(path.lastIndexOf('/') + 1).slice(0, 15), ...loaded };
  }

  byPid(pid: number): Process | undefined {
    const p = this.processes.get(pid);
    return p && p.alive ? p : undefined;
  }

  /**
   * The process of `proc` ends with wait status `status` (exit_group, a fatal signal, SIGKILL): its other
   * threads end first (zap_other_threads), then the process with its last thread (`exitProcess`).
   */
  *exit(proc: Process, status: number): LxGen {
    if (!proc.alive) return;
    yield* traced(this.kf, 'do_exit', this.exitGroup(proc, status));
  }

  private *exitGroup(proc: Process, status: number): LxGen {
    const g = proc.group;
    const last = proc.runsUser ? proc : g.threads[0];
    if (!last) return;
    g.exiting = true;
    for (const t of g.others(last)) yield* this.endThread(t);
    yield* this.exitProcess(last, status);
  }

  /** exit(2): one thread ends; the process ends with its last thread. */
  *exitThread(proc: Process, status: number): LxGen {
    if (!proc.runsUser) return;
    this.kf.enter('do_exit');
    if (proc.group.threads.length > 1) yield* this.endThread(proc);
    else yield* this.exitProcess(proc, status);
    this.kf.exit();
  }

  /**
   * A thread ends while its thread group lives on: CLONE_CHILD_CLEARTID's word is cleared and one waiter
   * woken (pthread_join), its kernel pages go, and what ran it (its L4 task or L4 thread). A leader stays
   * in the process table as the group's face (its pid is getpid's) until the group ends.
   */
  *endThread(t: Process): LxGen {
    const g = t.group;
    const i = g.threads.indexOf(t);
    if (i < 0) return;
    g.threads.splice(i, 1);
    t.threadExited = true;
    this.stopThread(t);
    yield* clearChildTid(this, t);
    yield* work(this.costs.linuxExit);
    if (!g.threads.some((o) => o.files === t.files)) this.closeAll(t);
    for (const at of t.kernelPages.splice(0)) yield* this.platform.freePage(at);
    if (!t.isLeader) {
      t.state = 'zombie';
      this.processes.delete(t.pid);
    }
    yield* this.platform.endThread(t);
  }

  /**
   * The process ends with wait status `status` as its last thread `last` exits: files closed, memory
   * released, children handed to init, the parent told. The group's leader becomes the zombie its
   * parent reaps. Called from the process's own kernel path (exit, a fatal signal on its way out) or
   * from another's (SIGKILL, which the kernel performs at once).
   */
  private *exitProcess(last: Process, status: number): LxGen {
    const g = last.group;
    const proc = g.leader;
    this.stats.exits++;
    g.threads.length = 0;
    g.exiting = true;
    for (const t of new Set([proc, last])) {
      t.state = 'zombie';
      this.stopThread(t);
    }
    proc.exitStatus = status;
    last.threadExited = true;
    if (last !== proc) this.processes.delete(last.pid);
    proc.group.alarmAt = 0;
    this.closeAll(last);
    if (proc.files !== last.files) this.closeAll(proc);
    const pages = last.mm.pages.size;
    yield* work(this.costs.linuxExit);
    for (const child of proc.children) {
      child.parent = this.init !== proc ? this.init : null;
      if (child.parent) child.parent.children.add(child);
    }
    proc.children.clear();
    if (proc === this.init) {
      const sig = status & 0x7f;
      const code = sig ? 128 + sig : (status >> 8) & 0xff;
      this.ctx.machine.metric('init.exit_status', code, 'status');
      const how = sig ? `init was killed by signal ${sig}` : `init exited with status ${code}`;
      const expect = this.config.expectExit;
      const failed = this.config.checkAtInitExit?.() ?? null;
      if (expect !== undefined && code !== expect) this.ctx.machine.requestStop('fail', `${how}, expected ${expect}`);
      else if (failed !== null) this.ctx.machine.requestStop('fail', `${how}, but ${failed}`);
      else this.ctx.machine.requestStop('ok', how);
    }
    const parent = proc.parent;
    if (parent && parent.alive) yield* traced(this.kf, 'exit_notify', this.notifyParent(parent, proc, status));
    // The platform removes what ran the process; on native Linux that may be the running thread itself,
    // so memory is given back first and this comes last.
    this.futexes.drop(last.mm);
    const kf = this.kf;
    yield* traced(kf, 'exit_mm', traced(kf, 'mmput', traced(kf, 'exit_mmap', this.exitMmap(last, pages))));
    for (const t of new Set([proc, last])) for (const at of t.kernelPages.splice(0)) yield* this.platform.freePage(at);
    // L4Linux's exit_thread: the process's L4 task goes.
    yield* traced(kf, 'exit_thread', this.platform.endProcess(last));
  }

  private *notifyParent(parent: Process, proc: Process, status: number): LxGen {
    this.wakeAll(parent.childWait);
    if (proc.exitSignal !== 0) yield* sendSignal(this, parent, proc.exitSignal, proc.pid, ...chldSiginfo(status));
  }

  /** exit_mmap: zap every page-table entry, then give the pages back (L4Linux unmaps each one). */
  private *exitMmap(last: Process, pages: number): LxGen {
    yield* traced(this.kf, 'zap_page_range', work(pages * this.costs.linuxExitPerPage));
    yield* this.dropMemory(last, last.mm);
  }

  /** What ends with any thread: its CPU clock stops, a vfork parent goes on, a sleeping kernel path is dropped. */
  private stopThread(t: Process): void {
    t.endedAt = this.now();
    this.vforkRelease(t);
    const co = t.coroutine;
    if (co && co.state !== 'running') this.abandon(co);
  }

  /**
   * execve in a thread of a group with others (de_thread): the others end, and a thread that is not
   * the leader takes over the leader's pid, parent and children, as Linux's exec does.
   */
  *becomeSoleThread(proc: Process): LxGen {
    const g = proc.group;
    for (const t of g.others(proc)) yield* this.endThread(t);
    const leader = g.leader;
    if (leader === proc) return;
    this.processes.delete(proc.pid);
    leader.state = 'zombie';
    proc.pid = leader.pid;
    this.processes.set(proc.pid, proc);
    proc.parent = leader.parent;
    leader.parent?.children.delete(leader);
    leader.parent?.children.add(proc);
    for (const k of leader.children) {
      k.parent = proc;
      proc.children.add(k);
    }
    leader.children.clear();
    proc.exitSignal = leader.exitSignal;
    proc.startedAt = leader.startedAt;
    g.leader = proc;
  }

  /** waitpid reaped a zombie: it is gone. */
  reap(proc: Process): void {
    if (proc.parent && proc.endedAt >= 0) proc.parent.group.childCycles += proc.endedAt - proc.startedAt + proc.group.childCycles; // times' cutime
    proc.parent?.children.delete(proc);
    this.processes.delete(proc.pid);
  }

  /**
   * exit_mmap: every page-table entry of `mm` is cleared, which takes the page out of the process's
   * address space (on L4Linux an fpage_unmap of the server's page, which V2 applies to every task the
   * page was mapped to), and pages nobody uses any more are freed.
   */
  *dropMemory(proc: Process, mm: ProcessMemory): LxGen {
    const pages = [...mm.pages].map(([vpn, e]) => ({ vpn, at: e.b.at }));
    yield* this.platform.unmapPages(proc, pages);
    yield* this.freeBackings(mm.release());
  }

  *freeBackings(freed: Backing[]): LxGen {
    for (const b of freed) yield* this.platform.freePage(b.at);
  }

  /** Close every descriptor of the process's table. */
  closeAll(proc: Process): void {
    for (let fd = 0; fd < proc.files.fds.length; fd++) this.closeFd(proc, fd);
  }

  closeFd(proc: Process, fd: number): boolean {
    const f = proc.files.get(fd);
    if (!f) return false;
    proc.files.fds[fd] = undefined;
    const wq = f.release();
    if (wq) this.wakeAll(wq);
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Sleeping and waking coroutines

  /**
   * A coroutine asked to sleep. Returns the reason it must not sleep at all (a signal is already
   * pending for an interruptible sleep, the deadline passed), or null after parking it.
   */
  park(co: Coroutine, op: SleepOp): WakeReason | null {
    if (!co.proc.alive) return 'killed';
    if (op.interruptible && deliverableSignal(co.proc) !== 0) return 'signal';
    if (op.untilJiffy !== 0 && op.untilJiffy <= this.jiffies) return 'timeout';
    co.state = 'sleeping';
    co.sleep = op;
    op.wq?.sleepers.push(co);
    if (op.untilJiffy !== 0) this.timers.push(co);
    return null;
  }

  private unpark(co: Coroutine): void {
    const op = co.sleep;
    if (op?.wq) {
      const i = op.wq.sleepers.indexOf(co);
      if (i >= 0) op.wq.sleepers.splice(i, 1);
    }
    const ti = this.timers.indexOf(co);
    if (ti >= 0) this.timers.splice(ti, 1);
    co.sleep = null;
  }

  /** End a coroutine's sleep; its driver continues it with `reason`. */
  wakeCo(co: Coroutine, reason: WakeReason): void {
    if (co.state !== 'sleeping') return;
    this.unpark(co);
    co.state = 'runnable';
    co.resumeWith = reason;
    this.platform.schedule(co);
  }

  /** Drop a sleeping coroutine for good (its process left the system call another way). */
  abandon(co: Coroutine): void {
    if (co.state === 'sleeping') this.unpark(co);
    co.state = 'done';
    if (co.proc.coroutine === co) co.proc.coroutine = null;
  }

  wakeAll(wq: WaitQueue): void {
    for (const co of wq.sleepers.slice()) this.wakeCo(co, 'woken');
    if (wq !== this.pollWait && this.pollWait.sleepers.length > 0) this.wakeAll(this.pollWait);
  }

  /** A vfork child execs or exits: its parent goes on. */
  vforkRelease(proc: Process): void {
    const done = proc.vforkDone;
    if (!done) return;
    proc.vforkDone = null;
    this.wakeAll(done);
  }

  /** Tell the user why a guest may fail (printed by run and record, marked in the trace). */
  diagnose(proc: Process, text: string): void {
    this.ctx.machine.diagnose(this.ctx.gid, `pid ${proc.pid} (${proc.name}): ${text}`, 0);
  }

  // -------------------------------------------------------------------------------------------------
  // Kernel entries

  /** A system call: `regs` in the exception layout (EAX = number, EBX.. = arguments). */
  *syscall(proc: Process, regs: number[]): LxGen<number[] | null> {
    return yield* traced(this.kf, 'system_call', this.systemCall(proc, regs));
  }

  private *systemCall(proc: Process, regs: number[]): LxGen<number[] | null> {
    this.stats.syscalls++;
    const nr = regs[EXC.EAX]! >>> 0;
    const args = [regs[EXC.EBX]!, regs[EXC.ECX]!, regs[EXC.EDX]!, regs[EXC.ESI]!, regs[EXC.EDI]!, regs[EXC.EBP]!].map((v) => v >>> 0);
    this.ev(Kind.SYSCALL_ENTER, proc.pid, nr, args[0]!, args[1]!, args[2]!);
    yield* work(this.costs.linuxSyscall);
    const fn = SYSCALLS.get(nr);
    if (!fn && !this.noteMissingSyscall(proc, nr)) return null;
    const ret = fn ? yield* traced(this.kf, sysEntryName(nr), fn(this, proc, args, regs)) : -38; /* ENOSYS */
    if (ret === null || !proc.alive) return null;
    const isReturn = nr === NR.sigreturn || nr === NR.rt_sigreturn;
    if (!isReturn) regs[EXC.EAX] = ret >>> 0;
    this.ev(Kind.SYSCALL_EXIT, proc.pid, nr, isReturn ? 0 : ret | 0);
    return yield* this.returnToUser(proc, regs, isReturn ? null : { nr, ret });
  }

  /**
   * A system call this Linux lacks answers ENOSYS and is counted; the user hears of each number once (a
   * program may fail on it). Under `strict` the run stops there instead (returns false).
   */
  private noteMissingSyscall(proc: Process, nr: number): boolean {
    const calls = (this.unimplemented.get(nr) ?? 0) + 1;
    this.unimplemented.set(nr, calls);
    const name = ENUMS.Syscall![nr];
    const what = `system call ${nr}${name ? ` (${name})` : ''} is not implemented`;
    if (this.config.strict) {
      this.ctx.machine.requestStop('fault', `pid ${proc.pid} (${proc.name}): ${what} (--strict)`);
      return false;
    }
    if (calls > 1) return true; // told once per number
    this.ctx.machine.diagnose(this.ctx.gid, `pid ${proc.pid} (${proc.name}): ${what}: ENOSYS`, nr);
    return true;
  }

  /**
   * A CPU exception of the user program (invalid opcode, divide error, protection fault) or, on L4Linux,
   * the signal entry the signal thread forced the user thread into. Either way: deliver what is pending.
   */
  *trap(proc: Process, regs: number[]): LxGen<number[] | null> {
    const trapno = regs[EXC.TRAPNO]!;
    if (trapno !== TRAP_SIGNAL) {
      // As Linux's trap handlers: #UD, #DE and #MF name the instruction (si_addr = EIP); #GP, #BR (bound),
      // #OF (into) and int3 are SI_KERNEL signals without an address. The trap number and error code go to the sigcontext.
      const eip = regs[EXC.EIP]! >>> 0;
      if (trapno === TRAP_UD) this.forceSignal(proc, SIG.ILL, trapno, regs[EXC.ERR]!, { code: ILL_ILLOPN, addr: eip });
      else if (trapno === TRAP_DE) this.forceSignal(proc, SIG.FPE, trapno, regs[EXC.ERR]!, { code: FPE_INTDIV, addr: eip });
      else if (trapno === TRAPNO.MF) {
        // The emulation library passes the FPU's control and status words in the error word (#MF
        // pushes no error code of its own; the sigcontext gets 0, as natively).
        const err = regs[EXC.ERR]! >>> 0;
        this.forceSignal(proc, SIG.FPE, trapno, 0, { code: fpeCode(err >>> 16, err & 0xffff), addr: eip });
      }
      // #NP and #SS (a segment register load): SIGBUS, as Linux's DO_ERROR entries for vectors 11 and 12.
      else if (trapno === TRAPNO.NP || trapno === TRAPNO.SS) this.forceSignal(proc, SIG.BUS, trapno, regs[EXC.ERR]!, { code: SI_KERNEL, addr: 0 });
      else this.forceSignal(proc, trapno === TRAPNO.BP ? SIG.TRAP : SIG.SEGV, trapno, regs[EXC.ERR]!, { code: SI_KERNEL, addr: 0 });
    }
    return yield* this.returnToUser(proc, regs, null);
  }

  /**
   * Linux's fault handler for a user page fault (handle_mm_fault): returns the page to map, or null
   * when the address is not part of the process; SIGSEGV is then pending, for the caller to deliver.
   */
  *pageFault(proc: Process, addr: number, write: boolean): LxGen<{ vpn: number; writable: boolean; at: number } | null> {
    return yield* traced(this.kf, 'do_page_fault', this.doPageFault(proc, addr, write));
  }

  private *doPageFault(proc: Process, addr: number, write: boolean): LxGen<{ vpn: number; writable: boolean; at: number } | null> {
    this.stats.pageFaults++;
    const r = yield* resolvePage(this, proc, addr, write);
    if (r === OOM && proc.mm.isStack(addr >>> 0) && !proc.mm.pages.has(Math.floor((addr >>> 0) / 4096))) {
      // The stack cannot grow: no memory for a new stack page. As when Linux's stack expansion is
      // refused (the overcommit check in acct_stack_growth, or RLIMIT_STACK), the access is a bad one:
      // SIGSEGV, SEGV_MAPERR.
      this.forceSignal(proc, SIG.SEGV, TRAPNO.PF, (write ? 2 : 0) | 4, { code: SEGV_MAPERR, addr: addr >>> 0 });
      proc.cr2 = addr >>> 0;
      return null;
    }
    if (r === OOM) {
      // No memory for the page: the out-of-memory kill (2.4's do_page_fault out_of_memory path kills
      // the faulting process with SIGKILL). The process is gone when this returns.
      this.stats.oomKills++;
      yield* sendSignal(this, proc, SIG.KILL, 0);
      return null;
    }
    if (!r) {
      // A bad access (2.4 bad_area): SEGV_MAPERR outside every region, SEGV_ACCERR for an access the
      // region does not allow; the error code as the CPU pushed it (present, write, user).
      const present = proc.mm.pages.has(Math.floor((addr >>> 0) / 4096)) ? 1 : 0;
      const code = proc.mm.region(addr >>> 0) ? SEGV_ACCERR : SEGV_MAPERR;
      this.forceSignal(proc, SIG.SEGV, TRAPNO.PF, present | (write ? 2 : 0) | 4, { code, addr: addr >>> 0 });
      proc.cr2 = addr >>> 0;
      return null;
    }
    return { vpn: r.vpn, writable: r.e.writable && !r.e.cow, at: r.e.b.at };
  }

  /**
   * A signal the CPU raised: it cannot be blocked or ignored. The fault's trap number and error code
   * become the thread's (shown in the sigcontext), `info` the signal's siginfo.
   */
  forceSignal(proc: Process, sig: number, trapno: number, err: number, info: FaultSiginfo): void {
    const act = proc.actions[sig]!;
    if (act.handler === 1 /* SIG_IGN */) act.handler = 0;
    proc.blocked &= ~((1 << (sig - 1)) >>> 0);
    proc.pending |= (1 << (sig - 1)) >>> 0;
    proc.trapNo = trapno;
    proc.errorCode = err >>> 0;
    proc.faultInfo[sig] = info;
    proc.sender[sig] = 0;
  }

  /**
   * The way back to user mode (ret_from_sys_call): deliver pending signals, which may build a handler
   * frame on the user stack, stop, or end the process; then restart an interrupted system call.
   */
  *returnToUser(proc: Process, regs: number[], sys: { nr: number; ret: number } | null): LxGen<number[] | null> {
    let restart = sys !== null && (sys.ret === -ERESTARTSYS || sys.ret === -ERESTARTNOHAND || sys.ret === -ERESTARTNOINTR || sys.ret === -ERESTART_RESTARTBLOCK);
    for (;;) {
      const sig = deliverableSignal(proc);
      if (sig === 0) break;
      const outcome = yield* deliverSignal(this, proc, sig, regs, sys && restart ? { ret: sys.ret, nr: sys.nr } : null);
      if (outcome === 'terminated' || !proc.alive) return null;
      if (outcome === 'handler') {
        restart = false; // deliverSignal settled the restart against the handler's SA_RESTART
        break;
      }
    }
    if (restart && sys) {
      regs[EXC.EAX] = sys.ret === -ERESTART_RESTARTBLOCK ? NR_RESTART_SYSCALL : sys.nr;
      regs[EXC.EIP] = (regs[EXC.EIP]! - 2) >>> 0;
    }
    restoreSavedMask(proc); // sigsuspend's mask ends here when no handler took it over
    return regs;
  }

  // -------------------------------------------------------------------------------------------------
  // Time

  /** The timer interrupt (HZ per second): timeouts, alarms, and the recheck fix's lost kicks. */
  *tick(): LxGen {
    this.jiffies++;
    yield* traced(this.kf, 'do_timer', work(this.costs.linuxTick));
    for (const co of this.timers.slice()) if (co.sleep && co.sleep.untilJiffy <= this.jiffies) this.wakeCo(co, 'timeout');
    for (const proc of [...this.processes.values()]) {
      if (!proc.alive) continue;
      if (proc.isLeader && (yield* itimerTick(this, proc))) continue; // interval timers are per process
      if (proc.kickLost && this.config.signalFix === 'recheck' && proc.coroutine === null && deliverableSignal(proc) !== 0) {
        yield* this.retryKick(proc);
      }
    }
  }

  /** Another virtual CPU's local timer tick (SMP): per-CPU accounting of what runs there (update_process_times). */
  *localTick(): LxGen {
    yield* traced(this.kf, 'update_process_times', work(this.costs.linuxLocalTick));
  }

  /** The recheck fix: try again to force a process with a pending signal into the kernel. */
  *retryKick(proc: Process): LxGen {
    const k = yield* traced(this.kf, 'signal_wake_up', this.platform.kick(proc));
    const sig = deliverableSignal(proc);
    this.ev(Kind.SIG_SEND, 0, proc.pid, sig, k.path, k.error);
  }

  /** Console output: to the machine's console, and into the (bounded) transcript. */
  writeConsole(fd: number, data: Uint8Array): void {
    if (this.consoles && !consoleOutput(this.consoles, data.length)) return;
    this.transcript.append(data);
    this.ctx.machine.console(fd, data);
  }

  /** Linux's state for inspection (replay --inspect). */
  describe(): Record<string, unknown> {
    const names = (mask: number, rt = 0): string[] => {
      const out: string[] = [];
      for (let sig = 1; sig <= 32; sig++) if (mask & ((1 << (sig - 1)) >>> 0)) out.push(SIGNAL_NAMES[sig] ?? `SIG${sig}`);
      for (let sig = 33; sig <= 64; sig++) if (rt & ((1 << (sig - 33)) >>> 0)) out.push(`SIGRTMIN+${sig - 32}`);
      return out;
    };
    return {
      linux: {
        personality: this.platform.personality,
        signalFix: this.config.signalFix,
        ...(this.consoles ? { consoles: this.consoles.describe() } : {}),
        jiffies: this.jiffies,
        processes: [...this.processes.values()].map((p) => ({
          pid: p.pid,
          ...(p.tgid !== p.pid || p.group.threads.length > 1 ? { tgid: p.tgid, thread: p.threadExited ? 'ended' : `L4 ${p.task}.${p.lthread}` } : {}),
          ppid: p.ppid,
          name: p.name,
          state: p.state,
          task: p.task,
          pending: names(p.pending, p.pendingRt),
          blocked: names(p.blocked, p.blockedRt),
          inKernel: p.coroutine ? `${p.coroutine.what}${p.coroutine.sleep ? ` (asleep on ${p.coroutine.sleep.wq?.name ?? 'a timer'})` : ''}` : null,
          started: p.started,
          signalThreadReady: p.sigReady,
          kickLost: p.kickLost,
        })),
      },
    };
  }

  /** CLOCK_REALTIME's seconds: the machine boots at a recorded date (config.epoch), for determinism. */
  time(): number {
    return realtime(this).sec;
  }

  /** The jiffy at which a sleep of `us` microseconds from now ends. */
  jiffyAfterUs(us: number): number {
    return this.jiffies + Math.max(1, Math.ceil((us * HZ) / 1_000_000));
  }
}

/** init's program cannot start (a bad path in the root file system): the run cannot begin. */
export class InitError extends UserError {}

const ERRNO_HINT: Record<number, string> = { 5: 'its bytes are not in the trace (a trace cut short before its file blobs cannot start its first program)', 2: 'no such file', 13: 'not an executable file (a directory, or no x bit)', 8: 'not a static i386 ELF or a #! script', 20: 'a path component is not a directory', 40: 'too many symbolic links' };

export { BOOT_EPOCH };

/** Registers that start user mode at `eip` with stack `esp` (the exception-layout words). */
export function entryRegs(eip: number, esp: number): number[] {
  const r = new Array<number>(EXC_WORDS).fill(0);
  r[EXC.EIP] = eip >>> 0;
  r[EXC.ESP] = esp >>> 0;
  r[EXC.EFLAGS] = 0x202;
  return r;
}

/** resolvePage found no free memory for the page. */
export const OOM = 'oom' as const;

/**
 * Resolve a user page for an access (Linux handle_mm_fault): allocate, fill, or break copy-on-write.
 * null: the address is not part of the process (or not writable); OOM: no memory for the page.
 */
type Resolved = { vpn: number; e: import('./memory.js').PageEntry; replaced: Backing | null };

export function* resolvePage(lx: Linux, proc: Process, addr: number, write: boolean): LxGen<Resolved | null | typeof OOM> {
  const region = proc.mm.region(addr >>> 0);
  if (!region || !region.readable || (write && !region.writable)) return null;
  return yield* traced(lx.kf, 'handle_mm_fault', handleMmFault(lx, proc, addr, write, region.writable));
}

function* handleMmFault(lx: Linux, proc: Process, addr: number, write: boolean, writable: boolean): LxGen<Resolved | typeof OOM> {
  const vpn = Math.floor((addr >>> 0) / 4096);
  const e = proc.mm.pages.get(vpn);
  yield* work(lx.costs.linuxPageFault);
  if (!e) return yield* traced(lx.kf, 'do_no_page', doNoPage(lx, proc, vpn, writable));
  if (write && e.cow) return yield* traced(lx.kf, 'do_wp_page', doWpPage(lx, vpn, e));
  return { vpn, e, replaced: null };
}

/** A page that is not there yet: a fresh page filled with its initial content (zeros, file or image). */
function* doNoPage(lx: Linux, proc: Process, vpn: number, writable: boolean): LxGen<Resolved | typeof OOM> {
  const at = yield* lx.platform.allocPage();
  if (at < 0) return OOM;
  lx.platform.writePage(at, 0, proc.mm.initialContent(vpn));
  lx.stats.pagesFilled++;
  yield* work(4096 * lx.costs.copyPerByte);
  const e = { b: { at, refs: 1 }, writable, cow: false };
  proc.mm.pages.set(vpn, e);
  return { vpn, e, replaced: null };
}

/** A write to a copy-on-write page: copy it unless this was the last reference. */
function* doWpPage(lx: Linux, vpn: number, e: import('./memory.js').PageEntry): LxGen<Resolved | typeof OOM> {
  let replaced: Backing | null = null;
  if (e.b.refs > 1) {
    const at = yield* lx.platform.allocPage();
    if (at < 0) return OOM;
    lx.platform.writePage(at, 0, lx.platform.readPage(e.b.at, 0, 4096));
    lx.stats.pagesCopied++;
    yield* work(4096 * lx.costs.copyPerByte);
    replaced = e.b;
    e.b.refs--;
    e.b = { at, refs: 1 };
  }
  e.cow = false;
  return { vpn, e, replaced };
}


/** The Linux 2.4 entry point of system call `nr` (sys_call_table's name: sys_fork, sys_getpid ...). */
const entryNames: string[] = [];
export function sysEntryName(nr: number): string {
  return (entryNames[nr] ??= `sys_${ENUMS.Syscall![nr] ?? `ni_syscall_${nr}`}`);
}
