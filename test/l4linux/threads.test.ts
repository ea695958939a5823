/**
 * Linux threads (docs/linux.md, Threads): glibc and musl pthread programs print what they print natively
 * under both L4Linux thread models (each thread in a task of its own, as L4Linux 2.4; or one task per
 * process) and natively, and record and replay as identical; the per-thread address spaces show in the
 * trace (SQL over `sched`) and in the page faults; a racy counter under a chaos sweep fails on some
 * seeds, with results that differ between seeds, and each saved trace replays as identical.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../replay/replay.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { runScenario } from '../../src/session/machine.js';
import { imagesFor } from '../../src/session/setup.js';
import { RecordingChoices } from '../../src/sim/choices.js';
import { NullRecorder } from '../../tracer/recorder.js';
import { TraceReader } from '../../tracer/reader.js';
import { withAnalysis } from '../support/analysis.js';
import { runCli, tempDir } from '../support/cli.js';
import { expectedGuests, runGuest } from '../support/guests.js';

const THREAD_GUESTS = expectedGuests().filter((g) => /^(glibc|musl)-threads$/.test(g.name));
const MODELS = ['task', 'shared'] as const;

function replayBytes(bytes: Uint8Array): string {
  const path = join(tempDir(), 'threads.l4t');
  writeFileSync(path, bytes);
  const reader = TraceReader.open(path);
  try {
    return replayTrace(reader, path).verdict;
  } finally {
    reader.close();
  }
}

describe('pthread programs print their native output and replay as identical', () => {
  it('both C libraries have a threads guest', () => expect(THREAD_GUESTS.map((g) => g.name).sort()).toEqual(['glibc-threads', 'musl-threads']));

  for (const g of THREAD_GUESTS) {
    for (const model of MODELS) {
      it(`${g.name} on L4Linux, threadModel ${model}`, () => {
        const r = runGuest(g.name, g.args, [`threadModel=${model}`]);
        expect(r.stdout).toBe(g.stdout);
        expect(r.status).toBe(g.exitCode);
        expect(replayBytes(r.bytes)).toBe('identical');
      });
    }
    it(`${g.name} natively and on L4Env with one task per process`, () => {
      for (const sets of [['personality=native'], ['personality=l4env', 'threadModel=shared']]) {
        const r = runGuest(g.name, g.args, sets);
        expect(r.stdout, sets.join(' ')).toBe(g.stdout);
      }
    });
  }

  it('two recordings of a threaded run are byte-identical', () => {
    const a = runGuest('musl-threads', [], ['threadModel=shared']);
    const b = runGuest('musl-threads', [], ['threadModel=shared']);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });
});

describe('the per-thread address spaces of L4Linux 2.4 (seed 000, Known Bugs, Threads)', () => {
  /** Switches from one guest thread to the next on a CPU (the server's slices in between skipped). */
  const SWITCHES = `
    with g as (select s.ts, s.cpu, t.task, t.utid from sched s join thread t using (utid) where t.kind = 'ia32'),
    o as (select task, utid, lag(task) over (partition by cpu order by ts) as prev_task, lag(utid) over (partition by cpu order by ts) as prev from g)
    select count(*) filter (where utid <> prev and task <> prev_task) as across, count(*) filter (where utid <> prev and task = prev_task) as within from o where prev is not null`;

  async function switches(bytes: Uint8Array): Promise<{ across: number; within: number; processes: number; tasks: number }> {
    const path = join(tempDir(), 'futexpp.l4t');
    writeFileSync(path, bytes);
    return withAnalysis(path, async (a) => {
      const r = await a.query(SWITCHES);
      // Both guest threads belong to one Linux process (linux_tgid), in one or two tasks.
      const g = await a.query(`select count(distinct linux_tgid) as processes, count(distinct task) as tasks, count(distinct linux_pid) as tids from thread where kind = 'ia32'`);
      expect(Number(g.rows[0]!.tids)).toBe(2);
      return { across: Number(r.rows[0]!.across), within: Number(r.rows[0]!.within), processes: Number(g.rows[0]!.processes), tasks: Number(g.rows[0]!.tasks) };
    });
  }

  it('a futex ping-pong switches address spaces between threads only in the per-thread-task model', async () => {
    const runs = Object.fromEntries(MODELS.map((m) => [m, runGuest('glibc-futexpp', ['200'], [`threadModel=${m}`])]));
    for (const m of MODELS) expect(runs[m]!.stdout).toBe('rounds 200 done\n');
    const task = await switches(runs.task!.bytes);
    const shared = await switches(runs.shared!.bytes);
    // 200 rounds: each thread runs at least once per round.
    expect(task.across).toBeGreaterThanOrEqual(400);
    expect(task.within).toBe(0);
    expect(shared.across).toBe(0);
    expect(shared.within).toBeGreaterThanOrEqual(400);
    expect([task.processes, task.tasks, shared.processes, shared.tasks]).toEqual([1, 2, 1, 1]);
    // Each thread's own task faults in the pages the other thread's task already has.
    const faults = (m: string): number => runs[m]!.run.metrics.find((x) => x.name === 'linux.page_faults')!.value;
    expect(faults('task')).toBeGreaterThan(faults('shared'));
    const marked = (m: string, name: string): number => runs[m]!.run.metrics.find((x) => x.name === `marked.${name}`)!.value;
    expect(marked('task', 'cycles')).toBeGreaterThan(0);
    expect(marked('task', 'as_switches')).toBeGreaterThanOrEqual(marked('shared', 'as_switches'));
  });
});

describe('a chaos sweep over a racy counter', () => {
  const params = { program: 'glibc-race', args: ['2', '52000'], expectExit: 0 };

  function finalCount(seed: number): string {
    const spec = resolveScenario({ scenario: 'run', params, chaos: 2, seed }, 'race');
    let out = '';
    const r = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(seed, 'prng'), images: imagesFor(spec), rootfs: null, console: (_fd, d) => void (out += new TextDecoder().decode(d)) });
    expect(r.stop.outcome).toMatch(/^(ok|fail)$/);
    return out.trim();
  }

  it('finds seeds whose count is short, saves them, and each replays as identical', () => {
    const dir = tempDir();
    const scenario = join(dir, 'race.json');
    writeFileSync(scenario, JSON.stringify({ scenario: 'run', params }));
    const out = join(dir, 'failing');
    const r = runCli(['sweep', scenario, '--seeds', '0..11', '--chaos', '2', '-j', '1', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // some seeds failed
    const m = /(\d+) ok, (\d+) fail/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThan(0);
    const saved = readdirSync(out).filter((f) => f.endsWith('.l4t')).sort();
    expect(saved.length).toBe(Number(m![2]));
    for (const f of saved.slice(0, 3)) {
      const reader = TraceReader.open(join(out, f));
      try {
        expect(replayTrace(reader, join(out, f)).verdict, f).toBe('identical');
      } finally {
        reader.close();
      }
    }
    // The failing seeds lost different numbers of increments.
    const seeds = saved.map((f) => Number(/seed(\d+)/.exec(f)![1]));
    const counts = new Set(seeds.slice(0, 4).map(finalCount));
    for (const c of counts) expect(c).toMatch(/^final count 104000 expected, got \d+$/);
    expect(counts.size).toBeGreaterThan(1);
  });
});
