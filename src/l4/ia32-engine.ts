/**
 * The IA32 thread engine: runs guest code in the interpreter until a trap, a fault or the end of the
 * budget, and turns what stopped it into a kernel operation (docs/ia32-abi.md):
 *
 * - `int $0x30`..`$0x36`: L4 V2 system calls, decoded from registers.
 * - `int $0x80`, other software interrupts, and #UD / #DE / #GP: the exception is reflected into the task,
 *   where the emulation library (L4Linux 2.4's trampoline) calls the task's pager, which is the Linux server,
 *   with the registers: words [trapno, error, eip, eflags, edi, esi, ebp, esp, ebx, edx, ecx, eax]. The
 *   server answers with the same layout and the thread continues with those registers.
 * - page faults: a page-fault IPC to the pager (by the kernel), then the instruction is retried.
 */
import { Kind } from '../../tracer/catalogue.js';
import type { EventBuffer, TraceRecorder } from '../../tracer/recorder.js';
import { Cpu, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, type FaultKind } from '../ia32/cpu.js';
import { UNIMPLEMENTED } from '../ia32/decoder.js';
import { Interpreter, type StepHook } from '../ia32/interpreter.js';
import { PAGE_SIZE, R, type PhysicalMemory } from '../ia32/memory.js';
import { MAX_SHADOW_DEPTH, ShadowStack, type FunctionTracing, type ShadowFrames } from '../ia32/shadow-stack.js';
import type { CostProfile } from './costs.js';
import type { Engine, FaultOp, Registers, RunResult } from './engine.js';
import { KEEP } from './engine.js';
import type { GuestImage } from './guest-image.js';
import { fromV2, gidTask, INVALID, NIL, toV2 } from './ids.js';
import type { AddressSpace } from './mapdb.js';
import { OPEN, type KernelOp, type MsgOut, type OpResult, type RecvSpec, type SendFpage } from './ops.js';
import { decodeV2 } from './timeouts.js';

/** Exception words exchanged with the Linux server (emulation library protocol). */
export const EXC_WORDS = 12;
export const EXC = { TRAPNO: 0, ERR: 1, EIP: 2, EFLAGS: 3, EDI: 4, ESI: 5, EBP: 6, ESP: 7, EBX: 8, EDX: 9, ECX: 10, EAX: 11 } as const;

/** Trap numbers. */
export const TRAP_DE = 0;
export const TRAP_BR = 5;
export const TRAP_UD = 6;
/** Segment not present (a segment register load), stack segment fault. */
export const TRAP_NP = 11;
export const TRAP_SS = 12;
export const TRAP_GP = 13;
export const TRAP_MF = 16;

/** The vector of each CPU exception the interpreter raises (page faults take the pager path). */
const TRAP_OF_FAULT: Record<Exclude<FaultKind, 'pf'>, number> = { de: TRAP_DE, br: TRAP_BR, ud: TRAP_UD, np: TRAP_NP, ss: TRAP_SS, gp: TRAP_GP, mf: TRAP_MF };
/** Not a CPU vector: the emulation library's signal entry (the thread was forced in by its signal thread). */
export const TRAP_SIGNAL = 0x1000;

/**
 * The emulation library's signal entry. lthread_ex_regs to this address (by the task's signal thread)
 * makes the user thread enter the Linux server with its interrupted state, as L4Linux 2.4 does.
 */
export const EMULIB_SIGNAL_ENTRY = 0xc0000ff0;

/**
 * After the exception words of a reply: [EMULIB_NEW_THREAD, lthread, ip, pager, linux pid, tgid] asks the
 * emulation library to create a thread of its task (lthread_ex_regs; in V2 only a task's own threads
 * can) before it continues the program: L4Linux's threads sharing one task.
 */
export const EMULIB_NEW_THREAD = 0x4c58000c;
const SPAWN_WORDS = 6;

type Pending = 'none' | 'ipc' | 'exception' | 'exRegs' | 'taskNew' | 'schedule' | 'spawn' | 'other';

interface IpcBuffers {
  /** Address of the long receive buffer (0 = short receive). */
  rcvMsg: number;
}

