/** Record a resolved scenario into a trace file, atomically: shared by `record`, `demo` and `sweep`. */
import { FileSink } from '../../tracer/file-writer.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import { recordScenario, type RecordResult } from '../scenarios/record.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { checkOutputFile } from './atomic-file.js';
import { CliError } from './errors.js';
import { toolVersion } from './version.js';

export interface FileRecordOptions {
  entropy: 'prng' | 'os';
  images?: ReadonlyMap<string, Uint8Array>;
  console?: (fd: number, data: Uint8Array) => void;
  untilCycles?: number;
  onRound?: (k: Kernel, tracer: Tracer) => void;
  /** The option that named `out`, for error messages (default -o). */
  option?: string;
}

export function recordToFile(spec: ScenarioSpec, out: string, opts: FileRecordOptions): RecordResult & { bytes: number } {
  checkOutputFile(out, opts.option);
  let sink: FileSink;
  try {
    sink = new FileSink(out);
  } catch (e) {
    throw new CliError(`${opts.option ?? '-o'} ${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 1, e);
  }
  try {
    const r = recordScenario(spec, sink, { ...opts, toolVersion: toolVersion() });
    return { ...r, bytes: sink.size };
  } catch (e) {
    const partial = sink.abandon();
    (e as Error).message += ` (what was recorded so far is in ${partial})`;
    throw e;
  }
}
