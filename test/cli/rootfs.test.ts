/**
 * `l4trace run` and `record` with a root file system: --rootfs, --env, --strict, programs resolved in
 * the root file system, the built-in one; every bad input a one-line error naming it, a non-zero exit
 * and no file written; `info` and `report` showing the root file system and the unimplemented system
 * calls. Needs `npm run build`.
 *
 * The tests under "needs the VFS and the ENOSYS counts" need Linux's side of issue 14 (programs loaded
 * from the VFS, the linux.unimplemented_syscall.* metrics, --strict); until it is merged they fail, by
 * design. The busybox ones skip, with a note, when `npm run rootfs` has not made the busybox tar.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import { FilterRulesSchema } from '../../tracer/filter/rules.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { runCli, tempDir } from '../support/cli.js';
import { tarArchive } from '../support/tar.js';
import { tinyElf } from '../support/tiny-elf.js';

/** exit(0) */
const EXIT0 = [0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80];
/** ptrace(...) twice (a call Linux lacks), then exit(0). */
const PTRACE_TWICE = [0xb8, 26, 0, 0, 0, 0xcd, 0x80, 0xb8, 26, 0, 0, 0, 0xcd, 0x80, ...EXIT0];

/** The tiny ELF with a PT_INTERP program header, as a dynamically linked program has. */
function dynamicElf(): Uint8Array {
  const base = tinyElf(EXIT0);
  const interp = new TextEncoder().encode('/lib/ld-linux.so.2\0');
  const out = new Uint8Array(base.length + 32 + interp.length);
  out.set(base.subarray(0, 84));
  out.set(base.subarray(84), 84 + 32);
  out.set(interp, base.length + 32);
  const dv = new DataView(out.buffer);
  dv.setUint16(44, 2, true); // two program headers
  dv.setUint32(24, dv.getUint32(24, true) + 32, true); // the entry moved with the code
  dv.setUint32(52 + 16, out.length, true);
  dv.setUint32(52 + 20, out.length, true);
  const ph = 84;
  dv.setUint32(ph, 3, true); // PT_INTERP
  dv.setUint32(ph + 4, base.length + 32, true);
  dv.setUint32(ph + 16, interp.length, true);
  return out;
}

function elf64(): Uint8Array {
  const e = tinyElf(EXIT0);
  e[4] = 2;
  return e;
}

