/**
 * The exports, faithful (issue 18):
 * - Perfetto: decoded with Perfetto's published schema (perfetto_trace.proto, by protobufjs), every
 *   TrackEvent rule Perfetto's importer applies holds (timestamps present, the ts-0 packet included;
 *   incremental-state flags; interned names resolvable; flows terminated; slices balanced per track;
 *   thread tracks under process tracks), and the annotations say what the SQL tables say, with every
 *   `seq` naming a trace event of the kind the slice shows.
 * - Chrome JSON: the same annotations as `args`, one process_name per pid (a pid that execs too), and
 *   a 5 M-event export streamed in bounded memory that is still valid JSON.
 * - Parquet: a nanosecond partner for every time column, converted as the other exports convert.
 *
 * No build of Perfetto's trace processor is published on the npm registry or in Debian, so no test
 * loads the export in it (docs/sql-schema.md says how to run it by hand).
 */
import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { exportChromeJson } from '../../analyze/export-chrome.js';
import { isDurationColumn, isTimestampColumn } from '../../analyze/export-parquet.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { TABLES } from '../../analyze/schema.js';
import { Kind } from '../../tracer/catalogue.js';
import { MemorySink } from '../../tracer/sink.js';
import { emptyHeader, Outcome } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { Tracer } from '../../tracer/tracer.js';
import { withAnalysis } from '../support/analysis.js';
import { checkChromeJsonFile, checkChromeTrace, type ChromeEvent } from '../support/chrome-check.js';
import { runCli, tempDir } from '../support/cli.js';
import { checkPerfettoTrace, type DecodedEvent, type PerfettoCheck } from '../support/perfetto-check.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
/**
 * Perfetto's published schema, referenced where the workspace keeps it (never copied into the project):
 * $L4TRACE_PERFETTO_PROTO, else ../shared beside this checkout, else /work/shared.
 */
const PERFETTO_PROTO =
  [process.env.L4TRACE_PERFETTO_PROTO, resolve(fileURLToPath(new URL('../../', import.meta.url)), '../shared/data/perfetto/perfetto_trace.proto'), '/work/shared/data/perfetto/perfetto_trace.proto'].find(
    (p): p is string => !!p && existsSync(p),
  );

const TRACES = ['shell.l4t', 'signal-race-seed1-hang.l4t', 'signal-race-seed1-handshake.l4t', 'signals-native.l4t', 'threads-futexpp-shared.l4t', 'clients-server-seed3.l4t'];

async function perfettoBytes(a: Analysis): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await exportPerfetto(a, (b) => void parts.push(b));
  return Buffer.concat(parts);
}

async function chromeDoc(a: Analysis): Promise<{ traceEvents: (ChromeEvent & { cat?: string; args?: Record<string, unknown> })[] }> {
  let text = '';
  await exportChromeJson(a, (s) => void (text += s));
  return JSON.parse(text) as { traceEvents: (ChromeEvent & { cat?: string; args?: Record<string, unknown> })[] };
}

/** The kind of trace event each kind of slice shows (its `seq` must name one). */
function expectedKind(e: DecodedEvent): number {
  const cat = e.categories[0];
  if (cat === 'func') return Kind.FUNC_ENTER;
  if (cat === 'ipc') return Kind.IPC;
  if (cat === 'pf') return Kind.PF;
  if (cat === 'syscall') return Kind.SYSCALL_ENTER;
  if (cat === 'sched') return Kind.CONTEXT_SWITCH;
  if (cat === 'flow') return e.name === 'ipc send' ? Kind.IPC : Kind.IPC_RES;
  if (cat === 'signal') return e.name!.endsWith(' sent') ? Kind.SIG_SEND : Kind.SIG_DELIVER;
  throw new Error(`category ${String(cat)}`);
}

function kindsBySeq(path: string): Map<number, number> {
  const r = TraceReader.open(path);
  const m = new Map<number, number>();
  for (const c of r.decodedChunks()) for (let i = 0; i < c.count; i++) m.set(c.seqs[i]!, c.kinds[i]!);
  r.close();
  return m;
}

const rows = async (a: Analysis, sql: string): Promise<Record<string, unknown>[]> => (await a.query(sql)).rows;
const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

