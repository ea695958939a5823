/**
 * Each thread's state over time for the summary panel, from the scheduling table as the timeline's
 * state band has it (viewer/app/states.ts): running while on a CPU; between two intervals, the state
 * it was switched out in (ready, receiving, sending, blocked otherwise); from its first event to its
 * first interval, ready. Summed per time bucket in SQL; each bucket shows its dominant state (the title
 * gives every share), and runs of buckets with the same dominant state are one mark, so the chart stays
 * under a few thousand marks.
 */
import type { Analysis } from '../../analyze/db.js';
import type { ThreadStateCell } from '../model.js';

export const STATE_NAMES = ['running', 'ready', 'receiving', 'sending', 'blocked'] as const;

/** Marks at most (threads x buckets). */
const MAX_CELLS = 3000;

export async function buildThreadStates(
  a: Analysis,
  w: { from: number; to: number; keep: Set<number> | null; labels: string[] },
  maxThreads: number,
): Promise<ThreadStateCell[]> {
  const span = Math.max(1, w.to - w.from);
  const keep = w.keep ? `utid IN (${[...w.keep].join(',') || '-1'})` : 'TRUE';
  const rows = (
    await a.query(`WITH s AS (
        SELECT utid, ts, ts + dur AS te, end_state, lead(ts) OVER (PARTITION BY utid ORDER BY ts) AS nxt FROM sched WHERE ${keep}),
      iv AS (
        SELECT utid, ts AS a, te AS b, 'running' AS state FROM s
        UNION ALL
        SELECT utid, te, coalesce(nxt, ${w.to}),
               CASE end_state WHEN 'ready' THEN 'ready' WHEN 'running' THEN 'ready' WHEN 'receiving' THEN 'receiving' WHEN 'sending' THEN 'sending' ELSE 'blocked' END
        FROM s WHERE end_state <> 'dead'
        UNION ALL
        SELECT t.utid, t.start_ts, f.first, 'ready' FROM thread t JOIN (SELECT utid, min(ts) AS first FROM s GROUP BY utid) f USING (utid)
        WHERE t.start_ts < f.first),
      c AS (SELECT utid, greatest(a, ${w.from}) AS a, least(b, ${w.to}) AS b, state FROM iv WHERE b > ${w.from} AND a < ${w.to} AND b > a)
      SELECT utid, state, sum(b - a)::DOUBLE AS t FROM c GROUP BY ALL`)
  ).rows;
  // The threads that ran longest, shown in thread order.
  const running = new Map<number, number>();
  for (const r of rows) if (r.state === 'running') running.set(Number(r.utid), Number(r.t));
  const shown = [...running.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, maxThreads).map(([u]) => u).sort((x, y) => x - y);
  if (shown.length === 0) return [];
  const buckets = Math.min(100, Math.max(20, Math.floor(MAX_CELLS / shown.length)));
  const size = span / buckets;
  const cells = (
    await a.query(`WITH s AS (
        SELECT utid, ts, ts + dur AS te, end_state, lead(ts) OVER (PARTITION BY utid ORDER BY ts) AS nxt FROM sched WHERE utid IN (${shown.join(',')})),
      iv AS (
        SELECT utid, ts AS a, te AS b, 0 AS state FROM s
        UNION ALL
        SELECT utid, te, coalesce(nxt, ${w.to}),
               CASE end_state WHEN 'ready' THEN 1 WHEN 'running' THEN 1 WHEN 'receiving' THEN 2 WHEN 'sending' THEN 3 ELSE 4 END
        FROM s WHERE end_state <> 'dead'
        UNION ALL
        SELECT t.utid, t.start_ts, f.first, 1 FROM thread t JOIN (SELECT utid, min(ts) AS first FROM s GROUP BY utid) f USING (utid)
        WHERE t.start_ts < f.first),
      c AS (SELECT utid, greatest(a, ${w.from})::DOUBLE AS a, least(b, ${w.to})::DOUBLE AS b, state FROM iv WHERE b > ${w.from} AND a < ${w.to} AND b > a),
      k AS (SELECT utid, a, b, state, unnest(range(floor((a - ${w.from}) / ${size})::BIGINT, least(${buckets - 1}, floor((b - ${w.from}) / ${size}))::BIGINT + 1)) AS k FROM c)
      SELECT utid, k, state, sum(least(b, ${w.from} + (k + 1) * ${size}) - greatest(a, ${w.from} + k * ${size}))::DOUBLE AS t
      FROM k GROUP BY ALL ORDER BY utid, k, state`)
  ).rows;
  const label = uniqueLabels(shown, w.labels);
  const out: ThreadStateCell[] = [];
  let cur: { utid: number; k: number; shares: number[] } | null = null;
  const flush = (): void => {
    if (!cur) return;
    const total = cur.shares.reduce((x, y) => x + y, 0);
    let best = 0;
    for (let j = 1; j < cur.shares.length; j++) if (cur.shares[j]! > cur.shares[best]!) best = j;
    const t0 = w.from + cur.k * size;
    const cell: ThreadStateCell = {
      thread: label.get(cur.utid)!,
      t0,
      t1: t0 + size,
      state: STATE_NAMES[best]!,
      share: total > 0 ? cur.shares[best]! / total : 0,
      detail: STATE_NAMES.map((n, j) => [n, cur!.shares[j]!] as const)
        .filter(([, v]) => v > 0)
        .map(([n, v]) => `${n} ${((v / size) * 100).toFixed(0)}%`)
        .join(', '),
    };
    // A bucket with the same dominant state as the one before it joins its mark.
    const prev = out[out.length - 1];
    if (prev && prev.thread === cell.thread && prev.state === cell.state && prev.t1 >= cell.t0 - size * 1e-9) {
      prev.t1 = cell.t1;
      prev.share = Math.min(prev.share, cell.share);
      prev.detail = `${cell.state} in every bucket (at least ${(prev.share * 100).toFixed(0)}% of each)`;
    } else out.push(cell);
  };
  for (const r of cells) {
    const utid = Number(r.utid);
    const k = Number(r.k);
    if (!cur || cur.utid !== utid || cur.k !== k) {
      flush();
      cur = { utid, k, shares: [0, 0, 0, 0, 0] };
    }
    cur.shares[Number(r.state)]! += Number(r.t);
  }
  flush();
  return out;
}

/** The timeline's labels ("sigrace [2]"); a label two threads share gets their utids to tell them apart. */
function uniqueLabels(utids: number[], labels: string[]): Map<number, string> {
  const count = new Map<string, number>();
  for (const u of utids) count.set(labels[u] ?? `#${u}`, (count.get(labels[u] ?? `#${u}`) ?? 0) + 1);
  return new Map(utids.map((u) => {
    const l = labels[u] ?? `#${u}`;
    return [u, count.get(l)! > 1 ? `${l} (utid ${u})` : l];
  }));
}
