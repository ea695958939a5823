/**
 * The integrity acceptance test (issue 12, must-show 1): damaged copies of every golden trace are never
 * believed. Over every trace in traces/ (the manifest's recipes, which must be the folder's .l4t files):
 *
 * - at least 10,000 single-byte flips (seeded; each at a random offset, half of them after the header,
 *   XORed with a random non-zero value) and at least 1,000 structural damages: truncations at random
 *   offsets and at packet boundaries, the removal of every event-chunk packet, the swap of every pair of
 *   adjacent packets (packet boundaries from the intact file's `packetRefs`);
 * - every copy: a changed one is refused at open with a TraceFormatError (a UserError) naming the damaged
 *   (or out-of-place) packet and its byte offset; a truncated one is refused only when cut inside its
 *   header (saying so), else opens as cut (never complete, never damaged) and replays as `cut`, never
 *   `identical`; opened with `{salvage: true}`, it and what commands do with it (events(), tape(),
 *   summarize(), score, filter's rewrite) throw nothing but TraceFormatError: no host RangeError or
 *   TypeError, which the CLI would print as "internal error";
 * - cut copies of a filtered trace, intact and with one event changed;
 * - a sample of copies through the real command line (info, dump, replay, query, report, score, filter,
 *   export, view; and with --salvage): exit codes, one-line messages naming the packet, never "internal
 *   error" nor a stack trace;
 * - the counts are printed (console.log, at the end).
 *
 * The command-line part needs the build (`npm run build`).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceFormatError, UserError } from '../../tracer/errors.js';
import { Kind } from '../../tracer/catalogue.js';
import { MAGIC, PacketField } from '../../tracer/format.js';
import { fieldName, TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { summarize } from '../../tracer/summary.js';
import { scoreTrace } from '../../analyze/score.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { FilterRulesSchema } from '../../tracer/filter/rules.js';
import { MemorySink } from '../../tracer/sink.js';
import { replayTrace } from '../../replay/replay.js';
import { buildReport } from '../../replay/report.js';
import { GOLDEN_DIR, readManifest } from '../support/golden.js';
import { runCli, tempDir, type CliResult } from '../support/cli.js';
import { TestRng } from '../support/random-stream.js';

const FLIPS = 10_000;
const STRUCTURAL = 1_000;
/** Truncations per golden trace at random offsets, and at random packet boundaries. */
const RANDOM_CUTS = 16;
const BOUNDARY_CUTS = 2;

type DamageKind = 'flip' | 'truncate' | 'remove-chunk' | 'swap';

interface Golden {
  name: string;
  bytes: Uint8Array;
  reader: TraceReader;
  /** Byte ranges of the packets of the intact file: [start, end) per packet, in file order. */
  spans: { start: number; end: number; index: number; field: number }[];
  /** Where the header packet ends (the first byte of packet #1). */
  headerEnd: number;
}

/** A damaged copy: how it was made, and the packet a reader should blame for it. */
interface Copy {
  kind: DamageKind;
  golden: Golden;
  what: string;
  bytes: Uint8Array;
  /** The packet the damage lies in (flips), or the packet found out of place (removal, swap). */
  blame?: { packet: number; offset: number };
  /** Truncation: the length kept. */
  cutAt?: number;
}

// -------------------------------------------------------------------------------------------------
// Counters, printed at the end

const counts = {
  copies: new Map<string, number>(),
  refused: new Map<string, number>(),
  openedAsCut: new Map<string, number>(),
  replay: new Map<string, number>(),
  salvage: new Map<string, number>(),
  flipsIn: new Map<string, number>(),
  cli: new Map<string, number>(),
};
function bump(m: Map<string, number>, key: string, n = 1): void {
  m.set(key, (m.get(key) ?? 0) + n);
}
function show(m: Map<string, number>): string {
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ') || '(none)';
}

// -------------------------------------------------------------------------------------------------
// The golden traces

function goldenNames(): string[] {
  return Object.keys(readManifest().recipes).sort();
}

function loadGolden(name: string): Golden {
  const bytes = new Uint8Array(readFileSync(join(GOLDEN_DIR, name)));
  const reader = TraceReader.fromBytes(bytes);
  const refs = reader.packetRefs;
  const spans = refs.map((r, i) => ({ start: r.offset, end: i + 1 < refs.length ? refs[i + 1]!.offset : bytes.length, index: r.index, field: r.field }));
  return { name, bytes, reader, spans, headerEnd: refs[1]!.offset };
}

