/**
 * Sweeps beyond one machine (docs/scale.md): shards run as separate processes write their results as
 * Parquet beside their failing traces; `sweep-merge` reads them all (DuckDB, hive partitioning) and its
 * summary must equal a one-process sweep of the same seeds.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, tempDir, type CliResult } from '../support/cli.js';

const SEEDS = '1..12';
const ALL = Array.from({ length: 12 }, (_, i) => i + 1);

/** The CLI as a child process, not waited for (the shards run at the same time). */
function runCliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Failing {
  seed: number;
  outcome: string;
  detail: string;
  trace: string | null;
  file: string | null;
}

const essentials = (f: Failing[]): Omit<Failing, 'file'>[] => f.map(({ seed, outcome, detail, trace }) => ({ seed, outcome, detail, trace }));

describe('sweep shards and sweep-merge', () => {
  const dir = tempDir();
  const shared = join(dir, 'shared');
  const one = join(dir, 'one');
  let single: { outcomes: Record<string, number>; failing: Failing[]; run: number; results: string; shard: { index: number; count: number } };
  let shards: CliResult[];

  beforeAll(async () => {
    // Four shards as four processes at once, all writing into one folder (as on shared storage).
    shards = await Promise.all([0, 1, 2, 3].map((i) => runCliAsync(['sweep', 'signal-race', '--seeds', SEEDS, '--shard', `${i}/4`, '-j', '1', '-o', shared, '--json'])));
    const r = runCli(['sweep', 'signal-race', '--seeds', SEEDS, '-j', '2', '-o', one, '--json']);
    expect(r.stderr).toBe('');
    single = JSON.parse(r.stdout);
  }, 300_000);

  it('each shard writes DIR/results/shard=<i>/part.parquet beside its failing traces, and a JSON summary', () => {
    for (const [i, s] of shards.entries()) {
      expect(s.stderr).toBe('');
      const j = JSON.parse(s.stdout);
      expect(j.shard).toEqual({ index: i, count: 4 });
      expect(j.run).toBe(3);
      expect(j.results).toBe(join(shared, 'results', `shard=${i}`, 'part.parquet'));
      expect(s.code).toBe(j.failing.length > 0 ? 1 : 0);
    }
    expect(readdirSync(join(shared, 'results')).sort()).toEqual(['shard=0', 'shard=1', 'shard=2', 'shard=3']);
    for (let i = 0; i < 4; i++) expect(readdirSync(join(shared, 'results', `shard=${i}`))).toEqual(['part.parquet']); // no partial file left
    expect(single.shard).toEqual({ index: 0, count: 1 });
    expect(single.results).toBe(join(one, 'results', 'shard=0', 'part.parquet'));
    expect(single.run).toBe(12);
    expect(single.failing.length).toBeGreaterThan(0); // signal-race without a fix hangs on some seeds
    for (const f of single.failing) expect(existsSync(f.file!)).toBe(true);
  });

  it('the merged summary of four shards equals a one-process sweep of the same seeds', () => {
    const r = runCli(['sweep-merge', shared, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // seeds failed
    const m = JSON.parse(r.stdout);
    expect(m.scenario).toBe('signal-race');
    expect(m.seeds).toEqual({ from: 1, to: 12 });
    expect(m.shards).toEqual({ count: 4, found: [0, 1, 2, 3], missing: [] });
    expect(m.rows).toBe(12);
    expect(m.covered).toBe(single.run);
    expect(m.outcomes).toEqual(single.outcomes);
    expect(essentials(m.failing)).toEqual(essentials(single.failing));
    expect(m.missing).toEqual({ count: 0, ranges: [] });
    expect(m.duplicates).toEqual([]);
    expect(m.complete).toBe(true);
    for (const f of m.failing as (Failing & { shard: number })[]) {
      expect(f.file).toBe(join(shared, f.trace!));
      expect(existsSync(f.file!)).toBe(true);
      expect(f.shard).toBe((f.seed - 1) % 4);
    }
    // The one-process sweep's own results merge to the same summary.
    const s = JSON.parse(runCli(['sweep-merge', one, '--json']).stdout);
    expect({ ...s, dirs: [], failing: essentials(s.failing), shards: null }).toEqual({ ...m, dirs: [], failing: essentials(m.failing), shards: null });
  });

  it('the results files hold every column, and DuckDB reads them hive-partitioned as docs/scale.md shows', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const rows = (await con.runAndReadAll(`SELECT * FROM read_parquet('${shared}/results/*/*.parquet', hive_partitioning = true) ORDER BY seed`)).getRowObjectsJson();
      expect(rows.map((x) => Number(x.seed))).toEqual(ALL);
      expect(Object.keys(rows[0]!).sort()).toEqual(['chaos', 'choices', 'detail', 'end_cycle', 'events', 'outcome', 'scenario', 'seed', 'seeds_from', 'seeds_to', 'sets', 'shard', 'shard_count', 'trace', 'machine_version'].sort());
      for (const x of rows) {
        expect(Number(x.shard)).toBe((Number(x.seed) - 1) % 4);
        expect(Number(x.events)).toBeGreaterThan(0);
        expect(Number(x.end_cycle)).toBeGreaterThan(0);
        expect(x.trace === null).toBe(x.outcome === 'ok');
      }
      const counts = (await con.runAndReadAll(`SELECT outcome, count(DISTINCT seed)::INTEGER AS seeds FROM read_parquet('${shared}/results/*/*.parquet', hive_partitioning = true) GROUP BY outcome`)).getRowObjectsJson();
      expect(Object.fromEntries(counts.map((c) => [c.outcome, c.seeds]))).toEqual(single.outcomes);
    } finally {
      con.closeSync();
      db.closeSync();
    }
  });

  it("docs/scale.md's DuckDB statements say what sweep-merge says (a missing shard and a duplicated one included)", async () => {
    const doc = readFileSync(new URL('../../docs/scale.md', import.meta.url), 'utf8');
    const block = /```sql\n-- sweep-merge in SQL\n([\s\S]*?)```/.exec(doc)![1]!;
    // shard 3 lost, shard 0's results also under shard=9
    const sw = join(dir, 'sw');
    cpSync(shared, sw, { recursive: true });
    rmSync(join(sw, 'results', 'shard=3'), { recursive: true });
    cpSync(join(sw, 'results', 'shard=0'), join(sw, 'results', 'shard=9'), { recursive: true });
    const m = JSON.parse(runCli(['sweep-merge', sw, '--json']).stdout);
    const statements = block.split(';\n').map((x) => x.replace(/^--.*\n/gm, '').trim()).filter(Boolean);
    expect(statements).toHaveLength(6);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const out: Record<string, unknown>[][] = [];
    try {
      for (const q of statements) out.push((await con.runAndReadAll(q.split("'sw/").join(`'${sw}/`))).getRowObjectsJson());
    } finally {
      con.closeSync();
      db.closeSync();
    }
    const [, , outcomes, failing, missing, dups] = out as [unknown, unknown, { outcome: string; seeds: string }[], { seed: string; outcome: string; file: string }[], { missing: string }[], { seed: string; shards: string[]; outcomes: string[] }[]];
    expect(Object.fromEntries(outcomes.map((o) => [o.outcome, Number(o.seeds)]))).toEqual(m.outcomes);
    expect(failing.map((f) => ({ seed: Number(f.seed), outcome: f.outcome, file: f.file }))).toEqual(m.failing.map((f: Failing) => ({ seed: f.seed, outcome: f.outcome, file: f.file })));
    expect(missing.map((x) => Number(x.missing))).toEqual([4, 8, 12]);
    expect(m.missing.ranges).toEqual([[4, 4], [8, 8], [12, 12]]);
    expect(dups.map((d) => ({ seed: Number(d.seed), shards: d.shards.map(Number), outcomes: d.outcomes }))).toEqual(
      m.duplicates.map((d: { seed: number; shards: number[]; outcomes: string[] }) => ({ seed: d.seed, shards: d.shards, outcomes: d.outcomes })),
    );
    expect(m.duplicates.map((d: { seed: number }) => d.seed)).toEqual([1, 5, 9]);
    expect(m.shards).toEqual({ count: 4, found: [0, 1, 2, 9], missing: [3] });
  });

  it('shards kept in separate folders merge the same; a missing shard and a duplicated one are reported', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const [i, out] of [[0, a], [1, a], [2, b]] as const) runCli(['sweep', 'signal-race', '--seeds', SEEDS, '--shard', `${i}/4`, '-j', '1', '-o', out]);
    const partial = runCli(['sweep-merge', a, b]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/^sweep-merge signal-race seeds 1\.\.12: 3 of 4 shards, 9 seeds,/);
    expect(partial.stdout).toContain('  shards without results: 3');
    expect(partial.stdout).toContain('  missing: 3 seeds: 4 8 12');
    const pj = JSON.parse(runCli(['sweep-merge', a, b, '--json']).stdout);
    expect(pj.missing).toEqual({ count: 3, ranges: [[4, 4], [8, 8], [12, 12]] });
    expect(pj.complete).toBe(false);
    // Shard 3 run into b, and shard 0 run again there: complete coverage, seed 1, 5, 9 twice.
    runCli(['sweep', 'signal-race', '--seeds', SEEDS, '--shard', '3/4', '-j', '1', '-o', b]);
    runCli(['sweep', 'signal-race', '--seeds', SEEDS, '--shard', '0/4', '-j', '1', '-o', b]);
    const dup = JSON.parse(runCli(['sweep-merge', a, b, '--json']).stdout);
    expect(dup.covered).toBe(12);
    expect(dup.rows).toBe(15);
    expect(dup.missing.count).toBe(0);
    expect(dup.duplicates.map((d: { seed: number }) => d.seed)).toEqual([1, 5, 9]);
    expect(dup.duplicates.every((d: { shards: number[]; agree: boolean }) => d.agree && d.shards.join() === '0,0')).toBe(true); // deterministic: the same outcome twice
    expect(dup.outcomes).toEqual(single.outcomes);
    expect(essentials(dup.failing)).toEqual(essentials(single.failing));
    expect(runCli(['sweep-merge', a, b]).stdout).toMatch(/duplicates: 3 seeds: 1 \(shards 0, 0\); 5/);
  });

  it('a shard with no seed of a short range still writes its (empty) results and counts as found', () => {
    const out = join(dir, 'short');
    const r = runCli(['sweep', 'pingpong', '--seeds', '1..2', '--shard', '3/4', '-j', '1', '--set', 'rounds=10', '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ planned: 0, run: 0, outcomes: {}, failing: [] });
    expect(existsSync(join(out, 'results', 'shard=3', 'part.parquet'))).toBe(true);
    for (const i of [0, 1]) runCli(['sweep', 'pingpong', '--seeds', '1..2', '--shard', `${i}/4`, '-j', '1', '--set', 'rounds=10', '-o', out]);
    const m = runCli(['sweep-merge', out, '--json']);
    expect(m.code, m.stderr).toBe(0); // shard 2 never ran, but it holds no seed of 1..2: nothing is missing
    expect(JSON.parse(m.stdout)).toMatchObject({ shards: { count: 4, found: [0, 1, 3], missing: [2] }, covered: 2, outcomes: { ok: 2 }, missing: { count: 0 }, complete: true });
  });

  it('refuses folders without results, and results of different sweeps, in one line', () => {
    const empty = tempDir();
    const r = runCli(['sweep-merge', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^l4trace: ${empty}: no sweep results \\(expected .*results/shard=<i>/part\\.parquet`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(runCli(['sweep-merge', join(empty, 'nosuch')]).stderr).toMatch(/nosuch: no such folder\n$/);
    const other = join(dir, 'other');
    runCli(['sweep', 'signal-race', '--seeds', '1..2', '-j', '1', '-o', other, '--set', 'signalFix=handshake']);
    const mixed = runCli(['sweep-merge', shared, other]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/^l4trace: .*: results of different sweeps: signal-race seeds 1\.\.12 in 4 shards \(machine v\d+\); signal-race seeds 1\.\.2 in 1 shards --set signalFix=handshake \(machine v\d+\)\n$/);
    expect(runCli(['sweep-merge', '-']).code).toBe(2);
    expect(runCli(['sweep', 'signal-race', '--seeds', '1..2', '-o', '-']).code).toBe(2);
    rmSync(empty, { recursive: true, force: true });
  });
});
