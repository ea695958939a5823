/**
 * What the trace exports (Perfetto, Chrome JSON) draw, in the order they draw it, converted to
 * nanoseconds and streamed from DuckDB chunk by chunk (a big trace is never held as rows in memory):
 *
 * - timeline(): per thread, in nesting order, every slice (function calls, IPC operations, page
 *   faults) plus zero-length markers: where an IPC message leaves its sender (at the start of the
 *   sending IPC slice) and where it arrives (at the end of the receiving one), where a signal is sent
 *   and where it is delivered. Markers carry the flow that links the two ends, so arrows run forward
 *   in time from send to receipt.
 * - syscallTimeline(): the Linux system calls, per calling process and pid (they overlap on the server
 *   thread that handles them, so they get their own tracks), nested.
 * - schedTimeline(): per CPU, the scheduling intervals, named after the thread that ran.
 *
 * Every item carries its annotations (Args): the l4trace sequence number of the event it shows, and
 * per kind what a reader asks about it (an IPC's operation, label, words, result and partner; a system
 * call's number and result; a fault's address; a signal's number, sender, target and path). Rounding
 * cycles to nanoseconds is monotonic, so nesting holds.
 */
import type { Analysis } from './db.js';

export type TimelineKind = 'slice' | 'send' | 'recv';

/** Categories: slice_raw.category_id first (func, ipc, pf), then the exports' own. */
export const TIMELINE_CATEGORIES = ['func', 'ipc', 'pf', 'flow', 'signal', 'syscall', 'sched'] as const;
export const CAT = { func: 0, ipc: 1, pf: 2, flow: 3, signal: 4, syscall: 5, sched: 6 } as const;

/** Flow ids: an IPC message's is its `flow.id` + 1; a signal's is this plus its `signal.id` + 1. */
export const SIGNAL_FLOW_BASE = 2 ** 32;

/** Annotation names, in one table so writers can intern them by index. */
export const ARG_KEYS = [
  'seq',
  'op',
  'label',
  'words',
  'result',
  'to',
  'dest',
  'from',
  'received_label',
  'received_words',
  'msg',
  'addr',
  'write',
  'ip',
  'mapped',
  'pager_result',
  'nr',
  'pid',
  'ret',
  'arg0',
  'arg1',
  'arg2',
  'signal',
  'from_pid',
  'to_pid',
  'path',
  'kick',
  'action',
  'handler',
  'thread',
  'end_state',
  'priority',
  'switch_reason',
] as const;
export type ArgKey = (typeof ARG_KEYS)[number];
const K = Object.fromEntries(ARG_KEYS.map((k, i) => [k, i])) as Record<ArgKey, number>;
export const ARG = K;

/** Annotations whose values are addresses (Perfetto pointer_value, hex strings in Chrome JSON). */
export const POINTER_ARGS: ReadonlySet<number> = new Set([K.addr, K.ip, K.handler]);

export type ArgValue = number | string | boolean;

/** An item's annotations: keys (indexes into ARG_KEYS) and values, reused from one item to the next. */
export class Args {
  readonly keys: number[] = [];
  readonly values: ArgValue[] = [];
  n = 0;

  clear(): void {
    this.n = 0;
  }

  /** Add one annotation; NULL (null, undefined, NaN) adds nothing. */
  add(key: number, v: ArgValue | null | undefined): void {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return;
    this.keys[this.n] = key;
    this.values[this.n++] = v;
  }

  /** As a plain object (Chrome JSON `args`): addresses as hex strings. */
  toObject(): Record<string, ArgValue> {
    const o: Record<string, ArgValue> = {};
    for (let i = 0; i < this.n; i++) {
      const k = this.keys[i]!;
      const v = this.values[i]!;
      o[ARG_KEYS[k]!] = POINTER_ARGS.has(k) && typeof v === 'number' ? `0x${v.toString(16)}` : v;
    }
    return o;
  }
}

