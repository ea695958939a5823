/**
 * Segmentation as user mode sees it (src/ia32/segments.ts, segment-ops.ts): descriptor checks of
 * segment register loads at CPL 3, the FS / GS override on every memory form (ModRM, moffs, string
 * sources, read-modify-write), limits (byte and page granularity, expand-down), the null selector, and
 * reading selectors (MOV, PUSH: zero-extended, as the AMD host does).
 */
import { describe, expect, it } from 'vitest';
import { DATA, STACK, codeMachine } from '../support/cpu.js';
import { Cpu } from '../../src/ia32/cpu.js';
import { decode } from '../../src/ia32/decoder.js';
import {
  checkLoad,
  descBase,
  descFromUser,
  descLimit,
  DS,
  FS,
  GS,
  isEmptyDesc,
  parseUserDesc,
  Segments,
  SS,
  TLS_FIRST,
  USER_CS,
  USER_DS,
  userDescWords,
  userFromDesc,
  type UserDesc,
} from '../../src/ia32/segments.js';

const TLS_SEL = (TLS_FIRST << 3) | 3;

const machine = codeMachine;

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

const user = (o: Partial<UserDesc>): UserDesc => ({ entry: 0, base: 0, limit: 0, seg32: 1, contents: 0, readExecOnly: 0, limitInPages: 0, notPresent: 0, useable: 0, ...o });

/** A CPU whose TLS entry 6 is `u` and whose LDT holds `ldt`; GS loaded with `gs` (if given). */
function run(bytes: number[], init: (c: Cpu) => void = () => {}): { fault?: string; err?: number; kind: string; cpu: Cpu } {
  const { cpu, interp } = machine(bytes);
  init(cpu);
  const stop = interp.run(1000, 0);
  if (stop.kind === 'fault') return { kind: 'fault', fault: cpu.fault.kind, err: cpu.fault.err, cpu };
  return { kind: stop.kind, cpu };
}

function tls(c: Cpu, u: Partial<UserDesc>, load = true): void {
  const [lo, hi] = descFromUser(user(u));
  c.seg.tls[0] = lo;
  c.seg.tls[1] = hi;
  if (load) c.seg.cache(GS, TLS_SEL);
}

describe('descriptors', () => {
  it('user_desc <-> descriptor words round-trip (Linux fill_user_desc)', () => {
    const u = user({ entry: 7, base: 0x12345678, limit: 0xabcde, limitInPages: 1, useable: 1, contents: 1 });
    const [lo, hi] = descFromUser(u);
    expect(descBase(lo, hi)).toBe(0x12345678);
    expect(descLimit(lo, hi)).toBe(0xabcdefff);
    expect(userFromDesc(7, lo, hi)).toEqual(u);
    expect(parseUserDesc(userDescWords(u))).toEqual(u);
  });

  it('an empty slot reads back as the LDT_empty pattern', () => {
    expect(isEmptyDesc(userFromDesc(6, 0, 0))).toBe(true);
  });

  it('load checks at CPL 3: null, limit, system, DPL, execute-only, present, flat DS', () => {
    const s = new Segments();
    const set = (u: Partial<UserDesc>): void => {
      const [lo, hi] = descFromUser(user(u));
      s.tls[0] = lo;
      s.tls[1] = hi;
    };
    expect(checkLoad(s, GS, 0)).toBeNull();
    expect(checkLoad(s, GS, 3)).toBeNull(); // a null selector with any RPL
    expect(checkLoad(s, SS, 0)).toMatchObject({ kind: 'gp', err: 0 });
    expect(checkLoad(s, GS, USER_DS)).toBeNull();
    expect(checkLoad(s, GS, USER_CS)).toBeNull(); // readable code
    expect(checkLoad(s, GS, 0x18)).toMatchObject({ kind: 'gp', err: 0x18 }); // kernel data, DPL 0
    expect(checkLoad(s, GS, 0x68)).toMatchObject({ kind: 'gp', err: 0x68 }); // an entry user mode cannot use
    expect(checkLoad(s, GS, 0xfffb)).toMatchObject({ kind: 'gp', err: 0xfff8 }); // beyond the GDT
    expect(checkLoad(s, GS, 0x7)).toMatchObject({ kind: 'gp', err: 0x4 }); // no LDT
    expect(checkLoad(s, GS, TLS_SEL)).toMatchObject({ kind: 'gp', err: 0x30 }); // empty: a system descriptor
    set({ base: 0x1000, limit: 0xff, notPresent: 1 });
    expect(checkLoad(s, GS, TLS_SEL)).toMatchObject({ kind: 'np', err: 0x30 });
    expect(checkLoad(s, SS, TLS_SEL)).toMatchObject({ kind: 'ss', err: 0x30 }); // SS: the stack fault
    set({ base: 0x1000, limit: 0xff, contents: 2, readExecOnly: 1 }); // execute-only code
    expect(checkLoad(s, GS, TLS_SEL)).toMatchObject({ kind: 'gp', err: 0x30 });
    set({ base: 0x1000, limit: 0xff });
    expect(checkLoad(s, GS, TLS_SEL)).toBeNull();
    expect(checkLoad(s, DS, TLS_SEL)?.detail).toMatch(/not modelled/);
    expect(checkLoad(s, GS, TLS_SEL & ~3)).toBeNull(); // RPL 0 <= DPL 3
  });
});

