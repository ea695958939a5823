/**
 * The comparator replay writes to: a TraceSink that receives the regenerated trace packet by packet and
 * checks it against the recorded file as a stream. Chunks of a trace that was not filtered are
 * compared as bytes (the encoding is canonical, so identical events give identical chunks) and only
 * decoded when they differ; chunks of a filtered trace are decoded, filtered with the file's rules and
 * compared event by event, aligned by sequence number. Each thread stops at its first difference; the
 * replay reports the one with the lowest sequence number.
 */
import { Kind, KIND_BY_ID } from '../tracer/catalogue.js';
import { decodeChoiceChunk, decodeEventChunk, readChunkHead, type DecodedChunk } from '../tracer/chunk-codec.js';
import { PacketField } from '../tracer/format.js';
import { decodeFooter, decodeStringTable, decodeThread, OUTCOME_NAMES, type FooterData, type ThreadDescriptorData } from '../tracer/packets.js';
import type { ChunkRef, TraceEvent, TraceReader } from '../tracer/reader.js';
import type { TraceSink } from '../tracer/sink.js';
import { CHOICE_SITE_NAMES } from '../src/sim/choices.js';
import type { EventSelector } from './filter.js';

export type DifferenceKind = 'event' | 'missing' | 'extra' | 'thread' | 'tape' | 'tape-end' | 'footer';

export interface Difference {
  /** Sequence number of the first differing event (Infinity for the footer). */
  seq: number;
  what: DifferenceKind;
  /** Thread index, or -1. */
  thread: number;
  /** The recorded and the regenerated event (null where one side has none). */
  expected: TraceEvent | null;
  actual: TraceEvent | null;
  detail: string;
}

/** Where a thread's comparison stands. */
interface ThreadCursor {
  /** Chunk-aligned comparison: the next recorded chunk to compare. */
  nextChunk: number;
  /** Event-aligned comparison (filtered traces). */
  chunk: DecodedChunk | null;
  chunkPos: number;
  eventPos: number;
  done: boolean;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function eventAt(ch: DecodedChunk, i: number): TraceEvent {
  const args: number[] = [];
  for (let a = ch.argStart[i]!; a < ch.argStart[i + 1]!; a++) args.push(ch.args[a]!);
  return { seq: ch.seqs[i]!, time: ch.times[i]!, thread: ch.thread, kind: ch.kinds[i]!, args };
}

export class VerifyingSink implements TraceSink {
  readonly differences: Difference[] = [];
  /** The regenerated string table (ids as the regenerated run assigned them). */
  readonly strings: string[] = [''];
  readonly threads: ThreadDescriptorData[] = [];
  footer: FooterData | null = null;
  /** The run was stopped early (inspect, or a divergence): a chunk that is a prefix of the recorded one is fine. */
  stoppedEarly = false;
  /** Called on the first difference (replay stops the machine). */
  onDifference: (() => void) | null = null;
  /** Regenerated events compared so far (progress). */
  private readonly cursors: ThreadCursor[] = [];
  private tapePacket = 0;

  constructor(
    private readonly rec: TraceReader,
    private readonly selector: EventSelector | null,
  ) {}

  packet(field: number, body: Uint8Array): void {
    switch (field) {
      case PacketField.strings: {
        const t = decodeStringTable(body, 0);
        for (let i = 0; i < t.value.length; i++) this.strings[t.firstId + i] = t.value[i]!;
        return;
      }
      case PacketField.thread:
        this.thread(decodeThread(body, 0));
        return;
      case PacketField.chunk:
        this.chunk(body);
        return;
      case PacketField.choices:
        this.choices(body);
        return;
      case PacketField.footer:
        this.footer = decodeFooter(body, 0);
        return;
      default:
        return; // the header is rebuilt from the recorded one
    }
  }

  close(): void {}

  private differ(d: Difference): void {
    this.differences.push(d);
    if (this.differences.length === 1) this.onDifference?.();
  }

  /** The first difference by sequence number. */
  first(): Difference | null {
    let best: Difference | null = null;
    for (const d of this.differences) if (!best || d.seq < best.seq) best = d;
    return best;
  }

  // -------------------------------------------------------------------------------------------------
  // Threads

