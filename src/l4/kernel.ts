/**
 * The simulated L4 microkernel: tasks, threads, CPUs and the run loop. IPC, interrupts, page faults and
 * the other system calls live in their own files and operate on this object; the scheduling policy
 * (scheduler.ts) is the `sched` object it owns.
 *
 * Time: each CPU has a cycle counter; the CPU whose next action is earliest always goes next, so kernel
 * operations happen in one global (time, cpu) order (see `run`), and the result never depends on host
 * timing. Every decision with more than one possible outcome goes through `choices` (the decision tape).
 */
import { Kind } from '../../tracer/catalogue.js';
import { ThreadKind } from '../../tracer/packets.js';
import type { StepHook } from '../ia32/interpreter.js';
import type { EventBuffer, TraceRecorder } from '../../tracer/recorder.js';
import { PhysicalMemory, R, W } from '../ia32/memory.js';
import { TLS_FIRST, type Segments } from '../ia32/segments.js';
import type { Choices } from '../sim/choices.js';
import { ChoiceSite } from '../sim/choices.js';
import { type CostProfile } from './costs.js';
import { KEEP, type Engine, type FaultOp } from './engine.js';
import type { Flavour } from './flavour.js';
import { gid, MAX_TASKS, NIL } from './ids.js';
import { cancelIpc, dropSenders, physAddr, startUserIpc } from './ipc.js';
import { GuestImage } from './guest-image.js';
import { EMULIB_SIGNAL_ENTRY, Ia32Engine } from './ia32-engine.js';
import type { Fpu } from '../ia32/x87/fpu.js';
import type { FunctionTracing } from '../ia32/shadow-stack.js';
import { IrqLine, raiseIrq, unmaskIrq } from './irq.js';
import { KernelMemory, KMEM_PROFILES } from './kmem.js';
import { AddressSpace, flushSpace, releaseSpace } from './mapdb.js';
import type { KernelLock } from './locks.js';
import { ModelEngine, type ModelCtx, type ModelProgram, type ModelServices } from './model-engine.js';
import type { Annotation, KernelOp } from './ops.js';
import { pageFault, touch } from './pagefault.js';
import { Cpu, Scheduler } from './scheduler.js';
import { sigma0Program } from './sigma0.js';
import { doExRegs, doTaskNew, doThreadSchedule, doThreadSwitch, doUnmap } from './syscalls.js';
import { Task, Thread } from './thread.js';
import type { Timeout } from './timeouts.js';

/** Fixed task numbers (V2 convention: sigma0 = 2, the root task = 4; 1 holds the kernel's idle threads). */
export const KERNEL_TASK = 1;
export const SIGMA0_TASK = 2;
export const ROOT_TASK = 4;

export const PRIO_SIGMA0 = 255;
export const PRIO_ROOT = 254;

export type OutcomeName = 'ok' | 'deadlock' | 'hang' | 'fault' | 'limit' | 'fail';

export interface KernelConfig {
  flavour: Flavour;
  costs: CostProfile;
  cpus: number;
  choices: Choices;
  recorder: TraceRecorder;
  /** Physical memory in 4 KiB frames. */
  physFrames?: number;
  /** A fixed-size kernel memory pool of this many bytes (kmem.ts); absent: it grows as needed. */
  kmem?: number;
  /** How far one CPU's computation may run ahead of the others (and the progress-report interval). */
  roundCycles?: number;
  /** Up to this many cycles of jitter are added to every timeout (a TIMER_JITTER choice). */
  timerJitter?: number;
  /** Chaos: on average one perturbation per this many chaos points (0 = off). */
  chaos?: number;
  /** Where guest function events come from (src/ia32/shadow-stack.ts; default `instrumented`). */
  traceFunctions?: FunctionTracing;
}

/** An IA32 engine runs its thread's segment and FPU state (kept in the thread, so it outlives engines). */
function adoptThreadState(engine: Ia32Engine, t: Thread): void {
  engine.cpu.seg = t.segs;
  engine.cpu.fpu = t.fpu;
}

/** Creates an engine for code at `ip` in a task that has no model program there (the IA32 engine). */
export type EngineProvider = (k: Kernel, task: Task, thread: { gid: number; lthread: number }, ip: number, sp: number, trace: () => EventBuffer) => Engine | undefined;

/** Guest IA32 code: tasks that run a guest image get the interpreter. */
const ia32Provider: EngineProvider = (k, task, thread, ip, sp, trace) => {
  const image = task.image;
  if (!image) return undefined;
  return new Ia32Engine(
    {
      phys: k.mem,
      space: task.space,
      image,
      costs: k.costs,
      recorder: k.recorder,
      self: thread.gid,
      handler: () => k.threadByGid(thread.gid)?.pager ?? NIL,
      native: () => task.native,
      directSyscalls: () => task.directSyscalls,
      now: () => k.now,
      trace,
      executed: (n) => void (k.counters.guestInstructions += n),
      diagnose: (text, addr) => k.diagnose(thread.gid, text, addr),
      stepper: () => k.stepper,
      ...(k.config.traceFunctions ? { functions: k.config.traceFunctions } : {}),
    },
    ip,
    sp,
  );
};

