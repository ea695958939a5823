/**
 * `l4trace sweep SCENARIO --seeds A..B [-j N] [--stop-on-failure] [--chaos [N]] [--shard i/n] [-o DIR]
 * [--json]`: run a scenario under many seeds in worker threads, show progress, summarise outcomes and
 * seeds/s, and save each failing run as a trace named after its seed. The results of every seed go to
 * DIR/results/shard=<i>/part.parquet (analyze/sweep-results.ts), which `sweep-merge` reads for many
 * shards at once. Exit 1 when any seed failed (like a test run).
 */
import { ensureOutputFolder } from '../../tracer/atomic-output.js';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Command } from 'commander';
import { runSeed, seedList, type SeedResult, type SweepJob } from '../../replay/sweep.js';
import { writeSweepResults } from '../../analyze/sweep-results.js';
import { MACHINE_VERSION } from '../session/versions.js';
import { readScenarioArg, resolveScenario } from '../scenarios/resolve.js';
import { CliError, UsageError } from './errors.js';
import { intOption } from './options.js';
import { progressBar } from './progress.js';
import { toolVersion } from './version.js';

interface SweepCliOptions {
  seeds: string;
  jobs?: string;
  stopOnFailure?: boolean;
  chaos?: string | boolean;
  shard?: string;
  out?: string;
  json?: boolean;
  set: string[];
}

function parseRange(v: string): [number, number] {
  const m = /^(\d+)\.\.(\d+)$/.exec(v.trim());
  if (!m) throw new UsageError(`--seeds ${JSON.stringify(v)}: expected A..B, e.g. 1..500`);
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (b < a) throw new UsageError(`--seeds ${v}: the range is empty`);
  if (b - a >= 10_000_000) throw new UsageError(`--seeds ${v}: at most 10,000,000 seeds per sweep`);
  return [a, b];
}

/** `i/n`, 0-based as a batch scheduler counts (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID). */
function parseShard(v: string | undefined): { index: number; count: number } {
  if (v === undefined) return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || n < 1 || n > 1_000_000 || i >= n) throw new UsageError(`--shard ${JSON.stringify(v)}: expected i/n with 0 <= i < n (shards count from 0, as JOB_COMPLETION_INDEX does), e.g. 0/4`);
  return { index: i, count: n };
}

