/**
 * `l4trace list [scenarios|guests|personalities|flavours]`: what the machine can run. Scenarios and
 * their parameters come from the registry's zod schemas (names, types, bounds, defaults), so a new
 * scenario or parameter is listed without touching this file; guests are the committed ELFs.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { committedGuests } from '../guests/catalog.js';
import { FLAVOURS } from '../l4/flavour.js';
import { PERSONALITIES } from '../l4linux/platform.js';
import { SCENARIOS } from '../scenarios/registry.js';
import { CommonSchema } from '../scenarios/spec.js';
import { UsageError } from './errors.js';
import { guardStdoutPipe, Out, table } from './output.js';

export interface ParamInfo {
  name: string;
  /** The accepted values: `integer 1..2000`, `intra|inter|cross[]`, `boolean` ... */
  type: string;
  /** The value taken when the field is left out; absent when it has none (optional or required). */
  default?: unknown;
  required: boolean;
}

export interface ScenarioInfo {
  name: string;
  description: string;
  params: ParamInfo[];
  /** Common fields this scenario sets unless the file does (e.g. a deadline). */
  defaults: Record<string, unknown>;
}

const PERSONALITY_TEXT: Record<string, string> = {
  native: 'native Linux 2.4 (the baseline: no microkernel)',
  l4linux: 'L4Linux 2.4 over L4 V2 (Fiasco): the Linux server as an L4 task (the default)',
  l4env: 'L4Linux 2.4 over L4Env: as l4linux, plus the task server and dm_phys (docs/linux.md)',
};

const SECTIONS = ['scenarios', 'guests', 'personalities', 'flavours'] as const;

type Def = { type: string; [k: string]: unknown };
const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

/** The object schema inside wrappers (default, optional, pipe), or null. */
function objectShape(s: z.ZodType): Record<string, z.ZodType> | null {
  const d = defOf(s);
  if (d.type === 'object') return (s as unknown as { shape: Record<string, z.ZodType> }).shape;
  if (d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') return objectShape(d.innerType as z.ZodType);
  if (d.type === 'pipe') return objectShape(d.in as z.ZodType);
  return null;
}

/** A short description of the values a schema accepts. */
export function describeType(s: z.ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'default':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'prefault':
      return describeType(d.innerType as z.ZodType);
    case 'pipe':
      return describeType(d.in as z.ZodType);
    case 'enum':
      return Object.values(d.entries as Record<string, string>).join('|');
    case 'literal':
      return (d.values as unknown[]).map((v) => JSON.stringify(v)).join('|');
    case 'number': {
      const n = s as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
      const lo = n.minValue !== null && Number.isFinite(n.minValue) && n.minValue > Number.MIN_SAFE_INTEGER ? n.minValue : null;
      const hi = n.maxValue !== null && Number.isFinite(n.maxValue) && n.maxValue < Number.MAX_SAFE_INTEGER ? n.maxValue : null;
      const range = lo !== null || hi !== null ? ` ${lo ?? ''}..${hi ?? ''}` : '';
      return `${n.isInt ? 'integer' : 'number'}${range}`;
    }
    case 'array': {
      const el = describeType(d.element as z.ZodType);
      return el.includes(' ') ? `(${el})[]` : `${el}[]`;
    }
    case 'union':
      return (d.options as z.ZodType[]).map(describeType).join(' or ');
    case 'record':
    case 'object':
      return 'object';
    default:
      return d.type;
  }
}

/** The fields of an object schema with their types and defaults. */
export function paramsOf(schema: z.ZodType): ParamInfo[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  return Object.entries(shape).map(([name, field]) => {
    const r = field.safeParse(undefined);
    const info: ParamInfo = { name, type: describeType(field), required: !r.success };
    if (r.success && r.data !== undefined) info.default = r.data;
    return info;
  });
}

