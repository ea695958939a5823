/**
 * Executes guest code: basic blocks of decoded instruction closures, cached by physical address (so
 * processes sharing text after fork share the decoded code) and per engine by virtual address. A block
 * ends at a control transfer, a trap, a REP string instruction, a page boundary or 64 instructions.
 * Writing to a frame that holds decoded code drops its blocks (also a running one, which stops).
 */
import { createHash } from 'node:crypto';
import { Cpu, FAULT } from './cpu.js';
import { decode, Unimplemented, type DecodeContext, type JitOp, type Op } from './decoder.js';
import { templateOp } from './templates.js';
import { PAGE_SIZE, PhysicalMemory, W } from './memory.js';

export interface Block {
  vaddr: number;
  /** Physical address of the first instruction (the block's key in the code cache). */
  phys: number;
  frame: number;
  /** The frame the last instruction runs into when it crosses a page boundary, else -1. */
  frame2: number;
  /** This block's own copy of the operations (invalidation replaces them with STOP). */
  ops: Op[];

  /** Virtual address of each instruction. */
  addrs: number[];
  /** Cycles taken by the instructions before each one (free hook calls take none). */
  offs: number[];
  /** Instructions before each operation, and the block's count last (replay debugging counts them). */
  ins: number[];
  /** Address of every instruction. */
  iaddrs: number[];
  /** Cycles of the whole block. */
  cost: number;
  fallthrough: number;
  valid: boolean;
  hookKey: string;
  /**
   * Decoded from a writable page (code that may modify itself): one operation per instruction, no
   * fusion, so a store into the running block stops it right after the storing instruction.
   */
  unfused: boolean;
}

const MAX_BLOCK = 64;

/** What decoding produced for a block: immutable, so machines with the same code can share it. */
interface BlockCode {
  ops: Op[];
  addrs: number[];
  offs: number[];
  /** Instructions before each operation (a fused one holds several), and the block's count last. */
  ins: number[];
  /** Address of every instruction (fused ones included). */
  iaddrs: number[];
  cost: number;
  fallthrough: number;
  /** Set when the last instruction runs into the next page: its address and that frame's hash. */
  crossFrame?: number;
  crossHash?: string;
}

/**
 * Decoded blocks shared by every machine in the process, keyed by the content of the frames the code
 * came from (and its virtual address and hooks): runs of the same program (sweeps, replays, benchmarks)
 * decode it once.
 */
const SHARED = new Map<string, BlockCode>();

/** The decoded code of one physical memory. */
export class CodeCache {
  private readonly byPhys = new Map<number, Block>();
  private readonly byFrame = new Map<number, Block[]>();
  private readonly frameHash = new Map<number, string>();
  decodedInstructions = 0;

  /** Content hash of a frame (computed once until the frame is written). */
  hashOf(frame: number): string {
    let h = this.frameHash.get(frame);
    if (h === undefined) {
      h = createHash('sha1').update(this.phys.frame(frame)).digest('base64');
      this.frameHash.set(frame, h);
    }
    return h;
  }

  shared(key: string): BlockCode | undefined {
    return SHARED.get(key);
  }

  share(key: string, code: BlockCode): void {
    SHARED.set(key, code);
  }

  constructor(readonly phys: PhysicalMemory) {
    phys.codeWritten = (frame) => this.invalidate(frame);
  }

  static of(phys: PhysicalMemory): CodeCache {
    let c = CACHES.get(phys);
    if (!c) {
      c = new CodeCache(phys);
      CACHES.set(phys, c);
    }
    return c;
  }

  get(physAddr: number): Block | undefined {
    return this.byPhys.get(physAddr);
  }

  add(physAddr: number, b: Block): void {
    const old = this.byPhys.get(physAddr);
    if (old) this.drop(old, -1);
    this.byPhys.set(physAddr, b);
    this.holds(b.frame, b);
    if (b.frame2 >= 0) this.holds(b.frame2, b);
  }

  /** Frame `frame` holds (part of) block b: writes to it must drop the block. */
  private holds(frame: number, b: Block): void {
    let list = this.byFrame.get(frame);
    if (!list) this.byFrame.set(frame, (list = []));
    list.push(b);
    if (!this.phys.codeFrames[frame]) {
      this.phys.codeFrames[frame] = 1;
      // CPUs may have cached a write translation for this frame: they drop it (Cpu.syncTlb).
      this.phys.codeGeneration++;
    }
  }

