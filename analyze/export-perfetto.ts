/**
 * Export to Perfetto's native protobuf trace (perfetto.protos.Trace): a process and thread track
 * descriptor per task and thread, a track per CPU (its scheduling intervals as slices named by thread),
 * TrackEvent slice begin/end pairs for every slice (function calls, IPC operations, page faults), and
 * IPC messages as flows between zero-length "ipc send" and "ipc receive" slices (timeline.ts): flow_ids
 * where the message leaves, terminating_flow_ids where it arrives.
 *
 * Like a real tracer's per-thread buffers, every thread (and every CPU track) is its own packet sequence,
 * in time order; event names are interned per sequence as they first appear. The export streams: rows
 * come from DuckDB chunk by chunk and packets go out in 1 MiB writes.
 *
 * The field numbers are those of Perfetto's published schema (trace_packet.proto, track_descriptor.proto,
 * track_event.proto and interned_data.proto in google/perfetto); tests decode the output with protoc
 * against that schema (../shared/data/perfetto/perfetto_trace.proto).
 */
import { ByteWriter } from '../tracer/varint.js';
import type { Analysis } from './db.js';
import { CHROME_IDS } from './export-chrome.js';
import { NestingStack, schedTimeline, timeline, TIMELINE_CATEGORIES, timelineNames, timelineSize, traceClock } from './timeline.js';

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

export interface ExportStats {
  packets: number;
  slices: number;
  flows: number;
}

/** One packet sequence: its id and the names interned on it so far (iid per global name id; 0 = not yet). */
class Sequence {
  private iids: Int32Array;
  private count = 0;
  started = false;
  constructor(
    readonly id: number,
    names: number,
  ) {
    this.iids = new Int32Array(names);
  }

  /** The interned id of name `nameId` on this sequence; `fresh` is set when it is new. */
  intern(nameId: number): { iid: number; fresh: boolean } {
    const known = this.iids[nameId]!;
    if (known !== 0) return { iid: known, fresh: false };
    this.iids[nameId] = ++this.count;
    return { iid: this.count, fresh: true };
  }
}

/**
 * TrackEvent packets written straight into the output: the event and the packet are assembled in two
 * scratch writers reused for every packet (millions of them), so the hot path allocates nothing.
 */
class TrackEventWriter {
  private readonly ev = new ByteWriter(128);
  private readonly pkt = new ByteWriter(256);
  private readonly interned = new ByteWriter(256);
  private readonly entry = new ByteWriter(256);
  private readonly categories: Uint8Array[];
  private readonly names: Uint8Array[];

  constructor(
    private readonly emitBytes: (buf: Uint8Array, len: number) => void,
    names: string[],
    categories: readonly string[],
  ) {
    const utf8 = new TextEncoder();
    this.names = names.map((n) => utf8.encode(n ?? ''));
    this.categories = categories.map((c) => utf8.encode(c));
  }

  begin(seq: Sequence, track: number, ts: number, nameId: number, category: number, flowOut: number, flowIn: number): void {
    const { iid, fresh } = seq.intern(nameId);
    const ev = this.ev;
    ev.reset();
    ev.varintField(TE.type, TYPE_SLICE_BEGIN);
    ev.varintField(TE.trackUuid, track);
    ev.varintField(TE.nameIid, iid);
    const cat = this.categories[category]!;
    ev.lengthDelimited(TE.categories, cat, 0, cat.length);
    if (flowOut) fixed64(ev, TE.flowIds, flowOut);
    if (flowIn) fixed64(ev, TE.terminatingFlowIds, flowIn);
    this.finish(seq, ts, fresh ? nameId : -1, iid);
  }

  end(seq: Sequence, track: number, ts: number): void {
    const ev = this.ev;
    ev.reset();
    ev.varintField(TE.type, TYPE_SLICE_END);
    ev.varintField(TE.trackUuid, track);
    this.finish(seq, ts, -1, 0);
  }

  /** Wrap the event in a TracePacket (interning a new name on the way) and emit it. */
  private finish(seq: Sequence, ts: number, newName: number, iid: number): void {
    const p = this.pkt;
    p.reset();
    p.varintField(P.timestamp, ts);
    p.varintField(P.trustedSeqId, seq.id);
    if (newName >= 0) {
      const e = this.entry;
      e.reset();
      e.varintField(EN.iid, iid);
      const name = this.names[newName]!;
      e.lengthDelimited(EN.name, name, 0, name.length);
      const d = this.interned;
      d.reset();
      d.lengthDelimited(ID.eventNames, e.buf, 0, e.pos);
      p.lengthDelimited(P.internedData, d.buf, 0, d.pos);
    }
    p.varintField(P.sequenceFlags, seq.started ? SEQ_NEEDS_INCREMENTAL_STATE : SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE);
    seq.started = true;
    p.lengthDelimited(P.trackEvent, this.ev.buf, 0, this.ev.pos);
    this.emitBytes(p.buf, p.pos);
  }
}

