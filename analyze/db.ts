/**
 * Opening an analysis: a trace is loaded into DuckDB (in memory, or into a database file kept with
 * `--db` so a big trace is parsed once), or a kept database is opened as it is. Queries go through
 * `query`, which turns DuckDB's errors into one message naming the problem; the user's own SQL goes
 * through `runUserSql`, which also counts and screens its statements.
 *
 * Every instance is opened by `openSandboxedDuckDb` (sandbox.ts): no file or network access, no
 * extensions, configuration locked. A kept database is refused unless it is exactly what l4trace writes
 * (kept-db.ts) before any of its views runs.
 */
import { existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import type { DuckDBConnection, DuckDBExtractedStatements, DuckDBResultReader } from '@duckdb/node-api';
import { AtomicPath } from '../tracer/atomic-output.js';
import { UserError } from '../tracer/errors.js';
import { TraceReader, type Damage, type Truncation } from '../tracer/reader.js';
import { keptDatabaseProblem, WRITER_MARKER } from './kept-db.js';
import type { LoadResult } from './load.js';
import { loadInto } from './load-into.js';
import { OpenError, openSandboxedDuckDb, refusedStatement, type SandboxedDb } from './sandbox.js';

export class AnalyzeError extends UserError {}

/** The user's SQL holds several statements and `--script` was not given. */
export class MultipleStatementsError extends AnalyzeError {
  constructor(message: string) {
    super(message, { exitCode: 2 }); // a usage error: the command line asked for one statement
  }
}

/** DuckDB type ids that the JSON conversion returns as strings: BIGINT, UBIGINT, HUGEINT, UHUGEINT, DECIMAL. */
const NUMERIC_AS_STRING = new Set([5, 9, 16, 32, 19]);

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface OpenOptions {
  db?: string;
  /**
   * Load a damaged trace as far as it can be believed (tracer/reader.ts); without it a damaged trace is
   * refused. What was dropped is in `damage` (and the stats and metadata tables).
   */
  salvage?: boolean;
  onProgress?: (done: number, total: number) => void;
  /**
   * The one folder SQL may write into (Parquet export's partial folder, which must exist). Never given
   * for the user's SQL: `query` opens without it.
   */
  writableDir?: string;
}

export class Analysis {
  readonly con: DuckDBConnection;

  private constructor(
    private readonly db: SandboxedDb,
    /** What was loaded now (null when a kept database was opened). */
    readonly loaded: LoadResult | null,
    /** What a salvaging load dropped from a damaged trace. */
    readonly damage: readonly Damage[] = [],
    /** The loaded trace was cut short (no footer): where, and why. */
    readonly truncated: Truncation | undefined = undefined,
  ) {
    this.con = db.con;
  }

  /** The trace or database this analysis was opened from, for messages. */
  source = '';

  /** Open a trace file (loading it) or a database file written earlier. */
  static async open(input: string, opts: OpenOptions = {}): Promise<Analysis> {
    const a = await Analysis.openAny(input, opts);
    a.source = input;
    return a;
  }

  private static async openAny(input: string, opts: OpenOptions): Promise<Analysis> {
    const sandbox = opts.writableDir ? { writableDir: opts.writableDir } : {};
    if (isDuckDbFile(input)) return Analysis.openDb(input, sandbox);
    const state = opts.db && existsSync(opts.db) ? await keptState(opts.db, input) : 'absent';
    if (state === 'current') return Analysis.openDb(opts.db!, sandbox);
    const reader = TraceReader.open(input, { salvage: opts.salvage ?? false });
    // Only a database l4trace wrote is ever replaced (a cache of a trace); anything else a user had stays.
    if (state === 'foreign') {
      reader.close();
      throw new AnalyzeError(`--db ${opts.db}: exists and is not a database l4trace wrote; give another path, or remove it`);
    }
    try {
      if (!opts.db) {
        const db = await openSandboxedDuckDb({ kind: 'memory' }, sandbox);
        try {
          const loaded = await loadInto(db.con, reader, { source: input, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
          return new Analysis(db, loaded, reader.damage, reader.truncated);
        } catch (e) {
          db.close();
          throw e;
        }
      }
      // Load into a new file beside the target and move it there when complete: a failure or Ctrl-C
      // leaves whatever was there before untouched (tracer/atomic-output.ts).
      const out = new AtomicPath(opts.db);
      const partial = out.temp;
      let db: SandboxedDb;
      try {
        db = await openSandboxedDuckDb({ kind: 'write', path: partial });
      } catch (e) {
        out.discard();
        if (!(e instanceof OpenError)) throw e;
        throw new AnalyzeError(`--db ${opts.db}: cannot create the database: ${e.message}`);
      }
      let loaded: LoadResult;
      try {
        loaded = await loadInto(db.con, reader, { source: input, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
        // The writer marker is what lets a later command tell this file from one l4trace did not write.
        await db.con.run(
          `INSERT INTO metadata VALUES ('source_size', '${statSync(input).size}'), ('source_mtime', '${Math.floor(statSync(input).mtimeMs)}'), ('writer', '${WRITER_MARKER}')`,
        );
        await db.con.run('CHECKPOINT');
      } catch (e) {
        db.close();
        out.discard();
        throw e;
      }
      db.close();
      out.commit();
      const a = await Analysis.openDb(opts.db, sandbox);
      return new Analysis(a.db, loaded, reader.damage, reader.truncated);
    } finally {
      reader.close();
    }
  }

  /** A kept database, read-only, refused unless l4trace wrote it exactly as its schema says. */
  private static async openDb(path: string, sandbox: { writableDir?: string }): Promise<Analysis> {
    let db: SandboxedDb;
    try {
      db = await openSandboxedDuckDb({ kind: 'read', path }, sandbox);
    } catch (e) {
      if (!(e instanceof OpenError)) throw e;
      throw new AnalyzeError(`${path}: cannot open the database: ${e.message}`);
    }
    let problem: string | null;
    try {
      problem = await keptDatabaseProblem(db.con);
    } catch (e) {
      db.close();
      throw new AnalyzeError(`${path}: cannot read the database: ${firstLine(db.userMessage((e as Error).message))}`);
    }
    if (problem) {
      db.close();
      throw new AnalyzeError(`${path}: ${problem}`);
    }
    return new Analysis(db, null);
  }

  /** SQL of l4trace's own (reports, the viewer, exports). */
  async query(sql: string): Promise<QueryResult> {
    try {
      return resultOf(await this.con.runAndReadAll(sql));
    } catch (e) {
      throw new AnalyzeError(firstLine(this.db.userMessage((e as Error).message)));
    }
  }

  /**
   * The user's SQL (`l4trace query`): exactly one statement, or with `script` several run in order;
   * the last one's rows are returned. Each statement is prepared, screened by its DuckDB statement type
   * (`refusedStatement`), and only then run, so an earlier statement of a script may create what a
   * later one reads.
   */
  async runUserSql(sql: string, opts: { script?: boolean } = {}): Promise<QueryResult> {
    return this.userSql(sql, opts).catch(asQueryError);
  }

  private async userSql(sql: string, opts: { script?: boolean }): Promise<QueryResult> {
    const statements = await extractUserStatements(this.con, sql, opts);
    const n = statements.count;
    let last: QueryResult = { columns: [], rows: [] };
    for (let i = 0; i < n; i++) {
      const where = n > 1 ? `statement ${i + 1} of ${n}: ` : '';
      let prepared;
      try {
        prepared = await statements.prepare(i);
      } catch (e) {
        throw new AnalyzeError(where + firstLine(this.db.userMessage((e as Error).message)));
      }
      try {
        const refusal = refusedStatement(prepared.statementType, sql);
        if (refusal) throw new AnalyzeError(where + refusal);
        try {
          last = resultOf(await prepared.runAndReadAll());
        } catch (e) {
          throw new AnalyzeError(where + firstLine(this.db.userMessage((e as Error).message)));
        }
      } finally {
        prepared.destroySync();
      }
    }
    return last;
  }

  /**
   * Check the user's SQL parses and holds one statement (or any number with `script`) before a trace
   * is loaded for it: a command line that cannot run should fail at once, not after the load.
   */
  static async checkUserSql(sql: string, opts: { script?: boolean } = {}): Promise<void> {
    const db = await openSandboxedDuckDb({ kind: 'memory' });
    try {
      await extractUserStatements(db.con, sql, opts).catch(asQueryError);
    } finally {
      db.close();
    }
  }

  /** One value (first column of the first row). */
  async scalar(sql: string): Promise<unknown> {
    const r = await this.query(sql);
    return r.rows[0]?.[r.columns[0]!];
  }

  close(): void {
    this.db.close();
  }
}

/** Errors of the user's SQL say that they are: "query: ...". */
function asQueryError(e: unknown): never {
  if (e instanceof MultipleStatementsError) throw new MultipleStatementsError(`query: ${e.message}`);
  if (e instanceof AnalyzeError) throw new AnalyzeError(`query: ${e.message}`);
  throw e;
}

/** The statements of the user's SQL, split by DuckDB's parser; several only with `script`. */
async function extractUserStatements(con: DuckDBConnection, sql: string, opts: { script?: boolean }): Promise<DuckDBExtractedStatements> {
  let statements: DuckDBExtractedStatements;
  try {
    statements = await con.extractStatements(sql);
  } catch (e) {
    const m = (e as Error).message;
    // DuckDB's parser error, without the binding's prefix; the binding throws a bare error for an
    // input with no statement (empty, or only comments).
    if (/^Failed to extract statements: /.test(m)) throw new AnalyzeError(firstLine(m.replace(/^Failed to extract statements: /, '')));
    throw new AnalyzeError('no SQL statement in the input');
  }
  const n = statements.count;
  if (n === 0) throw new AnalyzeError('no SQL statement in the input');
  if (n > 1 && !opts.script) {
    // DuckDB turns a PIVOT without an IN list into two statements (an enum type, then the query).
    const pivot = /\bpivot\b/i.test(sql) ? ' (DuckDB counts a PIVOT without an IN list as two)' : '';
    throw new MultipleStatementsError(`the SQL holds ${n} statements${pivot}; give --script to run them in order and print the last one's rows`);
  }
  return statements;
}

/** Rows as JSON-friendly objects; 64-bit integers that fit a double exactly become numbers. */
function resultOf(reader: DuckDBResultReader): QueryResult {
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
/**
 * What a `--db` path holds: a database l4trace wrote of this very trace (`current`: reused), one it
 * wrote of another trace, an older schema or an older copy of the trace (`stale`: loaded again over it),
 * or anything else (`foreign`: never replaced).
 */
async function keptState(db: string, trace: string): Promise<'current' | 'stale' | 'foreign'> {
  if (!isDuckDbFile(db)) return 'foreign';
  let kept: SandboxedDb;
  try {
    kept = await openSandboxedDuckDb({ kind: 'read', path: db });
  } catch {
    return 'foreign';
  }
  try {
    const r = await kept.con.runAndReadAll("SELECT key, value FROM metadata WHERE key IN ('writer', 'source', 'source_size', 'source_mtime')");
    const m = new Map((r.getRowObjectsJson() as { key: unknown; value: unknown }[]).map((x) => [String(x.key), String(x.value)]));
    if (m.get('writer') !== WRITER_MARKER) return 'foreign';
    if ((await keptDatabaseProblem(kept.con)) !== null) return 'stale';
    const st = statSync(trace);
    const same = m.get('source') === trace && m.get('source_size') === String(st.size) && m.get('source_mtime') === String(Math.floor(st.mtimeMs));
    return same ? 'current' : 'stale';
  } catch {
    return 'foreign';
  } finally {
    kept.close();
  }
}
