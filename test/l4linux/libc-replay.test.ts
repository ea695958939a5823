/**
 * Every glibc and musl guest, recorded on the built-in root file system, replays as identical from the
 * trace alone (written, moved to another folder, read back); the ones that fork, exec and use files
 * under every personality. Their output against native runs is test/l4linux/personalities.test.ts's.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../replay/replay.js';
import { committedGuests } from '../../src/guests/catalog.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { recordScenario } from '../../src/session/record-session.js';
import { defaultRootFs } from '../../src/session/rootfs/default.js';
import { imagesFor } from '../../src/session/setup.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { tempDir } from '../support/cli.js';

const LIBC_GUESTS = committedGuests().filter((g) => /^(glibc|musl)-/.test(g));

function recordAndReplay(program: string, personality: string): { verdict: string; stdout: string } {
  const spec = resolveScenario({ scenario: 'run', params: { program, personality } }, 'test');
  const sink = new MemorySink();
  let stdout = '';
  recordScenario(spec, sink, { entropy: 'prng', toolVersion: 'test', images: imagesFor(spec), rootfs: defaultRootFs().image, console: (_fd, d) => void (stdout += new TextDecoder().decode(d)) });
  const first = join(tempDir(), 'run.l4t');
  writeFileSync(first, sink.bytes());
  const moved = join(tempDir(), 'moved.l4t');
  renameSync(first, moved);
  const reader = TraceReader.open(moved);
  try {
    return { verdict: replayTrace(reader, moved).verdict, stdout };
  } finally {
    reader.close();
  }
}

describe('glibc and musl guests record and replay as identical', () => {
  it('there are guests of both libraries', () => {
    expect(LIBC_GUESTS.filter((g) => g.startsWith('glibc-')).length).toBeGreaterThanOrEqual(4);
    expect(LIBC_GUESTS.filter((g) => g.startsWith('musl-')).length).toBeGreaterThanOrEqual(4);
  });

  for (const program of LIBC_GUESTS) {
    const personalities = /procs|files/.test(program) ? ['l4linux', 'native', 'l4env'] : ['l4linux'];
    for (const personality of personalities) {
      it(`${program} under ${personality}`, () => {
        const r = recordAndReplay(program, personality);
        expect(r.stdout.length).toBeGreaterThan(0);
        expect(r.verdict).toBe('identical');
      });
    }
  }
});
