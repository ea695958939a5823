/**
 * Opening a trace for a command. Every command that reads a trace checks the whole file (tracer/
 * reader.ts): a damaged one is refused with one line naming the file, the packet and the byte offset,
 * unless the command was given `--salvage`; then the damage is listed on stderr with what was dropped,
 * and the command goes on with what could be believed.
 */
import { TraceFormatError } from '../../tracer/errors.js';
import { TraceReader, type Damage, type ReaderOptions, type Truncation } from '../../tracer/reader.js';
import { describeLocation } from '../../tracer/errors.js';
import { isStdio, readStdin } from './stdio.js';

/** The option every command that reads events offers for damaged files. */
export const SALVAGE_HELP = 'read a damaged trace as far as it can be believed: drop the packets that fail their checks and say which';

/**
 * Open a trace for a command, turning format errors into one line that names the file. A salvaging
 * open lists the damage on stderr unless `quiet` (a command that shows it itself).
 */
export function openTrace(path: string, opts: ReaderOptions & { quiet?: boolean } = {}): TraceReader {
  let reader: TraceReader;
  try {
    // `-`: standard input, read whole into memory (a trace is read by seeking).
    reader = isStdio(path) ? TraceReader.fromBytes(readStdin(`${path} (the trace)`), opts) : TraceReader.open(path, opts);
  } catch (e) {
    throw inFile(path, e);
  }
  if (opts.salvage && !opts.quiet) reportDamage(path, reader.damage);
  return reader;
}

/** One stderr line per problem a salvaging reader stepped over. */
export function reportDamage(path: string, damage: readonly Damage[]): void {
  for (const d of damage) {
    process.stderr.write(`l4trace: ${path}: damaged${describeLocation(d)}: ${d.reason}; dropped ${d.dropped}\n`);
  }
}

/** One stderr line when a trace was cut short: what follows covers what was recorded up to the cut. */
export function reportCut(path: string, truncated: Truncation | undefined): void {
  if (truncated) process.stderr.write(`l4trace: ${path}: cut short at byte ${truncated.offset} (${truncated.reason}): what follows covers the run up to there\n`);
}

/** A reader error with the file's name in front (IO errors name it already). */
export function inFile(path: string, e: unknown): unknown {
  if (!(e instanceof TraceFormatError) || e.code === 'IO' || e.message.startsWith(`${path}:`)) return e;
  return new TraceFormatError(e.code, `${path}: ${e.reason}`, e.offset, e.packet);
}

/** Run `fn` over a reader, naming the file if decoding fails halfway. */
export function withTrace<T>(path: string, _reader: TraceReader, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw inFile(path, e);
  }
}
