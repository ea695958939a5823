/**
 * Tracer figures: events/s encoded and decoded, and bytes/event, on a function-heavy and an IPC-heavy
 * synthetic stream. Encoding is timed on its own: the stream is generated once, then re-emitted
 * through a fresh tracer from flat arrays, which is what the machine's hot path does.
 */
import { MemorySink } from '../../../tracer/sink.js';
import { emptyHeader, Outcome } from '../../../tracer/packets.js';
import { TraceReader } from '../../../tracer/reader.js';
import { generateSynthetic, type SyntheticProfile } from '../../../tracer/synthetic.js';
import { Tracer } from '../../../tracer/tracer.js';
import { bestOf, perSecond, type BenchGroup, type Figure } from '../figure.js';

const EVENTS = 2_000_000;
const BYTES_PER_EVENT_TARGET = 4;

interface FlatStream {
  bytes: Uint8Array;
  count: number;
  threads: number;
  kinds: Uint8Array;
  thread: Uint16Array;
  times: Float64Array;
  args: Float64Array; // 10 per event
  strings: string[];
}

function build(profile: SyntheticProfile): FlatStream {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), synthetic: true });
  const end = generateSynthetic(tracer, { profile, events: EVENTS, threads: 4, seed: 7 });
  tracer.finish({ outcome: Outcome.OK, endTime: end });
  const bytes = sink.bytes();
  const reader = TraceReader.fromBytes(bytes);
  const n = reader.footer!.events;
  const s: FlatStream = {
    bytes,
    count: n,
    threads: reader.threads.length,
    kinds: new Uint8Array(n),
    thread: new Uint16Array(n),
    times: new Float64Array(n),
    args: new Float64Array(n * 10),
    strings: reader.strings,
  };
  let i = 0;
  for (const ev of reader.events()) {
    s.kinds[i] = ev.kind;
    s.thread[i] = ev.thread;
    s.times[i] = ev.time;
    for (let a = 0; a < ev.args.length; a++) s.args[i * 10 + a] = ev.args[a]!;
    i++;
  }
  return s;
}

function encode(s: FlatStream): number {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), synthetic: true });
  for (let i = 1; i < s.strings.length; i++) tracer.intern(s.strings[i]!);
  const bufs = [];
  for (let t = 0; t < s.threads; t++) bufs.push(tracer.addThread({ l4Id: t + 1, name: `t${t}`, task: t, lthread: 0, version: 1, kind: 4, cpu: 0, priority: 100 }));
  const { kinds, thread, times, args } = s;
  for (let i = 0; i < s.count; i++) {
    const b = i * 10;
    bufs[thread[i]!]!.emit(kinds[i]!, times[i]!, args[b]!, args[b + 1]!, args[b + 2]!, args[b + 3]!, args[b + 4]!, args[b + 5]!, args[b + 6]!, args[b + 7]!, args[b + 8]!, args[b + 9]!);
  }
  tracer.finish({ outcome: Outcome.OK, endTime: times[s.count - 1]! });
  return sink.out.pos;
}

function decodeColumns(bytes: Uint8Array): number {
  const r = TraceReader.fromBytes(bytes);
  let n = 0;
  for (const c of r.decodedChunks()) n += c.count;
  return n;
}

function decodeMerged(bytes: Uint8Array): number {
  const r = TraceReader.fromBytes(bytes);
  let n = 0;
  for (const _ of r.events()) n++;
  return n;
}

function figuresFor(profile: SyntheticProfile): Figure[] {
  const s = build(profile);
  let size = 0;
  const encMs = bestOf(3, () => (size = encode(s)));
  // Thread names differ from the original, so allow a few bytes; the event chunks must be the same size.
  if (Math.abs(size - s.bytes.length) > 1024) throw new Error(`re-encoding changed the size (${size} vs ${s.bytes.length})`);
  const decMs = bestOf(3, () => decodeColumns(s.bytes));
  const mergedMs = bestOf(2, () => decodeMerged(s.bytes));
  const bpe = s.bytes.length / s.count;
  const enc = perSecond(s.count, encMs);
  const dec = perSecond(s.count, decMs);
  return [
    { name: `tracer.${profile}.encode`, value: enc, unit: 'events/s' },
    { name: `tracer.${profile}.decode`, value: dec, unit: 'events/s', vs: `tracer.${profile}.encode`, ratio: dec / enc },
    { name: `tracer.${profile}.decode_merged`, value: perSecond(s.count, mergedMs), unit: 'events/s', vs: `tracer.${profile}.decode`, ratio: perSecond(s.count, mergedMs) / dec },
    {
      name: `tracer.${profile}.bytes_per_event`,
      value: bpe,
      unit: 'bytes/event',
      ...(profile === 'function-heavy' ? { vs: 'target 4', ratio: bpe / BYTES_PER_EVENT_TARGET } : { vs: 'OTF2 12', ratio: bpe / 12 }),
    },
  ];
}

export const tracerGroup: BenchGroup = {
  name: 'tracer',
  description: `encode/decode speed and size on ${EVENTS.toLocaleString('en-US')}-event synthetic streams`,
  run: () => [...figuresFor('function-heavy'), ...figuresFor('ipc-heavy')],
};
