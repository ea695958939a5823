#!/usr/bin/env node
// Builds the guest programs (static i386 ELF files) and records what they do natively.
//
//   npm run guests            (= node src/guests/build.mjs)
//
// Needs gcc able to compile -m32 (Debian: apt-get install gcc-multilib), for the musl guests
// musl-dev:i386 (its i386-linux-musl-gcc wrapper) and, for the function counts, gdb.
// Outputs: src/guests/bin/* and bin/BUILDINFO.json, src/guests/expected/*.json.
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
// Programs that use floating point: the x87 only (the simulated CPU is an i686 without SSE).
const FPU_FLAGS = ['-mfpmath=387', '-mno-sse'];

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

// Guests built against a real C library, as a user builds an ordinary program (`cc -static`): not
// instrumented (no FUNC_ENTER/EXIT hooks; the interpreter's shadow stack follows CALL/RET), not
// stripped. Both toolchains use the same gcc as everything else (gcc -m32): glibc is Debian's
// libc6-dev-i386 (which gcc-multilib brings); musl is Debian's musl-dev:i386 through its
// i386-linux-musl-gcc wrapper with REALGCC=gcc (the wrapper's default, i686-linux-gnu-gcc, is a
// cross compiler that conflicts with gcc-multilib). The wrapper's link spec drops gcc's
// -m elf_i386, so it is passed again.
const LIBC_TOOLCHAINS = {
  glibc: {
    cc: 'gcc',
    env: {},
    flags: ['-m32'],
    package: 'libc6-dev-i386',
    hint: 'apt-get install gcc-multilib',
  },
  musl: {
    cc: 'i386-linux-musl-gcc',
    env: { REALGCC: 'gcc' },
    flags: ['-m32', '-Wl,-melf_i386'],
    package: 'musl-dev:i386',
    hint: 'dpkg --add-architecture i386 && apt-get update && apt-get install musl-dev:i386',
  },
};
// Fixed flags (the simulated CPU is an i686 with an x87 and no SSE; the libraries' own code picks
// its SSE variants by CPUID at run time). No -g, so no paths end up in the binaries; the prefix
// map covers __FILE__ all the same.
const LIBC_COMPILE_FLAGS = ['-march=i686', '-mfpmath=387', '-O2', '-fno-pie', `-ffile-prefix-map=${HERE}=.`];
const LIBC_LINK_FLAGS = ['-static', '-no-pie', '-Wl,--build-id=none'];
const LIBC_LIBS = ['-lm'];
// Each is built with both libraries, as glibc-<name> and musl-<name>, from programs/libc-<name>.c.
// cflags: extra flags for compiling and linking it (-pthread, as a user builds a threaded program:
// -D_REENTRANT, and the libpthread.a that glibc 2.34+ and musl keep empty for compatibility).
// racy: see BINARIES.
/** @type {{name: string, args: string[], cflags?: string[], racy?: boolean}[]} */
const LIBC_PROGRAMS = [
  // stdio formatting (doubles too), malloc (small and mmap'ed blocks), qsort/bsearch, strto*, strings, strerror
  { name: 'basics', args: [] },
  // files and directories in a fresh directory under /tmp (/tmp/l4trace-<argv[0]>), removed at the end
  { name: 'files', args: [] },
  // fork/vfork/waitpid, pipes, execve of /proc/self/exe, sigaction, signal(), the old signal call (48)
  { name: 'procs', args: [] },
  // mmap (anonymous, private file), munmap holes, mprotect faults, mremap, madvise, MAP_FIXED, sbrk
  { name: 'memory', args: [] },
  // POSIX threads: create/join/exit, mutexes, condition variables, TLS and keys, detach, semaphores,
  // once, barriers, rwlocks, thread ids, fork and exec from threads, signals and threads, exit_group
  // with threads blocked
  { name: 'threads', args: [], cflags: ['-pthread'] },
  // threads incrementing a plain counter without a lock: the final count varies from run to run
  { name: 'race', args: ['2', '200000'], cflags: ['-pthread'], racy: true },
  // two threads handing a turn back and forth with raw FUTEX_WAIT/FUTEX_WAKE, between markers 1 and 2
  { name: 'futexpp', args: ['1000'], cflags: ['-pthread'] },
];

