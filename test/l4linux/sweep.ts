import { runUntraced } from '../support/record.js';

/** Seeds grouped by the outcome of a scenario run under `signalFix=fix`. */
export function outcomesBySeed(scenario: string, fix: string, seeds: number[], sets: string[] = []): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const seed of seeds) {
    const r = runUntraced(scenario, { seed, sets: [`signalFix=${fix}`, ...sets] });
    by.set(r.outcome, [...(by.get(r.outcome) ?? []), seed]);
  }
  return by;
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
