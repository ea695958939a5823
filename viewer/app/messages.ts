/**
 * IPC messages grouped by thread pair, so the message layer's cost follows the pixels and the pairs,
 * not the number of messages: each pair keeps its messages' indices in send order, and any time range
 * of a pair is two binary searches away. Three kinds of pair: received (sender -> receiver), failed
 * (a send that ended with an error nobody received: sender -> addressed thread) and pending (no
 * result at all: still in flight when the trace was cut, or never received by the end of the run).
 */
import type { Store } from './store';

export type PairKind = 'received' | 'failed' | 'pending';

export interface Pair {
  kind: PairKind;
  sender: number;
  /** Receiving thread (received), addressed thread (failed, pending), or -1 when not in the trace. */
  target: number;
  /** Global message indices, by send time. */
  idx: Uint32Array;
  /** Longest send-to-receipt time of the pair (bounds which sends can reach into a view). */
  maxLatency: number;
}

export class MessageIndex {
  readonly pairs: Pair[] = [];

  constructor(private readonly st: Store) {
    const n = st.ipcTs.length;
    const pairOf = new Int32Array(n);
    const byKey = new Map<number, number>();
    const kindNo: Record<PairKind, number> = { received: 0, failed: 1, pending: 2 };
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const kind = st.messageKind(i);
      const r = st.ipcReceiver[i]!;
      const target = kind === 'received' ? r - 1 : st.ipcDest[i]! - 1;
      const key = (kindNo[kind] * 2 ** 21 + st.ipcSender[i]!) * 2 ** 21 + target + 1;
      let p = byKey.get(key);
      if (p === undefined) {
        p = this.pairs.length;
        byKey.set(key, p);
        this.pairs.push({ kind, sender: st.ipcSender[i]!, target, idx: new Uint32Array(0), maxLatency: 0 });
        counts.push(0);
      }
      pairOf[i] = p;
      counts[p]!++;
      const pair = this.pairs[p]!;
      if (kind === 'received') pair.maxLatency = Math.max(pair.maxLatency, st.ipcRecv[i]! - 1);
    }
    const fill = counts.map(() => 0);
    this.pairs.forEach((p, k) => (p.idx = new Uint32Array(counts[k]!)));
    for (let i = 0; i < n; i++) {
      const p = pairOf[i]!;
      this.pairs[p]!.idx[fill[p]!++] = i;
    }
  }

  /** Position in pair.idx of the first message sent at or after t. */
  lower(pair: Pair, t: number, lo = 0, hi = pair.idx.length): number {
    const ts = this.st.ipcTs;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[pair.idx[m]!]! < t) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** Position in pair.idx of the first message sent after t. */
  upper(pair: Pair, t: number, lo = 0, hi = pair.idx.length): number {
    const ts = this.st.ipcTs;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[pair.idx[m]!]! <= t) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** The pairs a thread takes part in (as sender, or as receiver of received messages). */
  pairsOf(utid: number): Pair[] {
    return this.pairs.filter((p) => p.sender === utid || (p.kind === 'received' && p.target === utid));
  }
}
