/**
 * Opening an analysis: a trace is loaded into DuckDB (in memory, or into a database file kept with
 * `--db` so a big trace is parsed once), or a kept database is opened as it is. Queries go through
 * `query`, which turns DuckDB's errors into one message naming the problem.
 */
import { existsSync, renameSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TraceReader, type Damage } from '../tracer/reader.js';
import type { LoadResult } from './load.js';
import { loadInto } from './load-into.js';
import { SCHEMA_VERSION } from './schema.js';

export class AnalyzeError extends Error {}

/** DuckDB type ids that the JSON conversion returns as strings: BIGINT, UBIGINT, HUGEINT, UHUGEINT, DECIMAL. */
const NUMERIC_AS_STRING = new Set([5, 9, 16, 32, 19]);

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export class Analysis {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
    /** What was loaded now (null when a kept database was opened). */
    readonly loaded: LoadResult | null,
    /** What a salvaging load dropped from a damaged trace. */
    readonly damage: readonly Damage[] = [],
  ) {}

  /** Open a trace file (loading it) or a database file written earlier. */
  /**
   * `salvage`: load a damaged trace as far as it can be believed (tracer/reader.ts); without it a damaged
   * trace is refused. What was dropped is in `damage` (and the stats and metadata tables).
   */
  static async open(input: string, opts: { db?: string; salvage?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<Analysis> {
    if (isDuckDbFile(input)) return Analysis.openDb(input);
    if (opts.db && existsSync(opts.db) && (await dbMatches(opts.db, input))) return Analysis.openDb(opts.db);
    const reader = TraceReader.open(input, { salvage: opts.salvage ?? false });
    try {
      if (!opts.db) {
        const instance = await DuckDBInstance.create(':memory:');
        const con = await instance.connect();
        const loaded = await loadInto(con, reader, { source: input, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
        return new Analysis(instance, con, loaded, reader.damage);
      }
      // Load into a new file beside the target and move it there when complete: a failure leaves
      // whatever was there before untouched.
      const partial = `${opts.db}.${process.pid}.partial`;
      rmSync(partial, { force: true });
      let instance: DuckDBInstance;
      try {
        instance = await DuckDBInstance.create(partial);
      } catch (e) {
        throw new AnalyzeError(`--db ${opts.db}: cannot create the database: ${(e as Error).message}`);
      }
      const con = await instance.connect();
      let loaded: LoadResult;
      try {
        loaded = await loadInto(con, reader, { source: input, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
        await con.run(`INSERT INTO metadata VALUES ('source_size', '${statSync(input).size}'), ('source_mtime', '${Math.floor(statSync(input).mtimeMs)}')`);
        await con.run('CHECKPOINT');
      } catch (e) {
        con.closeSync();
        instance.closeSync();
        rmSync(partial, { force: true });
        rmSync(`${partial}.wal`, { force: true });
        throw e;
      }
      con.closeSync();
      instance.closeSync();
      renameSync(partial, opts.db);
      const a = await Analysis.openDb(opts.db);
      return new Analysis(a.instance, a.con, loaded, reader.damage);
    } finally {
      reader.close();
    }
  }

  private static async openDb(path: string): Promise<Analysis> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    } catch (e) {
      throw new AnalyzeError(`${path}: cannot open the database: ${firstLine((e as Error).message)}`);
    }
    const con = await instance.connect();
    const a = new Analysis(instance, con, null);
    const v = await a.query("SELECT value FROM metadata WHERE key = 'schema_version'").catch(() => null);
    if (!v || v.rows.length === 0) throw new AnalyzeError(`${path}: not an l4trace database (no metadata table)`);
    if (Number(v.rows[0]!.value) !== SCHEMA_VERSION) throw new AnalyzeError(`${path}: schema version ${String(v.rows[0]!.value)}, this l4trace reads ${SCHEMA_VERSION}; load the trace again`);
    return a;
  }

  async query(sql: string): Promise<QueryResult> {
    try {
      const reader = await this.con.runAndReadAll(sql);
      const columns = reader.columnNames();
      const types = (reader.columnNamesAndTypesJson() as { columnTypes: { typeId: number }[] }).columnTypes.map((t) => t.typeId);
      const rows = (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
        columns.forEach((c, i) => {
          const v = row[c];
          if (typeof v === 'string' && NUMERIC_AS_STRING.has(types[i]!)) {
            const n = Number(v);
            if (Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n))) row[c] = n;
          }
        });
        return row;
      });
      return { columns, rows };
    } catch (e) {
      throw new AnalyzeError(firstLine((e as Error).message));
    }
  }

  /** One value (first column of the first row). */
  async scalar(sql: string): Promise<unknown> {
    const r = await this.query(sql);
    return r.rows[0]?.[r.columns[0]!];
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }
}

function firstLine(s: string): string {
  return s.split('\n').filter(Boolean).slice(0, 3).join(' ').trim();
}

/** DuckDB database files carry "DUCK" at byte 8. */
export function isDuckDbFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(12);
    readSync(fd, b, 0, 12, 0);
    return b.subarray(8, 12).toString('latin1') === 'DUCK';
  } finally {
    closeSync(fd);
  }
}

/** A kept database still describes this trace file (same path, size and modification time). */
async function dbMatches(db: string, trace: string): Promise<boolean> {
  if (!isDuckDbFile(db)) return false;
  let a: Analysis;
  try {
    a = await Analysis.open(db);
  } catch {
    return false;
  }
  try {
    const r = await a.query("SELECT key, value FROM metadata WHERE key IN ('source', 'source_size', 'source_mtime')");
    const m = new Map(r.rows.map((x) => [String(x.key), String(x.value)]));
    const st = statSync(trace);
    return m.get('source') === trace && m.get('source_size') === String(st.size) && m.get('source_mtime') === String(Math.floor(st.mtimeMs));
  } finally {
    a.close();
  }
}
