/**
 * The per-thread timeline both trace exports draw from: every slice, plus a zero-length marker where an
 * IPC message leaves its sender (at the start of the sending IPC slice) and where it arrives (at the end
 * of the receiving one), so a flow arrow runs forward in time from send to receipt. Items come per
 * thread in nesting order, already converted to nanoseconds, streamed from DuckDB chunk by chunk (a big
 * trace is never held as rows in memory). Rounding cycles to nanoseconds is monotonic, so nesting holds.
 */
import type { Analysis } from './db.js';

export type TimelineKind = 'slice' | 'send' | 'recv';

export interface TimelineItem {
  kind: TimelineKind;
  utid: number;
  /** Start and end in ns; markers have end === ts. */
  ts: number;
  end: number;
  /** Index into Timeline.names, and the name itself. */
  nameId: number;
  name: string;
  category: string;
  /** Index into TIMELINE_CATEGORIES. */
  categoryId: number;
  /** Flow id (1-based) for markers, 0 for slices. */
  flow: number;
}

/** Slice categories (slice_raw.category_id), then the markers' own. */
export const TIMELINE_CATEGORIES = ['func', 'ipc', 'pf', 'flow'] as const;

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

/** Rows of a query, chunk by chunk, as column arrays (cast BIGINTs to DOUBLE in the SQL). */
export async function* streamColumns(a: Analysis, sql: string): AsyncGenerator<{ rows: number; columns: unknown[][] }> {
  const result = await a.con.stream(sql);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    yield { rows: chunk.rowCount, columns: chunk.getColumns() as unknown[][] };
  }
}

// Order within a thread at equal times: an arrival first (it ends the slice that closes there), then
// slices outer to inner, then a departure (inside the IPC slice that starts there).
// Names and categories travel as integers (strings decoded per row would dominate the export); the
// markers' names get ids past the name table: -1 and -2 stand for them in the SQL.
const TIMELINE_SQL = `
  SELECT rank, utid, ts, dur, name_id, category_id, flow FROM (
    SELECT 1 AS rank, utid, ts::DOUBLE AS ts, dur::DOUBLE AS dur, name_id, category_id, 0 AS flow, depth, id::DOUBLE AS id
      FROM slice_raw
    UNION ALL
    SELECT 2, i.sender_utid, i.ts_send::DOUBLE, 0, -1, 3, (f.id + 1)::INTEGER, 0, f.id::DOUBLE
      FROM flow f JOIN ipc i ON i.id = f.ipc_id
    UNION ALL
    SELECT 0, i.receiver_utid, i.ts_recv::DOUBLE, 0, -2, 3, (f.id + 1)::INTEGER, 0, f.id::DOUBLE
      FROM flow f JOIN ipc i ON i.id = f.ipc_id
  ) ORDER BY utid, ts, rank, depth, id`;

const KIND_OF_RANK: TimelineKind[] = ['recv', 'slice', 'send'];

/** The name table, with the markers' names appended. */
export async function timelineNames(a: Analysis): Promise<{ names: string[]; send: number; recv: number }> {
  const names: string[] = [];
  for await (const { rows, columns } of streamColumns(a, 'SELECT name_id, name FROM name ORDER BY name_id')) {
    for (let r = 0; r < rows; r++) names[columns[0]![r] as number] = columns[1]![r] as string;
  }
  const send = names.length;
  names.push('ipc send', 'ipc receive');
  return { names, send, recv: send + 1 };
}

/** How many items timeline() and schedTimeline() yield together (for progress and size limits). */
export async function timelineSize(a: Analysis): Promise<number> {
  return Number(await a.scalar('SELECT (SELECT count(*) FROM slice_raw) + 2 * (SELECT count(*) FROM flow) + (SELECT count(*) FROM sched)'));
}

/**
 * Every thread's items, thread by thread, each thread in nesting order. The item object is reused from
 * one item to the next: copy what must outlive the loop iteration.
 */
export async function* timeline(a: Analysis, clock: Clock): AsyncGenerator<TimelineItem> {
  const { names, send, recv } = await timelineNames(a);
  const item: TimelineItem = { kind: 'slice', utid: 0, ts: 0, end: 0, nameId: 0, name: '', category: '', categoryId: 0, flow: 0 };
  for await (const { rows, columns } of streamColumns(a, TIMELINE_SQL)) {
    const [rank, utid, ts, dur, nameId, category, flow] = columns as number[][];
    for (let r = 0; r < rows; r++) {
      const start = ts![r]!;
      const d = dur![r]!;
      const id = nameId![r]!;
      item.kind = KIND_OF_RANK[rank![r]!]!;
      item.utid = utid![r]!;
      item.ts = clock.ns(start);
      item.end = clock.ns(d >= 0 ? start + d : Math.max(start, clock.endCycles));
      item.nameId = id === -1 ? send : id === -2 ? recv : id;
      item.name = names[item.nameId]!;
      item.categoryId = category![r]!;
      item.category = TIMELINE_CATEGORIES[item.categoryId]!;
      item.flow = flow![r]!;
      yield item;
    }
  }
}

/** Scheduling intervals per CPU in time order, in ns, with the running thread's name. */
export async function* schedTimeline(a: Analysis, clock: Clock): AsyncGenerator<{ cpu: number; ts: number; end: number; name: string }> {
  const sql = 'SELECT s.cpu, s.ts::DOUBLE, (s.ts + s.dur)::DOUBLE, t.name FROM sched s JOIN thread t USING (utid) ORDER BY s.cpu, s.ts';
  for await (const { rows, columns } of streamColumns(a, sql)) {
    const [cpu, ts, end, name] = columns as [number[], number[], number[], string[]];
    for (let r = 0; r < rows; r++) yield { cpu: cpu[r]!, ts: clock.ns(ts[r]!), end: clock.ns(end[r]!), name: name[r]! };
  }
}

/**
 * Turn one thread's items into begin/end edges in nesting order: before each item, close the open
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

  open(end: number): void {
    this.ends.push(end);
  }

  closeAll(): void {
    while (this.ends.length > 0) this.onEnd(this.ends.pop()!);
  }
}
