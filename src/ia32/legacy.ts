/**
 * Old integer instructions that compilers rarely emit but i686 user code may still contain (hand-written
 * assembly in libraries, old binaries): the BCD adjustments, PUSHA/POPA, ENTER, BOUND, CMPXCHG8B.
 * Semantics follow the Intel SDM's pseudocode. Flags the SDM leaves undefined are cleared (a fixed,
 * documented policy; the vectors from the host CPU do not compare them).
 */
import { AF, CF, Cpu, EAX, EBP, EBX, ECX, EDX, ESP, OF, PARITY, PF, SF, ZF } from './cpu.js';

const ARITH = CF | PF | AF | ZF | SF | OF;

/** SF, ZF and PF of an 8-bit result. */
function szp8(v: number): number {
  return (v & 0x80 ? SF : 0) | ((v & 0xff) === 0 ? ZF : 0) | PARITY[v & 0xff]!;
}

/** DAA (add) or DAS (subtract): the decimal adjustments of AL after a packed-BCD addition or subtraction. */
export function decimalAdjust(c: Cpu, add: boolean): void {
  const oldAl = c.r[EAX]! & 0xff;
  const oldCf = c.cf();
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || c.af()) {
    cf = oldCf | ((add ? al + 6 > 0xff : al < 6) ? 1 : 0);
    al = (al + (add ? 6 : -6)) & 0xff;
    af = AF;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + (add ? 0x60 : -0x60)) & 0xff;
    cf = 1;
  } else if (add) cf = 0; // DAA clears CF here; DAS keeps the borrow of the low digit (SDM)
  c.set8(0, al);
  c.setFlagBits(ARITH, szp8(al) | af | cf);
}

/** AAA (add) or AAS (subtract): the ASCII adjustments of AX. */
export function asciiAdjust(c: Cpu, add: boolean): void {
  let ax = c.r[EAX]! & 0xffff;
  let flags = 0;
  if ((ax & 0xf) > 9 || c.af()) {
    ax = add ? ax + 0x106 : (ax - 6 - 0x100) & 0xffff; // AAS: AX - 6, then AH - 1 (the SDM's order)
    flags = AF | CF;
  }
  ax = (ax & 0xff00) | (ax & 0x0f);
  c.set16(EAX, ax);
  c.setFlagBits(ARITH, flags);
}

/** AAM imm8 (#DE for 0) and AAD imm8. */
export function aam(c: Cpu, base: number): void {
  if (base === 0) c.raise('de', 'aam with a zero base');
  const al = c.r[EAX]! & 0xff;
  const lo = al % base;
  c.set16(EAX, (Math.floor(al / base) << 8) | lo);
  c.setFlagBits(ARITH, szp8(lo));
}

export function aad(c: Cpu, base: number): void {
  const ax = c.r[EAX]!;
  const al = ((ax & 0xff) + ((ax >>> 8) & 0xff) * base) & 0xff;
  c.set16(EAX, al);
  c.setFlagBits(ARITH, szp8(al));
}

/** PUSHA/PUSHAD: every register is pushed, ESP as it was; the whole area is checked before any store. */
export function pusha(c: Cpu, sz: 2 | 4): void {
  const sp = c.r[ESP]!;
  const bottom = (sp - 8 * sz) | 0;
  c.wpa(bottom, 4 * sz);
  c.wpa((bottom + 4 * sz) | 0, 4 * sz);
  for (let i = 0; i < 8; i++) {
    const a = (sp - (i + 1) * sz) | 0;
    if (sz === 4) c.write32(a, c.r[i]!);
    else c.write16(a, c.r[i]!);
  }
  c.r[ESP] = bottom;
}

/** POPA/POPAD: every register but ESP is popped; all reads happen before any register changes. */
export function popa(c: Cpu, sz: 2 | 4): void {
  const sp = c.r[ESP]!;
  const v = POPA_SCRATCH;
  for (let i = 0; i < 8; i++) {
    const a = (sp + (7 - i) * sz) | 0;
    v[i] = sz === 4 ? c.read32(a) : c.read16(a);
  }
  for (let i = 0; i < 8; i++) {
    if (i === ESP) continue;
    if (sz === 4) c.r[i] = v[i]!;
    else c.set16(i, v[i]!);
  }
  c.r[ESP] = (sp + 8 * sz) | 0;
}
const POPA_SCRATCH = new Int32Array(8);

/**
 * ENTER size, level (32-bit stack): push EBP, copy level-1 frame pointers of the enclosing frames, push
 * the new frame pointer, allocate `size` bytes. Reads and the write checks come first, so a fault leaves
 * the registers unchanged and the instruction can run again.
 */
export function enter(c: Cpu, size: number, levelIn: number, sz: 2 | 4): void {
  const level = levelIn & 31;
  const sp = c.r[ESP]!;
  const bp = c.r[EBP]!;
  const pushes = level > 0 ? 1 + level : 1; // EBP, level-1 copies, the frame pointer
  const low = (sp - pushes * sz) | 0;
  c.wpa(low, pushes * sz); // checks the first and the last page of the area (at most 132 bytes)
  // The host CPU (AMD, as the vectors show) also faults when the new stack bottom is not writable.
  c.wpa((low - size) | 0, 1);
  const copies = ENTER_SCRATCH;
  for (let i = 1; i < level; i++) copies[i] = sz === 4 ? c.read32((bp - i * sz) | 0) : c.read16((bp - i * sz) | 0);
  let p = (sp - sz) | 0;
  const store = (a: number, v: number): void => (sz === 4 ? c.write32(a, v) : c.write16(a, v));
  store(p, bp);
  const frameTemp = p;
  for (let i = 1; i < level; i++) {
    p = (p - sz) | 0;
    store(p, copies[i]!);
  }
  if (level > 0) {
    p = (p - sz) | 0;
    store(p, frameTemp);
  }
  if (sz === 4) c.r[EBP] = frameTemp;
  else c.set16(EBP, frameTemp);
  c.r[ESP] = (p - size) | 0;
}
const ENTER_SCRATCH = new Int32Array(32);

/** BOUND: the signed index must lie within [lower, upper] read from memory, else #BR. */
export function bound(c: Cpu, index: number, at: number, sz: 2 | 4): void {
  const lower = sz === 4 ? c.read32(at) : (c.read16(at) << 16) >> 16;
  const upper = sz === 4 ? c.read32((at + 4) | 0) : (c.read16((at + 2) | 0) << 16) >> 16;
  const i = sz === 4 ? index | 0 : (index << 16) >> 16;
  if (i < lower || i > upper) c.raise('br', 'bound: index out of range');
}

/** CMPXCHG8B m64: compare EDX:EAX with the operand; equal: store ECX:EBX, else load it (always written). */
export function cmpxchg8b(c: Cpu, at: number): void {
  const p = c.wpa(at, 8);
  const lo = p < 0 ? c.read32(at) : c.ld32(p, at);
  const hi = p < 0 ? c.read32((at + 4) | 0) : c.ld32(p + 4, (at + 4) | 0);
  const equal = lo === c.r[EAX] && hi === c.r[EDX];
  const newLo = equal ? c.r[EBX]! : lo;
  const newHi = equal ? c.r[ECX]! : hi;
  if (p < 0) {
    c.write32(at, newLo);
    c.write32((at + 4) | 0, newHi);
  } else {
    c.st32(p, at, newLo);
    c.st32(p + 4, (at + 4) | 0, newHi);
  }
  if (!equal) {
    c.r[EAX] = lo;
    c.r[EDX] = hi;
  }
  c.setFlagBits(ZF, equal ? ZF : 0);
}
