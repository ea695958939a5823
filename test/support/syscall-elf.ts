/**
 * Small static i386 programs made of system calls, for tests of the Linux server's calls without a
 * compiler: an assembler for the few instructions such a program needs, named data slots, and an ELF
 * with one RWX segment (code, then the data). The program ends by writing its whole data area to
 * stdout and exiting 0, so a test reads back every result it stored. The same ELF runs natively on an
 * x86 Linux host, the oracle for what Linux returns.
 *
 *   const p = new SyscallProgram();
 *   p.call('uid', NR.getuid32);                          // slot 'uid' = EAX after int $0x80
 *   p.call('r', NR.uname, p.buf('uts', 390));            // an argument may be a data address
 *   const out = runSyscallElf(p.elf(), ['personality=native']);
 *   out.i32('uid'); out.text('uts', 0, 65);
 */
import { recordScenario } from '../../src/session/record-session.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { MemorySink } from '../../tracer/sink.js';
import { TraceReader } from '../../tracer/reader.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';

export const BASE = 0x08048000;
const HEADERS = 52 + 32;

export const REG = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;
type Reg = keyof typeof REG;
/** System-call argument registers in order. */
const ARG_REGS: Reg[] = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'];

/** A value known once the program is laid out: a data slot's or a label's address. */
export class Ref {
  constructor(
    readonly kind: 'data' | 'label',
    readonly name: string,
    readonly offset = 0,
  ) {}
  plus(n: number): Ref {
    return new Ref(this.kind, this.name, this.offset + n);
  }
}
/** An argument loaded from memory (a word a previous call stored). */
export class Mem {
  constructor(readonly addr: Ref) {}
}
export type Operand = number | Ref;
export type Arg = Operand | Mem;

/** Condition codes for jumps. */
export const CC = { e: 4, ne: 5, l: 0xc, ge: 0xd, le: 0xe, g: 0xf, b: 2, ae: 3 } as const;

export class SyscallProgram {
  private readonly code: number[] = [];
  private readonly fixups: { at: number; ref: Ref; rel: boolean }[] = [];
  private readonly labels = new Map<string, number>();
  private readonly slots = new Map<string, { offset: number; size: number; init: Uint8Array | null }>();
  private dataSize = 0;
  private ended = false;

  /** A data slot of `size` bytes (4-aligned), optionally with initial contents; its address. */
  buf(name: string, size: number, init: Uint8Array | number[] | string | null = null): Ref {
    if (!this.slots.has(name)) {
      const bytes = init === null ? null : typeof init === 'string' ? new TextEncoder().encode(init) : Uint8Array.from(init);
      this.slots.set(name, { offset: this.dataSize, size, init: bytes });
      this.dataSize += (size + 3) & ~3;
    }
    return new Ref('data', name);
  }

  /** A data slot of 32-bit words with these initial values. */
  words(name: string, values: number[]): Ref {
    const b = new Uint8Array(values.length * 4);
    values.forEach((v, i) => new DataView(b.buffer).setUint32(i * 4, v >>> 0, true));
    return this.buf(name, b.length, b);
  }

  label(name: string): this {
    this.labels.set(name, this.code.length);
    return this;
  }

  at(name: string): Ref {
    return new Ref('label', name);
  }

  bytes(...b: number[]): this {
    this.code.push(...b);
    return this;
  }

