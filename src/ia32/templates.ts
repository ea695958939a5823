/**
 * Instruction templates: for every instruction form with IR (JitOp, from the decoder), JavaScript is
 * generated once per *shape* (operation, operand size, addressing form, condition) with the registers and
 * constants of the instruction as parameters, and compiled with `new Function`. All instructions of one
 * shape share that function, so V8 optimises it after a few thousand executions machine-wide, and inside
 * it everything is monomorphic and inline. Forms without IR keep their interpreter closure.
 * Generated code has exactly the closures' semantics (the instruction vectors run through it).
 */
import { ARITH, CF, LOP_ADD, LOP_LOGIC, LOP_SUB } from './cpu.js';

const ALL = ARITH;
import type { JitOp, JitOperand, Op } from './decoder.js';

/** How numbers get into generated code: as template parameters (P0, P1, ...). */
export interface Lit {
  (v: number): string;
}
let L: Lit = (v) => String(v);

function ea(o: Extract<JitOperand, { k: 'm' }>): string {
  const parts: string[] = [];
  if (o.b >= 0) parts.push(`r[${L(o.b)}]`);
  if (o.i >= 0) parts.push(o.s ? `(r[${L(o.i)}] << ${o.s})` : `r[${L(o.i)}]`);
  if (o.d !== 0 || parts.length === 0) parts.push(L(o.d | 0));
  return parts.length === 1 && o.b >= 0 && o.i < 0 && o.d === 0 ? `r[${L(o.b)}]` : `((${parts.join(' + ')}) | 0)`;
}

function readReg(n: number, sz: number): string {
  if (sz === 4) return `r[${L(n)}]`;
  if (sz === 2) return `(r[${L(n)}] & 65535)`;
  return n < 4 ? `(r[${L(n)}] & 255)` : `((r[${L(n - 4)}] >> 8) & 255)`;
}

const MASK: Record<number, number> = { 1: 0xff, 2: 0xffff, 4: -1 };
const fix = (sz: number, e: string): string => (sz === 4 ? `((${e}) | 0)` : `((${e}) & ${MASK[sz]})`);

/** Read an operand; `addr` names a local holding the precomputed address of a memory operand. */
function read(o: JitOperand, sz: number, addr?: string): string {
  if (o.k === 'r') return readReg(o.n, sz);
  if (o.k === 'i') return L(sz === 4 ? o.v | 0 : o.v & MASK[sz]!);
  const a = addr ?? ea(o);
  return sz === 4 ? `c.read32(${a})` : sz === 2 ? `c.read16(${a})` : `c.read8(${a})`;
}

function write(o: JitOperand, sz: number, v: string, addr?: string): string {
  if (o.k === 'r') {
    if (sz === 4) return `r[${L(o.n)}] = ${v};`;
    return sz === 2 ? `c.set16(${L(o.n)}, ${v});` : `c.set8(${L(o.n)}, ${v});`;
  }
  if (o.k === 'i') throw new Error('template: write to an immediate');
  const a = addr ?? ea(o);
  return sz === 4 ? `c.write32(${a}, ${v});` : sz === 2 ? `c.write16(${a}, ${v});` : `c.write8(${a}, ${v});`;
}

const isMem = (o: JitOperand): boolean => o.k === 'm';

/**
 * Start of a read-modify-write of memory operand `o`: its address in a<k>, its translation for writing
 * in p<k> (every page checked for write access, so a fault happens before anything changes), the old
 * value in x<k> read through that translation.
 */
function rmwOpen(o: Extract<JitOperand, { k: 'm' }>, sz: number, k: number): string {
  const load = sz === 4 ? `c.ld32(p${k}, a${k})` : sz === 2 ? `c.ld16(p${k}, a${k})` : `c.mem8[p${k}]`;
  return `const a${k} = ${ea(o)}; const p${k} = c.wpa(a${k}, ${sz}); x${k} = ${load}; `;
}

/** The store of a read-modify-write opened by rmwOpen (it cannot fault any more). */
function rmwStore(sz: number, k: number, v: string): string {
  return sz === 4 ? `c.st32(p${k}, a${k}, ${v}); ` : sz === 2 ? `c.st16(p${k}, a${k}, ${v}); ` : `c.mem8[p${k}] = ${v}; `;
}

function lazy(op: number, k: number, sz: number, lmask = ALL): string {
  return `c.lop = ${op}; c.la = x${k}; c.lb = y${k}; c.lr = z${k}; c.lsz = ${sz}; c.lmask = ${lmask};`;
}

const ALU_EXPR = ['+', '|', null, null, '&', '-', '^', '-'];
const ALU_LOP = [LOP_ADD, LOP_LOGIC, 0, 0, LOP_LOGIC, LOP_SUB, LOP_LOGIC, LOP_SUB];

