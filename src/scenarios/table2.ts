/**
 * table2: the getpid and fork benchmark of the seed thesis (D1 §5.2, Table 2) on one personality.
 * The table2 guest marks its phases with the l4trace marker system call:
 *
 *   marker 1, N x getpid(), marker 2, marker 3, F x (dirty pages; fork; child _exit; waitpid), marker 4
 *
 * At each marker the Linux kernel snapshots the clock and the mechanism counts. A phase costs the
 * difference between its markers, less the cost of one bare marker pair (marker 2 -> 3), divided by
 * its number of calls. The metrics are the cycles per call and the mechanisms per call.
 */
import { z } from 'zod';
import type { Kernel } from '../l4/kernel.js';
import { markerSnapshots, PHASE_COUNTS, phaseCounts, type MarkSnapshot, type PhaseCount } from './markers.js';
import type { ScenarioDef } from './scenario.js';
import { bootLinux, LINUX_DEFAULTS, LinuxShape, linuxMetrics } from './linux.js';

/** D1 Table 2, "Benchmarking results showing CPU cycles" (Pentium Pro 200 MHz, idle system). */
export const PAPER_TABLE2 = {
  native: { label: 'Linux 2.4.19', getpid: 377, fork: 102_123 },
  l4linux: { label: 'L4Linux 2.4.19 V2', getpid: 2_078, fork: 1_022_591 },
  l4env: { label: 'L4Linux 2.4.19 L4Env', getpid: 2_133, fork: 1_084_195 },
} as const;

/** The mechanisms counted per call (markers.ts). */
export const TABLE2_COUNTS = PHASE_COUNTS;
export type Table2Count = PhaseCount;

const Params = z
  .object({
    ...LinuxShape,
    getpids: z.number().int().min(1).max(10_000_000).default(2000),
    forks: z.number().int().min(1).max(100_000).default(40),
    /**
     * Pages of the benchmark's working set that are resident, and those written before each fork. The
     * thesis's benchmark was a dynamically linked program (glibc): about 0.75 MiB resident [INF].
     */
    resident: z.number().int().min(0).max(256).default(192),
    dirty: z.number().int().min(0).max(256).default(8),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const table2: ScenarioDef<Params> = {
  name: 'table2',
  description: 'the getpid and fork benchmark of the seed thesis (Table 2) on native Linux, L4Linux or L4Linux on L4Env',
  params: Params,
  defaults: LINUX_DEFAULTS,
  images: () => ['table2'],
  build(ctx, p) {
    const { k } = ctx;
    const args = [p.getpids, p.forks, p.resident, p.dirty].map(String);
    const m = bootLinux(ctx, p, { init: 'table2', args, env: [], programs: ['table2'], stdin: '', signalFix: p.signalFix });
    const snaps = markerSnapshots(k, m.lx, (hit) => hit.pid === 1);
    return {
      root: m.root,
      finish: (kk, stop) => {
        linuxMetrics(kk, m, stop);
        const [s1, s2, s3, s4] = [1, 2, 3, 4].map((i) => snaps.get(i));
        if (!s1 || !s2 || !s3 || !s4) return;
        report(kk, 'getpid', s1, s2, s2, s3, p.getpids);
        report(kk, 'fork', s3, s4, s2, s3, p.forks);
      },
    };
  },
};

/** Per-call figures of a phase [a, b], less one bare marker pair [z0, z1]. */
function report(k: Kernel, op: string, a: MarkSnapshot, b: MarkSnapshot, z0: MarkSnapshot, z1: MarkSnapshot, calls: number): void {
  const bare = phaseCounts(z0, z1);
  const phase = phaseCounts(a, b);
  k.metric(`table2.${op}.cycles`, round((b.time - a.time - (z1.time - z0.time)) / calls), 'cycles');
  for (const name of TABLE2_COUNTS) k.metric(`table2.${op}.${name}`, round((phase[name] - bare[name]) / calls), 'per call');
}

const round = (v: number): number => Math.round(v * 100) / 100;

// ---------------------------------------------------------------------------------------------------
// The whole table: one run per personality

export type Table2Personality = keyof typeof PAPER_TABLE2;
export const TABLE2_PERSONALITIES = Object.keys(PAPER_TABLE2) as Table2Personality[];

export interface Table2Cell {
  personality: Table2Personality;
  label: string;
  op: 'getpid' | 'fork';
  /** Simulated cycles per call. */
  simulated: number;
  /** D1 Table 2. */
  paper: number;
  ratio: number;
  /** Mechanisms per call. */
  counts: Record<Table2Count, number>;
}

/** The cells of one personality from a finished table2 run's metrics. */
export function table2Cells(personality: Table2Personality, metrics: readonly { name: string; value: number }[]): Table2Cell[] {
  const m = new Map(metrics.map((x) => [x.name, x.value]));
  const paper = PAPER_TABLE2[personality];
  return (['getpid', 'fork'] as const).map((op) => {
    const simulated = m.get(`table2.${op}.cycles`);
    if (simulated === undefined) throw new Error(`table2 on ${personality}: the run produced no ${op} figure`);
    const counts = Object.fromEntries(TABLE2_COUNTS.map((c) => [c, m.get(`table2.${op}.${c}`) ?? 0])) as Record<Table2Count, number>;
    return { personality, label: paper.label, op, simulated, paper: paper[op], ratio: Math.round((simulated / paper[op]) * 1000) / 1000, counts };
  });
}
