/**
 * Decoding of EventChunk and ChoiceChunk bodies into typed-array columns. Every count is checked
 * against the bytes that carry it, so a corrupt chunk yields a TraceFormatError, never a host error,
 * and never an allocation larger than the chunk itself justifies.
 */
import { FIELD_FLAGS, FLAG_REF, FLAG_SIGNED, Kind, MAX_FIELDS, STORED_ARITY } from './catalogue.js';
import { TraceFormatError } from './errors.js';
import { ChoiceField, ChunkField, KIND_LIMIT } from './format.js';
import { decodePackedVarints, decodePackedZigzag, WireCursor } from './varint.js';

/** One chunk of one thread, decoded into columns. Event i's payload is args[argStart[i] .. argStart[i+1]). */
export interface DecodedChunk {
  thread: number;
  chunkIndex: number;
  firstSeq: number;
  firstTime: number;
  count: number;
  openStack: number[];
  kinds: Uint8Array;
  seqs: Float64Array;
  times: Float64Array;
  argStart: Uint32Array;
  /** Decoded payloads: refs are absolute sequence numbers (-1 = none); FUNC_EXIT carries its function. */
  args: Float64Array;
}

/** The fixed fields at the start of a chunk, read without decoding the columns. */
export interface ChunkHead {
  thread: number;
  chunkIndex: number;
  firstSeq: number;
  firstTime: number;
  count: number;
}

interface ColumnRanges extends ChunkHead {
  openStack: [number, number] | undefined;
  tag: [number, number] | undefined;
  dt: [number, number] | undefined;
  u: [number, number] | undefined;
  s: [number, number] | undefined;
}

function packed(c: WireCursor, wireType: number, name: string): [number, number] {
  if (wireType !== 2) throw new TraceFormatError('BAD_PACKET', `chunk column ${name} is not packed`, c.base + c.pos);
  return c.lengthDelimited();
}

function scalar(c: WireCursor, wireType: number, name: string): number {
  if (wireType !== 0) throw new TraceFormatError('BAD_PACKET', `chunk field ${name} has wire type ${wireType}`, c.base + c.pos);
  return c.varint();
}

function parseChunk(buf: Uint8Array, start: number, end: number, base: number): ColumnRanges {
  const r: ColumnRanges = { thread: 0, chunkIndex: 0, firstSeq: 0, firstTime: 0, count: 0, openStack: undefined, tag: undefined, dt: undefined, u: undefined, s: undefined };
  const c = new WireCursor(buf, start, end, base);
  while (!c.done) {
    const key = c.varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    switch (field) {
      case ChunkField.thread: r.thread = scalar(c, wt, 'thread'); break;
      case ChunkField.chunkIndex: r.chunkIndex = scalar(c, wt, 'chunk_index'); break;
      case ChunkField.firstSeq: r.firstSeq = scalar(c, wt, 'first_seq'); break;
      case ChunkField.firstTime: r.firstTime = scalar(c, wt, 'first_time'); break;
      case ChunkField.count: r.count = scalar(c, wt, 'count'); break;
      case ChunkField.openStack: r.openStack = packed(c, wt, 'open_stack'); break;
      case ChunkField.tag: r.tag = packed(c, wt, 'tag'); break;
      case ChunkField.dt: r.dt = packed(c, wt, 'dt'); break;
      case ChunkField.u: r.u = packed(c, wt, 'u'); break;
      case ChunkField.s: r.s = packed(c, wt, 's'); break;
      default: c.skip(wt);
    }
  }
  return r;
}

/** Read only the fixed fields of a chunk (used while indexing a file). */
export function readChunkHead(buf: Uint8Array, start: number, end: number, base: number): ChunkHead {
  const r = parseChunk(buf, start, end, base);
  return { thread: r.thread, chunkIndex: r.chunkIndex, firstSeq: r.firstSeq, firstTime: r.firstTime, count: r.count };
}

// Reusable scratch columns: decoding allocates only the output arrays.
let scratchTag: Float64Array = new Float64Array(4096);
let scratchDt: Float64Array = new Float64Array(4096);
let scratchU: Float64Array = new Float64Array(4096);
let scratchS: Float64Array = new Float64Array(4096);

