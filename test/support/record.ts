import { MemorySink } from '../../tracer/sink.js';
import { TraceReader } from '../../tracer/reader.js';
import { recordScenario } from '../../src/session/record-session.js';
import { resolveScenario, type Overrides } from '../../src/scenarios/resolve.js';
import { runScenario } from '../../src/session/machine.js';
import { imagesFor } from '../../src/session/setup.js';
import { RecordingChoices } from '../../src/sim/choices.js';
import { NullRecorder } from '../../tracer/recorder.js';

/** Record a built-in scenario in memory. */
export function recordInMemory(scenario: string, o: Overrides = {}, entropy: 'prng' | 'os' = 'prng') {
  const spec = resolveScenario({ scenario }, `scenario ${scenario}`, o);
  const sink = new MemorySink();
  const result = recordScenario(spec, sink, { entropy, toolVersion: 'test' });
  const bytes = sink.bytes();
  return { spec, result, bytes, reader: () => TraceReader.fromBytes(bytes) };
}

export function metric(r: { result: { run: { metrics: { name: string; value: number }[] } } }, name: string): number {
  const m = r.result.run.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m.value;
}

/** Run a built-in scenario without recording (for sweeps over many seeds): outcome and metrics. */
export function runUntraced(scenario: string, o: Overrides = {}) {
  const spec = resolveScenario({ scenario }, `scenario ${scenario}`, o);
  const run = runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng'), images: imagesFor(spec) });
  return { spec, outcome: run.stop.outcome, detail: run.stop.detail, metrics: run.metrics };
}
