/**
 * Export to Perfetto's native protobuf trace (perfetto.protos.Trace): a process and thread track
 * descriptor per task and thread, a track per CPU (its scheduling intervals as slices named by thread),
 * TrackEvent slice begin/end pairs for every slice (function calls, IPC operations, page faults), and
 * IPC messages as flows (flow_ids on the sending slice, terminating_flow_ids on the receiving one).
 * Event names are interned on one packet sequence.
 *
 * The field numbers are those of Perfetto's published schema (trace_packet.proto, track_descriptor.proto,
 * track_event.proto and interned_data.proto in google/perfetto); tests decode the output with protoc
 * against that schema (../shared/data/perfetto/perfetto_trace.proto).
 */
import { ByteWriter } from '../tracer/varint.js';
import type { Analysis } from './db.js';

// perfetto.protos field numbers
const TRACE_PACKET = 1; // Trace.packet
const P = { timestamp: 8, trackEvent: 11, internedData: 12, sequenceFlags: 13, trustedSeqId: 10, trackDescriptor: 60 } as const;
const TD = { uuid: 1, name: 2, process: 3, thread: 4, parentUuid: 5 } as const;
const PD = { pid: 1, processName: 6 } as const;
const THD = { pid: 1, tid: 2, threadName: 5 } as const;
const TE = { type: 9, nameIid: 10, trackUuid: 11, categories: 22, name: 23, flowIds: 47, terminatingFlowIds: 48 } as const;
const ID = { eventNames: 2 } as const;
const EN = { iid: 1, name: 2 } as const;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
const SEQUENCE = 1;

/** A tiny protobuf writer: fields appended to a ByteWriter; nested messages built in their own. */
class Pb {
  readonly w = new ByteWriter(256);
  uint(field: number, v: number): this {
    this.w.varint(field * 8);
    this.w.varint(v);
    return this;
  }
  int(field: number, v: number): this {
    // int32/int64 negative values are 10-byte two's complement varints; ours are never negative.
    return this.uint(field, Math.max(0, v));
  }
  fixed64(field: number, v: number): this {
    this.w.varint(field * 8 + 1);
    this.w.ensure(8);
    const lo = v % 4294967296;
    const hi = Math.floor(v / 4294967296);
    for (const x of [lo, hi]) for (let i = 0; i < 4; i++) this.w.byte((x >>> (8 * i)) & 0xff);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  bytes(field: number, b: Uint8Array): this {
    this.w.lengthDelimited(field, b, 0, b.length);
    return this;
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.w.view());
  }
}

interface Edge {
  ts: number;
  begin: boolean;
  track: number;
  name: number;
  cat: string;
  flowOut: number[];
  flowIn: number[];
}

export interface ExportStats {
  packets: number;
  slices: number;
  flows: number;
}

