/**
 * Every DuckDB instance l4trace opens is made here, so every one runs in the same sandbox: a trace, a
 * kept database or a query may come from a stranger (DESIGN.md §8, docs/security.md), and none of them
 * may read or write host files, reach the network or load code.
 *
 * What DuckDB 1.5.6 gives, and what this file adds where it falls short (each checked by
 * test/analyze/sandbox.test.ts):
 *
 * - `enable_external_access=false` refuses file and network access from SQL (read_csv, read_text,
 *   glob, COPY, ATTACH, EXPORT, https:// reads, INSTALL); `autoinstall_known_extensions` and
 *   `autoload_known_extensions` off, community and unsigned extensions off, persistent secrets off;
 *   `lock_configuration=true` last, so SQL cannot SET any of them back.
 * - DuckDB still lets SQL reach the files of the databases it has open: the database file itself and
 *   `<file>.wal`, `.wal.recovery`, `.wal.checkpoint` are put on `allowed_paths`, and `COPY ... TO
 *   '<file>' (USE_TMP_FILE false)` overwrites even a database opened READ_ONLY. So a kept database is
 *   opened through a private name: a hard link (or, where no link can be made, a copy) in a private
 *   directory that is removed as soon as DuckDB holds the file open. The allowed paths then name a
 *   directory that no longer exists, and the user's file cannot be reached by any path. (DuckDB
 *   resolves symbolic links, so a symlink would not do; a hard link cannot be resolved.) It also means
 *   a `.wal` file planted beside a kept database is never read.
 * - DuckDB also allows its temporary directory. It is a private directory (mode 0700) under the OS
 *   temporary folder, removed on close, instead of DuckDB's default `.tmp` in the current folder.
 * - An in-memory instance is configured by SET statements right after it starts (nothing is in it
 *   yet): with the settings given at start-up DuckDB 1.5.6 allows `<cwd>/:memory:.wal` and friends.
 * - Parquet export needs to write: `allowed_directories` lists the export's own partial folder. It is
 *   a list, which DuckDB's C API cannot take at start-up, so such an instance is configured by SET
 *   statements too (allowed_directories first: DuckDB refuses to change it once external access is
 *   off). Such an instance never runs the user's SQL (`query` does not take a writable folder).
 *   sweep's results are written the same way, and `sweep-merge` lists the result folders it reads.
 *
 * The settings are read back from `duckdb_settings()` after every open; an instance where one of them
 * did not take effect is closed and the command fails.
 *
 * Memory and threads keep DuckDB's defaults (memory_limit 80 % of RAM, one thread per core): the
 * tables of a loaded trace must fit, queries spill to the private temporary directory beyond that, and
 * the only SQL that runs on a stranger's database is l4trace's own (its views and macros are checked).
 */
import { constants, copyFileSync, linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';

/** Start-up settings of every instance (strings: DuckDB's C API takes option values as text). */
const EXTENSIONS_OFF: Record<string, string> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  allow_persistent_secrets: 'false',
};

/** What `duckdb_settings()` must report once an instance is configured. */
export const SANDBOX_SETTINGS: Record<string, string> = {
  enable_external_access: 'false',
  ...EXTENSIONS_OFF,
  lock_configuration: 'true',
};

export type DuckDbTarget =
  /** A new in-memory database (a trace is loaded into it). */
  | { kind: 'memory' }
  /** A database file l4trace writes (a kept `--db` database while it is loaded); no user SQL runs on it. */
  | { kind: 'write'; path: string }
  /** A database file opened read-only, through a private link. */
  | { kind: 'read'; path: string };

export interface SandboxOptions {
  /** The one folder SQL may write to (Parquet export's partial folder); it must exist. */
  writableDir?: string;
  /**
   * Folders l4trace's own SQL reads (sweep-merge's result folders; real paths). DuckDB's
   * allowed_directories does not tell reading from writing, so, as with writableDir, such an instance
   * never runs the user's SQL.
   */
  readableDirs?: readonly string[];
}

/** An open instance with its connection; `close` also removes the private directory. */
export interface SandboxedDb {
  readonly instance: DuckDBInstance;
  readonly con: DuckDBConnection;
  /** DuckDB's message with the private name of the database replaced by the user's path. */
  userMessage(message: string): string;
  close(): void;
}

/** Thrown when DuckDB cannot open the file (the caller names the file in its message). */
export class OpenError extends Error {}

