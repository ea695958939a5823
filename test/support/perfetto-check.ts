/**
 * A check of a Perfetto export against the rules Perfetto's importer applies to TrackEvent traces,
 * on the trace decoded with Perfetto's published schema (perfetto_trace.proto, loaded by protobufjs):
 *
 * - every TrackEvent packet has a timestamp (field present, zero or not);
 * - the first packet of every sequence clears the incremental state (SEQ_INCREMENTAL_STATE_CLEARED),
 *   and every packet that uses interned data says it needs it (SEQ_NEEDS_INCREMENTAL_STATE);
 * - every interned event name and debug annotation name a packet uses was interned on its sequence
 *   since the state was last cleared (by that packet or an earlier one);
 * - every track a TrackEvent names has a descriptor; every thread track has a parent_uuid naming a
 *   process track of the same pid;
 * - slices balance per track: in timestamp order (file order at equal times) no END without an open
 *   BEGIN, none left open;
 * - every flow id that is started (flow_ids) is terminated (terminating_flow_ids) once, and the other
 *   way round.
 *
 * Returns the problems found (empty when the trace passes) and the decoded events for further checks.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;

export interface DecodedEvent {
  /** Index of the packet in the file. */
  packet: number;
  ts: number;
  sequence: number;
  track: number;
  type: 'begin' | 'end' | 'instant' | 'other';
  /** Resolved name (BEGIN and INSTANT). */
  name?: string;
  categories: string[];
  /** Resolved debug annotations: name -> value (numbers, strings, booleans). */
  args: Record<string, number | string | boolean>;
  flowIds: number[];
  terminatingFlowIds: number[];
}

export interface DecodedTrack {
  uuid: number;
  name?: string;
  parent?: number;
  process?: { pid?: number; name?: string };
  thread?: { pid?: number; tid?: number; name?: string };
}

export interface PerfettoCheck {
  problems: string[];
  events: DecodedEvent[];
  tracks: Map<number, DecodedTrack>;
}

let traceType: protobuf.Type | undefined;
let traceTypeFrom = '';

function loadTraceType(protoPath: string): protobuf.Type {
  if (!traceType || traceTypeFrom !== protoPath) {
    const root = new protobuf.Root();
    root.loadSync(protoPath, { keepCase: true });
    traceType = root.lookupType('perfetto.protos.Trace');
    traceTypeFrom = protoPath;
  }
  return traceType;
}