// args: the arguments after argv[0]; argv[0] is always the binary's name (as l4trace passes it).
// stdin: text fed to the native run's stdin (default: stdin is /dev/null).
// exitCode: the exit status the program is expected to end with natively (default 0).
// signal: the program is expected to die natively with this signal (the fault guests).
// endsInExec: the program ends by exec'ing another guest, so its main never returns (one more
// funcEnter than funcExit).
// ldflags: extra link flags for this binary.
// asyncSignals: the program takes signals at host-dependent moments, so its function counts vary
// from run to run (none are recorded; its output does not vary).
// racy: the program's output and exit status vary from run to run (a deliberate data race between
// threads): the native run is recorded with "racy": true for information, tests do not compare it,
// any exit status of 0 or 1 is accepted, and an existing expected file is kept when only its stdout
// and exitCode would change (so rebuilding leaves it alone, as for an unchanged guest).
// cflags: extra compile and link flags of a glibc or musl guest (LIBC_PROGRAMS).
// toolchain: 'glibc' or 'musl': built against that C library (LIBC_TOOLCHAINS) instead of ours.
// plain: built without -finstrument-functions (no hooks: the shadow stack traces its calls).
// longjmp: the program longjmps past instrumented frames, whose exit hooks then never run (the tracer
// closes those frames itself, so the trace has more FUNC_EXIT events than gdb counts hook calls): the
// hook counts are recorded as hookCalls {enter, exit}, funcEnter/funcExit stay null.
// fpu: the program uses floating point (x87): compiled without -mgeneral-regs-only (the C library
// stays integer-only) and with -mfpmath=387 -mno-sse, as gcc -m32 -march=i686 does by default.
// Native runs use src/guests as the current directory, so guests exec each other as bin/<name>.
/** @type {{name: string, source: string, opt: string, kind: 'linux'|'l4', toolchain?: 'glibc'|'musl', args?: string[], stdin?: string, exitCode?: number, signal?: string, endsInExec?: boolean, ldflags?: string[], cflags?: string[], fpu?: boolean, asyncSignals?: boolean, racy?: boolean, plain?: boolean, longjmp?: boolean, debug?: boolean}[]} */
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
  // x87 floating point: float, double, long double, conversions, libm-style functions (fmath.h)
  ...['-O0', '-O2'].map((opt) => ({ name: `float${opt}`, source: 'float.c', opt, kind: /** @type {const} */ ('linux'), args: ['1000'], fpu: true })),
  // a float signal handler interrupting float code leaves it alone (the FPU state in the signal frame)
  { name: 'fpsignal', source: 'fpsignal.c', opt: '-O2', kind: 'linux', args: ['20000', '5'], fpu: true, asyncSignals: true },
  { name: 'pingpong', source: 'pingpong.c', opt: '-O2', kind: 'l4' },
  ...[
    ['ud2', 'SIGILL'],
    ['div0', 'SIGFPE'],
    ['writetext', 'SIGSEGV'],
    ['null', 'SIGSEGV'],
  ].map(([mode, signal]) => ({ name: `faults-${mode}`, source: 'faults.c', opt: '-O2', kind: /** @type {const} */ ('linux'), args: [mode], signal })),
  // processes, pipes, signals, exec (they exec each other as bin/<name>)
  { name: 'echo', source: 'echo.c', opt: '-O2', kind: 'linux', args: ['hello', 'from', 'echo'] },
  { name: 'upcase', source: 'upcase.c', opt: '-O2', kind: 'linux', args: [], stdin: 'Hello, World!\nthe quick brown fox jumps over the lazy dog 0123456789\n' },
  { name: 'wc', source: 'wc.c', opt: '-O2', kind: 'linux', args: [], stdin: 'one two  three\n\tfour\n\nfive six seven eight\nno newline at the end' },
  { name: 'forkwait', source: 'forkwait.c', opt: '-O2', kind: 'linux', args: [] },
  { name: 'pipes', source: 'pipes.c', opt: '-O2', kind: 'linux', args: [] },
  { name: 'signals', source: 'signals.c', opt: '-O2', kind: 'linux', args: [] },
  { name: 'exec', source: 'exec.c', opt: '-O2', kind: 'linux', args: [], endsInExec: true },
  {
    name: 'sh',
    source: 'sh.c',
    opt: '-O2',
    kind: 'linux',
    args: [],
    stdin:
      'echo hello world | upcase\n' +
      'echo a b c | wc\n' +
      'echo one two three | upcase | wc\n' +
      'hello x\n' +
      '\n' +
      'nosuch\n' +
      'faults-ud2 ud2\n' +
      'exit 3\n',
    exitCode: 3,
  },
  // with DWARF (-g changes no code): the replay debugging tests print its variables in gdb
  { name: 'sigrace', source: 'sigrace.c', opt: '-O2', kind: 'linux', args: ['3'], debug: true },
  { name: 'table2', source: 'table2.c', opt: '-O2', kind: 'linux', args: ['200', '5', '16', '4'] },
  // function-call-heavy traces for the analyzer (score, filter, load speed)
  { name: 'callheavy', source: 'callheavy.c', opt: '-O2', kind: 'linux', args: ['16'] },
  // stores that fault (copy-on-write after fork, a store into the text) are restartable
  { name: 'cowfault', source: 'cowfault.c', opt: '-O2', kind: 'linux', args: [] },
  // what a fault's signal handler is told (siginfo, sigcontext trapno/err/cr2)
  { name: 'sigfault', source: 'sigfault.c', opt: '-O2', kind: 'linux', args: [] },
  // memory: a 5 MiB heap (the server's memory grows), endless recursion (the 8 MiB stack limit)
  { name: 'bigmem', source: 'bigmem.c', opt: '-O2', kind: 'linux', args: ['5', '1'] },
  { name: 'recurse', source: 'recurse.c', opt: '-O2', kind: 'linux', args: [], signal: 'SIGSEGV' },
  // the auxiliary vector (AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_ENTRY)
  { name: 'auxv', source: 'auxv.c', opt: '-O2', kind: 'linux', args: [] },
  // self-modifying code in a writable and executable section
  { name: 'smc', source: 'smc.c', opt: '-O2', kind: 'linux', args: [], ldflags: ['-Wl,--no-warn-rwx-segments'] },
  // untrusted guests: a console flood (tests run it far longer than this) and a file grower, which
  // natively writes to /dev/null with a block limit (on a real file it would fill the host's disk;
  // the simulator's file system fills up instead: ENOSPC)
  { name: 'flood', source: 'flood.c', opt: '-O2', kind: 'linux', args: ['3', '16'] },
  { name: 'grow', source: 'grow.c', opt: '-O2', kind: 'linux', args: ['/dev/null', '4096', '4'] },
  // children left unreaped until fork fails (natively only a few: the host's limit is far away)
  { name: 'zombies', source: 'zombies.c', opt: '-O2', kind: 'linux', args: ['3'] },
  // children alive at once, each an L4 task holding kernel memory (the kmem scenario)
  { name: 'forkhold', source: 'forkhold.c', opt: '-O2', kind: 'linux', args: ['5'] },
  // TLS and the LDT: set_thread_area / get_thread_area / modify_ldt, FS / GS overrides, bad selectors
  { name: 'tls', source: 'tls.c', opt: '-O2', kind: 'linux', args: [] },
  // ---- call tracing without recompiling (src/ia32/shadow-stack.ts) ----
  // One source built twice: calltrace with the hooks (PROGRAM_FLAGS, as every guest), calltrace-plain
  // without them (plain: no -finstrument-functions), whose function events come from the interpreter's
  // shadow stack. test/ia32/calltrace.test.ts checks that both report the same calls per function;
  // the bench group `calls` times them (untraced, instrumented, calls).
  { name: 'calltrace', source: 'calltrace.c', opt: '-O2', kind: 'linux', args: [], longjmp: true },
  { name: 'calltrace-plain', source: 'calltrace.c', opt: '-O2', kind: 'linux', args: [], plain: true },
  // ---- end of call tracing ----
  // unmodified programs against real C libraries (glibc, musl)
  ...LIBC_PROGRAMS.flatMap((p) =>
    /** @type {const} */ (['glibc', 'musl']).map((toolchain) => ({
      name: `${toolchain}-${p.name}`,
      source: `libc-${p.name}.c`,
      opt: '-O2',
      kind: /** @type {const} */ ('linux'),
      toolchain,
      args: p.args,
      ...(p.cflags ? { cflags: p.cflags } : {}),
      ...(p.racy ? { racy: true } : {}),
    })),
  ),
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

