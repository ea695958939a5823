/**
 * Each thread's state over time, from the scheduling intervals: running while on a CPU; between two
 * intervals, the state it was switched out in (ready, receiving, sending, or blocked otherwise:
 * sleeping, stopped); before its first interval, from its first event on, ready (created, waiting to
 * run). Built per thread on first use, as a series the level of detail can merge like any other.
 */
import type { Store } from './store';

export const STATES = ['running', 'ready', 'receiving', 'sending', 'blocked'] as const;
export type ThreadState = (typeof STATES)[number];
export const STATE_COLOUR: Record<ThreadState, string> = {
  running: '#16a34a',
  ready: '#f59e0b',
  receiving: '#93c5fd',
  sending: '#c084fc',
  blocked: '#9ca3af',
};

/** The state after an interval that ended in `endState` (the trace's name), or -1 when the thread is gone. */
export function stateAfter(endState: string): number {
  switch (endState) {
    case 'ready':
    case 'running':
      return 1;
    case 'receiving':
      return 2;
    case 'sending':
      return 3;
    case 'dead':
      return -1;
    default:
      return 4;
  }
}

export interface StateSeries {
  start: Float64Array;
  end: Float64Array;
  state: Uint8Array;
}

/** Every thread's scheduling intervals (indices into the sched columns), in time order. */
export function schedByThread(st: Store): Map<number, Uint32Array> {
  const counts = new Map<number, number>();
  const n = st.schedTs.length;
  for (let i = 0; i < n; i++) counts.set(st.schedUtid[i]!, (counts.get(st.schedUtid[i]!) ?? 0) + 1);
  const out = new Map<number, Uint32Array>();
  const fill = new Map<number, number>();
  for (const [u, c] of counts) {
    out.set(u, new Uint32Array(c));
    fill.set(u, 0);
  }
  for (let i = 0; i < n; i++) {
    const u = st.schedUtid[i]!;
    const k = fill.get(u)!;
    out.get(u)![k] = i;
    fill.set(u, k + 1);
  }
  // Several CPUs: the columns are per CPU, so a thread's intervals need sorting by time.
  if (st.header.cpus.length > 1) for (const [u, a] of out) out.set(u, a.sort((x, y) => st.schedTs[x]! - st.schedTs[y]!));
  return out;
}

export function buildStateSeries(st: Store, intervals: Uint32Array | undefined, startTs: number | null): StateSeries {
  const h = st.header;
  const runEnd = Math.min(h.window.to, Math.max(h.meta.endTime, h.window.from));
  const start: number[] = [];
  const end: number[] = [];
  const state: number[] = [];
  const push = (a: number, b: number, s: number): void => {
    if (b <= a) return;
    start.push(a);
    end.push(b);
    state.push(s);
  };
  const list = intervals ?? new Uint32Array(0);
  // Never on a CPU in this window: nothing is known of its state.
  if (list.length === 0) return { start: new Float64Array(0), end: new Float64Array(0), state: new Uint8Array(0) };
  const firstRun = st.schedTs[list[0]!]!;
  if (startTs !== null && startTs >= h.window.from) push(startTs, firstRun, 1);
  for (let k = 0; k < list.length; k++) {
    const i = list[k]!;
    push(st.schedTs[i]!, st.schedEnd[i]!, 0);
    const after = stateAfter(h.enums.endState[st.schedEndState[i]!] ?? '');
    const next = k + 1 < list.length ? st.schedTs[list[k + 1]!]! : runEnd;
    if (after >= 0) push(st.schedEnd[i]!, next, after);
  }
  return { start: Float64Array.from(start), end: Float64Array.from(end), state: Uint8Array.from(state) };
}

/** The state of a series at time t, or null outside it. */
export function stateAt(s: StateSeries, t: number): { state: ThreadState; from: number; to: number } | null {
  let lo = 0;
  let hi = s.start.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (s.start[m]! <= t) lo = m + 1;
    else hi = m;
  }
  const i = lo - 1;
  if (i < 0 || s.end[i]! < t) return null;
  return { state: STATES[s.state[i]!]!, from: s.start[i]!, to: s.end[i]! };
}
