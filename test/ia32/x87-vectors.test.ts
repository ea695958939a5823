/**
 * The x87 FPU against vectors recorded on a real CPU (test/vectors/, `npm run vectors -- x87arith ...`):
 * each case is one x87 instruction executed natively under ptrace single-step from a known CPU and FPU
 * state (test/vectors/README.md, "x87 vectors"). Status-word bits the Intel manual leaves undefined for the
 * instruction are masked (`fu`), and so are the bytes FNSTENV/FNSAVE write that are not architectural
 * state (`mu`: the instruction and operand pointers, reserved halves). The transcendental family compares
 * finite results within TRANS_ULP_BOUND units in the last place and everything else bit for bit.
 *
 * Failures are grouped by form: one line per failing form with its count, and the bytes and first
 * differing field of its first failing case.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with the generator
import { scratchBytes } from '../vectors/scratch.mjs';
import { executeCase, loadCase, registerDifference, VECTOR_FLAGS, vectorMachine } from '../support/vector-case.js';
// @ts-expect-error plain JS module shared with the generator
import { TRANS_ULP_BOUND } from '../vectors/x87-forms.mjs';

const DATA = fileURLToPath(new URL('../vectors/data/', import.meta.url));
const FLAGS = VECTOR_FLAGS;
const C1 = 0x200;
const PE = 0x20;
/** Allowed error of a transcendental result, in units of the last place of the 64-bit significand. */
const ULPS = BigInt(TRANS_ULP_BOUND as number);

interface FpuRecord {
  cw: number;
  sw: number;
  tag: number;
  /** ST(0)..ST(7), 20 hex digits each: sign and exponent, then the 64-bit significand. */
  st: string[];
}

interface X87Case {
  b: string;
  r: number[];
  f: number;
  s: number;
  /** Scratch bytes patched in before the instruction: [offset, hex bytes]. */
  p: [number, string][];
  R: number[];
  F: number;
  e: number;
  m: [number, number][];
  u: number;
  x: null | 'MF' | 'UD' | 'GP' | 'DE';
  fi: FpuRecord;
  fo: FpuRecord;
  fu: number;
  /** Scratch ranges not compared: [offset, length]. */
  mu: [number, number][];
}

interface FormInfo {
  name: string;
  start: number;
  count: number;
}

const files = readdirSync(DATA).filter((f) => /^x87.*\.json\.gz$/.test(f)).sort();

const machine = vectorMachine;

/** The 108-byte FSAVE image of a record (FIP/FCS/FOO/FOS zero, as the oracle loaded them). */
function image(f: FpuRecord): Uint8Array {
  const b = Buffer.alloc(108);
  b.writeUInt32LE(f.cw, 0);
  b.writeUInt32LE(f.sw, 4);
  b.writeUInt32LE(f.tag, 8);
  f.st.forEach((h, i) => Buffer.from(h, 'hex').reverse().copy(b, 28 + 10 * i));
  return new Uint8Array(b);
}

function record(img: Uint8Array): FpuRecord {
  const b = Buffer.from(img.buffer, img.byteOffset, img.byteLength);
  const st: string[] = [];
  for (let i = 0; i < 8; i++) st.push(Buffer.from(b.subarray(28 + 10 * i, 38 + 10 * i)).reverse().toString('hex'));
  return { cw: b.readUInt16LE(0), sw: b.readUInt16LE(4), tag: b.readUInt16LE(8), st };
}

/**
 * Distance in units in the last place between two finite values of the same sign, or -1 when they are
 * not comparable that way (a NaN, an infinity, different signs, an unnormal). The key exponent*2^63 +
 * fraction is monotonic over denormals and normals, so the difference counts representable values.
 */
function ulpDistance(a: string, b: string): bigint {
  const ka = key(a), kb = key(b);
  if (ka === null || kb === null || a[0]! >= '8' !== b[0]! >= '8') return -1n;
  return ka > kb ? ka - kb : kb - ka;
}
function key(h: string): bigint | null {
  const se = parseInt(h.slice(0, 4), 16), mant = BigInt(`0x${h.slice(4)}`);
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return null;
  if (exp === 0) return mant >> 63n ? null : mant;
  if (!(mant >> 63n)) return null;
  return (BigInt(exp) << 63n) | (mant & ((1n << 63n) - 1n));
}

const hex16 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