export interface Ia32EngineDeps {
  phys: PhysicalMemory;
  space: AddressSpace;
  image: GuestImage;
  costs: CostProfile;
  recorder: TraceRecorder;
  /** The thread's own gid (for id_nearest(nil)). */
  self: number;
  /** The exception handler to call (the pager, i.e. the Linux server). */
  handler: () => number;
  /** Current cycle time of the CPU the thread runs on. */
  now: () => number;
  trace: () => EventBuffer;
  /** Reports guest instructions executed (machine counters). */
  executed: (n: number) => void;
  /** The task runs under a native kernel: exceptions trap into it instead of being reflected. */
  native?: () => boolean;
  /** The C library calls the server itself (modified libc): no reflection for `int $0x80`. */
  directSyscalls?: () => boolean;
  /** Report why the guest is about to fail (an instruction the CPU lacks), for the user and the trace. */
  diagnose?: (text: string, addr: number) => void;
  /** Where function events come from (default `instrumented`: the hooks only, as before the option). */
  functions?: FunctionTracing;
  /** A replay debugger's step hook, when one is attached (replay/debug). */
  stepper?: () => StepHook | null;
}

/** The mode a program runs under: `auto` decided by its hooks; nothing to trace without a recorder. */
function effectiveTracing(mode: FunctionTracing, image: GuestImage, recorder: TraceRecorder): 'instrumented' | 'calls' | 'off' {
  if (mode === 'auto') return image.elf.hookEnter >= 0 ? 'instrumented' : recorder.enabled ? 'calls' : 'off';
  if (mode === 'calls' && !recorder.enabled) return 'off';
  return mode;
}

/** The MARKER of a thread whose calls went deeper than the shadow stack holds. */
export const SHADOW_FULL = `call tracing: the shadow stack is full (${MAX_SHADOW_DEPTH} frames); deeper calls are not traced`;

export class Ia32Engine implements Engine {
  readonly kind = 'ia32' as const;
  readonly cpu: Cpu;
  readonly interp: Interpreter;
  private pending: Pending = 'none';
  private bufs: IpcBuffers = { rcvMsg: 0 };
  /** EIP of the exception in progress, and whether it was an `int $0x80` (EIP then follows it). */
  private trapEip = 0;
  private trapWasInt80 = false;
  /** Set when redirected to the signal entry: the interrupted EIP and ESP. */
  private signalEntry: { eip: number; esp: number } | null = null;
  /** A thread the emulation library creates before continuing (EMULIB_NEW_THREAD): lthread, ip, pager, pid, tgid. */
  private spawn: number[] | null = null;
  /** Call tracing: a function start the kernel set EIP to (a signal handler), traced when the thread runs; else -1. */
  private kernelEntry = -1;
  private readonly functionStarts: ReadonlyMap<number, string>;

  constructor(
    private readonly deps: Ia32EngineDeps,
    ip: number,
    sp: number,
  ) {
    this.cpu = new Cpu(deps.phys, deps.space.pages);
    this.cpu.eip = ip >>> 0;
    this.cpu.r[ESP] = sp | 0;
    const image = deps.image;
    const recorder = deps.recorder;
    const mode = effectiveTracing(deps.functions ?? 'instrumented', image, recorder);
    this.functionStarts = image.elf.functions;
    let trace: EventBuffer | null = null;
    if (mode === 'calls') {
      // The shadow stack follows CALL / RET (src/ia32/shadow-stack.ts); the hooks, if any, stay free and silent.
      this.cpu.shadow = new ShadowStack({
        idOf: (addr) => image.callTargetId(addr, recorder),
        jumpIdOf: (addr) => image.jumpTargetId(addr, recorder),
        enter: (time, id) => void (trace ??= deps.trace()).funcEnter(time, id),
        exit: (time, id) => void (trace ??= deps.trace()).funcExit(time, id),
        onDrop: (time) => void (trace ??= deps.trace()).emit(Kind.MARKER, time, recorder.intern(SHADOW_FULL), MAX_SHADOW_DEPTH),
      });
      const functions = image.elf.functions;
      this.interp = new Interpreter(this.cpu, image.elf.hookEnter, image.elf.hookExit, { isFunctionStart: (a) => functions.has(a), key: image.key });
      return;
    }
    this.interp = new Interpreter(this.cpu, image.elf.hookEnter, image.elf.hookExit);
    if (mode === 'off') return;
    // Function addresses -> string ids, through a small direct-mapped cache (hooks are the hot path).
    const tags = new Int32Array(256).fill(-1);
    const ids = new Int32Array(256);
    this.cpu.funcHook = (enter, fn, time) => {
      trace ??= deps.trace();
      const slot = (fn ^ (fn >>> 8)) & 255;
      let id: number;
      if (tags[slot] === fn) id = ids[slot]!;
      else {
        id = image.functionId(fn, recorder);
        tags[slot] = fn;
        ids[slot] = id;
      }
      if (enter) trace.funcEnter(time, id);
      else trace.funcExit(time, id);
    };
  }

