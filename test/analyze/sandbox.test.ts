/**
 * The analyzer's sandbox (analyze/sandbox.ts, analyze/kept-db.ts, docs/security.md): SQL sees only the
 * trace; a kept database l4trace did not write exactly as its schema says is refused; Parquet export
 * still writes its folder. A host file with a random secret stands for /etc/passwd: its text must
 * appear in no output and no written file.
 *
 * Two levels are checked apart: `Analysis.query` (l4trace's own SQL path, no statement screening) shows
 * that DuckDB's settings and the private database name hold by themselves; the CLI shows what a user
 * of `l4trace query`, `report`, `view` and `export` gets.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { Analysis, AnalyzeError } from '../../analyze/db.js';
import { SANDBOX_SETTINGS } from '../../analyze/sandbox.js';
import { BIN, runCli, tempDir, type CliResult } from '../support/cli.js';
import { withAnalysis } from '../support/analysis.js';
import { SCHEMA_VERSION } from '../../analyze/schema.js';

const HANG = fileURLToPath(new URL('../../traces/signal-race-seed1-hang.l4t', import.meta.url));

const dir = tempDir('l4trace-sandbox-');
const SECRET = `host-secret-${randomBytes(12).toString('hex')}`;
const hostFile = join(dir, 'host.txt');
writeFileSync(hostFile, `${SECRET}\n`);
const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Every file under `root`, recursively. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** The secret is in no output of `r` and in no file of the test folder but the host file itself. */
function expectNoLeak(r?: CliResult): void {
  if (r) expect(r.stdout + r.stderr).not.toContain(SECRET);
  for (const f of filesUnder(dir)) if (f !== hostFile) expect(readFileSync(f).includes(SECRET), f).toBe(false);
}

/** A user error: exit `code`, one line on stderr naming `mentions`, no stack trace, nothing on stdout. */
function expectRefused(r: CliResult, mentions: (string | RegExp)[], code = 1): void {
  expect(r.code, r.stderr + r.stdout).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(r.stderr).toMatch(m);
  expectNoLeak(r);
}


/** Change a database with a plain (unsandboxed) DuckDB, as a stranger would; `keepWal` leaves the change in the WAL. */
async function tamper(file: string, sql: string, keepWal = false): Promise<void> {
  const inst = await DuckDBInstance.create(file, keepWal ? { checkpoint_threshold: '1TB' } : {});
  const con = await inst.connect();
  if (keepWal) await con.run('PRAGMA disable_checkpoint_on_shutdown');
  await con.run(sql);
  if (!keepWal) await con.run('CHECKPOINT');
  con.closeSync();
  inst.closeSync();
}

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

/** l4trace's slice view, with the name column read from the host file instead. */
const LEAKY_SLICE = `CREATE OR REPLACE VIEW slice AS
  SELECT s.id, s.ts, s.dur, s.utid AS track_id, s.utid, 'func' AS category,
         (SELECT content FROM read_text(${q(hostFile)})) AS name, s.depth, s.parent_id, s.self_dur, s.seq
  FROM slice_raw s`;

let kept: string;

beforeAll(async () => {
  const trace = join(dir, 'hang.l4t');
  copyFileSync(HANG, trace);
  kept = join(dir, 'kept.duckdb');
  (await Analysis.open(trace, { db: kept })).close();
});