/** Private directories of instances still open, removed at exit if a command ends without closing. */
const live = new Set<string>();
let exitHook = false;

export async function openSandboxedDuckDb(target: DuckDbTarget, opts: SandboxOptions = {}): Promise<SandboxedDb> {
  // Real paths throughout: DuckDB resolves symbolic links (macOS's /tmp) in the paths it allows.
  const priv = realpathSync(mkdtempSync(join(tmpdir(), 'l4trace-duckdb-')));
  live.add(priv);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  const cleanup = (): void => {
    rmSync(priv, { recursive: true, force: true });
    live.delete(priv);
  };
  const dirs = [...(opts.writableDir ? [opts.writableDir] : []), ...(opts.readableDirs ?? [])].map((d) => `${d.replace(/\/+$/, '')}/`);
  // A database file is opened with the whole sandbox in its start-up configuration, so it is in force
  // before DuckDB reads a byte of the file; see the header for the two cases that need SET instead.
  const atStartup = target.kind !== 'memory' && dirs.length === 0;
  const config: Record<string, string> = { ...EXTENSIONS_OFF, temp_directory: join(priv, 'spill') };
  if (target.kind === 'read') config.access_mode = 'READ_ONLY';
  if (atStartup) Object.assign(config, { enable_external_access: 'false', lock_configuration: 'true' });

  let link: { path: string; dir: string } | null = null;
  let instance: DuckDBInstance;
  try {
    if (target.kind === 'read') link = privateName(target.path, priv);
    instance = await DuckDBInstance.create(target.kind === 'memory' ? ':memory:' : link ? link.path : target.path, config);
  } catch (e) {
    cleanup();
    const m = (e as Error).message;
    throw new OpenError(firstLine(link && target.kind === 'read' ? m.split(link.path).join(target.path) : m));
  } finally {
    // DuckDB holds the file open now (or failed to): the private name is no longer needed.
    if (link) rmSync(link.dir, { recursive: true, force: true });
  }
  const con = await instance.connect();
  const userPath = target.kind === 'read' ? target.path : null;
  const hidden = link?.path;
  const userMessage = (m: string): string => (hidden && userPath ? m.split(hidden).join(userPath) : m);
  const close = (): void => {
    con.closeSync();
    instance.closeSync();
    cleanup();
  };
  try {
    if (!atStartup) {
      const sets = [
        ...(dirs.length ? [`SET allowed_directories = [${dirs.map(quote).join(', ')}]`] : []),
        'SET enable_external_access = false',
        // The extension settings were given at start-up; lock last, after which nothing changes.
        'SET lock_configuration = true',
      ];
      for (const s of sets) await con.run(s);
    }
    // The paths DuckDB itself allows: its temporary folder (private), the open database's files (a
    // database l4trace writes; for one opened through a private name, that name's folder, now gone).
    const own = target.kind === 'write' ? ['', '.wal', '.wal.recovery', '.wal.checkpoint'].map((x) => join(realpathSync(dirname(resolve(target.path))), basename(target.path)) + x) : [];
    await verify(con, [priv, ...(link ? [link.dir] : [])], own, dirs);
  } catch (e) {
    close();
    throw e;
  }
  return { instance, con, userMessage, close };
}

/**
 * A name for `path` that DuckDB can open and nobody else knows: a hard link in the private directory,
 * else in a private directory beside the file (a link cannot cross file systems), else a copy.
 */
function privateName(path: string, priv: string): { path: string; dir: string } {
  // Resolve symbolic links first: a hard link to a symlink would be resolved by DuckDB to the user's path.
  const real = realpathSync(path);
  const dir = join(priv, 'db');
  mkdirSync(dir);
  const name = join(dir, 'trace.duckdb');
  try {
    linkSync(real, name);
    return { path: name, dir };
  } catch {
    // another file system (EXDEV) or not allowed (protected_hardlinks): try beside the file
  }
  let beside: string | null = null;
  try {
    beside = mkdtempSync(join(dirname(real), '.l4trace-open-'));
    linkSync(real, join(beside, 'trace.duckdb'));
    rmSync(dir, { recursive: true, force: true });
    return { path: join(beside, 'trace.duckdb'), dir: beside };
  } catch {
    if (beside) rmSync(beside, { recursive: true, force: true });
  }
  // A copy (a reflink where the file system has them); removed from the folder once open.
  copyFileSync(real, name, constants.COPYFILE_FICLONE);
  return { path: name, dir };
}

