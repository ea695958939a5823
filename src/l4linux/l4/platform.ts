/**
 * Linux on L4 (l4-semantics.md §7): pages of user memory are pages of the server's pool, mapped to
 * processes in page-fault replies; fork write-protects the parent with fpage_unmap (downgrade) per page;
 * a process is an L4 task whose thread 0 starts in the emulation library; a signal for a process in user
 * mode is a kick IPC, with send timeout 0, to its signal thread.
 *
 * On L4Env the same server gets its tasks from the task server and its memory from the dataspace
 * manager (l4env.ts), one IPC per request.
 */
import { NIL, gidTask } from '../../l4/ids.js';
import { MemoryPool, POOL_REGION_MAX } from '../../l4/memory-pool.js';
import type { ModelCtx } from '../../l4/model-engine.js';
import { call, descSet, send, taskNew, unmap, type OpGenerator, type TaskNewResult } from '../../l4/ops.js';
import { TLS_FIRST, type Segments } from '../../ia32/segments.js';
import { timeouts, ZERO } from '../../l4/timeouts.js';
import type { Coroutine, LxGen } from '../coroutine.js';
import type { PageEntry } from '../memory.js';
import { SIG_PATH, type KickOutcome, type Platform, type UserFpu, type UserPage } from '../platform.js';
import type { Process } from '../process.js';
import { DM_ALLOC, DM_FREE, DM_RESERVE, LX_KICK, LX_NEW_THREAD, TS_CREATE, TS_DELETE } from './protocol.js';
import { FIRST_USER_TASK, pairKey, pairOf, SERVER_TASK, USER_TASKS, type LinuxServer } from './server.js';
import { SIGNAL_THREAD } from './emulib.js';
import { DM_TASK, TASK_SERVER_TASK } from './l4env.js';

/** Where the page pool sits in the server's address space. */
export const POOL_BASE = 0x10000000;

/** The OpGenerators of the L4 helpers yield kernel operations only; in Linux code they are coroutine steps. */
const lx = <T>(g: OpGenerator<T>): LxGen<T> => g as unknown as LxGen<T>;

export class L4Platform implements Platform {
  readonly personality: 'l4linux' | 'l4env';
  /** Where new tasks start: the emulation library's startup code. */
  emulibStartIp = 0;
  private pool: MemoryPool | null = null;
  /** L4Env: free virtual pages of the pool region, and the dataspace page behind each used one. */
  private readonly vpool: number[] = [];
  private vnext = 0;
  private readonly dsPage = new Map<number, number>();
  private readonly freeTasks: number[] = [];

  constructor(private readonly server: LinuxServer) {
    this.personality = server.opts.personality;
    for (let i = 0; i < USER_TASKS; i++) this.freeTasks.push(FIRST_USER_TASK + i);
  }

  private get ctx(): ModelCtx {
    return this.server.lx.ctx;
  }

  private get l4env(): boolean {
    return this.personality === 'l4env';
  }

  /** Get the pool: from sigma0 in one request (V2), or nothing yet (L4Env allocates page by page). */
  *initMemory(ctx: ModelCtx): OpGenerator<boolean> {
    if (this.l4env) return true;
    this.pool = new MemoryPool(POOL_BASE, this.server.opts.poolLog2);
    return yield* this.pool.init(ctx);
  }

  /** A page of memory, or -1 when there is none left (V2: sigma0 has none; L4Env: dm_phys has none). */
  *allocPage(): LxGen<number> {
    if (!this.l4env) return yield* lx(this.pool!.take(this.ctx));
    let at = this.vpool.pop();
    if (at === undefined) {
      if (this.vnext * 4096 >= POOL_REGION_MAX) return -1; // the server's window region is full
      at = POOL_BASE + 4096 * this.vnext++;
    }
    const dm = this.ctx.machine.threadId(DM_TASK, 0);
    const r = yield* lx(call(dm, [DM_ALLOC], undefined, {}, { window: { base: at, log2: 12 } }));
    if (r.error !== 0 || !r.fpageReceived) {
      this.vpool.push(at);
      return -1;
    }
    this.dsPage.set(at, r.words[0]!);
    return at;
  }