/** JavaScript for one instruction (its flag state is always stored), or null to keep the closure. */
function emit(j: JitOp): string | null {
  const k = 0;
  const live = ALL;
  const cond = (cc: number): string => `c.cond(${cc})`;
  switch (j.t) {
    case 'nop':
      return '';
    case 'mov': {
      if (isMem(j.dst)) return write(j.dst, j.sz, read(j.src, j.sz));
      return write(j.dst, j.sz, read(j.src, j.sz));
    }
    case 'lea':
      return `r[${L(j.n)}] = ${j.ea.k === 'm' ? ea(j.ea) : '0'};`;
    case 'alu': {
      const e = ALU_EXPR[j.op];
      if (!e) return null;
      const same = j.dst.k === 'r' && j.src.k === 'r' && j.dst.n === j.src.n && j.sz === 4;
      if (isMem(j.dst) && j.op !== 7) {
        // Read-modify-write: the destination is translated for writing before anything changes.
        let s = rmwOpen(j.dst as Extract<JitOperand, { k: 'm' }>, j.sz, k);
        s += `y${k} = ${read(j.src, j.sz)}; z${k} = ${fix(j.sz, `x${k} ${e} y${k}`)}; `;
        s += rmwStore(j.sz, k, `z${k}`);
        return s + lazy(ALU_LOP[j.op]!, k, j.sz);
      }
      const addr = isMem(j.dst) ? `a${k}` : undefined;
      let s = addr ? `const ${addr} = ${ea(j.dst as Extract<JitOperand, { k: 'm' }>)}; ` : '';
      s += `x${k} = ${read(j.dst, j.sz, addr)}; y${k} = ${read(j.src, j.sz)}; `;
      s += same && j.op === 6 ? `z${k} = 0; ` : `z${k} = ${fix(j.sz, `x${k} ${e} y${k}`)}; `;
      if (live & ALL) s += lazy(ALU_LOP[j.op]!, k, j.sz) + ' ';
      if (j.op !== 7) s += write(j.dst, j.sz, `z${k}`, addr);
      return s;
    }
    case 'test': {
      let s = `x${k} = ${read(j.a, j.sz)}; y${k} = ${read(j.b, j.sz)}; z${k} = ${fix(j.sz, `x${k} & y${k}`)}; `;
      if (live & ALL) s += lazy(LOP_LOGIC, k, j.sz);
      return s;
    }
    case 'incdec': {
      const mem = isMem(j.dst);
      let s = mem ? rmwOpen(j.dst as Extract<JitOperand, { k: 'm' }>, j.sz, k) : `x${k} = ${read(j.dst, j.sz)}; `;
      s += `y${k} = 1; z${k} = ${fix(j.sz, `x${k} ${j.inc ? '+' : '-'} 1`)}; `;
      // The store comes first: a fault leaves the flags as they were.
      s += mem ? rmwStore(j.sz, k, `z${k}`) : write(j.dst, j.sz, `z${k}`) + ' ';
      if (live & ALL) {
        if (live & CF) s += `c.flags = (c.flags & ~1) | c.cf(); ` + lazy(j.inc ? LOP_ADD : LOP_SUB, k, j.sz, ALL & ~CF);
        else s += lazy(j.inc ? LOP_ADD : LOP_SUB, k, j.sz);
      }
      return s;
    }
    case 'shift': {
      const n = j.count;
      const mem = isMem(j.dst);
      let s = mem ? rmwOpen(j.dst as Extract<JitOperand, { k: 'm' }>, 4, k) : `x${k} = ${read(j.dst, 4)}; `;
      s += `y${k} = 0; `;
      let cf: string;
      let of: string;
      if (j.op === 4) {
        s += `z${k} = x${k} << ${n}; `;
        cf = `((x${k} >>> ${32 - n}) & 1)`;
        of = `(((z${k} >>> 31) ^ ${cf}) ? 2048 : 0)`;
      } else if (j.op === 5) {
        s += `z${k} = (x${k} >>> ${n}) | 0; `;
        cf = `((x${k} >>> ${n - 1}) & 1)`;
        of = n === 1 ? `(x${k} < 0 ? 2048 : 0)` : '0'; // OF of the last single-bit step (shift.ts)
      } else {
        s += `z${k} = x${k} >> ${n}; `;
        cf = `((x${k} >> ${n - 1}) & 1)`;
        of = '0';
      }
      s += mem ? rmwStore(4, k, `z${k}`) : write(j.dst, 4, `z${k}`) + ' ';
      // SF ZF PF lazy; CF and OF explicit; AF set (as shift.ts).
      if (live & ALL) s += `c.lop = ${LOP_LOGIC}; c.la = 0; c.lb = 0; c.lr = z${k}; c.lsz = 4; c.lmask = ${ALL & ~(CF | 0x800 | 0x10)}; c.flags = (c.flags & ~2065) | 16 | ${cf} | ${of};`;
      return s;
    }
    case 'push':
      return `{ const v = ${read(j.src, 4)}; const sp = (r[4] - 4) | 0; c.write32(sp, v); r[4] = sp; }`;
    case 'pop':
      return `{ const v = c.read32(r[4]); r[4] = (r[4] + 4) | 0; r[${L(j.n)}] = v; }`;
    // Control transfers with `tr` also report to the shadow stack (call tracing), after they are done.
    case 'jcc':
      if (j.tr !== undefined) return `if (${cond(j.cc)}) { const t = ${L(j.target)}; c.eip = t; ${tailJump('t', j.tr)} }`;
      return `if (${cond(j.cc)}) c.eip = ${L(j.target)};`;
    case 'jmp':
      if (j.tr !== undefined) return `{ const t = ${L(j.target)}; c.eip = t; ${tailJump('t', j.tr)} }`;
      return `c.eip = ${L(j.target)};`;
    case 'jmpind':
      if (j.tr !== undefined) return `{ const t = (${read(j.src, 4)}) >>> 0; c.eip = t; ${tailJump('t', j.tr)} }`;
      return `c.eip = (${read(j.src, 4)}) >>> 0;`;
    case 'call':
      if (j.tr !== undefined) {
        return `{ const t = ${L(j.target)}; const v = ${L(j.ret | 0)}; const sp = (r[4] - 4) | 0; c.write32(sp, v); r[4] = sp; c.eip = t; c.shadow.call(t, v, sp >>> 0, c.blockTime + ${L(j.tr)}); }`;
      }
      return `{ const sp = (r[4] - 4) | 0; c.write32(sp, ${L(j.ret | 0)}); r[4] = sp; c.eip = ${L(j.target)}; }`;
    case 'callind':
      if (j.tr !== undefined) {
        return `{ const t = (${read(j.src, 4)}) >>> 0; const v = ${L(j.ret | 0)}; const sp = (r[4] - 4) | 0; c.write32(sp, v); r[4] = sp; c.eip = t; c.shadow.call(t, v, sp >>> 0, c.blockTime + ${L(j.tr)}); }`;
      }
      return `{ const t = (${read(j.src, 4)}) >>> 0; const sp = (r[4] - 4) | 0; c.write32(sp, ${L(j.ret | 0)}); r[4] = sp; c.eip = t; }`;
    case 'ret':
      if (j.tr !== undefined) return `{ const sp = r[4]; const t = c.read32(sp) >>> 0; r[4] = (sp + ${L(4 + j.n)}) | 0; c.eip = t; c.shadow.ret(t, sp >>> 0, c.blockTime + ${L(j.tr)}); }`;
      return `{ const t = c.read32(r[4]); r[4] = (r[4] + ${L(4 + j.n)}) | 0; c.eip = t >>> 0; }`;
    case 'hook':
      return `c.funcHook(${j.enter}, c.read32(r[4]) >>> 0, c.blockTime + ${L(j.off)});`;
    case 'movx': {
      const v = read(j.src, j.srcSz);
      const e = j.signed ? (j.srcSz === 1 ? `((${v} << 24) >> 24)` : `((${v} << 16) >> 16)`) : v;
      return `r[${L(j.n)}] = ${e};`;
    }
    case 'setcc':
      return write(j.dst, 1, `(${cond(j.cc)} ? 1 : 0)`);
    case 'cmov':
      return `{ const v = ${read(j.src, 4)}; if (${cond(j.cc)}) r[${L(j.n)}] = v; }`;
    case 'leave':
      return `{ const v = c.read32(r[5]); r[4] = (r[5] + 4) | 0; r[5] = v; }`;
    case 'cdq':
      return `r[2] = r[0] >> 31;`;
    case 'seq': {
      const parts = j.ops.map(emit);
      if (parts.some((x) => x === null)) return null;
      let body = '';
      const resumable: number[] = [];
      parts.forEach((code, k) => {
        if (k > 0 && canFault(j.ops[k]!)) {
          body += `fk = ${k}; `;
          resumable.push(k);
        }
        body += `{ ${code} } `;
      });
      if (resumable.length === 0) return body;
      // Where to resume when member fk faults (fk = 0: nothing done yet, the whole operation restarts).
      const at = resumable.reduceRight((acc, k) => (acc === '' ? L(j.addrs[k]!) : `fk === ${k} ? ${L(j.addrs[k]!)} : ${acc}`), '');
      return `let fk = 0; try { ${body}} catch (e) { if (fk > 0) { c.resume = ${at}; c.resumeDone = fk; } throw e; }`;
    }
    case 'cmpjcc': {
      // The compare's flags are stored as usual (the jump target may read them); the branch decides
      // from the operands already in locals where that is exact, without re-deriving flags.
      const first = emit(j.cmp);
      if (first === null) return null;
      const direct = j.cmp.sz === 4 ? directCondition(j.cmp.t === 'test' ? 'and' : 'sub', j.cc) : null;
      if (j.tr !== undefined) return `${first} if (${direct ?? cond(j.cc)}) { const t = ${L(j.target)}; c.eip = t; ${tailJump('t', j.tr)} }`;
      return `${first} if (${direct ?? cond(j.cc)}) c.eip = ${L(j.target)};`;
    }
  }
}

