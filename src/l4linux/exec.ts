/**
 * What execve runs: a program file of the file system, followed through `#!` interpreter lines (as
 * Linux's binfmt_script, up to MAX_INTERPRETERS deep) to a static i386 ELF (binfmt_elf). Dynamically
 * linked programs are refused with ENOEXEC and a diagnostic: there is no ld.so in the machine yet.
 */
import { createHash } from 'node:crypto';
import { EACCES, EIO, ELOOP, ENOEXEC } from './abi.js';
import type { Linux } from './linux.js';
import type { Process } from './process.js';
import { GuestImage } from '../l4/guest-image.js';
import { ElfError } from '../ia32/elf.js';
import type { Inode } from './vfs/inode.js';
import { walk } from './vfs/namei.js';
import { absolutePath } from './sys/at.js';

/** binfmt_script's nesting limit (Linux: BINPRM_MAX_RECURSION 4). */
const MAX_INTERPRETERS = 4;
/** Bytes of a `#!` line Linux reads (2.4's BINPRM_BUF_SIZE). */
const SHEBANG_BYTES = 128;

export interface LoadedProgram {
  image: GuestImage;
  /** argv as the program sees it (an interpreter's line put in front). */
  argv: string[];
  /** The absolute path of the file executed first (/proc/self/exe names the ELF's path). */
  exe: string;
}

/**
 * Finds and checks the program at `path` (relative to `cwd`); `reader` is the process asking (null
 * while booting init). The program, or a negative errno.
 */
export function loadProgram(lx: Linux, cwd: Inode, reader: Process | null, path: string, argv: string[], depth = 0): LoadedProgram | number {
  const inode = walk(lx.fs, reader, cwd, path, true);
  if (typeof inode === 'number') return inode;
  if (inode.kind !== 'file' || (inode.mode & 0o111) === 0) return -EACCES;
  const bytes = inode.image ? lx.ctx.machine.image(inode.image).data : inode.bytesNow();
  if (!bytes) return -EIO;
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    if (depth >= MAX_INTERPRETERS) return -ELOOP;
    const line = shebang(bytes);
    if (!line) return -ENOEXEC;
    const next = [line.interp, ...(line.arg !== null ? [line.arg] : []), path, ...argv.slice(1)];
    return loadProgram(lx, cwd, reader, line.interp, next, depth + 1);
  }
  const image = imageOf(lx, reader, inode, bytes, path);
  if (typeof image === 'number') return image;
  return { image, argv, exe: absolutePath(lx, cwd, path) };
}

/** `#!interp [arg]`: the interpreter and at most one argument (the rest of the line), as Linux splits it. */
function shebang(bytes: Uint8Array): { interp: string; arg: string | null } | null {
  const head = bytes.subarray(2, Math.min(bytes.length, SHEBANG_BYTES));
  const nl = head.indexOf(10);
  const line = new TextDecoder().decode(nl >= 0 ? head.subarray(0, nl) : head).replace(/^[ \t]+|[ \t]+$/g, '');
  if (line === '') return null;
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line)!;
  return { interp: m[1]!, arg: m[2] !== undefined && m[2] !== '' ? m[2] : null };
}

/** The machine's image of a program file (made once per content; the kernel knows it by name). */
function imageOf(lx: Linux, reader: Process | null, inode: Inode, bytes: Uint8Array, path: string): GuestImage | number {
  const machine = lx.ctx.machine;
  if (inode.image) return machine.image(inode.image);
  if (inode.program) return inode.program;
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_') || 'program';
  const name = `${base}@${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  const known = machine.images.get(name);
  if (known) return (inode.program = known);
  let image: GuestImage;
  try {
    image = new GuestImage(name, bytes.slice());
  } catch (e) {
    if (e instanceof ElfError) return -ENOEXEC;
    throw e;
  }
  if (image.elf.interp !== null) {
    const why = `${path} is dynamically linked (interpreter ${image.elf.interp}): only static programs run; link it with -static`;
    if (reader) lx.diagnose(reader, why);
    return -ENOEXEC;
  }
  machine.images.set(name, image);
  inode.program = image;
  return image;
}