  /** vm_enough_memory: whether `pages` more pages can be had (the pool, or dm_phys, grows as needed). */
  *reserve(pages: number): LxGen<boolean> {
    if (!this.l4env) return yield* lx(this.pool!.reserve(this.ctx, pages));
    const dm = this.ctx.machine.threadId(DM_TASK, 0);
    const r = yield* lx(call(dm, [DM_RESERVE, pages]));
    return r.error === 0 && r.words[0] === 1;
  }

  *freePage(at: number): LxGen {
    if (!this.l4env) {
      this.pool!.release(at);
      return;
    }
    const dm = this.ctx.machine.threadId(DM_TASK, 0);
    yield* lx(call(dm, [DM_FREE, this.dsPage.get(at) ?? 0]));
    this.dsPage.delete(at);
    this.vpool.push(at);
  }

  readPage(at: number, offset: number, len: number): Uint8Array {
    return this.ctx.readMem(at + offset, len);
  }

  writePage(at: number, offset: number, data: Uint8Array): void {
    this.ctx.writeMem(at + offset, data);
  }

  /** One fpage_unmap per page, as L4Linux flushes per page-table entry. */
  *writeProtect(_proc: Process, pages: UserPage[]): LxGen {
    for (const p of pages) yield* lx(unmap(p.at, 12, true, false));
  }

  *unmapPages(_proc: Process, pages: UserPage[]): LxGen {
    for (const p of pages) yield* lx(unmap(p.at, 12, false, false));
  }

  /** Pages reach the process in page-fault replies. */
  *mapPage(_proc: Process, _vpn: number, _e: PageEntry): LxGen {}

  *startProcess(proc: Process, kind: 'init' | 'fork' | 'exec'): LxGen<boolean> {
    const server = this.server;
    if (kind !== 'exec') {
      const task = this.l4env ? 0 : this.freeTasks.shift();
      if (task === undefined) return false;
      proc.task = task;
      proc.vcpu = server.assignVcpu(proc.parent);
    }
    proc.started = false;
    proc.sigReady = false;
    proc.kickLost = false;
    const handler = server.vcpuGid(this.ctx, proc.vcpu);
    const annotate = {
      name: proc.name,
      taskName: proc.name,
      linuxPid: proc.pid,
      ...(proc.tgid !== proc.pid ? { linuxTgid: proc.tgid } : {}),
      image: proc.mm.image.name,
      directSyscalls: server.opts.syscalls === 'direct',
      // The process runs on the physical CPU of the virtual CPU that serves it.
      cpu: server.vcpus[proc.vcpu]!.cpu,
    };
    const prio = server.opts.prio.user;
    let thread: number;
    if (this.l4env) {
      // The task server creates the task (a new number unless exec re-creates it in place).
      const ts = this.ctx.machine.threadId(TASK_SERVER_TASK, 0);
      server.opts.l4env!.pendingAnnotation = annotate;
      const r = yield* lx(call(ts, [TS_CREATE, proc.task, this.emulibStartIp, handler, handler, prio]));
      thread = r.error === 0 ? (r.words[0] ?? NIL) : NIL;
      if (thread !== NIL && kind !== 'exec') proc.task = gidTask(thread);
    } else {
      // task_new on an existing task deletes it first: exec re-creates the task in place.
      const r: TaskNewResult = yield* lx(taskNew(proc.task, prio, handler, this.emulibStartIp, handler, { prio, annotate }));
      thread = r.task;
    }
    if (thread === NIL) {
      if (kind !== 'exec') server.releaseVcpu(proc.vcpu);
      return false;
    }
    this.forget(proc);
    proc.lthread = 0;
    server.byThread.set(pairKey(proc.task, 0), proc);
    return true;
  }

