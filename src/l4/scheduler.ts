/**
 * Scheduling: per-CPU state and ready queues, and the policy that uses them (the `Scheduler`: wakeups,
 * dispatch, preemption, timeslices, direct switch to an IPC partner, yield and donation). The run loop
 * that decides which CPU acts next stays in kernel.ts.
 *
 * 256 static priorities, round robin inside a level. Expired and yielding threads go to the tail,
 * preempted threads to the head (keeping their quantum), woken threads to the tail; the order among
 * equal-priority threads woken close together (not yet run since their wakeup) is a tie that real
 * hardware timing decides, so here it is a recorded choice (l4-semantics.md §5, §8).
 */
import { Kind } from '../../tracer/catalogue.js';
import { ChoiceSite, type Choices } from '../sim/choices.js';
import { EventQueue, type QueuedEvent } from '../sim/event-queue.js';
import type { CostProfile } from './costs.js';
import type { AddressSpace } from './mapdb.js';
import type { Thread } from './thread.js';

export class ReadyQueue {
  private readonly levels: Thread[][] = Array.from({ length: 256 }, () => []);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Highest priority with a ready thread, -1 if none. */
  highest(): number {
    if (this.count === 0) return -1;
    for (let p = 255; p >= 0; p--) if (this.levels[p]!.length > 0) return p;
    return -1;
  }

  pushTail(t: Thread): void {
    this.levels[t.prio]!.push(t);
    this.added(t, false);
  }

  pushHead(t: Thread): void {
    this.levels[t.prio]!.unshift(t);
    this.added(t, false);
  }

  /**
   * A woken thread joins the tail, but it may overtake threads at its level that were also woken and
   * have not run since: how many it overtakes is a TIE choice over [0, m].
   */
  pushWoken(t: Thread, choices: Choices): void {
    const level = this.levels[t.prio]!;
    let m = 0;
    while (m < level.length && level[level.length - 1 - m]!.fresh) m++;
    const k = m > 0 ? choices.choose(ChoiceSite.TIE, m + 1) : 0;
    level.splice(level.length - k, 0, t);
    this.added(t, true);
  }

  /** Whether threads woken at `prio` wait that have not run since (the tail of the level is fresh). */
  hasFresh(prio: number): boolean {
    const level = this.levels[prio]!;
    return level.length > 0 && level[level.length - 1]!.fresh;
  }

  private added(t: Thread, fresh: boolean): void {
    t.queued = true;
    t.fresh = fresh;
    this.count++;
  }

  popHighest(): Thread | undefined {
    const p = this.highest();
    if (p < 0) return undefined;
    const t = this.levels[p]!.shift()!;
    t.queued = false;
    t.fresh = false;
    this.count--;
    return t;
  }

  remove(t: Thread): void {
    if (!t.queued) return;
    const level = this.levels[t.prio]!;
    const i = level.indexOf(t);
    if (i >= 0) {
      level.splice(i, 1);
      this.count--;
    }
    t.queued = false;
    t.fresh = false;
  }

  /** Threads at one level, in order (for inspection). */
  level(prio: number): readonly Thread[] {
    return this.levels[prio]!;
  }

  *all(): Generator<Thread> {
    for (let p = 255; p >= 0; p--) yield* this.levels[p]!;
  }
}

export class Cpu {
  time = 0;
  current: Thread | null = null;
  readonly ready = new ReadyQueue();
  readonly queue = new EventQueue();
  /** Threads woken as the IPC partner of the running thread: candidates for a direct switch. */
  readonly direct: Thread[] = [];
  /** The address space loaded in the MMU (stays loaded while idle). */
  space: AddressSpace | null = null;
  /**
   * The large address space whose page table is loaded (CR3): a small space (X.2) runs inside it, so
   * going back to it from a small space reloads segments only.
   */
  largeSpace: AddressSpace | null = null;
  /** When the current thread was dispatched, and its timeslice-end event. */
  sliceStart = 0;
  sliceEvent: QueuedEvent | null = null;
  /** Something changed that may call for a different thread. */
  needResched = false;
  /** The idle thread's trace buffer holds this CPU's switches away from idle. */
  constructor(
    readonly id: number,
    readonly idle: Thread,
  ) {}
}

/** trace.proto SwitchReason values. */
export const SWITCH = { BLOCK: 1, PREEMPT: 2, TIMESLICE: 3, YIELD: 4, DONATE: 5, EXIT: 6, IDLE: 7, START: 8 } as const;
/** trace.proto SchedMode values. */
export const SCHED = { LOAD: 1, EXPIRE: 2, SET_PARAM: 3, YIELD: 4 } as const;

/**
 * What the policy needs from the kernel. A narrow interface rather than the `Kernel` type, so that this
 * file does not depend on kernel.ts (which owns the `Scheduler`) and what scheduling touches is visible.
 */
