/**
 * What `l4trace run` (and `record` of a program) starts, and on which root file system, decided on the
 * host before the run:
 *
 * - the root file system: `--rootfs DIR|FILE.tar`, else the built-in one (src/session/rootfs/default.ts);
 * - the program: with --rootfs, an absolute path that exists in it runs from there; otherwise a host file,
 *   else a committed guest (src/guests/bin), else a plain name found in the root file system's /bin
 *   (`l4trace run busybox sh -c ...`); anything else is refused naming where it was looked for;
 * - the program must be a static i386 ELF (src/ia32/elf-check.ts), wherever it comes from;
 * - the environment: the fixed default (src/session/rootfs/environment.ts) with `--env K=V` over it.
 *
 * A program from the root file system becomes the scenario's `path` (Linux loads it from its VFS, so the
 * trace embeds it as a file blob); any other becomes an embedded image.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { hasCommittedGuest, loadCommittedGuest } from '../guests/catalog.js';
import { programProblem } from '../ia32/elf-check.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { defaultRootFs, hasBusybox } from '../session/rootfs/default.js';
import { readRootFs } from '../session/rootfs/load.js';
import { lookupPath } from '../session/rootfs/lookup.js';
import { CliError } from './errors.js';
import { writeStderr } from './output.js';

export interface RunTarget {
  /** The scenario's program parameters: its name, and its path when it runs from the root file system. */
  params: { program: string; path?: string };
  /** The program's image by name, when it is not in the root file system. */
  images: Map<string, Uint8Array>;
  /** Host files read for it (an output file must not be one of them). */
  inputs: string[];
}

/** The root file system a run gets: the one named, or the built-in one (`builtIn`), or none. Notes go to stderr. */
export function loadRootFs(arg: string | undefined, builtIn: boolean): RootFsImage | null {
  const read = arg !== undefined ? readRootFs(arg) : builtIn ? defaultRootFs() : null;
  for (const note of read?.notes ?? []) writeStderr(`l4trace: ${note}\n`);
  return read?.image ?? null;
}

/** A guest program name made of the characters scenario names allow. */
const programName = (path: string): string => basename(path).replace(/[^A-Za-z0-9._-]/g, '_') || 'program';

export function resolveProgram(arg: string, rootfs: RootFsImage | null, rootfsArg: string | undefined): RunTarget {
  const where = rootfsArg !== undefined ? `the root file system ${rootfsArg}` : 'the built-in root file system';
  if (rootfs && rootfsArg !== undefined && arg.startsWith('/')) {
    const found = lookupPath(rootfs, arg);
    if ('entry' in found) return fromRootFs(arg, arg, rootfs, where);
    if (!isHostFile(arg)) throw new CliError(`${arg}: not in ${where} (${found.problem}), and no such host file`);
  }
  if (isHostFile(arg)) return checked(arg, programName(arg), readFileSync(arg), [arg]);
  if (hasCommittedGuest(arg)) return checked(arg, arg, loadCommittedGuest(arg), []);
  if (rootfs && /^[A-Za-z0-9._-]+$/.test(arg) && 'entry' in lookupPath(rootfs, `/bin/${arg}`)) return fromRootFs(arg, `/bin/${arg}`, rootfs, where);
  const hint = arg === 'busybox' && rootfsArg === undefined && !hasBusybox() ? ' (the built-in root file system has busybox once `npm run rootfs` has made it)' : '';
  throw new CliError(`${arg}: no such file, not a committed guest program (see src/guests/bin)${rootfs ? `, and not in ${where}'s /bin` : ''}${hint}`);
}

function isHostFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** The program a run scenario's `path` names, checked in the root file system the recording was given. */
export function checkRootFsProgram(path: string, rootfs: RootFsImage, rootfsArg: string | undefined): void {
  fromRootFs(path, path, rootfs, rootfsArg !== undefined ? `the root file system ${rootfsArg}` : 'the built-in root file system');
}

/** A program at `path` in the root file system (symlinks followed), checked to be a static i386 ELF. */
function fromRootFs(arg: string, path: string, rootfs: RootFsImage, where: string): RunTarget {
  const found = lookupPath(rootfs, path);
  if (!('entry' in found)) throw new CliError(`${arg}: not in ${where} (${found.problem})`);
  if (found.entry.kind !== 'file') throw new CliError(`${arg}: in ${where}, ${found.path} is a directory, not a program`);
  const data = rootfs.blobs.get(found.entry.sha256)!;
  const problem = programProblem(data);
  if (problem) throw new CliError(`${arg} (${found.path} in ${where}): ${problem}`);
  return { params: { program: programName(path), path }, images: new Map(), inputs: [] };
}

function checked(arg: string, name: string, data: Uint8Array, inputs: string[]): RunTarget {
  const problem = programProblem(data);
  if (problem) throw new CliError(`${arg}: ${problem}`);
  return { params: { program: name }, images: new Map([[name, data]]), inputs };
}
