import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemorySink } from '../../tracer/sink.js';
import { TraceReader } from '../../tracer/reader.js';
import { recordScenario } from '../../src/session/record-session.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { imagesFor } from '../../src/session/setup.js';

export const EXPECTED_DIR = fileURLToPath(new URL('../../src/guests/expected/', import.meta.url));

export interface Expected {
  name: string;
  args: string[];
  stdout: string;
  exitCode: number;
  signal?: string;
  stdin?: string;
  /** A deliberate data race (glibc-race, musl-race): stdout and exitCode are one native run's and vary; not compared. */
  racy?: boolean;
  funcEnter: number | null;
  funcExit: number | null;
}

export function expectedGuests(): Expected[] {
  return readdirSync(EXPECTED_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), ...JSON.parse(readFileSync(join(EXPECTED_DIR, f), 'utf8')) }));
}

/** Run a committed guest as init (under L4Linux unless `sets` say otherwise), recording the trace in memory. */
export function runGuest(name: string, args: string[], sets: string[] = [], stdin: string | null = null) {
  const spec = resolveScenario({ scenario: 'run', params: { program: name, args, stdin } }, `run ${name}`, { sets });
  const sink = new MemorySink();
  let stdout = '';
  const dec = new TextDecoder();
  const r = recordScenario(spec, sink, {
    entropy: 'prng',
    toolVersion: 'test',
    images: imagesFor(spec),
    console: (_fd, data) => void (stdout += dec.decode(data)),
  });
  const status = r.run.metrics.find((m) => m.name === 'init.exit_status')?.value;
  return { run: r.run, stdout, status, bytes: sink.bytes(), reader: () => TraceReader.fromBytes(sink.bytes()) };
}
