import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { Analysis } from '../../analyze/db.js';
import { formatRows } from './analysis.js';
import { ensureOutputFolder, writeFileAtomic } from '../../tracer/atomic-output.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { Kind } from '../../tracer/catalogue.js';
import { formatEventLine } from '../../tracer/describe.js';
import type { TraceReader } from '../../tracer/reader.js';
import { summarize } from '../../tracer/summary.js';
import { replayTrace } from '../../replay/replay.js';
import { loadScenario } from '../scenarios/resolve.js';
import { CliError } from './errors.js';
import { openTrace } from './open-trace.js';
import { fmtInt, table, writeStdout } from './output.js';
import { refuseStdio } from './stdio.js';
import { recordToFile } from './record-run.js';

/** The built-in runs the demo records; `show` picks events worth printing from the trace. */
interface DemoRun {
  scenario: string;
  file: string;
  what: string;
  seed?: number;
  sets?: string[];
  show?: (reader: TraceReader) => string[];
}

/** The signal path of the race: each SIG_SEND (with its kick result) and SIG_DELIVER. */
function signalEvents(reader: TraceReader): string[] {
  const out: string[] = [];
  for (const e of reader.events()) if (e.kind === Kind.SIG_SEND || e.kind === Kind.SIG_DELIVER) out.push('  ' + formatEventLine(e, reader));
  return out.length > 0 ? out : ['  (no signal events)'];
}

const DEMO_RUNS: DemoRun[] = [
  { scenario: 'pingpong', file: 'pingpong.l4t', what: 'IPC round trips, intra- and inter-address-space, both kernel flavours' },
  { scenario: 'clients-server', file: 'clients-server.l4t', what: 'four clients calling a server with timeouts' },
  { scenario: 'irq', file: 'irq.l4t', what: 'a device raising interrupts at seeded instants' },
  {
    scenario: 'signal-race',
    file: 'signal-race-seed1.l4t',
    what: 'L4Linux 2.4: kill(child, SIGTERM) right after fork(); seed 1 loses the kick (the seed document\'s race)',
    seed: 1,
    show: signalEvents,
  },
  {
    scenario: 'signal-race',
    file: 'signal-race-seed1-handshake.l4t',
    what: 'the same seed with signalFix=handshake',
    seed: 1,
    sets: ['signalFix=handshake'],
    show: signalEvents,
  },
  { scenario: 'shell', file: 'shell.l4t', what: 'L4Linux 2.4: a shell typed at through keyboard IRQs runs two pipelines' },
];

