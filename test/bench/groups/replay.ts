/**
 * Record and replay figures, side by side in one run: recording a trace to a file against the plain
 * (untraced) run, replay-and-verify against recording, tape bytes per million guest instructions, and
 * sweep seeds per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NullRecorder } from '../../../tracer/recorder.js';
import { TraceReader } from '../../../tracer/reader.js';
import { FileSink } from '../../../tracer/file-writer.js';
import { recordScenario } from '../../../src/session/record-session.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/session/machine.js';
import { imagesFor } from '../../../src/session/setup.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import { replayTrace } from '../../../replay/replay.js';
import { runSeed, type SweepJob } from '../../../replay/sweep.js';
import { bestOf, interleavedBest, perSecond, type BenchGroup, type Figure } from '../figure.js';

const CASES: [string, string, string[]][] = [
  ['pingpong', 'pingpong', ['rounds=50000', 'compare=[]', 'spaces=["intra","inter"]', 'cpus=1']],
  ['shell', 'shell', []],
  ['guest', 'run', ['program=rec-O2']],
  ['fork', 'table2', ['getpids=1', 'forks=100']],
];

function measure(label: string, scenario: string, sets: string[], dir: string): Figure[] {
  const spec = resolveScenario({ scenario }, scenario, { sets });
  const images = imagesFor(spec);
  const file = join(dir, `${label}.l4t`);
  let instructions = 0;
  let tapeBytes = 0;
  let events = 0;
  // Interleaved (the record runs before each replay, which reads its file): ratios compare runs made at
  // the same moment.
  const { plain, record, replay } = interleavedBest(5, {
    plain: () => {
      const r = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng'), images });
      instructions = r.kernel.counters.guestInstructions;
    },
    record: () => void recordScenario(spec, new FileSink(file), { entropy: 'prng', toolVersion: 'bench', images }),
    replay: () => {
      const reader = TraceReader.open(file);
      const r = replayTrace(reader, file);
      if (r.verdict !== 'identical') throw new Error(`bench: ${label} did not replay: ${r.difference?.detail}`);
      tapeBytes = reader.choiceRefs.reduce((a, c) => a + c.bodyLength, 0);
      events = r.events;
      reader.close();
    },
  });
  const out: Figure[] = [
    { name: `replay.${label}.plain_run`, value: plain, unit: 'ms' },
    { name: `replay.${label}.record_to_file`, value: record, unit: 'ms', vs: 'target 1.1x of plain run', ratio: record / plain },
    { name: `replay.${label}.replay_and_verify`, value: replay, unit: 'ms', vs: 'target 1.0x of record', ratio: replay / record },
    { name: `replay.${label}.replay_events_per_s`, value: perSecond(events, replay), unit: 'events/s' },
  ];
  if (instructions > 0) out.push({ name: `replay.${label}.tape_bytes_per_M_instructions`, value: (tapeBytes / instructions) * 1e6, unit: 'bytes' });
  return out;
}

function sweepFigures(dir: string): Figure[] {
  const figures: Figure[] = [];
  for (const fix of ['none', 'handshake']) {
    const job: SweepJob = { raw: { scenario: 'signal-race' }, source: 'signal-race', sets: [`signalFix=${fix}`], chaos: 0, outDir: dir, toolVersion: 'bench' };
    const seeds = 40;
    const ms = bestOf(1, () => {
      for (let s = 1; s <= seeds; s++) runSeed(job, s);
    });
    figures.push({ name: `replay.sweep.signal_race_${fix}.seeds_per_s`, value: perSecond(seeds, ms), unit: 'seeds/s (1 thread)' });
  }
  return figures;
}

export const replayGroup: BenchGroup = {
  name: 'replay',
  description: 'record vs plain run, replay-and-verify vs record, tape bytes per million guest instructions, sweep seeds/s',
  run: () => {
    const dir = mkdtempSync(join(tmpdir(), 'l4trace-bench-'));
    try {
      return [...CASES.flatMap(([label, scenario, sets]) => measure(label, scenario, sets, dir)), ...sweepFigures(dir)];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