/** Mechanism counts: what the figures are made of. */
export interface Counters {
  syscalls: number;
  ipcOps: number;
  messages: number;
  pageFaults: number;
  /** Switches that loaded another page table (CR3). */
  asSwitches: number;
  /** X.2: switches into a small space or back to the large space under it (segment reloads). */
  smallSpaceSwitches: number;
  contextSwitches: number;
  pagesMapped: number;
  bytesCopied: number;
  exRegs: number;
  taskNews: number;
  irqs: number;
  timeouts: number;
  /** Guest IA32 instructions executed. */
  guestInstructions: number;
  /** Traps of native-kernel tasks into their kernel (system calls, faults). */
  traps: number;
  /** fpage_unmap system calls. */
  unmaps: number;
  /** Wakeups of a thread on another CPU (each an inter-processor interrupt). */
  crossCpuWakeups: number;
}

export interface StopReason {
  outcome: OutcomeName;
  detail: string;
}

export class Kernel implements ModelServices {
  readonly flavour: Flavour;
  readonly costs: CostProfile;
  readonly choices: Choices;
  readonly recorder: TraceRecorder;
  readonly mem: PhysicalMemory;
  /** The kernel's own memory: TCBs, page directories and tables, mapping nodes (kmem.ts). */
  readonly kmem: KernelMemory;
  readonly cpus: Cpu[] = [];
  /** The scheduling policy (wakeups, dispatch, timeslices, yield, donation) over `cpus`. */
  readonly sched = new Scheduler(this);
  readonly tasks: (Task | undefined)[] = new Array(MAX_TASKS).fill(undefined);
  /** Live threads by gid (dead ones are removed, so stale ids do not resolve). */
  readonly threads = new Map<number, Thread>();
  readonly irqs = new Map<number, IrqLine>();
  readonly programs = new Map<number, ModelProgram>();
  readonly providers: EngineProvider[] = [ia32Provider];
  readonly images = new Map<string, GuestImage>();
  /** Where guest console output goes (the `run` command prints it). */
  consoleSink: (fd: number, data: Uint8Array) => void = () => {};
  readonly counters: Counters = {
    syscalls: 0,
    ipcOps: 0,
    messages: 0,
    pageFaults: 0,
    asSwitches: 0,
    smallSpaceSwitches: 0,
    contextSwitches: 0,
    pagesMapped: 0,
    bytesCopied: 0,
    exRegs: 0,
    taskNews: 0,
    irqs: 0,
    timeouts: 0,
    guestInstructions: 0,
    traps: 0,
    unmaps: 0,
    crossCpuWakeups: 0,
  };
  readonly metrics: { name: string; value: number; unit: string }[] = [];
  readonly params = new Map<string, unknown>();
  /** Task numbers chief-owned by each task (task_new permission). */
  readonly owner: Int32Array = new Int32Array(MAX_TASKS).fill(ROOT_TASK);
  /** The CPU whose code is executing now; `now` is its time. */
  exec!: Cpu;
  stopping: StopReason | null = null;
  /**
   * What a person should know about why a guest failed (an instruction the CPU lacks, with its address,
   * bytes and function): printed by run/record, also a MARKER in the thread's trace. At most 16.
   */
  readonly diagnostics: string[] = [];
  readonly roundCycles: number;
  readonly timerJitter: number;
  readonly chaos: number;
  private essentialLeft = 0;
  private sawEssential = false;
  private readonly threadKindOf = new WeakMap<Engine, number>();

  constructor(readonly config: KernelConfig) {
    this.flavour = config.flavour;
    this.costs = config.costs;
    this.choices = config.choices;
    this.recorder = config.recorder;
    this.mem = new PhysicalMemory(config.physFrames ?? 8192);
    this.kmem = new KernelMemory(KMEM_PROFILES[config.flavour.name], config.kmem ?? Infinity);
    this.roundCycles = config.roundCycles ?? (config.cpus > 1 ? 2000 : 1 << 20);
    this.timerJitter = config.timerJitter ?? 0;
    this.chaos = config.chaos ?? 0;
    this.params.set('physFrames', this.mem.frames);
    const kernelTask = this.newTask(KERNEL_TASK, KERNEL_TASK, 'kernel', 0, false);
    for (let c = 0; c < config.cpus; c++) {
      const idleGid = gid(KERNEL_TASK, c, kernelTask.version);
      const trace = this.recorder.addThread({
        l4Id: idleGid,
        name: `idle/cpu${c}`,
        task: KERNEL_TASK,
        lthread: c,
        version: kernelTask.version,
        kind: ThreadKind.IDLE,
        cpu: c,
        priority: 0,
        taskName: 'kernel',
      });
      const idle = new Thread(idleGid, kernelTask, c, c, 0, 0, 0, NIL, idleEngine, trace, `idle/cpu${c}`);
      this.cpus.push(new Cpu(c, idle));
    }
    this.exec = this.cpus[0]!;
  }

  get now(): number {
    return this.exec.time;
  }

  /** Advance the executing CPU's clock by a kernel operation's cost. */
  charge(cycles: number): void {
    this.exec.time += cycles;
  }