  private thread(t: ThreadDescriptorData): void {
    this.threads.push(t);
    this.cursors.push({ nextChunk: 0, chunk: null, chunkPos: 0, eventPos: 0, done: false });
    const r = this.rec.threads[t.index];
    const name = (id: number): string => this.strings[id] ?? `?${id}`;
    if (!r) {
      this.differ({ seq: t.createdSeq, what: 'thread', thread: t.index, expected: null, actual: null, detail: `the replay created thread #${t.index} (${name(t.name)}), which the recording does not have` });
      return;
    }
    const fields: [string, unknown, unknown][] = [
      ['name', this.rec.string(r.name), name(t.name)],
      ['l4 id', r.l4Id, t.l4Id],
      ['kind', r.kind, t.kind],
      ['cpu', r.cpu, t.cpu],
      ['priority', r.priority, t.priority],
      ['linux pid', r.linuxPid, t.linuxPid],
      ['created at seq', r.createdSeq, t.createdSeq],
    ];
    const bad = fields.find(([, a, b]) => a !== b);
    if (bad) {
      this.differ({ seq: Math.min(r.createdSeq, t.createdSeq), what: 'thread', thread: t.index, expected: null, actual: null, detail: `thread #${t.index}: ${bad[0]} was ${String(bad[1])}, the replay has ${String(bad[2])}` });
      this.cursors[t.index]!.done = true;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Event chunks

  private chunk(body: Uint8Array): void {
    const head = readChunkHead(body, 0, body.length, 0);
    const cur = this.cursors[head.thread];
    if (!cur || cur.done) return;
    if (this.selector) this.chunkFiltered(cur, decodeEventChunk(body, 0, body.length, 0));
    else this.chunkAligned(cur, head.thread, head.chunkIndex, body);
  }

  /** Unfiltered traces: regenerated chunk k against recorded chunk k. */
  private chunkAligned(cur: ThreadCursor, thread: number, chunkIndex: number, body: Uint8Array): void {
    const refs = this.rec.chunksOf(thread);
    const ref = refs[cur.nextChunk];
    if (!ref || ref.chunkIndex > chunkIndex) {
      const regen = decodeEventChunk(body, 0, body.length, 0);
      this.stop(cur, { seq: regen.firstSeq, what: 'extra', thread, expected: null, actual: eventAt(regen, 0), detail: `the replay produced chunk ${chunkIndex} of thread #${thread}, which the recording does not hold` });
      return;
    }
    if (ref.chunkIndex < chunkIndex) {
      const recorded = this.rec.decodeChunk(ref);
      this.stop(cur, { seq: recorded.firstSeq, what: 'missing', thread, expected: eventAt(recorded, 0), actual: null, detail: `recorded chunk ${ref.chunkIndex} of thread #${thread} was never produced by the replay` });
      return;
    }
    cur.nextChunk++;
    if (sameBytes(this.rec.chunkBody(ref), body)) return;
    this.compareChunks(cur, this.rec.decodeChunk(ref), decodeEventChunk(body, 0, body.length, 0));
  }

  /** Event by event within one chunk pair; a regenerated prefix is fine when the run stopped early. */
  private compareChunks(cur: ThreadCursor, recorded: DecodedChunk, regen: DecodedChunk): void {
    const n = Math.min(recorded.count, regen.count);
    for (let i = 0; i < n; i++) {
      const why = this.eventDiffers(recorded, i, regen, i);
      if (why) {
        this.stop(cur, { seq: Math.min(recorded.seqs[i]!, regen.seqs[i]!), what: 'event', thread: recorded.thread, expected: eventAt(recorded, i), actual: eventAt(regen, i), detail: why });
        return;
      }
    }
    if (regen.count > n) {
      this.stop(cur, { seq: regen.seqs[n]!, what: 'extra', thread: regen.thread, expected: null, actual: eventAt(regen, n), detail: 'the replay produced an event the recording does not have' });
    } else if (recorded.count > n && !this.stoppedEarly) {
      this.stop(cur, { seq: recorded.seqs[n]!, what: 'missing', thread: recorded.thread, expected: eventAt(recorded, n), actual: null, detail: 'the replay did not produce this recorded event' });
    }
  }

  /** Filtered traces: the regenerated events that pass the filter against the recorded ones, by seq. */
  private chunkFiltered(cur: ThreadCursor, regen: DecodedChunk): void {
    for (let i = 0; i < regen.count && !cur.done; i++) {
      const kind = regen.kinds[i]!;
      const fn = kind === Kind.FUNC_ENTER || kind === Kind.FUNC_EXIT ? regen.args[regen.argStart[i]!]! : 0;
      if (!this.selector!.keeps(regen.thread, kind, fn, regen.times[i]!)) continue;
      const rec = this.nextRecorded(cur, regen.thread);
      if (!rec) {
        this.stop(cur, { seq: regen.seqs[i]!, what: 'extra', thread: regen.thread, expected: null, actual: eventAt(regen, i), detail: 'the replay produced an event the filtered recording does not have' });
        return;
      }
      const [ch, j] = rec;
      if (ch.seqs[j]! < regen.seqs[i]!) {
        this.stop(cur, { seq: ch.seqs[j]!, what: 'missing', thread: regen.thread, expected: eventAt(ch, j), actual: null, detail: 'the replay did not produce this recorded event' });
        return;
      }
      if (ch.seqs[j]! > regen.seqs[i]!) {
        this.stop(cur, { seq: regen.seqs[i]!, what: 'extra', thread: regen.thread, expected: eventAt(ch, j), actual: eventAt(regen, i), detail: 'the replay produced an event the filtered recording does not have' });
        return;
      }
      const why = this.eventDiffers(ch, j, regen, i);
      if (why) {
        this.stop(cur, { seq: regen.seqs[i]!, what: 'event', thread: regen.thread, expected: eventAt(ch, j), actual: eventAt(regen, i), detail: why });
        return;
      }
      cur.eventPos++;
    }
  }

  /** The next recorded event of a thread (not consumed), or null. */
  private nextRecorded(cur: ThreadCursor, thread: number): [DecodedChunk, number] | null {
    const refs = this.rec.chunksOf(thread);
    while (!cur.chunk || cur.eventPos >= cur.chunk.count) {
      if (cur.chunkPos >= refs.length) return null;
      cur.chunk = this.rec.decodeChunk(refs[cur.chunkPos++]!);
      cur.eventPos = 0;
    }
    return [cur.chunk, cur.eventPos];
  }

  /** Why event a (recorded) and event b (regenerated) differ, or null. */
  private eventDiffers(a: DecodedChunk, i: number, b: DecodedChunk, j: number): string | null {
    if (a.seqs[i] !== b.seqs[j]) return `sequence number ${a.seqs[i]} vs ${b.seqs[j]}`;
    if (a.kinds[i] !== b.kinds[j]) return 'different kind';
    if (a.times[i] !== b.times[j]) return `time ${a.times[i]} vs ${b.times[j]}`;
    const spec = KIND_BY_ID[a.kinds[i]!];
    const na = a.argStart[i + 1]! - a.argStart[i]!;
    const nb = b.argStart[j + 1]! - b.argStart[j]!;
    if (na !== nb) return 'different number of fields';
    for (let f = 0; f < na; f++) {
      const va = a.args[a.argStart[i]! + f]!;
      const vb = b.args[b.argStart[j]! + f]!;
      const field = spec?.fields[f];
      const same = field?.role === 'str' ? this.rec.string(va) === (this.strings[vb] ?? `?${vb}`) : va === vb;
      if (!same) return `field ${field?.name ?? f}: ${field?.role === 'str' ? JSON.stringify(this.rec.string(va)) : va} vs ${field?.role === 'str' ? JSON.stringify(this.strings[vb]) : vb}`;
    }
    return null;
  }

  private stop(cur: ThreadCursor, d: Difference): void {
    cur.done = true;
    this.differ(d);
  }

  // -------------------------------------------------------------------------------------------------
  // The decision tape

  private choices(body: Uint8Array): void {
    const ref = this.rec.choiceRefs[this.tapePacket++];
    if (ref && sameBytes(this.rec.chunkBody(ref), body)) return;
    const regen = decodeChoiceChunk(body, 0, body.length, 0);
    if (!ref) {
      this.differ({ seq: Infinity, what: 'tape', thread: -1, expected: null, actual: null, detail: `the replay made choices beyond the recorded tape (from position ${regen.firstIndex})` });
      return;
    }
    const recorded = this.rec.chunkBody(ref);
    const r = decodeChoiceChunk(recorded, 0, recorded.length, ref.bodyStart);
    let seqA = 0;
    let seqB = 0;
    const n = Math.min(r.sites.length, regen.sites.length);
    for (let i = 0; i < n; i++) {
      seqA += r.seqs[i]!;
      seqB += regen.seqs[i]!;
      if (r.sites[i] !== regen.sites[i] || r.values[i] !== regen.values[i] || r.ranges[i] !== regen.ranges[i] || seqA !== seqB) {
        this.differ({
          seq: Math.min(seqA, seqB),
          what: 'tape',
          thread: -1,
          expected: null,
          actual: null,
          detail: `decision tape position ${r.firstIndex + i}: recorded ${CHOICE_SITE_NAMES[r.sites[i]!] ?? r.sites[i]} ${r.values[i]} of ${r.ranges[i]} before event #${seqA}; the replay took ${CHOICE_SITE_NAMES[regen.sites[i]!] ?? regen.sites[i]} ${regen.values[i]} of ${regen.ranges[i]} before event #${seqB}`,
        });
        return;
      }
    }
    if (regen.sites.length > n) {
      this.differ({ seq: Infinity, what: 'tape', thread: -1, expected: null, actual: null, detail: `the replay made choices beyond the recorded tape (from position ${regen.firstIndex + n})` });
    }
    // A shorter regenerated chunk is the end of the tape: finish() compares the counts.
  }

  // -------------------------------------------------------------------------------------------------
  // The end of the run

  /** After the regenerated trace is complete: recorded events never produced, then the footer. */
  finish(tapeConsumed: number): void {
    const recTape = this.rec.footer?.choices ?? tapeConsumed;
    if (!this.stoppedEarly && tapeConsumed < recTape) {
      this.differ({ seq: this.footer?.nextSeq ?? Infinity, what: 'tape-end', thread: -1, expected: null, actual: null, detail: `the replay made ${tapeConsumed} choices; the recording made ${recTape}` });
    }
    if (!this.stoppedEarly) {
      this.cursors.forEach((cur, t) => {
        if (cur.done) return;
        const left = this.selector ? this.nextRecorded(cur, t) : this.leftAligned(cur, t);
        if (left) {
          const [ch, j] = left;
          this.stop(cur, { seq: ch.seqs[j]!, what: 'missing', thread: t, expected: eventAt(ch, j), actual: null, detail: 'the replay did not produce this recorded event' });
        }
      });
      for (let t = this.cursors.length; t < this.rec.threads.length; t++) {
        const r = this.rec.threads[t]!;
        this.differ({ seq: r.createdSeq, what: 'thread', thread: t, expected: null, actual: null, detail: `recorded thread #${t} (${this.rec.string(r.name)}) was never created by the replay` });
      }
    }
    if (this.differences.length === 0 && !this.stoppedEarly) this.compareFooter();
  }

  private leftAligned(cur: ThreadCursor, t: number): [DecodedChunk, number] | null {
    const ref: ChunkRef | undefined = this.rec.chunksOf(t)[cur.nextChunk];
    return ref ? [this.rec.decodeChunk(ref), 0] : null;
  }

  private compareFooter(): void {
    const a = this.rec.footer;
    const b = this.footer;
    if (!a || !b) return;
    const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex').slice(0, 16);
    const checks: [string, string, string][] = [
      ['outcome', `${OUTCOME_NAMES[a.outcome] ?? a.outcome} (${a.outcomeDetail})`, `${OUTCOME_NAMES[b.outcome] ?? b.outcome} (${b.outcomeDetail})`],
      ['end time', String(a.endTime), String(b.endTime)],
      ['events', String(a.events), String(b.events)],
      ['events lost', String(a.eventsLost), String(b.eventsLost)],
      ['next sequence number', String(a.nextSeq), String(b.nextSeq)],
      ['choices', String(a.choices), String(b.choices)],
      ['tape hash', hex(a.tapeHash), hex(b.tapeHash)],
      ['metrics', JSON.stringify(a.metrics), JSON.stringify(b.metrics)],
    ];
    for (const s of a.threads) {
      const o = b.threads[s.thread];
      checks.push([`thread #${s.thread} summary`, `${s.events}/${s.eventsLost}/${s.chunks}/${hex(s.hash)}/${s.unmatchedExits}`, o ? `${o.events}/${o.eventsLost}/${o.chunks}/${hex(o.hash)}/${o.unmatchedExits}` : 'none']);
    }
    const bad = checks.find(([, x, y]) => x !== y);
    if (bad) {
      this.differ({ seq: Infinity, what: 'footer', thread: -1, expected: null, actual: null, detail: `${bad[0]}: recorded ${bad[1]}, replay ${bad[2]}` });
      return;
    }
    if (!sameBytes(a.stateDigest, b.stateDigest)) {
      const part = a.stateParts.find((p, i) => !b.stateParts[i] || !sameBytes(p.digest, b.stateParts[i]!.digest));
      this.differ({ seq: Infinity, what: 'footer', thread: -1, expected: null, actual: null, detail: `final machine state differs, first in part "${part?.name ?? '?'}"` });
    }
  }
}