  /** Forget block b (it is no longer valid); `except` is the frame whose list the caller clears itself. */
  private drop(b: Block, except: number): void {
    b.valid = false;
    // A block that is running stops after the operation in progress (see STOP).
    b.ops.fill(STOP);
    if (this.byPhys.get(b.phys) === b) this.byPhys.delete(b.phys);
    for (const f of [b.frame, b.frame2]) {
      if (f < 0 || f === except) continue;
      const list = this.byFrame.get(f);
      const i = list ? list.indexOf(b) : -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && list.length === 0) {
        this.byFrame.delete(f);
        this.phys.codeFrames[f] = 0;
      }
    }
  }

  /** The frame was written: every block decoded from it is dropped. */
  invalidate(frame: number): void {
    this.frameHash.delete(frame);
    const list = this.byFrame.get(frame);
    this.byFrame.delete(frame);
    this.phys.codeFrames[frame] = 0;
    if (list) for (const b of list) this.drop(b, frame);
  }
}

/**
 * Thrown by the operations of a block that was invalidated while it ran (it wrote to its own code):
 * the run loop continues at the instruction after the one that wrote, decoded afresh.
 */
const SMC = { smc: true } as const;
const STOP: Op = () => {
  throw SMC;
};

const CACHES = new WeakMap<PhysicalMemory, CodeCache>();

/** Forms a fused sequence may hold anywhere: straight-line, not compares (a Jcc usually follows those). */
const FUSABLE = new Set(['mov', 'lea', 'alu', 'incdec', 'push', 'pop', 'movx', 'shift', 'setcc', 'cmov', 'cdq', 'leave']);
const fusable = (j: JitOp | undefined): j is JitOp => j !== undefined && FUSABLE.has(j.t) && !(j.t === 'alu' && j.op === 7);
/**
 * Forms that may end a fused sequence but not sit inside one: control transfers (they end the block) and
 * hook calls (free: with them last, the members before a faulting one are all one-cycle instructions).
 */
const CLOSERS = new Set(['call', 'callind', 'ret', 'jmp', 'jmpind', 'hook']);
/** Longest fused sequence. Longer ones save more dispatches but make more shapes for V8 to warm up. */
const MAX_FUSED = 4;

/** One decoded instruction of a block, before fusion. */
interface Decoded {
  op: Op;
  jit: JitOp | undefined;
  addr: number;
  /** Cycles of the block's instructions before this one. */
  off: number;
}

/** CMP or TEST followed by Jcc, the commonest pair in compiled code (see the `cmpjcc` template). */
function fuseCompare(first: Decoded, next: Decoded | undefined): Op | null {
  const cmp = first.jit;
  const jcc = next?.jit;
  if (!cmp || !((cmp.t === 'alu' && cmp.op === 7) || cmp.t === 'test') || jcc?.t !== 'jcc') return null;
  return templateOp({ t: 'cmpjcc', cmp, cc: jcc.cc, target: jcc.target, ...(jcc.tr !== undefined ? { tr: jcc.tr } : {}) });
}

/**
 * Straight-line instructions from `list[i]` on as one generated operation (up to MAX_FUSED, possibly
 * ended by a call, return, jump or hook): compiled gcc code is mostly loads and stores, and this cuts
 * their dispatches. Returns the operation and how many instructions it covers, or null.
 */
function fuseRun(list: Decoded[], i: number): { op: Op; n: number } | null {
  if (!fusable(list[i]!.jit)) return null;
  let j = i + 1;
  while (j < list.length && j - i < MAX_FUSED) {
    const t: JitOp | undefined = list[j]!.jit;
    if (t !== undefined && CLOSERS.has(t.t)) {
      j++;
      break;
    }
    if (!fusable(t)) break;
    j++;
  }
  if (j - i < 2) return null;
  const members = list.slice(i, j);
  const op = templateOp({ t: 'seq', ops: members.map((m) => m.jit!), addrs: members.map((m) => m.addr) });
  return op ? { op, n: j - i } : null;
}

export type StopKind = 'budget' | 'trap' | 'fault';

export interface RunStop {
  kind: StopKind;
  /** Cycles used (instructions, free hook calls excluded). */
  cycles: number;
}