  run(budget: number): RunResult {
    if (this.spawn) return this.spawnThread();
    if (this.signalEntry) {
      const s = this.signalEntry;
      this.signalEntry = null;
      return this.exception(TRAP_SIGNAL, 0, 0, s.eip, s.esp);
    }
    if (this.kernelEntry >= 0) this.traceKernelEntry();
    if (this.deps.stepper) this.interp.setStepper(this.deps.stepper());
    const stop = this.interp.run(budget, this.deps.now());
    this.deps.executed(stop.cycles);
    const c = this.cpu;
    switch (stop.kind) {
      case 'budget':
        return { cycles: stop.cycles };
      case 'trap': {
        const vec = c.trap;
        c.trap = -1;
        if (vec >= 0x30 && vec <= 0x36) return this.l4Syscall(vec, stop.cycles);
        return this.exception(vec, 0, stop.cycles);
      }
      default: {
        const f = c.fault;
        if (f.kind === 'pf') {
          const op: FaultOp = { op: 'fault', fault: 'pf', addr: f.addr, write: f.write, ip: c.eip, detail: f.detail };
          return { cycles: stop.cycles, op };
        }
        if (f.kind === 'ud' && f.detail.startsWith(UNIMPLEMENTED)) this.deps.diagnose?.(this.describeUnimplemented(f.detail), c.eip);
        // #MF: the emulation library reads the FPU's control and status words for Linux's si_code.
        const err = f.kind === 'mf' ? ((c.fpu.cw << 16) | c.fpu.sw) >>> 0 : f.err;
        return this.exception(TRAP_OF_FAULT[f.kind], err, stop.cycles);
      }
    }
  }

  /** The emulation library creates the thread the server asked for (an lthread_ex_regs), then goes on. */
  private spawnThread(): RunResult {
    const [lthread, ip, pager, linuxPid, linuxTgid] = this.spawn!;
    this.spawn = null;
    this.pending = 'spawn';
    const name = this.deps.image.name.replace(/@.*$/, '');
    return { cycles: 0, op: { op: 'exRegs', lthread: lthread!, ip: ip!, sp: pager!, pager: pager!, annotate: { name, linuxPid: linuxPid!, linuxTgid: linuxTgid!, guest: true } } };
  }

  /** The interpreter's message for an instruction it lacks, with the function it is in (when symbols exist). */
  private describeUnimplemented(detail: string): string {
    const where = this.deps.image.functionContaining(this.cpu.eip >>> 0);
    return `SIGILL: ${detail}${where ? ` (in ${where} of ${this.deps.image.name})` : ` (in ${this.deps.image.name})`}`;
  }

  /** Reflect an exception to the emulation library, which calls the handler with the registers. */
  private exception(trapno: number, err: number, cycles: number, eip = this.cpu.eip, esp = this.cpu.r[ESP]!): RunResult {
    const c = this.cpu;
    const r = c.r;
    this.trapEip = eip >>> 0;
    this.trapWasInt80 = trapno === 0x80;
    const words = [trapno, err, eip >>> 0, c.eflags(), r[EDI]!, r[ESI]!, r[EBP]!, esp, r[EBX]!, r[EDX]!, r[ECX]!, r[EAX]!].map((v) => v >>> 0);
    if (this.deps.native?.()) {
      // A native kernel: the trap enters it directly (the kernel charges the entry).
      this.pending = 'none';
      return { cycles, op: { op: 'trap', regs: words } };
    }
    const handler = this.deps.handler();
    this.pending = 'exception';
    const op: KernelOp = { op: 'ipc', dest: handler, send: { words }, recv: { from: handler, maxWords: EXC_WORDS + SPAWN_WORDS }, timeouts: decodeV2(0) };
    // The trampoline path reflects the trap to the emulation library first; the modified C library
    // issues the same IPC itself.
    const reflect = trapno === 0x80 && this.deps.directSyscalls?.() ? 0 : this.deps.costs.exceptionReflect;
    return { cycles: cycles + reflect, op };
  }

