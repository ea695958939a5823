/**
 * Export every table as Parquet, one folder per table, the big ones Hive-partitioned (slice by utid,
 * sched by cpu, ipc by sender_utid), so DuckDB, Spark or Trino read the folder as a dataset:
 *   OUT/slice/utid=3/data_0.parquet, OUT/thread/data_0.parquet, ...
 *
 * DuckDB writes the files, so `a` must have been opened with `writableDir: dir` (Analysis.open): its
 * sandbox lets it write into that folder and nowhere else (docs/security.md).
 */
import { mkdirSync } from 'node:fs';
import type { Analysis } from './db.js';
import { TABLES } from './schema.js';

const PARTITION: Record<string, string> = { slice: 'utid', sched: 'cpu', ipc: 'sender_utid' };

export async function exportParquet(a: Analysis, dir: string): Promise<{ tables: string[] }> {
  const tables = [...Object.keys(TABLES).filter((t) => t !== 'slice_raw'), 'slice'];
  const quote = (p: string): string => `'${p.replace(/'/g, "''")}'`;
  for (const t of tables) {
    const part = PARTITION[t];
    const target = `${dir}/${t}`;
    const opts = `FORMAT parquet, PARTITION_BY (${part}), FILENAME_PATTERN 'data_{i}'`;
    if (part) await a.query(`COPY (SELECT * FROM ${t}) TO ${quote(target)} (${opts})`);
    else {
      mkdirSync(target, { recursive: true });
      await a.query(`COPY (SELECT * FROM ${t}) TO ${quote(`${target}/data_0.parquet`)} (FORMAT parquet)`);
    }
  }
  return { tables };
}
