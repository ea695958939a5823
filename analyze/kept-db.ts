/**
 * Checking a kept database before anything reads it. A `.duckdb` file may come from a stranger, and
 * what DuckDB runs when l4trace reads `slice` is whatever the file's `slice` view says: a view or macro
 * that reads a host file would put that file into `report` output or into the HTML `view` writes
 * (the sandbox refuses the read, but a database l4trace did not write has no business being read at
 * all). So a database is accepted only when it is exactly what l4trace writes: the writer marker and
 * the current schema version in `metadata`, our tables with our columns, and our views and macros,
 * compared as DuckDB stores them (the SQL text DuckDB renders from the parsed view or macro, so it is
 * what would run, not a comment or the text someone typed) with a scratch in-memory database built
 * from `schema.ts`; and nothing else: no other schema, sequence, index, type or database.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createTablesSql, SCHEMA_VERSION, VIEWS_SQL } from './schema.js';
import { openSandboxedDuckDb } from './sandbox.js';

/** `metadata.writer` of every database l4trace writes. */
export const WRITER_MARKER = 'l4trace';

interface Catalog {
  /** Databases other than the one checked (attached ones; never stored in a file, checked anyway). */
  databases: string[];
  schemas: string[];
  tables: Map<string, string>;
  views: Map<string, string>;
  macros: Map<string, string>;
  /** Sequences, indexes and user types, as "kind name". */
  others: string[];
}

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function rows(con: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The catalog of the current database, read from DuckDB's metadata functions (no view is run). */
async function readCatalog(con: DuckDBConnection): Promise<Catalog> {
  const db = String((await rows(con, 'SELECT current_database() AS d'))[0]!.d);
  const where = `database_name = ${lit(db)}`;
  const map = (rs: Record<string, unknown>[]): Map<string, string> => new Map(rs.map((r) => [String(r.name), String(r.def)]));
  const macros = new Map<string, string>();
  for (const r of await rows(
    con,
    `SELECT function_name AS name, function_type || '(' || array_to_string(parameters, ', ') || ') ' || coalesce(macro_definition, '') AS def
     FROM duckdb_functions() WHERE ${where} AND NOT internal ORDER BY def`,
  )) {
    // A macro may have several overloads, each its own row: all of them make up its definition.
    const k = String(r.name);
    macros.set(k, macros.has(k) ? `${macros.get(k)!} | ${String(r.def)}` : String(r.def));
  }
  return {
    databases: (await rows(con, `SELECT database_name AS n FROM duckdb_databases() WHERE NOT internal AND database_name <> ${lit(db)}`)).map((r) => String(r.n)),
    schemas: (await rows(con, `SELECT schema_name AS n FROM duckdb_schemas() WHERE ${where} ORDER BY 1`)).map((r) => String(r.n)),
    tables: map(await rows(con, `SELECT schema_name || '.' || table_name AS name, sql AS def FROM duckdb_tables() WHERE ${where}`)),
    views: map(await rows(con, `SELECT schema_name || '.' || view_name AS name, coalesce(sql, '') AS def FROM duckdb_views() WHERE ${where} AND NOT internal`)),
    macros,
    others: (
      await rows(
        con,
        `SELECT 'sequence ' || sequence_name AS n FROM duckdb_sequences() WHERE ${where}
         UNION ALL SELECT 'index ' || index_name FROM duckdb_indexes() WHERE ${where}
         UNION ALL SELECT 'type ' || type_name FROM duckdb_types() WHERE ${where} AND NOT internal`,
      )
    ).map((r) => String(r.n)),
  };
}

let reference: Promise<Catalog> | null = null;

/** What l4trace's schema looks like in this DuckDB version: built once per process, in memory. */
function referenceCatalog(): Promise<Catalog> {
  reference ??= (async () => {
    const db = await openSandboxedDuckDb({ kind: 'memory' });
    try {
      await db.con.run(createTablesSql());
      await db.con.run(VIEWS_SQL);
      return await readCatalog(db.con);
    } finally {
      db.close();
    }
  })();
  return reference;
}

/**
 * Why the database open on `con` is not one l4trace wrote, or null when it is. The problem comes as a
 * phrase for "<file>: <problem>".
 */
export async function keptDatabaseProblem(con: DuckDBConnection): Promise<string | null> {
  const [ref, got] = await Promise.all([referenceCatalog(), readCatalog(con)]);
  const name = (k: string): string => k.replace(/^main\./, '');
  // metadata first: it tells a database that is not ours from one that was tampered with. It is read
  // only once it is known to be a plain table with our columns (no view, no generated column).
  if (got.tables.get('main.metadata') !== ref.tables.get('main.metadata')) return 'not an l4trace database (no l4trace metadata table); l4trace opens only databases it wrote (load --db)';
  const md = new Map(
    (await rows(con, `SELECT key, value FROM main.metadata WHERE key IN ('writer', 'schema_version')`)).map((r) => [String(r.key), String(r.value)]),
  );
  if (md.get('writer') !== WRITER_MARKER) return 'not written by l4trace (no writer marker in its metadata); load the trace again with --db';
  if (md.get('schema_version') !== String(SCHEMA_VERSION)) return `schema version ${md.get('schema_version') ?? 'missing'}, this l4trace reads ${SCHEMA_VERSION}; load the trace again`;

  const refused = (what: string): string => `refused: ${what} (a kept database may hold only l4trace's own tables, views and macros)`;
  if (got.databases.length > 0) return refused(`another database is attached (${got.databases.join(', ')})`);
  const extraSchema = got.schemas.find((s) => !ref.schemas.includes(s));
  if (extraSchema) return refused(`unexpected schema ${extraSchema}`);
  if (got.others.length > 0) return refused(`unexpected ${got.others[0]!}`);
  for (const [kind, mine, theirs] of [
    ['table', ref.tables, got.tables],
    ['view', ref.views, got.views],
    ['macro', ref.macros, got.macros],
  ] as const) {
    for (const [k, def] of mine) {
      if (!theirs.has(k)) return refused(`${kind} ${name(k)} is missing`);
      if (theirs.get(k) !== def) return refused(kind === 'table' ? `table ${name(k)} does not have l4trace's columns` : `${kind} ${name(k)} is not the one l4trace creates`);
    }
    for (const k of theirs.keys()) if (!mine.has(k)) return refused(`unexpected ${kind} ${name(k)}`);
  }
  return null;
}
