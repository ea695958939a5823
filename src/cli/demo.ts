import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { summarize } from '../../tracer/summary.js';
import { loadScenario } from '../scenarios/resolve.js';
import { openTrace } from './open-trace.js';
import { fmtInt, table } from './output.js';
import { recordToFile } from './record-run.js';

/** The built-in runs the demo records. */
const DEMO_RUNS = [
  { scenario: 'pingpong', file: 'pingpong.l4t', what: 'IPC round trips, intra- and inter-address-space, both kernel flavours' },
  { scenario: 'clients-server', file: 'clients-server.l4t', what: 'four clients calling a server with timeouts' },
  { scenario: 'irq', file: 'irq.l4t', what: 'a device raising interrupts at seeded instants' },
];

export function register(program: Command): void {
  program
    .command('demo')
    .description('record the built-in scenarios, read the traces back and summarise them')
    .option('-o, --out <dir>', 'folder for the demo outputs', 'l4trace-demo')
    .action((opts: { out: string }) => {
      mkdirSync(opts.out, { recursive: true });
      console.log('l4trace demo: recording built-in scenarios on the simulated L4 machine (Fiasco V2 flavour).');
      for (const run of DEMO_RUNS) {
        const path = join(opts.out, run.file);
        const spec = loadScenario(run.scenario);
        const r = recordToFile(spec, path, { entropy: 'prng' });
        const reader = openTrace(path);
        const s = summarize(reader);
        reader.close();
        console.log(`\n${run.scenario}: ${run.what}`);
        console.log(
          `  ${path}: outcome ${r.run.stop.outcome} at cycle ${fmtInt(r.run.endTime)}, ${fmtInt(s.events)} events on ${s.threads.length} threads, ${s.bytesPerEvent.toFixed(2)} bytes/event, ${fmtInt(s.choices)} choices, hash chains ${s.hashes}`,
        );
        for (const line of table(r.run.metrics.map((m) => ['  ' + m.name, m.value.toLocaleString('en-US', { maximumFractionDigits: 1 }), m.unit]), new Set([1]))) console.log(line);
      }
      const first = join(opts.out, DEMO_RUNS[0]!.file);
      console.log(`\nnext: npx l4trace info ${first}   |   npx l4trace dump ${first} --kind IPC,IPC_RES --limit 20`);
    });
}