const LOCAL = 1024;

/**
 * Replay debugging (replay/debug) attaches this to every interpreter of a machine. Blocks keep their
 * bounds, costs and budget checks, so the machine does exactly what it does without it; what changes is
 * that the hook counts the instructions begun (its ordinal clock) and may ask for any block to run one
 * instruction at a time (its unfused twin), calling it before each one with EIP on that instruction,
 * where it may pause (synchronously: the machine's state is whole and readable) or unwind the run by
 * throwing. The other blocks run fused, at nearly full speed.
 */
export interface StepHook {
  /** Whether the block [start, end) of `n` instructions, starting at cycle `time` and costing `cost`, must be stepped. */
  wantsBlock(cpu: Cpu, start: number, end: number, n: number, time: number, cost: number): boolean;
  /** A block ran fused: it began `n` instructions. */
  ranFast(n: number): void;
  /** A stepped block is about to run the instruction at EIP, which starts at cycle `time`. */
  beforeInstruction(cpu: Cpu, time: number): void;
}

/**
 * Thrown by a step hook that moved EIP of the instruction it stands before (a debugger's register write):
 * the block stops there and the run goes on at the new EIP.
 */
export const REDIRECT = { redirect: true } as const;

/** Instructions a fused block began before its operation `i` faulted (`resume`: a later member of a fused sequence that faulted, or -1). */
function begunBeforeFault(b: Block, i: number, resume: number): number {
  if (resume >= 0) for (let k = b.ins[i]!; k < b.ins[i + 1]!; k++) if (b.iaddrs[k] === resume) return k + 1;
  return b.ins[i]! + 1;
}

const STOP_NONE = 0;
const STOP_TRAP = 1;
const STOP_FAULT = 2;

/** Runs one thread's CPU state. */
export class Interpreter {
  readonly cache: CodeCache;
  private readonly local: (Block | undefined)[] = new Array(LOCAL).fill(undefined);
  private localGeneration = -1;
  private readonly hookKey: string;
  private readonly ctx: DecodeContext;
  /** Instructions executed (for MIPS figures). */
  instructions = 0;
  /** Set by the engine while a debugger steps the machine (runStepping). */
  private stepper: StepHook | null = null;

  constructor(
    readonly cpu: Cpu,
    hookEnter = -1,
    hookExit = -1,
    /**
     * Call tracing (shadow-stack.ts): CALL, RET and jumps report to `cpu.shadow`, which the caller sets.
     * `key` names the program's function symbols (decoded blocks depend on them, so blocks are shared
     * only between programs with the same key).
     */
    calls?: { isFunctionStart(addr: number): boolean; key: string },
  ) {
    this.cache = CodeCache.of(cpu.phys);
    cpu.onCodeWrite = (frame) => this.cache.invalidate(frame);
    this.hookKey = `${hookEnter}:${hookExit}${calls ? `:calls:${calls.key}` : ''}`;
    this.ctx = { byte: (a) => cpu.mem8[cpu.fetchPhys(a)]!, hookEnter, hookExit, ...(calls ? { calls } : {}) };
  }

  /** Install or remove the step hook; decoded blocks are kept apart (fused ones are not reused while stepping). */
  setStepper(hook: StepHook | null): void {
    if (hook === this.stepper) return;
    this.stepper = hook;
    this.local.fill(undefined);
  }

  /** How the last stepped block ended (STOP_*). */
  private stepStop = STOP_NONE;

