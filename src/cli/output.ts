/** Small helpers for what commands print. */
import { writeSync } from 'node:fs';
import { CliError } from './errors.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` to stdout before returning. process.stdout queues what a full pipe does not take
 * at once, so `dump big.l4t | less` would hold the whole dump in memory; a synchronous write that waits
 * while the pipe is full keeps memory flat. A closed pipe (`| head`) ends the process quietly.
 */
export function writeStdout(data: string | Uint8Array): void {
  writeFdFully(1, 'standard output', data);
}

/** As writeStdout, to stderr (a guest's fd 2 under `l4trace run` can write as much as its stdout). */
export function writeStderr(data: string | Uint8Array): void {
  writeFdFully(2, 'standard error', data);
}

function writeFdFully(fd: 1 | 2, name: string, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1); // the pipe is full: wait a millisecond for the reader
      else if (code === 'EPIPE') process.exit(0);
      else throw new CliError(`${name}: cannot write (${code ?? (e as Error).message})`);
    }
  }
}

/** Buffered stdout writer. */
export class Out {
  private parts: string[] = [];
  private size = 0;
  line(s = ''): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    writeStdout(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

let pipeGuard = false;
export function guardStdoutPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`l4trace: standard output: cannot write (${e.code ?? e.message})\n`);
    process.exit(1);
  });
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Left-aligned text table. */
export function table(rows: (string | number)[][], rightAlign: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) =>
    r
      .map((c, i) => (rightAlign.has(i) ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Whether progress lines should be drawn (only on an interactive terminal). */
export function progressWanted(): boolean {
  return Boolean(process.stderr.isTTY);
}
