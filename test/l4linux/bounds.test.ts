/**
 * Guests may come from strangers (DESIGN §8): nothing they do may drive host memory without bound.
 * The console keeps a byte count and only the bytes a scenario checks; file data grows by doubling and
 * the file system holds half the machine's memory (tmpfs: a short write, then ENOSPC); fork stops at
 * 2.4's max_threads, zombies included; `l4trace run` writes the guest's console with backpressure.
 * Every limit comes from the scenario (physFrames), so each expectation is computed from it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EAGAIN, ENOSPC } from '../../src/l4linux/abi.js';
import { FileData, Pipe, Transcript } from '../../src/l4linux/files.js';
import { FileSystem } from '../../src/l4linux/vfs/filesystem.js';
import { linuxLimits, PAGE_BYTES } from '../../src/l4linux/limits.js';
import { Linux } from '../../src/l4linux/linux.js';
import type { ModelCtx } from '../../src/l4/model-engine.js';
import { LINUX_DEFAULTS } from '../../src/scenarios/linux.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { runScenario } from '../../src/session/machine.js';
import { imagesFor } from '../../src/session/setup.js';
import { RecordingChoices } from '../../src/sim/choices.js';
import { NullRecorder } from '../../tracer/recorder.js';
import { BIN } from '../support/cli.js';
import { runGuest } from '../support/guests.js';
import { runUntraced } from '../support/record.js';

const MiB = 1 << 20;
/** How much the host's JS heap and array buffers may grow while a guest floods: generous, and far below a flood. */
const HOST_GROWTH_BOUND = 256 * MiB;
/** flood's block (its default and largest). */
const BLOCK = 65536;

const PERSONALITIES: [string, string[]][] = [
  ['native Linux 2.4', ['personality=native']],
  ['L4Linux on V2', ['personality=l4linux']],
  ['L4Linux on L4Env', ['personality=l4env']],
];

const hostMemory = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Throws as soon as host memory grew past the bound, so unbounded code fails fast instead of exhausting the host. */
function memoryGuard(bound = HOST_GROWTH_BOUND) {
  const base = hostMemory();
  let peak = 0;
  return {
    check(what: string): void {
      const grown = hostMemory() - base;
      peak = Math.max(peak, grown);
      if (grown > bound) throw new Error(`host memory grew by ${Math.round(grown / MiB)} MiB ${what}`);
    },
    get peak(): number {
      return peak;
    },
  };
}

const floodSummary = (blocks: number): string => `flood: ${blocks} blocks of ${BLOCK} bytes, ${blocks * BLOCK} bytes written\n`;

