/**
 * sigma0, the root pager: it owns all physical memory 1:1 and answers page-fault-style requests by
 * mapping the page at the requested physical address, each page to one task only (a page already given
 * to another task is refused: the requester then faults again). The request 0xfffffffc asks for any
 * free page; with a second word n (12..24) it asks for any free, naturally aligned region of 2^n bytes,
 * mapped as one flexpage (our extension, so servers can take their memory in one request, as L4Linux
 * takes its memory from RMGR at boot). (l4-semantics.md §6.)
 */
import { gidTask } from './ids.js';
import { IpcError } from './ipc-errors.js';
import type { ModelProgram } from './model-engine.js';
import { fpageMsg, replyWait, wait, type IpcResult } from './ops.js';
import { timeouts, ZERO } from './timeouts.js';

export const SIGMA0_ANY_PAGE = 0xfffffffc;

export const sigma0Program: ModelProgram = {
  name: 'sigma0',
  *run(ctx) {
    const given = new Map<number, number>();
    const frames = ctx.machine.param<number>('physFrames');
    let nextFree = 256; // the first megabyte stays reserved, as on a PC
    let r: IpcResult = yield* wait();
    for (;;) {
      if (r.error !== IpcError.OK || r.words.length < 1) {
        r = yield* wait();
        continue;
      }
      const requester = gidTask(r.src);
      const req = r.words[0]! >>> 0;
      let frame = -1;
      let sndBase = 0;
      let log2 = 12;
      if (req === SIGMA0_ANY_PAGE) {
        const want = r.words[1] ?? 0;
        log2 = want >= 12 && want <= 24 ? want : 12;
        const pages = 2 ** (log2 - 12);
        let f = Math.ceil(nextFree / pages) * pages;
        while (f + pages <= frames) {
          let free = true;
          for (let i = 0; i < pages && free; i++) free = !given.has(f + i);
          if (free) break;
          f += pages;
        }
        if (f + pages <= frames) {
          frame = f;
          for (let i = 0; i < pages; i++) given.set(f + i, requester);
          if (pages === 1) nextFree = f + 1;
        }
      } else {
        const f = Math.floor((req & ~3) / 4096);
        const owner = given.get(f);
        if (f < frames && (owner === undefined || owner === requester)) frame = f;
        sndBase = req & ~0xfff;
      }
      if (frame < 0) {
        r = yield* replyWait(r.src, [0, 0], timeouts({ snd: ZERO }));
        continue;
      }
      given.set(frame, requester);
      r = yield* replyWait(r.src, [], timeouts({ snd: ZERO }), fpageMsg({ base: frame * 4096, log2, write: true, grant: false, sndBase: sndBase || frame * 4096 }));
    }
  },
};