/** Run the seeds on `jobs` worker threads (inline when 1); `onResult` sees each result as it arrives. */
async function runSweep(job: SweepJob, seeds: number[], jobs: number, stopOnFailure: boolean, onResult: (r: SeedResult) => boolean): Promise<void> {
  if (jobs === 1) {
    for (const s of seeds) if (!onResult(runSeed(job, s))) return;
    return;
  }
  const workers: Worker[] = [];
  await new Promise<void>((resolveAll, reject) => {
    let running = 0;
    let stopped = false;
    const stopAll = (): void => {
      stopped = true;
      for (const w of workers) void w.terminate();
      resolveAll();
    };
    for (let w = 0; w < jobs; w++) {
      const mine = seeds.filter((_, i) => i % jobs === w);
      if (mine.length === 0) continue;
      running++;
      const worker = new Worker(new URL('../../replay/sweep-worker.js', import.meta.url), { workerData: { job, seeds: mine } });
      workers.push(worker);
      worker.on('message', (m: { result?: SeedResult; done?: boolean; error?: string }) => {
        if (stopped) return;
        if (m.error) {
          stopped = true;
          for (const x of workers) void x.terminate();
          reject(new CliError(`sweep: a worker failed: ${m.error}`));
        } else if (m.result) {
          if (!onResult(m.result) && stopOnFailure) stopAll();
        } else if (m.done && --running === 0) resolveAll();
      });
      worker.on('error', (e) => {
        if (!stopped) {
          stopped = true;
          reject(e);
        }
      });
    }
    if (running === 0) resolveAll();
  });
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run a scenario under a range of seeds in parallel; save each failing run (outcome other than ok) as a trace')
    .argument('<scenario>', 'built-in scenario name or scenario file')
    .requiredOption('--seeds <A..B>', 'seed range, inclusive')
    .option('-j, --jobs <n>', 'worker threads (default: CPUs)')
    .option('--stop-on-failure', 'stop at the first failing seed')
    .option('--chaos [n]', 'seeded perturbations at IPC, fork, exec and signal points, about one in n (default 8); all on the tape')
    .option('--shard <i/n>', 'run only part i of n (0 <= i < n) of the range, every n-th seed from the i-th (spread a sweep over processes or machines)')
    .option('-o, --out <dir>', 'folder for failing traces and the results (DIR/results/shard=<i>/part.parquet; default sweep-<scenario>)')
    .option('--json', 'print one JSON object: scenario, seeds, shard, run, outcomes, failing (seed, outcome, detail, trace), results, seconds')
    .option('--set <path=value>', 'override a scenario field for every seed (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .addHelpText('after', `
Examples:
  l4trace sweep signal-race --seeds 1..200 -j 2 -o sw         # failing runs saved as sw/signal-race-seed<N>.l4t
  l4trace sweep signal-race --seeds 1..200 --shard 0/4 -o sw  # part 0 of 4 (then 1/4, 2/4, 3/4, anywhere)
  l4trace sweep-merge sw                                       # outcomes, failing seeds, missing seeds
(docs/scale.md: Kubernetes Indexed Jobs and Slurm job arrays)`)
    .action(async (arg: string, opts: SweepCliOptions) => {
      const [from, to] = parseRange(opts.seeds);
      const shard = parseShard(opts.shard);
      const jobs = opts.jobs !== undefined ? intOption('jobs', opts.jobs) : Math.max(1, cpus().length);
      if (jobs < 1) throw new UsageError('--jobs must be at least 1');
      const chaos = opts.chaos === undefined || opts.chaos === false ? 0 : opts.chaos === true ? 8 : intOption('chaos', opts.chaos);
      let raw: Record<string, unknown>;
      let source: string;
      let name: string;
      ({ raw, source } = readScenarioArg(arg));
      name = resolveScenario(raw, source, { sets: opts.set }).scenario; // validate once, here
      const outDir = opts.out ?? `sweep-${name}`;
      if (outDir === '-') throw new UsageError('-o -: sweep writes a folder (failing traces and results), not a stream; give a folder');
      ensureOutputFolder(outDir);
      const seeds = seedList(from, to, shard);
      const job: SweepJob = { raw, source, sets: opts.set, chaos, outDir, toolVersion: toolVersion() };
      const results: SeedResult[] = [];
      const bar = opts.json ? { update: () => {}, stop: () => {} } : progressBar(`sweep ${name}`, seeds.length, 'seeds');
      const t0 = performance.now();
      let failures = 0;
      await runSweep(job, seeds, Math.min(jobs, seeds.length), Boolean(opts.stopOnFailure), (r) => {
        results.push(r);
        if (r.outcome !== 'ok') failures++;
        bar.update(results.length, `${failures} failing`);
        return r.outcome === 'ok' || !opts.stopOnFailure;
      });
      bar.stop();
      const seconds = (performance.now() - t0) / 1000;
      results.sort((a, b) => a.seed - b.seed);
      const identity = { scenario: name, sets: opts.set, chaos, seedsFrom: from, seedsTo: to, shardCount: shard.count, machineVersion: MACHINE_VERSION };
      const resultsPath = await writeSweepResults(outDir, shard.index, identity, results.map((r) => ({ ...r, trace: r.traceName })));
      const workers = Math.min(jobs, seeds.length);
      if (failures > 0) process.exitCode = 1;
      if (opts.json) {
        const outcomes: Record<string, number> = {};
        for (const r of [...results].sort((a, b) => Number(a.outcome !== 'ok') - Number(b.outcome !== 'ok') || a.outcome.localeCompare(b.outcome))) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        const failing = results.filter((r) => r.outcome !== 'ok').map((r) => ({ seed: r.seed, outcome: r.outcome, detail: r.detail, trace: r.traceName, file: r.trace }));
        console.log(
          JSON.stringify({
            scenario: name,
            sets: opts.set,
            chaos,
            machineVersion: MACHINE_VERSION,
            seeds: { from, to },
            shard,
            out: outDir,
            results: resultsPath,
            workers,
            planned: seeds.length,
            run: results.length,
            stopped: results.length < seeds.length,
            outcomes,
            failing,
            seconds: Number(seconds.toFixed(3)),
          }),
        );
        return;
      }
      const byOutcome = new Map<string, number[]>();
      for (const r of results) byOutcome.set(r.outcome, [...(byOutcome.get(r.outcome) ?? []), r.seed]);
      const counts = [...byOutcome].sort(([a], [b]) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b))).map(([o, s]) => `${s.length} ${o}`);
      const range = shard.count > 1 ? `${from}..${to} shard ${shard.index}/${shard.count}` : `${from}..${to}`;
      console.log(`sweep ${name} seeds ${range}${chaos ? ` chaos ${chaos}` : ''}: ${results.length} seeds on ${workers} workers, ${counts.join(', ') || 'none run'}; ${(results.length / seconds).toFixed(1)} seeds/s`);
      for (const [outcome, list] of byOutcome) {
        if (outcome === 'ok') continue;
        console.log(`  ${outcome}: seeds ${list.slice(0, 30).join(' ')}${list.length > 30 ? ` ... (${list.length})` : ''}`);
      }
      const saved = results.filter((r) => r.trace);
      if (saved.length) {
        console.log(`  traces in ${outDir}/ (${saved.length}), e.g. ${saved[0]!.trace}`);
        console.log(`  next: npx l4trace replay ${saved[0]!.trace}   |   npx l4trace shrink ${saved[0]!.trace} -o min.l4t`);
      }
      console.log(`  results: ${resultsPath}${shard.count > 1 ? `   |   all shards: npx l4trace sweep-merge ${outDir}` : ''}`);
    });
}