/** A jump to `t` that may be a tail call: the shadow stack decides (call tracing). */
const tailJump = (t: string, tr: number): string => `c.shadow.jump(${t}, r[4] >>> 0, c.blockTime + ${L(tr)});`;

const touchesMemory = (o: JitOperand): boolean => o.k === 'm';

/** Whether the generated code of `j` can raise a fault (it touches memory). */
export function canFault(j: JitOp): boolean {
  switch (j.t) {
    case 'mov':
    case 'alu':
      return touchesMemory(j.dst) || touchesMemory(j.src);
    case 'test':
      return touchesMemory(j.a) || touchesMemory(j.b);
    case 'incdec':
    case 'shift':
    case 'setcc':
      return touchesMemory(j.dst);
    case 'movx':
    case 'cmov':
      return touchesMemory(j.src);
    case 'lea':
    case 'cdq':
    case 'nop':
    case 'jcc':
    case 'jmp':
      return false;
    default:
      return true;
  }
}

/**
 * Condition `cc` straight from the 32-bit operands x0, y0 and result z0 of a SUB (CMP) or AND (TEST),
 * for the conditions that do not need OF or PF on their own; null for the others.
 */
function directCondition(op: 'sub' | 'and', cc: number): string | null {
  const neg = (cc & 1) === 1;
  let t: string | null;
  if (op === 'sub') {
    switch (cc >> 1) {
      case 1: t = '(x0 >>> 0) < (y0 >>> 0)'; break; // B: borrow
      case 2: t = 'x0 === y0'; break; // E
      case 3: t = '(x0 >>> 0) <= (y0 >>> 0)'; break; // BE
      case 4: t = 'z0 < 0'; break; // S
      case 6: t = 'x0 < y0'; break; // L: SF != OF is the signed less-than of the operands
      case 7: t = 'x0 <= y0'; break; // LE
      default: t = null;
    }
  } else {
    switch (cc >> 1) {
      case 0: t = 'false'; break; // O: AND clears OF
      case 1: t = 'false'; break; // B: and CF
      case 2: t = 'z0 === 0'; break;
      case 3: t = 'z0 === 0'; break; // BE: CF is 0
      case 4: t = 'z0 < 0'; break;
      case 6: t = 'z0 < 0'; break; // L: SF != OF with OF = 0
      case 7: t = 'z0 <= 0'; break; // LE: ZF or SF
      default: t = null;
    }
  }
  return t === null ? null : neg ? `!(${t})` : `(${t})`;
}