  private l4Syscall(vec: number, cycles: number): RunResult {
    const r = this.cpu.r;
    const u = (n: number): number => r[n]! >>> 0;
    switch (vec) {
      case 0x30:
        return this.ipc(cycles);
      case 0x31: {
        // id_nearest: answered in the engine (no clans here): nil asks for our own id.
        const id = u(ESI) === 0 ? toV2(this.deps.self).low : u(ESI);
        r[ESI] = id;
        r[EAX] = 0;
        return { cycles: cycles + this.deps.costs.syscallEntryExit };
      }
      case 0x32: {
        const fp = u(EAX);
        this.pending = 'other';
        return { cycles, op: { op: 'unmap', base: fp & ~0xfff, log2: (fp >>> 2) & 0x3f, downgrade: (u(ECX) & 2) === 0, self: (u(ECX) & 0x80000000) !== 0 } };
      }
      case 0x33:
        this.pending = 'other';
        return { cycles, op: { op: 'threadSwitch', dest: u(ESI) === 0 ? NIL : fromV2(u(ESI)) } };
      case 0x34: {
        this.pending = 'schedule';
        const prio = u(EAX);
        const ts = u(ECX);
        return { cycles, op: { op: 'threadSchedule', dest: fromV2(u(ESI)), ...(prio !== 0xffffffff ? { prio } : {}), ...(ts !== 0 ? { timesliceUs: ts } : {}) } };
      }
      case 0x35: {
        this.pending = 'exRegs';
        const pager = u(ESI);
        return { cycles, op: { op: 'exRegs', lthread: u(EAX), sp: u(ECX), ip: u(EDX), ...(pager !== 0xffffffff ? { pager: fromV2(pager) } : {}) } };
      }
      default: {
        this.pending = 'taskNew';
        const pager = u(EBP);
        return {
          cycles,
          op: {
            op: 'taskNew',
            task: gidTask(fromV2(u(ESI))),
            mcp: u(EAX),
            sp: u(ECX),
            ip: u(EDX),
            pager: pager === 0 ? NIL : fromV2(pager),
            annotate: { image: this.deps.image.name },
          },
        };
      }
    }
  }

  /** int $0x30: build the IPC operation from the registers (and long message buffers). */
  private ipc(cycles: number): RunResult {
    const c = this.cpu;
    const r = c.r;
    const snd = r[EAX]! >>> 0;
    const rcv = r[EBP]! >>> 0;
    const dest = fromV2(r[ESI]! >>> 0);
    let send: MsgOut | null = null;
    let recv: RecvSpec | null = null;
    this.bufs = { rcvMsg: 0 };
    const regWords = [r[EDX]! >>> 0, r[EBX]! >>> 0, r[EDI]! >>> 0];
    try {
      if (snd !== 0xffffffff) {
        if (snd === 0) send = { words: regWords };
        else if (snd === 2) send = { words: regWords.slice(0, 2), fpages: [fpageOf(regWords[1]!, regWords[0]!)] };
        else send = this.readLongMessage(snd & ~3, regWords);
      }
      if (rcv !== 0xffffffff) {
        recv = { from: rcv & 1 ? OPEN : dest };
        if (rcv & 2) recv.window = { base: rcv & ~0xfff, log2: (rcv >>> 2) & 0x3f };
        else if ((rcv & ~3) !== 0) this.readReceiveBuffer(rcv & ~3, recv);
      }
    } catch (e) {
      // A descriptor in unmapped memory: fault at the int instruction so the pager maps it, then retry.
      if (e && (e as { fault?: boolean }).fault) {
        c.eip = (c.eip - 2) >>> 0;
        const f = c.fault;
        return { cycles, op: { op: 'fault', fault: 'pf', addr: f.addr, write: f.write, ip: c.eip, detail: f.detail } };
      }
      throw e;
    }
    this.pending = 'ipc';
    return { cycles, op: { op: 'ipc', dest, send, recv, timeouts: decodeV2(r[ECX]! >>> 0), sndDesc: snd, rcvDesc: rcv } };
  }

