/**
 * The L4Env services L4Linux 2.4 uses on L4Env (the seed thesis, D1 §5): a task server that owns the
 * task numbers and creates and deletes tasks on request, and a dataspace manager (dm_phys) that hands
 * out memory page by page. Each costs the Linux server an IPC round trip per request, which is where
 * L4Env's fork overhead comes from.
 */
import { NIL } from '../../l4/ids.js';
import { MemoryPool } from '../../l4/memory-pool.js';
import type { ModelCtx, ModelProgram } from '../../l4/model-engine.js';
import { replyWait, taskNew, unmap, wait, type Annotation, type IpcResult, type MsgOut, type OpGenerator } from '../../l4/ops.js';
import { timeouts, ZERO } from '../../l4/timeouts.js';
import { DM_ALLOC, DM_FREE, DM_RESERVE, TS_CREATE, TS_DELETE } from './protocol.js';

export const TASK_SERVER_TASK = 6;
export const DM_TASK = 7;
/** Where the dataspace manager keeps its memory in its own address space. */
const DM_POOL_BASE = 0x20000000;

export class L4EnvServices {
  /**
   * Simulator-side names and image of the next task the task server creates (trace annotations travel
   * beside the IPC, not in it).
   */
  pendingAnnotation: Annotation | null = null;
  private readonly freeTasks: number[] = [];

  constructor(
    firstTask: number,
    tasks: number,
    private readonly poolLog2: number,
  ) {
    for (let i = 0; i < tasks; i++) this.freeTasks.push(firstTask + i);
  }

  taskServer(): ModelProgram {
    return { name: 'l4env-task-server', run: (ctx) => this.serveTasks(ctx) };
  }

  dataspaceManager(): ModelProgram {
    return { name: 'l4env-dm-phys', run: (ctx) => this.serveMemory(ctx) };
  }

  /** [TS_CREATE, task or 0, ip, pager, sp, prio] -> [thread 0 of the task]; [TS_DELETE, task] -> [0]. */
  private *serveTasks(ctx: ModelCtx): OpGenerator {
    const accept = { maxWords: 6 };
    let r: IpcResult = yield* wait(timeouts({}), accept);
    for (;;) {
      if (r.error !== 0) {
        r = yield* wait(timeouts({}), accept);
        continue;
      }
      let reply: number[] = [NIL];
      if (r.error === 0 && r.words[0] === TS_CREATE) {
        const [, want, ip, pager, sp, prio] = r.words as [number, number, number, number, number, number];
        const no = want !== 0 ? want : this.freeTasks.shift();
        if (no !== undefined) {
          const t = yield* taskNew(no, prio, pager, ip, sp, { prio, annotate: this.pendingAnnotation ?? {} });
          this.pendingAnnotation = null;
          reply = [t.task];
        }
      } else if (r.error === 0 && r.words[0] === TS_DELETE) {
        yield* taskNew(r.words[1]!, ctx.task, NIL, 0, 0);
        this.freeTasks.push(r.words[1]!);
        reply = [0];
      }
      r = yield* replyWait(r.src, reply, timeouts({ snd: ZERO }), {}, accept);
    }
  }

  /**
   * [DM_ALLOC] -> one page mapped into the caller's window, [page id] (or [0] and no mapping when memory
   * is used up); [DM_FREE, id] -> unmapped, [0]; [DM_RESERVE, n] -> [1] if n pages are free, else [0].
   * Its pool grows from sigma0 when used up.
   */
  private *serveMemory(ctx: ModelCtx): OpGenerator {
    const pool = new MemoryPool(DM_POOL_BASE, this.poolLog2);
    if (!(yield* pool.init(ctx))) throw new Error('dm_phys: sigma0 gave no memory');
    let r: IpcResult = yield* wait();
    for (;;) {
      if (r.error !== 0) {
        r = yield* wait();
        continue;
      }
      let reply: MsgOut = { words: [0] };
      if (r.error === 0 && r.words[0] === DM_ALLOC) {
        const page = yield* pool.take(ctx);
        if (page >= 0) reply = { words: [page], fpages: [{ base: page, log2: 12, write: true, grant: false, sndBase: 0 }] };
      } else if (r.error === 0 && r.words[0] === DM_RESERVE) {
        reply = { words: [(yield* pool.reserve(ctx, r.words[1] ?? 0)) ? 1 : 0] };
      } else if (r.error === 0 && r.words[0] === DM_FREE && r.words[1]) {
        yield* unmap(r.words[1], 12, false, false);
        pool.release(r.words[1]);
      }
      r = yield* replyWait(r.src, reply.words, timeouts({ snd: ZERO }), reply);
    }
  }
}