describe('the console: a byte count and a bounded transcript', () => {
  it('a guest flooding the console past 2 GiB runs to its end; host memory stays flat; console_bytes counts every byte', () => {
    // 33,000 blocks of 64 KiB: 2,162,688,000 bytes, past the point where the old transcript (a number[]
    // filled with push(...data)) crashed the host with "Invalid array length".
    const blocks = 33_000;
    const spec = resolveScenario({ scenario: 'run', params: { program: 'flood', args: [String(blocks)] } }, 'run flood', { sets: ['limit=100000000000'] });
    const guard = memoryGuard();
    let seen = 0;
    let writes = 0;
    let last = '';
    const run = runScenario(spec, {
      recorder: new NullRecorder(),
      choices: new RecordingChoices(spec.seed, 'prng'),
      images: imagesFor(spec),
      console: (_fd, data) => {
        seen += data.length;
        if (++writes % 256 === 0) guard.check(`after ${seen} bytes of console output`);
        if (data.length !== BLOCK) last = new TextDecoder().decode(data);
      },
    });
    guard.check('at the end of the flood');
    expect(run.stop.outcome).toBe('ok');
    expect(run.metrics.find((m) => m.name === 'init.exit_status')?.value).toBe(0);
    expect(last).toBe(floodSummary(blocks));
    const total = blocks * BLOCK + floodSummary(blocks).length;
    expect(total).toBeGreaterThan(2 ** 31);
    expect(seen).toBe(total);
    expect(run.metrics.find((m) => m.name === 'linux.console_bytes')?.value).toBe(total);
  });

  it('Linux keeps a count past 2^32 bytes and no more of the text than it was asked to keep', () => {
    const lx = new Linux({ init: 'flood', args: [], env: [], programs: [], stdin: null, signalFix: 'none', consoleKeep: 100, limits: linuxLimits(LINUX_DEFAULTS.physFrames) });
    let delivered = 0;
    lx.ctx = { machine: { console: (_fd: number, d: Uint8Array) => void (delivered += d.length) } } as unknown as ModelCtx;
    const block = new Uint8Array(BLOCK).fill(0x2e);
    const writes = 70_000; // 4,587,520,000 bytes: no real run needed to reach sizes no array could hold
    const guard = memoryGuard();
    for (let i = 0; i < writes; i++) {
      lx.writeConsole(1, block);
      if (i % 512 === 0) guard.check(`after ${i} console writes`);
    }
    guard.check('after the writes');
    expect(lx.transcript.bytes).toBe(writes * BLOCK);
    expect(lx.transcript.bytes).toBeGreaterThan(2 ** 32);
    expect(delivered).toBe(writes * BLOCK);
    expect(lx.transcript.text()).toEqual(block.subarray(0, 100));
  });

  it('a transcript that keeps as many bytes as the expected one decides the match; the shell checks its own that way', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const expected = enc('$ echo hi\nhi\n');
    const decide = (chunks: string[]): boolean => {
      const t = new Transcript(expected.length);
      for (const c of chunks) t.append(enc(c));
      return t.equals(expected);
    };
    expect(decide(['$ echo hi\n', 'hi\n'])).toBe(true);
    expect(decide(['$ echo hi\nhi\n', '$ '])).toBe(false); // more than expected: the count tells
    expect(decide(['$ echo hi\n'])).toBe(false);
    expect(decide(['$ echo ho\nhi\n'])).toBe(false);
    // The shell scenario: its real transcript matches; a prefix of it (fewer bytes kept) does not.
    expect(runUntraced('shell').metrics.find((m) => m.name === 'shell.console_matches')?.value).toBe(1);
    const prefix = runUntraced('shell', { sets: ['expect="$ echo hello world | upcase\\nHELLO WORLD\\n"'] });
    expect(prefix.metrics.find((m) => m.name === 'shell.console_matches')?.value).toBe(0);
  });
});

