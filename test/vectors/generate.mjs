#!/usr/bin/env node
// Generates IA-32 instruction test vectors by running random instances of every instruction form on the
// REAL host CPU (test/vectors/oracle.c, ptrace single-step), and writes test/vectors/data/<family>.json.
// Deterministic for a given seed and CPU. Usage: npm run vectors [-- family ...]
//
// Every case is also checked against a small reference model of the documented (Intel SDM) semantics
// (forms.mjs). Any difference outside the officially undefined flags aborts the run: the data would
// then disagree with the SDM (or the generator has a bug), and an interpreter could not match it.
//
// The x87 families (x87-forms.mjs: x87arith, x87load, ...) also record the FPU state before and after. They
// have no reference model: generate.mjs checks invariants only (x87-forms.mjs, checkX87), and the
// interpreter test test/ia32/x87-vectors.test.ts is the comparison. They are written gzipped
// (data/<family>.json.gz), which also keeps them out of the integer test's data/*.json.
//
// Written from scratch for l4trace (MIT).
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE, FAMILIES, FLAGS, FORMS, Rng, generateForm, hashSeed } from './forms.mjs';
import { STATUS, buildOracle, cpuModel, optsFor, runOracle } from './oracle.mjs';
import { X87_FAMILIES, X87_FORMS, checkX87, fpuRecord, fuOf, generateX87Form, uOf } from './x87-forms.mjs';

export const SEED = 0x1a32c0de;
const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, 'data');
const FAULT_STATUS = { DE: 1, UD: 2, GP: 3 };
const hexBytes = (b) => b.map((x) => x.toString(16).padStart(2, '0')).join('');

function main() {
  const want = process.argv.slice(2);
  const all = [...FAMILIES, ...X87_FAMILIES];
  for (const f of want) if (!all.includes(f)) { process.stderr.write(`vectors: unknown family ${f} (one of ${all.join(' ')})\n`); process.exit(1); }
  const families = want.length ? want : all;
  const t0 = Date.now();
  const { bin, cleanup } = buildOracle();
  const cpu = cpuModel();
  mkdirSync(DATA, { recursive: true });
  let total = 0, bad = 0, bytesTotal = 0, oracleMs = 0;
  const summary = [];
  try {
    for (const fam of families) {
      if (X87_FAMILIES.includes(fam)) {
        const t1 = Date.now();
        const s = x87Family(fam, bin, cpu);
        oracleMs += s.oracleMs;
        bad += s.bad; total += s.cases; bytesTotal += s.bytes;
        summary.push(s);
        process.stdout.write(`${fam.padEnd(11)} ${String(s.forms).padStart(4)} forms ${String(s.cases).padStart(6)} cases ${(s.bytes / 1024).toFixed(0).padStart(6)} KiB`
          + ` (${(s.json / 1024).toFixed(0)} KiB of JSON; ${s.faults} #MF; ${((Date.now() - t1) / 1000).toFixed(1)} s)\n`);
        continue;
      }
      const rng = new Rng(hashSeed(SEED, fam));
      const cases = [], formList = [];
      for (const form of FORMS.filter((f) => f.fam === fam)) {
        const cs = generateForm(form, rng);
        formList.push({ name: form.name, enc: form.enc, size: form.size, variant: form.variant ?? null, start: cases.length, count: cs.length });
        cases.push(...cs);
      }
      for (const c of cases) {
        const o = optsFor(c.bytes);
        if (o !== c.opts) throw new Error(`${c.form.name}: oracle options ${o} != ${c.opts}`);
      }
      const t1 = Date.now();
      const results = runOracle(bin, cases);
      oracleMs += Date.now() - t1;
      const lines = [];
      const faults = new Map();
      const problems = [];
      cases.forEach((c, k) => {
        const res = results[k];
        const msgs = verify(c, res);
        if (msgs.length) problems.push(`${c.form.name} b=${hexBytes(c.bytes)} r=[${[...c.regs].map((v) => v.toString(16))}] f=${c.flags.toString(16)} s=${c.seed}: ${msgs.join('; ')}`);
        if (c.fault) faults.set(c.form.name, (faults.get(c.form.name) ?? 0) + 1);
        lines.push(caseJson(c, res));
      });
      if (problems.length) {
        bad += problems.length;
        process.stderr.write(`${fam}: ${problems.length} case(s) differ from the reference model:\n`);
        for (const p of problems.slice(0, 25)) process.stderr.write(`  ${p}\n`);
      }
      const json = `{"family":${JSON.stringify(fam)},"cpu":${JSON.stringify(cpu)},"generator":"test/vectors/generate.mjs","seed":${SEED},\n`
        + `"forms":[\n${formList.map((f) => JSON.stringify(f)).join(',\n')}\n],\n`
        + `"cases":[\n${lines.join(',\n')}\n]}\n`;
      writeFileSync(join(DATA, `${fam}.json`), json);
      total += cases.length; bytesTotal += json.length;
      summary.push({ fam, forms: formList.length, cases: cases.length, faults: [...faults.values()].reduce((a, b) => a + b, 0), bytes: json.length, formList });
      process.stdout.write(`${fam.padEnd(11)} ${String(formList.length).padStart(4)} forms ${String(cases.length).padStart(6)} cases ${(json.length / 1024).toFixed(0).padStart(6)} KiB\n`);
    }
  } finally {
    cleanup();
  }
  if (!want.length) writeFileSync(join(DATA, 'FORMS.md'), formsMarkdown(summary, cpu));
  process.stdout.write(`total       ${String(summary.reduce((a, s) => a + s.forms, 0)).padStart(4)} forms ${String(total).padStart(6)} cases ${(bytesTotal / 1024).toFixed(0).padStart(6)} KiB`
    + ` on "${cpu}" in ${((Date.now() - t0) / 1000).toFixed(1)} s (oracle ${(oracleMs / 1000).toFixed(1)} s)\n`);
  if (bad) {
    process.stderr.write(`vectors: ${bad} case(s) disagree with the reference model (see above); the data files were written anyway\n`);
    process.exit(1);
  }
}

