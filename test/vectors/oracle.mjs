// Builds and drives test/vectors/oracle.c (the host-CPU oracle). Used by generate.mjs and check-oracle.mjs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const IN_SIZE = 424;
const OUT_SIZE = 412;
export const FPU_SIZE = 108;
export const STATUS = ['', 'DE', 'UD', 'GP', 'OTHER', 'MF'];

/** Compiles oracle.c into a temporary directory. Returns { bin, cleanup }. Exits with a one-line message on failure. */
export function buildOracle() {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'ia32')) {
    fail(`the oracle needs an x86 Linux host (this is ${process.platform}/${process.arch})`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-oracle-'));
  const bin = join(dir, 'oracle');
  try {
    execFileSync('gcc', ['-m32', '-O2', '-static', '-no-pie', '-fno-pie', '-Wl,-Ttext-segment=0x08048000',
      '-o', bin, join(HERE, 'oracle.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = e.code === 'ENOENT' ? 'gcc not found' : String(e.stderr ?? e.message).trim().split('\n')[0];
    fail(`cannot build the oracle with "gcc -m32" (install gcc and gcc-multilib): ${why}`);
  }
  return { bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function fail(msg) {
  process.stderr.write(`vectors: ${msg}\n`);
  process.exit(1);
}

/**
 * Runs cases through the oracle. A case is { bytes: number[], regs: ArrayLike<number> (8), flags, mem: Uint8Array(256), opts,
 * fpu?: Uint8Array(108) (the FSAVE image to load; needs opts bit 2) }.
 * Returns [{ status: 0..5, detail, regs: number[8], eip, eflags, mem: Uint8Array(256), fpu: Uint8Array(108) }]
 * (fpu is all zeros without opts bit 2).
 */
export function runOracle(bin, cases) {
  const input = Buffer.alloc(cases.length * IN_SIZE);
  cases.forEach((c, k) => {
    const o = k * IN_SIZE;
    if (c.bytes.length < 1 || c.bytes.length > 16) throw new Error(`bad instruction length ${c.bytes.length}`);
    input.writeUInt32LE(c.bytes.length, o);
    input.writeUInt32LE(c.opts >>> 0, o + 4);
    Buffer.from(c.bytes).copy(input, o + 8);
    for (let i = 0; i < 8; i++) input.writeUInt32LE(c.regs[i] >>> 0, o + 24 + 4 * i);
    input.writeUInt32LE(c.flags >>> 0, o + 56);
    Buffer.from(c.mem).copy(input, o + 60);
    if (c.fpu) Buffer.from(c.fpu).copy(input, o + 316);
  });
  const r = spawnSync(bin, [], { input, maxBuffer: cases.length * OUT_SIZE + 65536 });
  if (r.error) fail(`oracle failed to run: ${r.error.message}`);
  if (r.status !== 0) fail(`oracle exited with status ${r.status}: ${String(r.stderr).trim()}`);
  const out = r.stdout;
  if (out.length !== cases.length * OUT_SIZE) fail(`oracle returned ${out.length} bytes for ${cases.length} cases`);
  const res = [];
  for (let k = 0; k < cases.length; k++) {
    const o = k * OUT_SIZE;
    const regs = [];
    for (let i = 0; i < 8; i++) regs.push(out.readUInt32LE(o + 8 + 4 * i));
    res.push({
      status: out.readUInt32LE(o), detail: out.readUInt32LE(o + 4), regs,
      eip: out.readUInt32LE(o + 40), eflags: out.readUInt32LE(o + 44),
      mem: new Uint8Array(out.subarray(o + 48, o + 304)),
      fpu: new Uint8Array(out.subarray(o + 304, o + OUT_SIZE)),
    });
  }
  return res;
}

/**
 * Oracle option bits for an instruction: 1 = REP-prefixed string instruction, 2 = PUSHF, 4 = x87 (escape
 * opcodes D8-DF and FWAIT 9B: the case carries an FPU image; see oracle.c).
 */
export function optsFor(bytes) {
  let i = 0, rep = false;
  while (i < bytes.length && [0x66, 0xf2, 0xf3].includes(bytes[i])) { if (bytes[i] !== 0x66) rep = true; i++; }
  const op = bytes[i];
  return (rep && op >= 0xa4 && op <= 0xaf ? 1 : 0) | (op === 0x9c ? 2 : 0) | ((op >= 0xd8 && op <= 0xdf) || op === 0x9b ? 4 : 0);
}

export function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : 'unknown';
  } catch { return 'unknown'; }
}