/** Write the Perfetto trace through `write` (called with chunks of bytes). */
export async function exportPerfetto(a: Analysis, write: (b: Uint8Array) => void): Promise<ExportStats> {
  const cyclesPerUs = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'cycles_per_us'")) || 1;
  const endTs = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'end_time'")) || 0;
  const ns = (cycles: number): number => Math.round((cycles * 1000) / cyclesPerUs);
  let packets = 0;
  const out = new ByteWriter(1 << 16);
  const emit = (p: Pb): void => {
    out.lengthDelimited(TRACE_PACKET, p.w.buf, 0, p.w.pos);
    packets++;
    if (out.pos > 1 << 20) {
      write(out.toBytes());
      out.reset();
    }
  };

  // Tracks: a process descriptor per task incarnation, a thread track per thread, one per CPU.
  const procs = await a.query('SELECT upid, pid, name FROM process ORDER BY upid');
  for (const r of procs.rows) {
    const pid = r.pid === null ? 100000 + Number(r.upid) : Number(r.pid);
    emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, 1 + Number(r.upid)).msg(TD.process, new Pb().int(PD.pid, pid).str(PD.processName, String(r.name)))));
  }
  const pidOfUpid = new Map(procs.rows.map((r) => [Number(r.upid), r.pid === null ? 100000 + Number(r.upid) : Number(r.pid)]));
  const threads = await a.query('SELECT utid, upid, name FROM thread ORDER BY utid');
  const threadUuid = (utid: number): number => 1_000_000 + utid;
  for (const r of threads.rows) {
    const utid = Number(r.utid);
    const pid = pidOfUpid.get(Number(r.upid)) ?? 0;
    emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, threadUuid(utid)).msg(TD.thread, new Pb().int(THD.pid, pid).int(THD.tid, 200000 + utid).str(THD.threadName, String(r.name)))));
  }
  const cpus = await a.query('SELECT DISTINCT cpu FROM sched ORDER BY cpu');
  const cpuUuid = (cpu: number): number => 2_000_000 + cpu;
  for (const r of cpus.rows) emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, cpuUuid(Number(r.cpu))).str(TD.name, `CPU ${String(r.cpu)}`)));

  // Names, interned on the sequence.
  const names = new Map<string, number>();
  const iid = (s: string): number => {
    let id = names.get(s);
    if (id === undefined) names.set(s, (id = names.size + 1));
    return id;
  };

  // Slice begin/end edges, with flows on the begins.
  const flows = await a.query('SELECT id, slice_out, slice_in FROM flow');
  const outOf = new Map<number, number[]>();
  const inOf = new Map<number, number[]>();
  for (const f of flows.rows) {
    const id = Number(f.id) + 1;
    outOf.set(Number(f.slice_out), [...(outOf.get(Number(f.slice_out)) ?? []), id]);
    inOf.set(Number(f.slice_in), [...(inOf.get(Number(f.slice_in)) ?? []), id]);
  }
  // Per track, edges in nesting order (a stack closes what ends before the next slice begins); then
  // all tracks merged by time, keeping each track's own order for equal times.
  const edges: Edge[] = [];
  const slices = await a.query('SELECT id, ts, dur, utid, category, name, depth FROM slice ORDER BY utid, ts, depth, id');
  let open: { end: number; track: number; name: number }[] = [];
  let track = -1;
  const closeUntil = (ts: number): void => {
    while (open.length > 0 && open[open.length - 1]!.end <= ts) {
      const o = open.pop()!;
      edges.push({ ts: o.end, begin: false, track: o.track, name: o.name, cat: '', flowOut: [], flowIn: [] });
    }
  };
  for (const s of slices.rows) {
    const t = threadUuid(Number(s.utid));
    if (t !== track) {
      closeUntil(Infinity);
      open = [];
      track = t;
    }
    const id = Number(s.id);
    const ts = Number(s.ts);
    const dur = Number(s.dur);
    const name = iid(String(s.name));
    closeUntil(ts); // what ends at or before this begin closes first
    edges.push({ ts, begin: true, track: t, name, cat: String(s.category), flowOut: outOf.get(id) ?? [], flowIn: inOf.get(id) ?? [] });
    open.push({ end: dur >= 0 ? ts + dur : Math.max(ts, endTs), track: t, name });
  }
  closeUntil(Infinity);
  const sched = await a.query('SELECT s.ts, s.dur, s.cpu, t.name FROM sched s JOIN thread t USING (utid) ORDER BY cpu, ts');
  for (const s of sched.rows) {
    const t = cpuUuid(Number(s.cpu));
    const name = iid(String(s.name));
    edges.push({ ts: Number(s.ts), begin: true, track: t, name, cat: 'sched', flowOut: [], flowIn: [] });
    edges.push({ ts: Number(s.ts) + Number(s.dur), begin: false, track: t, name, cat: '', flowOut: [], flowIn: [] });
  }
  const order = edges.map((_, i) => i);
  order.sort((x, y) => edges[x]!.ts - edges[y]!.ts || x - y);

  // The interned names go on the first event packet of the sequence.
  const interned = new Pb();
  for (const [s, id] of names) interned.msg(ID.eventNames, new Pb().uint(EN.iid, id).str(EN.name, s));
  let first = true;
  for (const i of order) {
    const e = edges[i]!;
    const ev = new Pb().uint(TE.type, e.begin ? TYPE_SLICE_BEGIN : TYPE_SLICE_END).uint(TE.trackUuid, e.track);
    if (e.begin) {
      ev.uint(TE.nameIid, e.name);
      if (e.cat) ev.str(TE.categories, e.cat);
      for (const f of e.flowOut) ev.fixed64(TE.flowIds, f);
      for (const f of e.flowIn) ev.fixed64(TE.terminatingFlowIds, f);
    }
    const p = new Pb().uint(P.timestamp, ns(e.ts)).uint(P.trustedSeqId, SEQUENCE);
    if (first) {
      p.msg(P.internedData, interned).uint(P.sequenceFlags, SEQ_INCREMENTAL_STATE_CLEARED);
      first = false;
    } else p.uint(P.sequenceFlags, SEQ_NEEDS_INCREMENTAL_STATE);
    emit(p.msg(P.trackEvent, ev));
  }
  if (out.pos > 0) write(out.toBytes());
  return { packets, slices: slices.rows.length + sched.rows.length, flows: flows.rows.length };
}
