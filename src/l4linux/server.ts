/**
 * The Linux server: one L4 task whose main thread owns the Linux state, is the pager of every process,
 * and serves the system calls that processes send through the emulation library (l4-semantics.md §7).
 * Memory comes from sigma0 in one region (a MemoryPool); process pages are backed by pool pages and
 * mapped to the process on its page faults.
 *
 * Requests arrive as IPC to the main thread:
 *   2 words  [fault address | write bit, eip]  a page fault (kernel-generated page-fault IPC)
 *   12 words [trapno, err, eip, eflags, edi, esi, ebp, esp, ebx, edx, ecx, eax]  an exception reflected by
 *            the emulation library: int $0x80 (a system call) or a fault (#UD, #DE, #GP)
 */
import { Kind } from '../../tracer/catalogue.js';
import { EXC, EXC_WORDS, TRAP_DE, TRAP_GP, TRAP_UD } from '../l4/ia32-engine.js';
import { gidTask, NIL } from '../l4/ids.js';
import { MemoryPool } from '../l4/memory-pool.js';
import type { ModelCtx, ModelProgram } from '../l4/model-engine.js';
import { fpageMsg, replyWait, taskNew, wait, work, type IpcResult, type MsgOut, type OpGenerator } from '../l4/ops.js';
import { timeouts, ZERO } from '../l4/timeouts.js';
import { buildInitialStack } from '../ia32/process-stack.js';
import { EBADF, EFAULT, ENOSYS, NR, SIG } from './abi.js';
import { ProcessMemory, USER_STACK_TOP } from './mm.js';
import { exitedStatus, Process, signaledStatus } from './process.js';

export const SERVER_TASK = 5;
export const FIRST_USER_TASK = 16;
export const USER_TASKS = 64;
export const PRIO_KERNEL = 180;
export const PRIO_USER = 100;
const POOL_BASE = 0x10000000;

export interface LinuxConfig {
  /** Guest image of the first process, its argv and environment. */
  init: string;
  args: string[];
  env: string[];
  /** Memory taken from sigma0, as log2 of bytes. */
  poolLog2: number;
}

const SIG_ACTION_TERMINATE = 2;

export class LinuxServer {
  readonly processes = new Map<number, Process>();
  private readonly byTask = new Map<number, Process>();
  private pool!: MemoryPool;
  private nextPid = 1;
  private readonly freeTasks: number[] = [];

  constructor(readonly config: LinuxConfig) {
    for (let i = 0; i < USER_TASKS; i++) this.freeTasks.push(FIRST_USER_TASK + i);
  }

  /** The main server thread's program. */
  program(): ModelProgram {
    return { name: 'linux-server', run: (ctx) => this.main(ctx) };
  }

  private *main(ctx: ModelCtx): OpGenerator {
    this.pool = new MemoryPool(POOL_BASE, this.config.poolLog2);
    if (!(yield* this.pool.init(ctx))) throw new Error('linux server: sigma0 gave no memory');
    yield* this.spawnInit(ctx);
    // Requests carry up to 12 words (the registers of a reflected exception).
    const accept = { maxWords: EXC_WORDS };
    let r: IpcResult = yield* wait(timeouts({}), accept);
    for (;;) {
      const reply = r.error === 0 ? yield* this.request(ctx, r) : null;
      r = reply ? yield* replyWait(r.src, [], timeouts({ snd: ZERO }), reply, accept) : yield* wait(timeouts({}), accept);
    }
  }

  private *spawnInit(ctx: ModelCtx): OpGenerator {
    const image = ctx.machine.image(this.config.init);
    const proc = this.newProcess(0, this.config.init, new ProcessMemory(image));
    const stack = buildInitialStack(USER_STACK_TOP, [this.config.init, ...this.config.args], this.config.env, image.elf.entry);
    yield* this.copyToUser(ctx, proc, stack.sp, stack.bytes);
    const r = yield* taskNew(proc.task, 255, ctx.gid, image.elf.entry, stack.sp, {
      prio: PRIO_USER,
      annotate: { name: proc.name, taskName: proc.name, linuxPid: proc.pid, image: image.name },
    });
    proc.thread = r.task;
    if (r.task === NIL) throw new Error(`linux server: task_new for ${proc.name} failed`);
  }

  private newProcess(ppid: number, name: string, mm: ProcessMemory): Process {
    const task = this.freeTasks.shift();
    if (task === undefined) throw new Error('linux server: out of L4 tasks');
    const proc = new Process(this.nextPid++, ppid, task, name, mm);
    this.processes.set(proc.pid, proc);
    this.byTask.set(task, proc);
    return proc;
  }

  /** One request from a process; returns the reply, or null when the caller gets none (it is gone). */
  private *request(ctx: ModelCtx, r: IpcResult): OpGenerator<MsgOut | null> {
    const proc = this.byTask.get(gidTask(r.src));
    if (!proc || proc.state !== 'running') return null;
    if (r.words.length === 2) return yield* this.pageFault(ctx, proc, r.words[0]!);
    if (r.words.length >= EXC_WORDS) return yield* this.exception(ctx, proc, r.words);
    return null;
  }

  private *pageFault(ctx: ModelCtx, proc: Process, word: number): OpGenerator<MsgOut | null> {
    const addr = (word & ~3) >>> 0;
    const write = (word & 2) !== 0;
    const res = proc.mm.resolve(this.pool, addr, write);
    if (!res.ok) {
      yield* this.terminate(ctx, proc, SIG.SEGV);
      return null;
    }
    if (res.fresh) yield* this.fill(ctx, res.page.at, res.content);
    return fpageMsg({ base: res.page.at, log2: 12, write: res.page.writable, grant: false, sndBase: addr & ~0xfff });
  }

