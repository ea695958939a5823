/**
 * The system calls besides IPC: lthread_ex_regs, task_new, thread_switch, thread_schedule and
 * fpage_unmap (l4-semantics.md §3), each writing its trace event in the caller's buffer.
 */
import { Kind } from '../../tracer/catalogue.js';
import { KEEP } from './engine.js';
import { INVALID, MAX_TASKS, NIL } from './ids.js';
import { cancelIpc } from './ipc.js';
import type { Kernel } from './kernel.js';
import { SCHED, type Cpu } from './scheduler.js';
import { kmemCheck, KmemUse } from './kmem.js';
import { unmapPage } from './mapdb.js';
import { fpageWord, type KernelOp } from './ops.js';
import type { Thread } from './thread.js';

type Op<K extends KernelOp['op']> = Extract<KernelOp, { op: K }>;

const EXREGS_CREATED = 1;
const EXREGS_CANCELLED = 2;
const EXREGS_FAILED = 4;
/** With EXREGS_FAILED: no kernel memory for the new thread's TCB (kmem.ts). */
const EXREGS_NOMEM = 8;

/**
 * lthread_ex_regs on a thread of the caller's own task. A missing lthread is created (with the caller's
 * priority and mcp); an existing one is cancelled out of any IPC and continues at the new ip/sp.
 */
export function doExRegs(k: Kernel, t: Thread, op: Op<'exRegs'>): void {
  k.counters.exRegs++;
  const task = t.task;
  const lt = op.lthread;
  const fail = (): void => {
    k.ev(t, Kind.EXREGS, NIL, 0, 0, op.ip, op.sp, EXREGS_FAILED);
    t.engine.resume({ kind: 'exRegs', ok: false, oldIp: KEEP, oldSp: KEEP, oldFlags: KEEP, oldPager: INVALID, created: false });
  };
  if (!(lt >= 0 && lt < 128)) return fail();
  let target = task.threads[lt];
  if (target && target !== t && op.annotate && op.ip !== KEEP && k.programs.has(op.ip) && target.engine.kind === 'ia32') {
    // A guest thread restarted in model code as someone new (the emulation library reusing the L4
    // thread of an ended Linux thread for a new one): the old incarnation ends, a new one starts, so
    // the trace keeps one thread per incarnation.
    k.killThread(target, 3, 0);
    target = undefined;
  }
  if (!target) {
    if (op.ip === KEEP) return fail();
    if (!kmemCheck(k, t, KmemUse.TCB, k.kmem.sizes.tcb, 'lthread_ex_regs')) {
      k.ev(t, Kind.EXREGS, NIL, 0, 0, op.ip, op.sp, EXREGS_FAILED | EXREGS_NOMEM);
      t.engine.resume({ kind: 'exRegs', ok: false, oldIp: KEEP, oldSp: KEEP, oldFlags: KEEP, oldPager: INVALID, created: false });
      return;
    }
    k.ev(t, Kind.EXREGS, task.gid(lt), 0, 0, op.ip, op.sp, EXREGS_CREATED);
    // Without an annotation a new thread serves the Linux thread its creator serves (a signal thread).
    const inherited = t.linuxPid > 0 ? { linuxPid: t.linuxPid, ...(t.linuxTgid ? { linuxTgid: t.linuxTgid } : {}) } : {};
    const created = k.createThread(task, lt, op.ip, op.sp, t.prio, t.mcp, op.pager ?? t.pager, op.annotate ?? inherited, t.gid);
    t.engine.resume({ kind: 'exRegs', ok: created !== undefined, oldIp: KEEP, oldSp: KEEP, oldFlags: KEEP, oldPager: INVALID, created: true });
    return;
  }
  if (target.deliver && target !== t) {
    // An operation of the target completed and its result is not yet in its registers: put it there
    // first, so the state ex_regs reads and redirects is the one after the operation.
    const d = target.deliver;
    target.deliver = null;
    d();
  }
  const old = target.engine.regs();
  const oldPager = target.pager;
  const cancelled = target === t ? false : cancelIpc(k, target, true);
  if (op.pager !== undefined && op.pager !== INVALID) target.pager = op.pager;
  let flags = cancelled ? EXREGS_CANCELLED : 0;
  // A target redirected while its CPU had run ahead to an operation (Kernel.run) never reaches it.
  if (op.ip !== KEEP) target.pendingOp = null;
  if ((op.ip !== KEEP || op.sp !== KEEP) && !target.engine.redirect(op.ip, op.sp)) {
    const engine = k.engineFor(task, lt, target.gid, op.ip, op.sp === KEEP ? old.sp : op.sp, () => target.trace);
    if (engine) target.engine = engine;
    else flags |= EXREGS_FAILED;
  }
  k.ev(t, Kind.EXREGS, target.gid, old.ip, old.sp, op.ip, op.sp, flags);
  t.engine.resume({ kind: 'exRegs', ok: (flags & EXREGS_FAILED) === 0, oldIp: old.ip, oldSp: old.sp, oldFlags: old.flags, oldPager, created: false });
}

const TASKNEW_KILLED = 1;
const TASKNEW_FAILED = 2;
/** With TASKNEW_FAILED: no kernel memory for the task's page directory and first TCB (kmem.ts). */
const TASKNEW_NOMEM = 4;

