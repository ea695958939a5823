/**
 * The global queue of timed machine events (timeouts, device interrupts, timeslice ends, cross-CPU
 * wakeups), ordered by (time, cpu, seq). `seq` is the insertion counter, so equal times on the same
 * CPU keep the order in which they were scheduled and the order never depends on the heap's shape.
 * Cancelled entries stay in the heap and are skipped (lazy deletion).
 */
export interface QueuedEvent {
  time: number;
  cpu: number;
  seq: number;
  cancelled: boolean;
  fire(): void;
}

export class EventQueue {
  private readonly heap: QueuedEvent[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(time: number, cpu: number, fire: () => void): QueuedEvent {
    const ev: QueuedEvent = { time, cpu, seq: this.nextSeq++, cancelled: false, fire };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  /** The earliest live event, or undefined. */
  peek(): QueuedEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** The earliest live event for `cpu` at or before `time` is removed and returned. */
  pop(): QueuedEvent | undefined {
    this.dropCancelled();
    return this.take();
  }

  /** Whether any live event remains. */
  hasLive(): boolean {
    return this.peek() !== undefined;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.take();
  }

  private take(): QueuedEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = -1;
        if (l < h.length) m = l;
        if (r < h.length && before(h[r]!, h[l]!)) m = r;
        if (m < 0 || !before(h[m]!, last)) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.cpu !== b.cpu) return a.cpu < b.cpu;
  return a.seq < b.seq;
}
