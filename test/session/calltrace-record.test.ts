/**
 * Call tracing (src/ia32/shadow-stack.ts) in recordings: the mode is part of the scenario in the header,
 * so a trace with call-traced functions records the same bytes every time and replays as identical from
 * the file alone; a header without the field replays with the hooks only (traces made before it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreTrace } from '../../analyze/score.js';
import { replayTrace } from '../../replay/replay.js';
import { Kind } from '../../tracer/catalogue.js';
import { FilterRulesSchema } from '../../tracer/filter/rules.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { withAnalysis } from '../support/analysis.js';
import { tempDir } from '../support/cli.js';
import { runGuest } from '../support/guests.js';

/** The guest's function events (those of IA32 threads: the Linux server's kernel functions are not the mode's). */
function funcEvents(bytes: Uint8Array): { enters: number; exits: number; names: Set<string> } {
  const reader = TraceReader.fromBytes(bytes);
  let enters = 0;
  let exits = 0;
  const names = new Set<string>();
  for (const e of reader.events()) {
    if (reader.threads[e.thread]!.kind !== ThreadKind.IA32) continue;
    if (e.kind === Kind.FUNC_ENTER) {
      enters++;
      names.add(reader.string(e.args[0]!));
    } else if (e.kind === Kind.FUNC_EXIT) exits++;
  }
  return { enters, exits, names };
}

describe('call-traced recordings are deterministic and replay from the trace alone', () => {
  // glibc and musl, with fork, vfork, execve, pipes and signals in the procs programs
  for (const program of ['glibc-basics', 'glibc-procs', 'musl-procs']) {
    it(`${program}: calls tracing, recorded twice -> the same bytes; replayed -> identical`, () => {
      const sets = ['signalFix=handshake', 'trace.functions=calls'];
      const a = runGuest(program, [], sets);
      const b = runGuest(program, [], sets);
      expect(a.status).toBe(0);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      const reader = TraceReader.fromBytes(a.bytes);
      expect(JSON.parse(reader.header.scenarioJson).trace.functions).toBe('calls');
      const f = funcEvents(a.bytes);
      expect(f.enters).toBeGreaterThan(1000);
      expect(f.names.has('main')).toBe(true);
      const r = replayTrace(reader, `${program}.l4t`);
      expect(r.difference).toBeNull();
      expect(r.verdict).toBe('identical');
      expect(r.events).toBe(reader.footer!.nextSeq);
    });
  }

  it('auto on a program without hooks gives the events of calls, and the machine the same run as off', () => {
    const auto = runGuest('glibc-basics', [], ['trace.functions=auto']);
    const calls = runGuest('glibc-basics', [], ['trace.functions=calls']);
    const off = runGuest('glibc-basics', [], ['trace.functions=off']);
    expect(funcEvents(auto.bytes)).toEqual(funcEvents(calls.bytes));
    expect(funcEvents(off.bytes).enters).toBe(0);
    expect(auto.run.endTime).toBe(off.run.endTime);
    expect(Buffer.from(auto.run.digest).equals(Buffer.from(off.run.digest))).toBe(true);
    expect(auto.stdout).toBe(off.stdout);
  });

  it('a header that does not name the mode means the hooks only: replaying it stays identical', () => {
    const r = runGuest('calltrace-plain', [], ['signalFix=handshake']);
    const reader = TraceReader.fromBytes(r.bytes);
    expect(JSON.parse(reader.header.scenarioJson).trace.functions).toBeUndefined();
    expect(funcEvents(r.bytes).enters).toBe(0);
    expect(replayTrace(reader, 'calltrace-plain.l4t').verdict).toBe('identical');
  });

  it('a call-traced trace reduced by filter rules (functions excluded, a depth limit) replays as identical', () => {
    const r = runGuest('glibc-procs', [], ['signalFix=handshake', 'trace.functions=calls']);
    const sink = new MemorySink();
    rewriteTrace(TraceReader.fromBytes(r.bytes), sink, { filter: FilterRulesSchema.parse({ excludeFunctions: ['_IO_*', '__libc_*'], functions: { maxDepth: 12 } }) });
    const small = sink.bytes();
    expect(small.length).toBeLessThan(r.bytes.length);
    const f = funcEvents(small);
    expect(f.enters).toBeGreaterThan(100);
    expect([...f.names].some((n) => n.startsWith('_IO_'))).toBe(false);
    const reader = TraceReader.fromBytes(small);
    const rep = replayTrace(reader, 'glibc-procs-small.l4t');
    expect(rep.difference).toBeNull();
    expect(rep.verdict).toBe('identical');
  });

  it('a flight-recorder trace (overwrite: its first kept events may close calls it never saw open) scores, loads and replays', async () => {
    const r = runGuest('glibc-basics', [], ['trace.functions=calls', 'trace.policy=overwrite', 'trace.capacityChunks=2', 'trace.chunkEvents=256']);
    const reader = TraceReader.fromBytes(r.bytes);
    const user = reader.threads.findIndex((t) => t.linuxPid === 1);
    const first = reader.decodeChunk(reader.chunksOf(user)[0]!);
    expect(first.chunkIndex).toBeGreaterThan(0); // the beginning was overwritten
    expect(first.openStack.length).toBeGreaterThan(0);
    const s = scoreTrace(reader);
    expect(s.rows.length).toBeGreaterThan(5);
    const file = join(tempDir(), 'overwrite.l4t');
    writeFileSync(file, r.bytes);
    await withAnalysis(file, async (a) => {
      expect(Number(await a.scalar(`SELECT count(*) FROM slice WHERE category = 'func'`))).toBeGreaterThan(50);
      expect(Number(await a.scalar(`SELECT count(*) FROM slice WHERE category = 'func' AND (depth < 0 OR (depth > 0 AND parent_id IS NULL))`))).toBe(0);
    });
    const rep = replayTrace(reader, 'overwrite.l4t');
    expect(rep.difference).toBeNull();
    expect(rep.verdict).toBe('identical');
  });
});