function fixed64(w: ByteWriter, field: number, v: number): void {
  w.varint(field * 8 + 1);
  const lo = v >>> 0;
  const hi = Math.floor(v / 4294967296);
  for (const x of [lo, hi]) for (let i = 0; i < 4; i++) w.byte((x >>> (8 * i)) & 0xff);
}

/** Write the Perfetto trace through `write` (called with chunks of bytes). */
export async function exportPerfetto(a: Analysis, write: (b: Uint8Array) => void, onProgress?: (done: number, total: number) => void): Promise<ExportStats> {
  const clock = await traceClock(a);
  const total = onProgress ? await timelineSize(a) : 0;
  let done = 0;
  const step = (): void => {
    if (onProgress && ++done % 65536 === 0) onProgress(done, total);
  };
  let packets = 0;
  const out = new ByteWriter(1 << 16);
  const emitBytes = (buf: Uint8Array, len: number): void => {
    out.lengthDelimited(TRACE_PACKET, buf, 0, len);
    packets++;
    if (out.pos > 1 << 20) {
      write(out.toBytes());
      out.reset();
    }
  };
  const emit = (p: Pb): void => emitBytes(p.w.buf, p.w.pos);

  // Tracks: a process descriptor per task incarnation, a thread track per thread, one per CPU.
  const procs = await a.query('SELECT upid, pid, name FROM process ORDER BY upid');
  const pidOfUpid = new Map(procs.rows.map((r) => [Number(r.upid), CHROME_IDS.pidOfUpid(Number(r.upid), r.pid === null ? null : Number(r.pid))]));
  const processUuid = (upid: number): number => 1 + upid;
  for (const r of procs.rows) {
    const upid = Number(r.upid);
    emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, processUuid(upid)).msg(TD.process, new Pb().int(PD.pid, pidOfUpid.get(upid)!).str(PD.processName, String(r.name)))));
  }
  const threads = await a.query('SELECT utid, upid, name FROM thread ORDER BY utid');
  const threadUuid = (utid: number): number => 1_000_000 + utid;
  for (const r of threads.rows) {
    const utid = Number(r.utid);
    const thread = new Pb().int(THD.pid, pidOfUpid.get(Number(r.upid)) ?? 0).int(THD.tid, CHROME_IDS.tidOfUtid(utid)).str(THD.threadName, String(r.name));
    emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, threadUuid(utid)).msg(TD.thread, thread)));
  }
  const cpus = await a.query('SELECT DISTINCT cpu FROM sched ORDER BY cpu');
  const cpuUuid = (cpu: number): number => 2_000_000 + cpu;
  for (const r of cpus.rows) emit(new Pb().msg(P.trackDescriptor, new Pb().uint(TD.uuid, cpuUuid(Number(r.cpu))).str(TD.name, `CPU ${String(r.cpu)}`)));

  // CPU tracks name their slices after threads: thread names follow the trace's names.
  const { names } = await timelineNames(a);
  const threadNameId = new Map<string, number>();
  for (const r of threads.rows) {
    const n = String(r.name);
    if (!threadNameId.has(n)) threadNameId.set(n, names.push(n) - 1);
  }
  const categories = [...TIMELINE_CATEGORIES, 'sched'];
  const schedCategory = categories.length - 1;
  const te = new TrackEventWriter(emitBytes, names, categories);

  // Threads: one sequence each, begin/end edges in nesting order.
  let slices = 0;
  let flows = 0;
  let seq: Sequence | null = null;
  let track = 0;
  let utid = -1;
  const stack = new NestingStack((ts) => te.end(seq!, track, ts));
  for await (const it of timeline(a, clock)) {
    step();
    if (it.utid !== utid) {
      stack.closeAll();
      utid = it.utid;
      track = threadUuid(utid);
      seq = new Sequence(1 + utid, names.length);
    }
    stack.advance(it.ts, it.kind);
    if (it.kind === 'slice') {
      te.begin(seq!, track, it.ts, it.nameId, it.categoryId, 0, 0);
      stack.open(it.end);
      slices++;
    } else {
      te.begin(seq!, track, it.ts, it.nameId, it.categoryId, it.kind === 'send' ? it.flow : 0, it.kind === 'recv' ? it.flow : 0);
      te.end(seq!, track, it.ts);
      if (it.kind === 'send') flows++;
    }
  }
  stack.closeAll();

  // CPUs: one sequence each; intervals do not overlap.
  const cpuSeq = new Map<number, Sequence>();
  for await (const s of schedTimeline(a, clock)) {
    step();
    let q = cpuSeq.get(s.cpu);
    if (!q) cpuSeq.set(s.cpu, (q = new Sequence(1_000_000 + s.cpu, names.length)));
    te.begin(q, cpuUuid(s.cpu), s.ts, threadNameId.get(s.name)!, schedCategory, 0, 0);
    te.end(q, cpuUuid(s.cpu), s.end);
    slices++;
  }
  if (out.pos > 0) write(out.toBytes());
  return { packets, slices, flows };
}
