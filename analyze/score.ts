/**
 * `l4trace score`: what each function costs in the trace, as Score-P's scorep-score reports it. Since a
 * run replays exactly, the figures are exact, not estimates: visits, encoded bytes of its enter and exit
 * events, time per visit, and its type: COM when a call of it had an IPC inside (it lies on a path to
 * IPC or a system call), else KERN for the Linux kernel's functions (written by model code, on the
 * server's threads) and USR for the program's. `-g` proposes a filter by Score-P's default heuristic:
 * exclude USR and KERN functions that take at least 1% of the trace's bytes and less than 1 µs per visit.
 */
import { Kind } from '../tracer/catalogue.js';
import type { TraceReader } from '../tracer/reader.js';
import { KIND_LIMIT } from '../tracer/format.js';
import { varintSize } from '../tracer/varint.js';
import { CallPathTree, type CallPathRow } from './call-paths.js';
import { ThreadKind } from '../tracer/packets.js';

export interface ScoreRow {
  name: string;
  type: 'COM' | 'USR' | 'KERN';
  visits: number;
  bytes: number;
  /** Share of all event bytes, percent. */
  percent: number;
  /**
   * Inclusive and exclusive cycles of finished calls. Inclusive time counts a function's outermost
   * frame on a thread's stack only (a recursive call inside a call of the same function adds nothing);
   * exclusive time is every frame's own.
   */
  incl: number;
  excl: number;
  /** Exclusive time per visit (what the function itself costs per call), microseconds. */
  usPerVisit: number;
  /** Largest share of one thread's bytes (Score-P's max_buf). */
  maxThreadBytes: number;
}

export interface ScoreResult {
  rows: ScoreRow[];
  /** Bytes of the file, and of its event chunks. */
  fileBytes: number;
  eventBytes: number;
  functionBytes: number;
  /** The functions `-g` would exclude, and the file size that would leave. */
  suggested: string[];
  estimatedBytes: number;
  /** The call-path profile (`score --tree`), merged over threads, depth-first. */
  tree: CallPathRow[];
  /** Distinct call paths, and calls folded into a parent path because of the bound. */
  callPaths: number;
  foldedCalls: number;
}

export interface TreeOptions {
  /** Rows of the tree to return. */
  limit: number;
  /** Leave out paths below this share of the total inclusive cycles, percent. */
  minPercent: number;
}

export interface ScoreHeuristic {
  /** Minimum share of the trace's bytes, percent. */
  bufferPercent: number;
  /** Maximum time per visit, microseconds. */
  timePerVisitUs: number;
}

/** IpcOp of a page-fault IPC (not communication the program asked for). */
const IPC_OP_PAGEFAULT = 7;

export const SCOREP_DEFAULT: ScoreHeuristic = { bufferPercent: 1, timePerVisitUs: 1 };