describe('Perfetto export: the TrackEvent rules, decoded with perfetto_trace.proto', () => {
  const checks = new Map<string, PerfettoCheck>();

  for (const name of TRACES) {
    it(`${name}: no rule broken; every seq names an event of the slice's kind`, async (ctx) => {
      if (!PERFETTO_PROTO) ctx.skip(); // the workspace's copy of Perfetto's schema is absent
      await withAnalysis(golden(name), async (a) => {
        const check = checkPerfettoTrace(await perfettoBytes(a), PERFETTO_PROTO!);
        checks.set(name, check);
        expect(check.problems).toEqual([]);
        const begins = check.events.filter((e) => e.type === 'begin');
        expect(begins.length).toBeGreaterThan(0);
        const kinds = kindsBySeq(golden(name));
        const wrong = begins.filter((e) => typeof e.args.seq !== 'number' || kinds.get(e.args.seq) !== expectedKind(e));
        expect(wrong.slice(0, 3).map((e) => `${e.name} [${e.categories.join()}] seq ${String(e.args.seq)}`)).toEqual([]);
        // Flows run forward in time.
        const start = new Map<number, number>();
        for (const e of check.events) for (const f of e.flowIds) start.set(f, e.ts);
        for (const e of check.events) for (const f of e.terminatingFlowIds) expect(e.ts).toBeGreaterThanOrEqual(start.get(f)!);
        // Tracks: threads under one process track per pid, named as everywhere; syscall tracks under processes.
        const labels = await rows(a, 'SELECT label FROM thread_label ORDER BY utid');
        const threadTracks = [...check.tracks.values()].filter((t) => t.thread);
        expect(threadTracks.map((t) => t.thread!.name)).toEqual(labels.map((r) => r.label));
        const pids = [...check.tracks.values()].filter((t) => t.process).map((t) => t.process!.pid);
        expect(new Set(pids).size).toBe(pids.length);
        for (const t of check.tracks.values()) if (t.name?.startsWith('syscalls [')) expect(check.tracks.get(t.parent!)?.process).toBeDefined();
      });
    });
  }

  it('the packet at ts 0 has its timestamp (Perfetto drops a TrackEvent without one)', (ctx) => {
    const check = checks.get('shell.l4t');
    if (!check) ctx.skip();
    const atZero = check!.events.filter((e) => e.ts === 0);
    expect(atZero.some((e) => e.type === 'begin')).toBe(true);
    // The decoder saw the field itself, not a default: a missing one is a problem (checked above).
    expect(check!.problems).toEqual([]);
  });

  it('annotations say what the tables say: IPC, system calls, page faults, signals, flows', async (ctx) => {
    if (!PERFETTO_PROTO) ctx.skip();
    for (const name of ['signal-race-seed1-handshake.l4t', 'signals-native.l4t', 'shell.l4t']) {
      await withAnalysis(golden(name), async (a) => {
        const check = checks.get(name) ?? checkPerfettoTrace(await perfettoBytes(a), PERFETTO_PROTO!);
        const begins = check.events.filter((e) => e.type === 'begin');
        const bySeq = (cat: string): Map<number, DecodedEvent> => new Map(begins.filter((e) => e.categories[0] === cat).map((e) => [e.args.seq as number, e]));

        // IPC: every message's sending slice has its operation, label, words, result and partner.
        const ipcSlices = bySeq('ipc');
        for (const e of ipcSlices.values()) expect(e.args.op, e.name).toBe(e.name!.slice('ipc:'.length));
        const ipc = await rows(a, `SELECT i.seq, i.kind, i.label, i.words, i.result_name, coalesce(l.label, i.dest) AS partner
                                   FROM ipc i LEFT JOIN thread_label l ON l.utid = i.receiver_utid`);
        if (name !== 'signals-native.l4t') expect(ipc.length).toBeGreaterThan(0); // native Linux has no IPC
        for (const r of ipc) {
          const e = ipcSlices.get(Number(r.seq));
          expect(e, `ipc seq ${String(r.seq)}`).toBeDefined();
          expect({ op: e!.args.op, label: e!.args.label, words: e!.args.words, to: e!.args.to }).toEqual({ op: r.kind, label: n(r.label), words: n(r.words), to: r.partner });
          if (r.result_name !== null) expect(e!.args.result).toBe(r.result_name);
        }
        // Flows: one per received message (send -> receive), one per delivered signal (sent -> delivered).
        const flowsOut = check.events.filter((e) => e.flowIds.length > 0);
        expect(flowsOut.filter((e) => e.name === 'ipc send').length).toBe(Number(await a.scalar('SELECT count(*) FROM flow')));
        expect(flowsOut.filter((e) => e.categories[0] === 'signal').length).toBe(Number(await a.scalar('SELECT count(ts_deliver) FROM signal')));

        // System calls: number, name and result.
        const sys = bySeq('syscall');
        const calls = await rows(a, 'SELECT seq, nr, name, ret, pid FROM syscall');
        expect(sys.size).toBe(calls.length);
        for (const r of calls) {
          const e = sys.get(Number(r.seq))!;
          expect({ name: e.name, nr: e.args.nr, ret: e.args.ret, pid: e.args.pid }).toEqual({ name: r.name, nr: n(r.nr), ret: n(r.ret) ?? undefined, pid: n(r.pid) });
        }

        // Page faults: address and access.
        const pfs = begins.filter((e) => e.categories[0] === 'pf');
        expect(pfs.length).toBe(Number(await a.scalar('SELECT count(*) FROM pf')));
        const faults = await rows(a, 'SELECT p.addr, p.write, s.seq FROM pf p JOIN slice_raw s ON s.utid = p.utid AND s.ts = p.ts AND s.category_id = 2');
        const pfBySeq = bySeq('pf');
        for (const r of faults) expect({ addr: pfBySeq.get(Number(r.seq))?.args.addr, write: pfBySeq.get(Number(r.seq))?.args.write }).toEqual({ addr: n(r.addr), write: r.write });

        // Signals: the send with signal, from, to and path; the delivery at its own event, linked by a flow.
        const sigs = bySeq('signal');
        const signals = await rows(a, 'SELECT seq, sig_name, from_pid, to_pid, path, kick_name, deliver_seq, action FROM signal');
        for (const r of signals) {
          const sent = sigs.get(Number(r.seq))!;
          expect(sent.name).toBe(`${String(r.sig_name)} sent`);
          expect(sent.args).toMatchObject({ signal: r.sig_name, from_pid: n(r.from_pid), to_pid: n(r.to_pid), path: r.path, kick: r.kick_name });
          if (r.deliver_seq === null) continue;
          const got = sigs.get(Number(r.deliver_seq))!;
          expect(got.name).toBe(`${String(r.sig_name)} delivered`);
          expect(got.args).toMatchObject({ signal: r.sig_name, to_pid: n(r.to_pid), action: r.action });
          expect(got.terminatingFlowIds).toEqual(sent.flowIds);
        }
      });
    }
  });
});

