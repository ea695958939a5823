/**
 * l4trace as a library: the package's one entry module (`import { record } from 'l4trace'`). A small,
 * typed surface over the session, replay, tracer, analyze and viewer layers, which it wraps and never
 * reimplements: build a machine from a built-in scenario, a scenario object or an IA32 ELF, run it and
 * record its trace to a file or to memory; open a trace as typed events with named kinds; replay and
 * verify it; query it through DuckDB; export it; write its viewer page. docs/api.md documents it.
 *
 * Errors that are the input's fault are `UserError`s with one line naming the input (as the CLI's).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analysis } from '../../analyze/db.js';
import { exportChromeJson } from '../../analyze/export-chrome.js';
import { exportParquet } from '../../analyze/export-parquet.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { replayTrace, type ReplayVerdict } from '../../replay/replay.js';
import { AtomicPath, checkOutputPath, writeFileAtomic } from '../../tracer/atomic-output.js';
import { ENUMS, formatGid, Kind, KIND_BY_ID, KINDS, kindName } from '../../tracer/catalogue.js';
import { formatEventLine } from '../../tracer/describe.js';
import { UserError } from '../../tracer/errors.js';
import { FileSink } from '../../tracer/file-writer.js';
import { TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { MemorySink, type TraceSink } from '../../tracer/sink.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { committedGuests } from '../guests/catalog.js';
import { SCENARIOS } from '../scenarios/registry.js';
import { readScenarioArg, resolveScenario } from '../scenarios/resolve.js';
import { ScenarioError, type ScenarioSpec } from '../scenarios/spec.js';
import { RecordSession, type RecordResult } from '../session/record-session.js';
import { defaultRootFs } from '../session/rootfs/default.js';
import { DEFAULT_ENV } from '../session/rootfs/environment.js';
import { readRootFs } from '../session/rootfs/load.js';
import { setupForRecording } from '../session/setup.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';

export { UserError };
export type { ScenarioSpec, ReplayVerdict };
export { LinuxProgram, NR, O, SyscallResult, type SyscallArg } from './linux-program.js';

// ---------------------------------------------------------------------------------------------------
// Event kinds

/** Event kind numbers by name (trace.proto `Kind`; tracer/catalogue.ts). */
export const KIND = Kind;
/** The name of an event kind: `'IPC'`, `'SYSCALL_ENTER'`, `'SIG_SEND'` … */
export type KindName = keyof typeof Kind;
/** Every kind name, in catalogue order. */
export const KIND_NAMES: readonly KindName[] = KINDS.map((k) => k.name as KindName);
/** The payload field names of each kind, in column order. */
export function kindFields(kind: KindName): string[] {
  return KIND_BY_ID[Kind[kind]]!.fields.map((f) => f.name);
}

/** Names of the built-in scenarios (`signal-race`, `pingpong`, `run` …). */
export function scenarioNames(): string[] {
  return [...SCENARIOS.keys()];
}

/** Names of the guest programs that come with l4trace (src/guests/bin). */
export function guestNames(): string[] {
  return committedGuests();
}

// ---------------------------------------------------------------------------------------------------
// Machines and recording

/** A scenario as a scenario file holds it: `{ scenario: 'signal-race', seed: 3, params: { … } }`. */
export type ScenarioObject = { scenario: string } & Record<string, unknown>;

export interface MachineOptions {
  /** The seed of the decision tape's PRNG (default: the scenario's). */
  seed?: number;
  cpus?: number;
  /** `fiasco-v2`, `pistachio-x2` … (default: the scenario's). */
  flavour?: string;
  /** `key=value` assignments as `--set` takes them (`signalFix=handshake`, `params.stdin="ls"`). */
  set?: string[];
  /** Guest images by program name (what the `run` scenario's `program` names); committed guests otherwise. */
  images?: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>;
  /**
   * The root file system Linux sees: a directory or a .tar read now (the trace embeds what the run reads),
   * `'builtin'` (l4trace's own: /bin with the guests, /etc, /tmp), or none (default; `runProgram`: builtin).
   */
  rootfs?: string | 'builtin' | null;
  /** Stop the run at this cycle (outcome `limit`). */
  untilCycles?: number;
  /** Where the decision tape draws from: the seeded PRNG (default) or OS entropy. */
  entropy?: 'prng' | 'os';
  /** Guest console output as it is written (fd 1 or 2 and the bytes). */
  console?: (fd: number, data: Uint8Array) => void;
}