  private imm32(v: Operand, rel = false): void {
    if (v instanceof Ref) {
      this.fixups.push({ at: this.code.length, ref: v, rel });
      this.code.push(0, 0, 0, 0);
    } else this.code.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  /** mov reg, imm32 (or an address). */
  mov(reg: Reg, v: Operand): this {
    this.code.push(0xb8 + REG[reg]);
    this.imm32(v);
    return this;
  }

  /** mov [addr], reg */
  store(addr: Operand, reg: Reg = 'eax'): this {
    this.code.push(0x89, (REG[reg] << 3) | 5);
    this.imm32(addr);
    return this;
  }

  /** mov reg, [addr] */
  load(reg: Reg, addr: Operand): this {
    this.code.push(0x8b, (REG[reg] << 3) | 5);
    this.imm32(addr);
    return this;
  }

  /** mov dword [addr], imm32 */
  storeImm(addr: Operand, v: Operand): this {
    this.code.push(0xc7, 0x05);
    this.imm32(addr);
    this.imm32(v);
    return this;
  }

  /** inc dword [addr] */
  inc(addr: Operand): this {
    this.code.push(0xff, 0x05);
    this.imm32(addr);
    return this;
  }

  /** cmp eax, imm32 */
  cmpEax(v: number): this {
    this.code.push(0x3d);
    this.imm32(v);
    return this;
  }

  jcc(cc: keyof typeof CC, label: string): this {
    this.code.push(0x0f, 0x80 + CC[cc]);
    this.imm32(this.at(label), true);
    return this;
  }

  jmp(label: string): this {
    this.code.push(0xe9);
    this.imm32(this.at(label), true);
    return this;
  }

  callLabel(label: string): this {
    this.code.push(0xe8);
    this.imm32(this.at(label), true);
    return this;
  }

  ret(): this {
    return this.bytes(0xc3);
  }

  /** mov reg, [esp + 4 * n]: a handler's argument n (1 = the signal number). */
  loadArg(reg: Reg, n: number): this {
    return this.bytes(0x8b, 0x44 | (REG[reg] << 3), 0x24, 4 * n);
  }

  /** A restorer for SA_RESTORER handlers (rt_sigreturn), at label `name`. */
  restorer(name = 'restorer'): this {
    return this.label(name).sys(173);
  }

  /** mov dst, src (registers) */
  movReg(dst: Reg, src: Reg): this {
    return this.bytes(0x89, 0xc0 | (REG[src] << 3) | REG[dst]);
  }

  /** The word in slot `name`, as a system-call argument. */
  mem(name: string, offset = 0): Mem {
    return new Mem(new Ref('data', name, offset));
  }

  /** int $0x80 with EAX = nr and the arguments in EBX, ECX, EDX, ESI, EDI, EBP. */
  sys(nr: number, ...args: Arg[]): this {
    args.forEach((v, i) => (v instanceof Mem ? this.load(ARG_REGS[i]!, v.addr) : this.mov(ARG_REGS[i]!, v)));
    this.mov('eax', nr);
    return this.bytes(0xcd, 0x80);
  }

  /** A system call whose result (EAX) goes to slot `name`. */
  call(name: string, nr: number, ...args: Arg[]): this {
    this.sys(nr, ...args);
    return this.store(this.buf(name, 4));
  }

  /** exit(code) */
  exit(code = 0): this {
    return this.sys(1, code);
  }

  /** Write the whole data area to stdout (a forked child reports this way; SyscallOutput.part reads it). */
  dump(): this {
    return this.sys(4, 1, new Ref('data', '__start'), new Ref('data', '__size'));
  }

  /** The end of the program: write the data area to stdout, exit 0. Call once, last. */
  finish(): this {
    this.ended = true;
    return this.dump().exit(0);
  }

  /** The slots' layout, for reading the output back. */
  layout(): Map<string, { offset: number; size: number }> {
    return new Map([...this.slots].map(([k, v]) => [k, { offset: v.offset, size: v.size }]));
  }

  /** Bytes one dump writes. */
  get size(): number {
    return this.dataSize;
  }

  elf(): Uint8Array {
    if (!this.ended) this.finish();
    const codeAt = BASE + HEADERS;
    const dataOff = (HEADERS + this.code.length + 15) & ~15;
    const dataAt = BASE + dataOff;
    const resolve = (r: Ref): number => {
      if (r.kind === 'label') {
        const l = this.labels.get(r.name);
        if (l === undefined) throw new Error(`no label ${r.name}`);
        return codeAt + l + r.offset;
      }
      if (r.name === '__start') return dataAt;
      if (r.name === '__size') return this.dataSize;
      const s = this.slots.get(r.name);
      if (!s) throw new Error(`no slot ${r.name}`);
      return dataAt + s.offset + r.offset;
    };
    const code = this.code.slice();
    for (const f of this.fixups) {
      const v = f.rel ? resolve(f.ref) - (codeAt + f.at + 4) : resolve(f.ref);
      for (let i = 0; i < 4; i++) code[f.at + i] = (v >>> (8 * i)) & 0xff;
    }
    const fileSize = dataOff + this.dataSize;
    const out = new Uint8Array(fileSize);
    const dv = new DataView(out.buffer);
    out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    dv.setUint16(16, 2, true); // ET_EXEC
    dv.setUint16(18, 3, true); // EM_386
    dv.setUint32(20, 1, true);
    dv.setUint32(24, codeAt, true);
    dv.setUint32(28, 52, true);
    dv.setUint16(40, 52, true);
    dv.setUint16(42, 32, true);
    dv.setUint16(44, 1, true);
    dv.setUint16(46, 40, true);
    dv.setUint32(52, 1, true); // PT_LOAD
    dv.setUint32(56, 0, true);
    dv.setUint32(60, BASE, true);
    dv.setUint32(64, BASE, true);
    dv.setUint32(68, fileSize, true);
    dv.setUint32(72, fileSize, true);
    dv.setUint32(76, 7, true); // RWX: code and data in one segment
    dv.setUint32(80, 0x1000, true);
    out.set(code, HEADERS);
    for (const s of this.slots.values()) if (s.init) out.set(s.init.subarray(0, s.size), dataOff + s.offset);
    return out;
  }
}

/** What a program wrote back: its data area, read by slot. */
export class SyscallOutput {
  constructor(
    readonly bytes: Uint8Array,
    private readonly layout: Map<string, { offset: number; size: number }>,
    readonly status: number | undefined,
    private readonly dumpSize = bytes.length,
  ) {}

