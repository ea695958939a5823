#!/usr/bin/env node
// Self-check of the host-CPU oracle: re-runs random committed vectors (default 200) through a freshly built
// oracle and confirms the results are identical. On the CPU the data was generated on, everything must
// match, including the officially undefined flag bits; on another CPU only the defined state is compared.
// Usage: node test/vectors/check-oracle.mjs [count] [seed]
//
// Written from scratch for l4trace (MIT).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE, FLAGS, Rng } from './forms.mjs';
import { STATUS, buildOracle, cpuModel, optsFor, runOracle } from './oracle.mjs';
import { scratchBytes } from './scratch.mjs';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');
const count = Number(process.argv[2] ?? 200);
const seed = Number(process.argv[3] ?? (Date.now() >>> 0));
const rng = new Rng(seed);

const all = [];
let dataCpu = null;
for (const file of readdirSync(DATA).filter((f) => f.endsWith('.json') && !f.startsWith('f80-')).sort()) {
  const d = JSON.parse(readFileSync(join(DATA, file), 'utf8'));
  dataCpu ??= d.cpu;
  for (const c of d.cases) all.push({ fam: d.family, c });
}
if (!all.length) { console.error('check-oracle: no data in test/vectors/data (run npm run vectors)'); process.exit(1); }
const cpu = cpuModel();
const sameCpu = cpu === dataCpu;
const picked = Array.from({ length: count }, () => all[rng.int(all.length)]);
const inputs = picked.map(({ c }) => {
  const bytes = c.b.match(/../g).map((h) => parseInt(h, 16));
  return { bytes, regs: c.r, flags: c.f, mem: scratchBytes(c.s), opts: optsFor(bytes) };
});

const { bin, cleanup } = buildOracle();
let results;
try { results = runOracle(bin, inputs); } finally { cleanup(); }

let bad = 0;
picked.forEach(({ fam, c }, k) => {
  const r = results[k], inp = inputs[k];
  const x = r.status === 0 ? null : STATUS[r.status];
  const msgs = [];
  if (x !== c.x) msgs.push(`fault ${x} != ${c.x}`);
  else if (x === null) {
    for (let i = 0; i < 8; i++) if (r.regs[i] !== c.R[i]) msgs.push(`reg ${i} ${r.regs[i].toString(16)} != ${c.R[i].toString(16)}`);
    if (r.eip !== c.e) msgs.push(`eip ${r.eip.toString(16)} != ${c.e.toString(16)}`);
    const mask = sameCpu ? FLAGS : FLAGS & ~c.u;
    if ((r.eflags & mask) !== (c.F & mask)) msgs.push(`flags ${(r.eflags & FLAGS).toString(16)} != ${c.F.toString(16)}`);
    const mem = new Map(c.m.map(([o, v]) => [o, v]));
    for (let i = 0; i < 256; i++) if (r.mem[i] !== (mem.get(i) ?? inp.mem[i])) { msgs.push(`mem[${i}]`); break; }
  } else if (r.eip !== CODE) msgs.push('fault eip');
  if (msgs.length) { bad++; console.log(`MISMATCH ${fam} ${c.b}: ${msgs.join('; ')}`); }
});
console.log(`check-oracle: ${count - bad}/${count} cases identical (seed ${seed}; data from "${dataCpu}", this CPU "${cpu}"${sameCpu ? '' : ', defined state only'})`);
process.exit(bad ? 1 : 0);