export function scoreTrace(reader: TraceReader, heuristic: ScoreHeuristic = SCOREP_DEFAULT, treeOpts: TreeOptions = { limit: 40, minPercent: 0.5 }): ScoreResult {
  const tree = new CallPathTree();
  const perFn = new Map<number, { visits: number; bytes: number; incl: number; excl: number; com: boolean; kern: boolean; perThread: Map<number, number> }>();
  const fnOf = (id: number) => {
    let f = perFn.get(id);
    if (!f) perFn.set(id, (f = { visits: 0, bytes: 0, incl: 0, excl: 0, com: false, kern: false, perThread: new Map() }));
    return f;
  };
  const cyclesPerUs = reader.header.cyclesPerUs || 1;
  for (let t = 0; t < reader.threads.length; t++) {
    // Per open call: its function, start, time in its callees (all of them, and those the call tree
    // counts: a call folded into its parent's path is the parent's own time there), its call-path node.
    const stack: { fn: number; ts: number; child: number; treeChild: number; node: number; folded: boolean }[] = [];
    // Open frames per function on this thread: inclusive time counts the outermost one only.
    const open = new Map<number, number>();
    // Functions on model-code threads are the Linux kernel's (the server's kernel function trace).
    const kernel = reader.threads[t]!.kind === ThreadKind.MODEL;
    let lastTs = 0;
    const closeInTree = (call: (typeof stack)[number], end: number): void => {
      if (!call.folded) tree.exit(call.node, end - call.ts, call.treeChild);
      const parent = stack.at(-1);
      if (!parent) return;
      parent.child += end - call.ts;
      // A folded call's time is its parent path's own; the kept paths under it are the parent's callees.
      parent.treeChild += call.folded ? call.treeChild : end - call.ts;
    };
    for (const ref of reader.chunksOf(t)) {
      const ch = reader.decodeChunk(ref);
      let prevSeq = ch.firstSeq - 1;
      let prevTime = ch.firstTime;
      for (let i = 0; i < ch.count; i++) {
        const kind = ch.kinds[i]!;
        const seq = ch.seqs[i]!;
        const ts = ch.times[i]!;
        // Exactly what the encoder wrote for this event's tag and time delta.
        const head = varintSize(kind + (seq - prevSeq - 1) * KIND_LIMIT) + varintSize(ts - prevTime);
        prevSeq = seq;
        prevTime = ts;
        if (kind === Kind.FUNC_ENTER) {
          const fn = ch.args[ch.argStart[i]!]!;
          const f = fnOf(fn);
          const b = head + varintSize(fn);
          f.visits++;
          f.kern ||= kernel;
          f.bytes += b;
          f.perThread.set(t, (f.perThread.get(t) ?? 0) + b);
          const at = stack.at(-1)?.node ?? 0;
          const node = tree.enter(at, fn);
          stack.push({ fn, ts, child: 0, treeChild: 0, node, folded: node === at });
          open.set(fn, (open.get(fn) ?? 0) + 1);
        } else if (kind === Kind.FUNC_EXIT) {
          const call = stack.pop();
          if (!call) continue;
          const f = fnOf(call.fn);
          f.bytes += head;
          f.perThread.set(t, (f.perThread.get(t) ?? 0) + head);
          const depthOfFn = open.get(call.fn)! - 1;
          open.set(call.fn, depthOfFn);
          if (depthOfFn === 0) f.incl += ts - call.ts;
          f.excl += ts - call.ts - call.child;
          closeInTree(call, ts);
        } else if (kind === Kind.IPC && ch.args[ch.argStart[i]!] !== IPC_OP_PAGEFAULT) {
          // A system call or IPC (not a page fault): every open function lies on a path to it.
          for (const o of stack) fnOf(o.fn).com = true;
        }
        lastTs = ts;
      }
    }
    // Calls still open when the thread's events end (main of a program that ends in exit, a thread
    // killed): the call tree counts them up to the thread's last event, as Score-P closes its regions.
    for (let call = stack.pop(); call; call = stack.pop()) closeInTree(call, lastTs);
  }
  const eventBytes = reader.chunks.reduce((a, c) => a + c.bodyLength, 0);
  const rows: ScoreRow[] = [...perFn].map(([id, f]) => ({
    name: reader.string(id),
    type: f.com ? 'COM' : f.kern ? 'KERN' : 'USR',
    visits: f.visits,
    bytes: f.bytes,
    percent: eventBytes > 0 ? (100 * f.bytes) / eventBytes : 0,
    incl: f.incl,
    excl: f.excl,
    usPerVisit: f.visits > 0 ? f.excl / f.visits / cyclesPerUs : 0,
    maxThreadBytes: Math.max(0, ...f.perThread.values()),
  }));
  rows.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const suggested = rows.filter((r) => r.type !== 'COM' && r.percent >= heuristic.bufferPercent && r.usPerVisit < heuristic.timePerVisitUs).map((r) => r.name);
  const dropped = rows.filter((r) => suggested.includes(r.name)).reduce((a, r) => a + r.bytes, 0);
  return {
    rows,
    fileBytes: reader.size,
    eventBytes,
    functionBytes: rows.reduce((a, r) => a + r.bytes, 0),
    suggested,
    estimatedBytes: Math.max(0, reader.size - dropped),
    tree: tree.rows((id) => reader.string(id), treeOpts.limit, treeOpts.minPercent),
    callPaths: tree.size,
    foldedCalls: tree.folded,
  };
}
