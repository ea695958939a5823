/**
 * Rewriting a trace event by event: `l4trace filter` keeps the events its rules select, tests change
 * one event's payload. Every event keeps its sequence number and time, threads keep their descriptors,
 * strings their ids, and the tape and footer are the original run's, so replay can still check the
 * regenerated run against what the new file holds.
 */
import { canonicalJson } from '../canonical-json.js';
import { Kind } from '../catalogue.js';
import { BufferPolicy } from '../packets.js';
import type { TraceEvent, TraceReader } from '../reader.js';
import type { TraceSink } from '../sink.js';
import { Tracer } from '../tracer.js';
import { EventSelector, type FilterRules } from './rules.js';

export interface RewriteOptions {
  /** Keep only what these rules select; they are stored in the header. */
  filter?: FilterRules;
  /** Change an event (tests); return it unchanged to keep it. */
  transform?: (ev: TraceEvent) => TraceEvent;
  /** Change a decision on the tape (tests): the value to store at tape position `index`. */
  tapeTransform?: (index: number, value: number, range: number) => number;
}

export function rewriteTrace(reader: TraceReader, sink: TraceSink, opts: RewriteOptions = {}): { events: number } {
  const h = reader.header;
  const rules = opts.filter ? canonicalJson(opts.filter) : h.filterRules;
  const tracer = new Tracer(sink, { ...h, filterRules: rules }, { chunkEvents: h.buffers?.chunkEvents, chunkBytes: h.buffers?.chunkBytes, policy: BufferPolicy.FLUSH });
  for (let id = 1; id < reader.strings.length; id++) tracer.intern(reader.strings[id]!);
  const buffers = reader.threads.map((t) => {
    tracer.nextSeq = t.createdSeq;
    return tracer.addThread({
      l4Id: t.l4Id,
      name: reader.string(t.name),
      task: t.task,
      lthread: t.lthread,
      version: t.version,
      kind: t.kind,
      cpu: t.cpu,
      priority: t.priority,
      linuxPid: t.linuxPid,
      taskName: reader.string(t.taskName),
      policy: BufferPolicy.FLUSH,
    });
  });
  const selector = opts.filter ? new EventSelector(opts.filter, (id) => reader.string(id), (i) => ({ name: reader.threadName(i), task: reader.threads[i]?.task ?? 0 })) : null;
  let written = 0;
  for (const original of reader.events()) {
    const fn = original.kind === Kind.FUNC_ENTER || original.kind === Kind.FUNC_EXIT ? original.args[0]! : 0;
    if (selector && !selector.keeps(original.thread, original.kind, fn, original.time)) continue;
    const ev = opts.transform ? opts.transform(original) : original;
    tracer.nextSeq = ev.seq;
    const a = ev.kind === Kind.FUNC_EXIT ? [] : ev.args; // a FUNC_EXIT's function is implicit (the open stack)
    buffers[ev.thread]!.emit(ev.kind, ev.time, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    written++;
  }
  const tape = reader.tape();
  for (let i = 0; i < tape.sites.length; i++) {
    tracer.nextSeq = tape.seqs[i]!;
    const value = opts.tapeTransform ? opts.tapeTransform(i, tape.values[i]!, tape.ranges[i]!) : tape.values[i]!;
    tracer.choice(tape.sites[i]!, value, tape.ranges[i]!);
  }
  if (reader.footer) tracer.finishWithFooter(reader.footer);
  else tracer.finish({ outcome: 0, endTime: 0 });
  return { events: written };
}