  cyclesOf(t: Timeout): number {
    return t.kind === 'us' ? t.us * this.costs.cyclesPerUs : 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Tracing

  /** Write an event for thread `t` at the current time (never earlier than its previous event). */
  ev(t: Thread, kind: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0): number {
    const time = this.now > t.lastTime ? this.now : t.lastTime;
    t.lastTime = time;
    return t.trace.emit(kind, time, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
  }

  // -------------------------------------------------------------------------------------------------
  // Boot

  /** Register model code at a (virtual) instruction address; threads started there run it. */
  registerProgram(ip: number, program: ModelProgram): void {
    this.programs.set(ip, program);
  }

  /**
   * Create sigma0 and the root task running `root` (at boot, as the kernel's loader would). The root
   * task is essential: the run is complete when it and every other essential thread have finished.
   */
  boot(rootIp: number, rootName = 'roottask'): void {
    if (!this.programs.has(rootIp)) throw new Error(`boot: no program registered at 0x${rootIp.toString(16)}`);
    const SIGMA0_IP = 0xc0000000;
    this.registerProgram(SIGMA0_IP, sigma0Program);
    const s0 = this.newTask(SIGMA0_TASK, KERNEL_TASK, 'sigma0', 0, true);
    this.createThread(s0, 0, SIGMA0_IP, 0, PRIO_SIGMA0, 255, NIL, { name: 'sigma0' }, NIL);
    const root = this.newTask(ROOT_TASK, KERNEL_TASK, rootName, 0, false);
    this.createThread(root, 0, rootIp, 0, PRIO_ROOT, 255, s0.gid(0), { name: rootName, essential: true }, NIL);
  }

  newTask(no: number, chief: number, name: string, linuxPid: number, identity: boolean): Task {
    const old = this.tasks[no];
    const version = old ? (old.version % 0x3fff) + 1 : 1;
    // Every task but the kernel's and sigma0 has its page directory (and more) from kernel memory.
    const pool = identity || no === KERNEL_TASK ? null : this.kmem;
    if (pool) pool.take(pool.sizes.pageDirectory);
    const task = new Task(no, version, chief, new AddressSpace(no, this.mem, identity, pool), name, linuxPid);
    this.tasks[no] = task;
    return task;
  }

  /** The engine for code at `ip`: a model program registered there, else an engine provider's. */
  engineFor(task: Task, lthread: number, threadGid: number, ip: number, sp: number, traceLazy: () => EventBuffer): Engine | undefined {
    const program = this.programs.get(ip);
    if (program) return this.modelEngine(task, lthread, threadGid, program, ip, sp, traceLazy);
    for (const p of this.providers) {
      const e = p(this, task, { gid: threadGid, lthread }, ip, sp, traceLazy);
      if (e) {
        this.threadKindOf.set(e, ThreadKind.IA32);
        return e;
      }
    }
    return undefined;
  }

  /** An engine running model code as a thread of `task`. */
  modelEngine(task: Task, lthread: number, threadGid: number, program: ModelProgram, ip: number, sp: number, traceLazy: () => EventBuffer): ModelEngine {
    let engine: ModelEngine | null = null;
    const ctx: ModelCtx = {
      gid: threadGid,
      task: task.no,
      lthread,
      ip,
      sp,
      get trace() {
        return traceLazy();
      },
      now: () => this.now,
      intern: (s) => this.recorder.intern(s),
      readMem: (vaddr, len) => this.readUser(task, vaddr, len),
      writeMem: (vaddr, data) => this.writeUser(task, vaddr, data),
      machine: this,
      takeRedirect: () => engine!.takeRedirect(),
    };
    engine = new ModelEngine(program, ctx, ip, sp);
    this.threadKindOf.set(engine, ThreadKind.MODEL);
    return engine;
  }

  /** Create and start a thread (task_new's thread 0, or lthread_ex_regs on a missing lthread). */
  createThread(task: Task, lthread: number, ip: number, sp: number, prio: number, mcp: number, pager: number, note: Annotation, creator: number): Thread | undefined {
    const threadGid = task.gid(lthread);
    if (note.image) task.image = this.image(note.image);
    let thread: Thread | undefined;
    const engine = this.engineFor(task, lthread, threadGid, ip, sp, () => thread!.trace);
    if (!engine) return undefined;
    const cpu = note.cpu !== undefined && note.cpu < this.cpus.length ? note.cpu : this.exec.id;
    const name = note.name ?? this.programs.get(ip)?.name ?? task.image?.elf.functions.get(ip) ?? `${task.name}.${lthread}`;
    if (note.taskName) task.name = note.taskName;
    // A Linux thread beside the task's first one (a thread of a process) names its own pid (the tid).
    const linuxPid = note.linuxPid ?? task.linuxPid;
    const linuxTgid = note.linuxTgid && note.linuxTgid !== linuxPid ? note.linuxTgid : 0;
    if (note.linuxPid && lthread === 0) task.linuxPid = note.linuxPid;
    if (note.smallSpace && this.costs.smallSpaceSwitch > 0) task.smallSpace = true;
    if (note.native) task.native = true;
    if (note.directSyscalls) task.directSyscalls = true;
    const trace = this.recorder.addThread({
      l4Id: threadGid,
      name,
      task: task.no,
      lthread,
      version: task.version,
      // Thread 0 of a task with a guest image runs guest code (after the emulation library's startup).
      kind: (note.guest ?? (note.image !== undefined && lthread === 0)) ? ThreadKind.IA32 : (this.threadKindOf.get(engine) ?? ThreadKind.MODEL),
      cpu,
      priority: prio,
      linuxPid,
      ...(linuxTgid ? { linuxTgid } : {}),
      taskName: task.name,
    });
    if (task.space.kmem) this.kmem.take(this.kmem.sizes.tcb);
    const quantum = this.costs.timesliceUs * this.costs.cyclesPerUs;
    thread = new Thread(threadGid, task, lthread, cpu, prio, mcp, quantum, pager, engine, trace, name);
    thread.linuxPid = linuxPid;
    thread.linuxTgid = linuxTgid;
    if (engine instanceof Ia32Engine) adoptThreadState(engine, thread);
    if (note.essential) {
      thread.essential = true;
      this.essentialLeft++;
      this.sawEssential = true;
    }
    task.threads[lthread] = thread;
    this.threads.set(threadGid, thread);
    this.ev(thread, Kind.THREAD_START, ip, sp, prio, creator);
    this.sched.wake(thread);
    return thread;
  }

  // -------------------------------------------------------------------------------------------------
  // Thread and task lifecycle

  /** A thread ends: it leaves every queue, senders waiting on it fail, its slot is freed. */
  killThread(t: Thread, reason: number, code: number): void {
    if (t.state === 'dead') return;
    cancelIpc(this, t, false);
    dropSenders(this, t);
    if (t.waitingLock) {
      const wi = t.waitingLock.waiters.indexOf(t);
      if (wi >= 0) t.waitingLock.waiters.splice(wi, 1);
      t.waitingLock = null;
    }
    const cpu = this.cpus[t.cpu]!;
    cpu.ready.remove(t);
    const di = cpu.direct.indexOf(t);
    if (di >= 0) cpu.direct.splice(di, 1);
    t.state = 'dead';
    t.deliver = null;
    t.pendingOp = null;
    t.exitCode = code;
    this.ev(t, Kind.THREAD_EXIT, reason, code);
    this.threads.delete(t.gid);
    if (t.task.space.kmem) this.kmem.free(this.kmem.sizes.tcb);
    if (t.task.threads[t.lthread] === t) t.task.threads[t.lthread] = undefined;
    if (cpu.current === t) cpu.needResched = true;
    if (t.essential) {
      this.essentialLeft--;
      if (this.essentialLeft === 0 && !this.stopping) this.stopping = { outcome: 'ok', detail: 'every essential thread finished' };
    }
  }

  /**
   * Delete a task: all its threads die and its address space is torn down. Returns pages removed. A
   * native kernel's own bookkeeping (`charge` false) costs what that kernel's exit path says instead.
   */
  deleteTask(task: Task, charge = true): number {
    for (const t of task.threads) if (t) this.killThread(t, 3, 0);
    task.alive = false;
    let pages = flushSpace(task.space);
    releaseSpace(task.space);
    if (charge) this.charge(pages * this.costs.taskDeletePerPage);
    // The clan goes with its chief (V2: a deleted task's subtasks are deleted too), and the task numbers
    // it owned go back to its own chief, who may create them again.
    for (let no = 0; no < MAX_TASKS; no++) {
      const sub = this.tasks[no];
      if (sub && sub.alive && sub !== task && sub.chief === task.no) pages += this.deleteTask(sub, charge);
      if (this.owner[no] === task.no && no !== task.no) this.owner[no] = task.chief;
    }
    return pages;
  }

  threadByGid(g: number): Thread | undefined {
    return this.threads.get(g);
  }

  // -------------------------------------------------------------------------------------------------
  // Timed events

  /** Schedule `fire` on `cpu` at `time` (the deadline of a timeout, a device interrupt ...). */
  at(cpuId: number, time: number, fire: () => void) {
    return this.cpus[cpuId]!.queue.schedule(time, cpuId, fire);
  }

  /** The instant a timeout of `cycles` armed now fires: rounded up to the timer tick, plus jitter. */
  timeoutDeadline(cycles: number): number {
    const tick = this.costs.timerGranularityUs * this.costs.cyclesPerUs;
    const due = this.now + cycles;
    const rounded = tick > 0 ? Math.ceil(due / tick) * tick : due;
    const jitter = this.timerJitter > 0 ? this.choices.choose(ChoiceSite.TIMER_JITTER, this.timerJitter + 1) : 0;
    return rounded + jitter;
  }

  /** A device raises interrupt line `irq` at `time`. */
  scheduleIrq(irq: number, time: number, then?: () => void): void {
    this.at(0, time, () => {
      raiseIrq(this, irq);
      then?.();
    });
  }

  irqLine(n: number): IrqLine {
    let line = this.irqs.get(n);
    if (!line) {
      line = new IrqLine(this, n);
      this.irqs.set(n, line);
    }
    return line;
  }

  // -------------------------------------------------------------------------------------------------
  // Running

  /**
   * Run until the scenario's goal is met, nothing can happen any more, the deadline for the goal passes
   * (hang) or the cycle limit is reached.
   *
   * One CPU at a time takes a step: always the one whose next action is earliest (by time, then CPU
   * number), so kernel operations happen in the global (time, cpu) order whatever the number of CPUs.
   * A step either fires a due event, reschedules, or runs the current thread until it reaches a kernel
   * operation, its CPU's next event, or `roundCycles` of computation. A thread that reaches an operation
   * while another CPU is still behind it in time parks the operation (`pendingOp`) until every CPU has
   * caught up, so an IPC on one CPU never sees the state of a later instant of another. Only pure
   * computation runs ahead, by at most one round: a wakeup or preemption sent to a CPU that is ahead
   * takes effect at its current instant, like an inter-processor interrupt arriving.
   */
  run(limit: number, deadline = Infinity, onRound?: () => void): StopReason {
    for (;;) {
      const stop = this.runFor(limit, deadline, Infinity, onRound);
      if (stop) return stop;
    }
  }

  /**
   * `run`, for at most `rounds` more rounds: returns null when they are used up before the machine
   * stopped, and a later call goes on exactly where this one paused (the pause is invisible to the
   * machine). Lets a caller hand control back to its event loop now and then (signals, progress).
   */
  runFor(limit: number, deadline: number, rounds: number, onRound?: () => void): StopReason | null {
    let left = rounds;
    while (!this.stopping) {
      const cpu = this.earliestCpu();
      const at = this.nextActionTime(cpu);
      if (at === Infinity) {
        this.stopping = this.quiescentOutcome();
        break;
      }
      if (at >= deadline) {
        this.advanceIdleClocks(deadline);
        this.stopping = { outcome: 'hang', detail: `goal not reached by cycle ${deadline}: ${this.blockedSummary()}` };
        break;
      }
      if (at >= limit) {
        this.advanceIdleClocks(limit);
        this.stopping = { outcome: 'limit', detail: `cycle limit ${limit} reached` };
        break;
      }
      if (cpu.time < at) cpu.time = at; // an idle CPU jumps to its next event
      this.exec = cpu;
      this.step(cpu, Math.min(cpu.time + this.roundCycles, limit, deadline));
      if (at >= this.nextRound && !this.stopping) {
        this.nextRound = at + this.roundCycles;
        onRound?.();
        if (--left <= 0) return null;
      }
    }
    return this.stopping!;
  }

  /** When the run loop next reports a round (onRound). */
  private nextRound = 0;

  /** Whether `cpu` has something to do at its own clock (a thread, a ready queue, a pending decision). */
  private busy(cpu: Cpu): boolean {
    return cpu.current !== null || cpu.ready.size > 0 || cpu.direct.length > 0 || cpu.needResched;
  }

  /** When `cpu` next acts: now (its clock) if busy, else at its next queued event. */
  private nextActionTime(cpu: Cpu): number {
    if (this.busy(cpu)) return cpu.time;
    const e = cpu.queue.peek();
    return e ? Math.max(e.time, cpu.time) : Infinity;
  }

  private earliestCpu(): Cpu {
    let best = this.cpus[0]!;
    let bestAt = this.nextActionTime(best);
    for (let i = 1; i < this.cpus.length; i++) {
      const at = this.nextActionTime(this.cpus[i]!);
      if (at < bestAt) {
        best = this.cpus[i]!;
        bestAt = at;
      }
    }
    return best;
  }

  /** Whether no other CPU acts before `cpu`'s clock (ties go to the lower CPU number). */
  private isEarliest(cpu: Cpu): boolean {
    for (const o of this.cpus) {
      if (o === cpu) continue;
      const at = this.nextActionTime(o);
      if (at < cpu.time || (at === cpu.time && o.id < cpu.id)) return false;
    }
    return true;
  }

  /** At a limit or deadline, idle CPUs' clocks catch up with it (the run's end time is the limit). */
  private advanceIdleClocks(to: number): void {
    for (const c of this.cpus) if (!this.busy(c) && c.time < to) c.time = to;
  }

  private quiescentOutcome(): StopReason {
    if (!this.sawEssential) return { outcome: 'ok', detail: 'nothing left to run' };
    if (this.essentialLeft === 0) return { outcome: 'ok', detail: 'every essential thread finished' };
    return { outcome: 'deadlock', detail: `no thread can run and no event is pending: ${this.blockedSummary()}` };
  }

  /** Who waits for whom, for outcome details. */
  blockedSummary(): string {
    const parts: string[] = [];
    for (const t of this.threads.values()) {
      if (t.state === 'dead' || t.task.no === SIGMA0_TASK) continue;
      const c = t.active;
      if (t.state === 'ready') parts.push(`${t.name} ready`);
      else if (t.state === 'sending') parts.push(`${t.name} sending to ${c?.partner?.name ?? '?'}`);
      else if (t.state === 'receiving') parts.push(`${t.name} receiving from ${c?.recv && c.recv.from >= 0 ? (this.threads.get(c.recv.from)?.name ?? this.flavour.showId(c.recv.from)) : 'any'}`);
      else parts.push(`${t.name} ${t.state}`);
    }
    return parts.join('; ');
  }

  /**
   * One step of `cpu` at its clock: fire a due event, or reschedule and deliver, or apply the current
   * thread's parked operation, or run the thread until `until`, its CPU's next event or an operation.
   */
  private step(cpu: Cpu, until: number): void {
    if (this.stopAfterSeq >= 0 && this.recorder.nextSeq > this.stopAfterSeq) {
      this.halt(`stopped after event #${this.stopAfterSeq}`);
      return;
    }
    const ev = cpu.queue.peek();
    if (ev && ev.time <= cpu.time) {
      cpu.queue.pop();
      ev.fire();
      return;
    }
    if (cpu.needResched) this.sched.reschedule(cpu);
    const t = cpu.current;
    if (!t) return;
    if (t.deliver) {
      const d = t.deliver;
      t.deliver = null;
      d();
      return;
    }
    if (t.pendingOp) {
      const op = t.pendingOp;
      t.pendingOp = null;
      this.handleOp(cpu, t, op);
      return;
    }
    const budget = Math.min(until, ev ? ev.time : Infinity) - cpu.time;
    if (budget <= 0) return;
    const r = t.engine.run(budget);
    cpu.time += r.cycles;
    if (!r.op) return;
    // Another CPU still has to catch up with this instant: the operation waits for it.
    if (this.cpus.length > 1 && !this.isEarliest(cpu)) t.pendingOp = r.op;
    else this.handleOp(cpu, t, r.op);
  }

  private handleOp(cpu: Cpu, t: Thread, op: KernelOp | FaultOp): void {
    const c = this.costs;
    switch (op.op) {
      case 'work':
        return;
      case 'ipc':
        this.counters.syscalls++;
        this.charge(c.syscallEntryExit + this.chaosDelay());
        startUserIpc(this, t, op);
        break;
      case 'exRegs':
        this.syscall(c.exRegs, () => doExRegs(this, t, op));
        break;
      case 'taskNew':
        this.syscall(0, () => doTaskNew(this, t, op)); // charges task creation itself
        break;
      case 'threadSwitch':
        this.syscall(c.threadSwitch, () => doThreadSwitch(this, cpu, t, op.dest));
        break;
      case 'threadSchedule':
        this.syscall(c.threadSchedule, () => doThreadSchedule(this, t, op));
        break;
      case 'unmap':
        this.counters.unmaps++;
        this.syscall(0, () => doUnmap(this, t, op));
        break;
      case 'unmaskIrq':
        this.syscall(0, () => {
          unmaskIrq(this, op.irq, t);
          t.engine.resume(undefined);
        });
        break;
      case 'touch':
        touch(this, t, op.addr, op.write);
        break;
      case 'descSet':
        this.syscall(0, () => {
          this.setDescriptors(op);
          t.engine.resume(undefined);
        });
        break;
      case 'fault':
        this.fault(t, op);
        break;
      case 'lock':
        this.acquire(t, op.lock);
        break;
      case 'unlock':
        this.release(t, op.lock);
        t.engine.resume(undefined);
        break;
      case 'enterGuest':
        this.enterGuest(t, op.regs, op.signalEntry ?? false);
        break;
      case 'trap':
        this.enterKernelMode(t, op);
        break;
      case 'returnToUser':
        this.leaveKernelMode(t, op.regs);
        break;
      case 'sleep':
        t.state = 'sleeping';
        break;

      case 'exit':
        this.killThread(t, 1, op.code ?? 0);
        break;
    }
    cpu.needResched = true;
  }

  private syscall(cost: number, body: () => void): void {
    this.counters.syscalls++;
    this.charge(this.costs.syscallEntryExit + cost);
    body();
  }

  /** A fault raised by guest code. Page faults go to the pager; other exceptions end the thread for now. */
  fault(t: Thread, f: FaultOp): void {
    if (t.task.native) {
      this.enterKernelMode(t, { op: 'trap', regs: null, pf: { addr: f.addr, write: f.write, ip: f.ip } });
      return;
    }
    if (f.fault === 'pf') {
      pageFault(this, t, f.addr, f.write, f.ip);
      return;
    }
    const handler = this.exceptionHandler;
    if (handler && handler(this, t, f)) return;
    // Decided before the thread dies: the last essential thread dying would otherwise read as 'ok'.
    if (!this.stopping && t.essential) this.stopping = { outcome: 'fault', detail: `${t.name}: ${f.detail ?? f.fault} at 0x${f.ip.toString(16)}` };
    this.killThread(t, 4, f.fault === 'ud' ? 4 : f.fault === 'de' ? 8 : f.fault === 'np' || f.fault === 'ss' ? 7 : 11);
  }

  // -------------------------------------------------------------------------------------------------
  // Locks and user-level code switching into the guest

  private acquire(t: Thread, l: KernelLock): void {
    if (l.holder === null || l.holder === t || l.holder.state === 'dead') {
      l.holder = t;
      t.waitingLock = null;
      t.engine.resume(undefined);
      return;
    }
    if (t.waitingLock !== l) l.contended++;
    t.waitingLock = l;
    if (l.spin) {
      // Busy-wait: burn cycles on this CPU and try again, unless no spinner can ever get the lock.
      const spin = this.spinDeadlock();
      if (spin && !this.stopping) {
        this.stopping = { outcome: 'deadlock', detail: `priority inversion: ${spin}` };
        return;
      }
      this.charge(this.costs.spinIteration);
      t.engine.retry();
      return;
    }
    t.state = 'locked';
    l.waiters.push(t);
  }

  private release(t: Thread, l: KernelLock): void {
    if (l.holder !== t) return;
    l.holder = null;
    const next = l.waiters.shift();
    if (next) {
      l.holder = next;
      next.waitingLock = null;
      next.deliver = () => next.engine.resume(undefined);
      this.sched.wake(next);
    }
  }

  /** The emulation library jumps into guest code: the thread's engine becomes the IA32 interpreter. */
  private enterGuest(t: Thread, regs: number[], signalEntry: boolean): void {
    const engine = this.engineFor(t.task, t.lthread, t.gid, regs[2]! >>> 0, regs[7]! >>> 0, () => t.trace);
    if (!(engine instanceof Ia32Engine)) {
      this.killThread(t, 4, 11);
      return;
    }
    engine.loadRegisters(regs);
    adoptThreadState(engine, t);
    if (signalEntry) engine.redirect(EMULIB_SIGNAL_ENTRY, KEEP);
    t.engine = engine;
  }

  // -------------------------------------------------------------------------------------------------
  // Native kernels: kernel-mode code on the trapping thread

  /** Builds the kernel-mode code for a trap of a native task (installed by a native personality). */
  trapHandler: ((t: Thread, trap: Extract<KernelOp, { op: 'trap' }>) => ModelProgram | null) | null = null;
  /** Threads in kernel mode run at least at this priority (a kernel that user code cannot preempt). */
  kernelModePrio = 0;

  private enterKernelMode(t: Thread, trap: Extract<KernelOp, { op: 'trap' }>): void {
    const program = this.trapHandler?.(t, trap);
    if (!program || t.userEngine) {
      this.killThread(t, 4, 11);
      return;
    }
    this.counters.traps++;
    this.charge(this.costs.syscallEntryExit);
    t.userEngine = t.engine;
    t.engine = this.modelEngine(t.task, t.lthread, t.gid, program, 0, 0, () => t.trace);
    t.userPrio = t.prio;
    if (this.kernelModePrio > t.prio) t.prio = this.kernelModePrio;
  }

  private leaveKernelMode(t: Thread, regs: number[] | null): void {
    const user = t.userEngine;
    if (!user) return;
    t.engine = user;
    t.userEngine = null;
    t.prio = t.userPrio;
    if (regs && user instanceof Ia32Engine) user.loadRegisters(regs);
  }

  /** fiasco_gdt_set / fiasco_ldt_set for a thread (a missing thread: nothing happens, as an invalid id). */
  private setDescriptors(op: Extract<KernelOp, { op: 'descSet' }>): void {
    const segs = this.threads.get(op.dest)?.segs;
    if (!segs) return;
    if (op.table === 'ldt') segs.ldt.d = Uint32Array.from(op.words);
    else for (let i = 0; i < op.words.length; i++) segs.tls[(op.first - TLS_FIRST) * 2 + i] = op.words[i]!;
    segs.refresh();
  }

  /** The segment state of thread `g` (the exception protocol carries the selectors beside its words). */
  segments(g: number): Segments | null {
    return this.threads.get(g)?.segs ?? null;
  }

  /** Kernel-mode code asleep (op 'sleep') continues. */
  unblock(t: Thread): void {
    if (t.state !== 'sleeping') return;
    t.engine.resume(undefined);
    this.sched.wake(t);
  }

  /**
   * A native kernel's execve: the thread's task gets a new program and an empty address space; the
   * thread continues there with `regs` when it returns to user mode.
   */
  execGuest(t: Thread, image: GuestImage, regs: number[]): boolean {
    t.task.image = image;
    flushSpace(t.task.space);
    const engine = this.engineFor(t.task, t.lthread, t.gid, regs[2]! >>> 0, regs[7]! >>> 0, () => t.trace);
    if (!(engine instanceof Ia32Engine)) return false;
    engine.loadRegisters(regs);
    adoptThreadState(engine, t);
    t.fpu.init(); // exec: the new program starts with a fresh FPU
    if (t.userEngine) t.userEngine = engine;
    else t.engine = engine;
    return true;
  }

  /**
   * A spin deadlock: every running thread spins on a lock whose holder is ready but can never run,
   * because a spinner of higher priority occupies the holder's CPU (priority inversion between spinlock
   * waiters and the holder).
   */
  spinDeadlock(): string | null {
    const spinners = this.cpus.map((c) => c.current).filter((t): t is Thread => t !== null && t.waitingLock !== null && t.waitingLock.spin);
    if (spinners.length === 0) return null;
    for (const c of this.cpus) if (c.current && !spinners.includes(c.current)) return null;
    for (const s of spinners) {
      const h = s.waitingLock!.holder;
      if (!h || h.state !== 'ready') return null;
      const occupant = this.cpus[h.cpu]!.current;
      if (!occupant || !spinners.includes(occupant) || occupant.prio <= h.prio) return null;
    }
    return spinners
      .map((s) => {
        const h = s.waitingLock!.holder!;
        const occupant = this.cpus[h.cpu]!.current!;
        const where = occupant === s ? 'on the same CPU' : `on CPU ${h.cpu}, where ${occupant.name} (prio ${occupant.prio}) spins`;
        return `${s.name} (prio ${s.prio}, CPU ${s.cpu}) spins on ${s.waitingLock!.name} held by ${h.name} (prio ${h.prio}) ${where}`;
      })
      .join('; ');
  }

  /** Hook for a personality that reflects exceptions into user-level handlers (L4Linux). */
  exceptionHandler: ((k: Kernel, t: Thread, f: FaultOp) => boolean) | null = null;

  // -------------------------------------------------------------------------------------------------
  // ModelServices

  fpu(gid: number): Fpu | null {
    return this.threadByGid(gid)?.fpu ?? null;
  }

  /** Note a diagnostic of thread `gid` (see `diagnostics`) and mark it in the thread's trace. */
  diagnose(gid: number, text: string, value: number): void {
    const t = this.threadByGid(gid);
    const line = t ? `${t.name}: ${text}` : text;
    if (this.diagnostics.length < 16) this.diagnostics.push(line);
    if (t) this.ev(t, Kind.MARKER, this.recorder.intern(text), value >>> 0);
  }

  requestStop(outcome: 'ok' | 'hang' | 'fault' | 'fail', detail: string): void {
    if (!this.stopping) this.stopping = { outcome, detail };
  }

  /**
   * A chaos point (an IPC system call, a fork, an exec, a signal): with chaos on, one point in `chaos`
   * (a CHAOS choice) is delayed by 1..16 x CHAOS_DELAY cycles (another CHAOS choice), which moves it
   * against timer ticks, timeslice ends and interrupts. Returns the delay (0 = none).
   */
  chaosDelay(): number {
    if (this.chaos <= 0 || this.choices.choose(ChoiceSite.CHAOS, this.chaos) !== 0) return 0;
    return (this.choices.choose(ChoiceSite.CHAOS, 16) + 1) * CHAOS_DELAY;
  }

  /** Stop the run from outside the machine (replay found a difference, inspect reached its point). */
  halt(detail: string): void {
    if (!this.stopping) this.stopping = { outcome: 'limit', detail };
  }

  /** Stop once the event with this sequence number has been recorded (replay --until); -1 = never. */
  stopAfterSeq = -1;

  /** A replay debugger's hook, called before every guest instruction while set (replay/debug). */
  stepper: StepHook | null = null;

  /** Describers of state outside the kernel (a Linux personality's processes), for inspection. */
  readonly inspectors: (() => Record<string, unknown>)[] = [];

  metric(name: string, value: number, unit: string): void {
    const i = this.metrics.findIndex((m) => m.name === name);
    if (i >= 0) this.metrics.splice(i, 1);
    this.metrics.push({ name, value, unit });
  }

  param<T = unknown>(name: string): T {
    if (!this.params.has(name)) throw new Error(`model code asked for unknown parameter ${name}`);
    return this.params.get(name) as T;
  }

  threadId(task: number, lthread: number): number {
    const t = this.tasks[task];
    return t ? t.gid(lthread) : NIL;
  }

  image(name: string): GuestImage {
    const img = this.images.get(name);
    if (!img) throw new Error(`no guest image named ${name}`);
    return img;
  }

  console(fd: number, data: Uint8Array): void {
    this.consoleSink(fd, data);
  }

  /** Model code reading its own address space (pages must be mapped readable). */
  readUser(task: Task, vaddr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const p = physAddr(task.space, vaddr + i, R);
      if (p < 0) throw new Error(`model code in task ${task.no} read unmapped 0x${(vaddr + i).toString(16)}`);
      const n = Math.min(len - i, 4096 - ((vaddr + i) & 4095));
      out.set(this.mem.bytes.subarray(p, p + n), i);
      i += n;
    }
    return out;
  }

  /** Model code writing its own address space (pages must be mapped writable). */
  writeUser(task: Task, vaddr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; ) {
      const p = physAddr(task.space, vaddr + i, W);
      if (p < 0) throw new Error(`model code in task ${task.no} wrote unmapped 0x${(vaddr + i).toString(16)}`);
      const n = Math.min(data.length - i, 4096 - ((vaddr + i) & 4095));
      this.mem.write(p, data.subarray(i, i + n));
      i += n;
    }
  }
}

/** Unit of a chaos delay: 10 us at 200 MHz. */
export const CHAOS_DELAY = 2000;

/** The idle threads never run code. */
const idleEngine: Engine = {
  kind: 'model',
  run: () => ({ cycles: 0 }),
  resume: () => {},
  retry: () => {},
  regs: () => ({ ip: 0, sp: 0, flags: 0 }),
  redirect: () => false,
  stateDigest: () => 'idle',
  describe: () => ({ engine: 'idle' }),
};