describe('files: amortised growth, and the file system bounded like tmpfs', () => {
  it('N appends of 1 byte grow the buffer O(log N) times, and reads see only the bytes in use', () => {
    const d = new FileData();
    const n = 100_000;
    for (let i = 0; i < n; i++) d.write(d.size, Uint8Array.of(i & 0xff));
    expect(d.size).toBe(n);
    expect(d.growths).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
    expect(d.bytes().length).toBe(n);
    expect([...d.read(n - 3, 10)]).toEqual([(n - 3) & 0xff, (n - 2) & 0xff, (n - 1) & 0xff]);
    expect(d.read(n, 10).length).toBe(0);
  });

  it('counts whole pages per file as tmpfs does: a short write up to the last page, then nothing; O_TRUNC gives pages back', () => {
    // The same steps on a real 3-page tmpfs (size=12288) gave 5000; 3000, 1096, ENOSPC; 3192, ENOSPC; 4096.
    const fs = new FileSystem({ pages: 3, inodes: 8, openFiles: 8 }, () => 0);
    const a = fs.create('file', 0o644);
    const b = fs.create('file', 0o644);
    const fill = (n: number) => new Uint8Array(n).fill(1);
    expect(fs.write(a, 0, fill(5000))).toBe(5000);
    expect(fs.write(b, 0, fill(3000))).toBe(3000);
    expect(fs.write(b, 3000, fill(3000))).toBe(PAGE_BYTES - 3000);
    expect(fs.write(b, PAGE_BYTES, fill(3000))).toBe(0);
    expect(fs.write(a, 5000, fill(5000))).toBe(2 * PAGE_BYTES - 5000);
    expect(fs.write(a, 2 * PAGE_BYTES, fill(1))).toBe(0);
    fs.truncate(b);
    expect(fs.write(a, 2 * PAGE_BYTES, fill(5000))).toBe(PAGE_BYTES);
    expect(a.size).toBe(3 * PAGE_BYTES);
  });

  it('files and open files are limited too: no inode past the inode limit (ENOSPC), no open file past the file limit (ENFILE)', () => {
    const fs = new FileSystem({ pages: 4, inodes: 2, openFiles: 2 }, () => 0);
    expect(fs.canCreate()).toBe(true);
    const x = fs.create('file', 0o644);
    fs.create('dir', 0o755);
    expect(fs.canCreate()).toBe(false);
    const f = fs.open('pipe-read', 0, null, new Pipe());
    expect(fs.open('inode', 0, x, null)).not.toBeNull();
    expect(fs.open('inode', 0, x, null)).toBeNull();
    f!.release();
    expect(fs.open('inode', 0, x, null)).not.toBeNull();
  });

  for (const [label, sets] of PERSONALITIES) {
    it(`${label}: a file grower gets what fits in half the machine's memory, one short write, then ENOSPC`, () => {
      const block = 5000; // not a divisor of the page size: the last write is a short one
      const limit = linuxLimits(LINUX_DEFAULTS.physFrames).fsPages * PAGE_BYTES;
      const full = Math.floor(limit / block);
      // A block limit a little past the bound, so a file system without one ends the run soon.
      const r = runGuest('grow', ['/tmp/fill', String(block), String(full + 10)], sets);
      expect(r.run.stop.outcome).toBe('ok');
      expect(r.stdout).toBe(`grow: ${limit} bytes in ${full + 1} writes (1 short), then errno ${ENOSPC}\n`);
      expect(r.status).toBe(0);
    });
  }

  it("the bound follows the scenario's memory (physFrames), not the host's", () => {
    const frames = 4 * LINUX_DEFAULTS.physFrames;
    const limit = linuxLimits(frames).fsPages * PAGE_BYTES;
    const r = runGuest('grow', ['/tmp/fill', String(PAGE_BYTES), String(limit / PAGE_BYTES + 10)], [`physFrames=${frames}`]);
    expect(r.stdout).toBe(`grow: ${limit} bytes in ${limit / PAGE_BYTES} writes (0 short), then errno ${ENOSPC}\n`);
  });
});

describe('processes: fork stops at max_threads, zombies included', () => {
  for (const [label, sets] of PERSONALITIES) {
    it(`${label}: a parent that never reaps gets EAGAIN when the process table is full`, () => {
      const max = linuxLimits(LINUX_DEFAULTS.physFrames).maxThreads;
      const r = runGuest('zombies', [String(max + 10)], sets);
      expect(r.run.stop.outcome).toBe('ok');
      // init itself is one of the processes
      expect(r.stdout).toBe(`zombies: ${max - 1} children left unreaped, then fork failed: errno ${EAGAIN}\n`);
    });
  }
});

/** The resident set of a process, from /proc (Linux), or 0 once it is gone. */
function residentBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

describe('l4trace run', () => {
  it.skipIf(process.platform !== 'linux')('writes the guest console with backpressure: a reader that stops reading holds the guest back, not host memory', async () => {
    const blocks = 8192; // 512 MiB: what a queue in front of a stalled pipe would hold
    const child = spawn(process.execPath, [BIN, 'run', 'flood', String(blocks), '--no-stdin'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      await sleep(50);
      peak = Math.max(peak, residentBytes(child.pid!));
    }
    let received = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (received += d.length));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(received).toBe(blocks * BLOCK + floodSummary(blocks).length);
    // The whole process (node, the machine, its 8 MiB of memory): far below what the flood would queue.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(blocks * BLOCK * 0.75);
  });
});
