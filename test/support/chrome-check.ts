/**
 * A schema check of a Chrome trace-event JSON export: the document shape, every event's required
 * fields, strict nesting of complete events per thread (in integer nanoseconds, as the exporter writes
 * them), flow pairing (each bind_id has exactly one flow_out, then one flow_in no earlier in time), and
 * one process_name per pid.
 * Returns the problems found (empty when the file is valid).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface ChromeEvent {
  ph?: unknown;
  name?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  bind_id?: unknown;
  flow_in?: unknown;
  flow_out?: unknown;
  args?: unknown;
}

export function checkChromeTrace(doc: unknown): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) return ['no traceEvents array'];
  const events = (doc as { traceEvents: ChromeEvent[] }).traceEvents;
  const byThread = new Map<string, { ts: number; end: number; i: number }[]>();
  const flows = new Map<string, { out: number[]; in: number[] }>();
  const processNamed = new Set<unknown>();
  events.forEach((e, i) => {
    const where = `event ${i} (${JSON.stringify(e).slice(0, 80)})`;
    if (e.ph === 'M') {
      if (!['process_name', 'thread_name'].includes(String(e.name)) || typeof (e.args as { name?: unknown })?.name !== 'string') problems.push(`${where}: bad metadata event`);
      if (e.name === 'process_name') {
        if (processNamed.has(e.pid)) problems.push(`${where}: a second process_name for pid ${String(e.pid)}`);
        processNamed.add(e.pid);
      }
      return;
    }
    if (e.ph !== 'X') return void problems.push(`${where}: phase ${String(e.ph)}, expected X or M`);
    if (typeof e.name !== 'string' || !Number.isInteger(e.pid) || !Number.isInteger(e.tid)) return void problems.push(`${where}: name, pid or tid missing`);
    if (typeof e.ts !== 'number' || typeof e.dur !== 'number' || e.dur < 0) return void problems.push(`${where}: ts or dur missing or negative`);
    const ts = Math.round(e.ts * 1000);
    const end = Math.round((e.ts + e.dur) * 1000);
    const key = `${String(e.pid)}/${String(e.tid)}`;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push({ ts, end, i });
    if (e.bind_id !== undefined) {
      if (typeof e.bind_id !== 'string') return void problems.push(`${where}: bind_id is not a string`);
      if ((e.flow_in === true) === (e.flow_out === true)) return void problems.push(`${where}: a flow event needs exactly one of flow_in, flow_out`);
      let f = flows.get(e.bind_id);
      if (!f) flows.set(e.bind_id, (f = { out: [], in: [] }));
      (e.flow_out === true ? f.out : f.in).push(ts);
    }
  });
  for (const [key, list] of byThread) {
    // Sorted by start, longer first at equal starts (as viewers nest them), every event must end
    // within the innermost open one. A zero-length event at the instant an event ends sits inside it.
    list.sort((x, y) => x.ts - y.ts || y.end - x.end || x.i - y.i);
    const open: { end: number; i: number }[] = [];
    for (const s of list) {
      while (open.length > 0 && open[open.length - 1]!.end <= s.ts && !(s.end === s.ts && open[open.length - 1]!.end === s.ts)) open.pop();
      const top = open[open.length - 1];
      if (top && s.end > top.end) problems.push(`thread ${key}: event ${s.i} [${s.ts}, ${s.end}] overlaps event ${top.i} ending at ${top.end}`);
      open.push({ end: s.end, i: s.i });
    }
  }
  for (const [id, f] of flows) {
    if (f.out.length !== 1 || f.in.length !== 1) problems.push(`flow ${id}: ${f.out.length} flow_out and ${f.in.length} flow_in events, expected one each`);
    else if (f.in[0]! < f.out[0]!) problems.push(`flow ${id}: arrives at ${f.in[0]} ns before it leaves at ${f.out[0]} ns`);
  }
  return problems;
}

/**
 * Check a Chrome JSON export too big to parse as one string (V8 strings stop at ~512 MB) without
 * holding it: the exporter writes one event per line between a header line and a closing line, so the
 * file is valid JSON when the header with the closing appended parses to an object with an empty
 * traceEvents array, every event line parses (less its separating comma) to an object, the commas
 * separate exactly (every event line but the last ends with one), and the last line closes the array
 * and the object. Also checks what each event must have (ph, name, pid, tid; ts and dur and args for
 * complete events) and counts process_name events per pid.
 */
export function checkChromeJsonFile(path: string, onEvent?: (e: ChromeEvent) => void): { events: number; problems: string[]; processNames: Map<number, number> } {
  const problems: string[] = [];
  const problem = (s: string): void => void (problems.length < 20 && problems.push(s));
  const processNames = new Map<number, number>();
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(16 << 20);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  let events = 0;
  let lastHadComma = false;
  let closed = false;
  const onLine = (text: string): void => {
    if (line++ === 0) {
      try {
        const head = JSON.parse(`${text}]}`) as { traceEvents?: unknown };
        if (!Array.isArray(head.traceEvents) || head.traceEvents.length !== 0) problem('header: no empty traceEvents array');
      } catch (e) {
        problem(`header: ${(e as Error).message}`);
      }
      return;
    }
    if (closed) return void (text !== '' && problem(`line ${line}: text after the closing line`));
    if (text === ']}') {
      if (lastHadComma) problem(`line ${line}: the last event is followed by a comma`);
      closed = true;
      return;
    }
    if (events > 0 && !lastHadComma) problem(`line ${line}: no comma after the previous event`);
    lastHadComma = text.endsWith(',');
    let e: ChromeEvent;
    try {
      e = JSON.parse(lastHadComma ? text.slice(0, -1) : text) as ChromeEvent;
    } catch (err) {
      return problem(`line ${line}: ${(err as Error).message}`);
    }
    events++;
    if (typeof e !== 'object' || e === null) return problem(`line ${line}: not an object`);
    if (typeof e.name !== 'string' || !Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problem(`line ${line}: name, pid or tid missing`);
    if (e.ph === 'M') {
      if (e.name === 'process_name') processNames.set(e.pid as number, (processNames.get(e.pid as number) ?? 0) + 1);
    } else if (e.ph === 'X') {
      if (typeof e.ts !== 'number' || typeof e.dur !== 'number' || e.dur < 0) problem(`line ${line}: ts or dur missing or negative`);
      if (typeof e.args !== 'object' || e.args === null) problem(`line ${line}: no args`);
    } else problem(`line ${line}: phase ${String(e.ph)}`);
    onEvent?.(e);
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = carry + decoder.write(buf.subarray(0, n));
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const l of lines) onLine(l);
    }
  } finally {
    closeSync(fd);
  }
  carry += decoder.end();
  if (carry !== '') onLine(carry);
  if (!closed) problem('the file ends before the closing line');
  return { events, problems, processNames };
}