/**
 * A machine ready to run: a resolved scenario plus what it needs from the host (images, root file
 * system), all read now, so the run itself never touches the host.
 */
export interface Machine {
  readonly spec: ScenarioSpec;
  readonly images: ReadonlyMap<string, Uint8Array>;
  readonly rootfs: RootFsImage | null;
  readonly options: MachineOptions;
}

/** Build a machine from a built-in scenario name, a scenario file's path, or a scenario object. */
export function machine(scenario: string | ScenarioObject, opts: MachineOptions = {}): Machine {
  let raw: Record<string, unknown>;
  let source: string;
  if (typeof scenario === 'string') ({ raw, source } = readScenarioArg(scenario));
  else {
    if (!scenario || typeof scenario !== 'object' || typeof scenario.scenario !== 'string') throw new ScenarioError('scenario object: expected { scenario: NAME, … }');
    raw = scenario;
    source = `scenario ${scenario.scenario}`;
  }
  const spec = resolveScenario(raw, source, {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.cpus !== undefined ? { cpus: opts.cpus } : {}),
    ...(opts.flavour !== undefined ? { flavour: opts.flavour } : {}),
    sets: opts.set ?? [],
    defaultTraceFunctions: 'auto',
  });
  const images = opts.images instanceof Map ? new Map(opts.images) : new Map(Object.entries(opts.images ?? {}));
  return { spec, images, rootfs: rootFsOf(opts.rootfs), options: opts };
}

export interface ProgramOptions extends Omit<MachineOptions, 'images'> {
  /** The program's name in the machine (default `program`). */
  name?: string;
  args?: string[];
  /** The environment (default: l4trace's fixed one, as `l4trace run` gives). */
  env?: string[];
  /** Console input, then end of input. */
  stdin?: string;
  /** More committed guests under /bin (those the program is known to execve come anyway). */
  programs?: string[];
}

/** A machine whose first Linux process (init) runs a static i386 ELF (the `run` scenario, as `l4trace run`). */
export function programMachine(elf: Uint8Array, opts: ProgramOptions = {}): Machine {
  const name = opts.name ?? 'program';
  const { name: _n, args, env, stdin, programs, ...rest } = opts;
  const params = { program: name, args: args ?? [], env: env ?? [...DEFAULT_ENV], ...(stdin !== undefined ? { stdin } : {}), ...(programs ? { programs } : {}) };
  return machine({ scenario: 'run', params }, { ...rest, rootfs: opts.rootfs === undefined ? 'builtin' : opts.rootfs, images: new Map([[name, elf]]) });
}

function rootFsOf(arg: string | null | undefined): RootFsImage | null {
  if (arg === undefined || arg === null) return null;
  return (arg === 'builtin' ? defaultRootFs() : readRootFs(arg)).image;
}

/** What a recorded run ended with. */
export interface Recording {
  /** `ok`, `deadlock`, `hang`, `fault`, `limit` or `fail`. */
  outcome: string;
  /** Why the run stopped, in words. */
  detail: string;
  /** The last cycle of the run. */
  endTime: number;
  events: number;
  /** Decisions on the tape. */
  choices: number;
  metrics: { name: string; value: number; unit: string }[];
  /** The trace file written (record to a file), else null. */
  file: string | null;
  /** The trace's bytes (record to memory), else null. */
  bytes: Uint8Array | null;
  /** Open the recorded trace. */
  open(): Trace;
}

/** Record a machine's run into `out` (written atomically) or, without `out`, into memory. */
export async function record(m: Machine, out?: string): Promise<Recording> {
  const run = start(m, out);
  // Back to the event loop between slices (the machine sees no difference).
  let r: Recording | null;
  while ((r = run.step(SLICE_CYCLES)) === null) await new Promise<void>((resolve) => setImmediate(resolve));
  return r;
}

/** Cycles `record` runs between returns to the event loop. */
const SLICE_CYCLES = 1 << 20;

