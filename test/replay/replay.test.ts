import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kind, KIND_BY_ID } from '../../tracer/catalogue.js';
import { TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { replayTrace } from '../../replay/replay.js';
import { buildReport } from '../../replay/report.js';
import { rewriteTrace, type RewriteOptions } from '../../tracer/filter/rewrite.js';
import { IncompatibleTrace, MACHINE_VERSION } from '../../src/session/versions.js';
import { recordInMemory } from '../support/record.js';
import { runCli, tempDir } from '../support/cli.js';

function replayBytes(bytes: Uint8Array, name = 'trace') {
  const reader = TraceReader.fromBytes(bytes);
  return { reader, result: replayTrace(reader, name) };
}

function rewritten(bytes: Uint8Array, opts: RewriteOptions): Uint8Array {
  const sink = new MemorySink();
  rewriteTrace(TraceReader.fromBytes(bytes), sink, opts);
  return sink.bytes();
}

const SMALL: [string, string[]][] = [
  ['pingpong', ['rounds=50', 'warmup=2', 'compare=[]']],
  ['irq', ['hits=30']],
  ['clients-server', ['calls=5']],
  ['run', ['program=hello', 'args=["a"]']],
  ['signal-race', []],
  ['shell', []],
  ['table2', ['getpids=50', 'forks=2', 'personality=native']],
  ['maxcpus-deadlock', ['forks=4', 'maxcpus=1']],
];

describe('replay regenerates every event and the final state', () => {
  for (const [scenario, sets] of SMALL) {
    it(`${scenario} replays as identical`, () => {
      const r = recordInMemory(scenario, { sets, seed: 1 });
      const { result } = replayBytes(r.bytes);
      expect(result.difference).toBeNull();
      expect(result.verdict).toBe('identical');
    });
  }

  it('a trace recorded with --entropy os replays from its tape alone', () => {
    const r = recordInMemory('clients-server', { sets: ['calls=5'] }, 'os');
    expect(r.reader().header.entropy).toBe(1);
    expect(replayBytes(r.bytes).result.verdict).toBe('identical');
  });

  for (const policy of ['overwrite', 'discard']) {
    it(`a trace with ${policy} buffers (chunks lost) replays as identical`, () => {
      const r = recordInMemory('shell', { sets: [`trace.policy=${policy}`, 'trace.capacityChunks=2', 'trace.chunkEvents=32'] });
      expect(r.reader().footer!.eventsLost).toBeGreaterThan(0);
      expect(replayBytes(r.bytes).result.verdict).toBe('identical');
    });
  }

  it('a filtered trace replays as identical: the rules apply to what replay regenerates', () => {
    const r = recordInMemory('run', { sets: ['program=rec-O2'] });
    const filtered = rewritten(r.bytes, { filter: { dropKinds: ['CONTEXT_SWITCH'], excludeFunctions: ['fib', 'ack*'], threads: [0, 1, 2, 3, 6] } });
    const reader = TraceReader.fromBytes(filtered);
    expect(reader.header.filterRules).toContain('excludeFunctions');
    const kept = [...reader.events()].length;
    expect(kept).toBeLessThan(r.reader().footer!.events);
    expect(replayTrace(reader, 'filtered').verdict).toBe('identical');
  });
});

/** A mid-run event with a plain numeric field to flip. */
function victim(bytes: Uint8Array, kind: number): TraceEvent {
  const events = [...TraceReader.fromBytes(bytes).events()].filter((e) => e.kind === kind && e.args.length > 0);
  return events[Math.floor(events.length / 2)]!;
}

describe('divergence reports', () => {
  const base = recordInMemory('shell', {});

  it('flipping one payload field of one event: replay reports exactly that event first, expected vs actual', () => {
    const ev = victim(base.bytes, Kind.SYSCALL_ENTER);
    const bad = rewritten(base.bytes, { transform: (e) => (e.seq === ev.seq ? { ...e, args: [e.args[0]!, e.args[1]! + 1, ...e.args.slice(2)] } : e) });
    const { reader, result } = replayBytes(bad, 'bad.l4t');
    expect(result.verdict).toBe('diverged');
    const d = result.difference!;
    expect(d.seq).toBe(ev.seq);
    expect(d.what).toBe('event');
    expect(d.expected!.args[1]).toBe(ev.args[1]! + 1); // what the (edited) file says
    expect(d.actual!.args[1]).toBe(ev.args[1]); // what the machine does
    expect(d.detail).toMatch(/^field nr: /);
    const report = buildReport(reader, 'bad.l4t', result)!;
    expect(report.seq).toBe(ev.seq);
    expect(report.thread!.name).toBe('linux-server');
    expect(report.expected).toMatch(/SYSCALL_ENTER/);
    expect(report.previous.length).toBeGreaterThan(0);
    expect(report.previous.length).toBeLessThanOrEqual(20);
    expect(report.reproduce).toBe(`npx l4trace replay bad.l4t --until ${ev.seq - 1} --inspect`);
  });

  it('flipping a field in a filtered trace is found the same way', () => {
    const r = recordInMemory('run', { sets: ['program=hello'] });
    const filtered = rewritten(r.bytes, { filter: { keepKinds: ['SYSCALL_ENTER', 'SYSCALL_EXIT', 'IPC'] } });
    const ev = victim(filtered, Kind.SYSCALL_EXIT);
    const bad = rewritten(filtered, { transform: (e) => (e.seq === ev.seq ? { ...e, args: [e.args[0]!, e.args[1]!, e.args[2]! + 7] } : e) });
    const d = replayBytes(bad).result.difference!;
    expect(d.seq).toBe(ev.seq);
    expect(d.detail).toMatch(/^field ret: /);
  });

  it('changing one choice on the tape: the first event that differs comes after that choice', () => {
    const tape = base.reader().tape();
    // The instant of a keystroke in the middle of the typing.
    const instants = tape.sites.flatMap((s, j) => (s === 2 ? [j] : []));
    const i = instants[Math.floor(instants.length / 2)]!;
    const bad = rewritten(base.bytes, { tapeTransform: (j, v, range) => (j === i ? (v + 1) % range : v) });
    const { result } = replayBytes(bad);
    expect(result.verdict).toBe('diverged');
    expect(result.difference!.seq).toBeGreaterThanOrEqual(tape.seqs[i]!);
    expect(result.difference!.what).toBe('event');
  });

  it('a tape that asks for the wrong kind of choice is a divergence too', () => {
    const tape = base.reader().tape();
    const bad = rewritten(base.bytes, {});
    // Truncate the tape: drop every choice after the first 10 by giving the rest impossible values.
    const cut = rewritten(bad, { tapeTransform: (j, v, range) => (j >= 10 ? range : v) });
    const { result } = replayBytes(cut);
    expect(result.verdict).toBe('diverged');
    expect(result.difference!.what).toBe('tape');
    expect(result.difference!.seq).toBe(tape.seqs[10]);
    expect(result.difference!.detail).toMatch(/decision tape position 10: the machine needs an? irq_instant choice/);
  });

  it('a trace of another machine version is refused with both versions and what changed, never replayed', () => {
    const reader = TraceReader.fromBytes(base.bytes);
    reader.header.machineVersion = 1;
    const sink = new MemorySink();
    rewriteTrace(reader, sink);
    expect(() => replayTrace(TraceReader.fromBytes(sink.bytes()), 'old.l4t')).toThrow(IncompatibleTrace);
    expect(() => replayTrace(TraceReader.fromBytes(sink.bytes()), 'old.l4t')).toThrow(
      new RegExp(`old\\.l4t: recorded by machine v1 .*this l4trace runs machine v${MACHINE_VERSION}.*Changed since: v2: Linux 2\\.4 personalities.*; v3: the irq scenario.*; v4: the machine is rebuilt from the header alone`),
    );
  });
});

describe('l4trace replay', () => {
  const dir = tempDir();
  const good = join(dir, 'race.l4t');
  writeFileSync(good, recordInMemory('signal-race', { seed: 1 }).bytes);

  it('exit 0 and a one-line verdict when identical', () => {
    const r = runCli(['replay', good]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/identical \(\d+ events, \d+ choices, the same file byte for byte, final state equal\)/);
  });

  it('exit 1 and the report when an event was changed', () => {
    const bytes = recordInMemory('signal-race', { seed: 1 }).bytes;
    const ev = victim(bytes, Kind.SIG_SEND);
    const bad = join(dir, 'bad.l4t');
    writeFileSync(bad, rewritten(bytes, { transform: (e) => (e.seq === ev.seq ? { ...e, args: [e.args[0]!, e.args[1]!, 9, ...e.args.slice(3)] } : e) }));
    const r = runCli(['replay', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`first difference: event #${ev.seq} at cycle \\d+ \\(event\\): field sig: 9 vs 15`));
    expect(r.stdout).toMatch(/recorded   #\d+ \d+ linux-server SIG_SEND .*sig=SIGKILL/);
    expect(r.stdout).toMatch(/replayed   #\d+ \d+ linux-server SIG_SEND .*sig=SIGTERM/);
    expect(r.stdout).toMatch(/tape       position \d+; last choice #\d+: tie/);
    expect(r.stdout).toMatch(/reproduce  npx l4trace replay .*bad\.l4t --until \d+ --inspect/);
  });

  it('--until SEQ --inspect stops there and prints threads, registers and Linux processes', () => {
    const reader = TraceReader.fromBytes(recordInMemory('signal-race', { seed: 1 }).bytes);
    const send = [...reader.events()].find((e) => e.kind === Kind.SIG_SEND)!;
    const r = runCli(['replay', good, '--until', String(send.seq), '--inspect']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped at cycle [\d,]+ after event #\d+; identical so far/);
    expect(r.stdout).toMatch(/linux-server\s+ready\s+prio 180/);
    expect(r.stdout).toMatch(/eip=0x[0-9a-f]+ .*esp=0x/);
    expect(r.stdout).toMatch(/pid 2 \(ppid 1\) sigrace running.*pending \[SIGTERM\].*KICK LOST/);
    const j = runCli(['replay', good, '--at', '50000', '--inspect', '--json']);
    const obj = JSON.parse(j.stdout);
    expect(obj.verdict).toBe('stopped');
    expect(obj.inspect.threads.length).toBeGreaterThan(3);
  });

  it('usage errors are one line with exit 2', () => {
    const r = runCli(['replay', good, '--inspect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^l4trace: --inspect needs a stop point/);
    const m = runCli(['replay', join(dir, 'missing.l4t')]);
    expect(m.code).toBe(1);
    expect(m.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('l4trace filter writes a reduced trace that replays', () => {
    const out = join(dir, 'small.l4t');
    const f = runCli(['filter', good, '-o', out, '--drop-kind', 'CONTEXT_SWITCH,IPC_RES']);
    expect(f.code, f.stderr).toBe(0);
    expect(runCli(['replay', out]).code).toBe(0);
    expect(runCli(['filter', good, '-o', out, '--keep-kind', 'NOPE']).code).toBe(2);
  });
});

it('every kind used in these tests has fields to flip', () => {
  for (const k of [Kind.SYSCALL_ENTER, Kind.SYSCALL_EXIT, Kind.SIG_SEND]) expect(KIND_BY_ID[k]!.fields.length).toBeGreaterThan(1);
});
