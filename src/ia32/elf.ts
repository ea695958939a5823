/**
 * ELF32 (i386, static executables) loading: program headers for the memory image, .symtab for function
 * names and the instrumentation hooks. Bad input gives an ElfError naming the problem.
 */
export class ElfError extends Error {}

export interface Segment {
  vaddr: number;
  memsz: number;
  filesz: number;
  offset: number;
  /** PF_R 4, PF_W 2, PF_X 1. */
  flags: number;
}

export interface ElfImage {
  entry: number;
  segments: Segment[];
  /** Function symbols by address. */
  functions: Map<number, string>;
  /** Every symbol (name -> address). */
  symbols: Map<string, number>;
  hookEnter: number;
  hookExit: number;
  /**
   * The program headers as the loaded image holds them (for the auxiliary vector's AT_PHDR, AT_PHENT,
   * AT_PHNUM): their virtual address (PT_PHDR's, else inside the PT_LOAD segment that maps them; 0 if no
   * segment does), entry size and count.
   */
  phdr: { addr: number; entsize: number; count: number };
  /** [start, end) of executable sections, for the coverage gate. */
  text: { name: string; start: number; end: number; offset: number }[];
  data: Uint8Array;
  /** A dynamically linked program's loader (PT_INTERP), or null for a static one. */
  interp: string | null;
}

export function parseElf(data: Uint8Array): ElfImage {
  if (data.length < 52) throw new ElfError('too short for an ELF header');
  if (data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) throw new ElfError('not an ELF file');
  if (data[4] !== 1) throw new ElfError('not a 32-bit ELF file');
  if (data[5] !== 1) throw new ElfError('not little-endian');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (o: number): number => {
    if (o + 2 > data.length) throw new ElfError(`truncated at byte ${o}`);
    return dv.getUint16(o, true);
  };
  const u32 = (o: number): number => {
    if (o + 4 > data.length) throw new ElfError(`truncated at byte ${o}`);
    return dv.getUint32(o, true);
  };
  if (u16(16) !== 2) throw new ElfError('not an executable (ET_EXEC); build with -static -no-pie');
  if (u16(18) !== 3) throw new ElfError('not an i386 (EM_386) program');
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  const shstrndx = u16(50);
  const segments: Segment[] = [];
  let phdrAddr = -1;
  let interp: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (u32(o) === 6) phdrAddr = u32(o + 8); // PT_PHDR
    if (u32(o) === 3) interp = interpreterAt(data, u32(o + 4), u32(o + 16)); // PT_INTERP
    if (u32(o) !== 1) continue; // PT_LOAD
    const seg = { offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16), memsz: u32(o + 20), flags: u32(o + 24) };
    if (seg.offset + seg.filesz > data.length) throw new ElfError(`segment at 0x${seg.vaddr.toString(16)} runs past the end of the file`);
    if (seg.filesz > seg.memsz) throw new ElfError('segment file size exceeds its memory size');
    segments.push(seg);
  }
  if (segments.length === 0) throw new ElfError('no loadable segments');
  if (phdrAddr < 0) {
    const seg = segments.find((sg) => phoff >= sg.offset && phoff + phnum * phentsize <= sg.offset + sg.filesz);
    phdrAddr = seg ? seg.vaddr + (phoff - seg.offset) : 0;
  }
  const functions = new Map<number, string>();
  const symbols = new Map<string, number>();
  const text: ElfImage['text'] = [];
  if (shoff !== 0 && shnum > 0) {
    const sh = (i: number) => {
      const o = shoff + i * shentsize;
      return { name: u32(o), type: u32(o + 4), flags: u32(o + 8), addr: u32(o + 12), offset: u32(o + 16), size: u32(o + 20), link: u32(o + 24), entsize: u32(o + 36) };
    };
    const shstr = shstrndx < shnum ? sh(shstrndx) : undefined;
    const str = (tab: { offset: number; size: number }, at: number): string => {
      let end = tab.offset + at;
      while (end < data.length && end < tab.offset + tab.size && data[end] !== 0) end++;
      return new TextDecoder().decode(data.subarray(tab.offset + at, end));
    };
    for (let i = 0; i < shnum; i++) {
      const s = sh(i);
      if (s.type === 1 && s.flags & 4 && shstr) text.push({ name: str(shstr, s.name), start: s.addr, end: s.addr + s.size, offset: s.offset });
      if (s.type === 2) {
        // SHT_SYMTAB
        const strtab = sh(s.link);
        const count = Math.floor(s.size / (s.entsize || 16));
        for (let k = 0; k < count; k++) {
          const o = s.offset + k * (s.entsize || 16);
          const name = str(strtab, u32(o));
          const value = u32(o + 4);
          const type = data[o + 12]! & 0xf;
          if (!name) continue;
          symbols.set(name, value);
          if (type === 2 && !functions.has(value)) functions.set(value, name); // STT_FUNC
        }
      }
    }
  }
  return {
    entry,
    segments,
    functions,
    symbols,
    hookEnter: symbols.get('__cyg_profile_func_enter') ?? -1,
    hookExit: symbols.get('__cyg_profile_func_exit') ?? -1,
    phdr: { addr: phdrAddr >>> 0, entsize: phentsize, count: phnum },
    text,
    data,
    interp,
  };
}

/** PT_INTERP's path (a dynamically linked program's loader), bounded and checked. */
function interpreterAt(data: Uint8Array, offset: number, size: number): string {
  if (size === 0 || size > 4096 || offset + size > data.length) throw new ElfError('bad PT_INTERP segment');
  const bytes = data.subarray(offset, offset + size);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}
