/**
 * Futex wait queues (Linux's futex hash): sleepers keyed by the memory they wait on. A key is the
 * address space and the address, for private and shared futexes alike: shared mappings are served as
 * private ones here (docs/linux.md), so no word is ever shared between two address spaces and the
 * shared key (inode and offset, or the page) would name the same waiters.
 */
import { WaitQueue, type Coroutine } from './coroutine.js';
import type { Linux } from './linux.js';
import type { ProcessMemory } from './memory.js';

/** FUTEX_BITSET_MATCH_ANY: plain WAIT and WAKE use every bit. */
export const BITSET_ANY = 0xffffffff;

export class FutexTable {
  private readonly queues = new Map<ProcessMemory, Map<number, WaitQueue>>();
  /** The bitset each sleeper waits with (WAIT_BITSET; others: every bit). */
  private readonly bitsets = new WeakMap<Coroutine, number>();

  /** The queue for a word, made on first use. */
  queue(mm: ProcessMemory, addr: number): WaitQueue {
    let byAddr = this.queues.get(mm);
    if (!byAddr) this.queues.set(mm, (byAddr = new Map()));
    let q = byAddr.get(addr);
    if (!q) byAddr.set(addr, (q = new WaitQueue(`futex@0x${addr.toString(16)}`)));
    return q;
  }

  /** The coroutine about to sleep on a futex waits for wakes with these bits. */
  setBitset(co: Coroutine, bits: number): void {
    this.bitsets.set(co, bits >>> 0);
  }

  /** Wake up to `n` sleepers of the word whose bitset meets `bits`, in the order they slept. Returns how many. */
  wake(lx: Linux, mm: ProcessMemory, addr: number, n: number, bits = BITSET_ANY): number {
    const q = this.queues.get(mm)?.get(addr);
    if (!q || n <= 0) return 0;
    let woken = 0;
    for (const co of q.sleepers.slice()) {
      if (woken >= n) break;
      if (((this.bitsets.get(co) ?? BITSET_ANY) & bits) === 0) continue;
      lx.wakeCo(co, 'woken');
      woken++;
    }
    this.forget(mm, addr, q);
    return woken;
  }

  /**
   * FUTEX_REQUEUE: wake up to `nWake` sleepers of `from`, move up to `nMove` of the rest to `to`.
   * Returns how many were woken plus moved.
   */
  requeue(lx: Linux, mm: ProcessMemory, from: number, to: number, nWake: number, nMove: number): number {
    const woken = this.wake(lx, mm, from, nWake);
    const q = this.queues.get(mm)?.get(from);
    if (!q || nMove <= 0 || from === to) return woken;
    const target = this.queue(mm, to);
    const moved = q.sleepers.splice(0, nMove);
    for (const co of moved) {
      target.sleepers.push(co);
      if (co.sleep) co.sleep.wq = target;
    }
    this.forget(mm, from, q);
    return woken + moved.length;
  }

  /** An address space is gone (its last user exited or exec'd): nobody can wait on it any more. */
  drop(mm: ProcessMemory): void {
    this.queues.delete(mm);
  }

  /** Queues of `mm` nobody sleeps on any more (a sleep ended by a timeout or a signal) are dropped. */
  tidy(mm: ProcessMemory): void {
    const byAddr = this.queues.get(mm);
    if (!byAddr) return;
    for (const [addr, q] of byAddr) if (q.sleepers.length === 0) byAddr.delete(addr);
    if (byAddr.size === 0) this.queues.delete(mm);
  }

  private forget(mm: ProcessMemory, addr: number, q: WaitQueue): void {
    if (q.sleepers.length === 0) this.queues.get(mm)?.delete(addr);
  }
}