  /**
   * Run up to `budget` cycles starting at cycle time `time`. Under a replay debugger's hook, each block
   * the hook wants runs one instruction at a time (stepBlock); the others run here, fused, and report how
   * many instructions they began (the only cost the hook adds to a block that runs fast: a null check).
   */
  run(budget: number, time: number): RunStop {
    const hook = this.stepper;
    const c = this.cpu;
    c.syncTlb();
    if (this.localGeneration !== c.pages.generation) {
      this.local.fill(undefined);
      this.localGeneration = c.pages.generation;
    }
    c.trap = -1;
    let cyc = 0;
    while (cyc < budget) {
      let b: Block;
      try {
        b = this.lookup(c.eip);
        if (hook !== null && hook.wantsBlock(c, b.vaddr, b.fallthrough, b.ins[b.ops.length]!, time + cyc, b.cost)) {
          cyc = this.stepBlock(b.unfused ? b : this.lookupUnfused(c.eip), budget, time, cyc, hook);
          if (this.stepStop === STOP_NONE) continue;
          this.instructions += cyc;
          return { kind: this.stepStop === STOP_TRAP ? 'trap' : 'fault', cycles: cyc };
        }
      } catch (e) {
        if (e !== FAULT) throw e;
        this.instructions += cyc;
        return { kind: 'fault', cycles: cyc };
      }
      const start = c.eip;
      c.blockTime = time + cyc;
      c.runLeft = budget - cyc;
      c.eip = b.fallthrough;
      const ops = b.ops;
      const n = ops.length;
      let i = 0;
      try {
        for (; i < n; i++) ops[i]!(c);
      } catch (e) {
        if (e === SMC) {
          // The block wrote to its own code: what ran is done, the rest is decoded again.
          c.eip = b.addrs[i]!;
          cyc += b.offs[i]! + c.extra;
          c.extra = 0;
          if (hook !== null) hook.ranFast(b.ins[i]!);
          continue;
        }
        if (e !== FAULT) throw e;
        if (hook !== null) hook.ranFast(begunBeforeFault(b, i, c.resume));
        if (c.resume >= 0) {
          // A later member of a fused sequence faulted; the one-cycle members before it completed.
          c.eip = c.resume;
          c.resume = -1;
          cyc += b.offs[i]! + c.resumeDone;
        } else {
          c.eip = i === 0 ? start : b.addrs[i]!;
          cyc += b.offs[i]!;
        }
        // Completed iterations of a REP instruction that faulted.
        cyc += c.extra;
        c.extra = 0;
        this.instructions += cyc;
        return { kind: 'fault', cycles: cyc };
      }
      cyc += b.cost;
      if (c.extra !== 0) {
        // REP iterations beyond the first
        cyc += c.extra;
        c.extra = 0;
      }
      if (hook !== null) hook.ranFast(b.ins[n]!);
      if (c.trap >= 0) {
        this.instructions += cyc;
        return { kind: 'trap', cycles: cyc };
      }
    }
    this.instructions += cyc;
    return { kind: 'budget', cycles: cyc };
  }

  /** One unfused block, the hook called before each instruction (not before a STOP: that one is decoded again). */
  private stepBlock(b: Block, budget: number, time: number, cyc: number, hook: StepHook): number {
    const c = this.cpu;
    const start = c.eip;
    c.blockTime = time + cyc;
    c.runLeft = budget - cyc;
    const ops = b.ops;
    const n = ops.length;
    let i = 0;
    this.stepStop = STOP_NONE;
    try {
      for (; i < n; i++) {
        const op = ops[i]!;
        if (op !== STOP) {
          c.eip = b.addrs[i]!;
          hook.beforeInstruction(c, time + cyc + b.offs[i]!);
        }
        c.eip = b.fallthrough;
        op(c);
      }
    } catch (e) {
      if (e === SMC || e === REDIRECT) {
        if (e === SMC) c.eip = b.addrs[i]!;
        cyc += b.offs[i]! + c.extra;
        c.extra = 0;
        return cyc;
      }
      if (e !== FAULT) throw e;
      c.eip = i === 0 ? start : b.addrs[i]!;
      cyc += b.offs[i]! + c.extra;
      c.extra = 0;
      this.stepStop = STOP_FAULT;
      return cyc;
    }
    cyc += b.cost;
    if (c.extra !== 0) {
      cyc += c.extra;
      c.extra = 0;
    }
    if (c.trap >= 0) this.stepStop = STOP_TRAP;
    return cyc;
  }

  /** The unfused twin of the block at `eip` (one operation per instruction), kept apart from the fused one. */
  private lookupUnfused(eip: number): Block {
    const phys = this.cpu.fetchPhys(eip);
    const key = -(phys + 1);
    let g = this.cache.get(key);
    if (!g || !g.valid || g.vaddr !== eip || g.hookKey !== this.hookKey) {
      g = { ...this.build(eip, phys, true), phys: key };
      this.cache.add(key, g);
      if (this.cpu.codeStale) this.cpu.dropCodeWrites();
    }
    return g;
  }

