import { MemorySink } from '../../tracer/sink.js';
import { TraceReader } from '../../tracer/reader.js';
import { recordScenario } from '../../src/scenarios/record.js';
import { resolveScenario, type Overrides } from '../../src/scenarios/resolve.js';

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
