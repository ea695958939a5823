/**
 * The analyzer's schema: Perfetto's table names and meanings (process, thread, track, slice, flow,
 * sched, stats, metadata) plus the L4 and Linux tables (ipc, irq, pf, syscall, signal). Timestamps are
 * cycles of the simulated CPU (`metadata.cycles_per_us` converts). docs/sql-schema.md documents every
 * column.
 */
import type { ColumnSpec } from './table-writer.js';

/**
 * 2: values that come from the trace's payloads (pids, tasks, priorities, IRQ numbers, words, results) are BIGINT: a uint32 field no longer wraps negative.
 * 3: the `metric` table (the footer's results) and the root file system's facts in `metadata`.
 * 4: views `func_frame` (a function call with `outermost`: no frame of the same function below it on its
 *    thread's stack) and `thread_label`; `function_summary.incl` counts outermost frames only.
 * 5: the sequence numbers of every event the exports show (`sched.seq`, `ipc.recv_seq`, `syscall.seq`,
 *    `signal.deliver_seq`) and the thread a signal was delivered on (`signal.deliver_utid`).
 */
export const SCHEMA_VERSION = 5;

/**
 * A thread as every output names it (the viewer's track list and details, the SQL view `thread_label`,
 * the exports): its name, its Linux pid in brackets when it has one, and its L4 id:
 * `sigrace [1] 10.00v1`, `sigma0 2.00v1`.
 */
export function threadLabel(name: string, linuxPid: number | null, l4Id: string): string {
  return linuxPid !== null ? `${name} [${linuxPid}] ${l4Id}` : `${name} ${l4Id}`;
}

/** The same label in SQL, over a row of `thread` (alias `t`). */
export const THREAD_LABEL_SQL = (t = 'thread'): string => `${t}.name || coalesce(' [' || ${t}.linux_pid || ']', '') || ' ' || ${t}.l4_id`;

/** slice_raw.category_id: function calls, IPC operations (IPC to its result), page faults. */
export const CATEGORY = { func: 0, ipc: 1, pf: 2 } as const;

const col = (name: string, type: ColumnSpec['type'], nullable = false): ColumnSpec => ({ name, type, nullable });