describe('loading segment registers', () => {
  it('mov gs, r16 / mov r32, gs (zero-extended) / mov m16, gs', () => {
    // mov ecx, 0x33 ; mov gs, ecx ; mov eax, -1 ; mov eax, gs ; mov [ebx], gs ; int3
    const r = run([0xb9, ...le(TLS_SEL), 0x8e, 0xe9, 0xb8, ...le(-1), 0x8c, 0xe8, 0x8c, 0x2b, 0xcc], (c) => {
      tls(c, { base: DATA, limit: 0xfff }, false);
      c.r[3] = DATA;
      c.write32(DATA, -1);
    });
    expect(r.kind).toBe('trap');
    expect(r.cpu.r[0]).toBe(TLS_SEL);
    expect(r.cpu.read32(DATA) >>> 0).toBe((0xffff0000 | TLS_SEL) >>> 0); // a 16-bit store
    expect(r.cpu.seg.base[GS]).toBe(DATA);
  });

  it('mov cs is #UD; mov ss with the null selector #GP(0); a kernel selector #GP(sel); absent #NP', () => {
    expect(run([0x8e, 0xc8]).fault).toBe('ud');
    expect(run([0x31, 0xc0, 0x8e, 0xd0])).toMatchObject({ fault: 'gp', err: 0 });
    expect(run([0xb8, ...le(0x18), 0x8e, 0xe8])).toMatchObject({ fault: 'gp', err: 0x18 });
    const np = run([0xb8, ...le(TLS_SEL), 0x8e, 0xe0], (c) => tls(c, { base: DATA, notPresent: 1, limit: 1 }, false));
    expect(np).toMatchObject({ fault: 'np', err: 0x30 });
    expect(np.cpu.seg.sel[FS]).toBe(0); // unchanged
  });

  it('push / pop of segment registers: 32-bit pushes zero-extend; a faulting pop leaves ESP', () => {
    // push gs (0f a8) ; push ds (1e) ; pop es (07) ; pop fs (0f a1) ; int3
    const r = run([0x0f, 0xa8, 0x1e, 0x07, 0x0f, 0xa1, 0xcc], (c) => {
      tls(c, { base: DATA, limit: 0xfff });
      c.write32(STACK - 8, -1);
    });
    expect(r.kind).toBe('trap');
    expect(r.cpu.seg.sel[FS]).toBe(TLS_SEL);
    expect(r.cpu.seg.base[FS]).toBe(DATA);
    expect(r.cpu.r[4]).toBe(STACK);
    // push 0x18 ; pop gs
    const bad = run([0x6a, 0x18, 0x0f, 0xa9]);
    expect(bad).toMatchObject({ fault: 'gp', err: 0x18 });
    expect(bad.cpu.r[4]).toBe(STACK - 4);
    // 66 push gs: 2 bytes
    const p16 = run([0x66, 0x0f, 0xa8, 0xcc], (c) => tls(c, { base: DATA, limit: 1 }));
    expect(p16.cpu.r[4]).toBe(STACK - 2);
    expect(p16.cpu.read16(STACK - 2)).toBe(TLS_SEL);
  });

  it('lgs / lfs / lds: offset into the register, selector into the segment register', () => {
    // lgs eax, [ebx] (0f b5 03) ; lds ecx, [ebx] (c5 0b) ; int3
    const r = run([0x0f, 0xb5, 0x03, 0xc5, 0x0b, 0xcc], (c) => {
      tls(c, { base: DATA + 0x100, limit: 0xfff }, false);
      c.r[3] = DATA;
      c.write32(DATA, 0x1234);
      c.write16(DATA + 4, TLS_SEL);
    });
    // lds with a non-flat descriptor is refused: DS stays flat in this model
    expect(r).toMatchObject({ fault: 'gp', err: 0x30 });
    expect(r.cpu.r[0]).toBe(0x1234);
    expect(r.cpu.seg.sel[GS]).toBe(TLS_SEL);
    const ok = run([0xc5, 0x0b, 0xcc], (c) => {
      c.r[3] = DATA;
      c.write32(DATA, 0x5678);
      c.write16(DATA + 4, USER_DS);
    });
    expect(ok.kind).toBe('trap');
    expect(ok.cpu.r[1]).toBe(0x5678);
  });
});