/** Read the settings back: each one must have taken effect, and SQL may reach no path but ours. */
async function verify(con: DuckDBConnection, privateDirs: string[], own: string[], dirs: readonly string[]): Promise<void> {
  const r = await con.runAndReadAll(
    `SELECT name, value FROM duckdb_settings() WHERE name IN (${[...Object.keys(SANDBOX_SETTINGS), 'allowed_directories', 'allowed_paths'].map(quote).join(', ')})`,
  );
  const got = new Map(r.getRowObjectsJson().map((x) => [String(x.name), String(x.value)]));
  for (const [name, want] of Object.entries(SANDBOX_SETTINGS)) {
    if (got.get(name) !== want) throw new Error(`DuckDB sandbox: setting ${name} is ${got.get(name) ?? 'missing'}, expected ${want}`);
  }
  const list = (v: string | undefined): string[] => (v ?? '').replace(/^\[|\]$/g, '').split(',').map((s) => s.trim().replace(/^'|'$/g, '')).filter(Boolean);
  const ok = (p: string): boolean => privateDirs.some((d) => p.startsWith(`${d}/`) || p.startsWith(d + sep)) || own.includes(p) || dirs.includes(p);
  for (const p of [...list(got.get('allowed_directories')), ...list(got.get('allowed_paths'))]) {
    if (!ok(p)) throw new Error(`DuckDB sandbox: SQL could reach ${p}`);
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function firstLine(s: string): string {
  return s.split('\n').filter(Boolean)[0]?.trim() ?? s;
}

/**
 * Why a statement of the user's SQL (`l4trace query`) may not run, or null when it may. An allow-list
 * by DuckDB's own statement type, on top of the settings: the settings already refuse file access,
 * but a refusal here names the problem plainly, and it also covers what the settings do not:
 * EXECUTE (runs a statement prepared earlier, whose type is hidden), EXPLAIN ANALYZE (runs the
 * statement it explains), and DuckDB's logging and profiling table functions, which change the
 * configuration despite `lock_configuration` (DuckDB 1.5.6: `enable_logging(storage = 'file', ...)`
 * then fails every later statement and aborts the process when it closes).
 */
export function refusedStatement(type: StatementType, sql: string): string | null {
  const allowed = new Set<StatementType>([
    StatementType.SELECT,
    StatementType.INSERT,
    StatementType.UPDATE,
    StatementType.DELETE,
    StatementType.MERGE_INTO,
    StatementType.CREATE,
    StatementType.CREATE_FUNC,
    StatementType.ALTER,
    StatementType.DROP,
    StatementType.TRANSACTION,
    StatementType.SET,
    StatementType.VARIABLE_SET,
    StatementType.PRAGMA,
    StatementType.CALL,
    StatementType.ANALYZE,
    StatementType.VACUUM,
    StatementType.EXPLAIN,
  ]);
  const names: Partial<Record<StatementType, string>> = {
    [StatementType.COPY]: 'COPY',
    [StatementType.EXPORT]: 'EXPORT DATABASE',
    [StatementType.COPY_DATABASE]: 'COPY FROM DATABASE',
    [StatementType.ATTACH]: 'ATTACH',
    [StatementType.DETACH]: 'DETACH',
    [StatementType.LOAD]: 'INSTALL and LOAD',
    [StatementType.EXTENSION]: 'extension statements',
    [StatementType.UPDATE_EXTENSIONS]: 'UPDATE EXTENSIONS',
    [StatementType.PREPARE]: 'PREPARE',
    [StatementType.EXECUTE]: 'EXECUTE',
  };
  if (!allowed.has(type)) return `${names[type] ?? `statements of this kind (DuckDB type ${StatementType[type] ?? type})`} not allowed: l4trace query only reads the trace (use l4trace export to write files)`;
  if (type === StatementType.EXPLAIN && /\banaly[sz]e\b/i.test(sql)) return 'EXPLAIN ANALYZE not allowed (it runs the statement it explains); plain EXPLAIN is';
  const fn = /\b(enable_logging|disable_logging|enable_profiling|disable_profiling|truncate_duckdb_logs)\b/i.exec(sql);
  if (fn) return `${fn[1]!.toLowerCase()} not allowed: l4trace locks DuckDB's configuration`;
  return null;
}
