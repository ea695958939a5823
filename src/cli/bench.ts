/**
 * `l4trace bench table2`: the seed thesis's Table 2 (D1 §5.3) next to the simulated cycles for native
 * Linux 2.4, L4Linux 2.4 on V2 and L4Linux 2.4 on L4Env, with the ratio per cell and the mechanisms
 * per call that make up each figure.
 */
import type { Command } from 'commander';
import type { Table2Cell } from '../scenarios/table2.js';
import { runTable2 } from '../session/table2.js';
import { writeStdout } from './output.js';

interface BenchOptions {
  json?: boolean;
  set: string[];
}

const COUNT_COLUMNS: [keyof Table2Cell['counts'], string][] = [
  ['ipc', 'IPCs'],
  ['page_faults', 'faults'],
  ['as_switches', 'AS sw'],
  ['pages_copied', 'copied'],
  ['unmaps', 'unmaps'],
  ['task_news', 'task_new'],
];

export function formatTable2(cells: Table2Cell[]): string {
  const fmt = (v: number): string => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 1 }));
  const head = ['Linux version', 'call', 'simulated', 'paper', 'ratio', ...COUNT_COLUMNS.map(([, h]) => h)];
  const rows = cells.map((c) => [c.label, `${c.op}()`, fmt(Math.round(c.simulated)), fmt(c.paper), c.ratio.toFixed(3), ...COUNT_COLUMNS.map(([k]) => fmt(c.counts[k]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    'Table 2 of the seed thesis (D1): CPU cycles per call on a Pentium Pro 200, and the simulation.',
    'Simulated = mechanisms per call x per-primitive costs (src/l4/costs.ts, fiasco-v2); counts are per call.',
    '',
    line(head),
    ...rows.map(line),
  ].join('\n');
}

export function register(program: Command): void {
  const bench = program.command('bench').description('benchmarks of the simulated systems');
  bench
    .command('table2')
    .description('the seed thesis Table 2 (getpid and fork on native Linux 2.4, L4Linux 2.4 V2, L4Linux 2.4 L4Env) next to the simulation')
    .option('--json', 'one JSON object per cell: personality, op, simulated, paper, ratio, counts')
    .option('--set <path=value>', 'override a table2 scenario field for every run, e.g. forks=100 (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .action((opts: BenchOptions) => {
      const cells = runTable2(opts.set);
      if (opts.json) {
        for (const c of cells) writeStdout(JSON.stringify({ personality: c.personality, op: c.op, simulated: c.simulated, paper: c.paper, ratio: c.ratio, counts: c.counts }) + '\n');
      } else {
        writeStdout(formatTable2(cells) + '\n');
      }
    });
}