/** Compares the CPU's result with the expectation (fault kind, or the model's state outside the undefined flags). */
function verify(c, res) {
  const m = [];
  if (c.fault) {
    if (res.status !== FAULT_STATUS[c.fault]) m.push(`expected ${c.fault}, got status ${STATUS[res.status] || 'ok'} (${res.detail})`);
    for (let i = 0; i < 8; i++) if (res.regs[i] !== c.regs[i]) m.push(`fault changed reg ${i}`);
    if (res.eip !== CODE) m.push(`fault eip ${res.eip.toString(16)}`);
    for (let i = 0; i < 256; i++) if (res.mem[i] !== c.mem[i]) { m.push('fault changed memory'); break; }
    return m;
  }
  if (res.status !== 0) return [`unexpected fault ${STATUS[res.status]} (detail ${res.detail.toString(16)})`];
  const S = c.expect;
  for (let i = 0; i < 8; i++) if (res.regs[i] !== S.regs[i]) m.push(`reg ${i}: cpu ${res.regs[i].toString(16)} model ${S.regs[i].toString(16)}`);
  if (res.eip !== S.eip) m.push(`eip: cpu ${res.eip.toString(16)} model ${S.eip.toString(16)}`);
  const def = FLAGS & ~c.u;
  if ((res.eflags & def) !== (S.flags & def)) m.push(`flags: cpu ${(res.eflags & FLAGS).toString(16)} model ${(S.flags & FLAGS).toString(16)} (undefined ${c.u.toString(16)})`);
  for (let i = 0; i < 256; i++) if (res.mem[i] !== S.mem[i]) { m.push(`mem[${i}]: cpu ${res.mem[i]} model ${S.mem[i]}`); break; }
  return m;
}

/** Generates, runs, checks and writes one x87 family (data/<fam>.json.gz). */
function x87Family(fam, bin, cpu) {
  const rng = new Rng(hashSeed(SEED, fam));
  const cases = [], formList = [];
  for (const form of X87_FORMS.filter((f) => f.fam === fam)) {
    const cs = generateX87Form(form, rng);
    formList.push({ name: form.name, enc: form.enc, size: form.size, variant: form.variant ?? null, start: cases.length, count: cs.length });
    cases.push(...cs);
  }
  for (const c of cases) if (optsFor(c.bytes) !== c.opts) throw new Error(`${c.form.name}: oracle options ${optsFor(c.bytes)} != ${c.opts}`);
  const t1 = Date.now();
  const results = runOracle(bin, cases);
  const oracleMs = Date.now() - t1;
  const problems = [], lines = [];
  let faults = 0;
  cases.forEach((c, k) => {
    const res = results[k];
    const msgs = checkX87(c, res);
    if (msgs.length) problems.push(`${c.form.name} b=${hexBytes(c.bytes)} fi=${JSON.stringify(c.fi)}: ${msgs.join('; ')}`);
    if (res.status === 5) faults++;
    lines.push(x87CaseJson(c, res));
  });
  if (problems.length) {
    process.stderr.write(`${fam}: ${problems.length} case(s) break an x87 invariant:\n`);
    for (const p of problems.slice(0, 25)) process.stderr.write(`  ${p}\n`);
  }
  const json = `{"family":${JSON.stringify(fam)},"cpu":${JSON.stringify(cpu)},"generator":"test/vectors/generate.mjs","seed":${SEED},\n`
    + `"forms":[\n${formList.map((f) => JSON.stringify(f)).join(',\n')}\n],\n`
    + `"cases":[\n${lines.join(',\n')}\n]}\n`;
  // mtime 0 and a fixed level: the same data gives the same bytes.
  const gz = gzipSync(json, { level: 9 });
  writeFileSync(join(DATA, `${fam}.json.gz`), gz);
  return { fam, forms: formList.length, cases: cases.length, faults, bytes: gz.length, json: json.length, formList, oracleMs, bad: problems.length };
}

