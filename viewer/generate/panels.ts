/**
 * Rows for the summary panels, aggregated in SQL first so no chart gets more than a few thousand marks
 * (SVG slows down past that): the top functions, the task-to-task IPC matrix, a log-binned histogram of
 * interrupt latency, and per-thread running fractions over 100 time buckets.
 */
import type { Analysis } from '../../analyze/db.js';
import type { ViewerPanels } from '../model.js';

export const PANEL_LIMITS = { functions: 40, matrixCells: 4900, threads: 40, buckets: 100 } as const;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export async function buildPanels(a: Analysis, w: { from: number; to: number; threadFilter: string }): Promise<ViewerPanels> {
  const inWindow = `ts BETWEEN ${w.from} AND ${w.to}`;
  const profile = (
    await a.query(`SELECT name, count(*) AS calls, coalesce(sum(dur) FILTER (WHERE dur >= 0), 0) AS incl, coalesce(sum(self_dur) FILTER (WHERE self_dur >= 0), 0) AS excl
                   FROM slice WHERE category = 'func' AND ${w.threadFilter} AND ${inWindow}
                   GROUP BY name ORDER BY incl DESC, calls DESC LIMIT ${PANEL_LIMITS.functions}`)
  ).rows.map((r) => ({ name: String(r.name), calls: num(r.calls), incl: num(r.incl), excl: num(r.excl) }));

  const label = (p: string): string => `${p}.name || coalesce(' [' || ${p}.pid || ']', '')`;
  const matrix = (
    await a.query(`SELECT ${label('sp')} AS sender, coalesce(${label('rp')}, '(not received)') AS receiver, count(*) AS msgs, sum(i.bytes + 4 * i.words) AS bytes
                   FROM ipc i JOIN thread st ON st.utid = i.sender_utid LEFT JOIN thread rt ON rt.utid = i.receiver_utid
                   JOIN process sp ON sp.upid = st.upid LEFT JOIN process rp ON rp.upid = rt.upid
                   WHERE i.ts_send BETWEEN ${w.from} AND ${w.to}
                   GROUP BY ALL ORDER BY msgs DESC LIMIT ${PANEL_LIMITS.matrixCells}`)
  ).rows.map((r) => ({ sender: String(r.sender), receiver: String(r.receiver), msgs: num(r.msgs), bytes: num(r.bytes) }));

  const irqLatency = (
    await a.query(`SELECT floor(log2(latency + 1))::INTEGER AS b, count(*) AS n FROM irq
                   WHERE latency IS NOT NULL AND ts_raise BETWEEN ${w.from} AND ${w.to} GROUP BY b ORDER BY b`)
  ).rows.map((r) => ({ x0: 2 ** num(r.b) - 1, x1: 2 ** (num(r.b) + 1) - 1, count: num(r.n) }));

  // Running fraction per thread and bucket: each interval's overlap with each bucket, in SQL.
  const span = Math.max(1, w.to - w.from);
  const size = span / PANEL_LIMITS.buckets;
  const threadStates = (
    await a.query(`WITH top AS (
                     SELECT utid FROM sched WHERE ${w.threadFilter} AND ts <= ${w.to} AND ts + dur >= ${w.from}
                     GROUP BY utid ORDER BY sum(dur) DESC LIMIT ${PANEL_LIMITS.threads}),
                   b AS (SELECT range AS k, ${w.from} + range * ${size} AS t0, ${w.from} + (range + 1) * ${size} AS t1 FROM range(${PANEL_LIMITS.buckets})),
                   x AS (
                     SELECT s.utid, b.k, b.t0, b.t1, greatest(0, least(s.ts + s.dur, b.t1) - greatest(s.ts, b.t0)) AS run
                     FROM sched s JOIN top USING (utid) JOIN b ON s.ts < b.t1 AND s.ts + s.dur > b.t0)
                   SELECT x.utid, t.name || ' #' || x.utid AS thread, x.t0, x.t1, sum(x.run) / ${size} AS running
                   FROM x JOIN thread t USING (utid) GROUP BY ALL ORDER BY x.utid, x.t0`)
  ).rows.map((r) => ({ thread: String(r.thread), t0: num(r.t0), t1: num(r.t1), running: Math.min(1, num(r.running)) }));

  return { profile, matrix, irqLatency, threadStates };
}