  /** Put a new page's initial content into the pool page (zero pages are written as zeros too). */
  private *fill(ctx: ModelCtx, at: number, content: Uint8Array | null): OpGenerator {
    ctx.writeMem(at, content ?? new Uint8Array(4096));
    yield* work(4096 * ctx.machine.costs.copyPerByte);
  }

  private *exception(ctx: ModelCtx, proc: Process, w: number[]): OpGenerator<MsgOut | null> {
    const trapno = w[EXC.TRAPNO]!;
    if (trapno !== 0x80) {
      const sig = trapno === TRAP_UD ? SIG.ILL : trapno === TRAP_DE ? SIG.FPE : trapno === 3 ? SIG.TRAP : trapno === TRAP_GP ? SIG.SEGV : SIG.SEGV;
      yield* this.terminate(ctx, proc, sig);
      return null;
    }
    const nr = w[EXC.EAX]!;
    const a = [w[EXC.EBX]!, w[EXC.ECX]!, w[EXC.EDX]!, w[EXC.ESI]!, w[EXC.EDI]!, w[EXC.EBP]!];
    ctx.trace.emit(Kind.SYSCALL_ENTER, ctx.now(), proc.pid, nr, a[0]!, a[1]!, a[2]!);
    yield* work(ctx.machine.costs.linuxSyscall);
    const ret = yield* this.syscall(ctx, proc, nr, a);
    if (ret === undefined) return null; // the process is gone
    ctx.trace.emit(Kind.SYSCALL_EXIT, ctx.now(), proc.pid, nr, ret | 0);
    const reply = w.slice(0, EXC_WORDS);
    reply[EXC.EAX] = ret >>> 0;
    return { words: reply };
  }

  /** Returns the result (negative errno on failure), or undefined if the caller no longer exists. */
  private *syscall(ctx: ModelCtx, proc: Process, nr: number, a: number[]): OpGenerator<number | undefined> {
    switch (nr) {
      case NR.exit:
      case NR.exit_group:
        yield* this.exit(ctx, proc, exitedStatus(a[0]!));
        return undefined;
      case NR.write:
        return yield* this.write(ctx, proc, a[0]!, a[1]!, a[2]!);
      case NR.brk:
        return this.brk(proc, a[0]!);
      case NR.getpid:
        return proc.pid;
      case NR.getppid:
        return proc.ppid;
      case NR.time:
        return Math.floor(ctx.now() / ctx.machine.costs.cyclesPerUs / 1_000_000);
      case NR.sched_yield:
        return 0;
      default:
        return -ENOSYS;
    }
  }

  private *write(ctx: ModelCtx, proc: Process, fd: number, buf: number, len: number): OpGenerator<number> {
    if (fd !== 1 && fd !== 2) return -EBADF;
    const data = yield* this.copyFromUser(ctx, proc, buf, Math.min(len, 1 << 20));
    if (!data) return -EFAULT;
    ctx.machine.console(fd, data);
    yield* work(data.length * ctx.machine.costs.copyPerByte);
    return data.length;
  }

  private brk(proc: Process, addr: number): number {
    const mm = proc.mm;
    if (addr >= mm.brkStart && addr < USER_STACK_TOP - 16 * 1024 * 1024) mm.brk = addr;
    return mm.brk;
  }

  /** Read user memory through the pages that back it (allocating never-touched ones). */
  *copyFromUser(ctx: ModelCtx, proc: Process, addr: number, len: number): OpGenerator<Uint8Array | null> {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const a = addr + i;
      const res = proc.mm.resolve(this.pool, a, false);
      if (!res.ok) return null;
      if (res.fresh) yield* this.fill(ctx, res.page.at, res.content);
      const n = Math.min(len - i, 4096 - (a & 4095));
      out.set(ctx.readMem(res.page.at + (a & 4095), n), i);
      i += n;
    }
    return out;
  }

  *copyToUser(ctx: ModelCtx, proc: Process, addr: number, data: Uint8Array): OpGenerator<boolean> {
    for (let i = 0; i < data.length; ) {
      const a = addr + i;
      const res = proc.mm.resolve(this.pool, a, true);
      if (!res.ok) return false;
      if (res.fresh) yield* this.fill(ctx, res.page.at, res.content);
      const n = Math.min(data.length - i, 4096 - (a & 4095));
      ctx.writeMem(res.page.at + (a & 4095), data.subarray(i, i + n));
      i += n;
    }
    return true;
  }

  /** Default action of a fatal signal. */
  private *terminate(ctx: ModelCtx, proc: Process, sig: number): OpGenerator {
    ctx.trace.emit(Kind.SIG_DELIVER, ctx.now(), proc.pid, sig, 0, SIG_ACTION_TERMINATE);
    yield* this.exit(ctx, proc, signaledStatus(sig));
  }

  private *exit(ctx: ModelCtx, proc: Process, status: number): OpGenerator {
    proc.state = 'zombie';
    proc.exitStatus = status;
    for (const page of proc.mm.pages.values()) this.pool.release(page.at);
    proc.mm.pages.clear();
    if (proc.pid === 1) {
      const sig = status & 0x7f;
      ctx.machine.metric('init.exit_status', sig ? 128 + sig : (status >> 8) & 0xff, 'status');
      ctx.machine.requestStop('ok', sig ? `init was killed by signal ${sig}` : `init exited with status ${(status >> 8) & 0xff}`);
    }
    // Deleting the task (task_new with pager nil keeps us its chief) removes its threads and mappings.
    yield* taskNew(proc.task, ctx.task, NIL, 0, 0);
    this.byTask.delete(proc.task);
    this.freeTasks.push(proc.task);
  }
}
