/**
 * Record a resolved scenario into a trace file, atomically and cooperatively: shared by `record`,
 * `run --trace` and `demo`. The output is checked before the run starts; the machine runs in slices so
 * Ctrl-C is seen at once, and then the recording so far is kept, cut short, under its temporary name
 * (tracer/atomic-output.ts says where).
 */
import { checkOutputPath } from '../../tracer/atomic-output.js';
import { FileSink } from '../../tracer/file-writer.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { RecordSession, type RecordResult } from '../session/record-session.js';
import { setupForRecording } from '../session/setup.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { isStdio, StdoutSink } from './stdio.js';
import { toolVersion } from './version.js';

export interface FileRecordOptions {
  entropy: 'prng' | 'os';
  images?: ReadonlyMap<string, Uint8Array>;
  /** The root file system (read from the host before the run; the trace embeds it). */
  rootfs?: RootFsImage | null;
  console?: (fd: number, data: Uint8Array) => void;
  untilCycles?: number;
  onRound?: (k: Kernel, tracer: Tracer) => void;
  /** The option that named `out`, for error messages (default -o). */
  option?: string;
  /** Files the command reads, which `out` must not be. */
  inputs?: string[];
}

export async function recordToFile(spec: ScenarioSpec, out: string, opts: FileRecordOptions): Promise<RecordResult & { bytes: number }> {
  // `-`: the trace streams to standard output as it is recorded (src/cli/stdio.ts).
  if (!isStdio(out)) checkOutputPath(out, { option: opts.option ?? '-o', inputs: opts.inputs ?? [] });
  const setup = setupForRecording(spec, {
    ...(opts.images ? { images: opts.images } : {}),
    ...(opts.untilCycles !== undefined ? { untilCycles: opts.untilCycles } : {}),
    rootfs: opts.rootfs ?? null,
  });
  const sink = isStdio(out) ? new StdoutSink() : new FileSink(out, { option: opts.option ?? '-o' });
  try {
    const session = new RecordSession(setup, sink, {
      entropy: opts.entropy,
      toolVersion: toolVersion(),
      ...(opts.console ? { console: opts.console } : {}),
      ...(opts.onRound ? { onRound: opts.onRound } : {}),
    });
    // Back to the event loop between slices, so a signal handler can run (the machine sees no difference).
    let r: RecordResult | null;
    while ((r = session.runSlice()) === null) await new Promise<void>((resolve) => setImmediate(resolve));
    return { ...r, bytes: sink.size };
  } catch (e) {
    const partial = sink.abandon();
    if (e instanceof Error) e.message += ` (what was recorded so far is in ${partial})`;
    throw e;
  }
}
