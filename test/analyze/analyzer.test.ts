import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { Kind } from '../../tracer/catalogue.js';
import { TraceReader } from '../../tracer/reader.js';
import { checkChromeTrace } from '../support/chrome-check.js';
import { runCli, tempDir } from '../support/cli.js';
import { withAnalysis } from '../support/analysis.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const HANG = golden('signal-race-seed1-hang.l4t');
const HANDSHAKE = golden('signal-race-seed1-handshake.l4t');
/**
 * Perfetto's published schema, referenced where the workspace keeps it (never copied into the project):
 * $L4TRACE_PERFETTO_PROTO, else ../shared beside this checkout, else /work/shared.
 */
const PERFETTO_PROTO =
  [process.env.L4TRACE_PERFETTO_PROTO, resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/data/perfetto/perfetto_trace.proto'), '/work/shared/data/perfetto/perfetto_trace.proto'].find(
    (p): p is string => !!p && existsSync(p),
  ) ?? '(not found)';


const count = async (a: Analysis, table: string): Promise<number> => Number(await a.scalar(`SELECT count(*) FROM ${table}`));

describe('SQL over a recorded signal-race trace', () => {
  it('answers who sent the signal, what the kick returned, and that no delivery follows', async () => {
    await withAnalysis(HANG, async (a) => {
      const r = await a.query('SELECT t.name AS sender, s.from_pid, s.to_pid, s.sig_name, s.path, s.kick_name, s.ts_deliver FROM signal s JOIN thread t USING (utid)');
      expect(r.rows).toEqual([{ sender: 'linux-server', from_pid: 1, to_pid: 2, sig_name: 'SIGTERM', path: 'kick', kick_name: 'SETIMEOUT', ts_deliver: null }]);
      expect(await a.scalar("SELECT value FROM metadata WHERE key = 'outcome'")).toBe('hang');
      // The kick is the sender's last IPC before the signal event: a zero-timeout send to the signal
      // thread of pid 2, which was not receiving yet, so nobody got it.
      const kick = await a.query(`SELECT i.kind, i.result_name, i.receiver_utid, d.name AS dest_thread, d.linux_pid AS dest_pid
                                  FROM signal s JOIN ipc i ON i.sender_utid = s.utid AND i.ts_send <= s.ts
                                  JOIN thread d ON d.l4_id = i.dest ORDER BY i.ts_send DESC LIMIT 1`);
      expect(kick.rows[0]).toEqual({ kind: 'send', result_name: 'SETIMEOUT', receiver_utid: null, dest_thread: 'l4linux-signal-thread', dest_pid: 2 });
    });
    // The raw trace agrees: no SIG_DELIVER event anywhere.
    expect(kindCount(HANG, Kind.SIG_DELIVER)).toBe(0);
  });

  it('with the handshake fix the same question finds the delivery (the query can tell the two apart)', async () => {
    await withAnalysis(HANDSHAKE, async (a) => {
      const r = await a.query("SELECT kick_name, ts_deliver > ts AS delivered_after, action FROM signal WHERE sig_name = 'SIGTERM' AND ts_deliver IS NOT NULL");
      expect(r.rows).toEqual([{ kick_name: 'ok', delivered_after: true, action: 'terminate' }]);
    });
    expect(kindCount(HANDSHAKE, Kind.SIG_DELIVER)).toBeGreaterThan(0);
  });

  for (const name of ['signal-race-seed1-hang.l4t', 'shell.l4t', 'clients-server-seed3.l4t', 'table2-l4env.l4t']) {
    it(`ipc_matrix totals equal the IPC count that l4trace info prints (${name})`, async () => {
      const info = runCli(['info', golden(name)]);
      expect(info.code, info.stderr).toBe(0);
      const printed = Number(/^ipc\s+([\d,]+) messages sent/m.exec(info.stdout)![1]!.replace(/,/g, ''));
      expect(printed).toBeGreaterThan(0);
      await withAnalysis(golden(name), async (a) => {
        expect(Number(await a.scalar('SELECT sum(msgs) FROM ipc_matrix'))).toBe(printed);
        expect(await count(a, 'ipc')).toBe(printed);
      });
    });
  }
});

function kindCount(path: string, kind: number): number {
  const r = TraceReader.open(path);
  let n = 0;
  for (const c of r.decodedChunks()) for (let i = 0; i < c.count; i++) if (c.kinds[i] === kind) n++;
  r.close();
  return n;
}

