/** Record a resolved scenario into a trace file, atomically: shared by `record`, `demo` and `sweep`. */
import { FileSink } from '../../tracer/file-writer.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import { recordScenario, type RecordResult } from '../scenarios/record.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { toolVersion } from './version.js';

export interface FileRecordOptions {
  entropy: 'prng' | 'os';
  images?: ReadonlyMap<string, Uint8Array>;
  console?: (fd: number, data: Uint8Array) => void;
  untilCycles?: number;
  onRound?: (k: Kernel, tracer: Tracer) => void;
}

export function recordToFile(spec: ScenarioSpec, out: string, opts: FileRecordOptions): RecordResult & { bytes: number } {
  const sink = new FileSink(out);
  try {
    const r = recordScenario(spec, sink, { ...opts, toolVersion: toolVersion() });
    return { ...r, bytes: sink.size };
  } catch (e) {
    const partial = sink.abandon();
    (e as Error).message += ` (what was recorded so far is in ${partial})`;
    throw e;
  }
}