/** An x87 case: the integer record plus p (memory patches), fi/fo (FPU before/after), fu and mu. */
function x87CaseJson(c, res) {
  const r = [...c.regs];
  const f = c.flags & FLAGS;
  const p = JSON.stringify(c.patches.map(([off, b]) => [off, hexBytes(b)]));
  const fi = JSON.stringify(c.fi);
  const fo = JSON.stringify(fpuRecord(res.fpu));
  if (res.status !== 0) {
    const x = STATUS[res.status] === 'OTHER' ? `SIG${res.detail & 0xff}` : STATUS[res.status];
    return `{"b":"${hexBytes(c.bytes)}","r":[${r}],"f":${f},"s":${c.seed},"p":${p},"R":[${r}],"F":${f},"e":${CODE},"m":[],"u":0,"x":"${x}","fi":${fi},"fo":${fo},"fu":0,"mu":[]}`;
  }
  const mem = [];
  for (let i = 0; i < 256; i++) if (res.mem[i] !== c.mem[i]) mem.push(`[${i},${res.mem[i]}]`);
  return `{"b":"${hexBytes(c.bytes)}","r":[${r}],"f":${f},"s":${c.seed},"p":${p},"R":[${res.regs}],"F":${res.eflags & FLAGS},"e":${res.eip},"m":[${mem}],"u":${uOf(c, res)},"x":null,`
    + `"fi":${fi},"fo":${fo},"fu":${fuOf(c, res)},"mu":${JSON.stringify(c.mu)}}`;
}

function caseJson(c, res) {
  const r = [...c.regs];
  const f = c.flags & FLAGS;
  if (res.status !== 0) {
    const x = STATUS[res.status] === 'OTHER' ? `SIG${res.detail & 0xff}` : STATUS[res.status];
    return `{"b":"${hexBytes(c.bytes)}","r":[${r}],"f":${f},"s":${c.seed},"R":[${r}],"F":${f},"e":${CODE},"m":[],"u":0,"x":"${x}"}`;
  }
  const mem = [];
  for (let i = 0; i < 256; i++) if (res.mem[i] !== c.mem[i]) mem.push(`[${i},${res.mem[i]}]`);
  return `{"b":"${hexBytes(c.bytes)}","r":[${r}],"f":${f},"s":${c.seed},"R":[${res.regs}],"F":${res.eflags & FLAGS},"e":${res.eip},"m":[${mem}],"u":${c.u},"x":null}`;
}

function formsMarkdown(summary, cpu) {
  const out = ['# Instruction forms covered by the test vectors', '',
    `Generated by test/vectors/generate.mjs (seed ${SEED}) on "${cpu}". One row per form; "reg"/"mem" is the`,
    'ModRM r/m operand kind. "start" is the index of the form\'s first case in data/<family>.json (the same list is',
    'in the "forms" array of each file). Encodings: /r = ModRM with a register operand, /n = ModRM with opcode',
    'extension n, ib/iw/id = immediate byte/word/dword, cb/cd = relative displacement byte/dword.', ''];
  out.push('The x87 families (x87arith ... x87trans, in data/<family>.json.gz) come last. Their encodings are the SDM\'s:',
    '"D8 C0+i" is a register form with ST(i) in the last byte; "size" is the memory operand in bits (80 for the',
    'register forms: the register width).', '');
  for (const s of summary) {
    out.push(`## ${s.fam} (${s.forms} forms, ${s.cases} cases)`, '', '| form | encoding | size | r/m | cases | start |', '|---|---|---|---|---|---|');
    for (const f of s.formList) out.push(`| ${f.name.replace(/ \[.*$/, '')} | ${f.enc} | ${f.size} | ${f.variant ?? ''} | ${f.count} | ${f.start} |`);
    out.push('');
  }
  return out.join('\n');
}

main();
