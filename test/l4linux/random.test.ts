/**
 * Randomness a guest asks for comes through the decision tape (src/l4linux/random.ts): getrandom and the
 * auxv's AT_RANDOM bytes are RANDOM choices, drawn from the seed (or OS entropy) when recording and read
 * back when replaying, so a trace replays as identical from the file alone.
 */
import { describe, expect, it } from 'vitest';
import { NR } from '../../src/l4linux/abi.js';
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from '../../src/l4linux/abi-calls.js';
import { ChoiceSite } from '../../src/sim/choices.js';
import { replayTrace } from '../../replay/replay.js';
import { TraceReader } from '../../tracer/reader.js';
import { PERSONALITY_SETS, runNatively, runSyscallElf, SyscallProgram } from '../support/syscall-elf.js';

const EINVAL = -22;
const EFAULT = -14;

/** The program: AT_RANDOM's bytes (copied from the initial stack), then getrandom with various flags. */
function program(): SyscallProgram {
  const p = new SyscallProgram();
  // The simulated initial stack for argv ["calls"] and no environment: argc, argv[0], NULL, NULL, then
  // the auxv pairs AT_PHDR AT_PHENT AT_PHNUM AT_PAGESZ AT_ENTRY AT_RANDOM: its tag at esp+56, value at esp+60.
  p.loadArg('eax', 14).store(p.buf('tag', 4));
  p.loadArg('eax', 15);
  for (let i = 0; i < 4; i++) p.bytes(0x8b, 0x48, i * 4).store(p.buf('atrandom', 16).plus(i * 4), 'ecx'); // mov ecx, [eax + 4i]
  p.call('r16', NR.getrandom, p.buf('b16', 16), 16, 0);
  p.call('r300', NR.getrandom, p.buf('b300', 300), 300, GRND_NONBLOCK | GRND_RANDOM);
  p.call('r0', NR.getrandom, 0, 0, 0);
  p.call('insecure', NR.getrandom, p.buf('b4', 4), 4, GRND_INSECURE);
  p.call('badFlags', NR.getrandom, p.buf('b4', 4), 4, 8);
  p.call('both', NR.getrandom, p.buf('b4', 4), 4, GRND_INSECURE | GRND_RANDOM);
  p.call('fault', NR.getrandom, 0x10, 4, 0);
  return p;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('getrandom and AT_RANDOM', () => {
  const p = program();

  it('answer as Linux (at most 256 bytes a call) under every personality', () => {
    const native = runNatively(p);
    for (const [label, sets] of PERSONALITY_SETS) {
      const o = runSyscallElf(p, sets).out;
      expect([o.i32('tag'), o.i32('r16'), o.i32('r300'), o.i32('r0'), o.i32('insecure'), o.i32('badFlags'), o.i32('both'), o.i32('fault')], label).toEqual([25, 16, 256, 0, 4, EINVAL, EINVAL, EFAULT]);
      expect(hex(o.raw('b300').subarray(256))).toBe('00'.repeat(44)); // the rest untouched
      if (native) for (const n of ['r16', 'r0', 'insecure', 'badFlags', 'both', 'fault']) expect(o.i32(n), `${label} vs native: ${n}`).toBe(native.i32(n));
    }
  });

  it('are drawn from the seed: the same seed gives the same bytes, another seed others', () => {
    const a = runSyscallElf(p, ['seed=1']).out;
    const b = runSyscallElf(p, ['seed=1']).out;
    const c = runSyscallElf(p, ['seed=2']).out;
    for (const slot of ['atrandom', 'b16', 'b300']) {
      expect(hex(a.raw(slot))).toBe(hex(b.raw(slot)));
      expect(hex(a.raw(slot))).not.toBe(hex(c.raw(slot)));
    }
    expect(hex(a.raw('atrandom'))).not.toBe(hex(a.raw('b16')));
  });

  for (const entropy of ['prng', 'os'] as const) {
    it(`are RANDOM choices on the decision tape, one per 32-bit word, and replay as identical (${entropy} entropy)`, () => {
      const r = runSyscallElf(p, [], 'calls', entropy);
      const reader = r.reader();
      const random = reader.tape().sites.filter((s) => s === ChoiceSite.RANDOM).length;
      expect(random).toBe(4 /* AT_RANDOM */ + 4 + 64 + 1 /* GRND_INSECURE's 4 bytes */ + 1 /* drawn, then the copy faults */);
      const replay = replayTrace(TraceReader.fromBytes(r.bytes), 'random.l4t');
      expect(replay.difference).toBeNull();
      expect(replay.verdict).toBe('identical');
    });
  }
});
