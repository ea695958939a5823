/**
 * Executes guest code: basic blocks of decoded instruction closures, cached by physical address (so
 * processes sharing text after fork share the decoded code) and per engine by virtual address. A block
 * ends at a control transfer, a trap, a page boundary or 64 instructions. Writing to a frame that holds
 * decoded code drops its blocks.
 */
import { createHash } from 'node:crypto';
import { Cpu, FAULT } from './cpu.js';
import { decode, Unimplemented, type DecodeContext, type JitOp, type Op } from './decoder.js';
import { templateOp } from './templates.js';
import { PAGE_SIZE, PhysicalMemory } from './memory.js';

export interface Block {
  vaddr: number;
  frame: number;
  ops: Op[];

  /** Virtual address of each instruction. */
  addrs: number[];
  /** Cycles taken by the instructions before each one (free hook calls take none). */
  offs: number[];
  /** Cycles of the whole block. */
  cost: number;
  fallthrough: number;
  valid: boolean;
  hookKey: string;
}

const MAX_BLOCK = 64;

/** What decoding produced for a block: immutable, so machines with the same code can share it. */
interface BlockCode {
  ops: Op[];
  addrs: number[];
  offs: number[];
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
    this.byPhys.set(physAddr, b);
    let list = this.byFrame.get(b.frame);
    if (!list) this.byFrame.set(b.frame, (list = []));
    list.push(b);
    this.phys.codeFrames[b.frame] = 1;
  }

  invalidate(frame: number): void {
    this.frameHash.delete(frame);
    const list = this.byFrame.get(frame);
    if (list) {
      for (const b of list) b.valid = false;
      this.byFrame.delete(frame);
    }
    for (const [k, b] of this.byPhys) if (b.frame === frame) this.byPhys.delete(k);
    this.phys.codeFrames[frame] = 0;
  }
}

const CACHES = new WeakMap<PhysicalMemory, CodeCache>();

/**
 * CMP or TEST followed by Jcc, the commonest pair in compiled code, as one generated operation (see the
 * `cmpjcc` template). Null when the previous instruction is something else.
 */
/** Forms a fused pair may hold: straight-line, not compares (a Jcc usually follows those), not hooks. */
const PAIRABLE = new Set(['mov', 'lea', 'alu', 'incdec', 'push', 'pop', 'movx', 'shift', 'setcc', 'cmov', 'cdq', 'leave']);
const pairable = (j: JitOp | undefined): j is JitOp => j !== undefined && PAIRABLE.has(j.t) && !(j.t === 'alu' && j.op === 7);
/**
 * Forms that may close a pair but not open one: control transfers (they end the block) and hook calls
 * (their cycle offset is fixed at decode time, so being second changes nothing).
 */
const CLOSERS = new Set(['call', 'callind', 'ret', 'jmp', 'jmpind', 'hook']);
const closesPair = (j: JitOp | undefined): j is JitOp => j !== undefined && (CLOSERS.has(j.t) || pairable(j));

/**
 * Two consecutive straight-line instructions as one generated operation: compiled gcc code is mostly
 * loads and stores, and this halves their dispatches. Null when either is not pairable.
 */
function fusePair(prev: JitOp | undefined, next: JitOp | undefined, addr2: number): { op: Op; jit: JitOp } | null {
  if (!pairable(prev) || !closesPair(next)) return null;
  const jit: JitOp = { t: 'pair', a: prev, b: next, addr2 };
  const op = templateOp(jit);
  return op ? { op, jit } : null;
}

function fuseCompare(prev: JitOp | undefined, cc: number, target: number): Op | null {
  if (!prev || !((prev.t === 'alu' && prev.op === 7) || prev.t === 'test')) return null;
  return templateOp({ t: 'cmpjcc', cmp: prev, cc, target });
}

export type StopKind = 'budget' | 'trap' | 'fault';

export interface RunStop {
  kind: StopKind;
  /** Cycles used (instructions, free hook calls excluded). */
  cycles: number;
}

const LOCAL = 1024;

/** Runs one thread's CPU state. */
export class Interpreter {
  readonly cache: CodeCache;
  private readonly local: (Block | undefined)[] = new Array(LOCAL).fill(undefined);
  private localGeneration = -1;
  private readonly hookKey: string;
  private readonly ctx: DecodeContext;
  /** Instructions executed (for MIPS figures). */
  instructions = 0;

  constructor(
    readonly cpu: Cpu,
    hookEnter = -1,
    hookExit = -1,
  ) {
    this.cache = CodeCache.of(cpu.phys);
    cpu.codeFrames = cpu.phys.codeFrames;
    cpu.onCodeWrite = (frame) => this.cache.invalidate(frame);
    this.hookKey = `${hookEnter}:${hookExit}`;
    this.ctx = { byte: (a) => cpu.mem8[cpu.fetchPhys(a)]!, hookEnter, hookExit };
  }