/** The packet of the intact file that holds byte `off` (undefined for the magic line). */
function spanAt(g: Golden, off: number): Golden['spans'][number] | undefined {
  let lo = 0;
  let hi = g.spans.length - 1;
  if (off < g.spans[0]!.start) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.spans[mid]!.start <= off) lo = mid;
    else hi = mid - 1;
  }
  return g.spans[lo];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// The checks every copy gets

const LOCATED = /packet #\d+|at byte \d+/;

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}${e instanceof TraceFormatError ? '' : `\n${e.stack}`}` : String(e);
}

/** Whether a reader error names the packet a copy's damage is in (or its frame's offset). */
function blames(e: TraceFormatError, c: Copy): boolean {
  if (!c.blame) return true;
  return e.packet === c.blame.packet || e.offset === c.blame.offset || (c.blame.offset < MAGIC.length && e.code === 'BAD_MAGIC');
}

/**
 * Run `fn` on a salvaging reader's data; anything thrown must be a TraceFormatError. Returns whether it
 * completed.
 */
function salvageStep(c: Copy, step: string, fn: () => void): boolean {
  try {
    fn();
    bump(counts.salvage, `${step} ok`);
    return true;
  } catch (e) {
    if (!(e instanceof TraceFormatError)) {
      expect.fail(`${c.golden.name}, ${c.what}: salvage ${step} threw ${describeError(e)}`);
    }
    bump(counts.salvage, `${step} refused ${e.code}`);
    if (step === 'open') {
      // A salvaging open gives up only when the header cannot be believed: it says which packet is damaged.
      expect(e.message, `${c.golden.name}, ${c.what}`).toMatch(LOCATED);
      expect(blames(e, c), `${c.golden.name}, ${c.what}: salvage: ${e.message} (expected packet #${c.blame?.packet} at byte ${c.blame?.offset})`).toBe(true);
    }
    return false;
  }
}

/**
 * What a salvaging reader kept of each damaged copy already read in full, per golden trace: a copy whose
 * salvage drops exactly the same packets for the same reasons keeps the very same bytes (every other
 * packet is the intact file's), so reading it again would repeat the same work. Most flips land in a
 * packet that is then dropped whole; this keeps 10,000 of them affordable.
 */
const salvaged = new Map<Golden, Set<string>>();

/** Opening with salvage and reading everything a command might: only TraceFormatError may escape. */
function checkSalvage(c: Copy): void {
  let r: TraceReader | undefined;
  if (!salvageStep(c, 'open', () => void (r = TraceReader.fromBytes(c.bytes, { salvage: true })))) return;
  const reader = r!;
  const key = JSON.stringify([reader.damage, reader.truncated ?? null, c.bytes.length]);
  const seen = salvaged.get(c.golden) ?? new Set<string>();
  salvaged.set(c.golden, seen);
  const repeat = c.kind === 'flip' && seen.has(key);
  seen.add(key);
  if (c.kind === 'truncate') {
    // A cut is not damage: the salvaging reader sees the same cut file.
    expect(reader.damage, `${c.golden.name}, ${c.what}`).toEqual([]);
    expect(reader.truncated, `${c.golden.name}, ${c.what}`).toBeDefined();
  } else {
    // Whatever a salvaging reader keeps, it never passes a changed file off as intact and complete.
    expect(reader.damage.length > 0 || reader.truncated !== undefined, `${c.golden.name}, ${c.what}: salvage found nothing wrong`).toBe(true);
    for (const d of reader.damage) expect(d.packet !== undefined || d.offset !== undefined, `${c.golden.name}, ${c.what}: damage without a location: ${d.reason}`).toBe(true);
  }
  if (repeat) {
    bump(counts.salvage, 'read (same packets kept as an earlier copy)');
    return;
  }
  salvageStep(c, 'events', () => {
    for (const _ of reader.events()) {
      // read every event in global order
    }
  });
  salvageStep(c, 'tape', () => void reader.tape());
  salvageStep(c, 'summarize', () => void summarize(reader));
  // What score --salvage and filter --salvage do with it.
  salvageStep(c, 'score', () => void scoreTrace(reader));
  salvageStep(c, 'rewrite', () => void rewriteTrace(reader, new MemorySink(), { filter: DROP_SWITCHES }));
}

