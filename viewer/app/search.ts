/**
 * Search by function or thread name (case-insensitive substring). Hits are the matching threads first
 * (a few; each one selects its track), then the matching slices in time order; next / previous walk
 * them. Past MAX_HITS slices, the earliest MAX_HITS in time are kept (merged across rows, which are
 * each sorted by start), so the hits still run in time order from the start of the run.
 */
import type { Store } from './store';

export type Hit = { kind: 'slice'; index: number } | { kind: 'thread'; utid: number };

/** At most this many slice hits are kept (the count says when there are more). */
export const MAX_HITS = 200_000;

export class Search {
  hits: Hit[] = [];
  /** Matching threads and slices, kept or not. */
  total = 0;
  threads = 0;
  current = -1;
  query = '';

  constructor(private readonly store: Store) {}

  run(query: string, limit = MAX_HITS): void {
    this.query = query;
    this.hits = [];
    this.total = 0;
    this.threads = 0;
    this.current = -1;
    const q = query.trim().toLowerCase();
    if (!q) return;
    const st = this.store;
    for (const t of st.header.threads) {
      if (st.threadName(t.utid).toLowerCase().includes(q)) this.hits.push({ kind: 'thread', utid: t.utid });
    }
    this.threads = this.hits.length;
    const match = new Uint8Array(st.header.names.length);
    let any = false;
    st.header.names.forEach((n, i) => {
      if (n && n.toLowerCase().includes(q)) {
        match[i] = 1;
        any = true;
      }
    });
    let slices = 0;
    if (any) {
      for (let i = 0; i < st.sliceCount; i++) if (match[st.sliceName[i]!]) slices++;
      for (const index of earliest(st, match, limit)) this.hits.push({ kind: 'slice', index });
    }
    this.total = this.threads + slices;
  }

  step(dir: 1 | -1): Hit | null {
    if (this.hits.length === 0) return null;
    this.current = (this.current + dir + this.hits.length) % this.hits.length;
    return this.hits[this.current]!;
  }

  summary(): string {
    if (!this.query.trim()) return '';
    if (this.hits.length === 0) return 'no match';
    const more = this.total > this.hits.length ? ` (first ${this.hits.length.toLocaleString('en-US')} of ${this.total.toLocaleString('en-US')})` : '';
    return `${this.current < 0 ? '-' : this.current + 1} / ${this.hits.length.toLocaleString('en-US')}${more}`;
  }
}

/**
 * The first `limit` matching slices in time order (ties by index): a k-way merge of the rows, each of
 * which is sorted by start, with a binary heap of the rows' next matches.
 */
export function earliest(st: Store, match: Uint8Array, limit: number): number[] {
  const next = (k: number, from: number): number => {
    const row = st.rows[k]!;
    for (let i = from; i < row.first + row.count; i++) if (match[st.sliceName[i]!]) return i;
    return -1;
  };
  const heap: number[] = []; // slice indices
  const less = (a: number, b: number): boolean => st.sliceTs[a]! < st.sliceTs[b]! || (st.sliceTs[a] === st.sliceTs[b] && a < b);
  const push = (x: number): void => {
    heap.push(x);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  st.rows.forEach((row, k) => {
    const i = next(k, row.first);
    if (i >= 0) push(i);
  });
  const out: number[] = [];
  while (heap.length > 0 && out.length < limit) {
    const i = pop();
    out.push(i);
    const j = next(st.sliceRow[i]!, i + 1);
    if (j >= 0) push(j);
  }
  return out;
}
