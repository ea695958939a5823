/**
 * Guest programs known to a machine: the parsed ELF plus the trace's string ids of its function names
 * (interned on first use). Images are embedded in the trace header, so a trace replays without files.
 */
import type { TraceRecorder } from '../../tracer/recorder.js';
import { parseElf, type ElfImage } from '../ia32/elf.js';
import { createHash } from 'node:crypto';

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