export const TABLES: Record<string, ColumnSpec[]> = {
  metadata: [col('key', 'VARCHAR'), col('value', 'VARCHAR')],
  stats: [col('name', 'VARCHAR'), col('idx', 'INTEGER'), col('severity', 'VARCHAR'), col('source', 'VARCHAR'), col('value', 'BIGINT')],
  metric: [col('name', 'VARCHAR'), col('value', 'DOUBLE'), col('unit', 'VARCHAR')],
  process: [
    col('upid', 'INTEGER'),
    col('pid', 'BIGINT', true),
    col('name', 'VARCHAR'),
    col('kind', 'VARCHAR'),
    col('task', 'BIGINT'),
    col('parent_upid', 'INTEGER', true),
    col('start_ts', 'BIGINT', true),
    col('end_ts', 'BIGINT', true),
  ],
  thread: [
    col('utid', 'INTEGER'),
    col('tid', 'BIGINT'),
    col('l4_id', 'VARCHAR'),
    col('name', 'VARCHAR'),
    col('upid', 'INTEGER', true),
    col('kind', 'VARCHAR'),
    col('task', 'BIGINT'),
    col('lthread', 'BIGINT'),
    col('cpu', 'INTEGER'),
    col('priority', 'BIGINT'),
    col('linux_pid', 'BIGINT', true),
    col('events', 'BIGINT'),
    col('events_lost', 'BIGINT'),
    col('start_ts', 'BIGINT', true),
    col('end_ts', 'BIGINT', true),
    col('exit_ts', 'BIGINT', true),
    col('linux_tgid', 'BIGINT', true),
  ],
  track: [col('id', 'INTEGER'), col('type', 'VARCHAR'), col('name', 'VARCHAR'), col('utid', 'INTEGER', true), col('cpu', 'INTEGER', true), col('irq', 'BIGINT', true)],
  name: [col('name_id', 'INTEGER'), col('name', 'VARCHAR')],
  slice_raw: [
    col('id', 'BIGINT'),
    col('ts', 'BIGINT'),
    col('dur', 'BIGINT'),
    col('utid', 'INTEGER'),
    col('category_id', 'INTEGER'),
    col('name_id', 'INTEGER'),
    col('depth', 'INTEGER'),
    col('parent_id', 'BIGINT', true),
    col('self_dur', 'BIGINT'),
    col('seq', 'BIGINT'),
  ],
  flow: [col('id', 'BIGINT'), col('slice_out', 'BIGINT'), col('slice_in', 'BIGINT'), col('ipc_id', 'BIGINT'), col('kind', 'VARCHAR')],
  sched: [
    col('id', 'BIGINT'),
    col('ts', 'BIGINT'),
    col('dur', 'BIGINT'),
    col('cpu', 'INTEGER'),
    col('utid', 'INTEGER'),
    col('end_state', 'VARCHAR'),
    col('priority', 'BIGINT'),
    col('switch_reason', 'VARCHAR'),
    col('seq', 'BIGINT'),
  ],
  ipc: [
    col('id', 'BIGINT'),
    col('kind', 'VARCHAR'),
    col('sender_utid', 'INTEGER'),
    col('receiver_utid', 'INTEGER', true),
    col('dest', 'VARCHAR'),
    col('label', 'BIGINT'),
    col('words', 'BIGINT'),
    col('bytes', 'BIGINT'),
    col('ts_send', 'BIGINT'),
    col('ts_recv', 'BIGINT', true),
    col('ts_reply', 'BIGINT', true),
    col('result', 'BIGINT', true),
    col('result_name', 'VARCHAR', true),
    col('send_slice_id', 'BIGINT', true),
    col('recv_slice_id', 'BIGINT', true),
    col('seq', 'BIGINT'),
    col('recv_seq', 'BIGINT', true),
  ],
  irq: [
    col('id', 'BIGINT'),
    col('irq', 'BIGINT'),
    col('ts_raise', 'BIGINT'),
    col('ts_deliver', 'BIGINT', true),
    col('latency', 'BIGINT', true),
    col('handler_utid', 'INTEGER', true),
    col('interrupted_utid', 'INTEGER', true),
    col('masked', 'BOOLEAN'),
    col('coalesced', 'BIGINT'),
  ],
  pf: [
    col('id', 'BIGINT'),
    col('ts', 'BIGINT'),
    col('dur', 'BIGINT'),
    col('utid', 'INTEGER'),
    col('addr', 'BIGINT'),
    col('write', 'BOOLEAN'),
    col('ip', 'BIGINT'),
    col('task', 'BIGINT'),
    col('result', 'BIGINT', true),
    col('mapped', 'BOOLEAN', true),
  ],
  syscall: [
    col('id', 'BIGINT'),
    col('ts', 'BIGINT'),
    col('dur', 'BIGINT'),
    col('utid', 'INTEGER'),
    col('pid', 'BIGINT'),
    col('nr', 'BIGINT'),
    col('name', 'VARCHAR'),
    col('arg0', 'BIGINT'),
    col('arg1', 'BIGINT'),
    col('arg2', 'BIGINT'),
    col('ret', 'BIGINT', true),
    col('seq', 'BIGINT'),
  ],
  signal: [
    col('id', 'BIGINT'),
    col('ts', 'BIGINT'),
    col('utid', 'INTEGER'),
    col('from_pid', 'BIGINT'),
    col('to_pid', 'BIGINT'),
    col('sig', 'BIGINT'),
    col('sig_name', 'VARCHAR'),
    col('path', 'VARCHAR'),
    col('kick_result', 'BIGINT'),
    col('kick_name', 'VARCHAR'),
    col('ts_deliver', 'BIGINT', true),
    col('action', 'VARCHAR', true),
    col('handler', 'BIGINT', true),
    col('seq', 'BIGINT'),
    col('deliver_utid', 'INTEGER', true),
    col('deliver_seq', 'BIGINT', true),
  ],
};

export function createTablesSql(): string {
  return Object.entries(TABLES)
    .map(([t, cols]) => `CREATE TABLE ${t} (${cols.map((c) => `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}`).join(', ')});`)
    .join('\n');
}

