/**
 * Physical memory and page tables. Physical memory is one byte array of 4 KiB frames. A page table maps
 * virtual page numbers to (frame, rights) through a two-level directory, like IA32 paging, so a 4 GiB
 * space costs memory only where it is mapped. Entries are numbers: frame * 8 + rights, 0 = unmapped.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Access rights. */
export const R = 1;
export const W = 2;
export const X = 4;
export const RWX = R | W | X;

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly frames: number;
  /** Frames that were ever written: the only ones whose contents can differ from zero-fill. */
  readonly touched: Uint8Array;
  /** Frames holding decoded instructions; anyone writing such a frame must call `codeWritten`. */
  readonly codeFrames: Uint8Array;
  /** Set by the code cache: forget the decoded instructions of a frame. */
  codeWritten: (frame: number) => void = () => {};
  /**
   * Bumped whenever a frame starts holding decoded code: CPUs then drop write translations they cached
   * for such frames, so that writes to them go the slow way and invalidate the code.
   */
  codeGeneration = 0;

  constructor(frames: number) {
    this.frames = frames;
    this.bytes = new Uint8Array(frames * PAGE_SIZE);
    this.touched = new Uint8Array(frames);
    this.codeFrames = new Uint8Array(frames);
  }

  /** Copy bytes into physical memory (kernel and model-code writers), keeping decoded code coherent. */
  write(addr: number, data: Uint8Array): void {
    for (let f = Math.floor(addr / PAGE_SIZE); f <= Math.floor((addr + data.length - 1) / PAGE_SIZE); f++) {
      if (this.codeFrames[f]) this.codeWritten(f);
      this.touched[f] = 1;
    }
    this.bytes.set(data, addr);
  }

  frame(n: number): Uint8Array {
    return this.bytes.subarray(n * PAGE_SIZE, (n + 1) * PAGE_SIZE);
  }
}

export class PageTable {
  private readonly dirs: (Int32Array | undefined)[] = new Array(1024).fill(undefined);
  /** Number of mapped pages. */
  count = 0;
  /** Bumped on every unmap or rights reduction, so cached translations (TLBs) know to flush. */
  generation = 0;

  get(vpn: number): number {
    const d = this.dirs[vpn >>> 10];
    return d ? d[vpn & 1023]! : 0;
  }

  set(vpn: number, frame: number, rights: number): void {
    let d = this.dirs[vpn >>> 10];
    if (!d) d = this.dirs[vpn >>> 10] = new Int32Array(1024);
    const old = d[vpn & 1023]!;
    if (old === 0) this.count++;
    else if ((old & ~rights & 7) !== 0 || old >>> 3 !== frame) this.generation++;
    d[vpn & 1023] = frame * 8 + rights;
  }

  clear(vpn: number): void {
    const d = this.dirs[vpn >>> 10];
    if (!d || d[vpn & 1023] === 0) return;
    d[vpn & 1023] = 0;
    this.count--;
    this.generation++;
  }

  /** Every mapped page in address order. */
  *entries(): Generator<[vpn: number, frame: number, rights: number]> {
    for (let i = 0; i < 1024; i++) {
      const d = this.dirs[i];
      if (!d) continue;
      for (let j = 0; j < 1024; j++) {
        const e = d[j]!;
        if (e !== 0) yield [i * 1024 + j, e >>> 3, e & 7];
      }
    }
  }
}

