/**
 * Export every table as Parquet, one folder per table, the big ones Hive-partitioned (slice by utid,
 * sched by cpu, ipc by sender_utid), so DuckDB, Spark or Trino read the folder as a dataset:
 *   OUT/slice/utid=3/data_0.parquet, OUT/thread/data_0.parquet, ...
 *
 * Times: every table keeps its columns as the analyzer has them (cycles, exact), and every time column
 * gets a nanosecond partner, `<column>_ns` (ts_ns, dur_ns, ts_send_ns, start_ts_ns, latency_ns, …),
 * converted as the Perfetto and Chrome exports convert: a timestamp is round(cycles × 1000 /
 * cycles_per_us); a duration that has a start is the difference of its rounded end and start (so
 * ts_ns + dur_ns is the rounded end, and slices nest as they do in cycles); an unfinished -1 stays -1.
 *
 * DuckDB writes the files, so `a` must have been opened with `writableDir: dir` (Analysis.open): its
 * sandbox lets it write into that folder and nowhere else (docs/security.md).
 */
import { mkdirSync } from 'node:fs';
import type { Analysis } from './db.js';
import { TABLES } from './schema.js';
import { traceClock } from './timeline.js';

const PARTITION: Record<string, string> = { slice: 'utid', sched: 'cpu', ipc: 'sender_utid' };

/** Durations measured from a start column of the same row (their ns value is end_ns - start_ns). */
const DURATION_START: Record<string, Record<string, string>> = {
  slice: { dur: 'ts' },
  sched: { dur: 'ts' },
  pf: { dur: 'ts' },
  syscall: { dur: 'ts' },
  irq: { latency: 'ts_raise' },
};

/** Is this column a point in time (cycles)? */
export const isTimestampColumn = (c: string): boolean => c === 'ts' || c.startsWith('ts_') || c.endsWith('_ts');
/** Is this column a length of time (cycles)? */
export const isDurationColumn = (c: string): boolean => c === 'dur' || c === 'self_dur' || c === 'latency';

/** The SELECT list of a table's export: its columns, then a `_ns` partner for each time column. */
export function nanosecondColumns(table: string, columns: string[], cyclesPerUs: number): string[] {
  const k = `(1000.0 / ${Number.isFinite(cyclesPerUs) && cyclesPerUs > 0 ? cyclesPerUs : 1})`;
  const ns = (expr: string): string => `round((${expr}) * ${k})::BIGINT`;
  const extra: string[] = [];
  for (const c of columns) {
    if (isTimestampColumn(c)) extra.push(`${ns(c)} AS ${c}_ns`);
    else if (isDurationColumn(c)) {
      const start = DURATION_START[table]?.[c];
      const value = start ? `${ns(`${start} + ${c}`)} - ${ns(start)}` : ns(c);
      extra.push(`CASE WHEN ${c} < 0 THEN ${c} ELSE ${value} END AS ${c}_ns`);
    }
  }
  return [...columns, ...extra];
}

export async function exportParquet(a: Analysis, dir: string): Promise<{ tables: string[] }> {
  const tables = [...Object.keys(TABLES).filter((t) => t !== 'slice_raw'), 'slice'];
  const { cyclesPerUs } = await traceClock(a);
  const quote = (p: string): string => `'${p.replace(/'/g, "''")}'`;
  for (const t of tables) {
    const part = PARTITION[t];
    const target = `${dir}/${t}`;
    const columns = (await a.query(`SELECT * FROM ${t} LIMIT 0`)).columns;
    const select = `SELECT ${nanosecondColumns(t, columns, cyclesPerUs).join(', ')} FROM ${t}`;
    const opts = `FORMAT parquet, PARTITION_BY (${part}), FILENAME_PATTERN 'data_{i}'`;
    if (part) await a.query(`COPY (${select}) TO ${quote(target)} (${opts})`);
    else {
      mkdirSync(target, { recursive: true });
      await a.query(`COPY (${select}) TO ${quote(`${target}/data_0.parquet`)} (FORMAT parquet)`);
    }
  }
  return { tables };
}