const DROP_SWITCHES = FilterRulesSchema.parse({ dropKinds: ['CONTEXT_SWITCH'] });

/**
 * The plain open (what replay and every command do without --salvage). Returns the reader when the copy
 * opens: only a truncated copy may, and only as a cut file.
 */
function checkOpen(c: Copy): TraceReader | undefined {
  const where = `${c.golden.name}, ${c.what}`;
  let reader: TraceReader;
  try {
    reader = TraceReader.fromBytes(c.bytes);
  } catch (e) {
    if (!(e instanceof TraceFormatError)) expect.fail(`${where}: open threw ${describeError(e)}`);
    expect(e).toBeInstanceOf(UserError);
    bump(counts.refused, `${c.kind} ${e.code}`);
    if (c.kind === 'truncate') {
      // Only a cut inside the magic line or the header packet stops the open, and the message says so.
      expect(c.cutAt!, where).toBeLessThan(c.golden.headerEnd);
      if (c.cutAt! < MAGIC.length) expect(e.code, where).toBe('BAD_MAGIC');
      else if (c.cutAt! === MAGIC.length) expect([e.code, e.message], where).toEqual(['NO_HEADER', expect.stringMatching(LOCATED)]);
      else expect([e.code, e.message], where).toEqual(['NO_HEADER', expect.stringMatching(/cut inside its header packet/)]);
      return undefined;
    }
    expect(e.message, where).toMatch(LOCATED);
    // The damage is located: the error names the damaged (or out-of-place) packet, or its frame's offset.
    expect(blames(e, c), `${where}: ${e.message} (expected packet #${c.blame?.packet} at byte ${c.blame?.offset})`).toBe(true);
    return undefined;
  }
  // A copy that opens must be a cut file; a changed one never opens.
  expect(c.kind, `${where}: opened without error (${reader.truncated ? `as cut: ${reader.truncated.reason}` : 'as complete'})`).toBe('truncate');
  expect(reader.truncated, where).toBeDefined();
  expect(reader.footer, where).toBeUndefined();
  expect(reader.intact, where).toBe(true);
  bump(counts.openedAsCut, c.kind);
  return reader;
}

