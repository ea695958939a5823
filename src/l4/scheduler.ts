/**
 * Per-CPU scheduling state: 256 static priorities, round robin inside a level. Expired and yielding
 * threads go to the tail, preempted threads to the head (keeping their quantum), woken threads to the
 * tail; the order among equal-priority threads woken close together (not yet run since their wakeup)
 * is a tie that real hardware timing decides, so here it is a recorded choice (l4-semantics.md §5, §8).
 */
import { ChoiceSite, type Choices } from '../sim/choices.js';
import { EventQueue, type QueuedEvent } from '../sim/event-queue.js';
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