function fit(a: Float64Array, n: number): Float64Array {
  return a.length >= n ? a : new Float64Array(Math.max(n, a.length * 2));
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Decode a whole EventChunk body (bytes buf[start, end), at file offset base + start). */
export function decodeEventChunk(buf: Uint8Array, start: number, end: number, base: number): DecodedChunk {
  const r = parseChunk(buf, start, end, base);
  const bad = (msg: string): never => {
    throw new TraceFormatError('BAD_PACKET', `chunk ${r.chunkIndex} of thread #${r.thread}: ${msg}`, base + start);
  };
  const count = r.count;
  const tagBytes = r.tag ? r.tag[1] - r.tag[0] : 0;
  if (count > tagBytes) bad(`count ${count} exceeds the ${tagBytes} tag bytes`);

  scratchTag = fit(scratchTag, tagBytes);
  const nTag = r.tag ? decodePackedVarints(buf, r.tag[0], r.tag[1], scratchTag, base) : 0;
  if (nTag !== count) bad(`${nTag} tags for ${count} events`);
  const dtBytes = r.dt ? r.dt[1] - r.dt[0] : 0;
  scratchDt = fit(scratchDt, dtBytes);
  const nDt = r.dt ? decodePackedVarints(buf, r.dt[0], r.dt[1], scratchDt, base) : 0;
  if (nDt !== count) bad(`${nDt} time deltas for ${count} events`);
  const uBytes = r.u ? r.u[1] - r.u[0] : 0;
  scratchU = fit(scratchU, uBytes);
  const nU = r.u ? decodePackedVarints(buf, r.u[0], r.u[1], scratchU, base) : 0;
  const sBytes = r.s ? r.s[1] - r.s[0] : 0;
  scratchS = fit(scratchS, sBytes);
  const nS = r.s ? decodePackedZigzag(buf, r.s[0], r.s[1], scratchS, base) : 0;

  const stack: number[] = [];
  if (r.openStack) {
    const n = r.openStack[1] - r.openStack[0];
    const tmp = new Float64Array(n);
    const k = decodePackedVarints(buf, r.openStack[0], r.openStack[1], tmp, base);
    for (let i = 0; i < k; i++) stack.push(tmp[i]!);
  }
  const openStack = stack.slice();

  const kinds = new Uint8Array(count);
  const seqs = new Float64Array(count);
  const times = new Float64Array(count);
  const argStart = new Uint32Array(count + 1);
  const args = new Float64Array(nU + nS + count);
  const tags = scratchTag;
  const dts = scratchDt;
  const us = scratchU;
  const ss = scratchS;

  let seq = r.firstSeq - 1;
  let time = r.firstTime;
  let ui = 0;
  let si = 0;
  let ai = 0;
  for (let i = 0; i < count; i++) {
    const tag = tags[i]!;
    const kind = tag < KIND_LIMIT ? tag : tag % KIND_LIMIT;
    const gap = tag < KIND_LIMIT ? 0 : Math.floor(tag / KIND_LIMIT);
    if (i === 0 && gap !== 0) bad('first event has a sequence gap');
    seq += 1 + gap;
    time += dts[i]!;
    if (seq > MAX_SAFE || time > MAX_SAFE) bad('sequence number or time beyond 2^53');
    const arity = STORED_ARITY[kind]!;
    if (arity === 255) bad(`unknown event kind ${kind} at seq ${seq}`);
    kinds[i] = kind;
    seqs[i] = seq;
    times[i] = time;
    argStart[i] = ai;
    for (let f = 0; f < arity; f++) {
      const flags = FIELD_FLAGS[kind * MAX_FIELDS + f]!;
      let v: number;
      if (flags & FLAG_SIGNED) {
        if (si >= nS) bad(`signed column exhausted at seq ${seq}`);
        v = ss[si++]!;
      } else {
        if (ui >= nU) bad(`unsigned column exhausted at seq ${seq}`);
        v = us[ui++]!;
      }
      if (flags & FLAG_REF) {
        if (v > seq) bad(`back reference ${v} beyond seq ${seq}`);
        v = v === 0 ? -1 : seq - v;
      }
      args[ai++] = v;
    }
    if (kind === Kind.FUNC_ENTER) stack.push(args[ai - 1]!);
    else if (kind === Kind.FUNC_EXIT) {
      if (stack.length === 0) bad(`FUNC_EXIT at seq ${seq} with no open function`);
      args[ai++] = stack.pop()!;
    }
  }
  argStart[count] = ai;
  if (ui !== nU || si !== nS) bad(`${nU - ui} unsigned and ${nS - si} signed payload values left over`);
  return { thread: r.thread, chunkIndex: r.chunkIndex, firstSeq: r.firstSeq, firstTime: r.firstTime, count, openStack, kinds, seqs, times, argStart, args: args.subarray(0, ai) };
}

/** The decision tape, decoded. */
export interface DecodedChoices {
  firstIndex: number;
  sites: Float64Array;
  values: Float64Array;
  ranges: Float64Array;
  seqs: Float64Array;
}

export function decodeChoiceChunk(buf: Uint8Array, start: number, end: number, base: number): DecodedChoices {
  const c = new WireCursor(buf, start, end, base);
  let firstIndex = 0;
  const cols: Record<number, [number, number]> = {};
  while (!c.done) {
    const key = c.varint();
    const field = Math.floor(key / 8);
    const wt = key & 7;
    if (field === ChoiceField.firstIndex) firstIndex = scalar(c, wt, 'first_index');
    else if (field >= ChoiceField.site && field <= ChoiceField.seqDelta) cols[field] = packed(c, wt, 'choice column');
    else c.skip(wt);
  }
  const col = (f: number): Float64Array => {
    const rng = cols[f];
    if (!rng) return new Float64Array(0);
    const out = new Float64Array(rng[1] - rng[0]);
    return out.subarray(0, decodePackedVarints(buf, rng[0], rng[1], out, base));
  };
  const sites = col(ChoiceField.site);
  const values = col(ChoiceField.value);
  const ranges = col(ChoiceField.range);
  const seqs = col(ChoiceField.seqDelta);
  const n = sites.length;
  if (values.length !== n || ranges.length !== n || seqs.length !== n) {
    throw new TraceFormatError('BAD_PACKET', 'choice chunk columns differ in length', base + start);
  }
  return { firstIndex, sites, values, ranges, seqs };
}
