/**
 * Inclusive time of recursive functions, against a hand-computed example: a function's inclusive time
 * counts its outermost frame on a thread's stack only (as Score-P and Perfetto do), exclusive time
 * every frame's own. Checked in `function_summary`, `report`'s kernel functions and `score`; and on a
 * recorded recursion guest, no function's inclusive time exceeds the run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { kernelFunctionsSql } from '../../analyze/report.js';
import { scoreTrace } from '../../analyze/score.js';
import { Kind, makeGid } from '../../tracer/catalogue.js';
import { emptyHeader, Outcome, ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { tempDir } from '../support/cli.js';

/**
 * Thread `user` (a program's thread):
 *   100 fib { 110 fib { 120 fib { 130 } 140 } 150 leaf { 160 } 200 }        fib frames 100, 30, 10
 *   300 fib { 310 fib { 320 } ...never exits (unfinished at the end)
 * Thread `kern` (model code, the Linux server's kernel functions):
 *   1000 do_signal { 1010 do_signal { 1050 } 1100 }  then  1200 do_signal { 1240 }
 *
 * fib:  calls 5, unfinished 1; inclusive: the outermost finished frame only = 100 (the old sum of
 *       finished frames was 100 + 30 + 10 + 10 = 150); exclusive: 60 + 20 + 10 (first tree) + 10 = 100.
 * leaf: 10 / 10.  do_signal: inclusive 100 + 40 = 140 (not 180), exclusive 60 + 40 + 40 = 140.
 */
function recursionTrace(path: string): void {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'recursion', synthetic: true, cyclesPerUs: 100 });
  const user = tracer.addThread({ l4Id: makeGid(16, 0, 1), name: 'user', task: 16, lthread: 0, version: 1, kind: ThreadKind.SYNTHETIC, cpu: 0, priority: 100, taskName: 'user' });
  const kern = tracer.addThread({ l4Id: makeGid(17, 0, 1), name: 'kern', task: 17, lthread: 0, version: 1, kind: ThreadKind.MODEL, cpu: 0, priority: 100, taskName: 'kern' });
  const fib = tracer.intern('fib');
  const leaf = tracer.intern('leaf');
  const sig = tracer.intern('do_signal');
  const exit = (b: typeof user, t: number): void => void b.emit(Kind.FUNC_EXIT, t);
  user.funcEnter(100, fib);
  user.funcEnter(110, fib);
  user.funcEnter(120, fib);
  exit(user, 130);
  exit(user, 140);
  user.funcEnter(150, leaf);
  exit(user, 160);
  exit(user, 200);
  user.funcEnter(300, fib);
  user.funcEnter(310, fib);
  exit(user, 320);
  kern.funcEnter(1000, sig);
  kern.funcEnter(1010, sig);
  exit(kern, 1050);
  exit(kern, 1100);
  kern.funcEnter(1200, sig);
  exit(kern, 1240);
  tracer.finish({ outcome: Outcome.OK, endTime: 2000 });
  writeFileSync(path, sink.bytes());
}

const dir = tempDir('l4trace-recursion-');
const TRACE = join(dir, 'recursion.l4t');
const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const open: Analysis[] = [];
let a: Analysis;
beforeAll(async () => {
  recursionTrace(TRACE);
  a = await Analysis.open(TRACE);
  open.push(a);
});
afterAll(() => {
  for (const x of open) x.close();
});

describe('inclusive time of recursive functions (outermost frames only)', () => {
  it('func_frame marks the outermost frames', async () => {
    const r = await a.query(`SELECT n.name, f.ts, f.dur, f.outermost FROM func_frame f JOIN name n USING (name_id) ORDER BY f.ts`);
    expect(r.rows.map((x) => [x.name, Number(x.ts), Number(x.dur), x.outermost])).toEqual([
      ['fib', 100, 100, true],
      ['fib', 110, 30, false],
      ['fib', 120, 10, false],
      ['leaf', 150, 10, true],
      ['fib', 300, -1, true],
      ['fib', 310, 10, false],
      ['do_signal', 1000, 100, true],
      ['do_signal', 1010, 40, false],
      ['do_signal', 1200, 40, true],
    ]);
  });

  it('function_summary: fib incl 100 (not 150), excl 100; do_signal incl 140 (not 180)', async () => {
    const r = await a.query(`SELECT name, calls, incl, excl, unfinished FROM function_summary ORDER BY name`);
    expect(r.rows.map((x) => [x.name, Number(x.calls), Number(x.incl), Number(x.excl), Number(x.unfinished)])).toEqual([
      ['do_signal', 3, 140, 140, 0],
      ['fib', 5, 100, 100, 1],
      ['leaf', 1, 10, 10, 0],
    ]);
  });

  it("report's top kernel functions count the outermost frame only", async () => {
    const r = await a.query(kernelFunctionsSql('incl'));
    expect(r.rows.map((x) => [x.name, Number(x.calls), Number(x.incl), Number(x.excl)])).toEqual([['do_signal', 3, 140, 140]]);
  });

  it('score counts the outermost frame only in inclusive time', () => {
    const s = scoreTrace(TraceReader.open(TRACE));
    const row = (n: string) => s.rows.find((r) => r.name === n)!;
    expect([row('fib').visits, row('fib').incl, row('fib').excl]).toEqual([5, 100, 100]);
    expect([row('do_signal').visits, row('do_signal').incl, row('do_signal').excl, row('do_signal').type]).toEqual([3, 140, 140, 'KERN']);
    expect([row('leaf').incl, row('leaf').excl]).toEqual([10, 10]);
    // The call tree keeps one path per depth (fib > fib > fib is its own path); a call open at the end counts to its thread's last event.
    const paths = s.tree.map((r) => [r.depth, r.name, r.visits, r.incl]);
    expect(paths).toEqual(expect.arrayContaining([[0, 'fib', 2, 100 + (320 - 300)], [1, 'fib', 2, 30 + 10], [2, 'fib', 1, 10], [0, 'do_signal', 2, 140], [1, 'do_signal', 1, 40]]));
  });

  it('a recorded recursion (rec-O2): no function exceeds the run; SQL and score agree', async () => {
    const rec = await Analysis.open(golden('rec-O2.l4t'));
    open.push(rec);
    const end = Number(await rec.scalar(`SELECT value FROM metadata WHERE key = 'end_time'`));
    const perThread = await rec.query(`SELECT n.name, f.utid, sum(f.dur) FILTER (WHERE f.dur >= 0 AND f.outermost) AS incl FROM func_frame f JOIN name n USING (name_id) GROUP BY ALL`);
    for (const r of perThread.rows) expect(Number(r.incl ?? 0), String(r.name)).toBeLessThanOrEqual(end);
    const recursive = Number(await rec.scalar(`SELECT count(*) FROM func_frame WHERE NOT outermost`));
    expect(recursive).toBeGreaterThan(0);
    const sql = new Map((await rec.query(`SELECT name, incl, excl FROM function_summary`)).rows.map((r) => [String(r.name), [Number(r.incl ?? 0), Number(r.excl ?? 0)]]));
    const s = scoreTrace(TraceReader.open(golden('rec-O2.l4t')));
    // Exclusive time differs by design (SQL subtracts IPC and page faults inside a call, score only callees).
    for (const r of s.rows) expect(r.incl, r.name).toBe(sql.get(r.name)![0]);
  });
});
