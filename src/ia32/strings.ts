/**
 * String instructions with their REP / REPE / REPNE forms. Each iteration updates ESI, EDI and ECX before
 * the next one starts, so a fault in the middle leaves a state from which re-executing the instruction
 * continues correctly (as on a real CPU).
 *
 * Cost: one cycle per iteration (at least one: a REP with ECX = 0 costs one, like any instruction); the
 * block's static cost has the first, the rest go to `cpu.extra`. A REP instruction ends its block and
 * is interruptible: when the run's cycles are used up (`cpu.runLeft`, after at least one iteration) it
 * stops between iterations with EIP on itself and ECX/ESI/EDI saying how far it got, and the next run
 * continues it, as a hardware interrupt would.
 */
import { ALU } from './alu.js';
import { Cpu, DF, EAX, ECX, EDI, ESI } from './cpu.js';
import { segLinear } from './segments.js';

export type StringKind = 'movs' | 'cmps' | 'stos' | 'lods' | 'scas';
/** 0 = no prefix, 0xf3 = REP/REPE, 0xf2 = REPNE. */
export type RepPrefix = 0 | 0xf2 | 0xf3;

function rd(c: Cpu, a: number, sz: number): number {
  return sz === 4 ? c.read32(a) : sz === 2 ? c.read16(a) : c.read8(a);
}
function wr(c: Cpu, a: number, v: number, sz: number): void {
  if (sz === 4) c.write32(a, v);
  else if (sz === 2) c.write16(a, v);
  else c.write8(a, v);
}
function acc(c: Cpu, sz: number): number {
  return sz === 4 ? c.r[EAX]! : sz === 2 ? c.r[EAX]! & 0xffff : c.r[EAX]! & 0xff;
}
function setAcc(c: Cpu, v: number, sz: number): void {
  if (sz === 4) c.r[EAX] = v;
  else if (sz === 2) c.set16(EAX, v);
  else c.set8(0, v);
}

/** The DS:ESI source: flat, or an offset in FS / GS (`seg`) with an override prefix. */
function src(c: Cpu, seg: number, sz: number): number {
  return seg < 0 ? c.r[ESI]! : segLinear(c, seg, c.r[ESI]!, sz);
}

/** One iteration; returns false when a REPE/REPNE condition ends the loop. */
function step(c: Cpu, kind: StringKind, sz: number, delta: number, rep: RepPrefix, seg: number): boolean {
  const r = c.r;
  switch (kind) {
    case 'movs':
      wr(c, r[EDI]!, rd(c, src(c, seg, sz), sz), sz);
      r[ESI] = r[ESI]! + delta;
      r[EDI] = r[EDI]! + delta;
      return true;
    case 'stos':
      wr(c, r[EDI]!, acc(c, sz), sz);
      r[EDI] = r[EDI]! + delta;
      return true;
    case 'lods':
      setAcc(c, rd(c, src(c, seg, sz), sz), sz);
      r[ESI] = r[ESI]! + delta;
      return true;
    case 'cmps': {
      const a = rd(c, src(c, seg, sz), sz);
      const b = rd(c, r[EDI]!, sz);
      ALU[sz]![7]!(c, a, b);
      r[ESI] = r[ESI]! + delta;
      r[EDI] = r[EDI]! + delta;
      return rep === 0xf3 ? c.zf() !== 0 : c.zf() === 0;
    }
    default: {
      const b = rd(c, r[EDI]!, sz);
      ALU[sz]![7]!(c, acc(c, sz), b);
      r[EDI] = r[EDI]! + delta;
      return rep === 0xf3 ? c.zf() !== 0 : c.zf() === 0;
    }
  }
}

/**
 * The operation of a string instruction at `addr`; `off` is the cycles the instructions before it in
 * its block take (a REP form ends the block). `seg`: FS or GS for an override of the DS:ESI source, or -1.
 */
export function stringOp(kind: StringKind, sz: number, rep: RepPrefix, addr = 0, off = 0, seg = -1): (c: Cpu) => void {
  if (rep === 0) {
    return (c) => {
      step(c, kind, sz, c.flags & DF ? -sz : sz, 0, seg);
    };
  }
  const conditional = kind === 'cmps' || kind === 'scas';
  return (c) => {
    const delta = c.flags & DF ? -sz : sz;
    let limit = c.runLeft - off;
    if (limit < 1) limit = 1;
    let done = 0;
    try {
      while (c.r[ECX] !== 0) {
        if (done === limit) {
          c.eip = addr; // out of time: continue in the next run
          break;
        }
        const go = step(c, kind, sz, delta, rep, seg);
        c.r[ECX] = c.r[ECX]! - 1;
        done++;
        if (!go && conditional) break;
      }
    } catch (e) {
      c.extra += done; // the iterations before the faulting one are charged
      throw e;
    }
    if (done > 1) c.extra += done - 1;
  };
}
