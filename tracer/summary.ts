/**
 * What `l4trace info` reports about a trace: computed from the header, the footer and one pass over the
 * chunks (kinds counted per thread). Kept out of the CLI so tests and other commands can use it.
 */
import { formatGid, IPC_SENDING_OPS, Kind, kindName } from './catalogue.js';
import { OUTCOME_NAMES, POLICY_NAMES, THREAD_KIND_NAMES } from './packets.js';
import type { TraceReader, Truncation } from './reader.js';
import { RootEntryKind, type MetricData } from './packets.js';
import { syscallNumber, UNIMPLEMENTED_SYSCALL_METRIC } from './syscall-names.js';

export interface ThreadSummaryInfo {
  index: number;
  name: string;
  task: string;
  gid: string;
  l4Id: number;
  kind: string;
  linuxPid: number;
  policy: string;
  events: number;
  eventsInFile: number;
  eventsLost: number;
  chunks: number;
  chunksLost: number;
}

export interface TraceSummary {
  formatVersion: number;
  toolVersion: string;
  machineVersion: number;
  quirks: string[];
  scenario: string;
  flavour: string;
  seed: number;
  entropy: 'prng' | 'os' | 'tape';
  cpus: number;
  synthetic: boolean;
  filtered: boolean;
  bytes: number;
  /** Events present in the file. */
  events: number;
  /** Events the run emitted, lost ones included (from the footer; equals `events` without one). */
  eventsRecorded: number;
  threads: ThreadSummaryInfo[];
  kinds: Record<string, number>;
  /** IPC operations that sent a message (the rows of the analyzer's ipc table). */
  ipcMessages: number;
  bytesPerEvent: number;
  chunkBytesPerEvent: number;
  losses: { events: number; chunks: number; unmatchedExits: number };
  truncated: false | Truncation;
  outcome: string | null;
  outcomeDetail: string;
  endTime: number | null;
  cyclesPerUs: number;
  choices: number;
  metrics: Record<string, { value: number; unit: string }>;
  hashes: 'ok' | 'mismatch' | 'unchecked';
  /** The root file system the run was given (null: none), and how much of its content the trace embeds. */
  rootfs: RootFsSummary | null;
  /** System calls the run made that Linux lacks (ENOSYS), most called first. */
  unimplementedSyscalls: UnimplementedSyscall[];
}

export interface RootFsSummary {
  entries: number;
  dirs: number;
  files: number;
  symlinks: number;
  /** Files that are hard links of an earlier one. */
  hardLinks: number;
  /** Bytes of distinct file content in the tree. */
  contentBytes: number;
  /** File blobs embedded (the contents the run read), and their bytes. */
  blobs: number;
  blobBytes: number;
}

export interface UnimplementedSyscall {
  name: string;
  /** The i386 call number (null for a name the table lacks). */
  nr: number | null;
  calls: number;
}

function rootfsSummary(reader: TraceReader): RootFsSummary | null {
  const fs = reader.header.rootfs;
  if (!fs) return null;
  const count = (kind: number): number => fs.entries.filter((e) => e.kind === kind).length;
  const content = new Map<string, number>();
  for (const e of fs.entries) if (e.kind === RootEntryKind.FILE) content.set(Buffer.from(e.sha256).toString('hex'), e.size);
  return {
    entries: fs.entries.length,
    dirs: count(RootEntryKind.DIR),
    files: count(RootEntryKind.FILE),
    symlinks: count(RootEntryKind.SYMLINK),
    hardLinks: fs.entries.filter((e) => e.linkTo !== '').length,
    contentBytes: [...content.values()].reduce((a, b) => a + b, 0),
    blobs: reader.blobRefs.length,
    blobBytes: reader.blobBytes,
  };
}

/** The footer's `linux.unimplemented_syscall.<name>` metrics (tracer/syscall-names.ts), most called first. */
export function unimplementedSyscalls(metrics: readonly MetricData[]): UnimplementedSyscall[] {
  return metrics
    .filter((m) => m.name.startsWith(UNIMPLEMENTED_SYSCALL_METRIC))
    .map((m) => {
      const name = m.name.slice(UNIMPLEMENTED_SYSCALL_METRIC.length);
      return { name, nr: syscallNumber(name), calls: m.value };
    })
    .sort((a, b) => b.calls - a.calls || (a.nr ?? Infinity) - (b.nr ?? Infinity) || a.name.localeCompare(b.name));
}

