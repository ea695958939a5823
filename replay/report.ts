/**
 * The divergence report: the first differing event with its thread (L4 id and Linux pid), sequence
 * number and cycle time, the recorded and regenerated event decoded side by side, the decision-tape
 * position and the choice taken there, the thread's previous events, and a command that reproduces it.
 */
import { formatGid } from '../tracer/catalogue.js';
import { eventToJson, formatEventLine, type NameResolver } from '../tracer/describe.js';
import type { TraceEvent, TraceReader } from '../tracer/reader.js';
import { CHOICE_SITE_NAMES } from '../src/sim/choices.js';
import { previousEvents, type ReplayResult } from './replay.js';

export interface DivergenceReport {
  file: string;
  what: string;
  detail: string;
  seq: number | null;
  time: number | null;
  thread: { index: number; name: string; l4Id: string; linuxPid: number | null } | null;
  expected: string | null;
  actual: string | null;
  expectedEvent: Record<string, unknown> | null;
  actualEvent: Record<string, unknown> | null;
  tape: { position: number; lastChoice: { index: number; site: string; value: number; range: number; seq: number } | null };
  previous: string[];
  reproduce: string;
}

export function buildReport(reader: TraceReader, file: string, result: ReplayResult): DivergenceReport | null {
  const d = result.difference;
  if (!d) return null;
  const seq = Number.isFinite(d.seq) ? d.seq : null;
  const recordedNames: NameResolver = reader;
  const regenNames: NameResolver = {
    string: (id) => result.sink.strings[id] ?? `?${id}`,
    threadName: (i) => {
      const t = result.sink.threads[i];
      return t ? (result.sink.strings[t.name] ?? `#${i}`) : `#${i}`;
    },
  };
  const t = d.thread >= 0 ? reader.threads[d.thread] : undefined;
  const tape = reader.tape();
  let position = tape.seqs.length;
  if (seq !== null) {
    position = 0;
    while (position < tape.seqs.length && tape.seqs[position]! <= seq) position++;
  }
  const last = position > 0 ? position - 1 : -1;
  const time = d.expected?.time ?? d.actual?.time ?? null;
  const line = (e: TraceEvent | null, names: NameResolver): string | null => (e ? formatEventLine(e, names) : null);
  return {
    file,
    what: d.what,
    detail: d.detail,
    seq,
    time,
    thread: t ? { index: d.thread, name: reader.string(t.name), l4Id: formatGid(t.l4Id), linuxPid: t.linuxPid || null } : null,
    expected: line(d.expected, recordedNames),
    actual: line(d.actual, regenNames),
    expectedEvent: d.expected ? eventToJson(d.expected, recordedNames) : null,
    actualEvent: d.actual ? eventToJson(d.actual, regenNames) : null,
    tape: {
      position,
      lastChoice: last >= 0 ? { index: last, site: CHOICE_SITE_NAMES[tape.sites[last]!] ?? String(tape.sites[last]), value: tape.values[last]!, range: tape.ranges[last]!, seq: tape.seqs[last]! } : null,
    },
    previous: seq !== null && d.thread >= 0 ? previousEvents(reader, d.thread, seq).map((e) => formatEventLine(e, reader)) : [],
    reproduce: seq !== null ? `npx l4trace replay ${file} --until ${Math.max(0, seq - 1)} --inspect` : `npx l4trace replay ${file}`,
  };
}

export function formatReport(r: DivergenceReport): string[] {
  const out: string[] = [];
  const where = r.seq !== null ? `event #${r.seq}${r.time !== null ? ` at cycle ${r.time}` : ''}` : 'the end of the run';
  out.push(`first difference: ${where} (${r.what}): ${r.detail}`);
  if (r.thread) out.push(`thread     #${r.thread.index} ${r.thread.name}, L4 id ${r.thread.l4Id}${r.thread.linuxPid ? `, Linux pid ${r.thread.linuxPid}` : ''}`);
  out.push(`recorded   ${r.expected ?? '(no event)'}`);
  out.push(`replayed   ${r.actual ?? '(no event)'}`);
  const c = r.tape.lastChoice;
  out.push(`tape       position ${r.tape.position}${c ? `; last choice #${c.index}: ${c.site} ${c.value} of ${c.range}, before event #${c.seq}` : '; no choice made before it'}`);
  if (r.previous.length > 0) {
    out.push(`before it in this thread (recorded):`);
    for (const p of r.previous) out.push(`  ${p}`);
  }
  out.push(`reproduce  ${r.reproduce}`);
  return out;
}