type Obj = Record<string, unknown>;
const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export function checkPerfettoTrace(bytes: Uint8Array, protoPath: string): PerfettoCheck {
  const Trace = loadTraceType(protoPath);
  const trace = Trace.toObject(Trace.decode(bytes), { longs: Number, enums: String, bytes: String, defaults: false, arrays: false }) as { packet?: Obj[] };
  const packets = trace.packet ?? [];
  const problems: string[] = [];
  const problem = (s: string): void => void (problems.length < 50 && problems.push(s));
  const tracks = new Map<number, DecodedTrack>();
  const events: DecodedEvent[] = [];
  const seqs = new Map<number, { names: Map<number, string>; keys: Map<number, string> }>();

  packets.forEach((p, i) => {
    const seqId = has(p, 'trusted_packet_sequence_id') ? Number(p.trusted_packet_sequence_id) : 0;
    const flags = has(p, 'sequence_flags') ? Number(p.sequence_flags) : 0;
    let st = seqs.get(seqId);
    if (!st) {
      if (!(flags & SEQ_INCREMENTAL_STATE_CLEARED)) problem(`packet ${i}: first packet of sequence ${seqId} does not set SEQ_INCREMENTAL_STATE_CLEARED`);
      seqs.set(seqId, (st = { names: new Map(), keys: new Map() }));
    } else if (flags & SEQ_INCREMENTAL_STATE_CLEARED) {
      st.names.clear();
      st.keys.clear();
    }
    const interned = p.interned_data as Obj | undefined;
    if (interned) {
      for (const e of (interned.event_names as Obj[] | undefined) ?? []) st.names.set(Number(e.iid), String(e.name));
      for (const e of (interned.debug_annotation_names as Obj[] | undefined) ?? []) st.keys.set(Number(e.iid), String(e.name));
    }
    if (p.track_descriptor) {
      const d = p.track_descriptor as Obj;
      if (!has(d, 'uuid')) return void problem(`packet ${i}: track descriptor without uuid`);
      const t: DecodedTrack = { uuid: Number(d.uuid) };
      if (has(d, 'name')) t.name = String(d.name);
      if (has(d, 'parent_uuid')) t.parent = Number(d.parent_uuid);
      if (d.process) {
        const pr = d.process as Obj;
        t.process = { ...(has(pr, 'pid') ? { pid: Number(pr.pid) } : {}), ...(has(pr, 'process_name') ? { name: String(pr.process_name) } : {}) };
      }
      if (d.thread) {
        const th = d.thread as Obj;
        t.thread = { ...(has(th, 'pid') ? { pid: Number(th.pid) } : {}), ...(has(th, 'tid') ? { tid: Number(th.tid) } : {}), ...(has(th, 'thread_name') ? { name: String(th.thread_name) } : {}) };
      }
      if (tracks.has(t.uuid)) problem(`packet ${i}: track ${t.uuid} described twice`);
      tracks.set(t.uuid, t);
      return;
    }
    if (!p.track_event) return;
    const te = p.track_event as Obj;
    if (!has(p, 'timestamp')) problem(`packet ${i}: TrackEvent without timestamp`);
    const usesInterned = has(te, 'name_iid') || ((te.debug_annotations as Obj[] | undefined) ?? []).some((a) => has(a, 'name_iid'));
    if (usesInterned && !(flags & SEQ_NEEDS_INCREMENTAL_STATE)) problem(`packet ${i}: uses interned data without SEQ_NEEDS_INCREMENTAL_STATE`);
    const type = String(te.type ?? 'TYPE_UNSPECIFIED');
    const ev: DecodedEvent = {
      packet: i,
      ts: Number(p.timestamp ?? NaN),
      sequence: seqId,
      track: Number(te.track_uuid ?? NaN),
      type: type === 'TYPE_SLICE_BEGIN' ? 'begin' : type === 'TYPE_SLICE_END' ? 'end' : type === 'TYPE_INSTANT' ? 'instant' : 'other',
      categories: ((te.categories as string[] | undefined) ?? []).map(String),
      args: {},
      flowIds: ((te.flow_ids as unknown[] | undefined) ?? []).map(Number),
      terminatingFlowIds: ((te.terminating_flow_ids as unknown[] | undefined) ?? []).map(Number),
    };
    if (has(te, 'name_iid')) {
      const n = st.names.get(Number(te.name_iid));
      if (n === undefined) problem(`packet ${i}: event name iid ${String(te.name_iid)} not interned on sequence ${seqId}`);
      else ev.name = n;
    } else if (has(te, 'name')) ev.name = String(te.name);
    if ((ev.type === 'begin' || ev.type === 'instant') && ev.name === undefined) problem(`packet ${i}: ${type} without a name`);
    for (const a of (te.debug_annotations as Obj[] | undefined) ?? []) {
      let key: string | undefined;
      if (has(a, 'name_iid')) {
        key = st.keys.get(Number(a.name_iid));
        if (key === undefined) problem(`packet ${i}: debug annotation name iid ${String(a.name_iid)} not interned on sequence ${seqId}`);
      } else if (has(a, 'name')) key = String(a.name);
      const value = ['bool_value', 'uint_value', 'int_value', 'double_value', 'string_value', 'pointer_value'].find((k) => has(a, k));
      if (!value) problem(`packet ${i}: debug annotation ${key ?? '?'} without a value`);
      else if (key !== undefined) ev.args[key] = a[value] as number | string | boolean;
    }
    if (!tracks.has(ev.track)) problem(`packet ${i}: TrackEvent on track ${ev.track}, which has no descriptor before it`);
    events.push(ev);
  });

  // Thread tracks hang under their process's track.
  for (const t of tracks.values()) {
    if (!t.thread) continue;
    const parent = t.parent === undefined ? undefined : tracks.get(t.parent);
    if (!parent?.process) problem(`thread track ${t.uuid} (${t.thread.name ?? '?'}): parent_uuid ${String(t.parent)} is not a process track`);
    else if (parent.process.pid !== t.thread.pid) problem(`thread track ${t.uuid}: pid ${String(t.thread.pid)}, its process track's pid ${String(parent.process.pid)}`);
  }

  // Slices balance per track, in the order Perfetto sorts them (timestamp, then file order).
  const byTrack = new Map<number, DecodedEvent[]>();
  for (const e of events) {
    if (e.type !== 'begin' && e.type !== 'end') continue;
    let list = byTrack.get(e.track);
    if (!list) byTrack.set(e.track, (list = []));
    list.push(e);
  }
  for (const [track, list] of byTrack) {
    list.sort((x, y) => x.ts - y.ts || x.packet - y.packet);
    let depth = 0;
    for (const e of list) {
      depth += e.type === 'begin' ? 1 : -1;
      if (depth < 0) {
        problem(`track ${track}: END at ${e.ts} (packet ${e.packet}) with no slice open`);
        break;
      }
    }
    if (depth > 0) problem(`track ${track}: ${depth} slices left open`);
  }

  // Every flow started is terminated, once each.
  const started = new Map<number, number>();
  const ended = new Map<number, number>();
  for (const e of events) {
    for (const f of e.flowIds) started.set(f, (started.get(f) ?? 0) + 1);
    for (const f of e.terminatingFlowIds) ended.set(f, (ended.get(f) ?? 0) + 1);
  }
  for (const [f, n] of started) if (n !== 1 || ended.get(f) !== 1) problem(`flow ${f}: started ${n} times, terminated ${ended.get(f) ?? 0} times`);
  for (const [f, n] of ended) if (!started.has(f)) problem(`flow ${f}: terminated ${n} times, never started`);

  return { problems, events, tracks };
}

export function checkPerfettoFile(path: string, protoPath: string): PerfettoCheck {
  return checkPerfettoTrace(readFileSync(path), protoPath);
}
