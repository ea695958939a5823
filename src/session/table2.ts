/**
 * The seed thesis's Table 2 measured on the machine: the table2 scenario once per personality (native
 * Linux 2.4, L4Linux 2.4 on V2, on L4Env), untraced, turned into cells next to the paper's figures.
 * Used by `l4trace bench table2`, its test and the bench.
 */
import { NullRecorder } from '../../tracer/recorder.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { ScenarioError } from '../scenarios/spec.js';
import { TABLE2_PERSONALITIES, table2Cells, type Table2Cell } from '../scenarios/table2.js';
import { RecordingChoices } from '../sim/choices.js';
import { runScenario } from './machine.js';

/** Run the table2 scenario once per personality (`sets` apply to each run). */
export function runTable2(sets: string[] = []): Table2Cell[] {
  const cells: Table2Cell[] = [];
  for (const personality of TABLE2_PERSONALITIES) {
    const spec = resolveScenario({ scenario: 'table2', params: {} }, 'bench table2', { sets: [...sets, `personality=${personality}`] });
    const run = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng') });
    if (run.stop.outcome !== 'ok') throw new ScenarioError(`bench table2: the ${personality} run ended with ${run.stop.outcome}: ${run.stop.detail}`);
    cells.push(...table2Cells(personality, run.metrics));
  }
  return cells;
}