describe('Chrome JSON export', () => {
  it('every complete event has args, the same annotations as the Perfetto export', async (ctx) => {
    if (!PERFETTO_PROTO) ctx.skip();
    for (const name of ['signal-race-seed1-handshake.l4t', 'threads-futexpp-shared.l4t']) {
      await withAnalysis(golden(name), async (a) => {
        const doc = await chromeDoc(a);
        expect(checkChromeTrace(doc)).toEqual([]);
        const xs = doc.traceEvents.filter((e) => e.ph === 'X');
        expect(xs.every((e) => typeof e.args?.seq === 'number')).toBe(true);
        const hex = new Set(['addr', 'ip', 'handler']);
        const key = (name: unknown, args: Record<string, unknown>): string =>
          JSON.stringify([name, Object.entries(args).map(([k, v]) => [k, hex.has(k) && typeof v === 'string' ? Number.parseInt(v, 16) : v]).sort()]);
        const chrome = xs.map((e) => key(e.name, e.args!)).sort();
        const perfetto = checkPerfettoTrace(await perfettoBytes(a), PERFETTO_PROTO!).events.filter((e) => e.type === 'begin').map((e) => key(e.name, e.args)).sort();
        expect(chrome).toEqual(perfetto);
        const ipc = xs.find((e) => e.cat === 'ipc' && e.args!.label !== undefined)!;
        expect(Object.keys(ipc.args!)).toEqual(expect.arrayContaining(['seq', 'op', 'label', 'words', 'to']));
      });
    }
  });

  it('one process_name per pid: a pid that execs is named once, by its latest name', async () => {
    await withAnalysis(golden('shell.l4t'), async (a) => {
      // shell.l4t: pid 2 is the shell's fork, then echo.
      expect((await rows(a, 'SELECT name FROM process WHERE pid = 2 ORDER BY start_ts')).map((r) => r.name)).toEqual(['sh', 'echo']);
      const doc = await chromeDoc(a);
      expect(checkChromeTrace(doc)).toEqual([]);
      const names = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === 2);
      expect(names.map((e) => (e.args as { name: string }).name)).toEqual(['echo']);
    });
  });

  it('streams: 5 M events in bounded memory, and the file is valid JSON', async () => {
    const dir = tempDir();
    try {
      await bigExport(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true }); // a 600 MB file: not left behind
    }
  }, 180_000);
});