const TEMPLATES = new Map<string, (...params: number[]) => Op>();

/** Whether the code of this IR uses the scratch locals x0, y0, z0. */
const needsLocals = (j: JitOp): boolean =>
  j.t === 'alu' || j.t === 'test' || j.t === 'incdec' || j.t === 'shift' || j.t === 'cmpjcc' || (j.t === 'seq' && j.ops.some(needsLocals));

/**
 * The closure for one instruction from its IR: the code of its shape is generated once per process and
 * instantiated with this instruction's registers and constants. Returns null for forms emit() leaves to
 * the interpreter's own closure.
 */
export function templateOp(j: JitOp): Op | null {
  const params: number[] = [];
  L = (v) => {
    params.push(v);
    return `P${params.length - 1}`;
  };
  let code: string | null;
  try {
    code = emit(j);
  } finally {
    L = (v) => String(v);
  }
  if (code === null) return null;
  const body = `"use strict"; return function op(c) { const r = c.r;${needsLocals(j) ? ' let x0 = 0, y0 = 0, z0 = 0;' : ''} ${code} };`;
  let factory = TEMPLATES.get(body);
  if (!factory) {
    const names = params.map((_, i) => `P${i}`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    factory = new Function(...names, body) as (...p: number[]) => Op;
    TEMPLATES.set(body, factory);
  }
  return factory(...params);
}

/** Number of distinct instruction shapes generated so far. */
