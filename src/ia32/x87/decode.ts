/**
 * Decoding of the x87 escape opcodes D8-DF (and FWAIT, 9B) into closures over ops.ts / memory-forms.ts.
 * Each closure captures the instruction's address and 11-bit opcode (the FIP/FOP it records) and its
 * operands; executing it allocates nothing.
 *
 * Forms are reported as "d9/5" (memory operand, ModRM reg 5) or "d9 e8" (register form, second byte).
 * Reserved encodings and undocumented aliases (FSTP1, FXCH4, FCOM2, ...) return null: Unimplemented.
 */
import type { Cpu } from '../cpu.js';
import * as O from './ops.js';
import * as S from './memory-forms.js';

type Op = (c: Cpu) => void;

/** What the x87 decoders need from the instruction decoder's per-instruction state. */
export interface X87Decoder {
  readonly start: number;
  readonly opsize: 2 | 4;
  form: string;
  mod: number;
  reg: number;
  rm: number;
  isReg: boolean;
  ea: (c: Cpu) => number;
  modrm(): void;
}

/** FWAIT: only the #MF check. */
export const fwait: Op = (c) => void O.wait(c);

export function decodeX87(d: X87Decoder, opcode: number): Op | null {
  d.modrm();
  const modrm = (d.mod << 6) | (d.reg << 3) | d.rm;
  const ip = d.start >>> 0;
  const fop = ((opcode & 7) << 8) | modrm;
  if (d.isReg) {
    d.form += ` ${modrm.toString(16).padStart(2, '0')}`;
    return REGISTER[opcode & 7]!(ip, fop, d.reg, d.rm);
  }
  d.form += `/${d.reg}`;
  return memoryForm(d, opcode, ip, fop);
}

// ---------------------------------------------------------------------------------------------------
// Memory operands

/** Source format of the arithmetic escapes D8 DA DC DE (memory forms). */
const ARITH_FORMAT: Record<number, number> = { 0xd8: S.F32, 0xda: S.I32, 0xdc: S.F64, 0xde: S.I16 };

/** Loads and stores of D9 DB DD DF by ModRM reg: [format, what] (what: 'l' load, 's' store, 'p' store+pop, 't' FISTTP). */
const MOVES: Record<number, ([number, string] | null)[]> = {
  0xd9: [[S.F32, 'l'], null, [S.F32, 's'], [S.F32, 'p'], null, null, null, null],
  0xdb: [[S.I32, 'l'], [S.I32, 't'], [S.I32, 's'], [S.I32, 'p'], null, [S.F80M, 'l'], null, [S.F80M, 'p']],
  0xdd: [[S.F64, 'l'], [S.I64, 't'], [S.F64, 's'], [S.F64, 'p'], null, null, null, null],
  0xdf: [[S.I16, 'l'], [S.I16, 't'], [S.I16, 's'], [S.I16, 'p'], [S.BCD, 'l'], [S.I64, 'l'], [S.BCD, 'p'], [S.I64, 'p']],
};

