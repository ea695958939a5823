import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadScenario } from '../scenarios/resolve.js';
import { UsageError } from './errors.js';
import { fmtInt, progressWanted, table } from './output.js';
import { recordToFile } from './record-run.js';
import { intOption } from './options.js';

interface RecordCliOptions {
  out?: string;
  seed?: string;
  entropy: string;
  cpus?: string;
  flavour?: string;
  until?: string;
  set: string[];
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('record')
    .description('run a built-in scenario or a scenario file and record it as a trace')
    .argument('<scenario>', 'built-in scenario name (pingpong, irq, clients-server) or a scenario JSON file')
    .option('-o, --out <file>', 'trace file to write (default: <scenario>.l4t)')
    .option('--seed <n>', 'seed of the decision PRNG')
    .option('--entropy <source>', 'where decisions come from: prng (reproducible from the seed) or os', 'prng')
    .option('--cpus <n>', 'number of CPUs')
    .option('--flavour <abi>', 'kernel flavour: v2 (Fiasco) or x2 (Pistachio)')
    .option('--until <cycles>', 'stop at this cycle (outcome limit)')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. --set params.rounds=500', (v: string, prev: string[]) => [...prev, v], [])
    .option('-q, --quiet', 'print only the outcome line')
    .action(async (scenario: string, opts: RecordCliOptions) => {
      if (opts.entropy !== 'prng' && opts.entropy !== 'os') throw new UsageError(`--entropy ${JSON.stringify(opts.entropy)}: expected prng or os`);
      const spec = loadScenario(scenario, {
        ...(opts.seed !== undefined ? { seed: intOption('seed', opts.seed) } : {}),
        ...(opts.cpus !== undefined ? { cpus: intOption('cpus', opts.cpus) } : {}),
        ...(opts.flavour !== undefined ? { flavour: opts.flavour } : {}),
        sets: opts.set,
      });
      const until = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      const out = opts.out ?? `${spec.scenario}.l4t`;
      const tty = progressWanted() && !opts.quiet;
      let lastDraw = 0;
      const result = await recordToFile(spec, out, {
        ...(existsSync(scenario) ? { inputs: [scenario] } : {}),
        entropy: opts.entropy,
        ...(until !== undefined ? { untilCycles: until } : {}),
        ...(tty
          ? {
              onRound: (k, tracer) => {
                const now = Date.now();
                if (now - lastDraw < 100) return;
                lastDraw = now;
                process.stderr.write(`\rrecording ${spec.scenario}: cycle ${fmtInt(k.now)}, ${fmtInt(tracer.nextSeq)} events\x1b[K`);
              },
            }
          : {}),
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const { run } = result;
      const us = run.endTime / run.kernel.costs.cyclesPerUs;
      console.log(
        `recorded ${spec.scenario} -> ${out}: outcome ${run.stop.outcome} at cycle ${fmtInt(run.endTime)} (${us.toFixed(1)} us); ${fmtInt(result.events)} events, ${fmtInt(result.bytes)} bytes, ${fmtInt(result.choices)} choices`,
      );
      for (const d of run.kernel.diagnostics) process.stderr.write(`l4trace: ${d}\n`);
      if (opts.quiet) return;
      if (run.stop.outcome !== 'ok') console.log(`  ${run.stop.detail}`);
      if (run.metrics.length) {
        console.log('results');
        for (const line of table(run.metrics.map((m) => ['  ' + m.name, m.value.toLocaleString('en-US', { maximumFractionDigits: 2 }), m.unit]), new Set([1]))) console.log(line);
      }
    });
}