describe('the schema', () => {
  it('slices nest: depth, parent and self time agree with the intervals; unfinished calls have dur -1', async () => {
    await withAnalysis(golden('rec-O2.l4t'), async (a) => {
      expect(await count(a, 'slice')).toBeGreaterThan(10_000);
      // A child lies within its parent, one level deeper, and on the same thread.
      const bad = await a.scalar(`SELECT count(*) FROM slice c JOIN slice p ON c.parent_id = p.id
                                  WHERE c.depth <> p.depth + 1 OR c.utid <> p.utid OR c.ts < p.ts OR (p.dur >= 0 AND c.dur >= 0 AND c.ts + c.dur > p.ts + p.dur)`);
      expect(Number(bad)).toBe(0);
      // Self time is the duration less the children's durations.
      const selfBad = await a.scalar(`SELECT count(*) FROM slice p WHERE p.dur >= 0 AND p.self_dur <> p.dur - coalesce((SELECT sum(dur) FROM slice c WHERE c.parent_id = p.id), 0)`);
      expect(Number(selfBad)).toBe(0);
      expect(Number(await a.scalar('SELECT count(*) FROM slice WHERE depth = 0 AND parent_id IS NOT NULL'))).toBe(0);
    });
    await withAnalysis(HANG, async (a) => {
      expect((await a.query("SELECT dur, self_dur FROM slice WHERE name = 'main'")).rows).toEqual([{ dur: -1, self_dur: -1 }]);
    });
    // Calls of a thread that died inside them (exec'd over, killed) end at its exit, not as unfinished.
    await withAnalysis(golden('shell.l4t'), async (a) => {
      const joined = 'FROM slice s JOIN thread t USING (utid) WHERE t.exit_ts IS NOT NULL';
      expect(Number(await a.scalar(`SELECT count(*) ${joined} AND (s.dur < 0 OR s.ts + s.dur > t.exit_ts)`))).toBe(0);
      expect(Number(await a.scalar(`SELECT count(*) ${joined} AND s.ts + s.dur = t.exit_ts AND s.name = 'exec_stage'`))).toBeGreaterThan(0);
    });
  });

  it('views and table macros answer: function_summary, call_tree, ancestor/descendant slices, following flows', async () => {
    await withAnalysis(golden('rec-O2.l4t'), async (a) => {
      const fs = await a.query('SELECT name, calls, incl, excl, min, max, p50, p99 FROM function_summary ORDER BY calls DESC LIMIT 1');
      const top = fs.rows[0]!;
      expect(top.calls).toBe(await a.scalar(`SELECT count(*) FROM slice WHERE name = '${String(top.name)}' AND category = 'func'`));
      expect(Number(top.min)).toBeLessThanOrEqual(Number(top.p50));
      expect(Number(top.p50)).toBeLessThanOrEqual(Number(top.p99));
      expect(Number(top.p99)).toBeLessThanOrEqual(Number(top.max));
      expect(Number(top.excl)).toBeLessThanOrEqual(Number(top.incl));
      // Call tree calls add up to the function calls.
      expect(Number(await a.scalar('SELECT sum(calls) FROM call_tree'))).toBe(Number(await a.scalar("SELECT count(*) FROM slice WHERE category = 'func'")));
      const deep = await a.query('SELECT id, depth FROM slice WHERE depth >= 3 ORDER BY id LIMIT 1');
      const { id, depth } = deep.rows[0]! as { id: number; depth: number };
      expect(await count(a, `ancestor_slice(${id})`)).toBe(depth);
      const root = Number(await a.scalar(`SELECT min(id) FROM ancestor_slice(${id}) WHERE depth = 0`));
      expect(Number(await a.scalar(`SELECT count(*) FROM descendant_slice(${root}) WHERE id = ${id}`))).toBe(1);
    });
    await withAnalysis(golden('clients-server-seed3.l4t'), async (a) => {
      // A client's call flows to the server, whose reply flows back.
      const f = await a.query(`SELECT f.slice_out FROM flow f JOIN slice s ON s.id = f.slice_out WHERE s.name = 'ipc:call' ORDER BY f.id LIMIT 1`);
      const chain = await a.query(`SELECT * FROM following_flow(${Number(f.rows[0]!.slice_out)})`);
      expect(chain.rows.length).toBeGreaterThanOrEqual(1);
      expect(Number(await a.scalar('SELECT count(*) FROM flow f JOIN ipc i ON i.id = f.ipc_id WHERE i.send_slice_id <> f.slice_out OR i.recv_slice_id <> f.slice_in'))).toBe(0);
    });
  });

  it('interrupts carry raise, delivery, latency and the handler thread; sched intervals tile each CPU', async () => {
    await withAnalysis(golden('irq.l4t'), async (a) => {
      // Every raise is delivered to its handler, or coalesced into a later raise while still pending.
      const r = await a.query('SELECT count(*) AS n, count(ts_deliver) AS delivered, count(*) FILTER (WHERE coalesced > 0) AS coalesced, min(latency) AS min_latency, count(handler_utid) AS handled FROM irq');
      expect(r.rows[0]).toMatchObject({ n: 60, delivered: 54, coalesced: 6, handled: 54 });
      expect(Number(r.rows[0]!.min_latency)).toBeGreaterThanOrEqual(0);
      // Each interval ends where the next on its CPU begins.
      const gaps = await a.scalar('SELECT count(*) FROM (SELECT ts + dur AS e, lead(ts) OVER (PARTITION BY cpu ORDER BY ts) AS nxt FROM sched) WHERE nxt IS NOT NULL AND nxt <> e');
      expect(Number(gaps)).toBe(0);
    });
  });

  it('a kept database (--db) is reused while the trace is unchanged, and accepted in place of the trace', async () => {
    const dir = tempDir();
    const trace = join(dir, 't.l4t');
    copyFileSync(HANG, trace);
    const db = join(dir, 't.duckdb');
    const first = await Analysis.open(trace, { db });
    expect(first.loaded).not.toBeNull();
    first.close();
    const second = await Analysis.open(trace, { db });
    expect(second.loaded).toBeNull(); // opened, not loaded again
    expect(Number(await second.scalar('SELECT count(*) FROM signal'))).toBe(1);
    second.close();
    const q = runCli(['query', db, 'SELECT kick_name FROM signal', '--format', 'csv']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout.trim()).toBe('kick_name\nSETIMEOUT');
    // A changed trace is loaded again.
    copyFileSync(HANDSHAKE, trace);
    const third = await Analysis.open(trace, { db });
    expect(third.loaded).not.toBeNull();
    expect(Number(await third.scalar('SELECT count(*) FROM signal'))).toBe(3);
    third.close();
  });
});