  private readLongMessage(addr: number, regWords: number[]): MsgOut {
    const c = this.cpu;
    const sizeDope = c.read32(addr + 4) >>> 0;
    const sndDope = c.read32(addr + 8) >>> 0;
    const dwords = Math.min(sndDope >>> 13, 1024);
    const capacity = sizeDope >>> 13;
    const words = regWords.slice(0, Math.min(3, dwords || 3));
    for (let i = 3; i < dwords; i++) words.push(c.read32(addr + 12 + i * 4) >>> 0);
    const strings = [];
    const nstr = (sndDope >>> 8) & 0x1f;
    const strBase = addr + 12 + capacity * 4;
    for (let i = 0; i < nstr; i++) strings.push({ len: c.read32(strBase + i * 16) >>> 0, addr: c.read32(strBase + i * 16 + 4) >>> 0 });
    const fpage = c.read32(addr) >>> 0;
    void fpage;
    return { words, strings };
  }

  private readReceiveBuffer(addr: number, recv: RecvSpec): void {
    const c = this.cpu;
    const fpage = c.read32(addr) >>> 0;
    const sizeDope = c.read32(addr + 4) >>> 0;
    if (fpage !== 0) recv.window = { base: fpage & ~0xfff, log2: (fpage >>> 2) & 0x3f };
    const capacity = Math.min(sizeDope >>> 13, 1024);
    recv.maxWords = Math.max(3, capacity);
    const nstr = (sizeDope >>> 8) & 0x1f;
    const buffers = [];
    for (let i = 0; i < nstr; i++) buffers.push({ len: c.read32(addr + 12 + capacity * 4 + i * 16 + 8) >>> 0, addr: c.read32(addr + 12 + capacity * 4 + i * 16 + 12) >>> 0 });
    recv.buffers = buffers;
    this.bufs.rcvMsg = addr;
  }

  resume(result: OpResult): void {
    const r = this.cpu.r;
    const pending = this.pending;
    this.pending = 'none';
    if (!result || pending === 'none' || pending === 'spawn') return;
    switch (result.kind) {
      case 'ipc': {
        if (pending === 'exception') {
          const w = result.words;
          if (result.error === 0 && w.length >= EXC_WORDS) this.loadRegisters(w);
          if (result.error === 0 && w.length >= EXC_WORDS + SPAWN_WORDS && w[EXC_WORDS] === EMULIB_NEW_THREAD) this.spawn = w.slice(EXC_WORDS + 1, EXC_WORDS + SPAWN_WORDS);
          return;
        }
        const w = result.words;
        r[EAX] = (result.error | (result.fpageReceived ? 2 : 0) | (Math.min(w.length, 0x7ffff) << 13)) >>> 0;
        r[EDX] = w[0] ?? 0;
        r[EBX] = w[1] ?? 0;
        r[EDI] = w[2] ?? 0;
        r[ESI] = result.src ? toV2(result.src).low : 0;
        if (this.bufs.rcvMsg && w.length > 3) {
          try {
            for (let i = 3; i < w.length; i++) this.cpu.write32(this.bufs.rcvMsg + 12 + i * 4, w[i]!);
          } catch {
            // an unmapped receive buffer loses the extra words (the kernel could not copy them either)
          }
        }
        return;
      }
      case 'exRegs':
        r[EAX] = result.ok ? result.oldFlags : -1;
        r[ECX] = result.oldSp;
        r[EDX] = result.oldIp;
        r[ESI] = result.oldPager === INVALID ? -1 : toV2(result.oldPager).low;
        return;
      case 'taskNew':
        r[ESI] = result.task === NIL ? 0 : toV2(result.task).low;
        return;
      case 'schedule':
        r[EAX] = result.ok ? result.oldPrio : -1;
        return;
      default:
        return;
    }
  }

  /**
   * Call tracing: the thread is about to run a function the kernel entered by setting EIP (a signal
   * handler): its frame, with the return address the kernel left at ESP (the sigreturn trampoline).
   * Read without faulting: an unreadable stack means no frame. At the run's start, on this thread's clock.
   */
  private traceKernelEntry(): void {
    const c = this.cpu;
    const eip = this.kernelEntry;
    this.kernelEntry = -1;
    const sp = c.r[ESP]! >>> 0;
    if (c.eip !== eip || (sp & 0xfff) > 0xffc) return;
    const e = c.pages.get(sp >>> 12);
    if ((e & R) === 0) return;
    const p = (e >>> 3) * PAGE_SIZE + (sp & 0xfff);
    const m = c.mem8;
    const ret = m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
    c.shadow!.kernelCall(eip, ret, sp, this.deps.now());
  }

