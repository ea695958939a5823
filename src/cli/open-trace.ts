import { TraceFormatError } from '../../tracer/errors.js';
import { TraceReader, type ReaderOptions } from '../../tracer/reader.js';
import { CliError } from './errors.js';

/** Open a trace for a command, turning format errors into one line that names the file. */
export function openTrace(path: string, opts: ReaderOptions = {}): TraceReader {
  try {
    return TraceReader.open(path, opts);
  } catch (e) {
    if (e instanceof TraceFormatError) throw new CliError(e.code === 'IO' ? e.message : `${path}: ${e.message}`, 1, e);
    throw e;
  }
}

/** Run `fn` over a reader, naming the file if decoding fails halfway. */
export function withTrace<T>(path: string, _reader: TraceReader, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TraceFormatError) throw new CliError(`${path}: ${e.message}`, 1, e);
    throw e;
  }
}
