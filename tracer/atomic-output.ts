/**
 * The one way l4trace writes an output: under a temporary name in the target's own folder, fsync'ed,
 * then renamed over the target in one step, so a reader sees the old file or the whole new one and a
 * failure leaves what was there. Every command's outputs go through here (traces, HTML pages, exports,
 * kept databases), so the rules are the same everywhere:
 *
 * - checked before any work (`checkOutputPath`): a folder where a file is meant (or the other way
 *   round), a FIFO, device or socket, a missing or read-only parent folder, and an output that is one
 *   of the command's inputs are refused; nothing is opened yet;
 * - Ctrl-C (SIGINT) or SIGTERM while outputs are unfinished removes their temporary files, or, for
 *   outputs that are worth keeping cut short (a recording), closes them and says where they are; one
 *   line on stderr, then the conventional exit code (130 / 143).
 *
 * Signal handlers are installed only while an output is unfinished: at other times a signal has its
 * default effect. JavaScript handlers run only between tasks, so long synchronous work must yield to
 * the event loop now and then (the record session does) for Ctrl-C to be seen promptly.
 */
import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

export class OutputError extends UserError {}

export interface OutputCheck {
  /** The option that named the output, for messages (default `-o`). */
  option?: string;
  /** Whether the output is a file (default) or a folder. */
  kind?: 'file' | 'folder';
  /** Files the command reads: the output may not be any of them. */
  inputs?: readonly string[];
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Fails, before any work is done, when `out` cannot or must not be written (see the file comment). */
export function checkOutputPath(out: string, check: OutputCheck = {}): void {
  const option = check.option ?? '-o';
  const kind = check.kind ?? 'file';
  const fail = (why: string): never => {
    throw new OutputError(`${option} ${out}: ${why}`);
  };
  if (out === '') fail('empty path');
  // By name too: an input the command has yet to create (a --db it will write) is no place for another output.
  for (const input of check.inputs ?? []) if (resolve(input) === resolve(out)) fail(`is the input ${input}; write to another file`);
  const st = statOrNull(out);
  if (st) {
    if (kind === 'file' && st.isDirectory()) fail('is a folder (give a file name)');
    if (kind === 'folder' && st.isFile()) fail('exists and is not a folder');
    if (!st.isFile() && !st.isDirectory()) fail('is not a regular file (a FIFO, device or socket); l4trace writes a finished file and renames it into place, which would replace it');
    for (const input of check.inputs ?? []) {
      const ist = statOrNull(input);
      if (ist && ist.dev === st.dev && ist.ino === st.ino) fail(`is the input ${input}; write to another file`);
    }
  }
  const dir = dirname(resolve(out));
  const dst = statOrNull(dir);
  if (!dst) fail(`the folder ${dir} does not exist`);
  if (!dst!.isDirectory()) fail(`${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    fail(`the folder ${dir} is not writable`);
  }
}

/** Creates the output folder `dir` (and its parents) or fails with one line saying why. */
export function ensureOutputFolder(dir: string, option = '-o'): void {
  const st = statOrNull(dir);
  if (st?.isDirectory()) return;
  if (st) throw new OutputError(`${option} ${dir}: exists and is not a folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError(`${option} ${dir}: cannot create the folder (${describeFsError(e)})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Unfinished outputs and signals

interface Pending {
  target: string;
  temp: string;
  /** On a signal: keep the temporary file (a cut recording stays readable) instead of removing it. */
  keepOnInterrupt: boolean;
  /** Close descriptors, flush buffers: called before a kept temporary file is reported. */
  onInterrupt: () => void;
}

const pending = new Set<Pending>();
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  const notes: string[] = [];
  for (const p of pending) {
    try {
      p.onInterrupt();
    } catch {
      // best effort: the process is ending
    }
    if (p.keepOnInterrupt) notes.push(`kept the unfinished ${p.temp} (readable up to its last whole packet)`);
    else {
      removeQuietly(p.temp);
      notes.push(`removed the unfinished ${p.temp}`);
    }
  }
  pending.clear();
  process.stderr.write(`\nl4trace: interrupted (${signal}): ${notes.join('; ') || 'nothing was being written'}\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function track(p: Pending): void {
  pending.add(p);
  if (!installed) {
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

function untrack(p: Pending): void {
  pending.delete(p);
  if (pending.size === 0 && installed) {
    installed = false;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function removeQuietly(path: string): void {
  for (const p of [path, `${path}.wal`]) rmSync(p, { force: true, recursive: true });
}

/**
 * The temporary name of an output: beside the target (same file system, so rename is atomic), unique
 * to this process, in the folder's real path (DuckDB compares the folders it may write to after
 * resolving links).
 */
export function temporaryName(target: string): string {
  const dir = dirname(resolve(target));
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // a missing folder is reported by whoever opens the file
  }
  return join(real, `${basename(target)}.${process.pid}.partial`);
}

function describeFsError(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** Put a finished output in place with `work`; on failure remove the temporary and say so. Either way it is no longer pending. */
function putInPlace(p: Pending, work: () => void): void {
  try {
    work();
  } catch (e) {
    removeQuietly(p.temp);
    throw new OutputError(`${p.target}: cannot write (${describeFsError(e)})`);
  } finally {
    untrack(p);
  }
}

// ---------------------------------------------------------------------------------------------------
// Outputs

/** A file written through a descriptor: `write`, then `commit` (or `abandon` / `discard`). */
export class AtomicFile {
  readonly temp: string;
  private fd: number;
  private done = false;
  private readonly entry: Pending;

  constructor(
    readonly target: string,
    opts: { option?: string; keepOnInterrupt?: boolean } = {},
  ) {
    this.temp = temporaryName(target);
    try {
      this.fd = openSync(this.temp, 'w');
    } catch (e) {
      throw new OutputError(`${opts.option ?? '-o'} ${target}: cannot write (${describeFsError(e)})`);
    }
    this.entry = { target, temp: this.temp, keepOnInterrupt: opts.keepOnInterrupt ?? false, onInterrupt: () => this.onInterrupt?.() };
    track(this.entry);
  }

  /** Called on a signal before the file is kept or removed (a writer flushes its buffer). */
  onInterrupt: (() => void) | undefined;

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  /** Make the file final: fsync, close, rename over the target. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    putInPlace(this.entry, () => {
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.temp, this.target);
    });
  }

  /** Stop after a failure but keep what was written under the temporary name; returns that name. */
  abandon(): string {
    if (!this.done) {
      this.done = true;
      closeSync(this.fd);
      untrack(this.entry);
    }
    return this.temp;
  }

  /** Stop and remove the temporary file. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    removeQuietly(this.temp);
    untrack(this.entry);
  }
}

/**
 * An output another writer fills by path (DuckDB writing a database, a folder of Parquet files): the
 * temporary path is reserved here, renamed into place by `commit`, removed by `discard` or a signal.
 */
export class AtomicPath {
  readonly temp: string;
  private done = false;
  private readonly entry: Pending;

  constructor(readonly target: string) {
    this.temp = temporaryName(target);
    removeQuietly(this.temp);
    this.entry = { target, temp: this.temp, keepOnInterrupt: false, onInterrupt: () => {} };
    track(this.entry);
  }

  /** Rename the finished temporary file or folder over the target (a folder target is replaced whole). */
  commit(): void {
    if (this.done) return;
    this.done = true;
    putInPlace(this.entry, () => {
      if (statOrNull(this.target)?.isDirectory()) {
        // rename() cannot replace a non-empty folder: move the old one aside first, then drop it.
        const old = `${this.temp}.old`;
        renameSync(this.target, old);
        renameSync(this.temp, this.target);
        rmSync(old, { recursive: true, force: true });
      } else renameSync(this.temp, this.target);
      rmSync(`${this.temp}.wal`, { force: true });
    });
  }

  discard(): void {
    if (this.done) return;
    this.done = true;
    removeQuietly(this.temp);
    untrack(this.entry);
  }
}

/** Write a whole file atomically from `fill`, which may write several times. */
export async function writeFileAtomic(target: string, fill: (write: (b: Uint8Array | string) => void) => Promise<void> | void, opts: { option?: string } = {}): Promise<void> {
  const f = new AtomicFile(target, opts);
  try {
    await fill((b) => f.write(typeof b === 'string' ? Buffer.from(b) : b));
    f.commit();
  } catch (e) {
    f.discard();
    throw e;
  }
}

/** Synchronous form of writeFileAtomic, for a buffer that is ready. */
export function writeBytesAtomic(target: string, bytes: Uint8Array, opts: { option?: string } = {}): void {
  const f = new AtomicFile(target, opts);
  try {
    f.write(bytes);
    f.commit();
  } catch (e) {
    f.discard();
    throw e;
  }
}
