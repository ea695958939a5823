/**
 * Physical memory for a user-level server (a pager, the Linux server): one request to sigma0 maps a
 * large region into the server's own address space; pages are then handed out from it. When the region
 * is used up the pool grows: it asks sigma0 for more, right after what it has (the largest naturally
 * aligned region sigma0 still has, from the size of the last one down to one page), until sigma0 has
 * nothing left. Then `alloc` returns -1 and the server decides what running out of memory means (Linux:
 * ENOMEM, or the out-of-memory kill). Model code.
 */
import { SIGMA0_ANY_PAGE } from './sigma0.js';
import type { ModelCtx } from './model-engine.js';
import { call, type OpGenerator } from './ops.js';

/** How far a pool's virtual region may extend in its server's address space. */
export const POOL_REGION_MAX = 0x30000000;

export class MemoryPool {
  private next = 0;
  private readonly free: number[] = [];
  /** Pages of the region mapped so far. */
  private size = 0;
  /** log2 of the last region sigma0 gave: the next request asks for at most that much. */
  private lastLog2: number;
  /** sigma0 refused even a single page: no more growing. */
  private exhausted = false;
  /** Regions taken from sigma0 (the first included). */
  regions = 0;

  constructor(
    /** Virtual address of the pool in the server's space. */
    readonly base: number,
    readonly log2: number,
  ) {
    this.lastLog2 = log2;
  }

  /** Ask sigma0 for the region (call once, from the server's thread). */
  *init(ctx: ModelCtx): OpGenerator<boolean> {
    if (!(yield* this.request(ctx, this.log2))) return false;
    this.size = 2 ** (this.log2 - 12);
    return true;
  }

  /** One sigma0 request for 2^log2 bytes mapped right after the pages the pool has. */
  private *request(ctx: ModelCtx, log2: number): OpGenerator<boolean> {
    const s0 = ctx.machine.threadId(2, 0);
    const at = this.base + this.size * 4096;
    const r = yield* call(s0, [SIGMA0_ANY_PAGE, log2], undefined, {}, { window: { base: at, log2 } });
    if (r.error !== 0 || !r.fpageReceived) return false;
    this.regions++;
    return true;
  }

  /**
   * Get more memory from sigma0 (at least one page), the largest region it still has first. The virtual
   * end of the pool stays aligned for every request, because requests never grow in size. Returns
   * whether the pool grew.
   */
  *grow(ctx: ModelCtx): OpGenerator<boolean> {
    if (this.exhausted) return false;
    for (let log2 = this.lastLog2; log2 >= 12; log2--) {
      if ((this.size * 4096) + 2 ** log2 > POOL_REGION_MAX) continue;
      if (yield* this.request(ctx, log2)) {
        this.size += 2 ** (log2 - 12);
        this.lastLog2 = log2;
        return true;
      }
    }
    this.exhausted = true;
    return false;
  }

  /** A page of the pool (its virtual address in the server), or -1 when the pool is used up. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next >= this.size) return -1;
    return this.base + this.next++ * 4096;
  }

  /** A page, growing the pool from sigma0 if it is used up; -1 when there is no memory left. */
  *take(ctx: ModelCtx): OpGenerator<number> {
    const at = this.alloc();
    if (at >= 0 || !(yield* this.grow(ctx))) return at;
    return this.alloc();
  }

  /** Make sure `pages` pages are free in the pool, growing it as far as needed and possible. */
  *reserve(ctx: ModelCtx, pages: number): OpGenerator<boolean> {
    while (this.available < pages) if (!(yield* this.grow(ctx))) return false;
    return true;
  }

  release(page: number): void {
    this.free.push(page);
  }

  /** Pages handed out and not released. */
  get used(): number {
    return this.next - this.free.length;
  }

  /** Pages the pool can hand out without growing. */
  get available(): number {
    return this.size - this.next + this.free.length;
  }
}
