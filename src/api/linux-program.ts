/**
 * The Linux server as a library (seed 003's LKL use): a host program lists a process's system calls
 * through a small typed wrapper, and `elf()` turns the list into a tiny static i386 program that issues
 * exactly those calls with `int $0x80`, one after the other, in the Linux i386 ABI (number in eax,
 * arguments in ebx, ecx, edx, esi, edi). Run it with `programMachine(p.elf())` as the first process of
 * the Linux personality; the trace shows what each call caused (SYSCALL_ENTER/EXIT, the IPC to the
 * Linux server, page faults, the fork's TASK_NEW …).
 *
 * The host does not step the machine call by call: the calls are fixed before the run, so the run stays
 * a deterministic, replayable recording like any other. A call's result can feed a later call
 * (`const fd = p.open(...); p.write(fd, ...)`): each result is stored in the program's data and loaded
 * from there. Strings and byte buffers go into the program's data, NUL-terminated.
 */
import { NR as LINUX_NR } from '../l4linux/abi.js';

/** i386 Linux system-call numbers of the calls the wrapper names (the Linux personality's own table). */
export const NR = {
  exit: LINUX_NR.exit,
  fork: LINUX_NR.fork,
  read: LINUX_NR.read,
  write: LINUX_NR.write,
  open: LINUX_NR.open,
  close: LINUX_NR.close,
  waitpid: LINUX_NR.waitpid,
  unlink: LINUX_NR.unlink,
  getpid: LINUX_NR.getpid,
  kill: LINUX_NR.kill,
  mkdir: LINUX_NR.mkdir,
  getppid: LINUX_NR.getppid,
} as const;

/** open(2) flags. */
export const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, TRUNC: 0o1000, APPEND: 0o2000 } as const;

/** The value a call returned, usable as a later call's argument. */
export class SyscallResult {
  constructor(
    /** Position of the call in the program (0 = first). */
    readonly index: number,
    readonly name: string,
    /** Where the program stores it (a virtual address in its data). */
    readonly slot: number,
  ) {}
}

/** A call argument: a number, a string or bytes (passed by address), or an earlier call's result. */
export type SyscallArg = number | string | Uint8Array | SyscallResult;

const BASE = 0x08048000;
const HEADERS = 52 + 32;
/** ebx, ecx, edx, esi, edi: the argument registers' numbers in ModRM. */
const ARG_REGS = [3, 1, 2, 6, 7];

interface Data {
  bytes: number[];
  calls: number;
  /** Bytes reserved after the file's end (read buffers). */
  bss: number;
}

export class LinuxProgram {
  private readonly code: number[] = [];
  private ended = false;

  constructor(private readonly data: Data = { bytes: [], calls: 0, bss: 0 }) {}

  /** Any system call by number (see NR); up to five arguments. */
  syscall(nr: number, ...args: SyscallArg[]): SyscallResult {
    return this.call(`syscall ${nr}`, nr, args);
  }

  write(fd: SyscallArg, data: string | Uint8Array): SyscallResult {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    return this.call('write', NR.write, [fd, bytes, bytes.length]);
  }

  /** read(fd, buffer, count) into a fresh buffer in the program's memory. */
  read(fd: SyscallArg, count: number): SyscallResult {
    const buffer = this.reserve(count);
    return this.call('read', NR.read, [fd, buffer, count]);
  }

  open(path: string, flags: number = O.RDONLY, mode = 0o644): SyscallResult {
    return this.call('open', NR.open, [path, flags, mode]);
  }

  close(fd: SyscallArg): SyscallResult {
    return this.call('close', NR.close, [fd]);
  }

  unlink(path: string): SyscallResult {
    return this.call('unlink', NR.unlink, [path]);
  }

  mkdir(path: string, mode = 0o755): SyscallResult {
    return this.call('mkdir', NR.mkdir, [path, mode]);
  }

  getpid(): SyscallResult {
    return this.call('getpid', NR.getpid, []);
  }

  getppid(): SyscallResult {
    return this.call('getppid', NR.getppid, []);
  }

  kill(pid: SyscallArg, sig: number): SyscallResult {
    return this.call('kill', NR.kill, [pid, sig]);
  }

  /** waitpid(pid, NULL, 0): -1 waits for any child. */
  waitpid(pid: SyscallArg = -1): SyscallResult {
    return this.call('waitpid', NR.waitpid, [pid, 0, 0]);
  }

  /**
   * fork(): the child runs the calls `child` lists and then exits (status 0 unless it called exit); the
   * parent goes on with the calls after this one. The result is the child's pid (in the parent).
   */
  fork(child: (c: LinuxProgram) => void = () => {}): SyscallResult {
    const r = this.call('fork', NR.fork, []);
    const c = new LinuxProgram(this.data);
    child(c);
    const body = c.finish();
    this.code.push(0x85, 0xc0); // test eax, eax
    this.code.push(0x0f, 0x85, ...u32(body.length)); // jnz over the child's calls (parent: eax = pid)
    this.code.push(...body);
    return r;
  }

