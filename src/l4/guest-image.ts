/**
 * Guest programs known to a machine: the parsed ELF plus the trace's string ids of its function names
 * (interned on first use). Images are embedded in the trace header, so a trace replays without files.
 */
import type { TraceRecorder } from '../../tracer/recorder.js';
import { parseElf, type ElfImage } from '../ia32/elf.js';
import { createHash } from 'node:crypto';

/** gcc's i386 get-PC thunks (`__x86.get_pc_thunk.bx`, older `__i686.get_pc_thunk.bx`). */
const PC_THUNK = /^__(x86|i686)\.get_pc_thunk\./;

export class GuestImage {
  readonly elf: ElfImage;
  readonly sha256: Uint8Array;
  private readonly nameIds = new Map<number, number>();

  constructor(
    readonly name: string,
    readonly data: Uint8Array,
  ) {
    this.elf = parseElf(data);
    this.sha256 = createHash('sha256').update(data).digest();
  }

  /** Trace string id of the function at `addr` (its symbol, or the address in hex). */
  functionId(addr: number, recorder: TraceRecorder): number {
    let id = this.nameIds.get(addr);
    if (id === undefined) {
      id = recorder.intern(this.elf.functions.get(addr) ?? `0x${addr.toString(16)}`);
      this.nameIds.set(addr, id);
    }
    return id;
  }

  /**
   * Call tracing: the trace string id of the function a CALL to `addr` enters, or -1 when `addr` is no
   * function. With a symbol table that is a function symbol (STT_FUNC); in a stripped binary every call
   * target is a function, named `sub_<hex>` (as disassemblers name them).
   */
  callTargetId(addr: number, recorder: TraceRecorder): number {
    if (this.elf.functions.size > 0) {
      const name = this.elf.functions.get(addr);
      // The i386 PIC helpers (`call __x86.get_pc_thunk.bx`: mov (%esp),%ebx; ret) are no functions of the source.
      return name === undefined || PC_THUNK.test(name) ? -1 : this.functionId(addr, recorder);
    }
    let id = this.subIds.get(addr);
    if (id === undefined) {
      id = this.isPcThunk(addr) ? -1 : recorder.intern(`sub_${addr.toString(16)}`);
      this.subIds.set(addr, id);
    }
    return id;
  }

  /** A get-PC thunk without its name: `mov (%esp),%reg; ret` (8b /r 24 c3) in the image's file. */
  private isPcThunk(addr: number): boolean {
    const seg = this.elf.segments.find((sg) => addr >= sg.vaddr && addr + 4 <= sg.vaddr + sg.filesz);
    if (!seg) return false;
    const o = seg.offset + (addr - seg.vaddr);
    const d = this.data;
    return d[o] === 0x8b && (d[o + 1]! & 0xc7) === 0x04 && d[o + 1] !== 0x24 && d[o + 2] === 0x24 && d[o + 3] === 0xc3;
  }

  /** Call tracing: the trace string id of the function starting at `addr` (a jump target), or -1 if none is known. */
  jumpTargetId(addr: number, recorder: TraceRecorder): number {
    return this.elf.functions.has(addr) ? this.functionId(addr, recorder) : -1;
  }

  private readonly subIds = new Map<number, number>();

  /** Short digest of the image (decoded code with call tracing depends on its function symbols). */
  get key(): string {
    return Buffer.from(this.sha256.subarray(0, 8)).toString('hex');
  }

  /** "name+0xoff" of the function symbol at or below `addr` within its text, or '' without symbols. */
  functionContaining(addr: number): string {
    this.sorted ??= [...this.elf.functions.keys()].sort((a, b) => a - b);
    const s = this.sorted;
    let lo = 0;
    let hi = s.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return '';
    const start = s[best]!;
    const name = this.elf.functions.get(start)!;
    return addr === start ? name : `${name}+0x${(addr - start).toString(16)}`;
  }

  private sorted: number[] | undefined;

  symbol(name: string): number {
    const v = this.elf.symbols.get(name);
    if (v === undefined) throw new Error(`${this.name}: no symbol ${name}`);
    return v;
  }
}