export interface SchedulerHost {
  readonly cpus: readonly Cpu[];
  /** The CPU whose code is executing now; `now` is its clock, and `charge` advances it. */
  readonly exec: Cpu;
  readonly now: number;
  readonly choices: Choices;
  readonly costs: CostProfile;
  readonly counters: { contextSwitches: number; asSwitches: number; smallSpaceSwitches: number; crossCpuWakeups: number };
  charge(cycles: number): void;
  ev(t: Thread, kind: number, ...args: number[]): number;
}

/**
 * The scheduling policy, owned by the kernel as `Kernel.sched`. Callers (IPC completion, page faults,
 * locks, thread_switch, the run loop) say `k.sched.wake(t)` rather than going through forwarding methods
 * on the kernel: one name per operation, and the call says that it is a scheduling decision.
 */
export class Scheduler {
  constructor(private readonly k: SchedulerHost) {}

  /** Make a thread ready. The running thread's IPC partner becomes a direct-switch candidate. */
  wake(t: Thread, direct = false): void {
    if (t.state === 'dead') return;
    t.state = 'ready';
    const cpu = this.k.cpus[t.cpu]!;
    if (cpu.current === t || t.queued || cpu.direct.includes(t)) return;
    if (cpu !== this.k.exec) {
      this.wakeRemote(cpu, t);
      return;
    }
    if (direct && cpu === this.k.exec) cpu.direct.push(t);
    else cpu.ready.pushWoken(t, this.k.choices);
    cpu.needResched = true;
  }

  /**
   * Wake `t` on another CPU: the waker queues it there and sends an inter-processor interrupt, which
   * arrives `xcpuLatency` later; the remote CPU then pays its interrupt work before it can pick `t`.
   * A remote CPU whose clock is already past the arrival takes it at once.
   */
  private wakeRemote(cpu: Cpu, t: Thread): void {
    const c = this.k.costs;
    this.k.counters.crossCpuWakeups++;
    this.k.charge(c.xcpuSend);
    const arrival = this.k.now + c.xcpuLatency;
    const take = (): void => {
      cpu.time += c.xcpuReceive;
      if (t.state === 'ready' && cpu.current !== t && !t.queued) {
        cpu.ready.pushWoken(t, this.k.choices);
        cpu.needResched = true;
      }
    };
    if (cpu.time < arrival) cpu.queue.schedule(arrival, cpu.id, take);
    else take();
  }

  /** Decide who runs on `cpu` after something changed. */
  reschedule(cpu: Cpu): void {
    cpu.needResched = false;
    const cur = cpu.current;
    if (cur && cur.state !== 'ready') {
      this.replaceBlocked(cpu, cur);
      return;
    }
    this.requeueDirect(cpu);
    if (cur) {
      if (cpu.ready.highest() > cur.prio) {
        this.saveSlice(cpu, cur);
        cpu.ready.pushHead(cur);
        this.switchTo(cpu, cpu.ready.popHighest()!, SWITCH.PREEMPT, false);
      }
    } else if (cpu.ready.size > 0) {
      this.switchTo(cpu, cpu.ready.popHighest()!, SWITCH.PREEMPT, false);
    }
  }

  /** The running thread `cur` blocked or died: its IPC partner runs next, else the highest ready thread. */
  private replaceBlocked(cpu: Cpu, cur: Thread): void {
    const d = cpu.direct.shift();
    this.requeueDirect(cpu);
    // Direct switch to the IPC partner, unless threads of its priority were woken too and have not run
    // yet: then which of them runs first is a tie (a TIE choice), as for any wakeups close together.
    const top = cpu.ready.highest();
    if (d && d.state === 'ready' && (d.prio > top || (d.prio === top && !cpu.ready.hasFresh(top)))) this.switchTo(cpu, d, cur.state === 'dead' ? SWITCH.EXIT : SWITCH.DONATE, true);
    else {
      if (d && d.state === 'ready') cpu.ready.pushWoken(d, this.k.choices);
      this.switchTo(cpu, cpu.ready.popHighest() ?? null, cur.state === 'dead' ? SWITCH.EXIT : SWITCH.BLOCK, false);
    }
  }

  /** Direct-switch candidates not taken join the ready queue as ordinary wakeups (in wakeup order). */
  private requeueDirect(cpu: Cpu): void {
    for (const x of cpu.direct.splice(0)) cpu.ready.pushWoken(x, this.k.choices);
  }

  private saveSlice(cpu: Cpu, t: Thread): void {
    t.sliceLeft = Math.max(0, t.sliceLeft - (cpu.time - cpu.sliceStart));
    cpu.sliceStart = cpu.time;
  }

