/**
 * Export to the Chrome trace-event JSON format (chrome://tracing, Perfetto's legacy importer): complete
 * ("X") events only, strictly nested per thread; process and thread names as metadata ("M") events; IPC
 * messages as flow v2 bindings (bind_id with flow_out / flow_in) on zero-length events placed at the
 * start of the sending and receiving slices, so one slice can take part in several flows. Timestamps are
 * microseconds with three decimals. Refused beyond CHROME_MAX_EVENTS: the format is for small traces;
 * use the Perfetto export (or filter first) for bigger ones.
 */
import type { Analysis } from './db.js';

export const CHROME_MAX_EVENTS = 1_500_000;

export class ExportTooLarge extends Error {}

export async function exportChromeJson(a: Analysis, write: (s: string) => void): Promise<{ events: number }> {
  const count = Number(await a.scalar('SELECT (SELECT count(*) FROM slice) + (SELECT count(*) FROM sched) + 2 * (SELECT count(*) FROM flow)'));
  if (count > CHROME_MAX_EVENTS) {
    throw new ExportTooLarge(`${count.toLocaleString('en-US')} events: more than the Chrome JSON export takes (${CHROME_MAX_EVENTS.toLocaleString('en-US')}); use --format perfetto, or filter the trace first`);
  }
  const cyclesPerUs = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'cycles_per_us'")) || 1;
  const endTs = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'end_time'")) || 0;
  const ns = (cycles: number): number => Math.round((cycles * 1000) / cyclesPerUs);
  const us = (n: number): number => Math.round(n) / 1000;
  let events = 0;
  let first = true;
  const put = (e: Record<string, unknown>): void => {
    write((first ? '\n' : ',\n') + JSON.stringify(e));
    first = false;
    events++;
  };
  write('{"displayTimeUnit":"ns","otherData":{"producer":"l4trace"},"traceEvents":[');
  const procs = await a.query('SELECT upid, pid, name FROM process ORDER BY upid');
  const pidOf = new Map(procs.rows.map((r) => [Number(r.upid), r.pid === null ? 100000 + Number(r.upid) : Number(r.pid)]));
  for (const r of procs.rows) put({ ph: 'M', name: 'process_name', pid: pidOf.get(Number(r.upid)), tid: 0, args: { name: String(r.name) } });
  const threads = await a.query('SELECT utid, upid, name FROM thread ORDER BY utid');
  const tidOf = (utid: number): number => 200000 + utid;
  const pidOfThread = new Map(threads.rows.map((r) => [Number(r.utid), pidOf.get(Number(r.upid)) ?? 0]));
  for (const r of threads.rows) put({ ph: 'M', name: 'thread_name', pid: pidOfThread.get(Number(r.utid)), tid: tidOf(Number(r.utid)), args: { name: String(r.name) } });
  put({ ph: 'M', name: 'process_name', pid: 0, tid: 0, args: { name: 'CPUs' } });

  const flows = await a.query('SELECT id, slice_out, slice_in FROM flow');
  const ends = new Map<number, { id: number; dir: 'out' | 'in' }[]>();
  for (const f of flows.rows) {
    for (const [slice, dir] of [[Number(f.slice_out), 'out'], [Number(f.slice_in), 'in']] as const) {
      let list = ends.get(slice);
      if (!list) ends.set(slice, (list = []));
      list.push({ id: Number(f.id), dir });
    }
  }
  const slices = await a.query('SELECT id, ts, dur, utid, category, name FROM slice ORDER BY utid, ts, depth, id');
  for (const s of slices.rows) {
    const ts = ns(Number(s.ts));
    const end = ns(Number(s.dur) >= 0 ? Number(s.ts) + Number(s.dur) : Math.max(Number(s.ts), endTs));
    const utid = Number(s.utid);
    const base = { pid: pidOfThread.get(utid) ?? 0, tid: tidOf(utid) };
    put({ ph: 'X', name: String(s.name), cat: String(s.category), ts: us(ts), dur: us(end - ts), ...base });
    for (const e of ends.get(Number(s.id)) ?? []) {
      put({ ph: 'X', name: e.dir === 'out' ? 'ipc send' : 'ipc receive', cat: 'flow', ts: us(ts), dur: 0, bind_id: `0x${(e.id + 1).toString(16)}`, [e.dir === 'out' ? 'flow_out' : 'flow_in']: true, ...base });
    }
  }
  const sched = await a.query('SELECT s.ts, s.dur, s.cpu, t.name FROM sched s JOIN thread t USING (utid) ORDER BY cpu, ts');
  for (const s of sched.rows) {
    const ts = ns(Number(s.ts));
    put({ ph: 'X', name: String(s.name), cat: 'sched', ts: us(ts), dur: us(ns(Number(s.ts) + Number(s.dur)) - ts), pid: 0, tid: 300000 + Number(s.cpu) });
  }
  write('\n]}\n');
  return { events };
}
