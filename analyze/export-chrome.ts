/**
 * Export to the Chrome trace-event JSON format (chrome://tracing, Perfetto's legacy importer): complete
 * ("X") events only, strictly nested per thread, each with `args`: the l4trace sequence number (`seq`)
 * and the same annotations as the Perfetto export (timeline.ts). Process and thread names are metadata
 * ("M") events: one process_name per pid (a pid that execs keeps it, with its latest name), one
 * thread_name per thread (its label, as everywhere). IPC messages and signals are flow v2 bindings
 * (bind_id with flow_out / flow_in) on zero-length events where the message or signal leaves and where
 * it arrives, so arrows run forward in time and one slice can take part in several flows. System calls
 * get a thread of their own per calling pid ("syscalls [pid]") in the caller's process; CPUs are the
 * threads of a "CPUs" process. Timestamps are microseconds with three decimals (ns resolution).
 *
 * Streamed: rows come from DuckDB chunk by chunk and the JSON goes out in ~1 MiB writes, one event per
 * line, so memory stays bounded whatever the trace's size (no event limit). Whether a viewer can load
 * a file of hundreds of megabytes is the viewer's matter: Perfetto's UI reads them; filter first, or
 * use the Perfetto export, for the biggest.
 */
import type { Analysis } from './db.js';
import { schedTimeline, syscallTimeline, timeline, timelineNames, timelineSize, traceClock } from './timeline.js';

/** Chrome pids and tids: Linux pids where a task is a Linux process, made-up ranges elsewhere. */
export const CHROME_IDS = {
  pidOfUpid: (upid: number, linuxPid: number | null): number => (linuxPid === null ? 100000 + upid : linuxPid),
  tidOfUtid: (utid: number): number => 200000 + utid,
  cpuPid: 0,
  tidOfCpu: (cpu: number): number => 300000 + cpu,
  tidOfSyscallTrack: (k: number): number => 400000 + k,
};

/**
 * The processes as the exports show them: the pid of every upid, and one name per pid, the latest
 * incarnation's (a pid that execs is one process whose name changes; its last name stands for it).
 */
export async function chromeProcesses(a: Analysis): Promise<{ pidOfUpid: Map<number, number>; nameOfPid: Map<number, string> }> {
  const procs = await a.query('SELECT upid, pid, name FROM process ORDER BY coalesce(start_ts, -1), upid');
  const pidOfUpid = new Map<number, number>();
  const nameOfPid = new Map<number, string>();
  for (const r of procs.rows) {
    const pid = CHROME_IDS.pidOfUpid(Number(r.upid), r.pid === null ? null : Number(r.pid));
    pidOfUpid.set(Number(r.upid), pid);
    nameOfPid.set(pid, String(r.name));
  }
  return { pidOfUpid, nameOfPid };
}

export async function exportChromeJson(a: Analysis, write: (s: string) => void, onProgress?: (done: number, total: number) => void): Promise<{ events: number }> {
  const total = onProgress ? await timelineSize(a) : 0;
  const clock = await traceClock(a);
  const us = (ns: number): number => ns / 1000;
  let events = 0;
  let done = 0;
  let pending = '';
  const put = (e: Record<string, unknown>): void => {
    pending += (events === 0 ? '\n' : ',\n') + JSON.stringify(e);
    events++;
    if (pending.length > 1 << 20) {
      write(pending);
      pending = '';
    }
  };
  const step = (): void => {
    if (onProgress && ++done % 65536 === 0) onProgress(done, total);
  };
  write('{"displayTimeUnit":"ns","otherData":{"producer":"l4trace"},"traceEvents":[');
  const { pidOfUpid, nameOfPid } = await chromeProcesses(a);
  for (const [pid, name] of [...nameOfPid].sort((x, y) => x[0] - y[0])) put({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } });
  const threads = await a.query('SELECT t.utid, t.upid, l.label FROM thread t JOIN thread_label l USING (utid) ORDER BY t.utid');
  const pidOfThread = new Map(threads.rows.map((r) => [Number(r.utid), pidOfUpid.get(Number(r.upid)) ?? CHROME_IDS.pidOfUpid(-1, null)]));
  for (const r of threads.rows) put({ ph: 'M', name: 'thread_name', pid: pidOfThread.get(Number(r.utid)), tid: CHROME_IDS.tidOfUtid(Number(r.utid)), args: { name: String(r.label) } });
  if (!nameOfPid.has(CHROME_IDS.cpuPid)) put({ ph: 'M', name: 'process_name', pid: CHROME_IDS.cpuPid, tid: 0, args: { name: 'CPUs' } });

  const names = await timelineNames(a);
  for await (const it of timeline(a, clock, names)) {
    step();
    const pid = pidOfThread.get(it.utid) ?? CHROME_IDS.pidOfUpid(-1, null);
    const tid = CHROME_IDS.tidOfUtid(it.utid);
    const args = it.args.toObject();
    if (it.kind === 'slice') put({ ph: 'X', name: it.name, cat: it.category, ts: us(it.ts), dur: us(it.end - it.ts), pid, tid, args });
    else if (it.flow) put({ ph: 'X', name: it.name, cat: it.category, ts: us(it.ts), dur: 0, pid, tid, bind_id: `0x${it.flow.toString(16)}`, [it.kind === 'send' ? 'flow_out' : 'flow_in']: true, args });
    else put({ ph: 'X', name: it.name, cat: it.category, ts: us(it.ts), dur: 0, pid, tid, args });
  }
  let k = -1;
  let pid = 0;
  for await (const s of syscallTimeline(a, clock, names)) {
    step();
    if (s.newTrack) {
      k++;
      pid = pidOfUpid.get(s.upid) ?? CHROME_IDS.pidOfUpid(-1, null);
      put({ ph: 'M', name: 'thread_name', pid, tid: CHROME_IDS.tidOfSyscallTrack(k), args: { name: `syscalls [${s.pid}]` } });
    }
    put({ ph: 'X', name: s.name, cat: 'syscall', ts: us(s.ts), dur: us(s.end - s.ts), pid, tid: CHROME_IDS.tidOfSyscallTrack(k), args: s.args.toObject() });
  }
  let cpu = -1;
  for await (const s of schedTimeline(a, clock, names)) {
    step();
    if (s.cpu !== cpu) {
      cpu = s.cpu;
      put({ ph: 'M', name: 'thread_name', pid: CHROME_IDS.cpuPid, tid: CHROME_IDS.tidOfCpu(cpu), args: { name: `CPU ${cpu}` } });
    }
    put({ ph: 'X', name: s.name, cat: 'sched', ts: us(s.ts), dur: us(s.end - s.ts), pid: CHROME_IDS.cpuPid, tid: CHROME_IDS.tidOfCpu(s.cpu), args: s.args.toObject() });
  }
  write(pending + '\n]}\n');
  return { events };
}
