/**
 * Export to Perfetto's native protobuf trace (perfetto.protos.Trace):
 *
 * - tracks: a process track per process (one per pid: a pid that execs keeps its track and takes its
 *   latest name), a thread track per thread whose parent_uuid is its process's track, a track per CPU
 *   (its scheduling intervals as slices named by thread), and per calling pid a "syscalls" track under
 *   its process (system calls overlap on the server thread that handles them);
 * - TrackEvent slice begin/end pairs for every slice (function calls, IPC operations, page faults,
 *   system calls, scheduling intervals), each with debug annotations: the l4trace sequence number of
 *   the event it shows (`seq`) and, by kind, the IPC's operation, label, words, result and partner,
 *   the fault's address and access, the system call's number, arguments and result, the signal's
 *   number, sender, target and path (timeline.ts);
 * - flows: IPC messages from a zero-length "ipc send" slice where the message leaves to an "ipc
 *   receive" slice where it arrives, and signals from "SIG… sent" to "SIG… delivered" (flow_ids where
 *   they leave, terminating_flow_ids where they arrive).
 *
 * Like a real tracer's per-thread buffers, every thread (every CPU, every syscall track) is its own
 * packet sequence, in time order: its first packet clears the incremental state
 * (SEQ_INCREMENTAL_STATE_CLEARED), every TrackEvent packet says it needs it (SEQ_NEEDS_INCREMENTAL_STATE),
 * and event names and annotation names are interned per sequence as they first appear. Fields whose
 * presence matters are always written, zero or not: every TrackEvent packet has its timestamp (a packet
 * at ts 0 without one is dropped by Perfetto as "TrackEvent without valid timestamp"), a `false` or `0`
 * annotation has its value. The export streams: rows come from DuckDB chunk by chunk and packets go out
 * in 1 MiB writes.
 *
 * The field numbers are those of Perfetto's published schema, perfetto_trace.proto in google/perfetto
 * (protos/perfetto/trace/perfetto_trace.proto); tests decode the output against it.
 */
import { ByteWriter } from '../tracer/varint.js';
import type { Analysis } from './db.js';
import { CHROME_IDS, chromeProcesses } from './export-chrome.js';
import { ARG_KEYS, Args, CAT, NestingStack, POINTER_ARGS, schedTimeline, syscallTimeline, timeline, TIMELINE_CATEGORIES, timelineNames, timelineSize, traceClock } from './timeline.js';

// perfetto.protos field numbers
const TRACE_PACKET = 1; // Trace.packet
const P = { timestamp: 8, trackEvent: 11, internedData: 12, sequenceFlags: 13, trustedSeqId: 10, trackDescriptor: 60 } as const;
const TD = { uuid: 1, name: 2, process: 3, thread: 4, parentUuid: 5 } as const;
const PD = { pid: 1, processName: 6 } as const;
const THD = { pid: 1, tid: 2, threadName: 5 } as const;
const TE = { debugAnnotations: 4, type: 9, nameIid: 10, trackUuid: 11, categories: 22, flowIds: 47, terminatingFlowIds: 48 } as const;
const DA = { nameIid: 1, boolValue: 2, uintValue: 3, intValue: 4, stringValue: 6, pointerValue: 7 } as const;
const ID = { eventNames: 2, debugAnnotationNames: 3 } as const;
const EN = { iid: 1, name: 2 } as const;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;

// Track uuids and packet sequence ids, by range.
const processUuid = (i: number): number => 1 + i;
const threadUuid = (utid: number): number => 1_000_000 + utid;
const cpuUuid = (cpu: number): number => 2_000_000 + cpu;
const syscallUuid = (k: number): number => 3_000_000 + k;
const threadSeq = (utid: number): number => 1 + utid;
const cpuSeq = (cpu: number): number => 1_000_000 + cpu;
const syscallSeq = (k: number): number => 2_000_000 + k;
const DESCRIPTOR_SEQ = 3_000_000;

/**
 * Presence-aware field writers: the field is written whatever its value (ByteWriter.varintField, made
 * for the trace format, leaves zero out; here a zero timestamp or a false flag must be there).
 */
