/**
 * Machine figures: simulated events per second of wall time for pingpong and irq, and the cost of
 * tracing (the same run with tracing off, i.e. no encoding at all, side by side).
 */
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { perSecond, tracedAndPlain, type BenchGroup, type Figure } from '../figure.js';

/** pingpong as the figures were first measured: intra and inter on one CPU (the cross variant needs two, which run in short rounds). */
const PINGPONG_ONE_CPU = ['spaces=["intra","inter"]', 'cpus=1'];

function measure(name: string, sets: string[]): Figure[] {
  const spec = resolveScenario({ scenario: name }, name, { sets: [...sets, 'compare=[]'].filter((s) => name === 'pingpong' || !s.startsWith('compare')) });
  const { traced, plain, events } = tracedAndPlain(spec);
  return [
    { name: `machine.${name}.events_per_s`, value: perSecond(events, traced), unit: 'events/s' },
    { name: `machine.${name}.run_untraced`, value: plain, unit: 'ms' },
    { name: `machine.${name}.run_traced`, value: traced, unit: 'ms', vs: `machine.${name}.run_untraced`, ratio: traced / plain },
  ];
}

export const machineGroup: BenchGroup = {
  name: 'machine',
  description: 'simulated events/s and the cost of tracing (pingpong 100k round trips, irq 100k hits)',
  run: () => [...measure('pingpong', ['rounds=100000', ...PINGPONG_ONE_CPU]), ...measure('irq', ['hits=100000'])],
};
