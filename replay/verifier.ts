/**
 * The comparator replay writes to: a TraceSink that receives the regenerated trace packet by packet and
 * checks it against the recorded file as a stream.
 *
 * - The verdict: a trace that was not filtered must come out as the same file, packet for packet and
 *   byte for byte (the encoding is canonical), header and footer included; nothing is "identical" that
 *   is not. A filtered trace must give the same header, thread descriptors, kept events, tape and footer.
 * - The diagnosis: chunks are compared per thread and decoded only when they differ, so the report
 *   names the first differing event (the lowest sequence number over all threads), not just a packet.
 * - A cut file (no footer): once the replay has produced every packet the file holds, the prefix is
 *   verified; the sink says so (`onPrefixComplete`) and ignores the rest.
 */
import { Kind, KIND_BY_ID } from '../tracer/catalogue.js';
import { decodeChoiceChunk, decodeEventChunk, readChunkHead, type DecodedChunk } from '../tracer/chunk-codec.js';
import { PacketField } from '../tracer/format.js';
import { sameBytes } from '../tracer/framing.js';
import { decodeFooter, decodeHeader, decodeStringTable, decodeThread, OUTCOME_NAMES, type FooterData, type ThreadDescriptorData } from '../tracer/packets.js';
import { fieldName, type ChunkRef, type TraceEvent, type TraceReader } from '../tracer/reader.js';
import type { TraceSink } from '../tracer/sink.js';
import { CHOICE_SITE_NAMES } from '../src/sim/choices.js';
import type { EventSelector } from '../tracer/filter/rules.js';

export type DifferenceKind = 'header' | 'event' | 'missing' | 'extra' | 'thread' | 'tape' | 'tape-end' | 'footer' | 'packet';

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

