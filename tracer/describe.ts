/**
 * Turning decoded events into text and JSON using the catalogue: enum values by name, gids as
 * task.lthread, string ids resolved, back references as #seq.
 */
import { ENUMS, formatGid, KIND_BY_ID, kindName, type FieldSpec } from './catalogue.js';
import type { TraceEvent } from './reader.js';

export interface NameResolver {
  string(id: number): string;
  threadName(index: number): string;
  /** A label that tells threads of the same name apart, where the resolver has one. */
  threadLabel?(index: number): string;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** A field value as it reads best in a one-line dump. */
export function formatField(field: FieldSpec, v: number, names: NameResolver): string {
  if (field.enumName) {
    const name = ENUMS[field.enumName]?.[v];
    if (name !== undefined) return name;
    return field.enumName === 'IpcError' ? hex(v) : String(v);
  }
  switch (field.role) {
    case 'ref':
      return v < 0 ? '-' : `#${v}`;
    case 'str':
      return JSON.stringify(names.string(v));
    case 'gid':
      return formatGid(v);
    case 'hex':
      return hex(v);
    default:
      return String(v);
  }
}

/** `#seq  time  thread  KIND  field=value ...` */
export function formatEventLine(ev: TraceEvent, names: NameResolver): string {
  const spec = KIND_BY_ID[ev.kind];
  const parts: string[] = [];
  spec?.fields.forEach((f, i) => {
    const v = ev.args[i];
    if (v !== undefined) parts.push(`${f.name}=${formatField(f, v, names)}`);
  });
  const thread = names.threadLabel?.(ev.thread) ?? names.threadName(ev.thread);
  return `#${ev.seq} ${ev.time} ${thread} ${kindName(ev.kind)}${parts.length ? ' ' + parts.join(' ') : ''}`;
}

/** One JSON object per event: raw numbers, plus readable names for enums, strings and gids. */
export function eventToJson(ev: TraceEvent, names: NameResolver): Record<string, unknown> {
  const spec = KIND_BY_ID[ev.kind];
  const fields: Record<string, unknown> = {};
  spec?.fields.forEach((f, i) => {
    const v = ev.args[i];
    if (v === undefined) return;
    if (f.role === 'str') fields[f.name] = names.string(v);
    else if (f.enumName && ENUMS[f.enumName]?.[v] !== undefined) fields[f.name] = ENUMS[f.enumName]![v];
    else if (f.role === 'gid') fields[f.name] = formatGid(v);
    else fields[f.name] = v;
  });
  return { seq: ev.seq, time: ev.time, thread: ev.thread, threadName: names.threadName(ev.thread), kind: kindName(ev.kind), fields };
}
