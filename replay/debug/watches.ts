/**
 * The breakpoints and watchpoints of a replay debugging session, checked against the machine it stands
 * in. Breakpoints are addresses (in every address space: gdb sees one inferior). A watchpoint watches
 * bytes of one task's address space: a write watchpoint compares them before every instruction (so a
 * store by the kernel or the Linux server into the guest is seen too); read and access watchpoints keep
 * the watched pages out of the guest CPUs' TLBs, so every access passes the slow path, which reports it.
 */
import type { AccessWatch } from '../../src/ia32/cpu.js';
import { R } from '../../src/ia32/memory.js';
import { physAddr } from '../../src/l4/ipc.js';
import type { AddressSpace } from '../../src/l4/mapdb.js';
import type { Kernel } from '../../src/l4/kernel.js';

export type WatchKind = 'write' | 'read' | 'access';

interface Watchpoint {
  kind: WatchKind;
  addr: number;
  len: number;
  /** The task whose address space it watches. */
  task: number;
  /** Write watchpoints: the bytes as last seen (-1 where unmapped). */
  last: Int16Array;
}

export interface WatchHit {
  reason: 'watch' | 'rwatch' | 'awatch';
  addr: number;
}

export class Watches {
  private readonly breakpoints = new Set<number>();
  /** The breakpoints as an array, for the per-block check. */
  private breakpointList: number[] = [];
  private readonly watchpoints: Watchpoint[] = [];
  private accessHit: { addr: number; write: boolean } | null = null;
  private k: Kernel | null = null;

  /** Check against machine `k` from now on (a move starts there): the watched bytes as they are now. */
  bind(k: Kernel | null): void {
    this.k = k;
    this.rebase();
  }

  /** The watched bytes as they are now are the ones a write watchpoint compares with. */
  rebase(): void {
    this.accessHit = null;
    if (this.k) for (const w of this.watchpoints) if (w.kind === 'write') this.changed(w);
  }

  addBreakpoint(addr: number): void {
    this.breakpoints.add(addr >>> 0);
    this.breakpointList = [...this.breakpoints];
  }

  removeBreakpoint(addr: number): void {
    this.breakpoints.delete(addr >>> 0);
    this.breakpointList = [...this.breakpoints];
  }

  hasBreakpoint(eip: number): boolean {
    return this.breakpoints.has(eip >>> 0);
  }

  /** Whether a breakpoint lies in [start, end) (a block). */
  breakpointIn(start: number, end: number): boolean {
    const list = this.breakpointList;
    for (let i = 0; i < list.length; i++) if (list[i]! >= start && list[i]! < end) return true;
    return false;
  }

  /** Any watchpoint at all (the session then steps every instruction). */
  get watching(): boolean {
    return this.watchpoints.length > 0;
  }

  addWatchpoint(kind: WatchKind, addr: number, len: number, task: number): boolean {
    if (len < 1 || len > 4096) return false;
    const w: Watchpoint = { kind, addr: addr >>> 0, len, task, last: new Int16Array(len) };
    if (this.k) this.changed(w);
    this.watchpoints.push(w);
    this.updateAccessWatch();
    return true;
  }

  removeWatchpoint(kind: WatchKind, addr: number, len: number): boolean {
    const i = this.watchpoints.findIndex((w) => w.kind === kind && w.addr === addr >>> 0 && w.len === len);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    this.updateAccessWatch();
    return true;
  }

  /** What the guest CPUs' slow path reports accesses to (null without read or access watchpoints); asked per block. */
  accessWatch: AccessWatch | null = null;

  private updateAccessWatch(): void {
    this.accessWatch = this.watchpoints.some((w) => w.kind !== 'write') ? this.accessWatcher : null;
  }

  private readonly accessWatcher: AccessWatch = {
    watches: (pages, vpn) => this.watchpoints.some((w) => w.kind !== 'write' && this.spaceOf(w)?.pages === pages && vpn >= w.addr >>> 12 && vpn <= (w.addr + w.len - 1) >>> 12),
    access: (pages, addr, write) => {
      for (const w of this.watchpoints) {
        if (w.kind === 'write' || this.spaceOf(w)?.pages !== pages) continue;
        // The slow path sees an access's first byte: an access of up to 4 bytes that starts 3 before still overlaps.
        if (addr + 3 < w.addr || addr >= w.addr + w.len) continue;
        if (w.kind === 'read' && write) continue;
        this.accessHit ??= { addr: w.addr, write };
      }
    },
  };

  /** A watchpoint that triggered since the last call (a watched value changed, or watched bytes were accessed). */
  hit(): WatchHit | null {
    for (const w of this.watchpoints) if (w.kind === 'write' && this.changed(w)) return { reason: 'watch', addr: w.addr };
    if (this.accessHit) {
      const hit = this.accessHit;
      this.accessHit = null;
      const w = this.watchpoints.find((x) => x.addr === hit.addr && x.kind !== 'write');
      return { reason: w?.kind === 'read' ? 'rwatch' : 'awatch', addr: hit.addr };
    }
    return null;
  }

  private spaceOf(w: Watchpoint): AddressSpace | null {
    const task = this.k?.tasks[w.task];
    return task && task.alive ? task.space : null;
  }

  /** Whether the watched bytes differ from those last seen (which they then become). */
  private changed(w: Watchpoint): boolean {
    const space = this.spaceOf(w);
    const mem = this.k!.mem.bytes;
    let changed = false;
    for (let i = 0; i < w.len; i++) {
      const p = space ? physAddr(space, (w.addr + i) >>> 0, R) : -1;
      const v = p < 0 ? -1 : mem[p]!;
      if (v !== w.last[i]) {
        w.last[i] = v;
        changed = true;
      }
    }
    return changed;
  }
}