  /** exit(code): the last call of this process. */
  exit(code = 0): void {
    this.call('exit', NR.exit, [code]);
    this.ended = true;
  }

  /** The static i386 ELF executable (ET_EXEC, one RWX PT_LOAD segment) that issues the calls listed. */
  elf(): Uint8Array {
    const code = this.finish();
    const dataOff = HEADERS;
    const codeOff = align(dataOff + this.data.bytes.length, 16);
    const fileSize = codeOff + code.length;
    if (fileSize > 0x100000) throw new Error(`program of ${fileSize} bytes: more than the 1 MiB below its read buffers`);
    const out = new Uint8Array(fileSize);
    const dv = new DataView(out.buffer);
    out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]); // ELF32, little-endian, version 1, System V
    dv.setUint16(16, 2, true); // ET_EXEC
    dv.setUint16(18, 3, true); // EM_386
    dv.setUint32(20, 1, true);
    dv.setUint32(24, BASE + codeOff, true); // entry
    dv.setUint32(28, 52, true); // phoff
    dv.setUint32(32, 0, true); // no sections
    dv.setUint16(40, 52, true); // ehsize
    dv.setUint16(42, 32, true); // phentsize
    dv.setUint16(44, 1, true); // phnum
    dv.setUint16(46, 40, true); // shentsize
    // PT_LOAD of the whole file (headers, data, code) plus the read buffers, readable, writable, executable.
    dv.setUint32(52, 1, true);
    dv.setUint32(56, 0, true);
    dv.setUint32(60, BASE, true);
    dv.setUint32(64, BASE, true);
    dv.setUint32(68, fileSize, true);
    dv.setUint32(72, this.data.bss > 0 ? 0x100000 + this.data.bss : fileSize, true);
    dv.setUint32(76, 7, true);
    dv.setUint32(80, 0x1000, true);
    out.set(this.data.bytes, dataOff);
    out.set(code, codeOff);
    return out;
  }

  private finish(): number[] {
    if (!this.ended) this.exit(0);
    return this.code;
  }

  private call(name: string, nr: number, args: SyscallArg[]): SyscallResult {
    if (this.ended) throw new Error(`${name}: the process has already exited (its last call was exit)`);
    if (args.length > ARG_REGS.length) throw new Error(`${name}: at most ${ARG_REGS.length} arguments (got ${args.length})`);
    args.forEach((a, i) => this.load(ARG_REGS[i]!, a));
    this.code.push(0xb8, ...u32(nr)); // mov eax, nr
    this.code.push(0xcd, 0x80); // int $0x80
    const slot = this.dataAddress(this.append(new Uint8Array(4), 4));
    this.code.push(0xa3, ...u32(slot)); // mov [slot], eax
    return new SyscallResult(this.data.calls++, name, slot);
  }

  private load(reg: number, a: SyscallArg): void {
    if (a instanceof SyscallResult) {
      this.code.push(0x8b, 0x05 | (reg << 3), ...u32(a.slot)); // mov reg, [slot]
      return;
    }
    let v: number;
    if (typeof a === 'number') {
      if (!Number.isInteger(a) || a < -(2 ** 31) || a >= 2 ** 32) throw new Error(`argument ${a}: not a 32-bit integer`);
      v = a;
    } else {
      const bytes = typeof a === 'string' ? new TextEncoder().encode(a) : a;
      const z = new Uint8Array(bytes.length + 1);
      z.set(bytes);
      v = this.dataAddress(this.append(z, 1));
    }
    this.code.push(0xb8 + reg, ...u32(v)); // mov reg, imm32
  }

  private append(bytes: Uint8Array, alignment: number): number {
    while (this.data.bytes.length % alignment !== 0) this.data.bytes.push(0);
    const at = this.data.bytes.length;
    for (const b of bytes) this.data.bytes.push(b);
    return at;
  }

  /** A buffer in the zero-filled memory after the file's end: its address. */
  private reserve(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 1 << 20) throw new Error(`buffer of ${n} bytes: give 0..1 MiB`);
    // Addresses after the file are known only once the file's size is: the buffers live at a fixed
    // distance above the data instead, at BASE + 1 MiB (the segment's memory size covers them).
    const at = 0x100000 + this.data.bss;
    this.data.bss += align(n, 4);
    return BASE + at;
  }

  private dataAddress(offset: number): number {
    return BASE + HEADERS + offset;
  }
}

function u32(v: number): number[] {
  const x = v >>> 0;
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