/** The installed version of a Debian package, or null. */
function packageVersion(pkg) {
  const r = run('dpkg-query', ['-W', '-f', '${Version}', pkg]);
  return !r.error && r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/**
 * Checks that a C-library toolchain compiles and links a static program here. Returns the extra
 * flags it needs: on hosts without Debian's gcc-multilib package (it conflicts with the i686 cross
 * compiler), gcc -m32 finds no asm/ headers; gcc-multilib only adds the link
 * /usr/include/asm -> x86_64-linux-gnu/asm (the asm headers serve both word sizes), so the same link
 * in a temporary include directory, searched last, stands in for it. The binaries do not change.
 */
function probeToolchain(name, tc, tmp) {
  const dir = path.join(tmp, `probe-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, 'probe.c');
  fs.writeFileSync(src, '#include <errno.h>\n#include <stdio.h>\nint main(void) { printf("%d\\n", ENOENT); return 0; }\n');
  const attempt = (extra) =>
    run(tc.cc, [...tc.flags, ...extra, ...LIBC_COMPILE_FLAGS, ...LIBC_LINK_FLAGS, '-o', path.join(dir, 'probe'), src], {
      env: { ...process.env, ...tc.env },
    });
  let r = attempt([]);
  if (!r.error && r.status === 0) return [];
  const hostAsm = '/usr/include/x86_64-linux-gnu/asm';
  if (!r.error && /asm\/errno\.h/.test(r.stderr ?? '') && fs.existsSync(hostAsm)) {
    const inc = path.join(tmp, 'include-m32');
    fs.mkdirSync(inc, { recursive: true });
    if (!fs.existsSync(path.join(inc, 'asm'))) fs.symlinkSync(hostAsm, path.join(inc, 'asm'));
    const extra = ['-idirafter', inc];
    r = attempt(extra);
    if (!r.error && r.status === 0) return extra;
  }
  const why = r.error ? r.error.message : `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join('\n');
  fail(`the ${name} toolchain (${tc.cc} ${tc.flags.join(' ')} -static) does not work here; ${tc.hint}\n${why}`);
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
  const anyType = new Map(); // functions, objects and untyped symbols (musl's _start is untyped)
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
      if (name) anyType.set(name, value);
    }
  }
  return { entry: b.readUInt32LE(0x18), symbols, anyType };
}

