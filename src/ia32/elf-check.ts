/**
 * Whether a file is a program the machine can start: a static i386 ELF executable. Checked on the host
 * before a run starts (l4trace run, record), so a 64-bit or dynamically linked program, or a file that
 * is no program at all, is refused with one line saying what it is and what to do, instead of failing
 * inside the machine. The checks that need the whole image are parseElf's (elf.ts).
 */
import { ElfError, parseElf } from './elf.js';

const PT_INTERP = 3;
const ET_DYN = 3;

/** Why `data` cannot run as a static i386 Linux program, or null when it can. */
export function programProblem(data: Uint8Array): string | null {
  if (data.length < 4 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) return 'not an ELF file: l4trace runs static i386 Linux programs';
  if (data[4] === 2) return 'a 64-bit ELF (ELFCLASS64): l4trace runs 32-bit i386 programs; build it with -m32 -static';
  if (data[4] !== 1) return `not a 32-bit ELF (class ${data[4]})`;
  const interp = interpreter(data);
  if (interp !== null) return `a dynamically linked ELF (it asks for the interpreter ${JSON.stringify(interp)}): l4trace runs static programs; link it with -static`;
  if (data.length >= 18 && (data[16]! | (data[17]! << 8)) === ET_DYN) return 'a position-independent executable (ET_DYN): l4trace loads fixed-address programs; build it with -static -no-pie';
  try {
    parseElf(data);
  } catch (e) {
    if (e instanceof ElfError) return `not a usable i386 ELF: ${e.message}`;
    throw e;
  }
  return null;
}

/** The PT_INTERP path of an ELF32 file, or null when it has none (or its program headers do not fit the file). */
function interpreter(data: Uint8Array): string | null {
  if (data.length < 52) return null;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (phentsize < 32 || o + 32 > data.length) return null;
    if (dv.getUint32(o, true) !== PT_INTERP) continue;
    const off = dv.getUint32(o + 4, true);
    const size = Math.min(dv.getUint32(o + 16, true), 4096);
    const bytes = data.subarray(off, Math.min(off + size, data.length));
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  }
  return null;
}
