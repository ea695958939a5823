/**
 * The threads bug of L4Linux 2.4 as a figure (seed 000, Known Bugs, "Threads"): a futex ping-pong
 * between two threads of one process (glibc-futexpp, 1000 rounds between markers 1 and 2) under the
 * per-thread-address-space model (threadModel task, L4Linux 2.4) and the shared model, on Fiasco V2 and
 * on X.2 with the Linux server in a small space, native Linux beside them. Simulated cycles per round,
 * page-table switches per round, and, from SQL over each trace's `sched` table, how many switches from
 * one guest thread to the other crossed address spaces.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Analysis } from '../../../analyze/db.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { recordScenario } from '../../../src/session/record-session.js';
import { imagesFor } from '../../../src/session/setup.js';
import { MemorySink } from '../../../tracer/sink.js';
import type { BenchGroup, Figure } from '../figure.js';

const ROUNDS = 1000;

/** Switches from one guest thread to another on a CPU (server slices in between skipped), across and within tasks. */
export const THREAD_SWITCH_SQL = `
  with g as (select s.ts, s.cpu, t.task, t.utid from sched s join thread t using (utid) where t.kind = 'ia32'),
  o as (select task, utid, lag(task) over (partition by cpu order by ts) as prev_task, lag(utid) over (partition by cpu order by ts) as prev from g)
  select count(*) filter (where utid <> prev and task <> prev_task) as across, count(*) filter (where utid <> prev and task = prev_task) as within from o where prev is not null`;

interface Variant {
  label: string;
  flavour: string;
  sets: string[];
}

const VARIANTS: Variant[] = [
  { label: 'native', flavour: 'v2', sets: ['personality=native'] },
  { label: 'v2.task', flavour: 'v2', sets: ['threadModel=task'] },
  { label: 'v2.shared', flavour: 'v2', sets: ['threadModel=shared'] },
  { label: 'x2_small_server.task', flavour: 'x2', sets: ['threadModel=task', 'serverSmallSpace=true'] },
  { label: 'x2_small_server.shared', flavour: 'x2', sets: ['threadModel=shared', 'serverSmallSpace=true'] },
];

interface Measured {
  cyclesPerRound: number;
  asSwitchesPerRound: number;
  pageFaults: number;
  across: number;
  within: number;
}

async function measure(v: Variant, dir: string): Promise<Measured> {
  const spec = resolveScenario({ scenario: 'run', flavour: v.flavour, params: { program: 'glibc-futexpp', args: [String(ROUNDS)] } }, 'bench threads', { sets: v.sets });
  const sink = new MemorySink();
  const r = recordScenario(spec, sink, { entropy: 'prng', toolVersion: 'bench', images: imagesFor(spec), console: () => {} });
  if (r.run.stop.outcome !== 'ok') throw new Error(`bench threads ${v.label}: ${r.run.stop.outcome}: ${r.run.stop.detail}`);
  const metric = (name: string): number => r.run.metrics.find((m) => m.name === name)?.value ?? NaN;
  const path = join(dir, `${v.label}.l4t`);
  writeFileSync(path, sink.bytes());
  const a = await Analysis.open(path);
  try {
    const row = (await a.query(THREAD_SWITCH_SQL)).rows[0]!;
    return {
      cyclesPerRound: metric('marked.cycles') / ROUNDS,
      asSwitchesPerRound: metric('marked.as_switches') / ROUNDS,
      pageFaults: metric('linux.page_faults'),
      across: Number(row.across),
      within: Number(row.within),
    };
  } finally {
    a.close();
  }
}

export const threadsGroup: BenchGroup = {
  name: 'threads',
  description: 'the per-thread address spaces of L4Linux 2.4 vs one task per process: a futex ping-pong between two threads (cycles and page-table switches per round; thread switches across address spaces by SQL)',
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'l4trace-bench-threads-'));
    try {
      const m = new Map<string, Measured>();
      for (const v of VARIANTS) m.set(v.label, await measure(v, dir));
      const out: Figure[] = [];
      for (const v of VARIANTS) {
        const x = m.get(v.label)!;
        const base = `threads.futexpp.${v.label}`;
        const shared = v.label.endsWith('.task') ? v.label.replace(/\.task$/, '.shared') : null;
        const s = shared ? m.get(shared)! : null;
        out.push({ name: `${base}.cycles_per_round`, value: x.cyclesPerRound, unit: 'cycles', ...(s ? { vs: `threads.futexpp.${shared}.cycles_per_round`, ratio: x.cyclesPerRound / s.cyclesPerRound } : {}) });
        out.push({ name: `${base}.as_switches_per_round`, value: x.asSwitchesPerRound, unit: 'switches' });
        out.push({ name: `${base}.thread_switches_across_spaces`, value: x.across, unit: 'switches' });
        out.push({ name: `${base}.thread_switches_within_a_space`, value: x.within, unit: 'switches' });
        out.push({ name: `${base}.page_faults`, value: x.pageFaults, unit: 'faults' });
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