/** Replay a copy that opened (a cut file): the prefix is verified, never "identical". */
function checkReplay(c: Copy, reader: TraceReader): void {
  const where = `${c.golden.name}, ${c.what}`;
  let result: ReturnType<typeof replayTrace>;
  try {
    result = replayTrace(reader, c.golden.name);
  } catch (e) {
    // A root file system's contents come last, before the footer (FileBlob packets): a trace cut
    // before them cannot start a first program taken from that file system. It says so, in one line.
    if (c.kind === 'truncate' && e instanceof UserError && reader.header.rootfs) {
      expect(e.message, where).toMatch(/not in the trace \(a trace cut short before its file blobs/);
      bump(counts.replay, 'refused: rootfs contents cut off');
      return;
    }
    expect.fail(`${where}: replay threw ${describeError(e)}`);
  }
  bump(counts.replay, result.verdict);
  // Never identical; and a pure truncation of an intact file is exactly the prefix the run writes ...
  expect(['cut', 'diverged'], `${where}: verdict ${result.verdict}`).toContain(result.verdict);
  // ... except where the cut took root file system contents, which come last (before the footer): the
  // replay then reads no bytes for those files (EIO) and diverges at the first such read (docs/rootfs.md).
  if (c.kind === 'truncate' && reader.header.rootfs && result.verdict === 'diverged') return;
  expect(result.verdict, `${where}: ${result.difference?.what}: ${result.difference?.detail}`).toBe('cut');
  expect(result.cut, where).not.toBeNull();
  expect(result.cut!.packets, where).toBe(reader.packets);
  if (result.verdict === 'diverged') expect(buildReport(reader, c.golden.name, result), where).not.toBeNull();
}

function checkCopy(c: Copy, replay: boolean): void {
  bump(counts.copies, c.kind);
  const reader = checkOpen(c);
  if (reader && replay) checkReplay(c, reader);
  checkSalvage(c);
}

// -------------------------------------------------------------------------------------------------
// Making the damaged copies

/** Flip one byte (XOR with a non-zero value) of `bytes`, by default the golden trace's own in place. */
function flipCopy(g: Golden, off: number, x: number, bytes = g.bytes): Copy {
  const span = spanAt(g, off);
  bytes[off]! ^= x;
  const where = span ? `packet #${span.index} (${fieldName(span.field)})` : 'the magic line';
  return {
    kind: 'flip',
    golden: g,
    what: `byte ${off} ^= 0x${x.toString(16)} (in ${where})`,
    bytes,
    blame: span ? { packet: span.index, offset: span.start } : { packet: -1, offset: 0 },
  };
}

function truncateCopy(g: Golden, len: number, how: string): Copy {
  return { kind: 'truncate', golden: g, what: `truncated to ${len} bytes (${how})`, bytes: g.bytes.subarray(0, len), cutAt: len };
}

function removeCopy(g: Golden, i: number): Copy {
  const s = g.spans[i]!;
  // The next packet is then found where the removed one was, with an index one too high.
  return {
    kind: 'remove-chunk',
    golden: g,
    what: `event chunk packet #${s.index} (bytes ${s.start}..${s.end - 1}) removed`,
    bytes: concat([g.bytes.subarray(0, s.start), g.bytes.subarray(s.end)]),
    blame: { packet: s.index + 1, offset: s.start },
  };
}

function swapCopy(g: Golden, i: number): Copy {
  const a = g.spans[i]!;
  const b = g.spans[i + 1]!;
  // Packet #i+1 now comes first, at packet #i's offset.
  return {
    kind: 'swap',
    golden: g,
    what: `packets #${a.index} (${fieldName(a.field)}) and #${b.index} (${fieldName(b.field)}) swapped`,
    bytes: concat([g.bytes.subarray(0, a.start), g.bytes.subarray(b.start, b.end), g.bytes.subarray(a.start, a.end), g.bytes.subarray(b.end)]),
    blame: { packet: b.index, offset: a.start },
  };
}

/** The structural damages of one golden trace: random and boundary cuts, every chunk removal, every adjacent swap. */
function structuralCopies(g: Golden, rng: TestRng): Copy[] {
  const out: Copy[] = [];
  const size = g.bytes.length;
  for (let i = 0; i < RANDOM_CUTS; i++) {
    // A quarter anywhere in the file (most of those land in the big headers with embedded images), the
    // rest after the header, where a cut file opens and replays.
    const len = i % 4 === 0 ? 1 + rng.below(size - 1) : g.headerEnd + rng.below(size - g.headerEnd);
    out.push(truncateCopy(g, len, i % 4 === 0 ? 'random offset' : 'random offset after the header'));
  }
  for (let i = 0; i < BOUNDARY_CUTS; i++) out.push(truncateCopy(g, g.spans[1 + rng.below(g.spans.length - 1)]!.start, 'at a packet boundary'));
  g.spans.forEach((s, i) => {
    if (s.field === PacketField.chunk) out.push(removeCopy(g, i));
  });
  for (let i = 0; i + 1 < g.spans.length; i++) out.push(swapCopy(g, i));
  return out;
}

/**
 * One copy of a kind for the command line, made like the others (seeded by `n`): a flip after the header
 * (one in the header is refused the same way each time), a cut after the header (one inside it is
 * refused like a damaged file), a chunk removal or a swap spread over the file.
 */
function sampleCopy(kind: DamageKind, g: Golden, n: number): Copy {
  const rng = new TestRng(0x12_0003 + 101 * n);
  const size = g.bytes.length;
  switch (kind) {
    case 'flip': {
      const off = g.headerEnd + rng.below(size - g.headerEnd);
      const copy = g.bytes.slice();
      return flipCopy(g, off, 1 + rng.below(255), copy);
    }
    case 'truncate':
      return truncateCopy(g, g.headerEnd + 1 + rng.below(size - g.headerEnd - 1), 'random offset after the header');
    case 'remove-chunk': {
      const chunks = g.spans.flatMap((s, i) => (s.field === PacketField.chunk ? [i] : []));
      return removeCopy(g, chunks[rng.below(chunks.length)]!);
    }
    case 'swap':
      return swapCopy(g, rng.below(g.spans.length - 1));
  }
}

// -------------------------------------------------------------------------------------------------
// The command line

const DIST_MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface CliCommand {
  name: string;
  /** The command's arguments for the trace at `path`; outputs go to `out` plus an extension. */
  args: (path: string, out: string) => string[];
}

/** Every command that reads a trace (info always salvages: it shows what can be believed and fails). */
const PLAIN: CliCommand[] = [
  { name: 'info', args: (p) => ['info', p] },
  { name: 'dump', args: (p) => ['dump', p] },
  { name: 'replay', args: (p) => ['replay', p] },
  { name: 'query', args: (p) => ['query', p, 'select count(*) from slice'] },
  { name: 'report', args: (p) => ['report', p] },
  { name: 'score', args: (p) => ['score', p] },
  { name: 'filter', args: (p, o) => ['filter', p, '--drop-kind', 'CONTEXT_SWITCH', '-o', `${o}.l4t`] },
  { name: 'export', args: (p, o) => ['export', p, '--format', 'chrome-json', '-o', `${o}.json`] },
  { name: 'view', args: (p, o) => ['view', p, '-o', `${o}.html`] },
];
/** The commands that take --salvage. */
const SALVAGE = PLAIN.filter((c) => !['info', 'replay'].includes(c.name));

/**
 * One command on one copy. Never "internal error" nor a stack trace; every stderr line is one of
 * l4trace's own. A damaged copy is refused (exit 1) with a message naming the damaged packet; a cut one
 * is read as far as it goes (replay: exit 3, its prefix verified); with --salvage a command may succeed
 * (listing the damage) or fail with one line.
 */
function checkCli(c: Copy, command: string, r: CliResult, salvage: boolean): void {
  const where = `l4trace ${command} on ${c.golden.name}, ${c.what} (exit ${r.code})\n--- stderr:\n${r.stderr}`;
  bump(counts.cli, `${command} exit ${r.code}`);
  expect(r.stderr, where).not.toMatch(/internal error/i);
  expect(r.stderr, where).not.toMatch(/^\s+at /m);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  for (const l of lines) expect(l, where).toMatch(/^l4trace: /);
  const blamed = c.blame ? new RegExp(`packet #${c.blame.packet}\\b|at byte ${c.blame.offset}\\b`) : LOCATED;
  const alreadyFiltered = command.startsWith('filter') && c.golden.reader.header.filterRules !== '';
  if (salvage) {
    expect([0, 1], where).toContain(r.code);
    if (r.code === 0) expect(r.stderr, `${where}: a salvaged run must list the damage`).toMatch(/damaged \(/);
    if (r.code === 0 || !alreadyFiltered) expect(r.stderr, where).toMatch(blamed);
    return;
  }
  if (c.kind !== 'truncate') {
    // Refused, naming the packet (info lists the damage, names the first problem on stderr and fails).
    expect(r.code, where).toBe(1);
    expect(r.stderr, where).toMatch(blamed);
    if (command === 'info') {
      if (!/NO_HEADER|header packet is damaged/.test(r.stderr)) expect(r.stdout, where).toMatch(/DAMAGED \(\d+ problem/);
    } else {
      expect(lines, where).toHaveLength(1);
    }
    return;
  }
  // A cut file is not damaged: it reads up to its last whole packet and says so where the command has a
  // place for it; replay verifies the prefix and exits 3.
  if (command === 'replay') {
    // As in checkReplay: a cut before the root file system's contents (they come last) cannot start a
    // first program taken from them, and says so in one line.
    if (r.code === 1 && c.golden.reader.header.rootfs && /not in the trace \(a trace cut short before its file blobs/.test(r.stderr)) {
      expect(lines, where).toHaveLength(1);
      return;
    }
    expect(r.code, where).toBe(3);
    expect(r.stdout, where).toMatch(/cut short (after event #\d+|before its first event): the prefix is identical/);
    expect(r.stdout, where).not.toMatch(/: identical \(|final state equal/);
  } else if (alreadyFiltered) {
    expect(r.code, where).toBe(1);
    expect(r.stderr, where).toMatch(/already filtered/);
  } else {
    expect(r.code, where).toBe(0);
    if (command === 'info') expect(r.stdout, where).toMatch(/CUT SHORT[\s\S]*truncated {2}at byte [\d,]+/);
    if (command === 'dump') expect(r.stdout, where).toMatch(/# trace cut short at byte \d+/);
  }
}

/** filter --salvage wrote a reduced trace of what could be believed: its replay must not pass as identical. */
function checkFilteredSalvage(c: Copy, out: string): void {
  const reader = TraceReader.open(out);
  try {
    // A filtered copy of a damaged trace has no footer: it reads as cut short, never as a complete run.
    bump(counts.cli, `filter --salvage output reads as ${reader.intact && !reader.truncated ? 'intact and complete' : 'damaged or cut'}`);
    expect(reader.truncated, `${c.golden.name}, ${c.what}: filter --salvage output reads as complete`).toBeDefined();
    const result = replayTrace(reader, out);
    bump(counts.cli, `filter --salvage output replays ${result.verdict}`);
    expect(result.verdict, `${c.golden.name}, ${c.what}: filter --salvage output`).not.toBe('identical');
  } finally {
    reader.close();
  }
}

// -------------------------------------------------------------------------------------------------

describe('damaged copies of every golden trace are never believed (issue 12)', () => {
  const names = goldenNames();
  let goldens: Golden[] = [];

  beforeAll(() => {
    goldens = names.map(loadGolden);
  });

  afterAll(() => {
    const lines = [
      'corruption acceptance counts:',
      `  copies per damage kind     ${show(counts.copies)}`,
      `  flips landed in            ${show(counts.flipsIn)}`,
      `  refused at open, per code  ${show(counts.refused)}`,
      `  opened as cut files        ${show(counts.openedAsCut)}`,
      `  replays of cut copies      ${show(counts.replay)}; identical: ${counts.replay.get('identical') ?? 0}`,
      `  salvage                    ${show(counts.salvage)}`,
      `  command line               ${show(counts.cli)}`,
    ];
    console.log(lines.join('\n'));
  });

  it('the golden traces are every .l4t in traces/, each intact and complete', () => {
    const onDisk = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.l4t')).sort();
    expect(names).toEqual(onDisk);
    expect(names.length).toBeGreaterThan(10);
    for (const g of goldens) {
      expect(g.reader.intact, g.name).toBe(true);
      expect(g.reader.truncated, g.name).toBeUndefined();
      expect(g.reader.footer, g.name).toBeDefined();
      expect(g.spans.at(-1)!.end).toBe(g.bytes.length);
    }
  });

  it(`${FLIPS.toLocaleString('en-US')}+ single-byte flips: each copy is refused at open, naming the damaged packet; salvage never crashes`, () => {
    const rng = new TestRng(0x12_0001);
    const perTrace = Math.ceil(FLIPS / goldens.length);
    let flips = 0;
    for (const g of goldens) {
      const original = g.bytes.slice();
      for (let i = 0; i < perTrace; i++) {
        // Half anywhere in the file, half after the header (the headers, with their embedded guest
        // images, are most of some files).
        const off = i % 2 === 0 ? rng.below(g.bytes.length) : g.headerEnd + rng.below(g.bytes.length - g.headerEnd);
        const x = 1 + rng.below(255);
        const c = flipCopy(g, off, x);
        const span = spanAt(g, off);
        bump(counts.flipsIn, !span ? 'magic line' : span.index === 0 ? 'header' : fieldName(span.field));
        try {
          checkCopy(c, false);
        } finally {
          g.bytes[off] = original[off]!;
        }
        flips++;
      }
      expect(Buffer.from(g.bytes).equals(Buffer.from(original))).toBe(true);
    }
    expect(flips).toBeGreaterThanOrEqual(FLIPS);
  }, 240_000);

  it(`${STRUCTURAL.toLocaleString('en-US')}+ structural damages: truncations open as cut and replay as cut, never identical; removed and swapped packets are refused`, () => {
    const rng = new TestRng(0x12_0002);
    let made = 0;
    for (const g of goldens) {
      const copies = structuralCopies(g, rng);
      for (const c of copies) checkCopy(c, true);
      made += copies.length;
    }
    expect(made).toBeGreaterThanOrEqual(STRUCTURAL);
    expect(counts.replay.get('identical') ?? 0).toBe(0);
    expect(counts.replay.get('cut') ?? 0).toBeGreaterThan(100);
  }, 240_000);
  it('cut copies of a filtered trace replay as cut at every packet boundary, and as diverged once a changed event is in the prefix', () => {
    // A filtered trace is written by rewriting (l4trace filter): its packets are not the run's, so replay
    // verifies a cut copy by content. (Found by this test: truncations of rec-O2-no-funcs.l4t replayed as
    // "diverged", and the tape of a rewritten file came after the chunks that needed it.)
    const g = goldens.find((x) => x.name === 'table2-l4env.l4t')!;
    const rewrite = (transform?: (e: TraceEvent) => TraceEvent): Uint8Array => {
      const sink = new MemorySink();
      rewriteTrace(TraceReader.fromBytes(g.bytes), sink, { filter: DROP_SWITCHES, ...(transform ? { transform } : {}) });
      return sink.bytes();
    };
    const filtered = rewrite();
    const reader = TraceReader.fromBytes(filtered);
    expect(replayTrace(reader, 'filtered.l4t').verdict).toBe('identical');
    const calls = [...reader.events({ kinds: new Set([Kind.SYSCALL_ENTER]) })];
    const victim = calls[Math.floor(calls.length / 2)]!;
    const changed = rewrite((e) => (e.seq === victim.seq ? { ...e, args: [e.args[0]!, e.args[1]! + 1, ...e.args.slice(2)] } : e));
    const changedReader = TraceReader.fromBytes(changed);
    const victimChunk = changedReader.chunksOf(victim.thread).filter((c) => c.firstSeq <= victim.seq).at(-1)!;
    const verdicts = new Map<string, number>();
    for (let i = 1; i < reader.packetRefs.length; i++) {
      const cut = replayTrace(TraceReader.fromBytes(filtered.subarray(0, reader.packetRefs[i]!.offset)), 'cut.l4t');
      expect(cut.verdict, `filtered, cut before packet #${i}: ${cut.difference?.what}: ${cut.difference?.detail}`).toBe('cut');
      const bad = replayTrace(TraceReader.fromBytes(changed.subarray(0, changedReader.packetRefs[i]!.offset)), 'cut.l4t');
      const holdsChange = victimChunk.index < i;
      expect(bad.verdict, `changed, cut before packet #${i}: ${bad.difference?.what}: ${bad.difference?.detail}`).toBe(holdsChange ? 'diverged' : 'cut');
      if (holdsChange) expect(bad.difference!.seq).toBe(victim.seq);
      verdicts.set(`${holdsChange ? 'changed' : 'intact'} prefix ${bad.verdict}`, (verdicts.get(`${holdsChange ? 'changed' : 'intact'} prefix ${bad.verdict}`) ?? 0) + 1);
    }
    expect(verdicts.get('changed prefix diverged')).toBeGreaterThan(3);
    expect(verdicts.get('intact prefix cut')).toBeGreaterThan(3);
  });

  it('a sample of the copies through the command line: refused with one line naming the packet, never "internal error"; --salvage neither', () => {
    expect(existsSync(DIST_MAIN), 'the CLI is not built: run `npm run build` first').toBe(true);
    const dir = tempDir('l4trace-corruption-');
    const kinds: DamageKind[] = ['flip', 'remove-chunk', 'swap', 'truncate'];
    let calls = 0;
    kinds.forEach((kind, k) => {
      for (let j = 0; j < PLAIN.length; j++) {
        // Nine copies of each kind from nine traces (shifted per kind); each runs one of the nine commands,
        // and a damaged one also one --salvage command, so every kind meets every command.
        const g = goldens[(Math.floor((j * goldens.length) / PLAIN.length) + 3 * k) % goldens.length]!;
        const c = sampleCopy(kind, g, j);
        const path = join(dir, `${kind}-${j}-${g.name}`);
        writeFileSync(path, c.bytes);
        const plain = PLAIN[j]!;
        checkCli(c, plain.name, runCli(plain.args(path, join(dir, `out-${kind}-${j}`))), false);
        calls++;
        if (kind === 'truncate') continue;
        const salvage = SALVAGE[(j + k) % SALVAGE.length]!;
        const out = join(dir, `salvaged-${kind}-${j}`);
        const r = runCli([...salvage.args(path, out), '--salvage']);
        checkCli(c, `${salvage.name} --salvage`, r, true);
        if (salvage.name === 'filter' && r.code === 0) checkFilteredSalvage(c, `${out}.l4t`);
        calls++;
      }
    });
    expect(calls).toBeGreaterThanOrEqual(60);
  }, 300_000);
});
