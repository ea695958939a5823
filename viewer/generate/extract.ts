/**
 * From a loaded trace (an Analysis) to the viewer's payload: the header (names, threads, processes,
 * signals, outcome, panel rows) and the numeric columns, all read with SQL and streamed chunk by chunk.
 * A time window and a thread selection cut what goes in; slices overlapping the window are kept whole.
 */
import type { Analysis } from '../../analyze/db.js';
import { streamColumns } from '../../analyze/timeline.js';
import { threadLabel } from '../../analyze/schema.js';
import {
  VIEWER_DATA_VERSION,
  VarintWriter,
  type ColumnCodec,
  type ColumnName,
  type ColumnRef,
  type SliceRow,
  type ViewerHeader,
  type ViewerSignal,
  type ViewerThread,
} from '../model.js';
import { buildPanels } from './panels.js';
import { findFocus } from './focus.js';
import { UserError } from '../../tracer/errors.js';

export interface ViewSelection {
  /** Window in cycles (default: the whole run). */
  from?: number;
  to?: number;
  /** Thread names or utids to keep (default: all). */
  threads?: string[];
}

/** The --from/--to/--threads selection is wrong: a usage error. */
export class ViewSelectionError extends UserError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

/** String values mapped to small integers, in order of first appearance. */
class Enum {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  id(s: string | null): number {
    const k = s ?? '';
    let i = this.index.get(k);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(k);
      this.index.set(k, i);
    }
    return i;
  }
}

class Columns {
  private readonly writers = new Map<ColumnName, VarintWriter>();
  col(name: ColumnName, codec: ColumnCodec): VarintWriter {
    let w = this.writers.get(name);
    if (!w) this.writers.set(name, (w = new VarintWriter(codec, name)));
    return w;
  }
  /** The column area and its directory. */
  finish(): { refs: ColumnRef[]; bytes: Uint8Array } {
    const refs: ColumnRef[] = [];
    let total = 0;
    for (const [name, w] of this.writers) {
      refs.push({ name, codec: w.codec, count: w.count, offset: total, length: w.pos });
      total += w.pos;
    }
    const bytes = new Uint8Array(total);
    for (const ref of refs) bytes.set(this.writers.get(ref.name as ColumnName)!.bytes(), ref.offset);
    return { refs, bytes };
  }
}

const num = (v: unknown): number => Number(v);

