/**
 * Rewriting a trace event by event: `l4trace filter` keeps the events its rules select, tests change
 * one event's payload. Every event keeps its sequence number and time, threads keep their descriptors,
 * strings their ids, and the tape and footer are the original run's, so replay can still check the
 * regenerated run against what the new file holds. The root file system (the header's tree and the file
 * blobs) is carried over unchanged.
 */
import { canonicalJson } from '../canonical-json.js';
import { Kind } from '../catalogue.js';
import { TraceFormatError } from '../errors.js';
import { BufferPolicy, POLICY_NAMES } from '../packets.js';
import type { TraceEvent, TraceReader } from '../reader.js';
import type { TraceSink } from '../sink.js';
import { Tracer } from '../tracer.js';
import type { ThreadBuffer } from '../thread-buffer.js';
import { EventSelector, type FilterRules } from './rules.js';

export interface RewriteOptions {
  /** Keep only what these rules select; they are stored in the header. */
  filter?: FilterRules;
  /** Change an event (tests); return it unchanged to keep it. */
  transform?: (ev: TraceEvent) => TraceEvent;
  /** Change a decision on the tape (tests): the value to store at tape position `index`. */
  tapeTransform?: (index: number, value: number, range: number) => number;
}

/**
 * A FUNC_EXIT whose FUNC_ENTER the file does not hold: the thread's earlier chunks were lost to its
 * flight-recorder buffer, or dropped by a salvaging reader. The rewritten thread has no such open function
 * for it to close (with none open the tracer threw a host Error, reported as "internal error": found by
 * issue 12's acceptance test, `filter --salvage` of a copy with two chunks swapped; with another one open
 * the rewritten exit would close the wrong function). Until the rewriter carries a chunk's open stack over
 * such a gap, this is refused with the place named.
 */
function unmatchedExit(reader: TraceReader, ev: TraceEvent): TraceFormatError {
  const refs = reader.chunksOf(ev.thread);
  let ref = refs[0];
  for (const r of refs) if (r.firstSeq <= ev.seq) ref = r;
  const t = reader.threads[ev.thread];
  const why = reader.damage.length > 0 ? 'in a packet dropped as damaged' : `lost to the thread's ${POLICY_NAMES[t?.policy ?? 0] ?? 'buffer'} policy`;
  return new TraceFormatError(
    'INCOMPATIBLE',
    `thread #${ev.thread} (${reader.threadName(ev.thread)}): the FUNC_EXIT at seq ${ev.seq} closes a function entered before the events the file holds (${why}); its function events cannot be rewritten`,
    ref?.offset,
    ref?.index,
  );
}

export function rewriteTrace(reader: TraceReader, sink: TraceSink, opts: RewriteOptions = {}): { events: number; complete: boolean } {
  const h = reader.header;
  const rules = opts.filter ? canonicalJson(opts.filter) : h.filterRules;
  const tracer = new Tracer(sink, { ...h, filterRules: rules }, { chunkEvents: h.buffers?.chunkEvents, chunkBytes: h.buffers?.chunkBytes, policy: BufferPolicy.FLUSH });
  for (let id = 1; id < reader.strings.length; id++) tracer.intern(reader.strings[id]!);
  const selector = opts.filter ? new EventSelector(opts.filter, (id) => reader.string(id), (i) => ({ name: reader.threadName(i), task: reader.threads[i]?.task ?? 0 })) : null;
  let written = 0;
  // Thread descriptors and the tape go in by sequence number, between the events, as a recording writes
  // them: a chunk or descriptor then goes out after every choice made before it (the tracer seals the
  // tape first), and a descriptor when the run created its thread. A copy of the rewritten file cut short
  // thus holds the choices its prefix needs, and no descriptor of a thread the run made only later, so a
  // replay can reproduce all of the prefix (verdict `cut`) instead of running out of tape (issue 12).
  const tape = reader.tape();
  let choice = 0;
  const choicesUpTo = (seq: number): void => {
    for (; choice < tape.sites.length && tape.seqs[choice]! <= seq; choice++) {
      tracer.nextSeq = tape.seqs[choice]!;
      const value = opts.tapeTransform ? opts.tapeTransform(choice, tape.values[choice]!, tape.ranges[choice]!) : tape.values[choice]!;
      tracer.choice(tape.sites[choice]!, value, tape.ranges[choice]!);
    }
  };
  const buffers: ThreadBuffer[] = [];
  /** Add the threads created up to `seq`, and every thread up to index `thread`. */
  const threadsUpTo = (seq: number, thread: number): void => {
    for (let t = reader.threads[buffers.length]; t && (buffers.length <= thread || t.createdSeq <= seq); t = reader.threads[buffers.length]) {
      choicesUpTo(t.createdSeq);
      tracer.nextSeq = t.createdSeq;
      buffers.push(
        tracer.addThread({
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
        }),
      );
    }
  };
  const stacks: number[][] = [];
  for (const original of reader.events()) {
    const fn = original.kind === Kind.FUNC_ENTER || original.kind === Kind.FUNC_EXIT ? original.args[0]! : 0;
    if (selector && !selector.keeps(original.thread, original.kind, fn, original.time)) continue;
    const ev = opts.transform ? opts.transform(original) : original;
    threadsUpTo(ev.seq, ev.thread);
    choicesUpTo(ev.seq);
    tracer.nextSeq = ev.seq;
    const a = ev.kind === Kind.FUNC_EXIT ? [] : ev.args; // a FUNC_EXIT's function is implicit (the open stack)
    // The rewritten thread's open functions, as its FUNC_EXITs will close them: each must close the very
    // function the file says it does.
    const open = (stacks[ev.thread] ??= []);
    if (original.kind === Kind.FUNC_ENTER) open.push(original.args[0]!);
    else if (original.kind === Kind.FUNC_EXIT && open.pop() !== original.args[0]) throw unmatchedExit(reader, original);
    buffers[ev.thread]!.emit(ev.kind, ev.time, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    written++;
  }
  threadsUpTo(Infinity, reader.threads.length);
  choicesUpTo(Infinity);
  // A source that was cut short or damaged (salvaged) gives a result without a footer: it must not pass
  // for the complete record of a run.
  const complete = reader.footer !== undefined && reader.intact;
  // The root file system's contents go through unchanged (the header with its tree is copied above).
  const blobs = [...reader.blobs()].map(([sha, data]) => ({ sha256: Buffer.from(sha, 'hex'), data }));
  if (complete) tracer.finishWithFooter(reader.footer!, blobs);
  else tracer.finishCut(blobs);
  return { events: written, complete };
}
