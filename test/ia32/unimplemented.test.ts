import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { TraceReader } from '../../tracer/reader.js';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import { parseElf } from '../../src/ia32/elf.js';
import { runCli, tempDir } from '../support/cli.js';
import { TINY_ENTRY, tinyElf } from '../support/tiny-elf.js';

/** mov eax, 1; xor ebx, ebx; int 0x80 (exit 0). */
const EXIT0 = [0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80];

describe('a guest stopping on an instruction the CPU lacks is told what and where', () => {
  it('run names the SSE instruction, its address and bytes on stderr, and the program dies of SIGILL', () => {
    const dir = tempDir();
    const prog = join(dir, 'ssetest');
    writeFileSync(prog, tinyElf([0x90, 0x0f, 0x57, 0xc0, ...EXIT0])); // nop; xorps xmm0, xmm0; exit
    const r = runCli(['run', prog]);
    expect(r.code).toBe(128 + 4);
    expect(r.stderr).toContain('xorps (SSE)');
    expect(r.stderr).toContain(`at 0x${(TINY_ENTRY + 1).toString(16)}: 0f 57 c0`);
    expect(r.stderr).toContain('killed by signal 4');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('the recorded trace carries the same message as a MARKER of the thread that failed', () => {
    const dir = tempDir();
    const prog = join(dir, 'mmxtest');
    writeFileSync(prog, tinyElf([0x0f, 0x77, ...EXIT0])); // emms
    const trace = join(dir, 't.l4t');
    const r = runCli(['run', prog, '--trace', trace]);
    expect(r.code).toBe(132);
    const reader = TraceReader.fromBytes(readFileSync(trace));
    const markers = [...reader.events()].filter((e) => e.kind === Kind.MARKER).map((e) => ({ text: reader.string(e.args[0]!), value: e.args[1], thread: reader.string(reader.threads[e.thread]!.name) }));
    const m = markers.find((x) => x.text.includes('emms (MMX)'));
    expect(m, JSON.stringify(markers)).toBeDefined();
    expect(m!.value).toBe(TINY_ENTRY);
    expect(m!.thread).toBe('mmxtest');
    expect(m!.text).toMatch(/^SIGILL: unimplemented instruction emms \(MMX\), form 0f 77 at 0x[0-9a-f]+: 0f 77/);
  });

  it('in a program with symbols, the message names the function', () => {
    // hello with the first instruction of main overwritten by an SSE instruction (movaps xmm0, xmm1)
    const data = Uint8Array.from(loadCommittedGuest('hello'));
    const image = parseElf(data);
    const text = image.text.find((s) => s.name === '.text')!;
    const main = image.symbols.get('main')!;
    data.set([0x0f, 0x28, 0xc1], text.offset + (main - text.start));
    const prog = join(tempDir(), 'hello-sse');
    writeFileSync(prog, data);
    const r = runCli(['run', prog]);
    expect(r.code).toBe(132);
    expect(r.stderr).toContain(`movaps (SSE), form 0f 28 at 0x${main.toString(16)}: 0f 28 c1`);
    expect(r.stderr).toContain('(in main of hello-sse)');
  });
});

describe('a system call the Linux server lacks is named once', () => {
  it('run says which number answered ENOSYS, once per number, and the program goes on', () => {
    // mov eax, 26 (ptrace) ; int 0x80 ; mov eax, 26 ; int 0x80 ; exit(0)
    const call = [0xb8, 26, 0, 0, 0, 0xcd, 0x80];
    const prog = join(tempDir(), 'nosys');
    writeFileSync(prog, tinyElf([...call, ...call, ...EXIT0]));
    const r = runCli(['run', prog]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/system call 26 \(ptrace\) is not implemented: ENOSYS/g)).toHaveLength(1);
    expect(r.stderr).toContain('pid 1 (nosys)');
  });
});
