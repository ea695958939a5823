/**
 * A schema check of a Chrome trace-event JSON export: the document shape, every event's required
 * fields, strict nesting of complete events per thread (in integer nanoseconds, as the exporter writes
 * them), and flow pairing (each bind_id has exactly one flow_out, then one flow_in no earlier in time).
 * Returns the problems found (empty when the file is valid).
 */
interface ChromeEvent {
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
  events.forEach((e, i) => {
    const where = `event ${i} (${JSON.stringify(e).slice(0, 80)})`;
    if (e.ph === 'M') {
      if (!['process_name', 'thread_name'].includes(String(e.name)) || typeof (e.args as { name?: unknown })?.name !== 'string') problems.push(`${where}: bad metadata event`);
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