/** A recording under way, advanced by the caller (the machine cannot tell how it was stepped). */
export interface RecordingRun {
  /** The simulated time reached (cycles of the CPU that runs next). */
  readonly now: number;
  /** Events written so far. */
  readonly events: number;
  /** Run about `cycles` more (at least one scheduling round): the recording once the run has ended, else null. */
  step(cycles: number): Recording | null;
  /** Run to the end. */
  finish(): Recording;
  /** Give up: a file being written is removed; nothing else is left behind. */
  abandon(): void;
}

/** Start recording a machine's run into `out` (written atomically when it ends) or into memory; step it with `step`. */
export function start(m: Machine, out?: string): RecordingRun {
  if (out !== undefined) checkOutputPath(out, { option: 'out' });
  const setup = setupForRecording(m.spec, { images: m.images, rootfs: m.rootfs, ...(m.options.untilCycles !== undefined ? { untilCycles: m.options.untilCycles } : {}) });
  const memory = out === undefined ? new MemorySink() : null;
  const file = out !== undefined ? new FileSink(out, { option: 'out' }) : null;
  const sink: TraceSink = memory ?? file!;
  let session: RecordSession;
  try {
    session = new RecordSession(setup, sink, { entropy: m.options.entropy ?? 'prng', toolVersion: toolVersion(), ...(m.options.console ? { console: m.options.console } : {}) });
  } catch (e) {
    file?.abandon();
    throw e;
  }
  let done: Recording | null = null;
  const guarded = (advance: () => RecordResult | null): Recording | null => {
    if (done) return done;
    try {
      const r = advance();
      if (r) done = recordingOf(r, out, memory);
      return done;
    } catch (e) {
      file?.abandon();
      throw e;
    }
  };
  return {
    get now() {
      return session.kernel.now;
    },
    get events() {
      return session.kernel.recorder.nextSeq;
    },
    step: (cycles) => guarded(() => session.runFor(Math.max(1, Math.floor(cycles)))),
    finish: () => guarded(() => session.run())!,
    abandon: () => {
      if (!done) file?.abandon();
    },
  };
}

function recordingOf(r: RecordResult, out: string | undefined, memory: MemorySink | null): Recording {
  const bytes = memory ? memory.bytes() : null;
  return {
    outcome: r.run.stop.outcome,
    detail: r.run.stop.detail,
    endTime: r.run.endTime,
    events: r.events,
    choices: r.choices,
    metrics: r.run.metrics,
    file: out ?? null,
    bytes,
    open: () => openTrace(bytes ?? out!),
  };
}

// ---------------------------------------------------------------------------------------------------
// Reading traces

/** A field's value: a number, or a name (enums, strings, L4 ids as `task.lthread`). */
export type FieldValue = number | string;

/** One event, decoded with its kind and fields by name. */
export interface Event {
  seq: number;
  /** Cycle time. */
  time: number;
  /** Thread index in the trace (see `Trace.threads`). */
  thread: number;
  kind: KindName;
  /** Payload fields by catalogue name (`SYSCALL_ENTER`: pid, nr, a0, a1, a2); enum values by name. */
  fields: Record<string, FieldValue>;
  /** The raw payload columns, as numbers. */
  args: number[];
}

export interface ThreadInfo {
  index: number;
  name: string;
  /** The L4 id as `task.lthread`. */
  l4Id: string;
  task: number;
  /** The Linux pid (0 when the thread is no Linux process). */
  pid: number;
  cpu: number;
}

export interface EventQuery {
  kinds?: readonly KindName[];
  /** Thread indexes. */
  threads?: readonly number[];
  fromSeq?: number;
  toSeq?: number;
}

/** An open trace: header facts, threads, and its events in global order. Close it when done. */
export interface Trace {
  /** The scenario it recorded (the spec replay rebuilds). */
  readonly scenario: ScenarioSpec;
  readonly threads: readonly ThreadInfo[];
  /** Outcome from the footer (null for a file cut short). */
  readonly outcome: string | null;
  readonly endTime: number | null;
  readonly eventCount: number;
  events(q?: EventQuery): Generator<Event>;
  /** An event as `l4trace dump` prints it. */
  format(e: Event): string;
  close(): void;
  /** The underlying reader (tracer/reader.ts), for what this surface does not cover. */
  readonly reader: TraceReader;
}

