/**
 * Sweeping seeds: run one scenario under many seeds, each recorded into memory, and keep the trace of
 * every run that fails (any outcome but ok) in a file named after its seed. Runs spread over worker
 * threads; each worker takes every jobs-th seed of the list. A range can also be cut into shards for
 * separate processes or machines (`seedList`); each shard's results are written as Parquet by the CLI
 * (analyze/sweep-results.ts) and merged by `sweep-merge` (docs/scale.md).
 */
import { basename, join } from 'node:path';
import { writeBytesAtomic } from '../tracer/atomic-output.js';
import { MemorySink } from '../tracer/sink.js';
import { recordScenario } from '../src/session/record-session.js';
import { resolveScenario } from '../src/scenarios/resolve.js';

/** What every run of a sweep shares: the scenario (a built-in name or a parsed file) and overrides. */
export interface SweepJob {
  raw: Record<string, unknown>;
  source: string;
  sets: string[];
  chaos: number;
  /** Where failing traces go. */
  outDir: string;
  toolVersion: string;
}

export interface SeedResult {
  seed: number;
  outcome: string;
  detail: string;
  /** The cycle the run stopped at. */
  endCycle: number;
  /** Events and decision-tape choices the run recorded. */
  events: number;
  choices: number;
  /** The saved trace of a failing run (its path: `outDir` joined with `traceName`). */
  trace: string | null;
  /** The saved trace's file name within `outDir` (what the results file records). */
  traceName: string | null;
}

/** Run one seed, traced into memory; write the trace to `outDir` (atomically) when the run fails. */
export function runSeed(job: SweepJob, seed: number): SeedResult {
  const spec = resolveScenario(job.raw, job.source, { seed, sets: job.chaos > 0 ? [...job.sets, `chaos=${job.chaos}`] : job.sets });
  const sink = new MemorySink();
  const { run, events, choices } = recordScenario(spec, sink, { entropy: 'prng', toolVersion: job.toolVersion });
  const counts = { endCycle: run.endTime, events, choices };
  if (run.stop.outcome === 'ok') return { seed, outcome: 'ok', detail: '', ...counts, trace: null, traceName: null };
  const path = join(job.outDir, `${spec.scenario}-seed${seed}.l4t`);
  writeBytesAtomic(path, sink.bytes());
  return { seed, outcome: run.stop.outcome, detail: run.stop.detail, ...counts, trace: path, traceName: basename(path) };
}

/**
 * Seeds A..B (inclusive), shard i of n (0-based, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID
 * count): every n-th seed from the i-th, so the shards 0..n-1 together run each seed once.
 */
export function seedList(from: number, to: number, shard: { index: number; count: number } = { index: 0, count: 1 }): number[] {
  const out: number[] = [];
  for (let s = from, k = 0; s <= to; s++, k++) if (k % shard.count === shard.index) out.push(s);
  return out;
}
