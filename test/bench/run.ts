/**
 * `npm run bench [-- --json] [-- GROUP ...]`: runs the benchmark groups and prints every figure, with
 * the figure it is compared to and the ratio side by side. Timings vary between machines and runs;
 * the ratios are what to watch.
 *
 * Each group runs in a child process of its own (`--in-process` runs them here): a group's heap and
 * compiled code would otherwise weigh on the groups after it (the guest MIPS figure read ~15% lower
 * after the tracer and machine groups than on its own).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { analyzeGroup } from './groups/analyze.js';
import { callsGroup } from './groups/calls.js';
import { debugGroup } from './groups/debug.js';
import { guestsGroup } from './groups/guests.js';
import { libcGroup } from './groups/libc.js';
import { threadsGroup } from './groups/threads.js';
import { linuxGroup } from './groups/linux.js';
import { machineGroup } from './groups/machine.js';
import { replayGroup } from './groups/replay.js';
import { tracerGroup } from './groups/tracer.js';
import { viewerGroup } from './groups/viewer.js';
import type { BenchGroup, Figure } from './figure.js';

const GROUPS: BenchGroup[] = [tracerGroup, machineGroup, guestsGroup, callsGroup, libcGroup, threadsGroup, linuxGroup, replayGroup, debugGroup, analyzeGroup, viewerGroup];

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(4);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown group ${unknown.join(', ')} (groups: ${GROUPS.map((g) => g.name).join(', ')})\n`);
    process.exit(2);
  }
  const selected = names.length ? GROUPS.filter((g) => names.includes(g.name)) : GROUPS;
  const inProcess = args.includes('--in-process') || selected.length === 1;
  for (const g of selected) {
    if (!json) process.stdout.write(`\n== ${g.name}: ${g.description}\n`);
    const figures: Figure[] = inProcess ? await g.run() : runChild(g.name);
    for (const f of figures) {
      if (json) {
        process.stdout.write(JSON.stringify(f) + '\n');
      } else {
        const cmp = f.vs !== undefined && f.ratio !== undefined ? `   ${f.ratio.toFixed(2)}x vs ${f.vs}` : '';
        process.stdout.write(`${f.name.padEnd(44)} ${fmt(f.value).padStart(14)} ${f.unit.padEnd(12)}${cmp}\n`);
      }
    }
  }
}

/** One group in a fresh Node process; its figures come back as JSON lines. */
function runChild(group: string): Figure[] {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, group, '--json', '--in-process'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`bench: group ${group} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Figure);
}

await main();
