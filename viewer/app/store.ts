/**
 * The page's data, decoded from the embedded payload into typed arrays: no object per slice, interval,
 * interrupt or message (a 10-million-event trace has millions of each). Slices are grouped in rows
 * (thread, depth), each sorted by start and non-overlapping, so every lookup is a binary search.
 */
import { decodeColumn, type ColumnRef, type ViewerHeader, type ViewerThread } from '../model';

export interface Row {
  utid: number;
  depth: number;
  /** Index of the row's first slice in the slice arrays, and how many. */
  first: number;
  count: number;
}

export class Store {
  readonly header: ViewerHeader;
  readonly rows: Row[] = [];
  /** Slices: start, end (unfinished ones end at the end of the run), name id, category, seq, unfinished. */
  readonly sliceTs: Float64Array;
  readonly sliceEnd: Float64Array;
  readonly sliceName: Float64Array;
  readonly sliceCat: Float64Array;
  readonly sliceSeq: Float64Array;
  readonly sliceOpen: Uint8Array;
  /** Row index of every slice (for hit results and search). */
  readonly sliceRow: Uint32Array;
  /** Scheduling intervals, per CPU in cpuFirst[k] .. +cpus[k].count. */
  readonly schedTs: Float64Array;
  readonly schedEnd: Float64Array;
  readonly schedUtid: Float64Array;
  readonly schedEndState: Float64Array;
  readonly schedReason: Float64Array;
  readonly cpuFirst: number[] = [];
  /** Interrupt raises by time. */
  readonly irqTs: Float64Array;
  readonly irqNum: Float64Array;
  readonly irqDeliver: Float64Array;
  readonly irqHandler: Float64Array;
  readonly irqCoalesced: Float64Array;
  /** IPC messages by send time. */
  readonly ipcTs: Float64Array;
  readonly ipcSender: Float64Array;
  readonly ipcReceiver: Float64Array;
  readonly ipcRecv: Float64Array;
  readonly ipcReply: Float64Array;
  readonly ipcKind: Float64Array;
  readonly ipcResult: Float64Array;
  readonly ipcLabel: Float64Array;
  readonly ipcWords: Float64Array;
  readonly ipcBytes: Float64Array;
  readonly ipcDest: Float64Array;
  /** Longest message latency (bounds the search for arrows crossing the view). */
  readonly ipcMaxLatency: number;
  readonly threadByUtid = new Map<number, ViewerThread>();
  /** The run was cut short (no footer): messages without a result were still in flight at the cut. */
  readonly truncated: boolean;
  private readonly rowIndex = new Map<number, number>();

  constructor(header: ViewerHeader, columns: Uint8Array) {
    this.header = header;
    const refs = new Map<string, ColumnRef>(header.columns.map((c) => [c.name, c]));
    const col = (name: string): Float64Array => {
      const ref = refs.get(name);
      return ref ? decodeColumn(columns, ref) : new Float64Array(0);
    };
    this.sliceTs = col('slice.ts');
    const dur = col('slice.dur');
    this.sliceName = col('slice.name');
    this.sliceCat = col('slice.cat');
    this.sliceSeq = col('slice.seq');
    const n = this.sliceTs.length;
    this.sliceEnd = new Float64Array(n);
    this.sliceOpen = new Uint8Array(n);
    const endTime = Math.max(header.meta.endTime, header.window.to);
    for (let i = 0; i < n; i++) {
      const d = dur[i]!;
      if (d === 0) {
        this.sliceOpen[i] = 1;
        this.sliceEnd[i] = Math.max(this.sliceTs[i]!, endTime);
      } else this.sliceEnd[i] = this.sliceTs[i]! + d - 1;
    }
    this.sliceRow = new Uint32Array(n);
    let first = 0;
    header.rows.forEach((r, k) => {
      this.rows.push({ utid: r.utid, depth: r.depth, first, count: r.count });
      this.rowIndex.set(r.utid * 65536 + r.depth, k);
      this.sliceRow.fill(k, first, first + r.count);
      first += r.count;
    });
    this.schedTs = col('sched.ts');
    const sdur = col('sched.dur');
    this.schedEnd = new Float64Array(this.schedTs.length);
    for (let i = 0; i < this.schedTs.length; i++) this.schedEnd[i] = this.schedTs[i]! + sdur[i]!;
    this.schedUtid = col('sched.utid');
    this.schedEndState = col('sched.end');
    this.schedReason = col('sched.reason');
    let f = 0;
    for (const c of header.cpus) {
      this.cpuFirst.push(f);
      f += c.count;
    }
    this.irqTs = col('irq.ts');
    this.irqNum = col('irq.irq');
    this.irqDeliver = col('irq.deliver');
    this.irqHandler = col('irq.handler');
    this.irqCoalesced = col('irq.coalesced');
    this.ipcTs = col('ipc.ts');
    this.ipcSender = col('ipc.sender');
    this.ipcReceiver = col('ipc.receiver');
    this.ipcRecv = col('ipc.recv');
    this.ipcReply = col('ipc.reply');
    this.ipcKind = col('ipc.kind');
    this.ipcResult = col('ipc.result');
    this.ipcLabel = col('ipc.label');
    this.ipcWords = col('ipc.words');
    this.ipcBytes = col('ipc.bytes');
    this.ipcDest = col('ipc.dest');
    let maxLat = 0;
    for (let i = 0; i < this.ipcRecv.length; i++) maxLat = Math.max(maxLat, this.ipcRecv[i]!);
    this.ipcMaxLatency = maxLat;
    for (const t of header.threads) this.threadByUtid.set(t.utid, t);
    this.truncated = header.meta.outcome === 'none';
  }