describe('Score-P-style filtering: score -g, then filter -f', () => {
  const dir = tempDir();
  const big = join(dir, 'heavy.l4t');
  const rules = join(dir, 'heavy.filter');
  const small = join(dir, 'small.l4t');

  beforeAll(() => {
    // A function-heavy program run from the shell, so keyboard interrupts, IPC and context switches are
    // all in the trace too.
    const spec = join(dir, 'heavy.json');
    writeFileSync(spec, JSON.stringify({ scenario: 'shell', params: { lines: ['callheavy 22', 'exit'], expect: null, programs: ['callheavy'] } }));
    const r = runCli(['record', spec, '-o', big, '-q']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('score prints visits, bytes, time per visit and region type, and -g writes a filter file', () => {
    const r = runCli(['score', big, '-g', rules]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/type\s+visits\s+bytes\s+%\s+max_buf\s+us\/visit\s+region/);
    expect(r.stdout).toMatch(/^USR\s+[\d,]+\s+[\d,]+.*\btree$/m);
    expect(r.stdout).toMatch(/suggested filter: exclude .*tree.* -> about [\d,]+ bytes \(([\d.]+)x smaller\)/);
    const text = readFileSync(rules, 'utf8');
    expect(text).toMatch(/SCOREP_REGION_NAMES_BEGIN\n\s+EXCLUDE .*\btree\b.*\nSCOREP_REGION_NAMES_END/);
    expect(text).not.toMatch(/EXCLUDE.*\bmain\b/); // main lies on the path to system calls: COM, kept
  });

  it('filter cuts the trace at least 10x, keeps every IPC, IRQ and context switch, and the result loads, queries and replays', async () => {
    const r = runCli(['filter', big, '-f', rules, '-o', small]);
    expect(r.code, r.stderr).toBe(0);
    const ratio = statSync(big).size / statSync(small).size;
    expect(ratio).toBeGreaterThanOrEqual(10);
    const counts = async (path: string): Promise<number[]> =>
      withAnalysis(path, async (a) => [await count(a, 'ipc'), await count(a, 'irq'), await count(a, 'sched'), await count(a, 'flow'), await count(a, 'signal')]);
    const before = await counts(big);
    const after = await counts(small);
    expect(before[1]).toBeGreaterThan(0); // there are interrupts to keep
    expect(after).toEqual(before);
    await withAnalysis(small, async (a) => {
      expect(String(await a.scalar("SELECT value FROM metadata WHERE key = 'filter_rules'"))).toMatch(/tree/);
      expect(Number(await a.scalar("SELECT count(*) FROM slice WHERE name = 'tree'"))).toBe(0);
      expect(Number(await a.scalar("SELECT count(*) FROM function_summary WHERE name = 'main'"))).toBe(1);
      expect(await count(a, 'ipc_matrix')).toBeGreaterThan(0);
      expect(await count(a, 'call_tree')).toBeGreaterThan(0);
    });
    const replay = runCli(['replay', small]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/identical/);
  });

  it('filter files order INCLUDE/EXCLUDE rules and restrict threads, time and depth', async () => {
    const f = join(dir, 'depth.filter');
    writeFileSync(f, ['SCOREP_REGION_NAMES_BEGIN', '  EXCLUDE *', '  INCLUDE main fib', 'SCOREP_REGION_NAMES_END', 'MAX_DEPTH 1', ''].join('\n'));
    const out = join(dir, 'depth.l4t');
    const r = runCli(['filter', big, '-f', f, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    await withAnalysis(out, async (a) => {
      const names = (await a.query("SELECT DISTINCT name FROM slice WHERE category = 'func' ORDER BY name")).rows.map((x) => x.name);
      expect(names).toEqual(['fib', 'main']);
      expect(Number(await a.scalar("SELECT max(depth) FROM slice WHERE category = 'func'"))).toBeLessThanOrEqual(1);
    });
    expect(runCli(['replay', out]).code).toBe(0);
  });

  it('THREADS, TASKS and TIME_WINDOW rules restrict whose calls and which calls are kept', async () => {
    const [from, to] = await withAnalysis(big, async (a) => {
      const r = await a.query("SELECT min(ts) AS lo, max(ts) AS hi FROM slice WHERE category = 'func' AND name = 'tree'");
      const lo = Number(r.rows[0]!.lo);
      const hi = Number(r.rows[0]!.hi);
      return [Math.round(lo + (hi - lo) * 0.4), Math.round(lo + (hi - lo) * 0.5)];
    });
    const f = join(dir, 'window.filter');
    writeFileSync(f, ['# only calls entered in the window, and none of the shell\'s', 'THREADS_BEGIN', '  EXCLUDE sh', 'THREADS_END', `TIME_WINDOW ${from} ${to}`, ''].join('\n'));
    const out = join(dir, 'window.l4t');
    const r = runCli(['filter', big, '-f', f, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    await withAnalysis(out, async (a) => {
      const q = await a.query("SELECT count(*) AS n, min(s.ts) AS lo, max(s.ts) AS hi, count(*) FILTER (WHERE t.name = 'sh') AS sh FROM slice s JOIN thread t USING (utid) WHERE category = 'func'");
      expect(Number(q.rows[0]!.n)).toBeGreaterThan(100);
      expect(Number(q.rows[0]!.lo)).toBeGreaterThanOrEqual(from);
      expect(Number(q.rows[0]!.hi)).toBeLessThanOrEqual(to);
      expect(Number(q.rows[0]!.sh)).toBe(0);
    });
    // TASKS: excluding callheavy's task leaves none of its calls.
    const task = await withAnalysis(big, async (a) => Number(await a.scalar("SELECT task FROM thread WHERE name = 'callheavy' LIMIT 1")));
    const tf = join(dir, 'task.filter');
    writeFileSync(tf, `TASKS_BEGIN\n  EXCLUDE ${task}\nTASKS_END\n`);
    const tout = join(dir, 'task.l4t');
    expect(runCli(['filter', big, '-f', tf, '-o', tout]).code).toBe(0);
    await withAnalysis(tout, async (a) => {
      expect(Number(await a.scalar(`SELECT count(*) FROM slice s JOIN thread t USING (utid) WHERE category = 'func' AND t.task = ${task}`))).toBe(0);
      expect(Number(await a.scalar("SELECT count(*) FROM slice WHERE category = 'func'"))).toBeGreaterThan(0);
    });
  });
});

describe('exports', () => {
  const dir = tempDir();

  it('Perfetto: decodes with protoc against the published schema, begin/end balance per track, flows pair', (ctx) => {
    const protoc = spawnSync('protoc', ['--version'], { encoding: 'utf8' });
    if (!existsSync(PERFETTO_PROTO) || protoc.status !== 0) ctx.skip();
    for (const name of ['shell.l4t', 'signal-race-seed1-hang.l4t']) {
      const out = join(dir, `${name}.pftrace`);
      const r = runCli(['export', golden(name), '--format', 'perfetto', '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const flows = Number(/, ([\d,]+) flows/.exec(r.stdout)![1]!.replace(/,/g, ''));
      const d = spawnSync('protoc', ['--decode=perfetto.protos.Trace', `-I${resolve(PERFETTO_PROTO, '..')}`, PERFETTO_PROTO], { input: readFileSync(out), encoding: 'utf8', maxBuffer: 256 << 20 });
      expect(d.status, d.stderr).toBe(0);
      const text = d.stdout;
      expect(text).toMatch(/track_descriptor \{[\s\S]*?thread \{[\s\S]*?thread_name: "linux-server 5.00v1"/);
      const begins = text.match(/type: TYPE_SLICE_BEGIN/g)?.length ?? 0;
      const ends = text.match(/type: TYPE_SLICE_END/g)?.length ?? 0;
      expect(begins).toBeGreaterThan(0);
      expect(ends).toBe(begins);
      const out_ = [...text.matchAll(/\n\s+flow_ids: (\d+)/g)].map((m) => m[1]);
      const in_ = [...text.matchAll(/terminating_flow_ids: (\d+)/g)].map((m) => m[1]);
      expect(out_.length).toBe(flows);
      expect(new Set(out_).size).toBe(flows);
      expect([...in_].sort()).toEqual([...out_].sort());
      expect(text).toMatch(/event_names \{\s+iid: 1\s+name: "/);
    }
  });

  it('Chrome JSON: strictly nested complete events, every flow paired and forward in time', () => {
    for (const name of ['shell.l4t', 'clients-server-seed3.l4t', 'rec-O2.l4t']) {
      const out = join(dir, `${name}.json`);
      const r = runCli(['export', golden(name), '--format', 'chrome-json', '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { bind_id?: string }[] };
      expect(checkChromeTrace(doc)).toEqual([]);
      if (name !== 'rec-O2.l4t') expect(doc.traceEvents.some((e) => e.bind_id)).toBe(true);
    }
  });

  it('the Chrome check catches overlap and unpaired or backward flows (it can fail)', () => {
    const ev = (o: Record<string, unknown>): Record<string, unknown> => ({ ph: 'X', name: 'x', pid: 1, tid: 1, ...o });
    expect(checkChromeTrace({ traceEvents: [ev({ ts: 0, dur: 10 }), ev({ ts: 5, dur: 10 })] })[0]).toMatch(/overlaps/);
    expect(checkChromeTrace({ traceEvents: [ev({ ts: 0, dur: 0, bind_id: '0x1', flow_out: true })] })[0]).toMatch(/0 flow_in/);
    expect(checkChromeTrace({ traceEvents: [ev({ ts: 5, dur: 0, bind_id: '0x1', flow_out: true }), ev({ ts: 1, dur: 0, tid: 2, bind_id: '0x1', flow_in: true })] })[0]).toMatch(/before it leaves/);
  });

  it('Parquet: every table in a folder DuckDB reads back, slices partitioned by thread', async () => {
    const out = join(dir, 'pq');
    const r = runCli(['export', golden('shell.l4t'), '--format', 'parquet', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const tables = readdirSync(out).sort();
    expect(tables).toEqual(expect.arrayContaining(['flow', 'ipc', 'irq', 'metadata', 'process', 'sched', 'signal', 'slice', 'stats', 'syscall', 'thread']));
    expect(readdirSync(join(out, 'slice')).some((d) => d.startsWith('utid='))).toBe(true);
    // Read back with a plain DuckDB: an Analysis is sandboxed and may not read files.
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const countOf = async (sql: string): Promise<number> => Number((await con.runAndReadAll(sql)).getRows()[0]![0]);
    const n = await countOf(`SELECT count(*) FROM read_parquet('${join(out, 'slice')}/**/*.parquet', hive_partitioning = true)`);
    const irq = await countOf(`SELECT count(*) FROM read_parquet('${join(out, 'irq')}/*.parquet')`);
    con.closeSync();
    inst.closeSync();
    await withAnalysis(golden('shell.l4t'), async (a) => {
      expect(n).toBe(await count(a, 'slice'));
      expect(irq).toBe(await count(a, 'irq'));
    });
  });
});

describe('errors: one clear message, exit 1, nothing a user had is lost', () => {
  const dir = tempDir();
  let keep: string;
  beforeAll(() => {
    keep = join(dir, 'keep.json');
    writeFileSync(keep, 'precious\n');
  });
  afterAll(() => expect(readFileSync(keep, 'utf8')).toBe('precious\n'));

  /** Exit 1 for a failure, 2 for a usage error (as everywhere in the CLI). */
  const oneLine = (r: { code: number; stderr: string }, pattern: RegExp, code = 1): void => {
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it('bad SQL shows DuckDB\'s message', () => {
    oneLine(runCli(['query', HANG, 'SELEC 1']), /^l4trace: query: Parser Error: syntax error at or near "SELEC"/);
  });

  it('a missing table is named', () => {
    oneLine(runCli(['query', HANG, 'SELECT * FROM no_such_table']), /Catalog Error: Table with name no_such_table does not exist/);
  });

  it('a corrupt trace is named with what is wrong, and an existing output is left alone', () => {
    const bad = join(dir, 'corrupt.l4t');
    const bytes = readFileSync(HANG);
    const r0 = TraceReader.open(HANG);
    const chunk = r0.chunks[Math.floor(r0.chunks.length / 2)]!;
    r0.close();
    for (let i = chunk.bodyStart; i < chunk.bodyStart + 12; i++) bytes[i] = 0xff;
    writeFileSync(bad, bytes);
    oneLine(runCli(['export', bad, '--format', 'chrome-json', '-o', keep]), /corrupt\.l4t: .*(varint|packet|chunk)/);
    const notTrace = join(dir, 'text.l4t');
    writeFileSync(notTrace, 'hello, I am not a trace\n');
    oneLine(runCli(['query', notTrace, 'SELECT 1']), /text\.l4t: not an l4trace file/);
    // A failed load into --db leaves an existing database file as it was.
    const db = join(dir, 'old.duckdb');
    writeFileSync(db, 'an old file\n');
    oneLine(runCli(['query', bad, 'SELECT 1', '--db', db]), /corrupt\.l4t/);
    expect(readFileSync(db, 'utf8')).toBe('an old file\n');
  });

  it('an unwritable output is refused before anything is written', () => {
    oneLine(runCli(['export', HANG, '--format', 'perfetto', '-o', join(keep, 'x.pftrace')]), /-o .*keep\.json\/x\.pftrace/);
    oneLine(runCli(['export', HANG, '--format', 'perfetto', '-o', join(dir, 'no', 'such', 'dir', 'x.pftrace')]), /does not exist/);
    oneLine(runCli(['filter', HANG, '-f', join(dir, 'missing.filter'), '-o', keep]), /missing\.filter/);
    const badRules = join(dir, 'bad.filter');
    writeFileSync(badRules, 'SCOREP_REGION_NAMES_BEGIN\n  DROP main\nSCOREP_REGION_NAMES_END\n');
    oneLine(runCli(['filter', HANG, '-f', badRules, '-o', keep]), /bad\.filter:2: unknown directive "DROP"/);
    oneLine(runCli(['export', HANG, '--format', 'svg', '-o', keep]), /--format "svg"/, 2);
  });
});

describe('a trace cut short', () => {
  it('loads what was recovered: the run ends at its last event, CPU intervals end there, the cut is named', async () => {
    // rec-O2: the header (with the guest image) is the first quarter; cut in the events after it.
    const whole = readFileSync(golden('rec-O2.l4t'));
    const cut = join(tempDir('cut'), 'cut.l4t');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.75)));
    await withAnalysis(cut, async (a) => {
      const end = Number(await a.scalar("SELECT value FROM metadata WHERE key = 'end_time'"));
      const lastSlice = Number(await a.scalar('SELECT max(ts) FROM slice'));
      expect(lastSlice).toBeGreaterThan(0);
      expect(end).toBeGreaterThanOrEqual(lastSlice); // was 0 without a footer: every view empty
      expect(await count(a, 'sched')).toBeGreaterThan(0);
      expect(Number(await a.scalar('SELECT count(*) FROM sched WHERE dur < 0'))).toBe(0);
      expect(Number(await a.scalar('SELECT max(ts + dur) FROM sched'))).toBe(end);
      expect(String(await a.scalar("SELECT value FROM metadata WHERE key = 'outcome_detail'"))).toMatch(/^trace cut short at byte \d+/);
    });
  });
});
