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

  symbol(name: string): number {
    const v = this.elf.symbols.get(name);
    if (v === undefined) throw new Error(`${this.name}: no symbol ${name}`);
    return v;
  }
}
