/**
 * Sweeping seeds: run one scenario under many seeds, each recorded into memory, and keep the trace of
 * every run that fails (any outcome but ok) in a file named after its seed. Runs spread over worker
 * threads; each worker takes every jobs-th seed of the list.
 */
import { join } from 'node:path';
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
  /** The saved trace of a failing run. */
  trace: string | null;
}

/** Run one seed, traced into memory; write the trace to `outDir` (atomically) when the run fails. */
export function runSeed(job: SweepJob, seed: number): SeedResult {
  const spec = resolveScenario(job.raw, job.source, { seed, sets: job.chaos > 0 ? [...job.sets, `chaos=${job.chaos}`] : job.sets });
  const sink = new MemorySink();
  const { run } = recordScenario(spec, sink, { entropy: 'prng', toolVersion: job.toolVersion });
  if (run.stop.outcome === 'ok') return { seed, outcome: 'ok', detail: '', trace: null };
  const path = join(job.outDir, `${spec.scenario}-seed${seed}.l4t`);
  writeBytesAtomic(path, sink.bytes());
  return { seed, outcome: run.stop.outcome, detail: run.stop.detail, trace: path };
}

/** Seeds A..B (inclusive), the i-th of n shards (1-based): every n-th seed from the i-th. */
export function seedList(from: number, to: number, shard: { index: number; count: number } = { index: 1, count: 1 }): number[] {
  const out: number[] = [];
  for (let s = from, k = 0; s <= to; s++, k++) if (k % shard.count === shard.index - 1) out.push(s);
  return out;
}
