/**
 * Physical memory for a user-level server (a pager, the Linux server): one request to sigma0 maps a
 * large region into the server's own address space; pages are then handed out from it. Model code.
 */
import { SIGMA0_ANY_PAGE } from './sigma0.js';
import type { ModelCtx } from './model-engine.js';
import { call, type OpGenerator } from './ops.js';

export class MemoryPool {
  private next = 0;
  private readonly free: number[] = [];
  private size = 0;

  constructor(
    /** Virtual address of the pool in the server's space. */
    readonly base: number,
    readonly log2: number,
  ) {}

  /** Ask sigma0 for the region (call once, from the server's thread). */
  *init(ctx: ModelCtx): OpGenerator<boolean> {
    const s0 = ctx.machine.threadId(2, 0);
    const r = yield* call(s0, [SIGMA0_ANY_PAGE, this.log2], undefined, {}, { window: { base: this.base, log2: this.log2 } });
    if (r.error !== 0 || !r.fpageReceived) return false;
    this.size = 2 ** (this.log2 - 12);
    return true;
  }

  /** A page of the pool (its virtual address in the server), zero-filled by the caller if needed. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next >= this.size) throw new Error(`memory pool at 0x${this.base.toString(16)} is exhausted (${this.size} pages)`);
    return this.base + this.next++ * 4096;
  }

  release(page: number): void {
    this.free.push(page);
  }

  get used(): number {
    return this.next - this.free.length;
  }
}