const OUTCOMES: Record<number, string> = { 1: 'ok', 2: 'deadlock', 3: 'hang', 4: 'fault', 5: 'limit', 6: 'fail' };

/** Open a trace from a file or from bytes (a damaged file is refused; `salvage` reads what can be believed). */
export function openTrace(source: string | Uint8Array, opts: { salvage?: boolean } = {}): Trace {
  const ro = { salvage: opts.salvage ?? false };
  const name = typeof source === 'string' ? source : 'trace in memory';
  let reader: TraceReader;
  try {
    reader = typeof source === 'string' ? TraceReader.open(source, ro) : TraceReader.fromBytes(source, ro);
  } catch (e) {
    throw named(name, e);
  }
  const names = {
    string: (id: number) => reader.strings[id] ?? '',
    threadName: (i: number) => reader.strings[reader.threads[i]?.name ?? 0] ?? '',
  };
  const threads: ThreadInfo[] = reader.threads.map((t) => ({
    index: t.index,
    name: reader.strings[t.name] ?? '',
    l4Id: formatGid(t.l4Id),
    task: t.task,
    pid: t.linuxPid,
    cpu: t.cpu,
  }));
  const decode = (ev: TraceEvent): Event => {
    const spec = KIND_BY_ID[ev.kind];
    const fields: Record<string, FieldValue> = {};
    spec?.fields.forEach((f, i) => {
      const v = ev.args[i];
      if (v === undefined) return;
      if (f.role === 'str') fields[f.name] = names.string(v);
      else if (f.enumName && ENUMS[f.enumName]?.[v] !== undefined) fields[f.name] = ENUMS[f.enumName]![v]!;
      else if (f.role === 'gid') fields[f.name] = formatGid(v);
      else fields[f.name] = v;
    });
    return { seq: ev.seq, time: ev.time, thread: ev.thread, kind: kindName(ev.kind) as KindName, fields, args: ev.args.slice() };
  };
  return {
    scenario: JSON.parse(reader.header.scenarioJson) as ScenarioSpec,
    threads,
    outcome: reader.footer ? (OUTCOMES[reader.footer.outcome] ?? String(reader.footer.outcome)) : null,
    endTime: reader.footer ? reader.footer.endTime : null,
    eventCount: reader.footer ? reader.footer.events : reader.chunks.reduce((s, c) => s + c.count, 0),
    *events(q: EventQuery = {}): Generator<Event> {
      const filter = {
        ...(q.kinds ? { kinds: new Set(q.kinds.map((k) => kindNumber(k))) } : {}),
        ...(q.threads ? { threads: new Set(q.threads) } : {}),
        ...(q.fromSeq !== undefined ? { fromSeq: q.fromSeq } : {}),
        ...(q.toSeq !== undefined ? { toSeq: q.toSeq } : {}),
      };
      try {
        for (const e of reader.events(filter)) yield decode(e);
      } catch (e) {
        throw named(name, e);
      }
    },
    format: (e: Event) => formatEventLine({ seq: e.seq, time: e.time, thread: e.thread, kind: Kind[e.kind], args: e.args }, names),
    close: () => reader.close(),
    reader,
  };
}

function kindNumber(k: string): number {
  const n = (Kind as Record<string, number>)[k];
  if (n === undefined) throw new UserError(`event kind ${JSON.stringify(k)}: unknown (kinds: ${KIND_NAMES.join(', ')})`);
  return n;
}

function named(name: string, e: unknown): unknown {
  if (e instanceof UserError && !e.message.startsWith(`${name}:`)) e.message = `${name}: ${e.message}`;
  return e;
}

// ---------------------------------------------------------------------------------------------------
// Replay

export interface ReplayOutcome {
  verdict: ReplayVerdict;
  /** True when the replay regenerated the very same trace (verdict `identical`). */
  identical: boolean;
  events: number;
  choices: number;
  /** The first difference, in words (null when none). */
  difference: string | null;
}

/**
 * Re-execute a trace from the file alone (its header, embedded images and decision tape) and compare
 * every event and the final machine state. `untilSeq`/`maxCycles` stop early (verdicts `stopped`, `budget`).
 */