// ---- native runs ----

function nativeDescription() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown cpu';
  return `${os.machine()} ${cpu}`;
}

const HAVE_SETARCH = have('setarch', ['-R', 'true']);

/**
 * Runs argv (argv[0] becomes the program's argv[0]) with an empty environment, ASLR off, no core
 * files, in src/guests (so bin/<name> names a guest), with stdin from stdinFile (a regular file)
 * or /dev/null.
 */
function runNative(file, argv, expectSignal, stdinFile) {
  // env -i: empty environment; bash's exec -c -a: keep it empty and set argv[0].
  const script = 'ulimit -c 0 2>/dev/null; exec -c -a "$0" "$@"';
  const inner = ['env', '-i', '/bin/bash', '-c', script, argv[0], file, ...argv.slice(1)];
  const [cmd, args] = HAVE_SETARCH ? ['setarch', ['-R', ...inner]] : [inner[0], inner.slice(1)];
  // A file, not a pipe: bash reads ~/.bashrc when its stdin is a socket (node's pipes are).
  const stdinFd = stdinFile ? fs.openSync(stdinFile, 'r') : 'ignore';
  let r;
  try {
    r = run(cmd, args, { cwd: HERE, stdio: [stdinFd, 'pipe', 'pipe'], timeout: 60_000 });
  } finally {
    if (typeof stdinFd === 'number') fs.closeSync(stdinFd);
  }
  if (r.error) fail(`running ${path.basename(file)}: ${r.error.message}`);
  if (r.signal && r.signal !== expectSignal) fail(`${path.basename(file)} was killed by ${r.signal}`);
  if (expectSignal && r.signal !== expectSignal) fail(`${path.basename(file)} was expected to die with ${expectSignal}`);
  // A process killed by signal n is reported as 128 + n, as a shell does.
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.signal ? 128 + os.constants.signals[r.signal] : r.status, signal: r.signal ?? null };
}