  /** Received; failed (not received, with an error result); or pending (not received, no result). */
  messageKind(i: number): 'received' | 'failed' | 'pending' {
    if (this.ipcReceiver[i]! > 0) return 'received';
    return this.header.enums.ipcResult[this.ipcResult[i]!] ? 'failed' : 'pending';
  }

  /** What became of a message that nobody received, in words. */
  pendingText(i: number): string {
    if (this.messageKind(i) === 'failed') return `not received: ${this.header.enums.ipcResult[this.ipcResult[i]!]}`;
    return this.truncated ? 'in flight when the trace was cut' : 'not received by the end of the run';
  }

  row(utid: number, depth: number): Row | undefined {
    const k = this.rowIndex.get(utid * 65536 + depth);
    return k === undefined ? undefined : this.rows[k];
  }

  get sliceCount(): number {
    return this.sliceTs.length;
  }

  /** The slice of `row` that contains time t (or -1). */
  sliceAt(row: Row, t: number): number {
    const i = upperBound(this.sliceTs, t, row.first, row.first + row.count) - 1;
    return i >= row.first && this.sliceEnd[i]! >= t ? i : -1;
  }

  /** Names of the slices enclosing slice i, outermost first, then its own. */
  callPath(i: number): string[] {
    const row = this.rows[this.sliceRow[i]!]!;
    const out: string[] = [];
    for (let d = 0; d < row.depth; d++) {
      const r = this.row(row.utid, d);
      const p = r ? this.sliceAt(r, this.sliceTs[i]!) : -1;
      out.push(p >= 0 ? this.name(p) : '?');
    }
    out.push(this.name(i));
    return out;
  }

  /** Duration of slice i less its children's (summed over the next row's slices inside it). */
  selfTime(i: number): number {
    const row = this.rows[this.sliceRow[i]!]!;
    const inner = this.row(row.utid, row.depth + 1);
    const total = this.sliceEnd[i]! - this.sliceTs[i]!;
    if (!inner) return total;
    const a = lowerBound(this.sliceTs, this.sliceTs[i]!, inner.first, inner.first + inner.count);
    const b = upperBound(this.sliceTs, this.sliceEnd[i]!, inner.first, inner.first + inner.count);
    let children = 0;
    for (let k = a; k < b; k++) children += this.sliceEnd[k]! - this.sliceTs[k]!;
    return total - children;
  }

  name(i: number): string {
    return this.header.names[this.sliceName[i]!] ?? '?';
  }

  /**
   * "sigrace [2] 12.00v1": the name, the Linux pid when there is one, and the L4 id, as every output
   * names a thread (analyze/schema.ts threadLabel; the generator's labels cover threads left out too).
   */
  threadName(utid: number): string {
    const label = this.header.threadLabels?.[utid];
    if (label !== undefined) return label;
    const t = this.threadByUtid.get(utid);
    if (t) return t.pid !== null ? `${t.name} [${t.pid}] ${t.l4Id}` : `${t.name} ${t.l4Id}`;
    return `#${utid}`;
  }
}

/** First index in [lo, hi) with a[i] >= v. */
export function lowerBound(a: Float64Array, v: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** First index in [lo, hi) with a[i] > v. */
export function upperBound(a: Float64Array, v: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! <= v) lo = m + 1;
    else hi = m;
  }
  return lo;
}
