/**
 * A sweep's results as Parquet, and the summary of many shards' results (docs/scale.md).
 *
 * Each shard of a sweep writes one file, hive-partitioned by shard, beside its failing traces:
 *   DIR/results/shard=<i>/part.parquet     one row per seed run (SWEEP_COLUMNS)
 *   DIR/<scenario>-seed<N>.l4t             the failing runs (the `trace` column names them)
 * so shards that share one folder on shared storage never write the same file, and DuckDB, Spark or
 * Trino read `DIR/results` as one dataset. A file is written under a temporary name beside its target
 * and renamed into place (tracer/atomic-output.ts), so a reader sees a shard's whole results or none.
 *
 * `mergeSweepResults` reads the result folders of one or more DIRs at once with DuckDB's read_parquet
 * (hive partitioning) and says what they cover: outcomes, failing seeds with their traces, seeds of the
 * range missing from every shard, seeds run by more than one shard. DuckDB runs sandboxed
 * (sandbox.ts): it may read and write the result folders named and nothing else.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AtomicPath } from '../tracer/atomic-output.js';
import { UserError } from '../tracer/errors.js';
import { openSandboxedDuckDb, type SandboxedDb } from './sandbox.js';

export class SweepResultsError extends UserError {}

/** The columns of a results file, in order (docs/scale.md documents them). */
export const SWEEP_COLUMNS = [
  ['seed', 'BIGINT'],
  ['outcome', 'VARCHAR'],
  ['detail', 'VARCHAR'],
  ['end_cycle', 'BIGINT'],
  ['events', 'BIGINT'],
  ['choices', 'BIGINT'],
  /** The failing run's trace file, relative to DIR; NULL for a run that ended ok. */
  ['trace', 'VARCHAR'],
  ['shard', 'INTEGER'],
  ['shard_count', 'INTEGER'],
  ['scenario', 'VARCHAR'],
  ['seeds_from', 'BIGINT'],
  ['seeds_to', 'BIGINT'],
  ['chaos', 'INTEGER'],
  /** The --set overrides, one per line, in the order given. */
  ['sets', 'VARCHAR'],
  /** The machine's behaviour version (src/session/versions.ts): shards of another version ran another machine. */
  ['machine_version', 'INTEGER'],
] as const;

/** What identifies a sweep: every shard of it has the same. */
export interface SweepIdentity {
  scenario: string;
  sets: string[];
  chaos: number;
  seedsFrom: number;
  seedsTo: number;
  shardCount: number;
  machineVersion: number;
}

export interface SweepRow {
  seed: number;
  outcome: string;
  detail: string;
  endCycle: number;
  events: number;
  choices: number;
  /** The trace file's name in DIR, or null. */
  trace: string | null;
}

/** Where shard `index`'s results go in `dir`. */
export function resultsFile(dir: string, index: number): string {
  return join(dir, 'results', `shard=${index}`, 'part.parquet');
}

