/**
 * Errors a user can act on, and the trace reader's typed errors.
 *
 * `UserError` is the one base class of every error that is the input's fault rather than a bug: a bad
 * trace, scenario, filter file, query or output path. The CLI reports any of them as one line with exit
 * code `exitCode` and keeps "internal error" for everything else. It lives here because `tracer/` is the
 * lowest folder that every layer raising such errors may import (DESIGN §2); the machine's own lowest
 * layers (`src/sim`, `src/ia32`) raise plain errors that the session layer turns into user errors with
 * the name of the file and the part they came from.
 */
export class UserError extends Error {
  /** 1 = the input is bad or the work failed; 2 = the command line is wrong. */
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * Typed errors of the trace reader. Every way a file can be bad maps to one code, so callers (the CLI,
 * the analyzer's loader, the replayer) can react without parsing messages, and corruption never
 * surfaces as a host RangeError or TypeError.
 */
export type TraceErrorCode =
  | 'IO' // the file cannot be opened or read
  | 'BAD_MAGIC' // not an l4trace file
  | 'FUTURE_VERSION' // written by a newer, incompatible format version
  | 'OLD_VERSION' // written by an older format this build no longer reads
  | 'NO_HEADER' // the first packet is not a header
  | 'BAD_HEADER' // the header holds values no recording can have (bounds, image hashes)
  | 'BAD_LENGTH' // a length prefix no valid packet can have
  | 'LENGTH_PAST_END' // a length prefix larger than what is left of the file (strict mode)
  | 'BAD_PACKET' // a packet that does not decode
  | 'BAD_CHECK' // a packet whose bytes do not match its checksum
  | 'MISSING_PACKET' // packets are missing (their index numbers are skipped)
  | 'BAD_SEQUENCE' // a packet out of place (index lower than one already read: swapped or repeated)
  | 'BAD_DIGEST' // the footer's digest of the whole file does not match its bytes
  | 'BAD_ORDER' // events whose sequence numbers contradict each other
  | 'INCOMPATIBLE'; // a whole, intact trace that this build cannot use for the purpose asked

/** Where in a file a problem lies: the packet's index (its position, from 0) and its byte offset. */
export interface TraceLocation {
  packet?: number | undefined;
  offset?: number | undefined;
}

export class TraceFormatError extends UserError {
  readonly code: TraceErrorCode;
  /** Byte offset in the file where the problem was found, when known. */
  readonly offset: number | undefined;
  /** Index of the packet concerned, when known. */
  readonly packet: number | undefined;
  /** The message without the location suffix. */
  readonly reason: string;
  constructor(code: TraceErrorCode, message: string, offset?: number, packet?: number) {
    super(message + describeLocation({ packet, offset }));
    this.code = code;
    this.offset = offset;
    this.packet = packet;
    this.reason = message;
  }

  /** The same error with the packet index filled in (decoders know the offset, the reader the index). */
  atPacket(packet: number): TraceFormatError {
    return this.packet !== undefined ? this : new TraceFormatError(this.code, this.reason, this.offset, packet);
  }
}

/** " (packet #3, at byte 120)", or "" when nothing is known. */
export function describeLocation(at: TraceLocation): string {
  const parts: string[] = [];
  if (at.packet !== undefined) parts.push(`packet #${at.packet}`);
  if (at.offset !== undefined) parts.push(`at byte ${at.offset}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
