/**
 * A pager for native L4 guest tasks running one ELF image (model code, like sigma0 a user-level service).
 * Read-only segments are shared by every task running the image; writable segments and the stack get a
 * private copy per task. A fault it cannot serve (outside the image, or a write to text) is not answered:
 * the faulting thread stays blocked, as on a bare L4 system without a personality to send it a signal.
 */
import type { GuestImage } from './guest-image.js';
import { gidTask } from './ids.js';
import { MemoryPool } from './memory-pool.js';
import type { ModelCtx, ModelProgram } from './model-engine.js';
import { fpageMsg, replyWait, wait, work, type IpcResult } from './ops.js';
import { timeouts, ZERO } from './timeouts.js';

export const STACK_TOP = 0xbfff0000;
const STACK_BOTTOM = 0xbf000000;
const POOL_BASE = 0x40000000;

export function elfPagerProgram(imageName: string, poolLog2 = 22): ModelProgram {
  return {
    name: 'elf-pager',
    *run(ctx: ModelCtx) {
      const image = ctx.machine.image(imageName);
      const pool = new MemoryPool(POOL_BASE, poolLog2);
      if (!(yield* pool.init(ctx))) throw new Error('elf-pager: sigma0 gave no memory');
      const shared = new Map<number, number>();
      const privatePages = new Map<number, Map<number, number>>();
      let r: IpcResult = yield* wait();
      for (;;) {
        if (r.error !== 0 || r.words.length < 2) {
          r = yield* wait();
          continue;
        }
        const addr = (r.words[0]! & ~3) >>> 0;
        const write = (r.words[0]! & 2) !== 0;
        const page = yield* resolve(ctx, image, pool, shared, privatePages, gidTask(r.src), addr, write);
        if (page === undefined) {
          r = yield* wait();
          continue;
        }
        r = yield* replyWait(r.src, [], timeouts({ snd: ZERO }), fpageMsg({ base: page.at, log2: 12, write: page.writable, grant: false, sndBase: addr & ~0xfff }));
      }
    },
  };
}

function* resolve(
  ctx: ModelCtx,
  image: GuestImage,
  pool: MemoryPool,
  shared: Map<number, number>,
  privatePages: Map<number, Map<number, number>>,
  task: number,
  addr: number,
  write: boolean,
) {
  const vpn = Math.floor(addr / 4096);
  const seg = image.elf.segments.find((s) => addr >= s.vaddr && addr < s.vaddr + s.memsz);
  const writable = seg ? (seg.flags & 2) !== 0 : addr >= STACK_BOTTOM && addr < STACK_TOP + 0x10000;
  if (!seg && !writable) return undefined;
  if (write && !writable) return undefined;
  let mine = privatePages.get(task);
  if (!mine) privatePages.set(task, (mine = new Map()));
  const table = writable ? mine : shared;
  let at = table.get(vpn);
  if (at === undefined) {
    at = yield* pool.take(ctx);
    if (at < 0) return undefined; // no memory left: the fault is not answered
    const content = new Uint8Array(4096);
    // Every segment overlapping this page contributes its file bytes (segments may share a page).
    for (const s of image.elf.segments) {
      const lo = Math.max(s.vaddr, vpn * 4096);
      const hi = Math.min(s.vaddr + s.filesz, vpn * 4096 + 4096);
      if (lo < hi) content.set(image.elf.data.subarray(s.offset + (lo - s.vaddr), s.offset + (hi - s.vaddr)), lo - vpn * 4096);
    }
    ctx.writeMem(at, content);
    yield* work(4096 * ctx.machine.costs.copyPerByte);
    table.set(vpn, at);
  }
  return { at, writable };
}