// The note in the expected file of a racy guest.
const RACY_NOTE = 'a deliberate data race: stdout and exitCode are those of one native run, vary from run to run and are not compared';

const shellQuote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;

// gdb's Python part: a breakpoint on each hook whose stop() counts the hit and never stops.
// A signal that arrives while gdb steps the inferior over a breakpoint (a SIGCHLD from a child
// that exits at that moment) makes gdb report the same hit twice: same hook, same stack pointer,
// same return address, with no other hit in between. A real second call cannot look like that
// (the caller's own enter or exit hook would come between), so such a repeat is dropped.
const GDB_COUNTER = `
import gdb

counts = {"enter": 0, "exit": 0, "repeat": 0}
last = [None]

class Hook(gdb.Breakpoint):
    def __init__(self, kind):
        super().__init__("__cyg_profile_func_" + kind, internal=True)
        self.kind = kind

    def stop(self):
        sp = int(gdb.selected_frame().read_register("esp")) & 0xffffffff
        # the return address and the first argument (this_fn)
        key = (self.kind, sp, gdb.selected_inferior().read_memory(sp, 8).tobytes())
        if key == last[0]:
            counts["repeat"] += 1
        else:
            counts[self.kind] += 1
        last[0] = key
        return False

def on_new_objfile(event):
    last[0] = None  # exec: a new image

gdb.events.new_objfile.connect(on_new_objfile)
Hook("enter")
Hook("exit")

class Report(gdb.Command):
    def __init__(self):
        super().__init__("hook-counts", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print("hook-counts enter=%d exit=%d repeat=%d" % (counts["enter"], counts["exit"], counts["repeat"]))

Report()
`;

/**
 * Counts the hook calls with gdb. gdb follows the first process, through its execs; forked
 * children are detached and not counted. The signals the guests use are passed to them without
 * stopping (SIGCHLD is dropped: its default action is to ignore it, and no traced process may
 * rely on a SIGCHLD handler). stdinFile: a file for the program's stdin, or null.
 */