  /** Run up to `budget` cycles starting at cycle time `time`. */
  run(budget: number, time: number): RunStop {
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
      } catch (e) {
        if (e !== FAULT) throw e;
        this.instructions += cyc;
        return { kind: 'fault', cycles: cyc };
      }
      const start = c.eip;
      c.blockTime = time + cyc;
      c.eip = b.fallthrough;
      const ops = b.ops;
      const n = ops.length;
      let i = 0;
      try {
        for (; i < n; i++) ops[i]!(c);
      } catch (e) {
        if (e !== FAULT) throw e;
        if (c.resume >= 0) {
          // The second instruction of a fused pair faulted; the first (one cycle) completed.
          c.eip = c.resume;
          c.resume = -1;
          cyc += b.offs[i]! + 1;
        } else {
          c.eip = i === 0 ? start : b.addrs[i]!;
          cyc += b.offs[i]!;
        }
        this.instructions += cyc;
        return { kind: 'fault', cycles: cyc };
      }
      cyc += b.cost;
      if (c.trap >= 0) {
        this.instructions += cyc;
        return { kind: 'trap', cycles: cyc };
      }
    }
    this.instructions += cyc;
    return { kind: 'budget', cycles: cyc };
  }

  private lookup(eip: number): Block {
    const slot = eip & (LOCAL - 1);
    const b = this.local[slot];
    if (b !== undefined && b.vaddr === eip && b.valid) return b;
    const phys = this.cpu.fetchPhys(eip);
    let g = this.cache.get(phys);
    if (!g || !g.valid || g.vaddr !== eip || g.hookKey !== this.hookKey) {
      g = this.build(eip, Math.floor(phys / PAGE_SIZE));
      this.cache.add(phys, g);
    }
    this.local[slot] = g;
    return g;
  }

  private build(eip: number, frame: number): Block {
    const key = `${this.cache.hashOf(frame)}:${eip >>> 0}:${this.hookKey}`;
    let code = this.cache.shared(key);
    if (code && code.crossFrame !== undefined) {
      // The last instruction reaches into the next page: that frame must hold the same bytes too.
      let next = -1;
      try {
        next = Math.floor(this.cpu.fetchPhys(code.crossFrame) / PAGE_SIZE);
      } catch (e) {
        if (e !== FAULT) throw e;
      }
      if (next < 0 || this.cache.hashOf(next) !== code.crossHash) code = undefined;
    }
    if (!code) {
      code = this.decodeBlock(eip);
      if (code.crossFrame === undefined || code.crossHash !== undefined) this.cache.share(key, code);
    }
    return { vaddr: eip >>> 0, frame, ...code, valid: true, hookKey: this.hookKey };
  }

  private decodeBlock(eip: number): BlockCode {
    const ops: Op[] = [];
    const addrs: number[] = [];
    const offs: number[] = [];
    let prev: JitOp | undefined;
    let a = eip >>> 0;
    let cost = 0;
    const pageEnd = (Math.floor(a / PAGE_SIZE) + 1) * PAGE_SIZE;
    while (ops.length < MAX_BLOCK) {
      let insn;
      try {
        insn = decode(this.ctx, a, cost);
      } catch (e) {
        if (ops.length > 0 && (e === FAULT || e instanceof Unimplemented)) break; // fault when we get there
        if (e instanceof Unimplemented) {
          const detail = e.message;
          const at = a;
          ops.push((cpu) => cpu.raise('ud', detail, at));
          addrs.push(a);
          offs.push(cost);
          break;
        }
        throw e;
      }
      const fused = insn.jit?.t === 'jcc' ? fuseCompare(prev, insn.jit.cc, insn.jit.target) : null;
      const pair = fused ? null : fusePair(prev, insn.jit, a);
      if (fused) {
        ops[ops.length - 1] = fused; // one dispatch for both; the jump cannot fault
        prev = undefined;
      } else if (pair) {
        ops[ops.length - 1] = pair.op; // a fault in the second resumes at it (cpu.resume)
        prev = undefined; // pairs do not chain
      } else {
        ops.push(insn.op);
        addrs.push(a);
        offs.push(cost);
        prev = insn.jit;
      }
      if (!insn.free) cost++;
      a = (a + insn.len) >>> 0;
      this.cache.decodedInstructions++;
      if (insn.ends || a >= pageEnd) break;
    }
    offs.push(cost);
    const code: BlockCode = { ops, addrs, offs, cost, fallthrough: a };
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
