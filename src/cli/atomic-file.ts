/** Output files written beside their target and renamed when complete: a failure leaves what was there. */
import { accessSync, closeSync, constants, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** What a path is, without following errors into exceptions. */
function kindOf(path: string): 'file' | 'folder' | 'other' | 'missing' {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Fails, before any work is done, when `out` cannot be written: it is a folder where a file is wanted
 * (or the other way round), or its parent is missing, not a folder, or not writable. Saves a long run
 * from failing at its very end.
 */
export function checkOutputFile(out: string, option = '-o', replaces: 'file' | 'folder' = 'file'): void {
  const kind = kindOf(out);
  if (replaces === 'file' && kind === 'folder') throw new CliError(`${option} ${out}: is a folder (give a file name)`);
  if (replaces === 'folder' && (kind === 'file' || kind === 'other')) throw new CliError(`${option} ${out}: exists and is not a folder`);
  if (kind === 'other') throw new CliError(`${option} ${out}: is not a regular file`);
  const dir = dirname(resolve(out));
  const dirKind = kindOf(dir);
  if (dirKind === 'missing') throw new CliError(`${option} ${out}: the folder ${dir} does not exist`);
  if (dirKind !== 'folder') throw new CliError(`${option} ${out}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new CliError(`${option} ${out}: the folder ${dir} is not writable`);
  }
}

/** Creates the output folder `dir` (and its parents) or fails with one line saying why. */
export function ensureOutputFolder(dir: string, option = '-o'): void {
  const kind = kindOf(dir);
  if (kind === 'folder') return;
  if (kind !== 'missing') throw new CliError(`${option} ${dir}: exists and is not a folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`${option} ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

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

