/**
 * Linux figures: the seed's Table 2 cells as ratios (simulated / paper), how fast the simulator runs
 * the Linux workloads (signal-race seeds per second, simulated forks per second of wall time), and what
 * tracing costs on a Linux run.
 */
import { NullRecorder } from '../../../tracer/recorder.js';
import { runTable2 } from '../../../src/session/table2.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/session/machine.js';
import { imagesFor } from '../../../src/session/setup.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import { bestOf, perSecond, tracedAndPlain, type BenchGroup, type Figure } from '../figure.js';

function table2Figures(): Figure[] {
  return runTable2().map((c) => ({
    name: `linux.table2.${c.row}.${c.op}`,
    value: c.simulated,
    unit: 'cycles',
    vs: `paper ${c.paper.toLocaleString('en-US')}`,
    ratio: c.ratio,
  }));
}

function sweepFigures(): Figure[] {
  const seeds = 50;
  let hangs = 0;
  const ms = bestOf(1, () => {
    hangs = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const spec = resolveScenario({ scenario: 'signal-race' }, 'signal-race', { seed });
      const r = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(seed, 'prng'), images: imagesFor(spec) });
      if (r.stop.outcome === 'hang') hangs++;
    }
  });
  return [
    { name: 'linux.signal_race.seeds_per_s', value: perSecond(seeds, ms), unit: 'seeds/s' },
    { name: 'linux.signal_race.hang_share', value: hangs / seeds, unit: 'of seeds' },
  ];
}

function forkFigures(): Figure[] {
  const forks = 200;
  const spec = resolveScenario({ scenario: 'table2' }, 'table2', { sets: ['getpids=1', `forks=${forks}`] });
  const { traced, plain, events } = tracedAndPlain(spec);
  return [
    { name: 'linux.l4linux.forks_per_s', value: perSecond(forks, plain), unit: 'forks/s' },
    { name: 'linux.l4linux.events_per_s', value: perSecond(events, traced), unit: 'events/s' },
    { name: 'linux.l4linux.run_untraced', value: plain, unit: 'ms' },
    { name: 'linux.l4linux.run_traced', value: traced, unit: 'ms', vs: 'linux.l4linux.run_untraced', ratio: traced / plain },
  ];
}

export const linuxGroup: BenchGroup = {
  name: 'linux',
  description: 'Table 2 cells vs the seed thesis; signal-race seeds/s; L4Linux fork loop speed and tracing cost',
  run: () => [...table2Figures(), ...sweepFigures(), ...forkFigures()],
};
