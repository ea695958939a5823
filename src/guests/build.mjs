#!/usr/bin/env node
// Builds the guest programs (static i386 ELF files) and records what they do natively.
//
//   npm run guests            (= node src/guests/build.mjs)
//
// Needs gcc able to compile -m32 (Debian: apt-get install gcc-multilib) and, for the function
// counts, gdb. Outputs: src/guests/bin/* and bin/BUILDINFO.json, src/guests/expected/*.json.
// The ELF files are committed; tests use them and need no compiler. See README.md.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // src/guests
const BIN = path.join(HERE, 'bin');
const EXPECTED = path.join(HERE, 'expected');

// Flags shared by the C library and every program.
const COMMON_FLAGS = [
  '-m32',
  '-march=i686',
  '-static',
  '-nostdlib',
  '-fno-pic',
  '-no-pie',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-mgeneral-regs-only',
  '-fcf-protection=none',
  '-Wl,--build-id=none',
  '-Wl,-z,noexecstack',
];
const WARN_FLAGS = ['-Wall', '-Wextra'];
const INCLUDE_FLAGS = ['-Iinclude'];
// The C library: always -O2, never instrumented. Without loop distribution gcc would turn the
// loops of memset-like functions into calls to memset itself.
const LIBC_FLAGS = ['-O2', '-fno-tree-loop-distribute-patterns'];
// Programs: instrumented; the optimisation level is per binary.
const PROGRAM_FLAGS = ['-finstrument-functions'];

const LIBC_SOURCES = [
  'cyg_profile.c',
  'divdi3.c',
  'malloc.c',
  'signal.c',
  'start.c',
  'stdio.c',
  'string.c',
  'syscalls.c',
];
// Everything but start.o goes into libc.a; start.o is linked first, like crt1.o.
const LIBC_ARCHIVE_MEMBERS = LIBC_SOURCES.filter((s) => s !== 'start.c').map((s) =>
  s.replace(/\.c$/, '.o'),
);

const COMPUTE = ['rec', 'strings', 'sort', 'int64', 'switch', 'fnptr'];

// args: the arguments after argv[0]; argv[0] is always the binary's name (as l4trace passes it).
// signal: the program is expected to die natively with this signal (the fault guests).
/** @type {{name: string, source: string, opt: string, kind: 'linux'|'l4', args?: string[], signal?: string}[]} */
const BINARIES = [
  { name: 'hello', source: 'hello.c', opt: '-O2', kind: 'linux', args: ['a', 'bc'] },
  ...COMPUTE.flatMap((p) =>
    ['-O0', '-O2'].map((opt) => ({
      name: `${p}${opt}`,
      source: `${p}.c`,
      opt,
      kind: /** @type {const} */ ('linux'),
      args: [],
    })),
  ),
  { name: 'pingpong', source: 'pingpong.c', opt: '-O2', kind: 'l4' },
  ...[
    ['ud2', 'SIGILL'],
    ['div0', 'SIGFPE'],
    ['writetext', 'SIGSEGV'],
    ['null', 'SIGSEGV'],
  ].map(([mode, signal]) => ({ name: `faults-${mode}`, source: 'faults.c', opt: '-O2', kind: /** @type {const} */ ('linux'), args: [mode], signal })),
];

function fail(message) {
  console.error(`guests: ${message}`);
  process.exit(1);
}

