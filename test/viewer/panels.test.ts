/**
 * The summary panels' rows, checked against the trace's tables computed another way (SQL over the
 * analyzer's slice tree): the profile counts unfinished calls until the end of the run, counts only
 * the outermost frame of a recursive function in its inclusive time, and clips slices to a --from/--to
 * window; the IPC matrix follows --threads; the thread states use the timeline's labels and states.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { extractViewerData } from '../../viewer/generate/extract.js';
import type { ViewerHeader } from '../../viewer/model.js';

const golden = (name: string): string => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
const open: Analysis[] = [];
async function load(name: string): Promise<Analysis> {
  const a = await Analysis.open(golden(name));
  open.push(a);
  return a;
}
afterAll(() => {
  for (const a of open) a.close();
});

/** Inclusive time of `fn` computed independently: outermost frames only (no ancestor of the same name), clipped to [from, to]; unfinished ones end at `end`. */
async function outermostClipped(a: Analysis, fn: string, from: number, to: number, end: number): Promise<number> {
  const v = await a.scalar(`WITH RECURSIVE f AS (SELECT id FROM slice WHERE name = '${fn}'),
      up(id, anc) AS (SELECT s.id, s.parent_id FROM slice_raw s JOIN f USING (id)
                      UNION ALL SELECT up.id, p.parent_id FROM up JOIN slice_raw p ON p.id = up.anc WHERE up.anc IS NOT NULL),
      nested AS (SELECT DISTINCT up.id FROM up JOIN slice a ON a.id = up.anc WHERE a.name = '${fn}')
    SELECT coalesce(sum(greatest(0, least(CASE WHEN dur < 0 THEN ${end} ELSE ts + dur END, ${to}) - greatest(ts, ${from}))), 0)::DOUBLE
    FROM slice WHERE name = '${fn}' AND id NOT IN (SELECT id FROM nested)`);
  return Number(v);
}

describe('function profile', () => {
  let race: ViewerHeader;
  let rec: ViewerHeader;
  let recA: Analysis;
  let end: number;
  beforeAll(async () => {
    race = (await extractViewerData(await load('signal-race-seed1-hang.l4t'), 'race')).header;
    recA = await load('rec-O2.l4t');
    rec = (await extractViewerData(recA, 'rec')).header;
    end = rec.meta.endTime;
  });

  it('an unfinished call lasts until the end of the run (the race: main runs to the end, not 0 µs)', async () => {
    const main = race.panels.profile.find((r) => r.name === 'main')!;
    const a = open[0]!;
    const expected = Number(await a.scalar(`SELECT sum(${race.meta.endTime} - ts)::DOUBLE FROM slice WHERE name = 'main' AND dur < 0`)) + Number(await a.scalar(`SELECT coalesce(sum(dur), 0)::DOUBLE FROM slice WHERE name = 'main' AND dur >= 0`));
    expect(main.incl).toBeGreaterThan(0);
    expect(main.incl).toBe(expected);
    expect(main.excl).toBeGreaterThan(0);
    expect(main.excl).toBeLessThanOrEqual(main.incl);
  });

  it('recursion counts once in inclusive time: no function exceeds the run, and ackermann equals its outermost frames', async () => {
    const threads = Number(await recA.scalar(`SELECT count(DISTINCT utid) FROM slice WHERE category = 'func'`));
    for (const r of rec.panels.profile) expect(r.incl, r.name).toBeLessThanOrEqual(end * threads);
    const ack = rec.panels.profile.find((r) => r.name === 'ackermann')!;
    expect(ack.incl).toBe(await outermostClipped(recA, 'ackermann', 0, end, end));
    // Exclusive time is every frame's own time: the sum over all frames of dur less children.
    const excl = Number(await recA.scalar(`SELECT sum(self_dur)::DOUBLE FROM slice WHERE name = 'ackermann'`));
    expect(ack.excl).toBe(excl);
  });

  it('with --from/--to, slices are clipped to the window', async () => {
    const a = await load('shell.l4t');
    const from = 10_000_000;
    const to = 15_000_000;
    const h = (await extractViewerData(a, 'shell', { from, to })).header;
    const threads = Number(await a.scalar(`SELECT count(DISTINCT utid) FROM slice`));
    expect(h.panels.profile.length).toBeGreaterThan(0);
    for (const r of h.panels.profile) {
      expect(r.incl, r.name).toBeLessThanOrEqual((to - from) * threads);
      expect(r.incl, r.name).toBe(await outermostClipped(a, r.name, from, to, h.meta.endTime));
    }
  });
});

describe('IPC matrix and thread states', () => {
  it('--threads applies to the IPC matrix', async () => {
    const a = await load('shell.l4t');
    const h = (await extractViewerData(a, 'shell', { threads: ['upcase'] })).header;
    const total = h.panels.matrix.reduce((s, c) => s + c.msgs, 0);
    const expected = Number(await a.scalar(`SELECT count(*) FROM ipc i WHERE i.sender_utid IN (SELECT utid FROM thread WHERE name = 'upcase') OR i.receiver_utid IN (SELECT utid FROM thread WHERE name = 'upcase')`));
    expect(total).toBe(expected);
    const all = (await extractViewerData(a, 'shell')).header.panels.matrix.reduce((s, c) => s + c.msgs, 0);
    expect(total).toBeLessThan(all);
  });

  it('states per thread over time, labelled as on the timeline; pid 2\'s signal thread was ready when the kick was sent', async () => {
    const a = await load('signal-race-seed1-hang.l4t');
    const kick = Number(await a.scalar(`SELECT ts_send FROM ipc WHERE result_name = 'SETIMEOUT'`));
    const h = (await extractViewerData(a, 'race', { from: kick - 10_000, to: kick + 10_000 })).header;
    const cells = h.panels.threadStates;
    expect(cells.some((c) => /#\d/.test(c.thread))).toBe(false);
    // Labelled as every output names a thread (thread_label): name, [pid], L4 id.
    expect([...new Set(cells.map((c) => c.thread))].some((l) => /^sigrace \[2\] [0-9a-f]+\.[0-9a-f]+v\d+$/.test(l))).toBe(true);
    const at = cells.find((c) => c.thread.startsWith('l4linux-signal-thread [2] ') && c.t0 <= kick && kick < c.t1)!;
    expect(at.state).toBe('ready');
    // The marks stay few: at most one per thread and bucket.
    expect(cells.length).toBeLessThanOrEqual(3000);
    for (const c of cells) expect(['running', 'ready', 'receiving', 'sending', 'blocked']).toContain(c.state);
    // Over the whole run, the states of each thread tile its time: the running cells match the sched table.
    const whole = (await extractViewerData(a, 'race')).header.panels.threadStates;
    expect(whole.filter((c) => c.thread.startsWith('sigrace [2] ')).some((c) => c.state === 'running')).toBe(true);
  });
});
