/**
 * The seed thesis's Table 2 measured on the machine: the table2 scenario once per row (native Linux 2.2
 * and 2.4, L4Linux 2.2, L4Linux 2.4 on V2 and on L4Env), untraced, turned into cells next to the
 * paper's figures; and D1 §5.4's future benchmarks as predictions, one run per variant of L4Linux 2.4
 * V2. Used by `l4trace bench table2`, its test and the bench.
 */
import { NullRecorder } from '../../tracer/recorder.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { ScenarioError } from '../scenarios/spec.js';
import {
  costSets,
  TABLE2_ROWS,
  TABLE2_VARIANTS,
  table2Cells,
  table2Measures,
  table2Predictions,
  type Table2Cell,
  type Table2Measure,
  type Table2Prediction,
  type Table2RunShape,
} from '../scenarios/table2.js';
import { RecordingChoices } from '../sim/choices.js';
import { runScenario } from './machine.js';

/** One untraced table2 run; `sets` in order (the last setting of a field wins). */
function runOnce(what: string, sets: string[]): Table2Measure[] {
  const spec = resolveScenario({ scenario: 'table2', params: {} }, 'bench table2', { sets });
  const run = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng') });
  if (run.stop.outcome !== 'ok') throw new ScenarioError(`bench table2: the ${what} run ended with ${run.stop.outcome}: ${run.stop.detail}`);
  // The spec's params passed the table2 scenario's schema: personality and syscalls are set.
  const shape = spec.params as unknown as Table2RunShape;
  return table2Measures(shape, run.metrics);
}

/**
 * Run the table2 scenario once per row of D1 Table 2. `sets` apply to every run: after a row's own Linux
 * 2.2 costs (so `--set costs.linuxSyscall=…` changes the 2.2 rows too), before its personality.
 */
export function runTable2(sets: string[] = []): Table2Cell[] {
  const cells: Table2Cell[] = [];
  for (const def of TABLE2_ROWS) {
    cells.push(...table2Cells(def, runOnce(def.label, [...costSets(def.costs), ...sets, `personality=${def.personality}`])));
  }
  return cells;
}

/**
 * D1 §5.4: L4Linux 2.4 V2 run once per variant (a variant's settings after `sets`), each call next to the
 * L4Linux 2.4 V2 cell of `table` (a runTable2 result with the same `sets`).
 */
export function runTable2Predictions(table: readonly Table2Cell[], sets: string[] = []): Table2Prediction[] {
  const out: Table2Prediction[] = [];
  for (const def of TABLE2_VARIANTS) {
    out.push(...table2Predictions(def, runOnce(`§5.4 ${def.label}`, [...sets, ...def.sets, 'personality=l4linux']), table));
  }
  return out;
}
