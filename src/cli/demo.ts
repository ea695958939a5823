import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FileSink } from '../../tracer/file-writer.js';
import { emptyHeader, Outcome } from '../../tracer/packets.js';
import { summarize } from '../../tracer/summary.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { Tracer } from '../../tracer/tracer.js';
import { openTrace } from './open-trace.js';
import { fmtInt } from './output.js';
import { toolVersion } from './version.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('record a built-in run, read it back and summarise it')
    .option('-o, --out <dir>', 'folder for the demo outputs', 'l4trace-demo')
    .action((opts: { out: string }) => {
      mkdirSync(opts.out, { recursive: true });
      const path = join(opts.out, 'demo.l4t');
      console.log('l4trace demo: the simulated machine is not built yet, so this demo records a SYNTHETIC');
      console.log('event stream (function calls and IPC rounds on 4 threads), writes it as a trace file and reads it back.');
      const sink = new FileSink(path);
      const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: toolVersion(), scenarioName: 'synthetic-mixed', flavour: 'synthetic', synthetic: true });
      const end = generateSynthetic(tracer, { profile: 'mixed', events: 200_000, threads: 4, seed: 1 });
      tracer.finish({ outcome: Outcome.OK, outcomeDetail: 'synthetic stream', endTime: end });
      const reader = openTrace(path);
      const s = summarize(reader);
      let merged = 0;
      let last = -1;
      for (const ev of reader.events()) {
        if (ev.seq <= last) throw new Error('demo: events out of order');
        last = ev.seq;
        merged++;
      }
      reader.close();
      console.log(`wrote ${path}: ${fmtInt(s.bytes)} bytes, ${fmtInt(s.events)} events on ${s.threads.length} threads, ${s.bytesPerEvent.toFixed(2)} bytes/event`);
      console.log(`read back ${fmtInt(merged)} events in global order; hash chains ${s.hashes}`);
      console.log(`next: npx l4trace info ${path}   |   npx l4trace dump ${path} --limit 20`);
    });
}