/** Slice names: the trace's name table, plus names the exports make (markers, system calls, threads). */
export class NameTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  set(id: number, name: string): void {
    this.names[id] = name;
    if (!this.ids.has(name)) this.ids.set(name, id);
  }

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }
}

export async function timelineNames(a: Analysis): Promise<NameTable> {
  const t = new NameTable();
  for await (const { rows, columns } of streamColumns(a, 'SELECT name_id, name FROM name ORDER BY name_id')) {
    for (let r = 0; r < rows; r++) t.set(columns[0]![r] as number, String(columns[1]![r]));
  }
  // Gaps (a crafted name table) get a name, so every id a slice may use has one.
  for (let i = 0; i < t.names.length; i++) if (t.names[i] === undefined) t.set(i, `name ${i}`);
  return t;
}

export interface TimelineItem {
  kind: TimelineKind;
  utid: number;
  /** Start and end in ns; markers have end === ts. */
  ts: number;
  end: number;
  /** Index into the NameTable, and the name itself. */
  nameId: number;
  name: string;
  category: string;
  /** Index into TIMELINE_CATEGORIES. */
  categoryId: number;
  /** Flow id for markers that start or end a flow (SIGNAL_FLOW_BASE and up for signals), else 0. */
  flow: number;
  args: Args;
}

export interface Clock {
  cyclesPerUs: number;
  /** End of the run in cycles (where unfinished slices are drawn to). */
  endCycles: number;
  ns(cycles: number): number;
}

export async function traceClock(a: Analysis): Promise<Clock> {
  const cyclesPerUs = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'cycles_per_us'")) || 1;
  const endCycles = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'end_time'")) || 0;
  return { cyclesPerUs, endCycles, ns: (c) => Math.round((c * 1000) / cyclesPerUs) };
}

/** A column of one chunk, read value by value (numbers, strings, booleans or null). */
export interface ChunkColumn {
  getItem(row: number): unknown;
}

/**
 * Rows of a query, chunk by chunk, as columns read lazily: a value is converted only when asked for
 * (most annotation columns are NULL on most rows; converting whole columns would dominate the export).
 * Cast BIGINTs to DOUBLE in the SQL.
 */
export async function* streamChunks(a: Analysis, sql: string): AsyncGenerator<{ rows: number; columns: ChunkColumn[] }> {
  const result = await a.con.stream(sql);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const columns: ChunkColumn[] = [];
    for (let i = 0; i < chunk.columnCount; i++) columns.push(chunk.getColumnVector(i));
    yield { rows: chunk.rowCount, columns };
  }
}

/** The values of a DOUBLE column without NULLs, as they sit in the chunk (no conversion). */
export function doubles(c: ChunkColumn, rows: number): Float64Array {
  const items = (c as { items?: unknown }).items;
  if (items instanceof Float64Array && items.length >= rows) return items;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = Number(c.getItem(r));
  return out;
}

/** Rows of a query, chunk by chunk, as column arrays (cast BIGINTs to DOUBLE in the SQL). */
export async function* streamColumns(a: Analysis, sql: string): AsyncGenerator<{ rows: number; columns: unknown[][] }> {
  const result = await a.con.stream(sql);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    yield { rows: chunk.rowCount, columns: chunk.getColumns() as unknown[][] };
  }
}

// Name ids the SQL uses for markers (resolved in JS).
const IPC_SEND = -1;
const IPC_RECV = -2;
const SIG_SEND = -3;
const SIG_DELIVER = -4;

