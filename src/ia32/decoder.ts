/**
 * The instruction decoder: bytes at an address become a closure specialised on its operands (registers,
 * addressing form, immediates, operand size), so executing it does no decoding at all. Table-driven:
 * `PRIMARY[opcode]` and `SECONDARY[opcode]` (after 0F) hold one decode function per opcode, in the style
 * of v86's table-driven CPU. An opcode without an entry is reported as Unimplemented with its address and
 * bytes (the coverage gate decodes whole .text sections with this).
 */
import { ALU, dec, inc, neg, sext, sizeMask, test } from './alu.js';
import { AF, CF, Cpu, DF, EAX, EBP, EBX, ECX, EDX, ESP, FAULT, PF, SF, USER_FLAGS, ZF } from './cpu.js';
import { segmentOps, segmentPrefix, segmentedEa } from './segment-ops.js';
import { div, idiv, imul1, imul2, mul } from './muldiv.js';
import { shiftOp, shld, shrd } from './shift.js';
import { stringOp, type RepPrefix, type StringKind } from './strings.js';
import { aad, aam, asciiAdjust, bound, cmpxchg8b, decimalAdjust, enter, popa, pusha } from './legacy.js';
import { templateOp } from './templates.js';
import { describeForm } from './unknown-forms.js';
import { decodeX87, fwait } from './x87/decode.js';

export type Op = (c: Cpu) => void;

/** An operand of the compilable subset: register, memory (base + index << scale + disp), or immediate. */
export type JitOperand = { k: 'r'; n: number } | { k: 'm'; b: number; i: number; s: number; d: number } | { k: 'i'; v: number };

/**
 * A compact description of common instruction forms, from which templates.ts generates their code.
 * Forms without one run their interpreter closure.
 */
export type JitOp =
  | { t: 'mov'; sz: number; dst: JitOperand; src: JitOperand }
  | { t: 'alu'; op: number; sz: number; dst: JitOperand; src: JitOperand }
  | { t: 'test'; sz: number; a: JitOperand; b: JitOperand }
  | { t: 'lea'; n: number; ea: JitOperand }
  | { t: 'incdec'; inc: boolean; sz: number; dst: JitOperand }
  | { t: 'push'; src: JitOperand }
  | { t: 'pop'; n: number }
  /**
   * Control transfers. `tr` is set when call tracing is on (the shadow stack, shadow-stack.ts): the cycle
   * offset in the block at which the transfer is done (the event time); Jcc and JMP carry it only when
   * their target is a function's first instruction (a possible tail call).
   */
  | { t: 'jcc'; cc: number; target: number; tr?: number }
  | { t: 'jmp'; target: number; tr?: number }
  | { t: 'jmpind'; src: JitOperand; tr?: number }
  | { t: 'call'; target: number; ret: number; tr?: number }
  | { t: 'callind'; src: JitOperand; ret: number; tr?: number }
  | { t: 'ret'; n: number; tr?: number }
  | { t: 'hook'; enter: boolean; off: number }
  | { t: 'movx'; signed: boolean; srcSz: number; dstSz: number; n: number; src: JitOperand }
  | { t: 'shift'; op: number; n: number; dst: JitOperand; count: number }
  | { t: 'setcc'; cc: number; dst: JitOperand }
  | { t: 'cmov'; cc: number; n: number; src: JitOperand }
  | { t: 'leave' }
  | { t: 'cdq' }
  | { t: 'nop' }
  /**
   * Consecutive straight-line instructions run as one operation (built by the block decoder). If member
   * k > 0 faults, members before it have completed: the operation leaves member k's address in
   * cpu.resume and k in cpu.resumeDone.
   */
  | { t: 'seq'; ops: JitOp[]; addrs: number[] }
  /** A compare or test fused with the conditional jump after it (built by the block decoder). */
  | { t: 'cmpjcc'; cmp: Extract<JitOp, { t: 'alu' } | { t: 'test' }>; cc: number; target: number; tr?: number };

export interface Insn {
  op: Op;
  /** IR of the instruction, when the form has one (it then runs as a generated template). */
  jit: JitOp | undefined;
  len: number;
  /** The instruction may change EIP or trap: it ends a basic block. */
  ends: boolean;
  /** A call to a function-instrumentation hook: no cycles, not an instruction of the program. */
  free: boolean;
  /** Opcode form, e.g. "01", "0f af", "66 c1/5", for coverage reports. */
  form: string;
}

export interface DecodeContext {
  /** The code byte at virtual address `a` (raises a fetch fault if it is not executable). */
  byte(a: number): number;
  /** Addresses of __cyg_profile_func_enter / _exit, or -1. */
  hookEnter: number;
  hookExit: number;
  /** Use generated instruction templates where the form has IR (default true; false = plain closures). */
  templates?: boolean;
  /**
   * Call tracing: CALL, RET, indirect jumps and jumps to a function's first instruction also report to
   * the CPU's shadow stack (`cpu.shadow`, shadow-stack.ts). Absent: nothing is traced, the code is as fast
   * as without tracing.
   */
  calls?: { isFunctionStart(addr: number): boolean };
}

/** How the message of an Unimplemented instruction (and the #UD fault it becomes) begins. */
export const UNIMPLEMENTED = 'unimplemented instruction';

export class Unimplemented extends Error {
  /** A readable name of the form (e.g. "movaps (SSE)"), or '' when unknown. */
  readonly mnemonic: string;