/** Write one shard's results (atomically) to DIR/results/shard=<index>/part.parquet; returns the path. */
export async function writeSweepResults(dir: string, index: number, id: SweepIdentity, rows: readonly SweepRow[]): Promise<string> {
  const target = resultsFile(dir, index);
  const folder = join(dir, 'results', `shard=${index}`);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (e) {
    throw new SweepResultsError(`${folder}: cannot create the results folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out = new AtomicPath(target);
  let db: SandboxedDb | null = null;
  try {
    db = await openSandboxedDuckDb({ kind: 'memory' }, { writableDir: realpathSync(folder) });
    await db.con.run(`CREATE TABLE results (${SWEEP_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`);
    const app = await db.con.createAppender('results');
    const sets = id.sets.join('\n');
    for (const r of [...rows].sort((a, b) => a.seed - b.seed)) {
      app.appendBigInt(BigInt(r.seed));
      app.appendVarchar(r.outcome);
      app.appendVarchar(r.detail);
      app.appendBigInt(BigInt(r.endCycle));
      app.appendBigInt(BigInt(r.events));
      app.appendBigInt(BigInt(r.choices));
      if (r.trace === null) app.appendNull();
      else app.appendVarchar(r.trace);
      app.appendInteger(index);
      app.appendInteger(id.shardCount);
      app.appendVarchar(id.scenario);
      app.appendBigInt(BigInt(id.seedsFrom));
      app.appendBigInt(BigInt(id.seedsTo));
      app.appendInteger(id.chaos);
      app.appendVarchar(sets);
      app.appendInteger(id.machineVersion);
      app.endRow();
    }
    app.closeSync();
    await db.con.run(`COPY results TO ${quote(out.temp)} (FORMAT parquet)`);
    db.close();
    db = null;
    out.commit();
  } catch (e) {
    db?.close();
    out.discard();
    if (e instanceof UserError) throw e;
    throw new SweepResultsError(`${target}: cannot write the results (${firstLine((e as Error).message)})`);
  }
  return target;
}

/** A failing seed and where its trace is. */
export interface FailingSeed {
  seed: number;
  outcome: string;
  detail: string;
  /** The trace's name, as the results file gives it (relative to its DIR). */
  trace: string | null;
  /** The trace's path: DIR joined with `trace` (null when the row names none). */
  file: string | null;
  shard: number;
}

export interface MergeSummary {
  dirs: string[];
  scenario: string;
  sets: string[];
  chaos: number;
  machineVersion: number;
  seeds: { from: number; to: number };
  shards: { count: number; found: number[]; missing: number[] };
  /** Result rows read (a duplicated seed counts once per row). */
  rows: number;
  /** Distinct seeds run. */
  covered: number;
  /** Per outcome, distinct seeds (ok first, then by name). */
  outcomes: Record<string, number>;
  /** Seeds whose outcome is not ok, by seed (a duplicated seed once, from its lowest shard). */
  failing: FailingSeed[];
  /** Seeds of the range no shard ran, as inclusive ranges. */
  missing: { count: number; ranges: [number, number][] };
  /** Seeds more than one result row holds; `agree` is false when their outcomes differ. */
  duplicates: { seed: number; shards: number[]; outcomes: string[]; agree: boolean }[];
  /** Every seed of the range run exactly once. */
  complete: boolean;
}

/** The results folder of DIR, checked: DIR/results with at least one shard=<i>/part.parquet; and its shards. */
function resultsFolder(dir: string): { folder: string; shards: number[] } {
  const st = existsSync(dir) ? statSync(dir) : null;
  if (!st) throw new SweepResultsError(`${dir}: no such folder`);
  if (!st.isDirectory()) throw new SweepResultsError(`${dir}: not a folder (give the -o folder of a sweep)`);
  const results = join(dir, 'results');
  const files = existsSync(results) && statSync(results).isDirectory() ? readdirSync(results).filter((d) => /^shard=\d+$/.test(d) && existsSync(join(results, d, 'part.parquet'))) : [];
  if (files.length === 0) throw new SweepResultsError(`${dir}: no sweep results (expected ${join(dir, 'results', 'shard=<i>', 'part.parquet')}, written by l4trace sweep -o ${dir})`);
  const folder = realpathSync(results);
  // read_parquet takes a glob: a folder whose path holds glob characters would match other files.
  if (/[*?[\]{}]/.test(folder)) throw new SweepResultsError(`${dir}: the folder's path ${folder} holds a glob character (* ? [ ] { }); move it to a plain path`);
  return { folder, shards: files.map((f) => Number(f.slice('shard='.length))) };
}

/** Summarise the results of one or more sweep folders (the shards of one sweep). */
export async function mergeSweepResults(dirs: readonly string[]): Promise<MergeSummary> {
  if (dirs.length === 0) throw new SweepResultsError('sweep-merge: give at least one folder');
  // One entry per real folder: the same folder named twice is read once.
  const byReal = new Map<string, string>();
  const shardFiles = new Set<number>();
  for (const d of dirs) {
    const r = resultsFolder(d);
    if (!byReal.has(r.folder)) byReal.set(r.folder, d);
    for (const i of r.shards) shardFiles.add(i);
  }
  const folders = [...byReal.keys()];
  const db = await openSandboxedDuckDb({ kind: 'memory' }, { readableDirs: folders });
  const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await db.con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  const where = dirs.join(', ');
  try {
    const globs = folders.map((f) => quote(`${f}/shard=*/part.parquet`)).join(', ');
    try {
      await db.con.run(
        `CREATE TEMP TABLE r AS SELECT seed::BIGINT AS seed, outcome, detail, trace, shard::INTEGER AS shard, shard_count, scenario, seeds_from, seeds_to, chaos, sets, machine_version,
           regexp_replace(filename, '/shard=[^/]*/part\\.parquet$', '') AS folder
         FROM read_parquet([${globs}], hive_partitioning = true, filename = true, union_by_name = true)`,
      );
    } catch (e) {
      throw new SweepResultsError(`${where}: cannot read the sweep results: ${firstLine(db.userMessage((e as Error).message))}`);
    }
    const ids = await rows(`SELECT DISTINCT scenario, sets, chaos, seeds_from::DOUBLE AS seeds_from, seeds_to::DOUBLE AS seeds_to, shard_count, machine_version FROM r ORDER BY ALL`);
    if (ids.length === 0) throw new SweepResultsError(`${where}: the results hold no rows (every shard ran no seed)`);
    if (ids.length > 1) {
      const show = (x: Record<string, unknown>): string => `${x.scenario} seeds ${x.seeds_from}..${x.seeds_to} in ${x.shard_count} shards${x.chaos ? ` chaos ${x.chaos}` : ''}${x.sets ? ` --set ${String(x.sets).split('\n').join(' --set ')}` : ''} (machine v${x.machine_version})`;
      throw new SweepResultsError(`${where}: results of different sweeps: ${ids.slice(0, 3).map(show).join('; ')}${ids.length > 3 ? ` (and ${ids.length - 3} more)` : ''}`);
    }
    const id = ids[0]!;
    const from = Number(id.seeds_from);
    const to = Number(id.seeds_to);
    const shardCount = Number(id.shard_count);
    // Shards with a results file (a shard may have run no seed: a range shorter than the shard count).
    const found = [...shardFiles].sort((a, b) => a - b);
    const missingShards: number[] = [];
    for (let i = 0; i < shardCount; i++) if (!found.includes(i)) missingShards.push(i);
    // One row per seed: a duplicated seed counts once, from its lowest shard (then folder).
    await db.con.run(`CREATE TEMP TABLE s AS SELECT * FROM r QUALIFY row_number() OVER (PARTITION BY seed ORDER BY shard, folder) = 1`);
    const total = Number((await rows(`SELECT count(*)::DOUBLE AS n FROM r`))[0]!.n);
    const covered = Number((await rows(`SELECT count(*)::DOUBLE AS n FROM s`))[0]!.n);
    const outcomeRows = await rows(`SELECT outcome, count(*)::DOUBLE AS n FROM s GROUP BY outcome ORDER BY outcome <> 'ok', outcome`);
    const outcomes: Record<string, number> = {};
    for (const o of outcomeRows) outcomes[String(o.outcome)] = Number(o.n);
    const failing = (await rows(`SELECT seed::DOUBLE AS seed, outcome, detail, trace, shard, folder FROM s WHERE outcome <> 'ok' ORDER BY seed`)).map((x): FailingSeed => {
      const dir = byReal.get(String(x.folder)) ?? String(x.folder);
      const trace = x.trace === null ? null : String(x.trace);
      return { seed: Number(x.seed), outcome: String(x.outcome), detail: String(x.detail), trace, file: trace === null ? null : join(dir, trace), shard: Number(x.shard) };
    });
    // Gaps and islands: seeds of the range with no row, grouped into runs of consecutive seeds.
    const gaps = await rows(
      `WITH want AS (SELECT range AS seed FROM range(${from}::BIGINT, ${to}::BIGINT + 1)), m AS (SELECT seed FROM want ANTI JOIN s USING (seed))
       SELECT min(seed)::DOUBLE AS a, max(seed)::DOUBLE AS b, count(*)::DOUBLE AS n FROM (SELECT seed, seed - row_number() OVER (ORDER BY seed) AS g FROM m) GROUP BY g ORDER BY a`,
    );
    const missing = { count: gaps.reduce((n, g) => n + Number(g.n), 0), ranges: gaps.map((g): [number, number] => [Number(g.a), Number(g.b)]) };
    const duplicates = (
      await rows(`SELECT seed::DOUBLE AS seed, list(shard ORDER BY shard, folder) AS shards, list(outcome ORDER BY shard, folder) AS outcomes FROM r GROUP BY seed HAVING count(*) > 1 ORDER BY seed`)
    ).map((x) => {
      const outs = (x.outcomes as unknown[]).map(String);
      return { seed: Number(x.seed), shards: (x.shards as unknown[]).map(Number), outcomes: outs, agree: outs.every((o) => o === outs[0]) };
    });
    return {
      dirs: [...byReal.values()],
      scenario: String(id.scenario),
      sets: id.sets ? String(id.sets).split('\n') : [],
      chaos: Number(id.chaos),
      machineVersion: Number(id.machine_version),
      seeds: { from, to },
      shards: { count: shardCount, found, missing: missingShards },
      rows: total,
      covered,
      outcomes,
      failing,
      missing,
      duplicates,
      complete: missing.count === 0 && duplicates.length === 0,
    };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new SweepResultsError(`${where}: cannot summarise the sweep results: ${firstLine(db.userMessage((e as Error).message))}`);
  } finally {
    db.close();
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function firstLine(s: string): string {
  return s.split('\n').filter(Boolean)[0]?.trim() ?? s;
}