function countHooks(file, argv, stdinFile, counterScript) {
  const quoted = argv.slice(1).map(shellQuote).join(' ');
  const redirect = `${stdinFile ? ` < ${shellQuote(stdinFile)}` : ''} > /dev/null`;
  const gdbArgs = [
    '-batch',
    '-nx',
    '-ex', 'set startup-with-shell on',
    '-ex', 'set exec-wrapper env -i',
    '-ex', 'set disable-randomization on',
    '-ex', 'set pagination off',
    '-ex', 'set follow-fork-mode parent',
    '-ex', 'set detach-on-fork on',
    '-ex', 'set follow-exec-mode same',
    '-ex', 'handle SIGUSR1 SIGUSR2 SIGPIPE SIGALRM SIGTERM nostop noprint pass',
    // guests that catch their own faults (cowfault, sigfault)
    '-ex', 'handle SIGSEGV SIGILL SIGFPE SIGBUS nostop noprint pass',
    '-ex', 'handle SIGCHLD nostop noprint nopass',
    '-ex', `source ${counterScript}`,
    '-ex', `run ${quoted}${redirect}`,
    '-ex', 'hook-counts',
    file,
  ];
  return new Promise((resolve) => {
    // ulimit -c 0: children that die of SIGILL/SIGSEGV leave no core files in src/guests.
    const child = spawn('/bin/sh', ['-c', 'ulimit -c 0 2>/dev/null; exec gdb "$@"', 'gdb', ...gdbArgs], {
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => resolve({ error: e.message }));
    child.on('close', () => {
      const counted = /^hook-counts enter=(\d+) exit=(\d+) repeat=(\d+)$/m.exec(out);
      const exited = /\[Inferior 1 \(process \d+\) exited (normally|with code (\d+))\]/.exec(out);
      if (!counted || !exited) {
        resolve({ error: `unexpected gdb output:\n${out.trim().split('\n').slice(-12).join('\n')}` });
        return;
      }
      const exitCode = exited[1] === 'normally' ? 0 : parseInt(exited[2], 8);
      resolve({ enter: Number(counted[1]), exit: Number(counted[2]), repeats: Number(counted[3]), exitCode });
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
    /** @type {Record<string, string[]>} extra flags per C-library toolchain (probeToolchain) */
    const toolchainExtra = {};
    for (const b of BINARIES) {
      const obj = path.join(tmp, `${b.name}.o`);
      if (b.toolchain) {
        const tc = LIBC_TOOLCHAINS[b.toolchain];
        toolchainExtra[b.toolchain] ??= probeToolchain(b.toolchain, tc, tmp);
        const base = [...tc.flags, ...toolchainExtra[b.toolchain], ...(b.cflags ?? [])];
        const env = { env: { ...process.env, ...tc.env } };
        must(tc.cc, [...base, ...LIBC_COMPILE_FLAGS, ...WARN_FLAGS, '-c', `programs/${b.source}`, '-o', obj], env);
        const out = path.join(BIN, b.name);
        must(tc.cc, [...base, ...LIBC_COMPILE_FLAGS, ...LIBC_LINK_FLAGS, '-o', out, obj, ...LIBC_LIBS], env);
        fs.chmodSync(out, 0o755);
        const { entry, symbols, anyType } = elfSymbols(out);
        if (symbols.get('main') === undefined) fail(`${b.name}: main is missing from .symtab`);
        if (anyType.get('_start') !== entry) fail(`${b.name}: the entry point is not _start`);
        if (symbols.has('__cyg_profile_func_enter')) fail(`${b.name}: unexpectedly instrumented`);
        continue;
      }
      must('gcc', [
        ...(b.fpu ? [...COMMON_FLAGS.filter((f) => f !== '-mgeneral-regs-only'), ...FPU_FLAGS] : COMMON_FLAGS),
        b.opt,
        ...(b.debug ? ['-g'] : []),
        ...(b.plain ? [] : PROGRAM_FLAGS),
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
      must('gcc', [...COMMON_FLAGS, b.opt, ...(b.ldflags ?? []), '-o', out, ...inputs]);
      fs.chmodSync(out, 0o755);

      const { entry, symbols } = elfSymbols(out);
      const enter = symbols.get('__cyg_profile_func_enter');
      const exit = symbols.get('__cyg_profile_func_exit');
      if (b.plain) {
        if (enter !== undefined) fail(`${b.name}: unexpectedly instrumented`);
      } else if (enter === undefined || exit === undefined || enter === exit)
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
    // the C libraries of the glibc-* and musl-* guests (Debian package versions)
    libraries: Object.fromEntries(
      Object.entries(LIBC_TOOLCHAINS).map(([name, tc]) => [
        name,
        {
          package: tc.package,
          version: packageVersion(tc.package),
          compiler: [...Object.entries(tc.env).map(([k, v]) => `${k}=${v}`), tc.cc, ...tc.flags].join(' '),
        },
      ]),
    ),
    flags: {
      common: COMMON_FLAGS,
      libc: [...LIBC_FLAGS, ...INCLUDE_FLAGS],
      programs: [...PROGRAM_FLAGS, ...INCLUDE_FLAGS],
      fpuPrograms: FPU_FLAGS,
      warnings: WARN_FLAGS,
      link: {
        linux: 'start.o <program>.o libc.a',
        l4: '<program>.o cyg_profile.o',
      },
      // glibc-* and musl-* guests: <compiler> <libcCompile> -c, then <compiler> <libcCompile> <libcLink> <program>.o <libcLibs>
      libcCompile: LIBC_COMPILE_FLAGS.map((f) => f.replace(HERE, '<src/guests>')),
      libcLink: LIBC_LINK_FLAGS,
      libcLibs: LIBC_LIBS,
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
            ...(b.toolchain ? { toolchain: b.toolchain } : {}),
            ...(b.cflags ? { cflags: b.cflags } : {}),
            ...(b.plain ? { instrumented: false } : {}),
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

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'l4trace-guests-run-'));
  const counterScript = path.join(runDir, 'count_hooks.py');
  fs.writeFileSync(counterScript, GDB_COUNTER);
  const results = await mapLimit(linux, jobs, async (b) => {
    const file = path.join(BIN, b.name);
    const t0 = Date.now();
    const argv = [b.name, ...b.args];
    let stdinFile = null;
    if (b.stdin !== undefined) {
      stdinFile = path.join(runDir, `${b.name}.stdin`);
      fs.writeFileSync(stdinFile, b.stdin);
    }
    const r = runNative(file, argv, b.signal, stdinFile);
    if (r.stderr) warn(`${b.name} wrote to stderr: ${r.stderr.trim()}`);
    let funcEnter = null;
    let funcExit = null;
    let hookCalls = null;
    const expectedFile = path.join(EXPECTED, `${b.name}.json`);
    if (b.asyncSignals || b.toolchain || b.plain) {
      // asyncSignals: how many handler calls (and loop rounds) happen depends on when the host
      // delivers signals. toolchain, plain: not instrumented, there are no hooks to count.
    } else if (haveGdb && !b.signal) {
      const c = await countHooks(file, argv, stdinFile, counterScript);
      if (c.error) fail(`${b.name}: gdb: ${c.error}`);
      if (c.exitCode !== r.exitCode)
        fail(`${b.name}: exit code ${c.exitCode} under gdb, ${r.exitCode} natively`);
      if (b.longjmp) hookCalls = { enter: c.enter, exit: c.exit };
      else {
        funcEnter = c.enter;
        funcExit = c.exit;
      }
      if (c.repeats) console.log(`note: ${b.name}: gdb reported ${c.repeats} breakpoint hit(s) twice (dropped)`);
    } else {
      const old = readJson(expectedFile);
      funcEnter = old?.funcEnter ?? null;
      funcExit = old?.funcExit ?? null;
      hookCalls = old?.hookCalls ?? null;
    }
    const record = {
      args: b.args,
      ...(b.stdin !== undefined ? { stdin: b.stdin } : {}),
      ...(b.racy ? { racy: true, note: RACY_NOTE } : {}),
      stdout: r.stdout,
      exitCode: r.exitCode,
      ...(r.signal ? { signal: r.signal } : {}),
      funcEnter,
      funcExit,
      ...(hookCalls ? { hookCalls } : {}),
      native,
    };
    // Only the host's description differs (for a racy guest: or its run's output): keep the file
    // (and the host it names) as it is.
    const previous = readJson(expectedFile);
    const same = previous && JSON.stringify({ ...previous, native, ...(b.racy ? { stdout: r.stdout, exitCode: r.exitCode } : {}) }) === JSON.stringify(record);
    if (!same) writeJson(expectedFile, record);
    return { b, ...r, funcEnter, funcExit, seconds: (Date.now() - t0) / 1000 };
  });
  fs.rmSync(runDir, { recursive: true, force: true });

  // 6. summary
  const rows = BINARIES.map((b) => {
    const info = buildinfo.binaries[b.name];
    const r = results.find((x) => x.b === b);
    return {
      binary: b.name,
      size: String(info.size),
      exit: r ? String(r.exitCode) : '-',
      lines: r ? String(r.stdout.split('\n').length - 1) : '-',
      funcEnter: r ? String(r.funcEnter ?? (b.toolchain || b.plain ? '-' : '?')) : '-',
      funcExit: r ? String(r.funcExit ?? (b.toolchain || b.plain ? '-' : '?')) : '-',
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
    const want = r.b.signal ? 128 + os.constants.signals[r.b.signal] : (r.b.exitCode ?? 0);
    if (r.b.racy && (r.exitCode === 0 || r.exitCode === 1)) {
      console.log(`note: ${r.b.name} (racy): ${r.stdout.trim()} (exit ${r.exitCode})`);
    } else if (r.exitCode !== want) {
      warn(`${r.b.name} exited with ${r.exitCode}, expected ${want}`);
      problems++;
    }
    if (r.funcEnter !== null && r.funcEnter !== r.funcExit && !r.b.endsInExec)
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