  constructor(
    readonly addr: number,
    readonly bytes: number[],
    readonly form: string,
  ) {
    const mnemonic = describeForm(bytes);
    super(`${UNIMPLEMENTED} ${mnemonic ? `${mnemonic}, form ` : ''}${form} at 0x${addr.toString(16)}: ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    this.name = 'Unimplemented';
    this.mnemonic = mnemonic;
  }
}

type Ea = (c: Cpu) => number;

/** Per-instruction decoding state. */
class D {
  pos: number;
  opsize: 2 | 4 = 4;
  rep: RepPrefix = 0;
  prefix66 = false;
  /** The FS (4) or GS (5) override prefix, or -1: memory operands are then offsets in that segment. */
  seg = -1;
  /** The form applied `seg` to its memory operand (a form that did not is refused, not run flat). */
  segUsed = false;
  form = '';
  // ModRM
  mod = 0;
  reg = 0;
  rm = 0;
  isReg = false;
  ea: Ea = () => 0;
  /** The effective address (offset) without the segment base: LEA, and eaSized's wrapping. */
  rawEa: Ea = () => 0;
  /** Set by decoders that do not end the block but are free (hooks). */
  free = false;
  /** Set by decoders whose instruction ends the block although their table entry does not say so. */
  endsBlock = false;
  /** IR of the instruction (set by decoders of common forms). */
  jit: JitOp | undefined = undefined;
  /** The parsed memory operand, for the IR. */
  eaInfo: JitOperand = { k: 'i', v: 0 };
  /** The instruction accesses memory through a segment (a ModRM memory operand, moffs, DS:ESI). */
  mem = false;
  /** The instruction may take a LOCK prefix (with a memory destination). */
  lockable = false;

  /** The r/m operand as IR. */
  rmOperand(): JitOperand {
    return this.isReg ? { k: 'r', n: this.rm } : this.eaInfo;
  }

  constructor(
    readonly ctx: DecodeContext,
    readonly start: number,
    /** Cycles taken by earlier instructions of the block (for RDTSC and hook timestamps). */
    readonly offset: number,
  ) {
    this.pos = start;
  }

  get next(): number {
    return this.pos >>> 0;
  }

  u8(): number {
    const b = this.ctx.byte(this.pos >>> 0);
    this.pos++;
    return b;
  }
  i8(): number {
    return (this.u8() << 24) >> 24;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  i32(): number {
    return this.u8() | (this.u8() << 8) | (this.u8() << 16) | (this.u8() << 24);
  }
  imm(sz: number): number {
    return sz === 4 ? this.i32() : sz === 2 ? this.u16() : this.u8();
  }

  modrm(): void {
    const m = this.u8();
    this.mod = m >> 6;
    this.reg = (m >> 3) & 7;
    this.rm = m & 7;
    this.isReg = this.mod === 3;
    this.mem = !this.isReg;
    if (this.isReg) return;
    this.rawEa = this.parseEa();
    this.segUsed = true;
    // An FS / GS prefix: every user of `ea` gets the linear address (limit checked for the first byte;
    // eaSized checks the whole operand). Without a prefix `ea` is the parsed closure itself.
    this.ea = this.seg < 0 ? this.rawEa : segmentedEa(this.rawEa, this.seg, 1);
  }

  /** The memory operand's address for an access of `sz` bytes (the segment limit covers all of it). */
  eaSized(sz: number): Ea {
    return this.seg < 0 ? this.rawEa : segmentedEa(this.rawEa, this.seg, sz);
  }

  private parseEa(): Ea {
    let base = this.rm;
    let index = -1;
    let scale = 0;
    let disp = 0;
    if (this.rm === 4) {
      const s = this.u8();
      scale = s >> 6;
      index = (s >> 3) & 7;
      if (index === 4) index = -1;
      base = s & 7;
      if (base === 5 && this.mod === 0) {
        base = -1;
        disp = this.i32();
      }
    } else if (this.rm === 5 && this.mod === 0) {
      base = -1;
      disp = this.i32();
    }
    if (this.mod === 1) disp = this.i8();
    else if (this.mod === 2) disp = this.i32();
    const b = base;
    const i = index;
    const sc = scale;
    const d = disp | 0;
    this.eaInfo = { k: 'm', b, i, s: sc, d };
    if (b < 0 && i < 0) return () => d;
    if (i < 0) return d === 0 ? (c) => c.r[b]! : (c) => (c.r[b]! + d) | 0;
    if (b < 0) return (c) => ((c.r[i]! << sc) + d) | 0;
    return d === 0 ? (c) => (c.r[b]! + (c.r[i]! << sc)) | 0 : (c) => (c.r[b]! + (c.r[i]! << sc) + d) | 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Operand access by size

const getReg = (c: Cpu, n: number, sz: number): number => (sz === 4 ? c.r[n]! : sz === 2 ? c.r[n]! & 0xffff : c.get8(n));
function setReg(c: Cpu, n: number, v: number, sz: number): void {
  if (sz === 4) c.r[n] = v;
  else if (sz === 2) c.set16(n, v);
  else c.set8(n, v);
}
const readMem = (c: Cpu, a: number, sz: number): number => (sz === 4 ? c.read32(a) : sz === 2 ? c.read16(a) : c.read8(a));
function writeMem(c: Cpu, a: number, v: number, sz: number): void {
  if (sz === 4) c.write32(a, v);
  else if (sz === 2) c.write16(a, v);
  else c.write8(a, v);
}

/** Read the r/m operand (register or memory). */
function rmReader(d: D, sz: number): (c: Cpu) => number {
  if (d.isReg) {
    const n = d.rm;
    if (sz === 4) return (c) => c.r[n]!;
    return (c) => getReg(c, n, sz);
  }
  const ea = d.eaSized(sz);
  if (sz === 4) return (c) => c.read32(ea(c));
  return (c) => readMem(c, ea(c), sz);
}

/** Write the r/m operand. */
function rmWriter(d: D, sz: number): (c: Cpu, v: number) => void {
  if (d.isReg) {
    const n = d.rm;
    if (sz === 4) return (c, v) => (c.r[n] = v);
    return (c, v) => setReg(c, n, v, sz);
  }
  const ea = d.eaSized(sz);
  if (sz === 4) return (c, v) => c.write32(ea(c), v);
  return (c, v) => writeMem(c, ea(c), v, sz);
}

/**
 * Read-modify-write of the r/m operand: `f(c, old)` returns the new value, or undefined to write nothing.
 * The address is computed once.
 */
function rmw(d: D, sz: number, f: (c: Cpu, old: number) => number | undefined): Op {
  if (d.isReg) {
    const n = d.rm;
    return (c) => {
      const v = f(c, getReg(c, n, sz));
      if (v !== undefined) setReg(c, n, v, sz);
    };
  }
  const ea = d.eaSized(sz);
  // The destination is translated for writing first: a fault (read-only or absent page) then leaves
  // registers, flags and memory as they were, and the instruction can simply be executed again.
  return (c) => {
    const a = ea(c);
    const p = c.wpa(a, sz);
    const v = f(c, c.ldp(p, a, sz));
    if (v !== undefined) c.stp(p, a, v, sz);
  };
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');

// ---------------------------------------------------------------------------------------------------
// Instruction families

/** 00-3F: ALU r/m,reg / reg,r/m / acc,imm. */
function aluFamily(d: D, opcode: number): Op {
  const op = opcode >> 3;
  const f = opcode & 7;
  const sz = f & 1 ? d.opsize : 1;
  const fn = ALU[sz]![op]!;
  const wb = op !== 7;
  if (f === 4 || f === 5) {
    const imm = sz === 4 ? d.i32() : d.imm(sz);
    d.jit = { t: 'alu', op, sz, dst: { k: 'r', n: EAX }, src: { k: 'i', v: imm } };
    if (sz === 4) return wb ? (c) => void (c.r[EAX] = fn(c, c.r[EAX]!, imm)) : (c) => void fn(c, c.r[EAX]!, imm);
    return (c) => {
      const r = fn(c, getReg(c, EAX, sz), imm);
      if (wb) setReg(c, EAX, r, sz);
    };
  }
  d.modrm();
  const reg = d.reg;
  const toReg = (f & 2) !== 0;
  d.lockable = !toReg && wb;
  d.jit = toReg ? { t: 'alu', op, sz, dst: { k: 'r', n: reg }, src: d.rmOperand() } : { t: 'alu', op, sz, dst: d.rmOperand(), src: { k: 'r', n: reg } };
  if (d.isReg && sz === 4) {
    const rm = d.rm;
    if (toReg) return wb ? (c) => void (c.r[reg] = fn(c, c.r[reg]!, c.r[rm]!)) : (c) => void fn(c, c.r[reg]!, c.r[rm]!);
    return wb ? (c) => void (c.r[rm] = fn(c, c.r[rm]!, c.r[reg]!)) : (c) => void fn(c, c.r[rm]!, c.r[reg]!);
  }
  if (toReg) {
    const src = rmReader(d, sz);
    if (sz === 4) return wb ? (c) => void (c.r[reg] = fn(c, c.r[reg]!, src(c))) : (c) => void fn(c, c.r[reg]!, src(c));
    return (c) => {
      const r = fn(c, getReg(c, reg, sz), src(c));
      if (wb) setReg(c, reg, r, sz);
    };
  }
  if (!wb) {
    const src = rmReader(d, sz);
    return (c) => void fn(c, src(c), getReg(c, reg, sz));
  }
  return rmw(d, sz, (c, old) => fn(c, old, getReg(c, reg, sz)));
}

/** 80/81/82/83: ALU r/m, imm. */
function aluImm(d: D, opcode: number): Op {
  const sz = opcode === 0x80 || opcode === 0x82 ? 1 : d.opsize;
  d.modrm();
  const op = d.reg;
  d.form += `/${op}`;
  d.lockable = op !== 7;
  const imm = opcode === 0x83 ? sext(d.i8(), 4) & sizeMask(sz) : d.imm(sz);
  const v = sz === 4 ? imm | 0 : imm & sizeMask(sz);
  d.jit = { t: 'alu', op, sz, dst: d.rmOperand(), src: { k: 'i', v } };
  const fn = ALU[sz]![op]!;
  const wb = op !== 7;
  if (d.isReg && sz === 4) {
    const n = d.rm;
    return wb ? (c) => void (c.r[n] = fn(c, c.r[n]!, v)) : (c) => void fn(c, c.r[n]!, v);
  }
  if (!wb) {
    const src = rmReader(d, sz);
    return (c) => void fn(c, src(c), v);
  }
  return rmw(d, sz, (c, old) => fn(c, old, v));
}

/** MOV forms. */
function movRmReg(d: D, opcode: number): Op {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  const reg = d.reg;
  d.jit = opcode & 2 ? { t: 'mov', sz, dst: { k: 'r', n: reg }, src: d.rmOperand() } : { t: 'mov', sz, dst: d.rmOperand(), src: { k: 'r', n: reg } };
  if (opcode & 2) {
    // MOV reg, r/m
    if (d.isReg && sz === 4) {
      const s = d.rm;
      return (c) => void (c.r[reg] = c.r[s]!);
    }
    if (sz === 4) {
      const ea = d.eaSized(4);
      return (c) => void (c.r[reg] = c.read32(ea(c)));
    }
    const src = rmReader(d, sz);
    return (c) => setReg(c, reg, src(c), sz);
  }
  // MOV r/m, reg
  if (sz === 4) {
    if (d.isReg) {
      const t = d.rm;
      return (c) => void (c.r[t] = c.r[reg]!);
    }
    const ea = d.eaSized(4);
    return (c) => c.write32(ea(c), c.r[reg]!);
  }
  const dst = rmWriter(d, sz);
  return (c) => dst(c, getReg(c, reg, sz));
}

function shiftGroup(d: D, opcode: number): Op {
  const sz = opcode === 0xc0 || opcode === 0xd0 || opcode === 0xd2 ? 1 : d.opsize;
  d.modrm();
  const op = d.reg;
  d.form += `/${op}`;
  let countOf: (c: Cpu) => number;
  if (opcode === 0xc0 || opcode === 0xc1) {
    const n = d.u8() & 31;
    countOf = () => n;
    if (sz === 4 && n !== 0 && (op === 4 || op === 5 || op === 6 || op === 7)) d.jit = { t: 'shift', op: op === 6 ? 4 : op, n: 0, dst: d.rmOperand(), count: n };
  } else if (opcode === 0xd0 || opcode === 0xd1) {
    countOf = () => 1;
    if (sz === 4 && (op === 4 || op === 5 || op === 6 || op === 7)) d.jit = { t: 'shift', op: op === 6 ? 4 : op, n: 0, dst: d.rmOperand(), count: 1 };
  } else countOf = (c) => c.r[ECX]! & 31;
  return rmw(d, sz, (c, old) => {
    const n = countOf(c);
    return n === 0 ? undefined : shiftOp(c, op, old, n, sz);
  });
}

/** F6/F7 group 3: TEST NOT NEG MUL IMUL DIV IDIV. */
function group3(d: D, opcode: number): Op {
  const sz = opcode === 0xf6 ? 1 : d.opsize;
  d.modrm();
  const op = d.reg;
  d.form += `/${op}`;
  const src = rmReader(d, sz);
  switch (op) {
    case 0:
    case 1: {
      const imm = d.imm(sz);
      d.jit = { t: 'test', sz, a: d.rmOperand(), b: { k: 'i', v: imm } };
      return (c) => test(c, src(c), imm, sz);
    }
    case 2:
      d.lockable = true;
      return rmw(d, sz, (_c, old) => ~old & sizeMask(sz));
    case 3:
      d.lockable = true;
      return rmw(d, sz, (c, old) => neg(c, old, sz));
    case 4:
      return (c) => mul(c, src(c), sz);
    case 5:
      return (c) => imul1(c, src(c), sz);
    case 6:
      return (c) => div(c, src(c), sz);
    default:
      return (c) => idiv(c, src(c), sz);
  }
}

function condBranch(d: D, cc: number, rel: number): Op {
  if (d.opsize === 2) {
    // 66 Jcc: a taken branch truncates EIP to 16 bits
    const t16 = (d.next + rel) & 0xffff;
    return (c) => {
      if (c.cond(cc)) c.eip = t16;
    };
  }
  const target = (d.next + rel) >>> 0;
  const tr = tailTrace(d, target);
  if (tr >= 0) {
    // A conditional tail call (gcc emits `jcc function`): traced when taken.
    d.jit = { t: 'jcc', cc, target, tr };
    return (c) => {
      if (c.cond(cc)) {
        c.eip = target;
        c.shadow!.jump(target, c.r[ESP]! >>> 0, c.blockTime + tr);
      }
    };
  }
  d.jit = { t: 'jcc', cc, target };
  return (c) => {
    if (c.cond(cc)) c.eip = target;
  };
}

/** The event time offset of an instruction that ends a control transfer (call tracing), else -1. */
const traceTime = (d: D): number => (d.ctx.calls ? d.offset + 1 : -1);
/** traceTime for a direct jump: only when its target is a function's first instruction (a tail call). */
const tailTrace = (d: D, target: number): number => (d.ctx.calls?.isFunctionStart(target) ? d.offset + 1 : -1);

/** FF group 5: INC DEC CALL JMP PUSH. */
function group5(d: D): Op | null {
  d.modrm();
  const op = d.reg;
  d.form += `/${op}`;
  const sz = d.opsize;
  switch (op) {
    case 0:
      d.lockable = true;
      d.jit = { t: 'incdec', inc: true, sz, dst: d.rmOperand() };
      return rmw(d, sz, (c, old) => inc(c, old, sz));
    case 1:
      d.lockable = true;
      d.jit = { t: 'incdec', inc: false, sz, dst: d.rmOperand() };
      return rmw(d, sz, (c, old) => dec(c, old, sz));
    case 2: {
      d.endsBlock = true;
      if (sz !== 4) {
        // 66 CALL r/m16: pushes IP (16 bits), EIP = the 16-bit target
        const src16 = rmReader(d, 2);
        const ret16 = d.next & 0xffff;
        return (c) => {
          const t = src16(c) & 0xffff;
          c.push16(ret16);
          c.eip = t;
        };
      }
      const src = rmReader(d, 4);
      const ret = d.next;
      const tr = traceTime(d);
      if (tr >= 0) {
        d.jit = { t: 'callind', src: d.rmOperand(), ret, tr };
        return (c) => {
          const t = src(c) >>> 0;
          c.push32(ret);
          c.eip = t;
          c.shadow!.call(t, ret, c.r[ESP]! >>> 0, c.blockTime + tr);
        };
      }
      d.jit = { t: 'callind', src: d.rmOperand(), ret };
      return (c) => {
        const t = src(c) >>> 0;
        c.push32(ret);
        c.eip = t;
      };
    }
    case 4: {
      d.endsBlock = true;
      if (sz !== 4) {
        const src16 = rmReader(d, 2); // 66 JMP r/m16: EIP = the 16-bit target
        return (c) => void (c.eip = src16(c) & 0xffff);
      }
      const src = rmReader(d, 4);
      const tr = traceTime(d);
      if (tr >= 0) {
        d.jit = { t: 'jmpind', src: d.rmOperand(), tr };
        return (c) => {
          const t = src(c) >>> 0;
          c.eip = t;
          c.shadow!.jump(t, c.r[ESP]! >>> 0, c.blockTime + tr);
        };
      }
      d.jit = { t: 'jmpind', src: d.rmOperand() };
      return (c) => void (c.eip = src(c) >>> 0);
    }
    case 6: {
      const src = rmReader(d, sz);
      if (sz === 4) d.jit = { t: 'push', src: d.rmOperand() };
      return sz === 4 ? (c) => c.push32(src(c)) : (c) => c.push16(src(c));
    }
    default:
      return null;
  }
}

function stringInsn(d: D, opcode: number): Op {
  const kinds: Record<number, StringKind> = { 0xa4: 'movs', 0xa6: 'cmps', 0xaa: 'stos', 0xac: 'lods', 0xae: 'scas' };
  const kind = kinds[opcode & 0xfe]!;
  const sz = opcode & 1 ? d.opsize : 1;
  d.mem = kind === 'movs' || kind === 'cmps' || kind === 'lods'; // their DS:ESI source takes a segment override
  if (d.rep !== 0) d.endsBlock = true; // interruptible between iterations: it must end its block
  d.segUsed = true;
  return stringOp(kind, sz, d.rep, d.start >>> 0, d.offset, d.mem ? d.seg : -1);
}

// ---------------------------------------------------------------------------------------------------
// Opcode tables

type Decode = (d: D, opcode: number) => Op | null;
/** Decoders that end a basic block (they may change EIP or trap). */
const ENDS = new Set<Decode>();
function ends(f: Decode): Decode {
  ENDS.add(f);
  return f;
}

const PRIMARY: (Decode | undefined)[] = new Array(256);
const SECONDARY: (Decode | undefined)[] = new Array(256);

for (let op = 0; op < 8; op++) for (let f = 0; f < 6; f++) PRIMARY[(op << 3) | f] = aluFamily;
for (let r = 0; r < 8; r++) {
  PRIMARY[0x40 + r] = (d) => {
    const sz = d.opsize;
    d.jit = { t: 'incdec', inc: true, sz, dst: { k: 'r', n: r } };
    return (c) => setReg(c, r, inc(c, getReg(c, r, sz), sz), sz);
  };
  PRIMARY[0x48 + r] = (d) => {
    const sz = d.opsize;
    d.jit = { t: 'incdec', inc: false, sz, dst: { k: 'r', n: r } };
    return (c) => setReg(c, r, dec(c, getReg(c, r, sz), sz), sz);
  };
  PRIMARY[0x50 + r] = (d) => (d.opsize === 4 ? ((d.jit = { t: 'push', src: { k: 'r', n: r } }), r === ESP ? (c) => c.push32(c.r[ESP]!) : (c) => c.push32(c.r[r]!)) : (c) => c.push16(c.r[r]! & 0xffff));
  PRIMARY[0x58 + r] = (d) =>
    d.opsize === 4
      ? ((d.jit = { t: 'pop', n: r }),
        (c) => {
          const v = c.pop32();
          c.r[r] = v;
        })
      : (c) => {
          const v = c.pop16();
          c.set16(r, v);
        };
  PRIMARY[0xb0 + r] = (d) => {
    const v = d.u8();
    d.jit = { t: 'mov', sz: 1, dst: { k: 'r', n: r }, src: { k: 'i', v } };
    return (c) => c.set8(r, v);
  };
  PRIMARY[0xb8 + r] = (d) => {
    const v = d.imm(d.opsize);
    d.jit = { t: 'mov', sz: d.opsize, dst: { k: 'r', n: r }, src: { k: 'i', v } };
    return d.opsize === 4 ? (c) => void (c.r[r] = v) : (c) => c.set16(r, v);
  };
  if (r > 0) {
    PRIMARY[0x90 + r] = (d) => {
      const sz = d.opsize;
      return (c) => {
        const t = getReg(c, EAX, sz);
        setReg(c, EAX, getReg(c, r, sz), sz);
        setReg(c, r, t, sz);
      };
    };
  }
}
PRIMARY[0x90] = (d) => (d.rep === 0xf2 ? null : ((d.jit = { t: 'nop' }), () => {})); // NOP, 66 NOP, F3 90 PAUSE
PRIMARY[0x68] = (d) => {
  const v = d.imm(d.opsize);
  if (d.opsize === 4) d.jit = { t: 'push', src: { k: 'i', v } };
  return d.opsize === 4 ? (c) => c.push32(v) : (c) => c.push16(v);
};
PRIMARY[0x6a] = (d) => {
  const v = d.i8();
  if (d.opsize === 4) d.jit = { t: 'push', src: { k: 'i', v } };
  return d.opsize === 4 ? (c) => c.push32(v) : (c) => c.push16(v & 0xffff);
};
PRIMARY[0x69] = (d) => {
  d.modrm();
  const reg = d.reg;
  const sz = d.opsize;
  const src = rmReader(d, sz);
  const imm = d.imm(sz);
  return (c) => setReg(c, reg, imm2(c, src(c), imm, sz), sz);
};
PRIMARY[0x6b] = (d) => {
  d.modrm();
  const reg = d.reg;
  const sz = d.opsize;
  const src = rmReader(d, sz);
  const imm = d.i8();
  return (c) => setReg(c, reg, imm2(c, src(c), imm, sz), sz);
};
function imm2(c: Cpu, a: number, b: number, sz: number): number {
  return imul2(c, a, b, sz);
}
for (let cc = 0; cc < 16; cc++) {
  PRIMARY[0x70 + cc] = ends((d) => condBranch(d, cc, d.i8()));
  SECONDARY[0x80 + cc] = ends((d) => condBranch(d, cc, d.opsize === 4 ? d.i32() : (d.u16() << 16) >> 16));
  SECONDARY[0x90 + cc] = (d) => {
    d.modrm();
    d.jit = { t: 'setcc', cc, dst: d.rmOperand() };
    const dst = rmWriter(d, 1);
    return (c) => dst(c, c.cond(cc) ? 1 : 0);
  };
  SECONDARY[0x40 + cc] = (d) => {
    d.modrm();
    const reg = d.reg;
    const sz = d.opsize;
    const src = rmReader(d, sz);
    if (sz === 4) d.jit = { t: 'cmov', cc, n: reg, src: d.rmOperand() };
    return (c) => {
      const v = src(c); // the source is read (and may fault) whatever the condition
      if (c.cond(cc)) setReg(c, reg, v, sz);
    };
  };
}
PRIMARY[0x80] = aluImm;
PRIMARY[0x81] = aluImm;
PRIMARY[0x82] = aluImm;
PRIMARY[0x83] = aluImm;
PRIMARY[0x84] = PRIMARY[0x85] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  const reg = d.reg;
  const src = rmReader(d, sz);
  d.jit = { t: 'test', sz, a: d.rmOperand(), b: { k: 'r', n: reg } };
  return (c) => test(c, src(c), getReg(c, reg, sz), sz);
};
PRIMARY[0x86] = PRIMARY[0x87] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  d.lockable = true;
  const reg = d.reg;
  return rmw(d, sz, (c, old) => {
    const v = getReg(c, reg, sz);
    setReg(c, reg, old, sz);
    return v;
  });
};
for (const o of [0x88, 0x89, 0x8a, 0x8b]) PRIMARY[o] = movRmReg;
PRIMARY[0x8d] = (d) => {
  d.modrm();
  d.mem = false; // only the address is computed
  if (d.isReg) return null;
  const reg = d.reg;
  const ea = d.rawEa; // an offset: a segment prefix does not change it
  if (d.opsize === 4) d.jit = { t: 'lea', n: reg, ea: d.eaInfo };
  return d.opsize === 4 ? (c) => void (c.r[reg] = ea(c)) : (c) => c.set16(reg, ea(c));
};
PRIMARY[0x8f] = (d) => {
  d.modrm();
  if (d.reg !== 0) return null;
  d.form += '/0';
  const sz = d.opsize;
  if (d.isReg) {
    const n = d.rm;
    return sz === 4 ? (c) => void (c.r[n] = c.pop32()) : (c) => c.set16(n, c.pop16());
  }
  const ea = d.ea;
  // The address is computed after ESP was incremented (a base of ESP sees the new value).
  return (c) => {
    const sp = c.r[ESP]!;
    const v = readMem(c, sp, sz);
    c.r[ESP] = sp + sz;
    try {
      writeMem(c, ea(c), v, sz);
    } catch (e) {
      c.r[ESP] = sp;
      throw e;
    }
  };
};
PRIMARY[0x98] = (d) => (d.opsize === 4 ? (c) => void (c.r[EAX] = (c.r[EAX]! << 16) >> 16) : (c) => c.set16(EAX, (c.r[EAX]! << 24) >> 24));
PRIMARY[0x99] = (d) => (d.opsize === 4 ? ((d.jit = { t: 'cdq' }), (c) => void (c.r[EDX] = c.r[EAX]! >> 31)) : (c) => c.set16(EDX, (c.r[EAX]! << 16) >> 31));
PRIMARY[0x9c] = (d) => (d.opsize === 4 ? (c) => c.push32(c.eflags()) : (c) => c.push16(c.eflags()));
PRIMARY[0x9d] = (d) => (d.opsize === 4 ? (c) => c.setEflags(c.pop32()) : (c) => c.setEflags(c.pop16(), USER_FLAGS & 0xffff));
PRIMARY[0x9e] = () => (c) => c.setFlagBits(SF | ZF | AF | PF | CF, c.get8(4));
PRIMARY[0x9f] = () => (c) => {
  c.materialize();
  c.set8(4, (c.flags & (SF | ZF | AF | PF | CF)) | 2);
};
PRIMARY[0xa0] = PRIMARY[0xa1] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  const addr = d.i32();
  d.mem = true;
  d.jit = { t: 'mov', sz, dst: { k: 'r', n: EAX }, src: { k: 'm', b: -1, i: -1, s: 0, d: addr } };
  if (d.seg >= 0) {
    const at = segmentedEa(() => addr, d.seg, sz);
    d.segUsed = true;
    return (c) => setReg(c, EAX, readMem(c, at(c), sz), sz);
  }
  return (c) => setReg(c, EAX, readMem(c, addr, sz), sz);
};
PRIMARY[0xa2] = PRIMARY[0xa3] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  const addr = d.i32();
  d.mem = true;
  d.jit = { t: 'mov', sz, dst: { k: 'm', b: -1, i: -1, s: 0, d: addr }, src: { k: 'r', n: EAX } };
  if (d.seg >= 0) {
    const at = segmentedEa(() => addr, d.seg, sz);
    d.segUsed = true;
    return (c) => writeMem(c, at(c), getReg(c, EAX, sz), sz);
  }
  return (c) => writeMem(c, addr, getReg(c, EAX, sz), sz);
};
for (const o of [0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]) PRIMARY[o] = stringInsn;
PRIMARY[0xa8] = PRIMARY[0xa9] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  const imm = d.imm(sz);
  d.jit = { t: 'test', sz, a: { k: 'r', n: EAX }, b: { k: 'i', v: imm } };
  return (c) => test(c, getReg(c, EAX, sz), imm, sz);
};
PRIMARY[0xc0] = PRIMARY[0xc1] = PRIMARY[0xd0] = PRIMARY[0xd1] = PRIMARY[0xd2] = PRIMARY[0xd3] = shiftGroup;
PRIMARY[0xc2] = ends((d) => {
  const n = d.u16();
  if (d.opsize === 2) {
    // 66 RET imm16: pops IP (16 bits)
    return (c) => {
      const t = c.read16(c.r[ESP]!);
      c.r[ESP] = c.r[ESP]! + 2 + n;
      c.eip = t;
    };
  }
  return ret32(d, n);
});
PRIMARY[0xc3] = ends((d) => (d.opsize === 2 ? (c) => void (c.eip = c.pop16()) : ret32(d, 0)));

/** RET and RET imm16 (32-bit). */
function ret32(d: D, n: number): Op {
  const tr = traceTime(d);
  if (tr >= 0) {
    d.jit = { t: 'ret', n, tr };
    return (c) => {
      const sp = c.r[ESP]!;
      const t = c.read32(sp) >>> 0;
      c.r[ESP] = sp + 4 + n;
      c.eip = t;
      c.shadow!.ret(t, sp >>> 0, c.blockTime + tr);
    };
  }
  d.jit = { t: 'ret', n };
  if (n === 0) return (c) => void (c.eip = c.pop32() >>> 0);
  return (c) => {
    const t = c.read32(c.r[ESP]!);
    c.r[ESP] = c.r[ESP]! + 4 + n;
    c.eip = t >>> 0;
  };
}
PRIMARY[0xc6] = PRIMARY[0xc7] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  if (d.reg !== 0) return null;
  d.form += '/0';
  const dst = rmWriter(d, sz);
  const imm = d.imm(sz);
  d.jit = { t: 'mov', sz, dst: d.rmOperand(), src: { k: 'i', v: imm } };
  return (c) => dst(c, imm);
};
PRIMARY[0xc9] = (d) =>
  d.opsize === 4
    ? ((d.jit = { t: 'leave' }),
      (c) => {
        const v = c.read32(c.r[EBP]!);
        c.r[ESP] = c.r[EBP]! + 4;
        c.r[EBP] = v;
      })
    : (c) => {
        // 66 LEAVE: ESP = EBP (32-bit stack), then pop 16 bits into BP
        const v = c.read16(c.r[EBP]!);
        c.r[ESP] = c.r[EBP]! + 2;
        c.set16(EBP, v);
      };
PRIMARY[0xcc] = ends(() => (c) => void (c.trap = 3));
/**
 * Vectors a user program may raise with INT n (gates with DPL 3): int3 and into's vector 4, Linux's
 * system-call gate 0x80, and L4's system calls 0x30..0x36. Any other is a #GP whose error code names
 * the vector (vector * 8 + 2), as natively.
 */
const USER_VECTORS = new Set([3, 4, 0x80, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);
PRIMARY[0xcd] = ends((d) => {
  const n = d.u8();
  if (!USER_VECTORS.has(n)) return (c) => c.raise('gp', `int $0x${n.toString(16)}: not a user gate`, 0, false, false, n * 8 + 2);
  return (c) => void (c.trap = n);
});
PRIMARY[0xce] = ends(() => (c) => {
  if (c.of()) c.trap = 4; // INTO: the overflow trap when OF is set
});
PRIMARY[0xe8] = ends((d) => {
  const rel = d.opsize === 4 ? d.i32() : (d.u16() << 16) >> 16;
  const ret = d.next;
  if (d.opsize === 2) {
    // 66 CALL rel16: pushes IP (16 bits), EIP truncated to 16 bits
    const t16 = (ret + rel) & 0xffff;
    return (c) => {
      c.push16(ret & 0xffff);
      c.eip = t16;
    };
  }
  const target = (ret + rel) >>> 0;
  if (target === d.ctx.hookEnter || target === d.ctx.hookExit) {
    // -finstrument-functions hook: record the event, skip the empty hook body, cost nothing.
    d.free = true;
    const enter = target === d.ctx.hookEnter;
    const off = d.offset;
    d.jit = { t: 'hook', enter, off };
    return (c) => c.funcHook(enter, c.read32(c.r[ESP]!) >>> 0, c.blockTime + off);
  }
  const tr = traceTime(d);
  if (tr >= 0) {
    d.jit = { t: 'call', target, ret, tr };
    return (c) => {
      c.push32(ret);
      c.eip = target;
      c.shadow!.call(target, ret, c.r[ESP]! >>> 0, c.blockTime + tr);
    };
  }
  d.jit = { t: 'call', target, ret };
  return (c) => {
    c.push32(ret);
    c.eip = target;
  };
});
/** A direct JMP: traced as a possible tail call when its target is a function's first instruction. */
function jump(d: D, target: number): Op {
  const tr = tailTrace(d, target);
  if (tr >= 0) {
    d.jit = { t: 'jmp', target, tr };
    return (c) => {
      c.eip = target;
      c.shadow!.jump(target, c.r[ESP]! >>> 0, c.blockTime + tr);
    };
  }
  d.jit = { t: 'jmp', target };
  return (c) => void (c.eip = target);
}
/**
 * A sibling call to an instrumentation hook (gcc turns `call __cyg_profile_func_exit; ret` into a
 * `jmp`): the hook's argument sits above the return address, and the hook's `ret` goes back to the
 * caller of the instrumented function. Recorded like a call to the hook, executed as that `ret`.
 */
function tailHook(d: D, target: number): Op {
  const enter = target === d.ctx.hookEnter;
  const off = d.offset;
  if (d.ctx.calls) {
    // Call tracing: the hook's `ret` is the instrumented function's return.
    return (c) => {
      const sp = c.r[ESP]! >>> 0;
      c.funcHook(enter, c.read32((sp + 4) >>> 0) >>> 0, c.blockTime + off);
      const t = c.read32(sp) >>> 0;
      c.eip = t;
      c.r[ESP] = (sp + 4) >>> 0;
      c.shadow!.ret(t, sp, c.blockTime + off);
    };
  }
  return (c) => {
    const sp = c.r[ESP]! >>> 0;
    c.funcHook(enter, c.read32((sp + 4) >>> 0) >>> 0, c.blockTime + off);
    c.eip = c.read32(sp) >>> 0;
    c.r[ESP] = (sp + 4) >>> 0;
  };
}
const isHook = (d: D, target: number): boolean => target === d.ctx.hookEnter || target === d.ctx.hookExit;

PRIMARY[0xe9] = ends((d) => {
  const rel = d.opsize === 4 ? d.i32() : (d.u16() << 16) >> 16;
  if (d.opsize === 2) {
    const t16 = (d.next + rel) & 0xffff; // 66 JMP rel16
    return (c) => void (c.eip = t16);
  }
  const target = (d.next + rel) >>> 0;
  if (isHook(d, target)) return tailHook(d, target);
  return jump(d, target);
});
PRIMARY[0xeb] = ends((d) => {
  const rel = d.i8(); // read the displacement before taking the end of the instruction
  if (d.opsize === 2) {
    const t16 = (d.next + rel) & 0xffff; // 66 JMP rel8
    return (c) => void (c.eip = t16);
  }
  const target = (d.next + rel) >>> 0;
  if (isHook(d, target)) return tailHook(d, target);
  return jump(d, target);
});
PRIMARY[0xf4] = ends(() => (c) => c.raise('gp', 'hlt in user mode'));
/** Instructions user mode may not execute (IOPL 0): a #GP, as natively (SIGSEGV). */
const privileged = (what: string, immBytes = 0): Decode => (d) => {
  for (let i = 0; i < immBytes; i++) d.u8();
  return (c) => c.raise('gp', `${what} in user mode`);
};
PRIMARY[0xfa] = privileged('cli');
PRIMARY[0xfb] = privileged('sti');
for (const o of [0xe4, 0xe5, 0xe6, 0xe7]) PRIMARY[o] = privileged(o < 0xe6 ? 'in' : 'out', 1);
for (const o of [0xec, 0xed, 0xee, 0xef]) PRIMARY[o] = privileged(o < 0xee ? 'in' : 'out');
for (const o of [0x6c, 0x6d, 0x6e, 0x6f]) PRIMARY[o] = privileged(o < 0x6e ? 'ins' : 'outs');
PRIMARY[0xf5] = () => (c) => c.setFlagBits(CF, c.cf() ^ CF);
PRIMARY[0xf6] = PRIMARY[0xf7] = group3;
PRIMARY[0xf8] = () => (c) => c.setFlagBits(CF, 0);
PRIMARY[0xf9] = () => (c) => c.setFlagBits(CF, CF);
PRIMARY[0xfc] = () => (c) => void (c.flags &= ~DF);
PRIMARY[0xfd] = () => (c) => void (c.flags |= DF);
PRIMARY[0xfe] = (d) => {
  d.modrm();
  d.form += `/${d.reg}`;
  if (d.reg === 0 || d.reg === 1) d.jit = { t: 'incdec', inc: d.reg === 0, sz: 1, dst: d.rmOperand() };
  d.lockable = d.reg === 0 || d.reg === 1;
  if (d.reg === 0) return rmw(d, 1, (c, old) => inc(c, old, 1));
  if (d.reg === 1) return rmw(d, 1, (c, old) => dec(c, old, 1));
  return null;
};
PRIMARY[0xff] = (d) => group5(d);
for (let o = 0xd8; o <= 0xdf; o++) PRIMARY[o] = decodeX87;
PRIMARY[0x9b] = () => fwait;

// 0F xx
SECONDARY[0x0b] = ends(() => (c) => c.raise('ud', 'ud2'));
SECONDARY[0x1e] = SECONDARY[0x1f] = (d) => {
  d.modrm(); // hint NOPs (0F 1F NOPL, F3 0F 1E FB ENDBR32): the operand is never accessed
  d.mem = false;
  d.jit = { t: 'nop' };
  return () => {};
};
SECONDARY[0x31] = (d) => {
  const off = d.offset;
  return (c) => {
    const t = c.blockTime + off;
    c.r[EAX] = t % 0x100000000;
    c.r[EDX] = Math.floor(t / 0x100000000);
  };
};
/**
 * CPUID, as the simulated Pentium Pro answers: leaf 0 gives the highest leaf (1) and "GenuineIntel";
 * leaf 1 family 6, model 1, stepping 9, and in EDX the features the interpreter has: the x87 FPU (bit 0),
 * TSC (bit 4), CMPXCHG8B (bit 8) and CMOV (bit 15). No MMX, FXSR or SSE: libraries take their plain
 * i686 code paths, and such an instruction is #UD. Higher leaves answer as leaf 1, as Intel CPUs do for leaves
 * beyond the highest.
 */
export const CPUID_SIGNATURE = 0x619;
export const CPUID_FEATURES = (1 << 0) | (1 << 4) | (1 << 8) | (1 << 15);
SECONDARY[0xa2] = () => (c) => {
  if (c.r[EAX] === 0) {
    c.r[EAX] = 1;
    c.r[EBX] = 0x756e6547; // "Genu"
    c.r[EDX] = 0x49656e69; // "ineI"
    c.r[ECX] = 0x6c65746e; // "ntel"
    return;
  }
  c.r[EAX] = CPUID_SIGNATURE;
  c.r[EBX] = 0;
  c.r[ECX] = 0;
  c.r[EDX] = CPUID_FEATURES;
};
SECONDARY[0xaf] = (d) => {
  d.modrm();
  const reg = d.reg;
  const sz = d.opsize;
  const src = rmReader(d, sz);
  return (c) => setReg(c, reg, imul2(c, getReg(c, reg, sz), src(c), sz), sz);
};
SECONDARY[0xa4] = SECONDARY[0xa5] = SECONDARY[0xac] = SECONDARY[0xad] = (d, opcode) => {
  d.modrm();
  const reg = d.reg;
  const sz = d.opsize;
  let countOf: (c: Cpu) => number;
  if (opcode === 0xa4 || opcode === 0xac) {
    const n = d.u8() & 31;
    countOf = () => n;
  } else countOf = (c) => c.r[ECX]! & 31;
  const left = opcode < 0xa8;
  return rmw(d, sz, (c, old) => {
    const n = countOf(c);
    if (n === 0) return undefined;
    return left ? shld(c, old, getReg(c, reg, sz), n, sz) : shrd(c, old, getReg(c, reg, sz), n, sz);
  });
};
/** BT/BTS/BTR/BTC: 0 test, 1 set, 2 reset, 3 complement. */
function bitOp(d: D, kind: number, offsetOf: ((c: Cpu) => number) | number): Op {
  const sz = d.opsize;
  d.lockable = kind !== 0;
  const bits = sz * 8;
  if (d.isReg || typeof offsetOf === 'number') {
    // Register operand, or memory with an immediate offset: the offset is taken modulo the size.
    const get = (c: Cpu): number => (typeof offsetOf === 'number' ? offsetOf : offsetOf(c)) & (bits - 1);
    if (kind === 0) {
      const src = rmReader(d, sz); // BT only reads (it works on read-only memory)
      return (c) => {
        const bit = get(c);
        c.setFlagBits(CF, (src(c) >>> bit) & 1);
      };
    }
    return rmw(d, sz, (c, old) => {
      const bit = get(c);
      const m = 1 << bit;
      c.setFlagBits(CF, (old >>> bit) & 1);
      if (kind === 0) return undefined;
      const v = kind === 1 ? old | m : kind === 2 ? old & ~m : old ^ m;
      return sz === 4 ? v | 0 : v & 0xffff;
    });
  }
  // Memory with a register offset: the bit string extends beyond the operand (signed offset).
  const ea = d.ea;
  const offFn = offsetOf;
  return (c) => {
    const off = sz === 4 ? offFn(c) | 0 : (offFn(c) << 16) >> 16;
    const a = (ea(c) + Math.floor(off / bits) * sz) | 0;
    const bit = ((off % bits) + bits) % bits;
    if (kind === 0) {
      c.setFlagBits(CF, (readMem(c, a, sz) >>> bit) & 1);
      return;
    }
    const p = c.wpa(a, sz); // translated for writing before CF changes
    const old = c.ldp(p, a, sz);
    const m = 1 << bit;
    const v = kind === 1 ? old | m : kind === 2 ? old & ~m : old ^ m;
    c.stp(p, a, v, sz);
    c.setFlagBits(CF, (old >>> bit) & 1);
  };
}
for (const [opcode, kind] of [
  [0xa3, 0],
  [0xab, 1],
  [0xb3, 2],
  [0xbb, 3],
] as const) {
  SECONDARY[opcode] = (d) => {
    d.modrm();
    const reg = d.reg;
    const sz = d.opsize;
    return bitOp(d, kind, (c) => getReg(c, reg, sz));
  };
}
SECONDARY[0xba] = (d) => {
  d.modrm();
  d.form += `/${d.reg}`;
  if (d.reg < 4) return null;
  const kind = d.reg - 4;
  const imm = d.u8();
  return bitOp(d, kind, imm);
};
SECONDARY[0xbc] = SECONDARY[0xbd] = (d, opcode) => {
  d.modrm();
  const reg = d.reg;
  const sz = d.opsize;
  const src = rmReader(d, sz);
  const forward = opcode === 0xbc;
  return (c) => {
    const v = src(c) & sizeMask(sz);
    if (v === 0) {
      // Destination unchanged (what Intel and AMD do); other flags unchanged (our policy).
      c.setFlagBits(ZF, ZF);
      return;
    }
    const idx = forward ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
    c.setFlagBits(ZF, 0);
    setReg(c, reg, idx, sz);
  };
};
for (let r = 0; r < 8; r++) {
  SECONDARY[0xc8 + r] = () => (c) => {
    const v = c.r[r]!;
    c.r[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  };
}
SECONDARY[0xb6] = SECONDARY[0xb7] = SECONDARY[0xbe] = SECONDARY[0xbf] = (d, opcode) => {
  d.modrm();
  const reg = d.reg;
  const srcSz = opcode & 1 ? 2 : 1;
  const signed = opcode >= 0xbe;
  const src = rmReader(d, srcSz);
  const dsz = d.opsize;
  if (dsz === 4) d.jit = { t: 'movx', signed, srcSz, dstSz: 4, n: reg, src: d.rmOperand() };
  return signed ? (c) => setReg(c, reg, sext(src(c), srcSz), dsz) : (c) => setReg(c, reg, src(c), dsz);
};
SECONDARY[0xb0] = SECONDARY[0xb1] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  d.lockable = true;
  const reg = d.reg;
  const cmp = ALU[sz]![7]!;
  return rmw(d, sz, (c, old) => {
    const accv = getReg(c, EAX, sz);
    cmp(c, accv, old);
    if (c.zf()) return getReg(c, reg, sz);
    setReg(c, EAX, old, sz);
    return old; // the destination is written back in any case
  });
};
SECONDARY[0xc0] = SECONDARY[0xc1] = (d, opcode) => {
  const sz = opcode & 1 ? d.opsize : 1;
  d.modrm();
  d.lockable = true;
  const reg = d.reg;
  const add = ALU[sz]![0]!;
  if (d.isReg) {
    const n = d.rm;
    return (c) => {
      const a = getReg(c, n, sz);
      const b = getReg(c, reg, sz);
      const sum = add(c, a, b);
      setReg(c, reg, a, sz);
      setReg(c, n, sum, sz);
    };
  }
  const ea = d.ea;
  return (c) => {
    const at = ea(c);
    const p = c.wpa(at, sz); // a fault leaves the register and the flags unchanged
    const a = c.ldp(p, at, sz);
    const b = getReg(c, reg, sz);
    const sum = add(c, a, b);
    c.stp(p, at, sum, sz);
    setReg(c, reg, a, sz);
  };
};

// Old forms (legacy.ts): BCD adjustments, PUSHA/POPA, BOUND, ENTER, XLAT, LOOP/JECXZ, CMPXCHG8B.
PRIMARY[0x27] = () => (c) => decimalAdjust(c, true);
PRIMARY[0x2f] = () => (c) => decimalAdjust(c, false);
PRIMARY[0x37] = () => (c) => asciiAdjust(c, true);
PRIMARY[0x3f] = () => (c) => asciiAdjust(c, false);
PRIMARY[0xd4] = (d) => {
  const base = d.u8();
  return (c) => aam(c, base);
};
PRIMARY[0xd5] = (d) => {
  const base = d.u8();
  return (c) => aad(c, base);
};
PRIMARY[0x60] = (d) => {
  const sz = d.opsize;
  return (c) => pusha(c, sz);
};
PRIMARY[0x61] = (d) => {
  const sz = d.opsize;
  return (c) => popa(c, sz);
};
PRIMARY[0x62] = (d) => {
  d.modrm();
  if (d.isReg) return (c) => c.raise('ud', 'bound with a register operand');
  const reg = d.reg;
  const sz = d.opsize;
  const ea = d.ea;
  return (c) => bound(c, c.r[reg]!, ea(c), sz);
};
PRIMARY[0xc8] = (d) => {
  const size = d.u16();
  const level = d.u8();
  const sz = d.opsize;
  return (c) => enter(c, size, level, sz);
};
/** XLAT: AL = [EBX + AL] (DS, or the segment of an override prefix). */
PRIMARY[0xd7] = (d) => {
  d.mem = true;
  d.segUsed = true;
  d.rawEa = (c) => (c.r[EBX]! + (c.r[EAX]! & 0xff)) | 0;
  const ea = d.eaSized(1); // an FS / GS override applies, as to a ModRM operand
  return (c) => c.set8(0, c.read8(ea(c)));
};
/** LOOPNE, LOOPE, LOOP (ECX is decremented, flags unchanged) and JECXZ. */
for (const opcode of [0xe0, 0xe1, 0xe2, 0xe3]) {
  PRIMARY[opcode] = ends((d) => {
    const rel = d.i8();
    const target = d.opsize === 2 ? (d.next + rel) & 0xffff : (d.next + rel) >>> 0;
    if (opcode === 0xe3) return (c) => void (c.r[ECX] === 0 && (c.eip = target));
    const need = opcode === 0xe2 ? 0 : opcode === 0xe1 ? 1 : -1; // 1: ZF set, -1: ZF clear
    return (c) => {
      const n = (c.r[ECX]! - 1) | 0;
      c.r[ECX] = n;
      if (n === 0) return;
      if (need === 0 || (need === 1) === (c.zf() !== 0)) c.eip = target;
    };
  });
}
SECONDARY[0xc7] = (d) => {
  d.modrm();
  d.form += `/${d.reg}`;
  if (d.reg !== 1) return null;
  d.lockable = true;
  if (d.isReg) return (c) => c.raise('ud', 'cmpxchg8b with a register operand');
  const ea = d.ea;
  return (c) => cmpxchg8b(c, ea(c));
};
// Segment registers (segment-ops.ts)
for (const [o, f] of segmentOps.primary) PRIMARY[o] = f as Decode;
for (const [o, f] of segmentOps.secondary) SECONDARY[o] = f as Decode;

// ---------------------------------------------------------------------------------------------------

/**
 * Decode the instruction at `addr`. `offset` is the number of cycles earlier instructions of the block
 * take. Throws Unimplemented for a form the interpreter does not have; fetch faults propagate (FAULT).
 */
export function decode(ctx: DecodeContext, addr: number, offset = 0): Insn {
  const d = new D(ctx, addr, offset);
  let b = d.u8();
  const prefixes: number[] = [];
  let lock = false;
  // Prefixes: operand size, REP/REPNE, segment overrides, LOCK. CS DS ES SS have base 0 (the flat
  // model): their overrides change nothing. FS and GS (the last override wins, as on a CPU) make memory
  // operands offsets in that segment (segments.ts).
  for (let i = 0; i < 14; i++) {
    if (b === 0x66) d.opsize = 2;
    else if (b === 0xf3 || b === 0xf2) d.rep = b;
    else if (b === 0xf0) lock = true;
    else if (b === 0x64 || b === 0x65 || b === 0x2e || b === 0x3e || b === 0x26 || b === 0x36) d.seg = segmentPrefix(b);
    else break;
    prefixes.push(b);
    b = d.u8();
  }
  d.prefix66 = d.opsize === 2;
  let table = PRIMARY;
  const formBytes = [...prefixes.filter((p) => p === 0x66 || p === 0xf2 || p === 0xf3).map(hex)];
  if (b === 0x0f) {
    table = SECONDARY;
    b = d.u8();
    formBytes.push('0f');
  }
  formBytes.push(hex(b));
  d.form = formBytes.join(' ');
  const fn = table[b];
  let op: Op | null = null;
  if (fn) op = fn(d, b);
  if (!op) {
    const len = Math.max(1, d.pos - addr);
    const bytes: number[] = [];
    for (let i = 0; i < Math.min(len + 2, 15); i++) {
      try {
        bytes.push(ctx.byte((addr + i) >>> 0));
      } catch (e) {
        if (e !== FAULT) throw e;
        break;
      }
    }
    throw new Unimplemented(addr, bytes, d.form);
  }
  if (lock && !(d.lockable && d.mem)) {
    // LOCK on an instruction that cannot be locked, or on a register destination: #UD.
    op = (c) => c.raise('ud', 'lock prefix on a non-lockable instruction');
    d.jit = undefined;
  } else if (d.seg >= 0 && d.mem && !d.segUsed) {
    // A memory form that does not address through `ea`, moffs or a string source: refused, never run flat.
    op = (c) => c.raise('gp', 'fs/gs override not modelled for this instruction form');
    d.jit = undefined;
  } else if (d.seg >= 0 && d.mem) {
    d.jit = undefined; // the generated templates address memory flat
  }
  const ends = d.endsBlock || (fn !== undefined && ENDS.has(fn) && !d.free);
  // Forms with IR run as a generated template (monomorphic and optimised once per shape).
  const fast = d.jit && ctx.templates !== false ? templateOp(d.jit) : null;
  return { op: fast ?? op, jit: d.jit, len: d.pos - addr, ends, free: d.free, form: d.form };
}
