/** Output files written beside their target and renamed when complete: a failure leaves what was there. */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CliError } from './errors.js';

/** Write a file through `fill`, atomically. */
export async function writeFileAtomic(out: string, fill: (write: (b: Uint8Array | string) => void) => Promise<void>): Promise<void> {
  const partial = `${out}.${process.pid}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (e) {
    throw new CliError(`-o ${out}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    await fill((b) => void writeSync(fd, typeof b === 'string' ? Buffer.from(b) : b));
    closeSync(fd);
    renameSync(partial, out);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(partial, { force: true });
    throw e;
  }
}