export function replay(source: string | Uint8Array, opts: { untilSeq?: number; maxCycles?: number } = {}): ReplayOutcome {
  const name = typeof source === 'string' ? source : 'trace in memory';
  const t = openTrace(source);
  try {
    const r = replayTrace(t.reader, name, opts);
    const d = r.difference;
    return {
      verdict: r.verdict,
      identical: r.verdict === 'identical',
      events: r.events,
      choices: r.choices,
      difference: d ? `${d.what} at event #${d.seq}${d.detail ? `: ${d.detail}` : ''}` : null,
    };
  } finally {
    t.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Analysis (DuckDB), exports, viewer

export type Row = Record<string, unknown>;

/** A trace loaded into DuckDB (tables as docs/sql-schema.md lists them). Close it when done. */
export interface TraceDb {
  /** One SQL statement (the sandboxed user SQL of `l4trace query`); rows as JSON objects by column name (exact integers as numbers). */
  query(sql: string): Promise<Row[]>;
  /** The DuckDB wrapper underneath (analyze/db.ts). */
  readonly analysis: Analysis;
  close(): void;
}

/** Load a trace (file or bytes) or a kept database into an in-memory DuckDB. */
export async function analyze(source: string | Uint8Array): Promise<TraceDb> {
  return withFile(source, async (file) => dbOf(await Analysis.open(file)));
}

function dbOf(a: Analysis): TraceDb {
  return {
    analysis: a,
    async query(sql: string): Promise<Row[]> {
      return (await a.runUserSql(sql)).rows;
    },
    close: () => a.close(),
  };
}

export type ExportFormat = 'perfetto' | 'chrome-json' | 'parquet';

/** Export a trace for other tools: a Perfetto trace file, Chrome trace-event JSON, or a folder of Parquet files. */
export async function exportTrace(source: string | Uint8Array, format: ExportFormat, out: string): Promise<void> {
  if (!['perfetto', 'chrome-json', 'parquet'].includes(format)) throw new UserError(`export format ${JSON.stringify(format)}: unknown (perfetto, chrome-json, parquet)`);
  checkOutputPath(out, { option: 'out' });
  await withFile(source, async (file) => {
    if (format === 'parquet') {
      const folder = new AtomicPath(out);
      try {
        mkdirSync(folder.temp);
        const a = await Analysis.open(file, { writableDir: folder.temp });
        try {
          await exportParquet(a, folder.temp);
        } finally {
          a.close();
        }
        folder.commit();
      } catch (e) {
        folder.discard();
        throw e;
      }
      return;
    }
    const a = await Analysis.open(file);
    try {
      if (format === 'perfetto') await writeFileAtomic(out, async (write) => void (await exportPerfetto(a, write)), { option: 'out' });
      else await writeFileAtomic(out, async (write) => void (await exportChromeJson(a, write)), { option: 'out' });
    } finally {
      a.close();
    }
  });
}

export interface ViewerOptions {
  /** Time window in cycles. */
  from?: number;
  to?: number;
  /** Only these threads (names or utids). */
  threads?: string[];
}

/** Write the self-contained HTML timeline page of a trace (opens offline). */
export async function writeViewer(source: string | Uint8Array, out: string, opts: ViewerOptions = {}): Promise<{ bytes: number }> {
  checkOutputPath(out, { option: 'out' });
  return withFile(source, async (file) => {
    const a = await Analysis.open(file);
    try {
      const html = await buildViewerPage(a, typeof source === 'string' ? source.split(/[\\/]/).pop()! : 'trace', opts);
      await writeFileAtomic(out, (write) => {
        for (const c of html.chunks) write(c);
      }, { option: 'out' });
      return { bytes: html.bytes };
    } finally {
      a.close();
    }
  });
}

/** DuckDB loads from a path: bytes in memory go through a private temporary file, removed afterwards. */
async function withFile<T>(source: string | Uint8Array, fn: (file: string) => Promise<T>): Promise<T> {
  if (typeof source === 'string') {
    if (!existsSync(source)) throw new UserError(`${source}: no such file`);
    return fn(source);
  }
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-api-'));
  const file = join(dir, 'trace.l4t');
  try {
    writeFileSync(file, source);
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------

let version: string | undefined;
/** The package's version (the header's tool version). */
export function toolVersion(): string {
  if (version) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'l4trace' && pkg.version) return (version = pkg.version);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('l4trace package.json not found');
    dir = up;
  }
}