  /** Switch `cpu` to `next` (null = idle), writing the CONTEXT_SWITCH event in the previous thread's buffer. */
  private switchTo(cpu: Cpu, next: Thread | null, reason: number, viaIpc: boolean): void {
    const prev = cpu.current;
    if (prev === next) return;
    if (prev && prev.state !== 'dead') this.saveSlice(cpu, prev);
    if (cpu.sliceEvent) {
      cpu.sliceEvent.cancelled = true;
      cpu.sliceEvent = null;
    }
    const from = prev ?? cpu.idle;
    const to = next ?? cpu.idle;
    this.k.ev(from, Kind.CONTEXT_SWITCH, cpu.id, to.gid, reason, stateCode(prev), from.prio, to.prio);
    this.k.counters.contextSwitches++;
    if (!viaIpc) this.k.charge(this.k.costs.dispatch);
    if (next && next.task.space !== cpu.space) this.switchSpace(cpu, next);
    cpu.current = next;
    if (next) this.dispatch(cpu, next);
  }

  /**
   * Load `next`'s address space (nothing to pay when the MMU held none yet). Entering a small space, or
   * coming back from one to the large space still loaded under it, is a segment reload (X.2 small
   * spaces); anything else loads a page table and refills the TLB, an address-space switch proper.
   */
  private switchSpace(cpu: Cpu, next: Thread): void {
    const c = this.k.costs;
    const small = c.smallSpaceSwitch > 0 && next.task.smallSpace;
    if (cpu.space !== null) {
      const cheap = small || (c.smallSpaceSwitch > 0 && next.task.space === cpu.largeSpace);
      if (cheap) this.k.counters.smallSpaceSwitches++;
      else this.k.counters.asSwitches++;
      this.k.charge(cheap ? c.smallSpaceSwitch : c.asSwitch);
    }
    cpu.space = next.task.space;
    if (!small) cpu.largeSpace = next.task.space;
  }

  /** `next` starts running on `cpu`: its timeslice (fresh if used up) starts counting. */
  private dispatch(cpu: Cpu, next: Thread): void {
    next.fresh = false;
    if (next.sliceLeft <= 0) {
      // A fresh timeslice is loaded (Fiasco's tbuf "sched load"): a new thread, or one that used its quantum up.
      next.sliceLeft = next.quantum;
      this.k.ev(next, Kind.SCHED, SCHED.LOAD, next.gid, next.prio, next.sliceLeft, next.quantum);
    }
    cpu.sliceStart = cpu.time;
    this.armSlice(cpu, next);
  }

  private armSlice(cpu: Cpu, t: Thread): void {
    cpu.sliceEvent = cpu.queue.schedule(cpu.time + t.sliceLeft, cpu.id, () => this.sliceExpired(cpu, t));
  }

  private sliceExpired(cpu: Cpu, t: Thread): void {
    cpu.sliceEvent = null;
    if (cpu.current !== t) return;
    t.sliceLeft = t.quantum;
    cpu.sliceStart = cpu.time;
    this.k.ev(t, Kind.SCHED, SCHED.EXPIRE, t.gid, t.prio, 0, t.quantum);
    if (cpu.ready.highest() >= t.prio) {
      cpu.ready.pushTail(t);
      this.switchTo(cpu, cpu.ready.popHighest()!, SWITCH.TIMESLICE, false);
    } else {
      this.armSlice(cpu, t);
    }
  }

  /** The running thread `t` hands its CPU to `to`, ready on the same CPU; `t` goes to the tail of its level. */
  donateCpu(t: Thread, to: Thread): void {
    const cpu = this.k.cpus[t.cpu]!;
    if (cpu.current !== t || to.cpu !== t.cpu || to.state !== 'ready') return;
    const di = cpu.direct.indexOf(to);
    if (di >= 0) cpu.direct.splice(di, 1);
    else if (to.queued) cpu.ready.remove(to);
    else return;
    this.requeueDirect(cpu);
    this.saveSlice(cpu, t);
    cpu.ready.pushTail(t);
    this.switchTo(cpu, to, SWITCH.DONATE, true);
    cpu.needResched = true; // a thread above the partner still runs first
  }

  /** thread_switch(nil) and timeslice donation put the caller at the tail of its level. */
  yieldCurrent(cpu: Cpu, t: Thread, to: Thread | null): void {
    this.saveSlice(cpu, t);
    this.k.ev(t, Kind.SCHED, SCHED.YIELD, t.gid, t.prio, t.sliceLeft, t.quantum);
    if (to && to.queued && to.cpu === cpu.id) {
      cpu.ready.remove(to);
      cpu.ready.pushTail(t);
      this.switchTo(cpu, to, SWITCH.DONATE, false);
    } else if (cpu.ready.highest() >= t.prio) {
      cpu.ready.pushTail(t);
      this.switchTo(cpu, cpu.ready.popHighest()!, SWITCH.YIELD, false);
    }
  }
}

/** trace.proto ThreadState of the thread switched away from (idle counts as ready). */
function stateCode(t: Thread | null): number {
  if (!t) return 1;
  switch (t.state) {
    case 'ready':
      return 1;
    case 'sending':
      return 2;
    case 'receiving':
    case 'xfer':
      return 3;
    case 'locked':
    case 'sleeping':
      return 5;
    case 'dead':
      return 4;
  }
}
