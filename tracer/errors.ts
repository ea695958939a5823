/**
 * Typed errors of the trace reader. Every way a file can be bad maps to one code, so callers (the CLI,
 * the analyzer's loader, the replayer) can react without parsing messages, and corruption never
 * surfaces as a host RangeError or TypeError.
 */
export type TraceErrorCode =
  | 'IO' // the file cannot be opened or read
  | 'BAD_MAGIC' // not an l4trace file
  | 'FUTURE_VERSION' // written by a newer, incompatible format version
  | 'NO_HEADER' // the first packet is not a header
  | 'BAD_LENGTH' // a length prefix no valid packet can have
  | 'LENGTH_PAST_END' // a length prefix larger than what is left of the file (strict mode)
  | 'BAD_PACKET' // a packet that does not decode
  | 'BAD_ORDER'; // events whose sequence numbers contradict each other

export class TraceFormatError extends Error {
  readonly code: TraceErrorCode;
  /** Byte offset in the file where the problem was found, when known. */
  readonly offset: number | undefined;
  constructor(code: TraceErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'TraceFormatError';
    this.code = code;
    this.offset = offset;
  }
}
