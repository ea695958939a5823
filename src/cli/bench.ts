/**
 * `l4trace bench table2`: the seed thesis's Table 2 (D1 §5.2-5.3) next to the simulated cycles for its
 * five rows (native Linux 2.2 and 2.4, L4Linux 2.2, L4Linux 2.4 on V2 and on L4Env), with the ratio per
 * cell, whether a cost was calibrated on it, and the mechanisms per call that make up each figure; then
 * D1 §5.4's future benchmarks as predictions for L4Linux 2.4 V2 (modified C library, sysenter/sysexit,
 * the X.2 flavour) with their mechanism counts. `l4trace bench pingpong`: IPC round trips within an
 * address space, across address spaces and across CPUs on both flavours, with each cost's source.
 */
import type { Command } from 'commander';
import { LINUX22_COSTS, type Table2Cell, type Table2Count, type Table2Prediction } from '../scenarios/table2.js';
import { runTable2, runTable2Predictions } from '../session/table2.js';
import { runPingpongBench, type PingpongRow } from '../session/pingpong.js';
import { COST_PROFILES, IPC_COST_SOURCES, type CostProfile } from '../l4/costs.js';
import { writeStdout } from './output.js';

interface BenchOptions {
  json?: boolean;
  set: string[];
}

const TABLE_COUNTS: [Table2Count, string][] = [
  ['ipc', 'IPCs'],
  ['page_faults', 'faults'],
  ['as_switches', 'AS sw'],
  ['pages_copied', 'copied'],
  ['unmaps', 'unmaps'],
  ['task_news', 'task_new'],
];

const PREDICTION_COUNTS: [Table2Count, string][] = [
  ['ipc', 'IPCs'],
  ['as_switches', 'AS sw'],
  ['l4_syscalls', 'L4 sc'],
  ['page_faults', 'faults'],
  ['unmaps', 'unmaps'],
  ['task_news', 'task_new'],
];

const fmt = (v: number): string => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const signed = (v: number): string => (v > 0 ? `+${fmt(v)}` : fmt(v));