export function register(program: Command): void {
  program
    .command('demo')
    .description('record the built-in scenarios, replay-verify each trace, summarise them and write the race\'s timeline page')
    .option('-o, --out <dir>', 'folder for the demo outputs', 'l4trace-demo')
    .option('--json', 'print one JSON object at the end instead: out, runs (scenario, file, outcome, endCycle, events, threads, bytesPerEvent, choices, hashes, metrics, replay), race (the SQL answer\'s rows), page')
    .addHelpText('after', `
Examples:
  npx l4trace demo
  npx l4trace demo -o /tmp/demo --json | jq '.runs[] | {scenario, outcome}'`)
    .action(async (opts: { out: string; json?: boolean }) => {
      refuseStdio('-o', opts.out, 'the demo writes several traces and a page into a folder; give a folder name');
      ensureOutputFolder(opts.out);
      // --json: the text is not printed; the same facts go into one object at the end.
      const log = opts.json ? (): void => {} : (line = ''): void => console.log(line);
      const runs: Record<string, unknown>[] = [];
      log('l4trace demo: recording built-in scenarios on the simulated L4 machine (Fiasco V2 flavour).');
      for (const run of DEMO_RUNS) {
        const path = join(opts.out, run.file);
        const spec = loadScenario(run.scenario, { ...(run.seed !== undefined ? { seed: run.seed } : {}), sets: run.sets ?? [] });
        const r = await recordToFile(spec, path, { entropy: 'prng' });
        const reader = openTrace(path);
        const s = summarize(reader);
        log(`\n${run.scenario}: ${run.what}`);
        log(
          `  ${path}: outcome ${r.run.stop.outcome} at cycle ${fmtInt(r.run.endTime)}, ${fmtInt(s.events)} events on ${s.threads.length} threads, ${s.bytesPerEvent.toFixed(2)} bytes/event, ${fmtInt(s.choices)} choices, hash chains ${s.hashes}`,
        );
        for (const line of table(r.run.metrics.map((m) => ['  ' + m.name, m.value.toLocaleString('en-US', { maximumFractionDigits: 1 }), m.unit]), new Set([1]))) log(line);
        if (run.show && !opts.json) for (const line of run.show(reader)) log(line);
        const replay = replayTrace(reader, path);
        log(`  ${replayLine(replay, path)}`);
        reader.close();
        runs.push({
          scenario: run.scenario,
          file: path,
          outcome: r.run.stop.outcome,
          endCycle: r.run.endTime,
          events: s.events,
          threads: s.threads.length,
          bytesPerEvent: s.bytesPerEvent,
          choices: s.choices,
          hashes: s.hashes,
          metrics: r.run.metrics,
          replay: { verdict: replay.verdict, events: replay.events, choices: replay.choices },
        });
      }
      const race = join(opts.out, 'signal-race-seed1.l4t');
      const { page, rows } = await askTheRace(race, log);
      if (opts.json) {
        writeStdout(JSON.stringify({ out: opts.out, runs, race: rows, page }) + '\n');
        return;
      }
      console.log(`\nthe timeline of the race, offline in any browser: ${pathToFileURL(resolve(page)).href}`);
      console.log(`\nnext: npx l4trace report ${race}   |   npx l4trace dump ${race} --kind SIG_SEND,SIG_DELIVER,SYSCALL_ENTER   |   npx l4trace export ${race} --format perfetto -o race.pftrace   |   npx l4trace bench table2`);
      // Back in time to the lost kick, from the child's signal thread (l4 id 11.01), and then with gdb.
      console.log(`debug: npx l4trace replay ${race} --monitor "continue; thread 11.01; ipc-origin; events 2"   |   npx l4trace images ${race} -o prog && npx l4trace replay ${race} --gdb 1234 --images prog`);
    });
}

/** Re-executes the trace from the file alone, as `l4trace replay` does; a divergence fails the demo. */
function replayLine(r: ReturnType<typeof replayTrace>, path: string): string {
  if (r.verdict !== 'identical') throw new CliError(`${path}: replay diverged at event #${r.difference?.seq ?? '?'} (${r.difference?.what ?? 'unknown'}); run: npx l4trace replay ${path}`);
  return `replay: identical (${fmtInt(r.events)} events regenerated from the file alone, ${fmtInt(r.choices)} choices, final state equal)`;
}

/**
 * The analyzer's answer for the hanging run (who sent the signal, what the kick returned, no delivery),
 * and its timeline page beside it. Returns the page's path and the answer's rows.
 */
async function askTheRace(path: string, log: (line: string) => void): Promise<{ page: string; rows: Record<string, unknown>[] }> {
  const sql = `SELECT t.name AS sent_by, s.from_pid, s.to_pid, s.sig_name, s.path, s.kick_name AS kick, coalesce(s.ts_deliver::VARCHAR, 'never') AS delivered
FROM signal s JOIN thread t USING (utid) ORDER BY s.ts`;
  const a = await Analysis.open(path);
  try {
    const r = await a.query(sql);
    log(`\nasking ${path} in SQL (DuckDB): why did pid 2 not die?`);
    for (const line of formatRows(r.columns, r.rows, 'table').split('\n')) log('  ' + line);
    const page = path.replace(/\.l4t$/, '.html');
    const html = await buildViewerPage(a, basename(path));
    await writeFileAtomic(page, (write) => {
      for (const c of html.chunks) write(c);
    });
    return { page, rows: r.rows };
  } finally {
    a.close();
  }
}
