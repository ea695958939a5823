/**
 * The instructions that read or load segment registers (MOV Sreg, PUSH / POP Sreg, LDS LES LSS LFS LGS)
 * and the FS / GS override of memory operands. Kept apart from decoder.ts, which installs them in its
 * opcode tables; the checks themselves are in segments.ts.
 */
import { ESP, type Cpu } from './cpu.js';
import { CS, FS, GS, loadSegment, segLinear, SS } from './segments.js';

type Op = (c: Cpu) => void;
type Ea = (c: Cpu) => number;

/** What these decoders need of the decoder's per-instruction state. */
export interface SegDecodeState {
  opsize: 2 | 4;
  form: string;
  reg: number;
  rm: number;
  isReg: boolean;
  mem: boolean;
  modrm(): void;
  eaSized(sz: number): Ea;
}

export type SegDecode = (d: SegDecodeState, opcode: number) => Op | null;

/** The segment register an override prefix names, when it is not flat (FS, GS); -1 for the others. */
export function segmentPrefix(b: number): number {
  return b === 0x64 ? FS : b === 0x65 ? GS : -1;
}

/** An address closure that adds the base of segment `s` to an offset, checking `size` bytes against its limit. */
export function segmentedEa(offset: Ea, s: number, size: number): Ea {
  return (c) => segLinear(c, s, offset(c), size);
}

const ud = (what: string): Op => (c) => c.raise('ud', what);

/** 8C: MOV r/m16, Sreg. A 32-bit register destination gets the selector zero-extended (P6 and later). */
const movFromSreg: SegDecode = (d) => {
  d.modrm();
  const s = d.reg;
  d.form += `/${s}`;
  if (s > GS) return ud(`mov from segment register ${s}`);
  if (d.isReg) {
    const n = d.rm;
    return d.opsize === 4 ? (c) => void (c.r[n] = c.seg.sel[s]!) : (c) => c.set16(n, c.seg.sel[s]!);
  }
  const ea = d.eaSized(2); // the memory form always stores 16 bits
  return (c) => c.write16(ea(c), c.seg.sel[s]!);
};

/** 8E: MOV Sreg, r/m16 (MOV CS is #UD). */
const movToSreg: SegDecode = (d) => {
  d.modrm();
  const s = d.reg;
  d.form += `/${s}`;
  if (s === CS || s > GS) return ud(`mov to ${s === CS ? 'cs' : `segment register ${s}`}`);
  if (d.isReg) {
    const n = d.rm;
    return (c) => loadSegment(c, s, c.r[n]! & 0xffff);
  }
  const ea = d.eaSized(2);
  return (c) => loadSegment(c, s, c.read16(ea(c)));
};

/** PUSH Sreg: a 32-bit push stores the selector zero-extended (what the AMD host does; recent Intel cores write only the low 16 bits). */
const pushSreg =
  (s: number): SegDecode =>
  (d) =>
    d.opsize === 4 ? (c) => c.push32(c.seg.sel[s]!) : (c) => c.push16(c.seg.sel[s]!);

/** POP Sreg: ESP moves only once the load succeeded. */
const popSreg =
  (s: number): SegDecode =>
  (d) => {
    const sz = d.opsize;
    return (c) => {
      const sp = c.r[ESP]!;
      loadSegment(c, s, sz === 4 ? c.read32(sp) : c.read16(sp));
      c.r[ESP] = (sp + sz) | 0;
    };
  };

/** LDS LES LSS LFS LGS r, m16:32 (m16:16): offset then selector; the register changes after the load. */
const loadFar =
  (s: number): SegDecode =>
  (d) => {
    d.modrm();
    if (d.isReg) return null; // C4 / C5 with a register operand are VEX prefixes on CPUs with AVX
    const sz = d.opsize;
    const reg = d.reg;
    const ea = d.eaSized(sz + 2);
    return (c) => {
      const a = ea(c);
      const off = sz === 4 ? c.read32(a) : c.read16(a);
      const sel = c.read16((a + sz) | 0);
      loadSegment(c, s, sel);
      if (sz === 4) c.r[reg] = off;
      else c.set16(reg, off);
    };
  };

/** [opcode, decoder] for the one-byte table and for the 0F table. */
export const segmentOps: { primary: [number, SegDecode][]; secondary: [number, SegDecode][] } = {
  primary: [
    [0x8c, movFromSreg],
    [0x8e, movToSreg],
    [0x06, pushSreg(0)],
    [0x0e, pushSreg(CS)],
    [0x16, pushSreg(SS)],
    [0x1e, pushSreg(3)],
    [0x07, popSreg(0)],
    [0x17, popSreg(SS)],
    [0x1f, popSreg(3)],
    [0xc4, loadFar(0)],
    [0xc5, loadFar(3)],
  ],
  secondary: [
    [0xa0, pushSreg(FS)],
    [0xa8, pushSreg(GS)],
    [0xa1, popSreg(FS)],
    [0xa9, popSreg(GS)],
    [0xb2, loadFar(SS)],
    [0xb4, loadFar(FS)],
    [0xb5, loadFar(GS)],
  ],
};