const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex');

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
  /** Called when a cut file's every packet has been reproduced (replay stops the machine). */
  onPrefixComplete: (() => void) | null = null;
  /** A cut file's packets were all reproduced: what comes after is not compared. */
  prefixComplete = false;
  private readonly cursors: ThreadCursor[] = [];
  /** Packets received; and the first one that is not the recorded packet at its position. */
  private packetsSeen = 0;
  /** The packet being handled is byte for byte the recorded packet at its position. */
  private packetMatched = false;
  private firstStreamMismatch: string | null = null;
  /**
   * A cut filtered file: the events it holds, and how many the replay has matched. Its packets are not
   * the run's (filter rewrote them), so its prefix is verified by content, not packet by packet.
   */
  private readonly recordedEvents: number;
  private eventsMatched = 0;
  /** The largest sequence number the recorded file holds (-1 for none; Infinity when it has its footer). */
  readonly lastRecordedSeq: number;
  /** The recorded decision tape, whole. */
  private readonly recordedTape: ReturnType<TraceReader['tape']>;

  constructor(
    private readonly rec: TraceReader,
    private readonly selector: EventSelector | null,
  ) {
    this.recordedEvents = rec.chunks.reduce((n, c) => n + c.count, 0);
    this.lastRecordedSeq = rec.footer ? Infinity : rec.lastSeq();
    this.recordedTape = rec.tape();
  }

  /** The recorded file was cut short (no footer). */
  private get cut(): boolean {
    return this.rec.footer === undefined;
  }

  packet(field: number, body: Uint8Array): void {
    if (this.prefixComplete) return;
    this.matchStream(field, body);
    switch (field) {
      case PacketField.strings: {
        const t = decodeStringTable(body, 0);
        for (let i = 0; i < t.value.length; i++) this.strings[t.firstId + i] = t.value[i]!;
        break;
      }
      case PacketField.thread:
        this.thread(decodeThread(body, 0));
        break;
      case PacketField.chunk:
        this.chunk(body);
        break;
      case PacketField.choices:
        this.choices(body);
        break;
      case PacketField.footer:
        this.footer = decodeFooter(body, 0);
        break;
      case PacketField.header:
        this.header(body);
        break;
      default:
        break;
    }
    this.checkFilteredPrefix();
  }

  /**
   * A cut filtered file is verified once the replay has reproduced every thread descriptor, every event
   * and the whole tape the file holds. (Not "a regenerated event beyond the file's last one": chunks
   * reach the sink thread by thread as they fill, so that would stop before other threads' recorded
   * events were compared, and never come for a file cut just before its footer.)
   */
  private checkFilteredPrefix(): void {
    if (!this.selector || !this.cut || this.prefixComplete) return;
    if (this.threads.length >= this.rec.threads.length && this.eventsMatched === this.recordedEvents && this.tapeCompared >= this.recordedTape.sites.length) {
      this.completePrefix();
    }
  }

  /**
   * The byte-for-byte check of an unfiltered trace: packet k of the replay against packet k of the file.
   * The first mismatch is kept (the per-kind comparisons say what it means); a cut file is verified when
   * the replay has produced all its packets.
   */
  private matchStream(field: number, body: Uint8Array): void {
    const k = this.packetsSeen++;
    this.packetMatched = false;
    if (this.selector || this.firstStreamMismatch) return;
    const ref = this.rec.packetRefs[k];
    if (!ref) {
      if (!this.cut) this.firstStreamMismatch = `the replay wrote packet #${k} (${fieldName(field)}) beyond the ${this.rec.packetRefs.length} packets of the recording`;
      return;
    }
    if (ref.field !== field || !sameBytes(this.rec.chunkBody(ref), body)) {
      this.firstStreamMismatch = `packet #${k}: the recording has a ${fieldName(ref.field)} there, the replay wrote ${ref.field === field ? 'different bytes' : `a ${fieldName(field)}`}`;
      return;
    }
    this.packetMatched = true;
    if (this.cut && k + 1 === this.rec.packetRefs.length) this.completePrefix();
  }

  private completePrefix(): void {
    if (this.prefixComplete || this.differences.length > 0) return;
    this.prefixComplete = true;
    this.onPrefixComplete?.();
  }

  /** The rebuilt machine's header against the recorded one: every part must agree. */
  private header(body: Uint8Array): void {
    const ref = this.rec.packetRefs[0];
    if (ref && sameBytes(this.rec.chunkBody(ref), body)) return;
    const a = this.rec.header as unknown as Record<string, unknown>;
    const b = decodeHeader(body, 0) as unknown as Record<string, unknown>;
    const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x)) ?? String(v);
    const show = (v: unknown): string => {
      const t = json(v);
      return t.length > 120 ? `${t.slice(0, 117)}...` : t;
    };
    const key = Object.keys(a).find((k) => json(a[k]) !== json(b[k]));
    const detail = key
      ? `header field ${key}: recorded ${show(a[key])}, the machine rebuilt from the header gives ${show(b[key])}`
      : 'the header bytes differ from those the rebuilt machine writes (non-canonical encoding)';
    this.differ({ seq: -1, what: 'header', thread: -1, expected: null, actual: null, detail });
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
      // A cut filtered file holds the descriptors of the threads created before its last event (filter
      // writes each before any later event); one created after that lies beyond the cut, with nothing
      // recorded to compare.
      if (this.cut && this.selector && t.createdSeq > this.lastRecordedSeq) {
        this.cursors[t.index]!.done = true;
        return;
      }
      this.differ({ seq: t.createdSeq, what: 'thread', thread: t.index, expected: null, actual: null, detail: `the replay created thread #${t.index} (${name(t.name)}), which the recording does not have` });
      return;
    }
    const fields: [string, unknown, unknown][] = [
      ['name', this.rec.string(r.name), name(t.name)],
      ['task name', this.rec.string(r.taskName), name(t.taskName)],
      ['l4 id', r.l4Id, t.l4Id],
      ['task', r.task, t.task],
      ['lthread', r.lthread, t.lthread],
      ['version', r.version, t.version],
      ['kind', r.kind, t.kind],
      ['cpu', r.cpu, t.cpu],
      ['priority', r.priority, t.priority],
      ['linux pid', r.linuxPid, t.linuxPid],
      ['created at seq', r.createdSeq, t.createdSeq],
    ];
    // A filtered trace's threads are all written with the flush policy (l4trace filter); others keep theirs.
    if (!this.selector) fields.push(['buffer policy', `${r.policy}/${r.capacityChunks}`, `${t.policy}/${t.capacityChunks}`]);
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
    // The stream check has just compared this very packet with the recorded one at its place.
    if (this.packetMatched && ref.index === this.packetsSeen - 1) return;
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
        // A cut file holds each thread's events up to its last whole chunk, a different point for each
        // thread: what this thread did after that was not recorded, so nothing more is compared for it.
        if (this.cut) {
          cur.done = true;
          return;
        }
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
      this.eventsMatched++;
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

  /**
   * Regenerated choices against the recorded tape, choice by choice (not packet by packet: a rewritten
   * trace may cut its tape into other chunks; the byte-for-byte stream check covers the layout).
   */
  private choices(body: Uint8Array): void {
    if (this.tapeDiffers) return;
    const regen = decodeChoiceChunk(body, 0, body.length, 0);
    const rec = this.recordedTape;
    let seqB = this.regenTapeSeq;
    for (let i = 0; i < regen.sites.length; i++) {
      seqB += regen.seqs[i]!;
      const at = regen.firstIndex + i;
      if (at >= rec.sites.length) {
        if (this.cut) {
          this.tapeCompared = rec.sites.length; // a cut file's tape ends where the file does
          return;
        }
        this.tapeDiffers = true;
        this.differ({ seq: seqB, what: 'tape', thread: -1, expected: null, actual: null, detail: `the replay made choices beyond the recorded tape (from position ${at}, before event #${seqB})` });
        return;
      }
      if (rec.sites[at] !== regen.sites[i] || rec.values[at] !== regen.values[i] || rec.ranges[at] !== regen.ranges[i] || rec.seqs[at] !== seqB) {
        this.tapeDiffers = true;
        const name = (site: number): string => CHOICE_SITE_NAMES[site] ?? String(site);
        this.differ({
          seq: Math.min(rec.seqs[at]!, seqB),
          what: 'tape',
          thread: -1,
          expected: null,
          actual: null,
          detail: `decision tape position ${at}: recorded ${name(rec.sites[at]!)} ${rec.values[at]} of ${rec.ranges[at]} before event #${rec.seqs[at]}; the replay took ${name(regen.sites[i]!)} ${regen.values[i]} of ${regen.ranges[i]} before event #${seqB}`,
        });
        return;
      }
    }
    this.regenTapeSeq = seqB;
    this.tapeCompared = regen.firstIndex + regen.sites.length;
    // A shorter regenerated tape is the end of the run: finish() compares the counts.
  }

  private tapeDiffers = false;
  private regenTapeSeq = 0;
  /** Recorded choices compared so far. */
  private tapeCompared = 0;

  // -------------------------------------------------------------------------------------------------
  // The end of the run

  /** After the regenerated trace is complete: recorded events never produced, then the footer. */
  finish(tapeConsumed: number): void {
    if (this.prefixComplete) return;
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
    if (this.differences.length === 0 && !this.stoppedEarly) this.compareStream();
  }

  /** Nothing else differed: the files must still be the same packets (unfiltered traces). */
  private compareStream(): void {
    if (this.selector) return;
    const why =
      this.firstStreamMismatch ??
      (this.packetsSeen < this.rec.packetRefs.length ? `the replay wrote ${this.packetsSeen} packets, the recording holds ${this.rec.packetRefs.length}` : null);
    if (why) this.differ({ seq: Infinity, what: 'packet', thread: -1, expected: null, actual: null, detail: why });
  }

  private leftAligned(cur: ThreadCursor, t: number): [DecodedChunk, number] | null {
    const ref: ChunkRef | undefined = this.rec.chunksOf(t)[cur.nextChunk];
    return ref ? [this.rec.decodeChunk(ref), 0] : null;
  }

  private compareFooter(): void {
    const a = this.rec.footer;
    const b = this.footer;
    if (!a || !b) return;
    const summary = (s: FooterData['threads'][number] | undefined): string =>
      s ? `events ${s.events}, lost ${s.eventsLost}, chunks ${s.chunks}, lost ${s.chunksLost}, unmatched exits ${s.unmatchedExits}, hash ${hex(s.hash)}` : 'none';
    const checks: [string, string, string][] = [
      ['outcome', `${OUTCOME_NAMES[a.outcome] ?? a.outcome} (${a.outcomeDetail})`, `${OUTCOME_NAMES[b.outcome] ?? b.outcome} (${b.outcomeDetail})`],
      ['end time', String(a.endTime), String(b.endTime)],
      ['events', String(a.events), String(b.events)],
      ['events lost', String(a.eventsLost), String(b.eventsLost)],
      ['next sequence number', String(a.nextSeq), String(b.nextSeq)],
      ['choices', String(a.choices), String(b.choices)],
      ['tape hash', hex(a.tapeHash), hex(b.tapeHash)],
      ['metrics', JSON.stringify(a.metrics), JSON.stringify(b.metrics)],
      ['thread summaries', String(a.threads.length), String(b.threads.length)],
    ];
    for (const s of a.threads) checks.push([`thread #${s.thread} summary`, summary(s), summary(b.threads.find((o) => o.thread === s.thread))]);
    checks.push(['state parts', a.stateParts.map((p) => p.name).join(','), b.stateParts.map((p) => p.name).join(',')]);
    const bad = checks.find(([, x, y]) => x !== y);
    if (bad) {
      this.differ({ seq: Infinity, what: 'footer', thread: -1, expected: null, actual: null, detail: `${bad[0]}: recorded ${bad[1]}, replay ${bad[2]}` });
      return;
    }
    const part = a.stateParts.find((p, i) => !sameBytes(p.digest, b.stateParts[i]!.digest));
    if (part || !sameBytes(a.stateDigest, b.stateDigest)) {
      this.differ({ seq: Infinity, what: 'footer', thread: -1, expected: null, actual: null, detail: `final machine state differs${part ? `, first in part "${part.name}"` : ' (the digest over the parts)'}` });
    }
  }
}