/** A directory with the files given, and a root file system under it with /bin/hello and /bin/hi -> hello. */
function workspace(files: Record<string, Uint8Array | string> = {}): { dir: string; rootfs: string } {
  const dir = tempDir();
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  writeFileSync(join(rootfs, 'bin', 'hello'), loadCommittedGuest('hello'), { mode: 0o755 });
  symlinkSync('hello', join(rootfs, 'bin', 'hi'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return { dir, rootfs };
}

/** One line on stderr matching `pattern`, a non-zero exit, and nothing written in `dir` but what was there. */
function refused(args: string[], pattern: RegExp, dir: string, code = 1): void {
  const before = readdirSync(dir).sort();
  const r = runCli(args, { cwd: dir });
  expect(r.code, r.stdout + r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe('bad input: one line naming it, a non-zero exit, nothing written', () => {
  it('a root file system that is missing, neither a directory nor a tar, or holds a symlink pointing outside it', () => {
    const { dir, rootfs } = workspace({ 'notes.txt': 'text' });
    refused(['run', '--rootfs', 'nope', 'hello', '--trace', 't.l4t'], /^l4trace: --rootfs nope: no such file or directory$/m, dir);
    refused(['run', '--rootfs', 'notes.txt', 'hello', '--trace', 't.l4t'], /^l4trace: --rootfs notes\.txt: neither a directory nor a tar archive/m, dir);
    refused(['record', '--rootfs', 'nope', 'hello', '-o', 't.l4t'], /--rootfs nope: no such file or directory/, dir);
    symlinkSync('../../../etc/passwd', join(rootfs, 'bin', 'escape'));
    refused(['run', '--rootfs', 'rootfs', 'hello', '--trace', 't.l4t'], /^l4trace: --rootfs rootfs: \/bin\/escape is a symlink that points outside the root file system \(\.\.\/\.\.\/\.\.\/etc\/passwd climbs above \/\)$/m, dir);
  });

  it('a tar that is damaged', () => {
    const good = tarArchive([{ name: 'bin/hello', data: loadCommittedGuest('hello') }]);
    const { dir } = workspace({ 'cut.tar': good.subarray(0, 1024), 'escape.tar': tarArchive([{ name: '../x', data: '' }]) });
    refused(['run', '--rootfs', 'cut.tar', 'hello'], /^l4trace: --rootfs cut\.tar: member "bin\/hello" claims \d+ bytes but only 512 remain/m, dir);
    refused(['run', '--rootfs', 'escape.tar', 'hello'], /member "\.\.\/x" has a name that climbs out of the archive/, dir);
  });

  it('a dynamic ELF, a non-ELF file, a 64-bit ELF, on the host or in the root file system', () => {
    const { dir, rootfs } = workspace({ dyn: dynamicElf(), 'script.sh': '#!/bin/sh\necho hi\n', prog64: elf64() });
    refused(['run', 'dyn', '--trace', 't.l4t'], /^l4trace: dyn: a dynamically linked ELF \(it asks for the interpreter "\/lib\/ld-linux\.so\.2"\): l4trace runs static programs; link it with -static$/m, dir);
    refused(['run', 'script.sh', '--trace', 't.l4t'], /^l4trace: script\.sh: not an ELF file: l4trace runs static i386 Linux programs$/m, dir);
    refused(['run', 'prog64', '--trace', 't.l4t'], /^l4trace: prog64: a 64-bit ELF \(ELFCLASS64\): l4trace runs 32-bit i386 programs; build it with -m32 -static$/m, dir);
    refused(['record', 'dyn', '-o', 't.l4t'], /dyn: a dynamically linked ELF/, dir);
    refused(['record', 'prog64', '-o', 't.l4t'], /prog64: a 64-bit ELF/, dir);
    writeFileSync(join(rootfs, 'bin', 'dyn'), dynamicElf());
    writeFileSync(join(rootfs, 'bin', 'text'), 'text');
    refused(['run', '--rootfs', 'rootfs', '/bin/dyn', '--trace', 't.l4t'], /^l4trace: \/bin\/dyn \(\/bin\/dyn in the root file system rootfs\): a dynamically linked ELF/m, dir);
    refused(['run', '--rootfs', 'rootfs', '/bin/text'], /^l4trace: \/bin\/text \(\/bin\/text in the root file system rootfs\): not an ELF file/m, dir);
  });

  it('a program path the root file system does not have', () => {
    const { dir } = workspace();
    refused(['run', '--rootfs', 'rootfs', '/bin/nope', '--trace', 't.l4t'], /^l4trace: \/bin\/nope: not in the root file system rootfs \(\/bin\/nope does not exist\), and no such host file$/m, dir);
    refused(['run', '--rootfs', 'rootfs', '/bin', '--trace', 't.l4t'], /\/bin: in the root file system rootfs, \/bin is a directory, not a program/, dir);
    refused(['run', '--rootfs', 'rootfs', 'nope'], /^l4trace: nope: no such file, not a committed guest program \(see src\/guests\/bin\), and not in the root file system rootfs's \/bin$/m, dir);
  });

  it('--env without NAME=VALUE; --rootfs, --env, --strict on a scenario that is not run', () => {
    const { dir } = workspace();
    refused(['run', '--env', 'NOPE', 'hello'], /^l4trace: --env "NOPE": expected NAME=VALUE/m, dir, 2);
    refused(['record', 'pingpong', '--rootfs', 'rootfs', '-o', 't.l4t'], /--rootfs, --env and --strict apply to the run scenario or a program, not to scenario pingpong/, dir, 2);
    refused(['record', 'pingpong', 'extra', '-o', 't.l4t'], /unexpected arguments extra/, dir, 2);
    refused(['record', 'pingpong', '--frobnicate', '-o', 't.l4t'], /^l4trace: unknown option '--frobnicate'$/m, dir, 2);
  });
});

describe('run and record on a root file system', () => {
  it('record of an ELF runs it on the built-in root file system with the default environment; twice gives the same bytes', () => {
    const { dir } = workspace({ prog: tinyElf(EXIT0) });
    for (const out of ['a.l4t', 'b.l4t']) {
      const r = runCli(['record', 'prog', '-q', '-o', out], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    const a = TraceReader.open(join(dir, 'a.l4t'));
    const spec = JSON.parse(a.header.scenarioJson) as { params: { env: string[]; program: string } };
    expect(spec.params.program).toBe('prog');
    expect(spec.params.env).toContain('PATH=/bin:/usr/bin:/sbin:/usr/sbin');
    expect(a.header.rootfs!.entries.some((e) => e.path === '/bin/hello')).toBe(true);
    a.close();
    expect(runCli(['info', 'a.l4t'], { cwd: dir }).stdout).toMatch(/^rootfs +\d+ entries \(\d+ directories, \d+ files, \d+ symlinks\), [\d,]+ bytes of content; embedded: \d+ file blobs, [\d,]+ bytes/m);
    const same = runCli(['replay', 'b.l4t'], { cwd: dir });
    expect(same.code, same.stdout).toBe(0);
    expect(readFileSync(join(dir, 'a.l4t')).equals(readFileSync(join(dir, 'b.l4t')))).toBe(true);
  });

  it("options run does not know are the program's; its own are recognised anywhere; -- ends them", () => {
    const { dir } = workspace({ prog: tinyElf(EXIT0) });
    const r = runCli(['run', 'hello', '-c', 'x y', '--weird', '--trace', 't.l4t'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('argv[1] = "-c"\nargv[2] = "x y"\nargv[3] = "--weird"\n');
    const reader = TraceReader.open(join(dir, 't.l4t'));
    expect((JSON.parse(reader.header.scenarioJson) as { params: { args: string[] } }).params.args).toEqual(['-c', 'x y', '--weird']);
    reader.close();
    expect(runCli(['run', 'hello', '--', '--trace', 'u.l4t'], { cwd: dir }).stdout).toContain('argv[1] = "--trace"');
    expect(existsSync(join(dir, 'u.l4t'))).toBe(false);
    expect(runCli(['record', 'prog', '-c', 'x', '-q', '-o', 'p.l4t'], { cwd: dir }).code).toBe(0);
  });

  it('run --rootfs with a committed guest, --env and --trace: the trace replays without the root file system', () => {
    const { dir, rootfs } = workspace();
    const r = runCli(['run', '--rootfs', 'rootfs', '--env', 'TERM=dumb', '--trace', 't.l4t', 'hello'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello, world');
    const reader = TraceReader.open(join(dir, 't.l4t'));
    expect(reader.header.rootfs!.entries.map((e) => e.path)).toEqual(['/bin', '/bin/hello', '/bin/hi']);
    expect((JSON.parse(reader.header.scenarioJson) as { params: { env: string[] } }).params.env).toContain('TERM=dumb');
    reader.close();
    const info = JSON.parse(runCli(['info', '--json', 't.l4t'], { cwd: dir }).stdout) as { rootfs: { entries: number; symlinks: number }; unimplementedSyscalls: unknown[] };
    expect(info.rootfs).toMatchObject({ entries: 3, symlinks: 1 });
    expect(info.unimplementedSyscalls).toEqual([]);
    const replay = runCli(['replay', join(dir, 't.l4t')], { cwd: tempDir() });
    expect(replay.code, replay.stdout).toBe(0);
    expect(existsSync(rootfs)).toBe(true);
  });

  it('info and report list the unimplemented system calls from the footer', () => {
    const { dir } = workspace();
    expect(runCli(['run', 'hello', '--trace', 'h.l4t'], { cwd: dir }).code).toBe(0);
    // The footer's metrics as Linux writes them at the end of a run (linux.unimplemented_syscall.<name>).
    const reader = TraceReader.open(join(dir, 'h.l4t'));
    reader.footer!.metrics.push({ name: 'linux.unimplemented_syscall.ptrace', value: 2, unit: 'calls' }, { name: 'linux.unimplemented_syscall.nr_500', value: 1, unit: 'calls' });
    const sink = new MemorySink();
    rewriteTrace(reader, sink, { filter: FilterRulesSchema.parse({ dropKinds: ['MARKER'] }) });
    reader.close();
    writeFileSync(join(dir, 'u.l4t'), sink.bytes());
    const info = runCli(['info', 'u.l4t'], { cwd: dir });
    expect(info.stdout).toMatch(/unimplemented system calls \(they returned ENOSYS\)\n +ptrace +26 +2 +calls\n +nr_500 +500 +1 +call\n/);
    expect(info.stdout).not.toMatch(/^ +linux\.unimplemented_syscall/m);
    expect((JSON.parse(runCli(['info', '--json', 'u.l4t'], { cwd: dir }).stdout) as { unimplementedSyscalls: unknown }).unimplementedSyscalls).toEqual([
      { name: 'ptrace', nr: 26, calls: 2 },
      { name: 'nr_500', nr: 500, calls: 1 },
    ]);
    const report = runCli(['report', 'u.l4t'], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/== unimplemented system calls\n.*name.*calls[^\n]*\n[^\n]*\n.*ptrace.*2/);
    const json = JSON.parse(runCli(['report', '--json', 'u.l4t'], { cwd: dir }).stdout) as Record<string, unknown[]>;
    expect(json['unimplemented system calls']).toEqual([{ name: 'ptrace', calls: 2 }, { name: 'nr_500', calls: 1 }]);
  });
});

describe('needs the VFS and the ENOSYS counts (Linux side of issue 14)', () => {
  it('runs a program from the root file system through a symlink; record -> move -> delete the root file system -> replay identical', () => {
    const { dir } = workspace();
    const r = runCli(['run', '--rootfs', 'rootfs', '/bin/hi', '--trace', 't.l4t'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello, world');
    const moved = join(tempDir(), 'moved.l4t');
    writeFileSync(moved, readFileSync(join(dir, 't.l4t')));
    rmSync(join(dir, 't.l4t'));
    rmSync(join(dir, 'rootfs'), { recursive: true });
    const replay = runCli(['replay', moved], { cwd: tempDir() });
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/identical/);
  });

  it('report and info list an unimplemented call the run made; --strict stops at it with its name and number', () => {
    const { dir } = workspace({ ptrace: tinyElf(PTRACE_TWICE) });
    expect(runCli(['run', 'ptrace', '--trace', 'p.l4t'], { cwd: dir }).code).toBe(0);
    expect(runCli(['info', 'p.l4t'], { cwd: dir }).stdout).toMatch(/unimplemented system calls.*\n +ptrace +26 +2 +calls/);
    const json = JSON.parse(runCli(['report', '--json', 'p.l4t'], { cwd: dir }).stdout) as Record<string, unknown[]>;
    expect(json['unimplemented system calls']).toEqual([{ name: 'ptrace', calls: 2 }]);
    const strict = runCli(['run', '--strict', 'ptrace'], { cwd: dir });
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toMatch(/ptrace/);
    expect(strict.stderr).toMatch(/\b26\b/);
  });

  const busybox = fileURLToPath(new URL('../../.cache/rootfs/busybox-rootfs.tar', import.meta.url));
  it.skipIf(!existsSync(busybox))('busybox: run --rootfs bb.tar /bin/sh -c "echo hi | wc -c", and `run busybox` from the built-in root file system', () => {
    const dir = tempDir();
    const r = runCli(['run', '--rootfs', busybox, '/bin/sh', '-c', 'echo hi | wc -c'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('3');
    const b = runCli(['run', 'busybox', 'sh', '-c', 'echo hi | wc -c'], { cwd: dir });
    expect(b.stdout.trim(), b.stderr).toBe('3');
  });
  if (!existsSync(busybox)) it.skip('busybox tests: .cache/rootfs/busybox-rootfs.tar is absent (npm run rootfs makes it)', () => {});
});