  /** The k-th dump of the data area (0 = the first written, e.g. a child's before its parent's). */
  part(k: number): SyscallOutput {
    return new SyscallOutput(this.bytes.subarray(k * this.dumpSize, (k + 1) * this.dumpSize), this.layout, this.status, this.dumpSize);
  }

  /** How many dumps were written. */
  get parts(): number {
    return this.dumpSize === 0 ? 0 : Math.floor(this.bytes.length / this.dumpSize);
  }

  private slot(name: string): { offset: number; size: number } {
    const s = this.layout.get(name);
    if (!s) throw new Error(`no slot ${name}`);
    if (this.bytes.length < s.offset + s.size) throw new Error(`the program wrote ${this.bytes.length} bytes, slot ${name} is not among them`);
    return s;
  }

  /** The slot's i-th 32-bit word, signed (a system call's result: -errno on failure). */
  i32(name: string, i = 0): number {
    const s = this.slot(name);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset).getInt32(s.offset + i * 4, true);
  }

  u32(name: string, i = 0): number {
    return this.i32(name, i) >>> 0;
  }

  u16(name: string, i = 0): number {
    const s = this.slot(name);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset).getUint16(s.offset + i * 2, true);
  }

  raw(name: string): Uint8Array {
    const s = this.slot(name);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** A NUL-terminated string inside the slot, from byte `at`. */
  text(name: string, at = 0, max = Infinity): string {
    const b = this.raw(name).subarray(at, at + Math.min(max, this.raw(name).length - at));
    const z = b.indexOf(0);
    return new TextDecoder().decode(z >= 0 ? b.subarray(0, z) : b);
  }
}

export const PERSONALITY_SETS: [string, string[]][] = [
  ['native Linux 2.4', ['personality=native']],
  ['L4Linux 2.4 on V2', ['personality=l4linux']],
  ['L4Linux 2.4 on L4Env', ['personality=l4env', 'signalFix=recheck']],
];

/** Run the program as init under a Linux personality (`sets`), recording in memory. */
export function runSyscallElf(p: SyscallProgram, sets: string[] = [], name = 'calls', entropy: 'prng' | 'os' = 'prng') {
  const elf = p.elf();
  const spec = resolveScenario({ scenario: 'run', params: { program: name, args: [], stdin: null } }, `run ${name}`, { sets });
  const sink = new MemorySink();
  const chunks: Uint8Array[] = [];
  const r = recordScenario(spec, sink, { entropy, toolVersion: 'test', images: new Map([[name, elf]]), console: (fd, data) => void (fd === 1 && chunks.push(data.slice())) });
  const status = r.run.metrics.find((m) => m.name === 'init.exit_status')?.value;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return { out: new SyscallOutput(out, p.layout(), status, p.size), run: r.run, bytes: sink.bytes(), reader: () => TraceReader.fromBytes(sink.bytes()) };
}

/** The same program under every personality. */
export function runEverywhere(p: SyscallProgram): { label: string; out: SyscallOutput }[] {
  return PERSONALITY_SETS.map(([label, sets]) => ({ label, out: runSyscallElf(p, sets).out }));
}

/**
 * Run the program natively (the oracle), or null when this host cannot run a static i386 program
 * (not Linux on x86, or no 32-bit support).
 */
export function runNatively(p: SyscallProgram): SyscallOutput | null {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'ia32')) return null;
  const file = join(tempDir('l4trace-native-'), 'calls');
  writeFileSync(file, p.elf());
  chmodSync(file, 0o755);
  const r = spawnSync(file, [], { maxBuffer: 1 << 20 });
  if (r.error || r.status === null) return null;
  return new SyscallOutput(new Uint8Array(r.stdout), p.layout(), r.status, p.size);
}

/**
 * Whether the host's processes hold capability `bit` (CAP_SYS_RESOURCE = 24 ...): a native run as root
 * in a container may lack some, and then differs from a simulated root where it uses them.
 */
export function hostCapable(bit: number): boolean {
  try {
    const m = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && ((BigInt('0x' + m[1]) >> BigInt(bit)) & 1n) === 1n;
  } catch {
    return false;
  }
}
