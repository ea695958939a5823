/**
 * `l4trace report`: a readable summary of a loaded trace, each section one SQL query over the schema:
 * the run, its threads, the top functions, the IPC matrix, interrupt latency, system calls, signals
 * with their kick results, the system calls Linux lacked (ENOSYS; the footer's
 * linux.unimplemented_syscall.* metrics), and losses.
 */
import type { Analysis, QueryResult } from './db.js';

export interface ReportSection {
  title: string;
  sql: string;
  result: QueryResult;
}

/**
 * The Linux kernel's functions: those on model-code threads (the server's kernel function trace).
 * Inclusive time counts a function's outermost frames only (`func_frame.outermost`), as function_summary.
 */
export function kernelFunctionsSql(order: 'incl' | 'excl'): string {
  return `SELECT n.name, count(*) AS calls, sum(f.dur) FILTER (WHERE f.dur >= 0 AND f.outermost) AS incl, sum(f.self_dur) FILTER (WHERE f.self_dur >= 0) AS excl, max(f.dur) AS max
    FROM func_frame f JOIN name n USING (name_id) JOIN thread t USING (utid) WHERE t.kind = 'model'
    GROUP BY n.name ORDER BY ${order} DESC NULLS LAST, n.name LIMIT 12`;
}

const SECTIONS: [string, string][] = [
  ['run', `SELECT key, value FROM metadata WHERE key IN ('scenario','flavour','cpus','seed','outcome','outcome_detail','end_time','events','filter_rules','rootfs_entries','rootfs_blobs','rootfs_blob_bytes') ORDER BY key`],
  ['threads (by events)', `SELECT utid, name, kind, linux_pid AS pid, events, events_lost AS lost FROM thread ORDER BY events DESC LIMIT 12`],
  ['top functions (inclusive cycles)', `SELECT name, calls, incl, excl, max, p50, p99 FROM function_summary ORDER BY incl DESC NULLS LAST LIMIT 12`],
  ['top kernel functions (Linux server, inclusive cycles)', kernelFunctionsSql('incl')],
  ['top kernel functions (Linux server, self cycles)', kernelFunctionsSql('excl')],
  ['IPC matrix (task to task, by messages)', `SELECT sender_task AS from_task, sender || coalesce(' [' || sender_pid || ']', '') AS sender, receiver_task AS to_task, receiver || coalesce(' [' || receiver_pid || ']', '') AS receiver, msgs, words, bytes, avg_latency, max_latency FROM ipc_matrix ORDER BY msgs DESC, sender_upid, receiver_upid LIMIT 15`],
  ['interrupts', `SELECT irq, count(*) AS raised, count(ts_deliver) AS delivered, round(avg(latency)) AS avg_latency, max(latency) AS max_latency FROM irq GROUP BY irq ORDER BY irq`],
  ['system calls', `SELECT name, count(*) AS calls, round(avg(dur) FILTER (WHERE dur >= 0)) AS avg_cycles, count(*) FILTER (WHERE dur < 0) AS unfinished FROM syscall GROUP BY name ORDER BY calls DESC LIMIT 15`],
  ['signals', `SELECT s.ts, t.name AS sent_by, from_pid, to_pid, sig_name, path, kick_name AS kick, ts_deliver, action FROM signal s JOIN thread t USING (utid) ORDER BY s.ts LIMIT 20`],
  [
    'unimplemented system calls',
    `SELECT substr(name, ${'linux.unimplemented_syscall.'.length + 1}) AS name, CAST(value AS BIGINT) AS calls FROM metric WHERE starts_with(name, 'linux.unimplemented_syscall.') ORDER BY calls DESC, name`,
  ],
  ['losses and load problems', `SELECT name, idx, severity, value FROM stats WHERE severity <> 'info' OR name = 'unbalanced_slices' ORDER BY severity, name`],
];

export async function buildReport(a: Analysis): Promise<ReportSection[]> {
  const out: ReportSection[] = [];
  for (const [title, sql] of SECTIONS) out.push({ title, sql, result: await a.query(sql) });
  return out;
}