/** Columns: those in `left` left-aligned, the rest right-aligned. */
function columns(head: string[], rows: string[][], left: number[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((v, i) => (left.includes(i) ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** A cell's calibration mark: the cost fitted to it, or "predicted". */
export function cellMark(c: Table2Cell): string {
  return c.calibrated ? `[CAL] ${c.calibrated}${c.linux === '2.2.22' ? ' (2.2)' : ''}` : 'predicted';
}

export function formatTable2(cells: Table2Cell[]): string {
  const head = ['Linux version', 'call', 'simulated', 'paper', 'ratio', 'cell', ...TABLE_COUNTS.map(([, h]) => h)];
  const rows = cells.map((c) => [c.label, `${c.op}()`, fmt(Math.round(c.simulated)), fmt(c.paper), c.ratio.toFixed(3), cellMark(c), ...TABLE_COUNTS.map(([k]) => fmt(c.counts[k]))]);
  const l22 = Object.entries(LINUX22_COSTS)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  return [
    'Table 2 of the seed thesis (D1): CPU cycles per call on a Pentium Pro 200, and the simulation.',
    'Simulated = mechanisms per call x per-primitive costs (src/l4/costs.ts, fiasco-v2); the 2.2.22 rows run the',
    `same mechanisms with Linux 2.2's own ${l22} (src/scenarios/table2.ts). Counts are per call.`,
    'cell: [CAL] = that cost was calibrated on this cell, once (docs/table2.md); predicted = no cost was fitted to it.',
    '',
    ...columns(head, rows, [0, 1, 5]),
  ].join('\n');
}

export function formatPredictions(preds: Table2Prediction[]): string {
  const head = ['§5.4 variant', 'call', 'predicted', 'V2 now', 'change', ...PREDICTION_COUNTS.map(([, h]) => h), 'reflected*'];
  const rows = preds.map((p) => [p.label, `${p.op}()`, fmt(Math.round(p.simulated)), fmt(Math.round(p.baseline)), signed(Math.round(p.change)), ...PREDICTION_COUNTS.map(([k]) => fmt(p.counts[k])), fmt(p.reflected)]);
  const seen = new Set<string>();
  const notes = preds.filter((p) => !seen.has(p.variant) && seen.add(p.variant)).map((p) => `  ${p.label} (--set ${p.sets.join(' --set ')}): ${p.mechanism}`);
  return [
    '§5.4 of D1, future benchmarking: L4Linux 2.4.19 V2 with the changes the thesis proposes. All PREDICTIONS: no cost',
    'was fitted to them; "V2 now" is the L4Linux 2.4.19 V2 cell above, "L4 sc" the L4 system calls. Counts are per call.',
    '',
    ...columns(head, rows, [0, 1]),
    '',
    '* reflected: int $0x80 traps reflected to the emulation library per call; derived (one per Linux system call on the',
    '  trampoline path, none with the modified C library), the kernel has no counter for it.',
    '',
    'What each variant changes (the settings of its run):',
    ...notes,
  ].join('\n');
}

/** The JSON lines: one object per Table 2 cell, then one per §5.4 prediction. */
export function table2Json(cells: Table2Cell[], preds: Table2Prediction[]): string[] {
  return [
    ...cells.map((c) =>
      JSON.stringify({
        section: 'table2',
        row: c.row,
        label: c.label,
        personality: c.personality,
        linux: c.linux,
        op: c.op,
        simulated: c.simulated,
        paper: c.paper,
        ratio: c.ratio,
        calibrated: c.calibrated,
        prediction: c.calibrated === null,
        counts: c.counts,
        reflected: c.reflected,
      }),
    ),
    ...preds.map((p) =>
      JSON.stringify({
        section: '5.4',
        variant: p.variant,
        label: p.label,
        op: p.op,
        simulated: p.simulated,
        baseline: p.baseline,
        change: p.change,
        prediction: true,
        mechanism: p.mechanism,
        sets: p.sets,
        counts: p.counts,
        reflected: p.reflected,
      }),
    ),
  ];
}

const PROFILES = ['fiasco-v2', 'pistachio-x2'] as const;

export function formatPingpong(rows: PingpongRow[]): string {
  const head = ['variant', ...PROFILES, 'one round trip'];
  const table = rows.map((r) => [r.variant, ...PROFILES.map((p) => (r.cycles[p] === undefined ? '-' : fmt(r.cycles[p]!))), r.formula]);
  const keys = [...new Set(rows.flatMap((r) => r.costs))];
  const costHead = ['cost', ...PROFILES.map((p) => `${p}`), 'source (fiasco-v2 | pistachio-x2)'];
  const costRows = keys.map((k) => {
    const src = IPC_COST_SOURCES[k];
    return [k, ...PROFILES.map((p) => fmt(COST_PROFILES[p]![k as keyof CostProfile])), src ? `${src['fiasco-v2']} | ${src['pistachio-x2']}` : '(src/l4/costs.ts)'];
  });
  return [
    'pingpong: cycles per IPC round trip (ping calls, pong replies with reply-and-wait), from mechanism counts x costs.',
    'intra: one address space; inter: two; cross: two, on CPU 0 and CPU 1. [INF] = the reference\'s suggested value,',
    '[EST] = our estimate, [CAL] = calibrated once on the named cell; sources in src/l4/costs.ts.',
    '',
    ...columns(head, table, [0, 3]),
    '',
    ...columns(costHead, costRows, [0, 3]),
  ].join('\n');
}

export function register(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks of the simulated systems')
    .addHelpText('after', '\nExamples:\n  l4trace bench table2\n  l4trace bench pingpong --json');
  bench
    .command('table2')
    .description(
      'the seed thesis Table 2 (getpid and fork on Linux 2.2.22 and 2.4.19, L4Linux 2.2.22, L4Linux 2.4.19 V2 and L4Env) next to the simulation, ' +
        'calibrated cells marked [CAL]; then the §5.4 predictions for L4Linux 2.4 V2 (modified C library, sysenter/sysexit, both, the X.2 flavour) ' +
        'with their mechanism counts (docs/table2.md)',
    )
    .option(
      '--json',
      'JSON lines: one object per Table 2 cell (section "table2": row, label, personality, linux, op, simulated, paper, ratio, calibrated, prediction, counts, reflected), ' +
        'then one per §5.4 prediction (section "5.4": variant, label, op, simulated, baseline, change, prediction, mechanism, sets, counts, reflected)',
    )
    .option('--set <path=value>', 'override a table2 scenario field for every run (the §5.4 runs too, under their own settings), e.g. forks=100 (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .addHelpText('after', '\nExamples:\n  l4trace bench table2\n  l4trace bench table2 --set forks=100 --json')
    .action((opts: BenchOptions) => {
      const cells = runTable2(opts.set);
      const preds = runTable2Predictions(cells, opts.set);
      if (opts.json) {
        for (const line of table2Json(cells, preds)) writeStdout(line + '\n');
      } else {
        writeStdout(formatTable2(cells) + '\n\n' + formatPredictions(preds) + '\n');
      }
    });
  bench
    .command('pingpong')
    .description('IPC round trips within an address space, across address spaces and across CPUs, on fiasco-v2 and pistachio-x2, each with its formula and every cost with its source')
    .option('--json', 'JSON lines: one object per variant (variant, cycles by profile, formula, costs), then one per cost (cost, values by profile, sources)')
    .option('--set <path=value>', 'override a pingpong scenario field, e.g. rounds=100 or costs.xcpuLatency=600 (the recorded V2 flavour\'s costs; repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .addHelpText('after', '\nExamples:\n  l4trace bench pingpong\n  l4trace bench pingpong --set costs.xcpuLatency=600 --json')
    .action((opts: BenchOptions) => {
      const rows = runPingpongBench(opts.set);
      if (!opts.json) {
        writeStdout(formatPingpong(rows) + '\n');
        return;
      }
      for (const r of rows) writeStdout(JSON.stringify({ section: 'pingpong', ...r }) + '\n');
      for (const k of [...new Set(rows.flatMap((r) => r.costs))]) {
        writeStdout(JSON.stringify({ section: 'cost', cost: k, values: Object.fromEntries(PROFILES.map((p) => [p, COST_PROFILES[p]![k]])), sources: IPC_COST_SOURCES[k] ?? null }) + '\n');
      }
    });
}