  private lookup(eip: number): Block {
    const slot = eip & (LOCAL - 1);
    const b = this.local[slot];
    if (b !== undefined && b.vaddr === eip && b.valid) return b;
    const phys = this.cpu.fetchPhys(eip);
    const unfused = (this.cpu.pages.get(eip >>> 12) & W) !== 0;
    let g = this.cache.get(phys);
    if (!g || !g.valid || g.vaddr !== eip || g.hookKey !== this.hookKey || g.unfused !== unfused) {
      g = this.build(eip, phys, unfused);
      this.cache.add(phys, g);
      if (this.cpu.codeStale) this.cpu.dropCodeWrites();
    }
    this.local[slot] = g;
    return g;
  }

  private build(eip: number, phys: number, unfused: boolean): Block {
    const frame = Math.floor(phys / PAGE_SIZE);
    const key = `${this.cache.hashOf(frame)}:${eip >>> 0}:${this.hookKey}${unfused ? ':unfused' : ''}`;
    let code = this.cache.shared(key);
    let frame2 = -1;
    if (code && code.crossFrame !== undefined) {
      // The last instruction reaches into the next page: that frame must hold the same bytes too.
      frame2 = this.frameOf(code.crossFrame);
      if (frame2 < 0 || this.cache.hashOf(frame2) !== code.crossHash) code = undefined;
    }
    if (!code) {
      code = this.decodeBlock(eip, !unfused);
      if (code.crossFrame === undefined || code.crossHash !== undefined) this.cache.share(key, code);
      frame2 = code.crossFrame === undefined ? -1 : this.frameOf(code.crossFrame);
    }
    return { vaddr: eip >>> 0, phys, frame, frame2, ...code, ops: code.ops.slice(), valid: true, hookKey: this.hookKey, unfused };
  }

  /** The physical frame of an executable virtual address, or -1. */
  private frameOf(vaddr: number): number {
    try {
      return Math.floor(this.cpu.fetchPhys(vaddr) / PAGE_SIZE);
    } catch (e) {
      if (e !== FAULT) throw e;
      return -1;
    }
  }

  private decodeBlock(eip: number, fuse: boolean): BlockCode {
    const list: Decoded[] = [];
    let a = eip >>> 0;
    let cost = 0;
    const pageEnd = (Math.floor(a / PAGE_SIZE) + 1) * PAGE_SIZE;
    while (list.length < MAX_BLOCK) {
      let insn;
      try {
        insn = decode(this.ctx, a, cost);
      } catch (e) {
        if (list.length > 0 && (e === FAULT || e instanceof Unimplemented)) break; // fault when we get there
        if (e instanceof Unimplemented) {
          const detail = e.message;
          const at = a;
          list.push({ op: (cpu) => cpu.raise('ud', detail, at), jit: undefined, addr: a, off: cost });
          break;
        }
        throw e;
      }
      list.push({ op: insn.op, jit: insn.jit, addr: a, off: cost });
      if (!insn.free) cost++;
      a = (a + insn.len) >>> 0;
      this.cache.decodedInstructions++;
      if (insn.ends || a >= pageEnd) break;
    }
    // Fusion: one operation per compare-and-branch and per run of straight-line instructions.
    const ops: Op[] = [];
    const addrs: number[] = [];
    const offs: number[] = [];
    const ins: number[] = [];
    for (let i = 0; i < list.length; ) {
      const d = list[i]!;
      const compare = fuse ? fuseCompare(d, list[i + 1]) : null;
      const run = compare || !fuse ? null : fuseRun(list, i);
      ops.push(compare ?? run?.op ?? d.op);
      addrs.push(d.addr);
      offs.push(d.off);
      ins.push(i);
      i += compare ? 2 : (run?.n ?? 1);
    }
    offs.push(cost);
    ins.push(list.length);
    const code: BlockCode = { ops, addrs, offs, ins, iaddrs: list.map((d) => d.addr), cost, fallthrough: a };
    const lastEnd = a;
    if (lastEnd > pageEnd) {
      // the last instruction straddles the page boundary
      code.crossFrame = pageEnd;
      try {
        code.crossHash = this.cache.hashOf(Math.floor(this.cpu.fetchPhys(pageEnd) / PAGE_SIZE));
      } catch (e) {
        if (e !== FAULT) throw e;
      }
    }
    return code;
  }
}