function uintField(w: ByteWriter, field: number, v: number): void {
  w.varint(field * 8);
  w.varint(v);
}

/** An int64 field: negative values as 10-byte two's complement varints. */
function intField(w: ByteWriter, field: number, v: number): void {
  if (v >= 0) return uintField(w, field, v);
  w.varint(field * 8);
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    w.byte(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  w.byte(Number(x));
}

function fixed64(w: ByteWriter, field: number, v: number): void {
  w.varint(field * 8 + 1);
  const lo = v >>> 0;
  const hi = Math.floor(v / 4294967296);
  for (const x of [lo, hi]) for (let i = 0; i < 4; i++) w.byte((x >>> (8 * i)) & 0xff);
}

const utf8 = new TextEncoder();

/** A tiny protobuf writer for the descriptors: fields appended to a ByteWriter, always present. */
class Pb {
  readonly w = new ByteWriter(256);
  uint(field: number, v: number): this {
    uintField(this.w, field, v);
    return this;
  }
  int(field: number, v: number): this {
    intField(this.w, field, v);
    return this;
  }
  str(field: number, s: string): this {
    const b = utf8.encode(s);
    this.w.lengthDelimited(field, b, 0, b.length);
    return this;
  }
  msg(field: number, m: Pb): this {
    this.w.lengthDelimited(field, m.w.buf, 0, m.w.pos);
    return this;
  }
}

export interface ExportStats {
  packets: number;
  slices: number;
  flows: number;
}

/** One packet sequence: its id and what is interned on it so far (iid per global id; 0 = not yet). */
class Sequence {
  private names = new Int32Array(64);
  private nameCount = 0;
  private readonly keys = new Int32Array(ARG_KEYS.length);
  private keyCount = 0;
  started = false;
  constructor(readonly id: number) {}

  /** The interned id of event name `nameId` on this sequence; negative when it is new (then -iid). */
  name(nameId: number): number {
    if (nameId >= this.names.length) {
      const next = new Int32Array(Math.max(nameId + 1, this.names.length * 2));
      next.set(this.names);
      this.names = next;
    }
    const known = this.names[nameId]!;
    if (known !== 0) return known;
    this.names[nameId] = ++this.nameCount;
    return -this.nameCount;
  }

  /** The interned id of annotation name `key`; negative when it is new (then -iid). */
  key(key: number): number {
    const known = this.keys[key]!;
    if (known !== 0) return known;
    this.keys[key] = ++this.keyCount;
    return -this.keyCount;
  }
}

/**
 * TrackEvent packets written straight into the output: the event and the packet are assembled in
 * scratch writers reused for every packet (millions of them), so the hot path allocates little.
 */
class TrackEventWriter {
  private readonly ev = new ByteWriter(256);
  private readonly ann = new ByteWriter(64);
  private readonly pkt = new ByteWriter(512);
  private readonly interned = new ByteWriter(256);
  private readonly entry = new ByteWriter(128);
  private readonly categories: Uint8Array[];
  private readonly keys: Uint8Array[];
  private readonly encoded: (Uint8Array | undefined)[] = [];

  constructor(
    private readonly emitBytes: (buf: Uint8Array, len: number) => void,
    private readonly names: string[],
  ) {
    this.categories = TIMELINE_CATEGORIES.map((c) => utf8.encode(c));
    this.keys = ARG_KEYS.map((k) => utf8.encode(k));
  }

  begin(seq: Sequence, track: number, ts: number, nameId: number, category: number, args: Args | null, flowOut: number, flowIn: number): void {
    this.interned.reset();
    const ev = this.ev;
    ev.reset();
    uintField(ev, TE.type, TYPE_SLICE_BEGIN);
    uintField(ev, TE.trackUuid, track);
    let iid = seq.name(nameId);
    if (iid < 0) {
      iid = -iid;
      this.internEntry(ID.eventNames, iid, this.nameBytes(nameId));
    }
    uintField(ev, TE.nameIid, iid);
    const cat = this.categories[category]!;
    ev.lengthDelimited(TE.categories, cat, 0, cat.length);
    if (args) for (let i = 0; i < args.n; i++) this.annotation(seq, args.keys[i]!, args.values[i]!);
    if (flowOut) fixed64(ev, TE.flowIds, flowOut);
    if (flowIn) fixed64(ev, TE.terminatingFlowIds, flowIn);
    this.finish(seq, ts);
  }

  end(seq: Sequence, track: number, ts: number): void {
    this.interned.reset();
    const ev = this.ev;
    ev.reset();
    uintField(ev, TE.type, TYPE_SLICE_END);
    uintField(ev, TE.trackUuid, track);
    this.finish(seq, ts);
  }

  /** UTF-8 of an annotation's string value; the few that recur (thread labels, results) are kept. */
  private readonly strings = new Map<string, Uint8Array>();
  private stringBytes(v: string): Uint8Array {
    let b = this.strings.get(v);
    if (!b) {
      b = utf8.encode(v);
      if (this.strings.size < 4096) this.strings.set(v, b);
    }
    return b;
  }

  private nameBytes(nameId: number): Uint8Array {
    let b = this.encoded[nameId];
    if (!b) this.encoded[nameId] = b = utf8.encode(this.names[nameId] ?? '');
    return b;
  }

  private internEntry(field: number, iid: number, name: Uint8Array): void {
    const e = this.entry;
    e.reset();
    uintField(e, EN.iid, iid);
    e.lengthDelimited(EN.name, name, 0, name.length);
    this.interned.lengthDelimited(field, e.buf, 0, e.pos);
  }

  /** One DebugAnnotation (interned name, typed value) appended to the event. */
  private annotation(seq: Sequence, key: number, v: number | string | boolean): void {
    let iid = seq.key(key);
    if (iid < 0) {
      iid = -iid;
      this.internEntry(ID.debugAnnotationNames, iid, this.keys[key]!);
    }
    const a = this.ann;
    a.reset();
    uintField(a, DA.nameIid, iid);
    if (typeof v === 'number') {
      if (POINTER_ARGS.has(key) && v >= 0) uintField(a, DA.pointerValue, v);
      else if (Number.isSafeInteger(v)) intField(a, v >= 0 ? DA.uintValue : DA.intValue, v);
      else {
        const s = utf8.encode(String(v));
        a.lengthDelimited(DA.stringValue, s, 0, s.length);
      }
    } else if (typeof v === 'boolean') uintField(a, DA.boolValue, v ? 1 : 0);
    else {
      const s = this.stringBytes(v);
      a.lengthDelimited(DA.stringValue, s, 0, s.length);
    }
    this.ev.lengthDelimited(TE.debugAnnotations, a.buf, 0, a.pos);
  }

  /** Wrap the event in a TracePacket (with what it interns) and emit it. */
  private finish(seq: Sequence, ts: number): void {
    const p = this.pkt;
    p.reset();
    uintField(p, P.timestamp, ts);
    uintField(p, P.trustedSeqId, seq.id);
    if (this.interned.pos > 0) p.lengthDelimited(P.internedData, this.interned.buf, 0, this.interned.pos);
    uintField(p, P.sequenceFlags, seq.started ? SEQ_NEEDS_INCREMENTAL_STATE : SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE);
    seq.started = true;
    p.lengthDelimited(P.trackEvent, this.ev.buf, 0, this.ev.pos);
    this.emitBytes(p.buf, p.pos);
  }
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
  // Descriptors: one sequence of their own, which needs no incremental state.
  let descriptors = 0;
  const descriptor = (d: Pb): void => {
    const p = new Pb().uint(P.trustedSeqId, DESCRIPTOR_SEQ);
    if (descriptors++ === 0) p.uint(P.sequenceFlags, SEQ_INCREMENTAL_STATE_CLEARED);
    p.msg(P.trackDescriptor, d);
    emitBytes(p.w.buf, p.w.pos);
  };

  // Tracks: a process per pid, a thread track per thread under its process, one per CPU.
  const procs = await chromeProcesses(a);
  const pids = [...new Set(procs.pidOfUpid.values())].sort((x, y) => x - y);
  const uuidOfPid = new Map(pids.map((pid, i) => [pid, processUuid(i)]));
  for (const pid of pids) {
    descriptor(new Pb().uint(TD.uuid, uuidOfPid.get(pid)!).msg(TD.process, new Pb().int(PD.pid, pid).str(PD.processName, procs.nameOfPid.get(pid)!)));
  }
  const threads = await a.query('SELECT t.utid, t.upid, l.label FROM thread t JOIN thread_label l USING (utid) ORDER BY t.utid');
  for (const r of threads.rows) {
    const utid = Number(r.utid);
    const pid = procs.pidOfUpid.get(Number(r.upid)) ?? CHROME_IDS.pidOfUpid(-1, null);
    const thread = new Pb().int(THD.pid, pid).int(THD.tid, CHROME_IDS.tidOfUtid(utid)).str(THD.threadName, String(r.label));
    const d = new Pb().uint(TD.uuid, threadUuid(utid));
    const parent = uuidOfPid.get(pid);
    if (parent !== undefined) d.uint(TD.parentUuid, parent);
    descriptor(d.msg(TD.thread, thread));
  }
  const cpus = await a.query('SELECT DISTINCT cpu FROM sched ORDER BY cpu');
  for (const r of cpus.rows) descriptor(new Pb().uint(TD.uuid, cpuUuid(Number(r.cpu))).str(TD.name, `CPU ${String(r.cpu)}`));

  const names = await timelineNames(a);
  const te = new TrackEventWriter(emitBytes, names.names);

  // Threads: one sequence each, begin/end edges in nesting order.
  let slices = 0;
  let flows = 0;
  let seq: Sequence | null = null;
  let track = 0;
  let utid = -1;
  const stack = new NestingStack((ts) => te.end(seq!, track, ts));
  for await (const it of timeline(a, clock, names)) {
    step();
    if (it.utid !== utid) {
      stack.closeAll();
      utid = it.utid;
      track = threadUuid(utid);
      seq = new Sequence(threadSeq(utid));
    }
    stack.advance(it.ts, it.kind);
    if (it.kind === 'slice') {
      te.begin(seq!, track, it.ts, it.nameId, it.categoryId, it.args, 0, 0);
      stack.open(it.end);
      slices++;
    } else {
      te.begin(seq!, track, it.ts, it.nameId, it.categoryId, it.args, it.kind === 'send' ? it.flow : 0, it.kind === 'recv' ? it.flow : 0);
      te.end(seq!, track, it.ts);
      if (it.kind === 'send' && it.flow) flows++;
    }
  }
  stack.closeAll();

  // System calls: a track per calling pid, under its process; one sequence each.
  let k = -1;
  const sysStack = new NestingStack((ts) => te.end(seq!, syscallUuid(k), ts));
  for await (const s of syscallTimeline(a, clock, names)) {
    step();
    if (s.newTrack) {
      sysStack.closeAll();
      k++;
      const pid = procs.pidOfUpid.get(s.upid);
      const d = new Pb().uint(TD.uuid, syscallUuid(k)).str(TD.name, `syscalls [${s.pid}]`);
      const parent = pid === undefined ? undefined : uuidOfPid.get(pid);
      if (parent !== undefined) d.uint(TD.parentUuid, parent);
      descriptor(d);
      seq = new Sequence(syscallSeq(k));
    }
    sysStack.advance(s.ts, 'slice');
    te.begin(seq!, syscallUuid(k), s.ts, s.nameId, CAT.syscall, s.args, 0, 0);
    sysStack.open(s.end);
    slices++;
  }
  sysStack.closeAll();

  // CPUs: one sequence each; intervals do not overlap.
  const cpuSeqs = new Map<number, Sequence>();
  for await (const s of schedTimeline(a, clock, names)) {
    step();
    let q = cpuSeqs.get(s.cpu);
    if (!q) cpuSeqs.set(s.cpu, (q = new Sequence(cpuSeq(s.cpu))));
    te.begin(q, cpuUuid(s.cpu), s.ts, s.nameId, CAT.sched, s.args, 0, 0);
    te.end(q, cpuUuid(s.cpu), s.end);
    slices++;
  }
  if (out.pos > 0) write(out.toBytes());
  return { packets, slices, flows };
}
