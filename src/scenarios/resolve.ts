/**
 * From what the user typed to a resolved ScenarioSpec: a built-in name or a JSON file, then command-line
 * overrides and `--set` assignments, then validation of the common fields and of the scenario's params.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { getScenario, SCENARIOS } from './registry.js';
import { applySet, CommonSchema, describeIssues, ScenarioError, type ScenarioSpec } from './spec.js';

export interface Overrides {
  seed?: number;
  cpus?: number;
  flavour?: string;
  sets?: string[];
  /** trace.functions (`--trace-functions`), over the file's. */
  traceFunctions?: string;
  /** trace.functions when neither the file, --set nor traceFunctions says (record and run: `auto`). */
  defaultTraceFunctions?: string;
}

/** Read `arg` (a built-in scenario name or a path to a scenario file) into a raw object. */
export function readScenarioArg(arg: string): { raw: Record<string, unknown>; source: string } {
  if (SCENARIOS.has(arg) && !existsSync(arg)) return { raw: { scenario: arg }, source: `scenario ${arg}` };
  if (!existsSync(arg)) {
    throw new ScenarioError(`${arg}: no such file, and not a built-in scenario (${[...SCENARIOS.keys()].join(', ')})`);
  }
  if (statSync(arg).isDirectory()) throw new ScenarioError(`${arg}: is a directory, expected a scenario file (JSON)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new ScenarioError(`scenario file ${arg}: not valid JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ScenarioError(`scenario file ${arg}: expected a JSON object`);
  return { raw: raw as Record<string, unknown>, source: `scenario file ${arg}` };
}

export function resolveScenario(raw: Record<string, unknown>, source: string, o: Overrides = {}): ScenarioSpec {
  const obj: Record<string, unknown> = structuredClone(raw);
  if (o.seed !== undefined) obj.seed = o.seed;
  if (o.cpus !== undefined) obj.cpus = o.cpus;
  if (o.flavour !== undefined) obj.flavour = o.flavour;
  for (const s of o.sets ?? []) applySet(obj, s);
  if (o.traceFunctions !== undefined || o.defaultTraceFunctions !== undefined) {
    const trace = obj.trace && typeof obj.trace === 'object' && !Array.isArray(obj.trace) ? (obj.trace as Record<string, unknown>) : obj.trace === undefined ? {} : null;
    if (trace) {
      if (o.traceFunctions !== undefined) trace.functions = o.traceFunctions;
      else trace.functions ??= o.defaultTraceFunctions;
      obj.trace = trace;
    }
  }
  if (typeof obj.scenario === 'string' && SCENARIOS.has(obj.scenario)) {
    const def = getScenario(obj.scenario);
    for (const [key, v] of Object.entries(def.defaults ?? {})) if (obj[key] === undefined) obj[key] = v;
  }
  const common = CommonSchema.safeParse(obj);
  if (!common.success) throw new ScenarioError(`${source}: ${describeIssues(common.error.issues)}`);
  let def;
  try {
    def = getScenario(common.data.scenario);
  } catch (e) {
    throw new ScenarioError(`${source}: scenario: ${(e as Error).message.replace(/^scenario: /, '')}`);
  }
  const params = def.params.safeParse(common.data.params);
  if (!params.success) throw new ScenarioError(`${source}: ${describeIssues(params.error.issues, ['params'])}`);
  const problem = def.check?.(common.data, params.data) ?? null;
  if (problem !== null) throw new ScenarioError(`${source}: ${problem}`);
  return { ...common.data, params: params.data as Record<string, unknown> };
}

export function loadScenario(arg: string, o: Overrides = {}): ScenarioSpec {
  const { raw, source } = readScenarioArg(arg);
  return resolveScenario(raw, source, o);
}