// Order within a thread at equal times: an arrival first (it ends the slice that closes there), then
// slices outer to inner, then a departure (inside the IPC slice that starts there). Names and categories
// travel as integers (strings decoded per row would dominate the export). Annotations travel in four
// number columns (n1-n4), three strings (s1-s3) and a boolean (b1), whose meaning depends on the row:
//   IPC slice        n1 label, n2 words, s1 to, s2 result (what it sent); n3, n4, s3 (what it received)
//   page fault       n1 addr, n2 ip, n3 result, n4 mapped, b1 write
//   IPC send / recv  n1 label, n2 words, n3 msg, s1 to / s3 from
//   signal send      n1 from_pid, n2 to_pid, s1 signal, s2 path, s3 kick
//   signal delivery  n1 from_pid, n2 to_pid, n3 handler, s1 signal, s2 action
const TIMELINE_SQL = `
  WITH lbl AS (SELECT utid, label FROM thread_label),
  pfa AS (SELECT utid, ts, any_value(addr) AS addr, any_value(ip) AS ip, any_value(result) AS result,
                 any_value(mapped) AS mapped, any_value(write) AS write FROM pf GROUP BY utid, ts)
  SELECT rank::DOUBLE, utid::DOUBLE, ts, coalesce(dur, -1), name_id::DOUBLE, category_id::DOUBLE, coalesce(flow, 0), coalesce(seq, -1),
         n1, n2, n3, n4, s1, s2, s3, b1 FROM (
    SELECT 1 AS rank, s.utid, s.ts::DOUBLE AS ts, s.dur::DOUBLE AS dur, s.name_id, s.category_id, 0::DOUBLE AS flow,
           s.seq::DOUBLE AS seq, s.depth, s.id::DOUBLE AS id,
           (CASE s.category_id WHEN 1 THEN o.label WHEN 2 THEN p.addr END)::DOUBLE AS n1,
           (CASE s.category_id WHEN 1 THEN o.words WHEN 2 THEN p.ip END)::DOUBLE AS n2,
           (CASE s.category_id WHEN 1 THEN i.label WHEN 2 THEN p.result END)::DOUBLE AS n3,
           (CASE s.category_id WHEN 1 THEN i.words WHEN 2 THEN p.mapped::INTEGER END)::DOUBLE AS n4,
           CASE WHEN s.category_id = 1 THEN coalesce(rl.label, o.dest) END AS s1,
           CASE WHEN s.category_id = 1 THEN o.result_name END AS s2,
           CASE WHEN s.category_id = 1 THEN sl.label END AS s3,
           CASE WHEN s.category_id = 2 THEN p.write END AS b1
      FROM slice_raw s
      LEFT JOIN ipc o ON o.send_slice_id = s.id
      LEFT JOIN lbl rl ON rl.utid = o.receiver_utid
      LEFT JOIN ipc i ON i.recv_slice_id = s.id
      LEFT JOIN lbl sl ON sl.utid = i.sender_utid
      LEFT JOIN pfa p ON p.utid = s.utid AND p.ts = s.ts
    UNION ALL
    SELECT 2, i.sender_utid, i.ts_send::DOUBLE, 0, ${IPC_SEND}, ${CAT.flow}, (f.id + 1)::DOUBLE, i.seq::DOUBLE, 0, f.id::DOUBLE,
           i.label::DOUBLE, i.words::DOUBLE, i.id::DOUBLE, NULL, coalesce(rl.label, i.dest), NULL, NULL, NULL
      FROM flow f JOIN ipc i ON i.id = f.ipc_id LEFT JOIN lbl rl ON rl.utid = i.receiver_utid
    UNION ALL
    SELECT 0, i.receiver_utid, i.ts_recv::DOUBLE, 0, ${IPC_RECV}, ${CAT.flow}, (f.id + 1)::DOUBLE, i.recv_seq::DOUBLE, 0, f.id::DOUBLE,
           i.label::DOUBLE, i.words::DOUBLE, i.id::DOUBLE, NULL, NULL, NULL, sl.label, NULL
      FROM flow f JOIN ipc i ON i.id = f.ipc_id LEFT JOIN lbl sl ON sl.utid = i.sender_utid
    UNION ALL
    SELECT 2, g.utid, g.ts::DOUBLE, 0, ${SIG_SEND}, ${CAT.signal},
           CASE WHEN g.ts_deliver IS NOT NULL AND g.deliver_utid IS NOT NULL THEN ${SIGNAL_FLOW_BASE} + g.id + 1 ELSE 0 END::DOUBLE,
           g.seq::DOUBLE, 0, g.id::DOUBLE, g.from_pid::DOUBLE, g.to_pid::DOUBLE, NULL, NULL, g.sig_name, g.path, g.kick_name, NULL
      FROM signal g
    UNION ALL
    SELECT 0, g.deliver_utid, g.ts_deliver::DOUBLE, 0, ${SIG_DELIVER}, ${CAT.signal}, (${SIGNAL_FLOW_BASE} + g.id + 1)::DOUBLE,
           g.deliver_seq::DOUBLE, 0, g.id::DOUBLE, g.from_pid::DOUBLE, g.to_pid::DOUBLE, g.handler::DOUBLE, NULL, g.sig_name, g.action, NULL, NULL
      FROM signal g WHERE g.ts_deliver IS NOT NULL AND g.deliver_utid IS NOT NULL
  ) WHERE utid IS NOT NULL AND ts IS NOT NULL
  ORDER BY utid, ts, rank, depth, id`;