  /**
   * A thread of a process. L4Linux 2.4 (`threadModel` task): a task of its own, started as a fork child's
   * is, with the same Linux memory, so it faults in the same mappings and every switch between threads
   * switches address spaces. The shared model: a new L4 thread pair (user 2k, signal 2k + 1) in the
   * creator's task, which the emulation library creates when the clone reply reaches it.
   */
  *startThread(thread: Process, creator: Process): LxGen<boolean> {
    const server = this.server;
    if (server.opts.threadModel === 'task') return yield* this.startProcess(thread, 'fork');
    const used = new Set<number>();
    for (const [key, p] of server.byThread) if (pairOf(key).task === creator.task && p.runsUser) used.add(pairOf(key).lthread);
    let lthread = 2;
    while (lthread < 128 && used.has(lthread)) lthread += 2;
    if (lthread >= 128) return false;
    thread.task = creator.task;
    thread.lthread = lthread;
    // The emulation library creates the pair on its creator's CPU: the thread stays on the creator's virtual CPU.
    thread.vcpu = creator.vcpu;
    thread.started = false;
    thread.sigReady = false;
    thread.kickLost = false;
    server.byThread.set(pairKey(thread.task, lthread), thread);
    creator.spawn = [LX_NEW_THREAD, lthread, this.emulibStartIp, server.vcpuGid(this.ctx, thread.vcpu), thread.pid, thread.tgid];
    return true;
  }

  *endThread(thread: Process): LxGen {
    if (this.server.opts.threadModel === 'task') return yield* this.endProcess(thread);
    // Its L4 threads stay (V2 cannot delete a thread of another task): the user thread waits for the
    // reply to its exit call forever, and the pair is reused by the next thread or goes with the task.
    this.forget(thread);
  }

  *endProcess(proc: Process): LxGen {
    if (this.l4env) {
      const ts = this.ctx.machine.threadId(TASK_SERVER_TASK, 0);
      yield* lx(call(ts, [TS_DELETE, proc.task]));
    } else {
      yield* lx(taskNew(proc.task, SERVER_TASK, NIL, 0, 0)); // delete; the server stays chief
      this.freeTasks.push(proc.task);
    }
    this.server.releaseVcpu(proc.vcpu);
    // Every thread pair of the task goes with it.
    for (const [key, p] of [...this.server.byThread]) if (pairOf(key).task === proc.task && (p === proc || !p.runsUser)) this.server.byThread.delete(key);
  }

  private forget(thread: Process): void {
    const key = pairKey(thread.task, thread.lthread);
    if (this.server.byThread.get(key) === thread) this.server.byThread.delete(key);
  }

  /** The L4 thread that runs the Linux thread's user code. */
  private userThread(proc: Process): number {
    return this.ctx.machine.threadId(proc.task, proc.lthread);
  }

  userFpu(proc: Process): UserFpu | null {
    return this.ctx.machine.fpu(this.userThread(proc));
  }

  canKick(proc: Process): boolean {
    return this.server.lx.config.signalFix !== 'handshake' || (proc.started && proc.sigReady);
  }

  /**
   * The kick: a short IPC with send timeout 0 to the signal thread. It is lost (ENOT_EXISTENT,
   * SETIMEOUT) while the signal thread does not exist yet or is not yet waiting.
   */
  *kick(proc: Process): LxGen<KickOutcome> {
    if (!this.canKick(proc)) return { path: SIG_PATH.DEFERRED, error: 0 };
    const target = this.ctx.machine.threadId(proc.task, proc.lthread + SIGNAL_THREAD);
    const r = yield* lx(send(target, [LX_KICK], timeouts({ snd: ZERO })));
    // The handshake's signal thread reports ready again after each kick.
    if (this.server.lx.config.signalFix === 'handshake') proc.sigReady = false;
    proc.kicked = r.error === 0;
    if (r.error !== 0) {
      proc.kickLost = true;
      this.server.lx.stats.kicksLost++;
    }
    return { path: SIG_PATH.KICK, error: r.error };
  }

  schedule(co: Coroutine): void {
    const v = this.server.vcpus[co.proc.vcpu]!;
    v.runnable.push(co);
    v.doorbell = true;
  }

  userSegments(proc: Process): Segments | null {
    return this.ctx.machine.segments(this.userThread(proc));
  }

  /** The server cannot write descriptor tables: fiasco_gdt_set / fiasco_ldt_set, a system call each. */
  *setDescriptors(proc: Process, table: 'gdt' | 'ldt'): LxGen {
    const thread = this.userThread(proc);
    const words = Array.from(table === 'gdt' ? proc.tls : proc.ldt);
    yield* lx(descSet(thread, table, table === 'gdt' ? TLS_FIRST : 0, words));
  }
}