function warn(message) {
  console.error(`guests: warning: ${message}`);
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

function must(cmd, args, opts = {}) {
  const r = run(cmd, args, { cwd: HERE, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    fail(`${cmd} ${args.join(' ')} failed (exit ${r.status})${out ? `:\n${out}` : ''}`);
  }
  const diag = (r.stderr ?? '').trim();
  if (diag) console.error(diag);
  return r;
}

function have(cmd, args = ['--version']) {
  const r = run(cmd, args);
  return !r.error && r.status === 0;
}

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

// ---- ELF32 symbol table (to check the hooks and entry points are there) ----

function elfSymbols(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 1 || b[5] !== 1) throw new Error('not ELF32 LE');
  const shoff = b.readUInt32LE(0x20);
  const shentsize = b.readUInt16LE(0x2e);
  const shnum = b.readUInt16LE(0x30);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: b.readUInt32LE(o + 4),
      offset: b.readUInt32LE(o + 16),
      size: b.readUInt32LE(o + 20),
      link: b.readUInt32LE(o + 24),
      entsize: b.readUInt32LE(o + 36),
    });
  }
  const symbols = new Map();
  for (const s of sections) {
    if (s.type !== 2) continue; // SHT_SYMTAB
    const strtab = sections[s.link];
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += s.entsize || 16) {
      const nameOff = b.readUInt32LE(o);
      const value = b.readUInt32LE(o + 4);
      let end = strtab.offset + nameOff;
      while (b[end] !== 0) end++;
      const name = b.toString('latin1', strtab.offset + nameOff, end);
      if (name && (b[o + 12] & 0xf) === 2) symbols.set(name, value); // STT_FUNC
    }
  }
  return { entry: b.readUInt32LE(0x18), symbols };
}

// ---- native runs ----

function nativeDescription() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown cpu';
  return `${os.machine()} ${cpu}`;
}

const HAVE_SETARCH = have('setarch', ['-R', 'true']);

/** Runs argv (argv[0] becomes the program's argv[0]) with an empty environment, ASLR off. */
function runNative(file, argv, expectSignal) {
  // env -i: empty environment; bash's exec -c -a: keep it empty and set argv[0].
  const inner = ['env', '-i', '/bin/bash', '-c', 'exec -c -a "$0" "$@"', argv[0], file, ...argv.slice(1)];
  const [cmd, args] = HAVE_SETARCH ? ['setarch', ['-R', ...inner]] : [inner[0], inner.slice(1)];
  const r = run(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.error) fail(`running ${path.basename(file)}: ${r.error.message}`);
  if (r.signal && r.signal !== expectSignal) fail(`${path.basename(file)} was killed by ${r.signal}`);
  if (expectSignal && r.signal !== expectSignal) fail(`${path.basename(file)} was expected to die with ${expectSignal}`);
  // A process killed by signal n is reported as 128 + n, as a shell does.
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.signal ? 128 + os.constants.signals[r.signal] : r.status, signal: r.signal ?? null };
}

/** Counts the hook calls with gdb (breakpoints with huge ignore counts). */
function countHooks(file, argv) {
  const quoted = argv
    .slice(1)
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const gdbArgs = [
    '-batch',
    '-nx',
    '-ex', 'set startup-with-shell on',
    '-ex', 'set exec-wrapper env -i',
    '-ex', 'set disable-randomization on',
    '-ex', 'set pagination off',
    '-ex', 'break __cyg_profile_func_enter',
    '-ex', 'break __cyg_profile_func_exit',
    '-ex', 'ignore 1 1000000000',
    '-ex', 'ignore 2 1000000000',
    '-ex', `run ${quoted} > /dev/null`,
    '-ex', 'info breakpoints',
    file,
  ];
  return new Promise((resolve) => {
    const child = spawn('gdb', gdbArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => resolve({ error: e.message }));
    child.on('close', () => {
      const counts = { enter: 0, exit: 0 };
      let current = null;
      let sawTable = false;
      for (const line of out.split('\n')) {
        const bp = /^\d+\s+breakpoint\s+\S+\s+\S+\s+\S+\s+<__cyg_profile_func_(enter|exit)\b/.exec(line);
        if (bp) {
          current = bp[1];
          sawTable = true;
          continue;
        }
        if (/^\d+\s+/.test(line)) current = null;
        const hit = /breakpoint already hit (\d+) times?/.exec(line);
        if (hit && current) counts[current] = Number(hit[1]); // no such line: 0 hits
      }
      const exited = /\[Inferior 1 \(process \d+\) exited (normally|with code (\d+))\]/.exec(out);
      if (!sawTable || !exited) {
        resolve({ error: `unexpected gdb output:\n${out.trim().split('\n').slice(-12).join('\n')}` });
        return;
      }
      const exitCode = exited[1] === 'normally' ? 0 : parseInt(exited[2], 8);
      resolve({ enter: counts.enter, exit: counts.exit, exitCode });
    });
  });
}

