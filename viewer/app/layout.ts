/**
 * The tracks, top to bottom: one per CPU (who ran), interrupts, Linux signals, then per task a header
 * and per thread a header row plus one row per call depth. Every track has a fixed y in a tall virtual
 * canvas; only what intersects the visible band is drawn.
 */
import type { Store } from './store';

export type TrackKind = 'cpu' | 'irq' | 'signals' | 'process' | 'thread' | 'depth';

export interface Track {
  kind: TrackKind;
  label: string;
  y: number;
  h: number;
  /** cpu: index into header.cpus; thread/depth: utid; process: upid. */
  key: number;
  /** depth rows: the call depth. */
  depth: number;
}

export const ROW_H = { cpu: 18, irq: 18, signals: 22, process: 18, thread: 16, depth: 13 } as const;

export function layoutTracks(store: Store): { tracks: Track[]; height: number; threadY: Map<number, number> } {
  const h = store.header;
  const tracks: Track[] = [];
  let y = 0;
  const add = (kind: TrackKind, label: string, key: number, depth = 0): void => {
    const th = ROW_H[kind];
    tracks.push({ kind, label, y, h: th, key, depth });
    y += th;
  };
  h.cpus.forEach((c, i) => add('cpu', `CPU ${c.cpu}`, i));
  if (store.irqTs.length > 0) add('irq', 'interrupts', 0);
  if (h.signals.length > 0) add('signals', 'Linux signals', 0);
  const threadY = new Map<number, number>();
  for (const p of h.processes) {
    const threads = h.threads.filter((t) => t.upid === p.upid);
    if (threads.length === 0) continue;
    add('process', p.pid !== null ? `${p.name} [pid ${p.pid}]  task ${p.task}` : `${p.name}  task ${p.task}`, p.upid);
    for (const t of threads) {
      threadY.set(t.utid, y);
      add('thread', store.threadName(t.utid), t.utid);
      for (let d = 0; d < t.depth; d++) add('depth', '', t.utid, d);
    }
  }
  return { tracks, height: y, threadY };
}

/** Index of the first track whose bottom is below y (tracks are sorted by y). */
export function trackAtY(tracks: Track[], y: number): number {
  let lo = 0;
  let hi = tracks.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (tracks[m]!.y + tracks[m]!.h <= y) lo = m + 1;
    else hi = m;
  }
  return lo;
}
