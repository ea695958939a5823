/**
 * Where the page opens: the part of the run that tells its story. In order:
 * - a run that did not end ok: its first failed message (a send or call whose result is an error, such as
 *   the signal race's kick that timed out) or signal kick that failed;
 * - a fault: the first fault signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE);
 * - a hang or deadlock: the last message still waiting at the end (the one that closed the cycle);
 * - otherwise, in a run of at least DENSE_MIN messages, the densest IPC window (the 1/64 of the run with
 *   the most messages, with its neighbours); a run with fewer opens whole.
 * The window spans the cause and the FOCUS_EVENTS messages and signals on either side of it, padded;
 * `0` in the page shows the whole run. Null when the run has no messages at all (the page shows it whole).
 */
import type { Analysis } from '../../analyze/db.js';
import type { ViewerFocus } from '../model.js';

/** Messages and signals kept on either side of the cause. */
export const FOCUS_EVENTS = 12;
const BUCKETS = 64;
/** Messages a run needs before its densest window is worth opening on (fewer: the whole run reads). */
export const DENSE_MIN = 256;
const FAULT_SIGNALS = `('SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE')`;

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function findFocus(a: Analysis, w: { from: number; to: number; outcome: string }): Promise<ViewerFocus | null> {
  const inWindow = (col: string): string => `${col} BETWEEN ${w.from} AND ${w.to}`;
  let cause: { t: number; reason: string } | null = null;
  if (w.outcome !== 'ok' && w.outcome !== '') {
    const failed = (
      await a.query(`SELECT ts::DOUBLE AS t, what FROM (
          SELECT ts_send AS ts, 'the first failed message (' || kind || ', ' || result_name || ')' AS what, 0 AS o FROM ipc
            WHERE kind IN ('send', 'call') AND result IS NOT NULL AND result_name <> 'ok' AND ${inWindow('ts_send')}
          UNION ALL
          SELECT ts, 'the first failed signal kick (' || sig_name || ', ' || kick_name || ')', 1 FROM signal
            WHERE kick_result <> 0 AND ${inWindow('ts')})
        ORDER BY ts, o LIMIT 1`)
    ).rows[0];
    if (failed) cause = { t: Number(failed.t), reason: String(failed.what) };
  }
  if (!cause) {
    const fault = (await a.query(`SELECT ts::DOUBLE AS t, sig_name FROM signal WHERE sig_name IN ${FAULT_SIGNALS} AND ${inWindow('ts')} ORDER BY ts, id LIMIT 1`)).rows[0];
    if (fault) cause = { t: Number(fault.t), reason: `the first fault (${String(fault.sig_name)})` };
  }
  if (!cause && (w.outcome === 'hang' || w.outcome === 'deadlock')) {
    const last = (await a.query(`SELECT max(ts_send)::DOUBLE AS t FROM ipc WHERE result IS NULL AND kind IN ('send', 'call') AND ${inWindow('ts_send')}`)).rows[0];
    const t = numOrNull(last?.t);
    if (t !== null) cause = { t, reason: `the ${w.outcome}: the last message still waiting at the end` };
  }
  if (cause) {
    const c = cause.t;
    const around = (await a.query(`WITH ev AS (SELECT ts_send AS ts FROM ipc WHERE ${inWindow('ts_send')} UNION ALL SELECT ts FROM signal WHERE ${inWindow('ts')})
        SELECT (SELECT min(ts) FROM (SELECT ts FROM ev WHERE ts < ${c} ORDER BY ts DESC LIMIT ${FOCUS_EVENTS}))::DOUBLE AS lo,
               (SELECT max(ts) FROM (SELECT ts FROM ev WHERE ts > ${c} ORDER BY ts LIMIT ${FOCUS_EVENTS}))::DOUBLE AS hi`)).rows[0]!;
    return padded(w, numOrNull(around.lo) ?? c, numOrNull(around.hi) ?? c, cause.reason);
  }
  // No cause: the densest window of messages.
  if (Number(await a.scalar(`SELECT count(*) FROM ipc WHERE ${inWindow('ts_send')}`)) < DENSE_MIN) return null;
  const span = Math.max(1, w.to - w.from);
  const width = Math.max(1, Math.ceil(span / BUCKETS));
  const dense = (
    await a.query(`SELECT floor((ts_send - ${w.from}) / ${width})::BIGINT AS b, count(*) AS n FROM ipc WHERE ${inWindow('ts_send')} GROUP BY b ORDER BY n DESC, b LIMIT 1`)
  ).rows[0];
  if (!dense) return null;
  const b = Number(dense.b);
  return padded(w, w.from + (b - 1) * width, w.from + (b + 2) * width, `the densest IPC window (${Number(dense.n).toLocaleString('en-US')} messages in 1/${BUCKETS} of the run)`);
}

/** [lo, hi] padded by 10% (at least 500 cycles), inside the window; null when that is the window itself. */
function padded(w: { from: number; to: number }, lo: number, hi: number, reason: string): ViewerFocus | null {
  const pad = Math.max(500, (hi - lo) * 0.1);
  const from = Math.max(w.from, Math.floor(lo - pad));
  const to = Math.min(w.to, Math.ceil(hi + pad));
  if (from <= w.from && to >= w.to) return null;
  return { from, to, reason };
}
