/** The built-in scenarios, by name. */
import { clientsServer } from './clients-server.js';
import { consoleScenario } from './console.js';
import { irqScenario } from './irq.js';
import { kmemScenario } from './kmem.js';
import { linuxRun } from './linux-run.js';
import { maxcpusDeadlock } from './maxcpus-deadlock.js';
import { pingpong } from './pingpong.js';
import { shell } from './shell.js';
import { signalRace } from './signal-race.js';
import { table2 } from './table2.js';
import type { ScenarioDef } from './scenario.js';
import { ScenarioError } from './spec.js';

export const SCENARIOS: ReadonlyMap<string, ScenarioDef<any>> = new Map<string, ScenarioDef<any>>([
  [pingpong.name, pingpong],
  [irqScenario.name, irqScenario],
  [clientsServer.name, clientsServer],
  [linuxRun.name, linuxRun],
  [signalRace.name, signalRace],
  [maxcpusDeadlock.name, maxcpusDeadlock],
  [shell.name, shell],
  [table2.name, table2],
  [kmemScenario.name, kmemScenario],
  [consoleScenario.name, consoleScenario],
]);

export function getScenario(name: string): ScenarioDef<any> {
  const def = SCENARIOS.get(name);
  if (!def) throw new ScenarioError(`scenario: unknown scenario ${JSON.stringify(name)} (built-in: ${[...SCENARIOS.keys()].join(', ')})`);
  return def;
}