/** Views and table macros, created after loading. */
export const VIEWS_SQL = `
CREATE VIEW slice AS
  SELECT s.id, s.ts, s.dur, s.utid AS track_id, s.utid,
         CASE s.category_id WHEN 0 THEN 'func' WHEN 1 THEN 'ipc' ELSE 'pf' END AS category,
         n.name, s.depth, s.parent_id, s.self_dur, s.seq
  FROM slice_raw s JOIN name n USING (name_id);

CREATE VIEW ipc_matrix AS
  SELECT st.upid AS sender_upid, sp.task AS sender_task, sp.pid AS sender_pid, sp.name AS sender,
         rt.upid AS receiver_upid, rp.task AS receiver_task, rp.pid AS receiver_pid,
         coalesce(rp.name, '(not received)') AS receiver,
         count(*) AS msgs, sum(i.words) AS words, sum(i.bytes) AS bytes,
         sum(i.ts_recv - i.ts_send) AS sum_latency, round(avg(i.ts_recv - i.ts_send)) AS avg_latency,
         max(i.ts_recv - i.ts_send) AS max_latency
  FROM ipc i
  JOIN thread st ON st.utid = i.sender_utid
  LEFT JOIN thread rt ON rt.utid = i.receiver_utid
  LEFT JOIN process sp ON sp.upid = st.upid
  LEFT JOIN process rp ON rp.upid = rt.upid
  GROUP BY ALL;

CREATE VIEW thread_label AS
  SELECT utid, ${THREAD_LABEL_SQL('thread')} AS label FROM thread;

CREATE VIEW func_frame AS
  SELECT id, ts, dur, utid, name_id, depth, parent_id, self_dur, seq,
         coalesce(max(CASE WHEN dur < 0 THEN 9223372036854775807 ELSE ts + dur END)
                    OVER (PARTITION BY utid, name_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -1) <= ts AS outermost
  FROM slice_raw WHERE category_id = 0;

CREATE VIEW function_summary AS
  SELECT n.name, count(*) AS calls,
         sum(dur) FILTER (WHERE dur >= 0 AND outermost) AS incl, sum(self_dur) FILTER (WHERE self_dur >= 0) AS excl,
         min(dur) FILTER (WHERE dur >= 0) AS min, max(dur) AS max,
         quantile_disc(dur, 0.5) FILTER (WHERE dur >= 0) AS p50, quantile_disc(dur, 0.99) FILTER (WHERE dur >= 0) AS p99,
         count(*) FILTER (WHERE dur < 0) AS unfinished
  FROM func_frame f JOIN name n USING (name_id)
  GROUP BY n.name;

CREATE VIEW call_tree AS
  WITH RECURSIVE paths(id, path, depth) AS (
    SELECT id, name, depth FROM slice WHERE category = 'func' AND parent_id IS NULL
    UNION ALL
    SELECT s.id, p.path || ' > ' || s.name, s.depth FROM slice s JOIN paths p ON s.parent_id = p.id WHERE s.category = 'func'
  )
  SELECT path, any_value(p.depth) AS depth, count(*) AS calls,
         sum(s.dur) FILTER (WHERE s.dur >= 0) AS incl, sum(s.self_dur) FILTER (WHERE s.self_dur >= 0) AS excl
  FROM paths p JOIN slice s USING (id) GROUP BY path;

CREATE MACRO ancestor_slice(sid) AS TABLE
  WITH RECURSIVE up(id) AS (
    SELECT parent_id FROM slice_raw WHERE id = sid AND parent_id IS NOT NULL
    UNION ALL
    SELECT s.parent_id FROM slice_raw s JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL
  )
  SELECT slice.* FROM slice JOIN up USING (id);

CREATE MACRO descendant_slice(sid) AS TABLE
  WITH RECURSIVE down(id) AS (
    SELECT id FROM slice_raw WHERE parent_id = sid
    UNION ALL
    SELECT s.id FROM slice_raw s JOIN down ON s.parent_id = down.id
  )
  SELECT slice.* FROM slice JOIN down USING (id);

CREATE MACRO following_flow(sid) AS TABLE
  WITH RECURSIVE f(slice_out, slice_in, ipc_id) AS (
    SELECT slice_out, slice_in, ipc_id FROM flow WHERE slice_out = sid
    UNION ALL
    SELECT fl.slice_out, fl.slice_in, fl.ipc_id FROM flow fl JOIN f ON fl.slice_out = f.slice_in
  )
  SELECT * FROM f;
`;