export function scenarioInfos(): ScenarioInfo[] {
  return [...SCENARIOS.values()].map((d) => ({ name: d.name, description: d.description, params: paramsOf(d.params), defaults: { ...(d.defaults ?? {}) } }));
}

export function listing(): Record<(typeof SECTIONS)[number] | 'common', unknown> {
  return {
    scenarios: scenarioInfos(),
    common: paramsOf(CommonSchema).filter((p) => p.name !== 'scenario' && p.name !== 'params'),
    guests: committedGuests(),
    personalities: PERSONALITIES.map((name) => ({ name, description: PERSONALITY_TEXT[name] ?? '' })),
    flavours: Object.values(FLAVOURS).map((f) => ({ name: f.name, kernel: f.kernel, costProfile: f.costProfile, senderQueue: f.senderQueue, irqAck: f.irqAck })),
  };
}

const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function printScenarios(out: Out, common: ParamInfo[]): void {
  out.line('scenarios (l4trace record NAME --set params.FIELD=VALUE; a scenario file sets the same fields)');
  for (const s of scenarioInfos()) {
    out.line(`  ${s.name}: ${s.description}`);
    const rows: string[][] = s.params.map((p) => [`      ${p.name}`, p.type, p.required ? 'required' : p.default === undefined ? '(optional)' : `default ${show(p.default)}`]);
    for (const [k, v] of Object.entries(s.defaults)) rows.push([`      ${k}`, '(common field)', `default ${show(v)}`]);
    for (const line of table(rows)) out.line(line);
  }
  out.line('common fields of every scenario (--set FIELD=VALUE; --seed, --cpus, --flavour, --until set some of them)');
  for (const line of table(common.map((p) => [`      ${p.name}`, p.type, p.default === undefined ? '(optional)' : `default ${show(p.default)}`]))) out.line(line);
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list what can be run: built-in scenarios with their parameters and defaults, committed guest programs, Linux personalities, kernel flavours')
    .argument('[what]', `one section: ${SECTIONS.join(', ')} (default: all)`)
    .option('--json', 'print one JSON object: scenarios (name, description, params: name, type, default, required; defaults), common, guests, personalities, flavours')
    .addHelpText('after', `
Examples:
  l4trace list
  l4trace list scenarios
  l4trace list --json | jq '.scenarios[] | select(.name == "signal-race") | .params'`)
    .action((what: string | undefined, opts: { json?: boolean }) => {
      guardStdoutPipe();
      if (what !== undefined && !(SECTIONS as readonly string[]).includes(what)) throw new UsageError(`list ${JSON.stringify(what)}: expected ${SECTIONS.join(', ')}`);
      const all = listing();
      const want = (s: string): boolean => what === undefined || what === s;
      const out = new Out();
      if (opts.json) {
        const obj = what === undefined ? all : what === 'scenarios' ? { scenarios: all.scenarios, common: all.common } : { [what]: all[what as keyof typeof all] };
        out.line(JSON.stringify(obj));
        out.flush();
        return;
      }
      if (want('scenarios')) printScenarios(out, all.common as ParamInfo[]);
      if (want('guests')) {
        out.line('guests (committed i386 ELF programs: l4trace run NAME, l4trace record NAME; /bin/NAME in the built-in root file system)');
        const names = all.guests as string[];
        for (let i = 0; i < names.length; i += 8) out.line('  ' + names.slice(i, i + 8).join(' '));
      }
      if (want('personalities')) {
        out.line('personalities (Linux scenarios: --set params.personality=NAME)');
        for (const line of table((all.personalities as { name: string; description: string }[]).map((p) => [`  ${p.name}`, p.description]))) out.line(line);
      }
      if (want('flavours')) {
        out.line('flavours (--flavour NAME)');
        for (const line of table((all.flavours as { name: string; kernel: string; costProfile: string }[]).map((f) => [`  ${f.name}`, f.kernel, `cost profile ${f.costProfile}`]))) out.line(line);
      }
      out.flush();
    });
}
