/**
 * The x87 arithmetic core (src/ia32/x87/float80.ts) against the host CPU's x87: random and edge-case
 * operands for every operation, rounding and precision control and exception mask, run through
 * test/vectors/f80-oracle.c (built with gcc) and through the model, compared bit for bit (result
 * images, exception flags, C1 and the condition codes the instruction defines). A fixed table of host
 * answers (test/vectors/data/f80-core.json) runs without gcc; F80_WRITE_VECTORS=1 rewrites it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EDGE_CASES, Gen, OP, canonical, makeCases, prng, simulate } from './float80-cases.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SOURCE = join(ROOT, 'test/vectors/f80-oracle.c');
const TABLE = join(ROOT, 'test/vectors/data/f80-core.json');
const SEED = 0x80f80;
const PER_OP = Number(process.env.F80_CASES ?? 2500);

function haveGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return process.arch === 'x64';
  } catch {
    return false;
  }
}

const gcc = haveGcc();
let dir = '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function oracle(lines: string[]): string[] {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'f80-oracle-'));
    execFileSync('gcc', ['-O1', '-o', join(dir, 'oracle'), SOURCE]);
  }
  const r = spawnSync(join(dir, 'oracle'), [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28 });
  const out = r.stdout.toString().trim().split('\n');
  expect(out.length).toBe(lines.length);
  return out;
}

/**
 * Compares model and host answers; returns the mismatches (at most a few, for the message). The
 * arithmetic runs three times: into a separate result, and with the result aliasing either operand.
 */
function mismatches(inputs: string[], answers: string[]): string[] {
  const bad: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const want = canonical(answers[i]!, inputs[i]!);
    for (const alias of [0, 1, 2]) {
      const got = canonical(simulate(inputs[i]!, alias), inputs[i]!);
      if (want !== got && bad.length < 8) bad.push(`${inputs[i]} (alias ${alias})\n  host  ${want}\n  model ${got}`);
    }
  }
  return bad;
}

describe('x87 float80 core', () => {
  it('matches the committed host answers (test/vectors/data/f80-core.json)', () => {
    const table = JSON.parse(readFileSync(TABLE, 'utf8')) as { cases: [string, string][] };
    const bad = mismatches(table.cases.map((c) => c[0]), table.cases.map((c) => c[1]));
    expect(bad.join('\n')).toBe('');
    expect(table.cases.length).toBeGreaterThan(100);
  });

  it.skipIf(!gcc)('hand-picked edge cases match the host x87', () => {
    const bad = mismatches(EDGE_CASES, oracle(EDGE_CASES));
    expect(bad.join('\n')).toBe('');
    if (process.env.F80_WRITE_VECTORS) collect(EDGE_CASES, oracle(EDGE_CASES), EDGE_CASES.length);
  });

  // gcc and an x86-64 host are needed to ask the CPU itself.
  for (const [name, op] of Object.entries(OP)) {
    it.skipIf(!gcc)(`${name} matches the host x87 bit for bit`, () => {
      const g = new Gen(prng(SEED ^ (op * 0x9e3779b9)));
      const inputs = makeCases(g, op, PER_OP);
      const answers = oracle(inputs);
      const bad = mismatches(inputs, answers);
      expect(bad.join('\n')).toBe('');
      if (process.env.F80_WRITE_VECTORS) collect(inputs, answers);
    });
  }
});

const keep: [string, string][] = [];
const PER_OP_KEPT = 12;
/** F80_WRITE_VECTORS=1: the first cases of every operation plus the edge cases become the fixed table. */
function collect(inputs: string[], answers: string[], n = PER_OP_KEPT): void {
  for (let i = 0; i < inputs.length && i < n; i++) keep.push([inputs[i]!, answers[i]!]);
  if (keep.length >= PER_OP_KEPT * Object.keys(OP).length + EDGE_CASES.length) {
    const doc = { note: 'Host x87 answers (AMD EPYC) for test/ia32/float80.test.ts; see test/vectors/f80-oracle.c for the format.', cases: keep };
    writeFileSync(TABLE, JSON.stringify(doc, null, 0).replace(/\],\[/g, '],\n['));
  }
}