/** Export a trace of about 10 M events (5 M Chrome events) into `dir` and check the file. */
async function bigExport(dir: string): Promise<void> {
  const trace = join(dir, 'big.l4t');
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'big', synthetic: true }, {});
  const end = generateSynthetic(tracer, { profile: 'function-heavy', events: 10_150_000, threads: 8, seed: 5 });
  tracer.finish({ outcome: Outcome.OK, endTime: end });
  writeFileSync(trace, sink.bytes());
  const out = join(dir, 'big.json');
  let maxHeap = 0;
  let events = 0;
  await withAnalysis(trace, async (a) => {
    const fd = openSync(out, 'w');
    try {
      ({ events } = await exportChromeJson(a, (s) => {
        writeSync(fd, s);
        maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
      }));
    } finally {
      closeSync(fd);
    }
  });
  expect(events).toBeGreaterThanOrEqual(5_000_000);
  const bytes = statSync(out).size;
  expect(bytes).toBeGreaterThan(512 << 20); // more than one JavaScript string could hold
  expect(maxHeap).toBeLessThan(400 << 20);
  const check = checkChromeJsonFile(out);
  expect(check.problems).toEqual([]);
  expect(check.events).toBe(events);
  expect([...check.processNames.values()].every((k) => k === 1)).toBe(true);
}

describe('Parquet export: nanoseconds beside cycles', () => {
  it('every time column has a _ns partner, converted as the Perfetto and Chrome exports convert', async () => {
    const dir = tempDir();
    const out = join(dir, 'pq');
    const trace = golden('signal-race-seed1-handshake.l4t');
    const r = runCli(['export', trace, '--format', 'parquet', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const q = async (sql: string): Promise<Record<string, unknown>[]> => (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    try {
      const read = (t: string): string => `read_parquet('${join(out, t)}/**/*.parquet', hive_partitioning = true)`;
      const cpu = Number((await q(`SELECT value FROM ${read('metadata')} WHERE key = 'cycles_per_us'`))[0]!.value);
      expect(cpu).toBeGreaterThan(0);
      let checked = 0;
      for (const [table, cols] of Object.entries({ ...TABLES, slice: [...TABLES.slice_raw!] })) {
        if (table === 'slice_raw') continue;
        const have = (await q(`DESCRIBE SELECT * FROM ${read(table)}`)).map((c) => String(c.column_name));
        for (const c of cols.map((x) => x.name)) {
          if (!isTimestampColumn(c) && !isDurationColumn(c)) continue;
          expect(have, `${table}.${c}_ns`).toContain(`${c}_ns`);
          const ns = (x: string): string => `round((${x}) * 1000.0 / ${cpu})::BIGINT`;
          const start = { dur: 'ts', latency: 'ts_raise' }[c as 'dur' | 'latency'];
          const want = isTimestampColumn(c) ? ns(c) : start ? `CASE WHEN ${c} < 0 THEN ${c} ELSE ${ns(`${start} + ${c}`)} - ${ns(start)} END` : `CASE WHEN ${c} < 0 THEN ${c} ELSE ${ns(c)} END`;
          const bad = await q(`SELECT count(*) AS n FROM ${read(table)} WHERE ${c}_ns IS DISTINCT FROM ${want}`);
          expect(Number(bad[0]!.n), `${table}.${c}_ns`).toBe(0);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(15);
      // The same instants as the Chrome export: a slice's ts_ns and dur_ns are its event's ts and dur in µs × 1000.
      const slices = await q(`SELECT seq, ts_ns, dur_ns FROM ${read('slice')} WHERE dur >= 0`);
      const chrome = await withAnalysis(trace, chromeDoc);
      const bySeq = new Map(chrome.traceEvents.filter((e) => e.ph === 'X' && e.cat !== 'sched' && e.cat !== 'syscall' && e.dur !== 0).map((e) => [e.args!.seq, e]));
      let same = 0;
      for (const s of slices) {
        const e = bySeq.get(Number(s.seq));
        if (!e) continue;
        expect([Math.round((e.ts as number) * 1000), Math.round((e.dur as number) * 1000)]).toEqual([Number(s.ts_ns), Number(s.dur_ns)]);
        same++;
      }
      expect(same).toBeGreaterThan(100);
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });
});