describe('DuckDB runs sandboxed', () => {
  it('every setting is in force in this DuckDB version, for a loaded trace and for a kept database', async () => {
    for (const input of [HANG, kept]) {
      await withAnalysis(input, async (a) => {
        const version = String(await a.scalar('SELECT version()'));
        expect(version).toMatch(/^v\d+\.\d+/);
        const r = await a.query("SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions', 'allow_unsigned_extensions', 'allow_persistent_secrets', 'lock_configuration', 'allowed_paths', 'allowed_directories')");
        const got = Object.fromEntries(r.rows.map((x) => [String(x.name), String(x.value)]));
        for (const [k, v] of Object.entries(SANDBOX_SETTINGS)) expect(got[k], `${k} (${version})`).toBe(v);
        expect(got.enable_external_access).toBe('false');
        expect(got.lock_configuration).toBe('true');
        // The kept database's own path is not among the paths SQL may reach (DuckDB would list it).
        expect(got.allowed_paths).not.toContain(kept);
        expect(got.allowed_directories).not.toContain(dir);
      });
    }
  });

  it('host files cannot be read: read_csv, read_text, read_blob, a bare path, glob', async () => {
    const reads = [`SELECT * FROM read_csv(${q(hostFile)})`, `SELECT content FROM read_text(${q(hostFile)})`, `SELECT content FROM read_blob(${q(hostFile)})`, `SELECT * FROM ${q(hostFile)}`];
    for (const input of [HANG, kept]) {
      await withAnalysis(input, async (a) => {
        for (const sql of reads) await expect(a.query(sql), sql).rejects.toThrow(AnalyzeError);
        await expect(a.query(`SELECT file FROM glob(${q(join(dir, '*'))})`)).rejects.toThrow(/disabled by configuration/);
      });
    }
    for (const sql of reads.slice(0, 3)) expectRefused(runCli(['query', HANG, sql]), [/^l4trace: query: Permission Error: Cannot access file/, 'host.txt']);
    const g = runCli(['query', kept, `SELECT file FROM glob(${q(join(dir, '*'))})`]);
    expectRefused(g, [/query: Permission Error/]);
    expect(g.stdout + g.stderr).not.toContain('hang.l4t');
  });

  it('nothing can be written: COPY TO and ATTACH of a new path create no file', async () => {
    const out = join(dir, 'copied.csv');
    const att = join(dir, 'attached.duckdb');
    await withAnalysis(HANG, async (a) => {
      await expect(a.query(`COPY (SELECT 1) TO ${q(out)}`)).rejects.toThrow(/Permission Error/);
      await expect(a.query(`ATTACH ${q(att)} AS x`)).rejects.toThrow(/Permission Error/);
      await expect(a.query(`EXPORT DATABASE ${q(join(dir, 'exported'))}`)).rejects.toThrow(/Permission Error/);
    });
    expectRefused(runCli(['query', HANG, `COPY (SELECT 1) TO ${q(out)}`]), [/^l4trace: query: .*copied\.csv/]);
    expectRefused(runCli(['query', kept, `ATTACH ${q(att)} AS x`]), [/^l4trace: query: /]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(att)).toBe(false);
    expect(existsSync(join(dir, 'exported'))).toBe(false);
  });

  it("the kept database's own file cannot be overwritten, though DuckDB 1.5.6 allows SQL to reach an open database's files", async () => {
    const before = sha(kept);
    // DuckDB lets SQL write to the database it has open, even READ_ONLY; through the private name the
    // path SQL could use leads nowhere, and the user's path is not allowed.
    await withAnalysis(kept, async (a) => {
      const own = String(await a.scalar("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"));
      expect(own).not.toBe(kept);
      for (const target of [own, `${own}.wal`, kept, `${kept}.wal`]) {
        await expect(a.query(`COPY (SELECT 'x') TO ${q(target)} (FORMAT csv, USE_TMP_FILE false)`), target).rejects.toThrow(AnalyzeError);
      }
    });
    // l4trace query screens statements by type as well: COPY, EXPLAIN ANALYZE (runs what it explains),
    // PREPARE/EXECUTE (hides what runs), the logging functions (bypass the configuration lock).
    for (const sql of [
      `COPY (SELECT 'x') TO ${q(kept)} (FORMAT csv, USE_TMP_FILE false)`,
      `EXPLAIN ANALYZE COPY (SELECT 'x') TO ${q(kept)} (FORMAT csv, USE_TMP_FILE false)`,
      `SELECT * FROM enable_logging(storage = 'file', storage_path = ${q(join(dir, 'log'))})`,
    ]) expectRefused(runCli(['query', kept, sql]), [/^l4trace: query: /]);
    expectRefused(runCli(['query', kept, `PREPARE p AS SELECT 1; EXECUTE p`, '--script']), [/query: statement 1 of 2: PREPARE not allowed/]);
    expect(sha(kept)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('kept.duckdb'))).toEqual(['kept.duckdb']);
    expect(existsSync(join(dir, 'log'))).toBe(false);
    // Plain EXPLAIN still works.
    const ex = runCli(['query', kept, 'EXPLAIN SELECT count(*) FROM slice']);
    expect(ex.code, ex.stderr).toBe(0);
  });

  it('a kept database reached through a symbolic link is opened by its real file, still through a private name', async () => {
    const link = join(dir, 'link.duckdb');
    symlinkSync(kept, link);
    await withAnalysis(link, async (a) => {
      const allowed = String(await a.scalar("SELECT value FROM duckdb_settings() WHERE name = 'allowed_paths'"));
      expect(allowed).not.toContain(kept);
      expect(allowed).not.toContain(link);
      expect(Number(await a.scalar('SELECT count(*) FROM slice'))).toBeGreaterThan(0);
    });
  });

  // When the system's temporary folder is on another file system, the private link is made beside the
  // database instead, and removed once DuckDB has the file open.
  const shm = '/dev/shm';
  it.skipIf(!existsSync(shm) || statSync(shm).dev === statSync(dir).dev)('a kept database on another file system than the temporary folder', () => {
    const tmp = mkdtempSync(join(shm, 'l4trace-sandbox-'));
    try {
      const before = sha(kept);
      const run = (sql: string): CliResult => {
        const r = spawnSync(process.execPath, [BIN, 'query', kept, sql, '--format', 'csv'], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
        return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      };
      const ok = run('SELECT count(*) AS n FROM slice');
      expect(ok.code, ok.stderr).toBe(0);
      expect(Number(ok.stdout.split('\n')[1])).toBeGreaterThan(0);
      expectRefused(run(`COPY (SELECT 'x') TO ${q(kept)} (FORMAT csv, USE_TMP_FILE false)`), [/^l4trace: query: /]);
      expect(sha(kept)).toBe(before);
      expect(readdirSync(dir).filter((f) => f.startsWith('.l4trace-open-'))).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('extensions cannot be installed or loaded and nothing is fetched over the network', async () => {
    await withAnalysis(HANG, async (a) => {
      await expect(a.query('INSTALL httpfs')).rejects.toThrow(/Permission Error/);
      await expect(a.query('LOAD httpfs')).rejects.toThrow(/Permission Error: Loading external extensions is disabled/);
      // Refused before any connection is tried: the message is the sandbox's, not a network error.
      await expect(a.query("SELECT * FROM read_csv('https://example.com/data.csv')")).rejects.toThrow(/Permission Error: Cannot access file "https:\/\/example\.com/);
      await expect(a.query("SELECT * FROM read_parquet('s3://bucket/x.parquet')")).rejects.toThrow(/Permission Error|disabled/);
    });
    expectRefused(runCli(['query', HANG, 'INSTALL httpfs']), [/query: INSTALL and LOAD not allowed/]);
    expectRefused(runCli(['query', HANG, 'LOAD httpfs']), [/query: INSTALL and LOAD not allowed/]);
    expectRefused(runCli(['query', HANG, "SELECT * FROM read_text('https://example.com/')"]), [/query: Permission Error: Cannot access file "https:/]);
  });

  it('SQL cannot turn the settings back on (SET, RESET, PRAGMA are refused by the lock)', async () => {
    await withAnalysis(HANG, async (a) => {
      for (const sql of ['SET enable_external_access = true', 'RESET enable_external_access', 'PRAGMA enable_external_access = true', 'SET lock_configuration = false', 'SET autoload_known_extensions = true', "SET allowed_directories = ['/']"]) {
        await expect(a.query(sql), sql).rejects.toThrow(/the configuration has been locked/);
      }
      expect(await a.scalar("SELECT value FROM duckdb_settings() WHERE name = 'enable_external_access'")).toBe('false');
    });
    const r = runCli(['query', HANG, `SET enable_external_access = true; SELECT content FROM read_text(${q(hostFile)})`, '--script']);
    expectRefused(r, [/^l4trace: query: statement 1 of 2: Invalid Input Error: Cannot change configuration option "enable_external_access" - the configuration has been locked/]);
  });
});

describe('kept databases: only what l4trace wrote is opened', () => {
  /** A copy of the good kept database, changed by `sql`. */
  async function variant(name: string, sql: string, keepWal = false): Promise<string> {
    const f = join(dir, name);
    copyFileSync(kept, f);
    await tamper(f, sql, keepWal);
    return f;
  }

  it('a kept database written by l4trace carries the writer marker and the schema version, and opens', async () => {
    await withAnalysis(kept, async (a) => {
      const md = await a.query("SELECT key, value FROM metadata WHERE key IN ('writer', 'schema_version') ORDER BY key");
      expect(md.rows).toEqual([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
        { key: 'writer', value: 'l4trace' },
      ]);
      expect(Number(await a.scalar('SELECT count(*) FROM slice'))).toBeGreaterThan(0);
    });
    const r = runCli(['report', kept]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a slice view that reads a host file: query, report, view and export all refuse it, and the text goes nowhere', async () => {
    const evil = await variant('evil-slice.duckdb', LEAKY_SLICE);
    // The tampered view does read the file when run without the sandbox: the test database is a real threat.
    {
      const inst = await DuckDBInstance.create(evil, { access_mode: 'READ_ONLY' });
      const con = await inst.connect();
      expect(JSON.stringify((await con.runAndReadAll('SELECT name FROM slice LIMIT 1')).getRowObjectsJson())).toContain(SECRET);
      con.closeSync();
      inst.closeSync();
    }
    const problem = 'evil-slice.duckdb: refused: view slice is not the one l4trace creates';
    expectRefused(runCli(['query', evil, 'SELECT name FROM slice']), [problem]);
    expectRefused(runCli(['report', evil]), [problem]);
    const html = join(dir, 'evil.html');
    expectRefused(runCli(['view', evil, '-o', html]), [problem]);
    expect(existsSync(html)).toBe(false);
    const pq = join(dir, 'evil-pq');
    expectRefused(runCli(['export', evil, '--format', 'parquet', '-o', pq]), [problem]);
    expect(existsSync(pq)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    const pf = join(dir, 'evil.pftrace');
    expectRefused(runCli(['export', evil, '--format', 'perfetto', '-o', pf]), [problem]);
    expect(existsSync(pf)).toBe(false);
    await expect(Analysis.open(evil)).rejects.toThrow(problem);
    expectNoLeak();
  });

  it('a plain DuckDB file, and one with l4trace tables but no writer marker, are refused', async () => {
    const plain = join(dir, 'plain.duckdb');
    // A view, so the file holds the host file's name but not its text.
    await tamper(plain, `CREATE VIEW notes AS SELECT content FROM read_text(${q(hostFile)})`);
    for (const cmd of [['query', plain, 'SELECT 1'], ['report', plain], ['view', plain, '-o', join(dir, 'plain.html')], ['export', plain, '--format', 'chrome-json', '-o', join(dir, 'plain.json')]]) {
      expectRefused(runCli(cmd), ['plain.duckdb: not an l4trace database (no l4trace metadata table)']);
    }
    const unmarked = await variant('unmarked.duckdb', "DELETE FROM metadata WHERE key = 'writer'");
    expectRefused(runCli(['query', unmarked, 'SELECT 1']), ['unmarked.duckdb: not written by l4trace (no writer marker in its metadata)']);
    const old = await variant('old.duckdb', "UPDATE metadata SET value = '0' WHERE key = 'schema_version'");
    expectRefused(runCli(['query', old, 'SELECT 1']), [`old.duckdb: schema version 0, this l4trace reads ${SCHEMA_VERSION}; load the trace again`]);
  });

  it('extra or changed views, macros, tables, columns, schemas, sequences and types are refused', async () => {
    const cases: [string, string, string][] = [
      ['extra-view.duckdb', `CREATE VIEW leak AS SELECT content FROM read_text(${q(hostFile)})`, 'refused: unexpected view leak'],
      ['extra-macro.duckdb', `CREATE MACRO leak() AS TABLE SELECT content FROM read_text(${q(hostFile)})`, 'refused: unexpected macro leak'],
      [
        'changed-macro.duckdb',
        `CREATE OR REPLACE MACRO ancestor_slice(sid) AS TABLE SELECT content AS name FROM read_text(${q(hostFile)})`,
        'refused: macro ancestor_slice is not the one l4trace creates',
      ],
      ['macro-default.duckdb', `CREATE OR REPLACE MACRO following_flow(sid, x := 1) AS TABLE SELECT 1`, 'refused: macro following_flow is not the one l4trace creates'],
      ['extra-table.duckdb', `CREATE TABLE leak AS SELECT 1 AS x`, 'refused: unexpected table leak'],
      ['extra-column.duckdb', `ALTER TABLE thread ADD COLUMN note VARCHAR DEFAULT 'x'`, "refused: table thread does not have l4trace's columns"],
      ['dropped-view.duckdb', `DROP VIEW call_tree`, 'refused: view call_tree is missing'],
      ['extra-schema.duckdb', `CREATE SCHEMA other`, 'refused: unexpected schema other'],
      ['extra-sequence.duckdb', `CREATE SEQUENCE s`, 'refused: unexpected sequence s'],
      ['extra-type.duckdb', `CREATE TYPE mood AS ENUM ('a', 'b')`, 'refused: unexpected type mood'],
    ];
    for (const [name, sql, problem] of cases) {
      const f = await variant(name, sql);
      await expect(Analysis.open(f), name).rejects.toThrow(`${f}: ${problem}`);
    }
    // And as a user sees it: one line, exit 1.
    expectRefused(runCli(['query', join(dir, 'extra-view.duckdb'), 'SELECT * FROM leak']), ['extra-view.duckdb: refused: unexpected view leak']);
    expectNoLeak();
  });

  it('a WAL planted beside a kept database is not replayed', async () => {
    const f = await variant('planted.duckdb', LEAKY_SLICE, true);
    expect(existsSync(`${f}.wal`)).toBe(true);
    const r = runCli(['query', f, 'SELECT DISTINCT name FROM slice ORDER BY name LIMIT 3', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('name');
    expectNoLeak(r);
  });

  it('--db: a hostile database at the --db path is not opened; the trace is loaded and the file replaced', async () => {
    const trace = join(dir, 'hang.l4t');
    const evil = join(dir, 'evil-db.duckdb');
    copyFileSync(join(dir, 'evil-slice.duckdb'), evil);
    const r = runCli(['query', trace, 'SELECT DISTINCT name FROM slice ORDER BY name LIMIT 2', '--db', evil, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expectNoLeak(r);
    await withAnalysis(evil, async (a) => expect(await a.scalar("SELECT value FROM metadata WHERE key = 'writer'")).toBe('l4trace'));
  });
});

describe('what still works', () => {
  it('Parquet export writes its folder (from a trace and from a kept database), and nothing else', async () => {
    const before = new Set(readdirSync(dir));
    for (const [input, out] of [
      [HANG, join(dir, 'pq-trace')],
      [kept, join(dir, 'pq-kept')],
    ] as const) {
      const r = runCli(['export', input, '--format', 'parquet', '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(join(out, 'slice')).some((d) => d.startsWith('utid='))).toBe(true);
      // Read back with a plain DuckDB (the sandbox would refuse to read the folder, as it should).
      const inst = await DuckDBInstance.create(':memory:');
      const con = await inst.connect();
      const n = Number((await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${q(join(out, 'slice', '**', '*.parquet'))}, hive_partitioning = true)`)).getRowObjectsJson()[0]!.n);
      con.closeSync();
      inst.closeSync();
      await withAnalysis(input, async (a) => expect(n).toBe(Number(await a.scalar('SELECT count(*) FROM slice'))));
    }
    expect(readdirSync(dir).filter((f) => !before.has(f)).sort()).toEqual(['pq-kept', 'pq-trace']);
  });

  it('query runs one statement; several are a usage error without --script and run in order with it', () => {
    const r = runCli(['query', HANG, 'SELECT 1 AS a; SELECT 2 AS b']);
    expectRefused(r, [/^l4trace: query: the SQL holds 2 statements; give --script/], 2);
    const s = runCli(['query', HANG, 'CREATE TEMP TABLE t AS SELECT count(*) AS n FROM slice; SELECT n * 2 AS twice FROM t', '--script', '--format', 'csv']);
    expect(s.code, s.stderr).toBe(0);
    const one = runCli(['query', HANG, 'SELECT count(*) * 2 AS twice FROM slice', '--format', 'csv']);
    expect(one.code, one.stderr).toBe(0);
    expect(s.stdout).toBe(one.stdout);
    expect(s.stdout.split('\n')[0]).toBe('twice');
    // A trailing semicolon is still one statement; an empty input is none.
    expect(runCli(['query', HANG, 'SELECT 1;']).code).toBe(0);
    expectRefused(runCli(['query', HANG, '  -- nothing\n']), [/query: no SQL statement in the input/]);
  });

  it('the help of query documents --script and the sandbox', () => {
    const h = runCli(['query', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--script');
    expect(h.stdout).toMatch(/no host files/);
  });

  it('the private folders DuckDB works in are removed when a command ends', () => {
    // The commands get a temporary folder of their own, so other processes' files do not count.
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const run = (args: string[]): number | null => spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' }).status;
    expect(run(['query', kept, 'SELECT count(*) FROM slice'])).toBe(0);
    expect(run(['report', HANG])).toBe(0);
    expect(run(['query', HANG, 'SELEC 1'])).toBe(1);
    expect(run(['export', kept, '--format', 'parquet', '-o', join(dir, 'pq-tmp')])).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