function memoryForm(d: X87Decoder, opcode: number, ip: number, fop: number): Op | null {
  const ea = d.ea;
  const src = ARITH_FORMAT[opcode];
  if (src !== undefined) {
    const kind = d.reg;
    return (c) => S.arithMem(c, ip, fop, ea, src, kind);
  }
  const move = MOVES[opcode]![d.reg];
  if (move) {
    const [fmt, what] = move;
    if (what === 'l') return (c) => S.load(c, ip, fop, ea, fmt);
    const pop = what !== 's';
    const truncate = what === 't';
    return (c) => S.store(c, ip, fop, ea, fmt, pop, truncate);
  }
  // The environment and state images have a 16-bit layout under a 66 prefix, which we do not have.
  const wide = d.opsize === 4;
  switch ((opcode << 4) | d.reg) {
    case 0xd94:
      return wide ? (c) => S.fldenv(c, ea) : null;
    case 0xd95:
      return (c) => S.fldcw(c, ea);
    case 0xd96:
      return wide ? (c) => S.fnstenv(c, ea) : null;
    case 0xd97:
      return (c) => S.fnstcw(c, ea);
    case 0xdd4:
      return wide ? (c) => S.frstor(c, ea) : null;
    case 0xdd6:
      return wide ? (c) => S.fnsave(c, ea) : null;
    case 0xdd7:
      return (c) => S.fnstsw(c, ea);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Register operands: one decoder per escape byte, by ModRM reg and rm (= i of ST(i))

type RegDecode = (ip: number, fop: number, reg: number, i: number) => Op | null;

/** D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR ST(0), ST(i). */
const d8: RegDecode = (ip, fop, reg, i) => {
  if (reg === 2 || reg === 3) {
    const pops = reg - 2;
    return (c) => O.compareSt(c, ip, fop, i, false, pops);
  }
  return (c) => O.arithReg(c, ip, fop, reg, 0, i, false);
};

/**
 * DC / DE: ST(i) = ST(i) op ST(0) (DE pops). Intel's mnemonics swap here: DC E0+i is FSUBR ST(i), ST(0)
 * = ST(0) - ST(i), i.e. (with ST(i) as the left operand) the reversed kind of D8's reg 4; so reg 4..7
 * map to kind reg ^ 1.
 */
function reversed(pop: boolean): RegDecode {
  return (ip, fop, reg, i) => {
    if (reg === 2 || reg === 3) {
      if (pop && reg === 3 && i === 1) return (c) => O.compareSt(c, ip, fop, 1, false, 2); // FCOMPP
      return null;
    }
    const kind = reg >= 4 ? reg ^ 1 : reg;
    return (c) => O.arithReg(c, ip, fop, kind, i, 0, pop);
  };
}

const d9: RegDecode = (ip, fop, reg, i) => {
  switch (reg) {
    case 0:
      return (c) => O.fldSt(c, ip, fop, i);
    case 1:
      return (c) => O.fxch(c, ip, fop, i);
    case 2:
      return i === 0 ? (c) => O.fnop(c, ip, fop) : null;
    case 3:
      return null;
    case 4:
      if (i === 0 || i === 1) {
        const abs = i === 1;
        return (c) => O.fsign(c, ip, fop, abs);
      }
      if (i === 4) return (c) => O.ftst(c, ip, fop);
      if (i === 5) return (c) => O.fxam(c, ip, fop);
      return null;
    case 5:
      return i < 7 ? (c) => O.fldConst(c, ip, fop, i) : null;
    case 6:
      return d9f0(ip, fop, i);
    default:
      return d9f8(ip, fop, i);
  }
};

/** D9 F0-F7. */
function d9f0(ip: number, fop: number, i: number): Op | null {
  switch (i) {
    case 0:
      return (c) => O.unary(c, ip, fop, O.f2xm1, false, false);
    case 1:
      return (c) => O.binary(c, ip, fop, O.fyl2x, true);
    case 2:
      return (c) => O.twoResults(c, ip, fop, O.fptan, true);
    case 3:
      return (c) => O.binary(c, ip, fop, O.fpatan, true);
    case 4:
      return (c) => O.twoResults(c, ip, fop, O.fxtract, false);
    case 5:
      return (c) => O.fprem(c, ip, fop, true);
    case 6:
      return (c) => O.moveTop(c, ip, fop, -1);
    default:
      return (c) => O.moveTop(c, ip, fop, 1);
  }
}

/** D9 F8-FF. */
function d9f8(ip: number, fop: number, i: number): Op | null {
  switch (i) {
    case 0:
      return (c) => O.fprem(c, ip, fop, false);
    case 1:
      return (c) => O.binary(c, ip, fop, O.fyl2xp1, true);
    case 2:
      return (c) => O.unary(c, ip, fop, O.fsqrt, true, false);
    case 3:
      return (c) => O.twoResults(c, ip, fop, O.fsincos, true);
    case 4:
      return (c) => O.unary(c, ip, fop, O.frndint, false, false);
    case 5:
      return (c) => O.binary(c, ip, fop, O.fscale, false);
    case 6:
      return (c) => O.unary(c, ip, fop, O.fsin, false, true);
    default:
      return (c) => O.unary(c, ip, fop, O.fcos, false, true);
  }
}

/** EFLAGS conditions of FCMOVB, FCMOVE, FCMOVBE, FCMOVU (Jcc numbering); DB's negations are cc | 1. */
const FCMOV_CC = [2, 4, 6, 10];

/** DA: FCMOVcc, FUCOMPP. */
const da: RegDecode = (ip, fop, reg, i) => {
  if (reg < 4) {
    const cc = FCMOV_CC[reg]!;
    return (c) => O.fcmov(c, ip, fop, cc, i);
  }
  if (reg === 5 && i === 1) return (c) => O.compareSt(c, ip, fop, 1, true, 2);
  return null;
};

/** DB: FCMOVNcc, FNCLEX, FNINIT, FUCOMI, FCOMI (and the 8087/287 leftovers FNENI FNDISI FNSETPM as no-ops). */
const db: RegDecode = (ip, fop, reg, i) => {
  if (reg < 4) {
    const cc = FCMOV_CC[reg]! | 1;
    return (c) => O.fcmov(c, ip, fop, cc, i);
  }
  if (reg === 4) {
    if (i === 2) return S.fnclex;
    if (i === 3) return S.fninit;
    return i === 0 || i === 1 || i === 4 ? () => {} : null;
  }
  if (reg === 5 || reg === 6) {
    const quiet = reg === 5;
    return (c) => O.compareEflags(c, ip, fop, i, quiet, false);
  }
  return null;
};

/** DD: FFREE, FST, FSTP, FUCOM, FUCOMP. */
const dd: RegDecode = (ip, fop, reg, i) => {
  switch (reg) {
    case 0:
      return (c) => O.ffree(c, ip, fop, i, false);
    case 2:
    case 3: {
      const pop = reg === 3;
      return (c) => O.fstSt(c, ip, fop, i, pop);
    }
    case 4:
    case 5: {
      const pops = reg - 4;
      return (c) => O.compareSt(c, ip, fop, i, true, pops);
    }
    default:
      return null;
  }
};

/** DF: FFREEP, FNSTSW AX, FUCOMIP, FCOMIP. */
const df: RegDecode = (ip, fop, reg, i) => {
  if (reg === 0) return (c) => O.ffree(c, ip, fop, i, true);
  if (reg === 4) return i === 0 ? S.fnstswAx : null;
  if (reg === 5 || reg === 6) {
    const quiet = reg === 5;
    return (c) => O.compareEflags(c, ip, fop, i, quiet, true);
  }
  return null;
};

const REGISTER: RegDecode[] = [d8, d9, da, db, reversed(false), dd, reversed(true), df];