const KIND_OF_RANK: TimelineKind[] = ['recv', 'slice', 'send'];

/** How many items timeline(), syscallTimeline() and schedTimeline() yield together (for progress). */
export async function timelineSize(a: Analysis): Promise<number> {
  return Number(
    await a.scalar(
      `SELECT (SELECT count(*) FROM slice_raw) + 2 * (SELECT count(*) FROM flow) + (SELECT count(*) FROM sched)
            + (SELECT count(*) FROM syscall) + (SELECT count(*) + count(ts_deliver) FROM signal)`,
    ),
  );
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numAt = (c: ChunkColumn, r: number): number | null => c.getItem(r) as number | null;
const strAt = (c: ChunkColumn, r: number): string | null => c.getItem(r) as string | null;

/**
 * Every thread's items, thread by thread, each thread in nesting order. The item object (and its Args)
 * is reused from one item to the next: copy what must outlive the loop iteration.
 */
export async function* timeline(a: Analysis, clock: Clock, names: NameTable): AsyncGenerator<TimelineItem> {
  const ipcSend = names.id('ipc send');
  const ipcRecv = names.id('ipc receive');
  const args = new Args();
  const item: TimelineItem = { kind: 'slice', utid: 0, ts: 0, end: 0, nameId: 0, name: '', category: '', categoryId: 0, flow: 0, args };
  for await (const { rows, columns } of streamChunks(a, TIMELINE_SQL)) {
    const [rank, utid, ts, dur, nameId, category, flow, seq] = columns.slice(0, 8).map((c) => doubles(c, rows)) as Float64Array[];
    const [c1, c2, c3, c4, t1, t2, t3, b1] = columns.slice(8);
    for (let r = 0; r < rows; r++) {
      const start = ts![r]!;
      const d = dur![r]!;
      const id = nameId![r]!;
      const cat = category![r]!;
      item.kind = KIND_OF_RANK[rank![r]!]!;
      item.utid = utid![r]!;
      item.ts = clock.ns(start);
      item.end = clock.ns(d >= 0 ? start + d : Math.max(start, clock.endCycles));
      item.categoryId = cat;
      item.category = TIMELINE_CATEGORIES[cat] ?? 'func';
      item.flow = flow![r]!;
      args.clear();
      const sq = seq![r]!;
      if (sq >= 0) args.add(K.seq, sq);
      if (id >= 0) {
        item.nameId = id < names.names.length ? id : names.id(`name ${id}`);
        item.name = names.names[item.nameId]!;
        if (cat === CAT.ipc) {
          if (item.name.startsWith('ipc:')) args.add(K.op, item.name.slice(4));
          if (numAt(c1!, r) !== null || strAt(t1!, r) !== null) {
            args.add(K.label, numAt(c1!, r));
            args.add(K.words, numAt(c2!, r));
            args.add(K.to, strAt(t1!, r));
            args.add(K.result, strAt(t2!, r));
          }
          if (numAt(c3!, r) !== null || strAt(t3!, r) !== null) {
            args.add(K.from, strAt(t3!, r));
            args.add(K.received_label, numAt(c3!, r));
            args.add(K.received_words, numAt(c4!, r));
          }
        } else if (cat === CAT.pf) {
          args.add(K.addr, numAt(c1!, r));
          args.add(K.write, b1!.getItem(r) as boolean | null);
          args.add(K.ip, numAt(c2!, r));
          args.add(K.pager_result, numAt(c3!, r));
          const mapped = numAt(c4!, r);
          args.add(K.mapped, mapped === null ? null : mapped !== 0);
        }
      } else if (id === IPC_SEND || id === IPC_RECV) {
        item.nameId = id === IPC_SEND ? ipcSend : ipcRecv;
        item.name = names.names[item.nameId]!;
        args.add(K.msg, numAt(c3!, r));
        args.add(K.label, numAt(c1!, r));
        args.add(K.words, numAt(c2!, r));
        if (id === IPC_SEND) args.add(K.to, strAt(t1!, r));
        else args.add(K.from, strAt(t3!, r));
      } else {
        const sig = strAt(t1!, r) ?? 'signal';
        item.nameId = names.id(id === SIG_SEND ? `${sig} sent` : `${sig} delivered`);
        item.name = names.names[item.nameId]!;
        args.add(K.signal, sig);
        args.add(K.from_pid, numAt(c1!, r));
        args.add(K.to_pid, numAt(c2!, r));
        if (id === SIG_SEND) {
          args.add(K.path, strAt(t2!, r));
          args.add(K.kick, strAt(t3!, r));
        } else {
          args.add(K.action, strAt(t2!, r));
          const h = numAt(c3!, r);
          if (h) args.add(K.handler, h);
        }
      }
      yield item;
    }
  }
}

export interface SyscallItem {
  /** The track: the calling process (upid; -1 when no thread has the pid) and pid. */
  upid: number;
  pid: number;
  /** A new track starts with this item. */
  newTrack: boolean;
  ts: number;
  /** End in ns, within the enclosing call on its track (a crafted trace cannot break nesting). */
  end: number;
  nameId: number;
  name: string;
  args: Args;
}

/**
 * The system calls, per calling process and pid (the process is the one whose thread with that pid
 * started last before the call: a pid that execs belongs to its new image afterwards), in time order.
 */
const SYSCALL_SQL = `
  WITH own AS (SELECT DISTINCT linux_pid AS pid, upid, start_ts FROM thread
               WHERE linux_pid IS NOT NULL AND upid IS NOT NULL AND start_ts IS NOT NULL),
  first AS (SELECT linux_pid AS pid, min(upid) AS upid FROM thread WHERE linux_pid IS NOT NULL AND upid IS NOT NULL GROUP BY 1)
  SELECT coalesce(o.upid, f.upid, h.upid, -1)::DOUBLE AS owner, s.pid::DOUBLE, s.ts::DOUBLE, s.dur::DOUBLE, s.name,
         s.nr::DOUBLE, s.ret::DOUBLE, s.seq::DOUBLE, s.arg0::DOUBLE, s.arg1::DOUBLE, s.arg2::DOUBLE
  FROM syscall s
  ASOF LEFT JOIN own o ON s.pid = o.pid AND s.ts >= o.start_ts
  LEFT JOIN first f ON f.pid = s.pid
  LEFT JOIN thread h ON h.utid = s.utid
  ORDER BY 1, 2, 3, s.id`;

export async function* syscallTimeline(a: Analysis, clock: Clock, names: NameTable): AsyncGenerator<SyscallItem> {
  const args = new Args();
  const item: SyscallItem = { upid: -2, pid: -1, newTrack: false, ts: 0, end: 0, nameId: 0, name: '', args };
  const open: number[] = [];
  for await (const { rows, columns } of streamColumns(a, SYSCALL_SQL)) {
    const [owner, pid, ts, dur, name, nr, ret, seq, a0, a1, a2] = columns;
    for (let r = 0; r < rows; r++) {
      const upid = owner![r] as number;
      const p = pid![r] as number;
      item.newTrack = upid !== item.upid || p !== item.pid;
      if (item.newTrack) open.length = 0;
      item.upid = upid;
      item.pid = p;
      const start = ts![r] as number;
      const d = (dur![r] as number | null) ?? -1;
      item.ts = clock.ns(start);
      let end = clock.ns(d >= 0 ? start + d : Math.max(start, clock.endCycles));
      while (open.length > 0 && open[open.length - 1]! <= item.ts) open.pop();
      if (open.length > 0) end = Math.min(end, open[open.length - 1]!);
      open.push(end);
      item.end = end;
      item.nameId = names.id(String(name![r]));
      item.name = names.names[item.nameId]!;
      args.clear();
      args.add(K.seq, num(seq![r]));
      args.add(K.nr, num(nr![r]));
      args.add(K.pid, p);
      args.add(K.ret, num(ret![r]));
      args.add(K.arg0, num(a0![r]));
      args.add(K.arg1, num(a1![r]));
      args.add(K.arg2, num(a2![r]));
      yield item;
    }
  }
}

export interface SchedItem {
  cpu: number;
  ts: number;
  end: number;
  utid: number;
  nameId: number;
  name: string;
  args: Args;
}

/** Scheduling intervals per CPU in time order, in ns, named after the running thread (its label). */
export async function* schedTimeline(a: Analysis, clock: Clock, names: NameTable): AsyncGenerator<SchedItem> {
  const sql = `SELECT s.cpu, s.ts::DOUBLE, (s.ts + s.dur)::DOUBLE, s.utid, l.label, s.seq::DOUBLE, s.end_state, s.priority::DOUBLE, s.switch_reason
               FROM sched s JOIN thread_label l USING (utid) ORDER BY s.cpu, s.ts, s.id`;
  const args = new Args();
  const item: SchedItem = { cpu: 0, ts: 0, end: 0, utid: 0, nameId: 0, name: '', args };
  for await (const { rows, columns } of streamColumns(a, sql)) {
    const [cpu, ts, end, utid, label, seq, state, prio, reason] = columns;
    for (let r = 0; r < rows; r++) {
      item.cpu = cpu![r] as number;
      item.ts = clock.ns(ts![r] as number);
      item.end = Math.max(item.ts, clock.ns(end![r] as number));
      item.utid = utid![r] as number;
      item.nameId = names.id(String(label![r]));
      item.name = names.names[item.nameId]!;
      args.clear();
      args.add(K.seq, num(seq![r]));
      args.add(K.end_state, str(state![r]));
      args.add(K.priority, num(prio![r]));
      args.add(K.switch_reason, str(reason![r]));
      yield item;
    }
  }
}

/**
 * Turn one track's items into begin/end edges in nesting order: before each item, close the open
 * slices that end before it (at or before it for a slice; strictly before it for a marker, which sits
 * inside a slice ending at the same instant).
 */
export class NestingStack {
  private readonly ends: number[] = [];
  constructor(private readonly onEnd: (ts: number) => void) {}

  /** Close what the item at `ts` of `kind` comes after. */
  advance(ts: number, kind: TimelineKind): void {
    const strict = kind !== 'slice';
    while (this.ends.length > 0) {
      const e = this.ends[this.ends.length - 1]!;
      if (strict ? e >= ts : e > ts) break;
      this.ends.pop();
      this.onEnd(e);
    }
  }

  /** Open a slice ending at `end`; it ends no later than the slice it is inside. Returns its end. */
  open(end: number): number {
    const top = this.ends[this.ends.length - 1];
    const e = top !== undefined && end > top ? top : end;
    this.ends.push(e);
    return e;
  }

  closeAll(): void {
    while (this.ends.length > 0) this.onEnd(this.ends.pop()!);
  }
}
