/**
 * `-` as a file name: standard input where a command reads a file, standard output where it writes
 * one (the Unix convention). Where a command cannot use a stream (a folder, a database, an output that
 * shares stdout with the guest's console) it refuses `-` with one line saying why.
 *
 * - Reading: stdin is read whole into memory (a trace is read by seeking), up to STDIN_MAX_BYTES; a
 *   bigger input is refused with a hint to save it to a file. The analyzer commands, which open their
 *   input by name, get it through a private temporary file that is removed as soon as it is loaded.
 * - Writing: the output is streamed to stdout as it is produced (so it cannot be atomic: a failure
 *   leaves a cut-short stream, which readers report as cut short), and what the command would have
 *   printed about it goes to stderr instead, so stdout carries only the output.
 */
import { mkdtempSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketFramer } from '../../tracer/framing.js';
import type { TraceSink } from '../../tracer/sink.js';
import { ByteWriter } from '../../tracer/varint.js';
import { checkOutputPath, writeFileAtomic, type OutputCheck } from '../../tracer/atomic-output.js';
import { CliError, UsageError } from './errors.js';
import { writeStderr, writeStdout } from './output.js';

/** The name that means standard input or output. */
export const STDIO = '-';

/** How much of standard input a command reads into memory (1 GiB). */
export const STDIN_MAX_BYTES = 1 << 30;

export const isStdio = (path: string | undefined): boolean => path === STDIO;

const pause = new Int32Array(new SharedArrayBuffer(4));
let stdinTaken: string | null = null;

/**
 * All of standard input, read once (a second reader of `-` in the same command is a usage error).
 * `what` names the argument for messages (e.g. "<file> -", "-f -").
 */
export function readStdin(what: string, max = STDIN_MAX_BYTES): Buffer {
  if (stdinTaken !== null) throw new UsageError(`${what}: standard input is already read as ${stdinTaken}; only one argument can be -`);
  stdinTaken = what;
  if (process.stdin.isTTY) throw new UsageError(`${what}: standard input is a terminal; pipe a file into it (e.g. l4trace info - < run.l4t) or give the file's name`);
  const parts: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 1); // a non-blocking pipe with nothing yet: wait for the writer
        continue;
      }
      if (code === 'EOF' || code === 'EBADF' || code === 'ENXIO' || code === 'EINVAL') break; // closed: nothing (more) to read
      throw new CliError(`${what}: cannot read standard input (${code ?? (e as Error).message})`);
    }
    if (n === 0) break;
    total += n;
    if (total > max) throw new CliError(`${what}: standard input holds more than ${max} bytes (the limit for reading it into memory); save it to a file and give the file's name`);
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(parts, total);
}

/** For tests and long-lived callers: forget that stdin was read. */
export function resetStdin(): void {
  stdinTaken = null;
}

/**
 * Runs `fn` on a file holding `input`: the input itself, or for `-` a private temporary copy of
 * standard input, removed when `fn` settles. For commands that open their input by name (the analyzer).
 */
export async function withInputFile<T>(input: string, what: string, fn: (path: string) => Promise<T>): Promise<T> {
  if (!isStdio(input)) return fn(input);
  const bytes = readStdin(what);
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-stdin-'));
  try {
    const path = join(dir, 'stdin.l4t');
    writeFileSync(path, bytes, { mode: 0o600 });
    return await fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Refuses `-` for an argument that cannot be a stream, saying why. */
export function refuseStdio(option: string, value: string | undefined, why: string): void {
  if (isStdio(value)) throw new UsageError(`${option} -: ${why}`);
}

/** checkOutputPath, except that `-` (standard output) needs no checks. */
export function checkOutput(out: string, check: OutputCheck = {}): void {
  if (!isStdio(out)) checkOutputPath(out, { ...check, inputs: (check.inputs ?? []).filter((i) => !isStdio(i)) });
}

/** writeFileAtomic, or for `-` a stream to standard output. */
export async function writeOutput(target: string, fill: (write: (b: Uint8Array | string) => void) => Promise<void> | void, opts: { option?: string } = {}): Promise<void> {
  if (!isStdio(target)) return writeFileAtomic(target, fill, opts);
  await fill((b) => writeStdout(b));
}

/** The command's own report: to stdout, or to stderr when stdout carries the output (`-o -`). */
export function reportTo(toStderr: boolean): (line: string) => void {
  return toStderr ? (line) => writeStderr(line + '\n') : (line) => writeStdout(line + '\n');
}

/** A trace streamed to standard output as it is written (record -o -, filter -o -). */
export class StdoutSink implements TraceSink {
  private readonly out = new ByteWriter(1 << 20);
  private readonly framer = new PacketFramer(this.out);
  private written = 0;
  readonly path = STDIO;

  packet(field: number, body: Uint8Array): void {
    this.framer.frame(field, body);
    if (this.out.pos >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.out.pos === 0) return;
    writeStdout(this.out.buf.subarray(0, this.out.pos));
    this.written += this.out.pos;
    this.out.reset();
  }

  get size(): number {
    return this.written + this.out.pos;
  }

  close(): void {
    this.flush();
  }

  /** A failure: what was written is on stdout already, cut short. */
  abandon(): string {
    this.flush();
    return 'standard output (cut short)';
  }

  discard(): void {
    this.flush();
  }
}
