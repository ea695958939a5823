/**
 * A small harness for kernel tests: boots a machine whose root task runs the given generator, records
 * the trace in memory, and returns the kernel, the outcome and the decoded events.
 */
import { Kind, kindName } from '../../tracer/catalogue.js';
import { emptyHeader } from '../../tracer/packets.js';
import { TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import type { CostProfile } from '../../src/l4/costs.js';
import { costsOf, FLAVOURS, type FlavourName } from '../../src/l4/flavour.js';
import { Kernel, type StopReason } from '../../src/l4/kernel.js';
import type { ModelCtx, ModelProgram } from '../../src/l4/model-engine.js';
import type { OpGenerator } from '../../src/l4/ops.js';
import { RecordingChoices } from '../../src/sim/choices.js';

export interface MachineOptions {
  flavour?: FlavourName;
  costs?: Partial<CostProfile>;
  cpus?: number;
  seed?: number;
  limit?: number;
  timerJitter?: number;
  /** Extra programs, by name; `ips[name]` gives their start address inside `root`. */
  programs?: Record<string, (ctx: ModelCtx) => OpGenerator>;
  /** Called with the kernel before it runs (schedule device interrupts ...). */
  setup?: (k: Kernel, ips: Record<string, number>) => void;
}

export interface MachineRun {
  k: Kernel;
  stop: StopReason;
  reader: TraceReader;
  events: TraceEvent[];
  bytes: Uint8Array;
  /** Events of the thread named `name`. */
  of(name: string): TraceEvent[];
  /** Events of one kind, optionally of one thread. */
  kind(k: keyof typeof Kind, name?: string): TraceEvent[];
  threadName(ev: TraceEvent): string;
}

export function runMachine(root: (ctx: ModelCtx, ips: Record<string, number>) => OpGenerator, opts: MachineOptions = {}): MachineRun {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), cpus: opts.cpus ?? 1 }, { chunkEvents: 512 });
  const flavour = FLAVOURS[opts.flavour ?? 'v2'];
  const k = new Kernel({
    flavour,
    costs: costsOf(flavour, opts.costs),
    cpus: opts.cpus ?? 1,
    choices: new RecordingChoices(opts.seed ?? 0, 'prng', (s, v, r) => tracer.choice(s, v, r)),
    recorder: tracer,
    timerJitter: opts.timerJitter ?? 0,
  });
  const ips: Record<string, number> = {};
  let ip = 0xc0100000;
  for (const [name, run] of Object.entries(opts.programs ?? {})) {
    ips[name] = ip;
    k.registerProgram(ip, { name, run } as ModelProgram);
    ip += 0x1000;
  }
  k.registerProgram(ip, { name: 'roottask', run: (ctx) => root(ctx, ips) });
  opts.setup?.(k, ips);
  k.boot(ip);
  const stop = k.run(opts.limit ?? 2_000_000_000);
  tracer.finish({ outcome: 1, endTime: Math.max(...k.cpus.map((c) => c.time)) });
  const bytes = sink.bytes();
  const reader = TraceReader.fromBytes(bytes, { strict: true });
  const events = [...reader.events()];
  const threadName = (ev: TraceEvent): string => reader.threadName(ev.thread);
  return {
    k,
    stop,
    reader,
    events,
    bytes,
    threadName,
    of: (name) => events.filter((e) => threadName(e) === name),
    kind: (kind, name) => events.filter((e) => kindName(e.kind) === kind && (name === undefined || threadName(e) === name)),
  };
}

/** Field `name` of an event, by the catalogue. */
export function field(ev: TraceEvent, name: string): number {
  const idx = FIELD_INDEX.get(`${ev.kind}:${name}`);
  if (idx === undefined) throw new Error(`${kindName(ev.kind)} has no field ${name}`);
  return ev.args[idx]!;
}

import { KINDS } from '../../tracer/catalogue.js';
const FIELD_INDEX = new Map<string, number>();
for (const k of KINDS) k.fields.forEach((f, i) => FIELD_INDEX.set(`${k.id}:${f.name}`, i));
