/**
 * Search by function or thread name (case-insensitive substring). Hits are slices in time order, or,
 * when no slice matches, the threads whose name matches; next / previous walk them.
 */
import type { Store } from './store';

export type Hit = { kind: 'slice'; index: number } | { kind: 'thread'; utid: number };

/** At most this many slice hits are kept (the count says when there are more). */
export const MAX_HITS = 200_000;

export class Search {
  hits: Hit[] = [];
  total = 0;
  current = -1;
  query = '';

  constructor(private readonly store: Store) {}

  run(query: string): void {
    this.query = query;
    this.hits = [];
    this.total = 0;
    this.current = -1;
    const q = query.trim().toLowerCase();
    if (!q) return;
    const st = this.store;
    const match = new Uint8Array(st.header.names.length);
    let any = false;
    st.header.names.forEach((n, i) => {
      if (n && n.toLowerCase().includes(q)) {
        match[i] = 1;
        any = true;
      }
    });
    if (any) {
      const found: number[] = [];
      for (let i = 0; i < st.sliceCount; i++) {
        if (match[st.sliceName[i]!]) {
          this.total++;
          if (found.length < MAX_HITS) found.push(i);
        }
      }
      found.sort((a, b) => st.sliceTs[a]! - st.sliceTs[b]! || a - b);
      this.hits = found.map((index) => ({ kind: 'slice', index }));
    }
    if (this.hits.length === 0) {
      for (const t of st.header.threads) if (t.name.toLowerCase().includes(q)) this.hits.push({ kind: 'thread', utid: t.utid });
      this.total = this.hits.length;
    }
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
