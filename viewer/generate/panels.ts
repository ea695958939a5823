/**
 * Rows for the summary panels, aggregated by the generator first so no chart gets more than a few
 * thousand marks (SVG slows down past that): the top functions (profile.ts), the task-to-task IPC
 * matrix, a log-binned histogram of interrupt latency, and each thread's state over time
 * (thread-states.ts). Every panel covers the page's window and thread selection.
 */
import type { Analysis } from '../../analyze/db.js';
import type { ViewerPanels } from '../model.js';
import { buildProfile } from './profile.js';
import { buildThreadStates } from './thread-states.js';

export const PANEL_LIMITS = { functions: 40, matrixCells: 4900, threads: 40 } as const;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface PanelWindow {
  from: number;
  /** End of the window, at most the end of the run (where unfinished calls end). */
  to: number;
  /** SQL condition on utid for the kept threads. */
  threadFilter: string;
  keep: Set<number> | null;
  /** Labels of every thread by utid, as the timeline shows them. */
  labels: string[];
}

export async function buildPanels(a: Analysis, w: PanelWindow): Promise<ViewerPanels> {
  const profile = await buildProfile(a, w, PANEL_LIMITS.functions);

  const label = (p: string): string => `${p}.name || coalesce(' [' || ${p}.pid || ']', '')`;
  const kept = w.keep ? `(i.sender_utid IN (${[...w.keep].join(',') || '-1'}) OR i.receiver_utid IN (${[...w.keep].join(',') || '-1'}))` : 'TRUE';
  const matrix = (
    await a.query(`SELECT ${label('sp')} AS sender, coalesce(${label('rp')}, '(not received)') AS receiver, count(*) AS msgs, sum(i.bytes + 4 * i.words) AS bytes
                   FROM ipc i JOIN thread st ON st.utid = i.sender_utid LEFT JOIN thread rt ON rt.utid = i.receiver_utid
                   JOIN process sp ON sp.upid = st.upid LEFT JOIN process rp ON rp.upid = rt.upid
                   WHERE i.ts_send BETWEEN ${w.from} AND ${w.to} AND ${kept}
                   GROUP BY ALL ORDER BY msgs DESC LIMIT ${PANEL_LIMITS.matrixCells}`)
  ).rows.map((r) => ({ sender: String(r.sender), receiver: String(r.receiver), msgs: num(r.msgs), bytes: num(r.bytes) }));

  const irqLatency = (
    await a.query(`SELECT floor(log2(latency + 1))::INTEGER AS b, count(*) AS n FROM irq
                   WHERE latency IS NOT NULL AND ts_raise BETWEEN ${w.from} AND ${w.to} GROUP BY b ORDER BY b`)
  ).rows.map((r) => ({ x0: 2 ** num(r.b) - 1, x1: 2 ** (num(r.b) + 1) - 1, count: num(r.n) }));

  const threadStates = await buildThreadStates(a, w, PANEL_LIMITS.threads);
  return { profile, matrix, irqLatency, threadStates };
}