export async function extractViewerData(a: Analysis, source: string, sel: ViewSelection = {}): Promise<{ header: ViewerHeader; columns: Uint8Array }> {
  const md = new Map((await a.query('SELECT key, value FROM metadata')).rows.map((r) => [String(r.key), String(r.value)]));
  const endTime = num(md.get('end_time') ?? 0);
  const from = sel.from ?? 0;
  const to = sel.to ?? endTime;
  if (from > endTime) throw new ViewSelectionError(`--from ${from}: after the end of the run (the run spans 0 to ${endTime} cycles)`);
  if (from < 0 || to < from) throw new ViewSelectionError(`--from ${from} --to ${to}: not a time window (from <= to, in cycles)`);

  // --- threads and processes -----------------------------------------------------------------------
  const threadRows = (await a.query('SELECT utid, name, upid, task, linux_pid, kind, priority, l4_id, start_ts::DOUBLE AS start_ts FROM thread ORDER BY utid')).rows;
  let keep: Set<number> | null = null;
  if (sel.threads && sel.threads.length > 0) {
    keep = new Set();
    for (const t of sel.threads) {
      const hits = threadRows.filter((r) => String(r.name) === t || String(r.utid) === t);
      if (hits.length === 0) throw new ViewSelectionError(`--threads: no thread named or numbered ${JSON.stringify(t)} (threads: ${[...new Set(threadRows.map((r) => String(r.name)))].join(', ')})`);
      for (const h of hits) keep.add(num(h.utid));
    }
  }
  const threadFilter = keep ? `utid IN (${[...keep].join(',') || '-1'})` : 'TRUE';
  const processes = (await a.query('SELECT upid, pid, name, task, kind FROM process ORDER BY upid')).rows.map((r) => ({
    upid: num(r.upid),
    pid: r.pid === null ? null : num(r.pid),
    name: String(r.name),
    task: num(r.task),
    kind: String(r.kind),
  }));
  const openCalls = new Map(
    (await a.query('SELECT utid, arg_max(name, depth) AS name FROM slice WHERE dur < 0 GROUP BY utid')).rows.map((r) => [num(r.utid), String(r.name)]),
  );
  const finalStates = parseFinalStates(md.get('outcome') ?? '', md.get('outcome_detail') ?? '', threadRows.map((r) => String(r.name)));
  const threads: ViewerThread[] = threadRows
    .filter((r) => !keep || keep.has(num(r.utid)))
    .map((r) => ({
      utid: num(r.utid),
      name: String(r.name),
      upid: num(r.upid),
      task: num(r.task),
      pid: r.linux_pid === null ? null : num(r.linux_pid),
      kind: String(r.kind),
      priority: num(r.priority),
      l4Id: String(r.l4_id),
      depth: 0,
      finalState: finalStates.get(num(r.utid)) ?? null,
      openCall: openCalls.get(num(r.utid)) ?? null,
      startTs: r.start_ts === null ? null : num(r.start_ts),
    }));
  const threadLabels: string[] = [];
  for (const r of threadRows) threadLabels[num(r.utid)] = threadLabel(String(r.name), r.linux_pid === null ? null : num(r.linux_pid), String(r.l4_id));
  const byUtid = new Map(threads.map((t) => [t.utid, t]));

  const cols = new Columns();
  const names = (await a.query('SELECT name_id, name FROM name ORDER BY name_id')).rows;
  const nameTable: string[] = [];
  for (const r of names) nameTable[num(r.name_id)] = String(r.name);

  // --- slices, row by row (thread, depth), each row by start --------------------------------------------
  const rows: SliceRow[] = [];
  {
    const ts = cols.col('slice.ts', 'zd');
    const dur = cols.col('slice.dur', 'u');
    const name = cols.col('slice.name', 'u');
    const cat = cols.col('slice.cat', 'u');
    const seq = cols.col('slice.seq', 'zd');
    const sql = `SELECT utid, depth, ts::DOUBLE, dur::DOUBLE, name_id, category_id, seq::DOUBLE FROM slice_raw
                 WHERE ${threadFilter} AND ts <= ${to} AND (dur < 0 OR ts + dur >= ${from}) ORDER BY utid, depth, ts`;
    let row: SliceRow | null = null;
    for await (const { rows: n, columns } of streamColumns(a, sql)) {
      const [u, d, t, du, nm, c, s] = columns as number[][];
      for (let i = 0; i < n; i++) {
        if (!row || row.utid !== u![i] || row.depth !== d![i]) {
          row = { utid: u![i]!, depth: d![i]!, count: 0 };
          rows.push(row);
          const th = byUtid.get(row.utid);
          if (th) th.depth = Math.max(th.depth, row.depth + 1);
        }
        row.count++;
        ts.push(t![i]!);
        dur.push(du![i]! < 0 ? 0 : du![i]! + 1);
        name.push(nm![i]!);
        cat.push(c![i]!);
        seq.push(s![i]!);
      }
    }
  }

  // --- scheduling per CPU ---------------------------------------------------------------------------------
  const endState = new Enum();
  const switchReason = new Enum();
  const cpus: { cpu: number; count: number }[] = [];
  {
    const ts = cols.col('sched.ts', 'zd');
    const dur = cols.col('sched.dur', 'u');
    const utid = cols.col('sched.utid', 'u');
    const end = cols.col('sched.end', 'u');
    const reason = cols.col('sched.reason', 'u');
    const sql = `SELECT cpu, ts::DOUBLE, dur::DOUBLE, utid, end_state, switch_reason FROM sched WHERE ts <= ${to} AND ts + dur >= ${from} ORDER BY cpu, ts`;
    for await (const { rows: n, columns } of streamColumns(a, sql)) {
      const [c, t, d, u, e, r] = columns as [number[], number[], number[], number[], string[], string[]];
      for (let i = 0; i < n; i++) {
        const last = cpus[cpus.length - 1];
        if (!last || last.cpu !== c[i]) cpus.push({ cpu: c[i]!, count: 1 });
        else last.count++;
        ts.push(t[i]!);
        dur.push(d[i]!);
        utid.push(u[i]!);
        end.push(endState.id(e[i]!));
        reason.push(switchReason.id(r[i]!));
      }
    }
  }

  // A CPU nothing ran on still gets its (idle) track: the title counts it.
  const cpuCount = num(md.get('cpus') ?? 1);
  for (let c = 0; c < cpuCount; c++) if (!cpus.some((x) => x.cpu === c)) cpus.push({ cpu: c, count: 0 });
  cpus.sort((x, y) => x.cpu - y.cpu);

  // --- interrupts -----------------------------------------------------------------------------------------
  {
    const ts = cols.col('irq.ts', 'zd');
    const irq = cols.col('irq.irq', 'u');
    const deliver = cols.col('irq.deliver', 'u');
    const handler = cols.col('irq.handler', 'u');
    const coalesced = cols.col('irq.coalesced', 'u');
    const sql = `SELECT ts_raise::DOUBLE, irq::DOUBLE, latency::DOUBLE, handler_utid, coalesced::DOUBLE FROM irq WHERE ts_raise BETWEEN ${from} AND ${to} ORDER BY ts_raise, id`;
    for await (const { rows: n, columns } of streamColumns(a, sql)) {
      const [t, q, l, h, co] = columns as (number | null)[][];
      for (let i = 0; i < n; i++) {
        ts.push(t![i]!);
        irq.push(q![i]!);
        deliver.push(l![i] === null ? 0 : l![i]! + 1);
        handler.push(h![i] === null ? 0 : h![i]! + 1);
        coalesced.push(co![i]!);
      }
    }
  }

  // --- IPC messages ----------------------------------------------------------------------------------------
  const ipcKind = new Enum();
  const ipcResult = new Enum();
  {
    const ts = cols.col('ipc.ts', 'zd');
    const sender = cols.col('ipc.sender', 'u');
    const receiver = cols.col('ipc.receiver', 'u');
    const recv = cols.col('ipc.recv', 'u');
    const reply = cols.col('ipc.reply', 'u');
    const kind = cols.col('ipc.kind', 'u');
    const result = cols.col('ipc.result', 'u');
    const label = cols.col('ipc.label', 'u');
    const words = cols.col('ipc.words', 'u');
    const bytes = cols.col('ipc.bytes', 'u');
    const dest = cols.col('ipc.dest', 'u');
    const ipcThreads = keep ? `(i.sender_utid IN (${[...keep].join(',') || '-1'}) OR i.receiver_utid IN (${[...keep].join(',') || '-1'}))` : 'TRUE';
    const sql = `SELECT i.ts_send::DOUBLE, i.sender_utid, i.receiver_utid, i.ts_recv::DOUBLE, i.ts_reply::DOUBLE, i.kind, i.result_name,
                        i.label::DOUBLE, i.words::DOUBLE, i.bytes::DOUBLE, d.utid
                 FROM ipc i LEFT JOIN (SELECT l4_id, min(utid) AS utid FROM thread GROUP BY l4_id) d ON d.l4_id = i.dest
                 WHERE ${ipcThreads} AND i.ts_send <= ${to} AND coalesce(i.ts_recv, i.ts_send) >= ${from} ORDER BY i.ts_send, i.id`;
    for await (const { rows: n, columns } of streamColumns(a, sql)) {
      const [t, s, r, rv, rp, k, res, lb, w, b, d] = columns as (number | string | null)[][];
      for (let i = 0; i < n; i++) {
        const t0 = t![i] as number;
        ts.push(t0);
        sender.push(s![i] as number);
        receiver.push(r![i] === null ? 0 : (r![i] as number) + 1);
        recv.push(rv![i] === null ? 0 : (rv![i] as number) - t0 + 1);
        reply.push(rp![i] === null ? 0 : (rp![i] as number) - t0 + 1);
        kind.push(ipcKind.id(k![i] as string));
        result.push(ipcResult.id((res![i] as string | null) ?? ''));
        label.push(lb![i] as number);
        words.push(w![i] as number);
        bytes.push(b![i] as number);
        dest.push(d![i] === null ? 0 : (d![i] as number) + 1);
      }
    }
  }

  // --- signals ----------------------------------------------------------------------------------------------
  const pidThreads = new Map<number, number[]>();
  for (const t of threadRows) {
    if (t.linux_pid === null) continue;
    const list = pidThreads.get(num(t.linux_pid)) ?? [];
    list.push(num(t.utid));
    pidThreads.set(num(t.linux_pid), list);
  }
  const signals: ViewerSignal[] = (
    await a.query(`SELECT ts, utid, from_pid, to_pid, sig_name, path, kick_name, ts_deliver, action FROM signal WHERE ts BETWEEN ${from} AND ${to} ORDER BY ts, id`)
  ).rows.map((r) => ({
    ts: num(r.ts),
    utid: num(r.utid),
    from: num(r.from_pid),
    to: num(r.to_pid),
    sig: String(r.sig_name),
    path: String(r.path),
    kick: String(r.kick_name),
    tsDeliver: r.ts_deliver === null ? null : num(r.ts_deliver),
    action: r.action === null ? null : String(r.action),
    targetUtids: pidThreads.get(num(r.to_pid)) ?? [],
  }));

  const { refs, bytes } = cols.finish();
  const header: ViewerHeader = {
    version: VIEWER_DATA_VERSION,
    source,
    meta: {
      scenario: md.get('scenario') ?? '',
      flavour: md.get('flavour') ?? '',
      cpus: num(md.get('cpus') ?? 1),
      seed: md.get('seed') ?? '',
      outcome: md.get('outcome') ?? '',
      outcomeDetail: md.get('outcome_detail') ?? '',
      cyclesPerUs: num(md.get('cycles_per_us') ?? 1) || 1,
      endTime,
      events: num(md.get('events') ?? 0),
      filterRules: md.get('filter_rules') ?? '',
    },
    window: { from, to },
    focus: sel.from === undefined && sel.to === undefined ? await findFocus(a, { from, to, outcome: md.get('outcome') ?? '' }) : null,
    names: nameTable,
    categories: ['func', 'ipc', 'pf'],
    processes,
    threads,
    threadLabels,
    rows,
    cpus,
    enums: { ipcKind: ipcKind.values, ipcResult: ipcResult.values, endState: endState.values, switchReason: switchReason.values },
    signals,
    panels: await buildPanels(a, { from, to: Math.min(to, Math.max(endTime, from)), threadFilter, keep, labels: threadLabels }),
    columns: refs,
  };
  return { header, columns: bytes };
}

/** A thread as the page (and every other output) names it: "sigrace [2] 12.00v1" (analyze/schema.ts). */
export { threadLabel };

/**
 * For a hang or deadlock the outcome detail lists each essential thread's state in thread order
 * ("roottask receiving from nil; sigrace ready; ..."); match the entries to threads by name, in order.
 */
export function parseFinalStates(outcome: string, detail: string, threadNames: string[]): Map<number, string> {
  const out = new Map<number, string>();
  if (outcome !== 'hang' && outcome !== 'deadlock') return out;
  const body = detail.includes(': ') ? detail.slice(detail.indexOf(': ') + 2) : detail;
  const entries = body.split('; ').map((e) => e.trim()).filter(Boolean);
  let e = 0;
  for (let utid = 0; utid < threadNames.length && e < entries.length; utid++) {
    const name = threadNames[utid]!;
    if (entries[e]!.startsWith(name + ' ')) {
      out.set(utid, entries[e]!.slice(name.length + 1));
      e++;
    }
  }
  return out;
}
