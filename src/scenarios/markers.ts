/**
 * Phases a guest marks with the l4trace marker system call (499): at a marker the clock and the
 * mechanism counts of the kernel and of Linux are snapshotted; a phase's cost is the difference
 * between two snapshots. Used by table2 (Table 2's getpid and fork) and by run (`marked.*` metrics).
 */
import type { Counters, Kernel } from '../l4/kernel.js';
import type { Linux, LinuxStats, MarkerHit } from '../l4linux/linux.js';

export interface MarkSnapshot {
  time: number;
  k: Counters;
  lx: LinuxStats;
}

/** The mechanisms a phase is measured in. */
export const PHASE_COUNTS = ['ipc', 'page_faults', 'as_switches', 'pages_copied', 'context_switches', 'unmaps', 'task_news', 'l4_syscalls', 'linux_syscalls'] as const;
export type PhaseCount = (typeof PHASE_COUNTS)[number];

/** Snapshot at the first marker of each id that `take` accepts; the map fills as the run goes. */
export function markerSnapshots(k: Kernel, lx: Linux, take: (hit: MarkerHit) => boolean): Map<number, MarkSnapshot> {
  const snaps = new Map<number, MarkSnapshot>();
  lx.onMarker = (hit) => {
    if (take(hit) && !snaps.has(hit.id)) snaps.set(hit.id, { time: k.now, k: { ...k.counters }, lx: { ...lx.stats } });
  };
  return snaps;
}

/** The mechanism counts between two snapshots. */
export function phaseCounts(a: MarkSnapshot, b: MarkSnapshot): Record<PhaseCount, number> {
  return {
    ipc: b.k.ipcOps - a.k.ipcOps,
    page_faults: b.lx.pageFaults - a.lx.pageFaults,
    as_switches: b.k.asSwitches - a.k.asSwitches,
    pages_copied: b.lx.pagesCopied - a.lx.pagesCopied,
    context_switches: b.k.contextSwitches - a.k.contextSwitches,
    unmaps: b.k.unmaps - a.k.unmaps,
    l4_syscalls: b.k.syscalls - a.k.syscalls,
    task_news: b.k.taskNews - a.k.taskNews,
    linux_syscalls: b.lx.syscalls - a.lx.syscalls,
  };
}
