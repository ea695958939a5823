/**
 * Export to the Chrome trace-event JSON format (chrome://tracing, Perfetto's legacy importer): complete
 * ("X") events only, strictly nested per thread; process and thread names as metadata ("M") events; IPC
 * messages as flow v2 bindings (bind_id with flow_out / flow_in) on zero-length events where the message
 * leaves its sender and where it arrives (timeline.ts), so arrows run forward in time and one slice can
 * take part in several flows. Timestamps are microseconds with three decimals (ns resolution).
 * Refused beyond CHROME_MAX_EVENTS: viewers load the whole JSON into memory; use the Perfetto export (or
 * filter first) for bigger traces.
 */
import type { Analysis } from './db.js';
import { schedTimeline, timeline, timelineSize, traceClock } from './timeline.js';
import { UserError } from '../tracer/errors.js';

export const CHROME_MAX_EVENTS = 1_500_000;

export class ExportTooLarge extends UserError {}

/** Chrome pids and tids: Linux pids where a task is a Linux process, made-up ranges elsewhere. */
export const CHROME_IDS = {
  pidOfUpid: (upid: number, linuxPid: number | null): number => (linuxPid === null ? 100000 + upid : linuxPid),
  tidOfUtid: (utid: number): number => 200000 + utid,
  cpuPid: 0,
  tidOfCpu: (cpu: number): number => 300000 + cpu,
};

export async function exportChromeJson(a: Analysis, write: (s: string) => void, onProgress?: (done: number, total: number) => void): Promise<{ events: number }> {
  const count = await timelineSize(a);
  if (count > CHROME_MAX_EVENTS) {
    throw new ExportTooLarge(`${a.source ? `${a.source}: ` : ''}${count.toLocaleString('en-US')} events: more than the Chrome JSON export takes (${CHROME_MAX_EVENTS.toLocaleString('en-US')}); use --format perfetto, or filter the trace first`);
  }
  const clock = await traceClock(a);
  const us = (ns: number): number => ns / 1000;
  let events = 0;
  let pending = '';
  const put = (e: Record<string, unknown>): void => {
    pending += (events === 0 ? '\n' : ',\n') + JSON.stringify(e);
    events++;
    if (onProgress && events % 65536 === 0) onProgress(events, count);
    if (pending.length > 1 << 20) {
      write(pending);
      pending = '';
    }
  };
  write('{"displayTimeUnit":"ns","otherData":{"producer":"l4trace"},"traceEvents":[');
  const procs = await a.query('SELECT upid, pid, name FROM process ORDER BY upid');
  const pidOf = new Map(procs.rows.map((r) => [Number(r.upid), CHROME_IDS.pidOfUpid(Number(r.upid), r.pid === null ? null : Number(r.pid))]));
  for (const r of procs.rows) put({ ph: 'M', name: 'process_name', pid: pidOf.get(Number(r.upid)), tid: 0, args: { name: String(r.name) } });
  const threads = await a.query('SELECT utid, upid, name FROM thread ORDER BY utid');
  const pidOfThread = new Map(threads.rows.map((r) => [Number(r.utid), pidOf.get(Number(r.upid)) ?? 0]));
  for (const r of threads.rows) put({ ph: 'M', name: 'thread_name', pid: pidOfThread.get(Number(r.utid)), tid: CHROME_IDS.tidOfUtid(Number(r.utid)), args: { name: String(r.name) } });
  put({ ph: 'M', name: 'process_name', pid: CHROME_IDS.cpuPid, tid: 0, args: { name: 'CPUs' } });

  for await (const it of timeline(a, clock)) {
    const ids = { pid: pidOfThread.get(it.utid) ?? 0, tid: CHROME_IDS.tidOfUtid(it.utid) };
    if (it.kind === 'slice') put({ ph: 'X', name: it.name, cat: it.category, ts: us(it.ts), dur: us(it.end - it.ts), ...ids });
    else put({ ph: 'X', name: it.name, cat: 'flow', ts: us(it.ts), dur: 0, bind_id: `0x${it.flow.toString(16)}`, [it.kind === 'send' ? 'flow_out' : 'flow_in']: true, ...ids });
  }
  for await (const s of schedTimeline(a, clock)) {
    put({ ph: 'X', name: s.name, cat: 'sched', ts: us(s.ts), dur: us(s.end - s.ts), pid: CHROME_IDS.cpuPid, tid: CHROME_IDS.tidOfCpu(s.cpu) });
  }
  write(pending + '\n]}\n');
  return { events };
}