/**
 * task_new: only the chief of a task number may use it; an existing task is deleted first. With a
 * pager the task starts (thread 0 at ip/sp); with pager nil the task number is handed to a new chief
 * (given in the mcp argument), as V2 does.
 */
export function doTaskNew(k: Kernel, t: Thread, op: Op<'taskNew'>): void {
  k.counters.taskNews++;
  const no = op.task;
  const result = (task: number): void => t.engine.resume({ kind: 'taskNew', task });
  if (!(no > 4 && no < MAX_TASKS) || k.owner[no] !== t.task.no) {
    k.ev(t, Kind.TASK_NEW, NIL, op.pager, op.ip, op.sp, op.mcp, TASKNEW_FAILED);
    return result(NIL);
  }
  const existing = k.tasks[no];
  let flags = 0;
  if (existing && existing.alive) {
    k.deleteTask(existing);
    flags |= TASKNEW_KILLED;
  }
  if (op.pager === NIL) {
    k.owner[no] = op.mcp;
    k.ev(t, Kind.TASK_NEW, NIL, NIL, op.ip, op.sp, op.mcp, flags);
    return result(NIL);
  }
  if (!kmemCheck(k, t, KmemUse.TASK, k.kmem.sizes.pageDirectory + k.kmem.sizes.tcb, 'task_new')) {
    // Fiasco: `new Task` fails and task_new returns the nil id (the old task is gone already).
    k.ev(t, Kind.TASK_NEW, NIL, op.pager, op.ip, op.sp, op.mcp, flags | TASKNEW_FAILED | TASKNEW_NOMEM);
    return result(NIL);
  }
  const note = op.annotate ?? {};
  k.charge(k.costs.taskNew);
  const task = k.newTask(no, t.task.no, note.taskName ?? `task${no}`, note.linuxPid ?? 0, false);
  const mcp = Math.min(op.mcp, t.mcp);
  const prio = Math.min(op.prio ?? t.prio, mcp);
  k.ev(t, Kind.TASK_NEW, task.gid(0), op.pager, op.ip, op.sp, mcp, flags);
  const th = k.createThread(task, 0, op.ip, op.sp, prio, mcp, op.pager, note, t.gid);
  if (!th) {
    k.ev(t, Kind.MARKER, k.recorder.intern(`task_new: no code at 0x${op.ip.toString(16)}`), no);
    k.ev(t, Kind.TASK_NEW, task.gid(0), op.pager, op.ip, op.sp, mcp, flags | TASKNEW_FAILED);
  }
  result(th ? th.gid : NIL);
}

/** thread_switch: nil = yield the rest of the timeslice; a thread = donate it to that thread. */
export function doThreadSwitch(k: Kernel, cpu: Cpu, t: Thread, dest: number): void {
  t.engine.resume(undefined);
  const to = dest === NIL ? null : (k.threadByGid(dest) ?? null);
  k.sched.yieldCurrent(cpu, t, to && to.state === 'ready' ? to : null);
}

/**
 * thread_schedule: change a thread's priority and timeslice. The caller's mcp must cover both the new
 * priority and the target's current one.
 */
export function doThreadSchedule(k: Kernel, t: Thread, op: Op<'threadSchedule'>): void {
  const target = k.threadByGid(op.dest);
  if (!target || target.prio > t.mcp || (op.prio !== undefined && (op.prio > t.mcp || op.prio < 0 || op.prio > 255))) {
    k.ev(t, Kind.SCHED, SCHED.SET_PARAM, op.dest, op.prio ?? 0, 0, 0);
    t.engine.resume({ kind: 'schedule', ok: false, oldPrio: 0xffffffff, usedCycles: 0 });
    return;
  }
  const oldPrio = target.prio;
  const cpu = k.cpus[target.cpu]!;
  if (op.prio !== undefined && op.prio !== target.prio) {
    const wasQueued = target.queued;
    cpu.ready.remove(target);
    target.prio = op.prio;
    if (wasQueued) cpu.ready.pushTail(target);
    cpu.needResched = true;
  }
  if (op.timesliceUs !== undefined && op.timesliceUs > 0) target.quantum = op.timesliceUs * k.costs.cyclesPerUs;
  k.ev(t, Kind.SCHED, SCHED.SET_PARAM, target.gid, target.prio, target.sliceLeft, target.quantum);
  t.engine.resume({ kind: 'schedule', ok: true, oldPrio, usedCycles: 0 });
}

/** fpage_unmap: remove or write-protect, recursively, what was mapped from the caller's fpage. */
export function doUnmap(k: Kernel, t: Thread, op: Op<'unmap'>): void {
  const space = t.task.space;
  const first = Math.floor(op.base / 4096);
  const pages = 2 ** Math.max(0, op.log2 - 12);
  let n = 0;
  const vpns = pages > space.nodes.size ? [...space.nodes.keys()].filter((v) => v >= first && v < first + pages).sort((a, b) => a - b) : Array.from({ length: pages }, (_, i) => first + i);
  for (const vpn of vpns) n += unmapPage(space, vpn, op.downgrade, op.self);
  k.charge(k.costs.unmap + n * k.costs.unmapPerNode);
  k.ev(t, Kind.UNMAP, fpageWord({ base: op.base, log2: op.log2, write: false, grant: false }), (op.downgrade ? 2 : 0) | (op.self ? 0x80000000 : 0), n);
  t.engine.resume({ kind: 'unmap', mappings: n });
}