export function summarize(reader: TraceReader): TraceSummary {
  const h = reader.header;
  const f = reader.footer;
  const kindCounts = new Map<number, number>();
  const perThread = new Array<number>(reader.threads.length).fill(0);
  let events = 0;
  let ipcMessages = 0;
  for (const chunk of reader.decodedChunks()) {
    events += chunk.count;
    perThread[chunk.thread] = (perThread[chunk.thread] ?? 0) + chunk.count;
    const k = chunk.kinds;
    for (let i = 0; i < k.length; i++) {
      kindCounts.set(k[i]!, (kindCounts.get(k[i]!) ?? 0) + 1);
      if (k[i] === Kind.IPC && IPC_SENDING_OPS.has(chunk.args[chunk.argStart[i]!]!)) ipcMessages++;
    }
  }
  const kinds: Record<string, number> = {};
  for (const id of [...kindCounts.keys()].sort((a, b) => a - b)) kinds[kindName(id)] = kindCounts.get(id)!;

  const threads = reader.threads.map((t): ThreadSummaryInfo => {
    const s = f?.threads.find((x) => x.thread === t.index);
    return {
      index: t.index,
      name: reader.string(t.name),
      task: reader.string(t.taskName),
      gid: formatGid(t.l4Id),
      l4Id: t.l4Id,
      kind: THREAD_KIND_NAMES[t.kind] ?? String(t.kind),
      linuxPid: t.linuxPid,
      policy: POLICY_NAMES[t.policy] ?? String(t.policy),
      events: s ? s.events : perThread[t.index]!,
      eventsInFile: perThread[t.index]!,
      eventsLost: s?.eventsLost ?? 0,
      chunks: s ? s.chunks : reader.chunksOf(t.index).length,
      chunksLost: s?.chunksLost ?? 0,
    };
  });
  const verdicts = reader.verifyHashes();
  const hashes = verdicts.some((v) => v.status === 'mismatch') ? 'mismatch' : verdicts.length && verdicts.every((v) => v.status === 'ok') ? 'ok' : 'unchecked';
  const metrics: TraceSummary['metrics'] = {};
  for (const m of f?.metrics ?? []) metrics[m.name] = { value: m.value, unit: m.unit };
  return {
    formatVersion: h.formatVersion,
    toolVersion: h.toolVersion,
    machineVersion: h.machineVersion,
    quirks: h.quirks,
    scenario: h.scenarioName,
    flavour: h.flavour,
    seed: h.seed,
    entropy: h.entropy === 1 ? 'os' : h.entropy === 2 ? 'tape' : 'prng',
    cpus: h.cpus,
    synthetic: h.synthetic,
    filtered: h.filterRules !== '',
    bytes: reader.size,
    events,
    eventsRecorded: f ? f.events : events,
    threads,
    kinds,
    ipcMessages,
    bytesPerEvent: events ? reader.size / events : 0,
    chunkBytesPerEvent: events ? reader.chunkBytes / events : 0,
    losses: {
      events: f?.eventsLost ?? 0,
      chunks: f ? f.threads.reduce((a, t) => a + t.chunksLost, 0) : 0,
      unmatchedExits: f ? f.threads.reduce((a, t) => a + t.unmatchedExits, 0) : 0,
    },
    truncated: reader.truncated ?? false,
    outcome: f ? (OUTCOME_NAMES[f.outcome] ?? String(f.outcome)) : null,
    outcomeDetail: f?.outcomeDetail ?? '',
    endTime: f ? f.endTime : null,
    cyclesPerUs: h.cyclesPerUs,
    choices: f ? f.choices : reader.tape().sites.length, // no footer: count what the tape packets hold
    metrics,
    hashes,
    rootfs: rootfsSummary(reader),
    unimplementedSyscalls: unimplementedSyscalls(f?.metrics ?? []),
  };
}