async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---- main ----

async function main() {
  const started = Date.now();

  // 1. the compiler
  if (!have('gcc')) fail('gcc not found; apt-get install gcc gcc-multilib');
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'l4trace-guests-probe-'));
  try {
    const probe = path.join(probeDir, 'probe.c');
    fs.writeFileSync(probe, 'void _start(void) { for (;;) {} }\n');
    const r = run('gcc', [...COMMON_FLAGS, '-o', path.join(probeDir, 'probe'), probe]);
    if (r.error || r.status !== 0) fail('gcc -m32 does not work here; apt-get install gcc-multilib');
  } finally {
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
  const gccVersion = run('gcc', ['--version']).stdout.split('\n')[0].trim();
  const ldVersion = (run('ld', ['--version']).stdout ?? '').split('\n')[0].trim();

  // 2. the C library, into a temporary directory
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'l4trace-guests-'));
  try {
    for (const src of LIBC_SOURCES) {
      must('gcc', [
        ...COMMON_FLAGS,
        ...LIBC_FLAGS,
        ...WARN_FLAGS,
        ...INCLUDE_FLAGS,
        '-c',
        `libc/${src}`,
        '-o',
        path.join(tmp, src.replace(/\.c$/, '.o')),
      ]);
    }
    const archive = path.join(tmp, 'libc.a');
    must('ar', ['rcD', archive, ...LIBC_ARCHIVE_MEMBERS], { cwd: tmp });
    const startObj = path.join(tmp, 'start.o');
    const hooksObj = path.join(tmp, 'cyg_profile.o');

    // 3. the programs
    fs.mkdirSync(BIN, { recursive: true });
    fs.mkdirSync(EXPECTED, { recursive: true });
    for (const b of BINARIES) {
      const obj = path.join(tmp, `${b.name}.o`);
      must('gcc', [
        ...COMMON_FLAGS,
        b.opt,
        ...PROGRAM_FLAGS,
        ...WARN_FLAGS,
        ...INCLUDE_FLAGS,
        '-c',
        `programs/${b.source}`,
        '-o',
        obj,
      ]);
      const out = path.join(BIN, b.name);
      // L4 guests bring their own _start and use no C library, only the hooks.
      const inputs = b.kind === 'linux' ? [startObj, obj, archive] : [obj, hooksObj];
      must('gcc', [...COMMON_FLAGS, b.opt, '-o', out, ...inputs]);
      fs.chmodSync(out, 0o755);

      const { entry, symbols } = elfSymbols(out);
      const enter = symbols.get('__cyg_profile_func_enter');
      const exit = symbols.get('__cyg_profile_func_exit');
      if (enter === undefined || exit === undefined || enter === exit)
        fail(`${b.name}: the hooks are missing from .symtab or share an address`);
      if (symbols.get('_start') !== entry) fail(`${b.name}: the entry point is not _start`);
      if (b.kind === 'l4' && symbols.get('pong_entry') === undefined) fail(`${b.name}: no pong_entry`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // 4. BUILDINFO.json
  const buildinfo = {
    gcc: gccVersion,
    ld: ldVersion,
    flags: {
      common: COMMON_FLAGS,
      libc: [...LIBC_FLAGS, ...INCLUDE_FLAGS],
      programs: [...PROGRAM_FLAGS, ...INCLUDE_FLAGS],
      warnings: WARN_FLAGS,
      link: {
        linux: 'start.o <program>.o libc.a',
        l4: '<program>.o cyg_profile.o',
      },
    },
    binaries: Object.fromEntries(
      BINARIES.map((b) => {
        const file = path.join(BIN, b.name);
        return [
          b.name,
          {
            source: `programs/${b.source}`,
            opt: b.opt,
            kind: b.kind,
            size: fs.statSync(file).size,
            sha256: sha256(file),
          },
        ];
      }),
    ),
  };
  writeJson(path.join(BIN, 'BUILDINFO.json'), buildinfo);

  // 5. native runs and hook counts
  const linux = BINARIES.filter((b) => b.kind === 'linux');
  const haveGdb = have('gdb');
  if (!HAVE_SETARCH) warn('setarch -R does not work here; native runs keep ASLR on');
  if (!haveGdb) warn('gdb not found; keeping the function counts of the existing expected files');
  const native = nativeDescription();
  const jobs = Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) | 0);

  const results = await mapLimit(linux, jobs, async (b) => {
    const file = path.join(BIN, b.name);
    const t0 = Date.now();
    const argv = [b.name, ...b.args];
    const r = runNative(file, argv, b.signal);
    if (r.stderr) warn(`${b.name} wrote to stderr: ${r.stderr.trim()}`);
    let funcEnter = null;
    let funcExit = null;
    const expectedFile = path.join(EXPECTED, `${b.name}.json`);
    if (haveGdb && !b.signal) {
      const c = await countHooks(file, argv);
      if (c.error) fail(`${b.name}: gdb: ${c.error}`);
      if (c.exitCode !== r.exitCode)
        fail(`${b.name}: exit code ${c.exitCode} under gdb, ${r.exitCode} natively`);
      funcEnter = c.enter;
      funcExit = c.exit;
    } else {
      const old = readJson(expectedFile);
      funcEnter = old?.funcEnter ?? null;
      funcExit = old?.funcExit ?? null;
    }
    writeJson(expectedFile, {
      args: b.args,
      stdout: r.stdout,
      exitCode: r.exitCode,
      ...(r.signal ? { signal: r.signal } : {}),
      funcEnter,
      funcExit,
      native,
    });
    return { b, ...r, funcEnter, funcExit, seconds: (Date.now() - t0) / 1000 };
  });

  // 6. summary
  const rows = BINARIES.map((b) => {
    const info = buildinfo.binaries[b.name];
    const r = results.find((x) => x.b === b);
    return {
      binary: b.name,
      size: String(info.size),
      exit: r ? String(r.exitCode) : '-',
      lines: r ? String(r.stdout.split('\n').length - 1) : '-',
      funcEnter: r ? String(r.funcEnter ?? '?') : '-',
      funcExit: r ? String(r.funcExit ?? '?') : '-',
      sha256: info.sha256.slice(0, 12),
    };
  });
  const cols = Object.keys(rows[0]);
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => r[c].length))]));
  const fmt = (r) => cols.map((c) => (c === 'binary' || c === 'sha256' ? r[c].padEnd(width[c]) : r[c].padStart(width[c]))).join('  ');
  console.log(`${gccVersion}`);
  console.log(fmt(Object.fromEntries(cols.map((c) => [c, c]))));
  for (const r of rows) console.log(fmt(r));

  let problems = 0;
  for (const r of results) {
    if (r.exitCode !== 0) {
      warn(`${r.b.name} exited with ${r.exitCode}`);
      problems++;
    }
    if (r.funcEnter !== null && r.funcEnter !== r.funcExit)
      warn(`${r.b.name}: ${r.funcEnter} enters but ${r.funcExit} exits`);
  }
  for (const p of COMPUTE) {
    const o0 = results.find((r) => r.b.name === `${p}-O0`);
    const o2 = results.find((r) => r.b.name === `${p}-O2`);
    if (o0.stdout !== o2.stdout) {
      warn(`${p}: -O0 and -O2 print different output`);
      problems++;
    }
    if (o0.funcEnter !== o2.funcEnter || o0.funcExit !== o2.funcExit)
      console.log(`note: ${p}: function counts differ between -O0 and -O2 (${o0.funcEnter}/${o2.funcEnter})`);
  }
  console.log(
    `${BINARIES.length} binaries in ${path.relative(process.cwd(), BIN) || '.'}, ` +
      `${results.length} expected files in ${path.relative(process.cwd(), EXPECTED) || '.'} ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (problems) process.exit(1);
}

main().catch((e) => fail(e.stack ?? String(e)));