describe('the FS / GS override', () => {
  const withGs = (u: Partial<UserDesc>) => (c: Cpu) => {
    tls(c, u);
    c.r[3] = 8;
    c.write32(DATA + 8, 0x11223344);
  };

  it('adds the base to ModRM, moffs, read-modify-write and string-source operands; LEA is unaffected', () => {
    // mov eax, gs:[ebx] ; add dword gs:[ebx], 1 ; mov gs:[0x10], eax (65 a3) ; mov esi, 8 ; lodsd gs ; lea edx, gs:[ebx+4] ; int3
    const bytes = [0x65, 0x8b, 0x03, 0x65, 0x83, 0x03, 0x01, 0x65, 0xa3, ...le(0x10), 0xbe, ...le(8), 0x65, 0xad, 0x65, 0x8d, 0x53, 0x04, 0xcc];
    const { cpu, interp } = machine(bytes);
    withGs({ base: DATA, limit: 0xfff })(cpu);
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.read32(DATA + 0x10)).toBe(0x11223344);
    expect(cpu.read32(DATA + 8)).toBe(0x11223345);
    expect(cpu.r[0]).toBe(0x11223345); // lods from gs:8
    expect(cpu.r[2]).toBe(12);
  });

  it('xlat reads gs:[ebx + al]; beyond the limit it is #GP(0)', () => {
    // mov ebx, 4 ; mov al, 3 ; xlat gs ; int3
    const bytes = [0xbb, ...le(4), 0xb0, 0x03, 0x65, 0xd7, 0xcc];
    const { cpu, interp } = machine(bytes);
    withGs({ base: DATA, limit: 0xfff })(cpu);
    cpu.write8(DATA + 7, 0x5a);
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[0]! & 0xff).toBe(0x5a);
    const tight = machine(bytes);
    withGs({ base: DATA, limit: 6 })(tight.cpu);
    expect(tight.interp.run(1000, 0).kind).toBe('fault');
    expect(tight.cpu.fault.kind).toBe('gp');
  });

  it('movs takes its source through the override, its destination through ES', () => {
    const r = run([0xbe, ...le(8), 0xbf, ...le(DATA + 0x20), 0x65, 0xa5, 0xcc], withGs({ base: DATA, limit: 0xfff }));
    expect(r.cpu.read32(DATA + 0x20)).toBe(0x11223344);
  });

  it('checks the limit (the whole operand), granularity and expand-down; the null selector is #GP(0)', () => {
    const at = (off: number, u: Partial<UserDesc>) => run([0x65, 0xa1, ...le(off), 0xcc], withGs(u));
    expect(at(12, { base: DATA, limit: 15 }).kind).toBe('trap');
    expect(at(13, { base: DATA, limit: 15 })).toMatchObject({ fault: 'gp', err: 0 });
    expect(at(0x1ffc, { base: DATA - 0x1000, limit: 1, limitInPages: 1 }).kind).toBe('trap');
    expect(at(0x2000, { base: DATA - 0x1000, limit: 1, limitInPages: 1 })).toMatchObject({ fault: 'gp' });
    expect(at(0x10, { base: DATA, limit: 0xf, contents: 1 }).kind).toBe('trap'); // expand-down: above the limit
    expect(at(0x8, { base: DATA, limit: 0xf, contents: 1 })).toMatchObject({ fault: 'gp' });
    expect(at(0xfffe, { base: DATA - 0xf000, limit: 0xf, contents: 1, seg32: 0 })).toMatchObject({ fault: 'gp' }); // beyond 64 KiB
    expect(run([0x65, 0xa1, 0, 0, 0, 0, 0xcc])).toMatchObject({ fault: 'gp', err: 0 });
  });

  it('segment-prefixed forms carry no template IR; unprefixed ones keep it', () => {
    const ctx = (bytes: number[]) => ({ byte: (a: number) => bytes[a]!, hookEnter: -1, hookExit: -1 });
    expect(decode(ctx([0x65, 0x8b, 0x03]), 0).jit).toBeUndefined();
    expect(decode(ctx([0x8b, 0x03]), 0).jit).toBeDefined();
    expect(decode(ctx([0x65, 0x89, 0xc3]), 0).jit).toBeDefined(); // register operands only
  });
});