  /** Load the 12-word exception layout into the registers (a reply of the Linux server, or a start). */
  loadRegisters(w: number[]): void {
    const c = this.cpu;
    const r = c.r;
    const eip = w[EXC.EIP]! >>> 0;
    // A new EIP at a function's first instruction: the kernel starts a signal handler there (call tracing).
    if (c.shadow && eip !== c.eip && this.functionStarts.has(eip)) this.kernelEntry = eip;
    c.eip = eip;
    c.setEflags(w[EXC.EFLAGS]!);
    r[EDI] = w[EXC.EDI]!;
    r[ESI] = w[EXC.ESI]!;
    r[EBP] = w[EXC.EBP]!;
    r[ESP] = w[EXC.ESP]!;
    r[EBX] = w[EXC.EBX]!;
    r[EDX] = w[EXC.EDX]!;
    r[ECX] = w[EXC.ECX]!;
    r[EAX] = w[EXC.EAX]!;
  }

  /** The registers in the 12-word exception layout (trap number and error code 0). */
  saveRegisters(): number[] {
    const c = this.cpu;
    const r = c.r;
    return [0, 0, c.eip >>> 0, c.eflags(), r[EDI]!, r[ESI]!, r[EBP]!, r[ESP]!, r[EBX]!, r[EDX]!, r[ECX]!, r[EAX]!].map((v) => v >>> 0);
  }

  /**
   * A copy of this thread's call-traced frames, or null when its calls are not traced. For a fork: take
   * it when the parent forks (the parent goes on calling and returning), give it to the child's engine
   * with adoptCallStack before the child runs, and the child's RETs end the frames it inherited, as the
   * exit hooks of an instrumented child do (in the child's trace they were never entered, so the tracer
   * drops those exits either way: the events are the same, only the unmatched-exit count differs).
   */
  callStack(): ShadowFrames | null {
    return this.cpu.shadow ? this.cpu.shadow.snapshot() : null;
  }

  /** Continue with frames from callStack() (see there); nothing happens unless this thread traces calls. */
  adoptCallStack(frames: ShadowFrames | null): void {
    if (frames && this.cpu.shadow) this.cpu.shadow.restore(frames);
  }

  retry(): void {
    // The faulting instruction is re-executed: EIP still points at it.
  }

  regs(): Registers {
    if (this.signalEntry) return { ip: EMULIB_SIGNAL_ENTRY, sp: this.signalEntry.esp, flags: this.cpu.eflags() };
    return { ip: this.cpu.eip >>> 0, sp: this.cpu.r[ESP]! >>> 0, flags: this.cpu.eflags() };
  }

  redirect(ip: number, sp: number): boolean {
    if (ip === EMULIB_SIGNAL_ENTRY) {
      // Forced into the signal entry: remember where the thread was. A system call in progress was
      // cancelled and is re-executed after the signal (EIP back on its int instruction).
      const eip = this.pending === 'exception' && this.trapWasInt80 && this.trapEip === this.cpu.eip ? (this.cpu.eip - 2) >>> 0 : this.cpu.eip >>> 0;
      this.signalEntry = { eip, esp: sp !== KEEP ? sp : this.cpu.r[ESP]! >>> 0 };
      this.pending = 'none';
      return true;
    }
    if (ip !== KEEP) this.cpu.eip = ip >>> 0;
    if (sp !== KEEP) this.cpu.r[ESP] = sp;
    return true;
  }

  stateDigest(): string {
    const c = this.cpu;
    return `ia32:${c.eip}:${Array.from(c.r).join(',')}:${c.eflags()}:${this.pending}`;
  }

  describe(): Record<string, unknown> {
    const c = this.cpu;
    const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
    const regs: Record<string, string> = { eip: `0x${(c.eip >>> 0).toString(16)}` };
    names.forEach((n, i) => (regs[n] = `0x${(c.r[i]! >>> 0).toString(16)}`));
    regs.eflags = `0x${c.eflags().toString(16)}`;
    const shadow = this.cpu.shadow;
    const calls = shadow ? { callDepth: shadow.depth, callFramesDropped: shadow.dropped } : {};
    return { engine: 'ia32', image: this.deps.image.name, regs, instructions: this.interp.instructions, ...calls };
  }
}

function fpageOf(word: number, sndBase: number): SendFpage {
  return { base: word & ~0xfff, log2: (word >>> 2) & 0x3f, write: (word & 2) !== 0, grant: (word & 1) !== 0, sndBase };
}