/** Runs one case; returns null or the first differing field. */
function runCase(c: X87Case, m: ReturnType<typeof machine>, templates: boolean, approx: boolean): string | null {
  const { cpu, phys } = m;
  const fpu = cpu.fpu;
  const before = Uint8Array.from(scratchBytes(c.s) as Uint8Array);
  for (const [off, h] of c.p) before.set(Buffer.from(h, 'hex'), off);
  loadCase(cpu, phys, c, before);
  fpu.restore(image(c.fi), 0);
  let fault: string | null;
  try {
    fault = executeCase(cpu, phys, templates);
  } catch (e) {
    return `host error ${(e as Error).message}`;
  }
  if (fault !== c.x) return `fault ${fault} expected ${c.x}${fault ? ` (${cpu.fault.detail})` : ''}`;
  const regs = registerDifference(cpu, c, fault);
  if (regs) return regs;
  const fmask = FLAGS & ~c.u;
  const f = cpu.eflags() & fmask;
  if (f !== (c.F & fmask)) return `eflags 0x${f.toString(16)} expected 0x${(c.F & fmask).toString(16)}`;
  const expected = Uint8Array.from(before);
  for (const [off, v] of c.m) expected[off] = v;
  const skip = new Uint8Array(256);
  for (const [off, len] of c.mu) skip.fill(1, off, off + len);
  for (let i = 0; i < 256; i++) {
    if (!skip[i] && phys.bytes[8192 + i] !== expected[i]) return `memory +${i} 0x${phys.bytes[8192 + i]!.toString(16)} expected 0x${expected[i]!.toString(16)}`;
  }
  const out = new Uint8Array(108);
  fpu.save(out, 0);
  const got = record(out), want = c.fo;
  if (got.cw !== want.cw) return `cw ${hex16(got.cw)} expected ${hex16(want.cw)}`;
  let swMask = 0xffff & ~c.fu;
  // A transcendental result is the rounding of the CPU's own internal approximation: which way that went
  // (C1) need not match ours even where the results agree. Compared only when the result was exact.
  if (approx && want.sw & PE) swMask &= ~C1;
  for (let i = 0; i < 8; i++) {
    if (got.st[i] === want.st[i]) continue;
    const d = approx ? ulpDistance(got.st[i]!, want.st[i]!) : -1n;
    if (d < 0n || d > ULPS) return `st(${i}) ${got.st[i]} expected ${want.st[i]}${d > 0n ? ` (${d} ulp)` : ''}`;
    swMask &= ~C1; // C1 says which way the result was rounded: it follows the result
  }
  if ((got.sw & swMask) !== (want.sw & swMask)) return `sw ${hex16(got.sw)} expected ${hex16(want.sw)} (compared bits ${hex16(swMask)})`;
  // Compared after the registers: a wrong value usually explains a wrong tag.
  if (got.tag !== want.tag) return `tag ${hex16(got.tag)} expected ${hex16(want.tag)}`;
  return null;
}

describe('x87 instructions against vectors from a real CPU', () => {
  const passed = new Map<string, string>();
  let total = 0;
  for (const file of files) {
    const fam = file.replace('.json.gz', '');
    it(fam, () => {
      const data = JSON.parse(gunzipSync(readFileSync(join(DATA, file))).toString('utf8')) as { forms: FormInfo[]; cases: X87Case[] };
      const m = machine();
      const approx = fam === 'x87trans';
      const failing = new Map<string, { n: number; first: string }>();
      let pass = 0;
      for (const form of data.forms) {
        for (let k = form.start; k < form.start + form.count; k++) {
          const c = data.cases[k]!;
          let problem: string | null = null;
          // Both ways an instruction can run: its generated template (if its form has one) and its closure.
          for (const templates of [true, false]) {
            problem = runCase(c, m, templates, approx);
            if (problem) { problem = `${c.b}${templates ? '' : ' (closure)'}: ${problem}`; break; }
          }
          if (!problem) { pass++; continue; }
          const g = failing.get(form.name);
          if (g) g.n++;
          else failing.set(form.name, { n: 1, first: problem });
        }
      }
      total += data.cases.length;
      passed.set(fam, `${pass}/${data.cases.length}`);
      const summary = [...failing].map(([name, g]) => `${name}: ${g.n} of ${data.forms.find((f) => f.name === name)!.count} fail, e.g. ${g.first}`);
      expect(summary, `${fam}: ${data.cases.length - pass} of ${data.cases.length} cases in ${failing.size} forms differ`).toEqual([]);
    });
  }

  it('holds at least 20,000 x87 vectors in 7 families', () => {
    // Runs last: also prints how many cases of each family pass.
    console.log(`x87 vectors passing: ${[...passed].map(([f, p]) => `${f} ${p}`).join(', ')}`);
    expect(files.length).toBe(7);
    expect(total).toBeGreaterThanOrEqual(20_000);
  });
});
