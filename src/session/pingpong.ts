/**
 * `l4trace bench pingpong`: the pingpong scenario's round trips (intra- and inter-address-space, and
 * across CPUs) on both flavours, untraced, each next to the formula it comes from and the costs in it.
 */
import { NullRecorder } from '../../tracer/recorder.js';
import type { CostProfile } from '../l4/costs.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { ScenarioError } from '../scenarios/spec.js';
import { RecordingChoices } from '../sim/choices.js';
import { runScenario } from './machine.js';

export type PingpongVariant = 'intra' | 'inter' | 'cross';

export interface PingpongRow {
  variant: PingpongVariant;
  /** Cycles per round trip by flavour profile name (fiasco-v2, pistachio-x2). */
  cycles: Record<string, number>;
  /** The mechanisms of one round trip, as a formula over cost keys. */
  formula: string;
  /** Cost keys the formula uses. */
  costs: (keyof CostProfile)[];
}

export const PINGPONG_FORMULAS: Record<PingpongVariant, { formula: string; costs: (keyof CostProfile)[] }> = {
  intra: { formula: '2 x (syscallEntryExit + ipcPath)', costs: ['syscallEntryExit', 'ipcPath'] },
  inter: { formula: 'intra + 2 x asSwitch', costs: ['syscallEntryExit', 'ipcPath', 'asSwitch'] },
  cross: {
    formula: 'intra + 2 x (xcpuSend + xcpuLatency + xcpuReceive) + 2 x dispatch (each CPU keeps its address space)',
    costs: ['syscallEntryExit', 'ipcPath', 'xcpuSend', 'xcpuLatency', 'xcpuReceive', 'dispatch'],
  },
};

const FLAVOUR_PROFILE: Record<'v2' | 'x2', string> = { v2: 'fiasco-v2', x2: 'pistachio-x2' };

/** Run pingpong once (V2, with the X.2 comparison run) and return one row per variant. */
export function runPingpongBench(sets: string[] = []): PingpongRow[] {
  const spec = resolveScenario({ scenario: 'pingpong', params: {} }, 'bench pingpong', { sets: ['compare=["v2","x2"]', ...sets] });
  const run = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng') });
  if (run.stop.outcome !== 'ok') throw new ScenarioError(`bench pingpong: the run ended with ${run.stop.outcome}: ${run.stop.detail}`);
  const rows: PingpongRow[] = [];
  for (const variant of ['intra', 'inter', 'cross'] as const) {
    const cycles: Record<string, number> = {};
    for (const f of ['v2', 'x2'] as const) {
      const m = run.metrics.find((x) => x.name === `${f}.${variant}.cycles_per_roundtrip`);
      if (m) cycles[FLAVOUR_PROFILE[f]] = m.value;
    }
    if (Object.keys(cycles).length > 0) rows.push({ variant, cycles, ...PINGPONG_FORMULAS[variant] });
  }
  return rows;
}
