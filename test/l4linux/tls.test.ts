/**
 * Linux's TLS system calls and the segment state of a process (src/l4linux/tls.ts, docs/segments.md):
 * the `tls` guest (set_thread_area, get_thread_area, modify_ldt with their errnos, %gs / %fs accesses,
 * limits, fork, bad selectors, selectors through sigreturn) prints under every personality what it
 * printed natively; signal frames carry the thread's selectors; sigreturn and a new thread's first
 * entry load selectors as Linux's loadsegment does (a bad one becomes the null selector).
 */
import { describe, expect, it } from 'vitest';
import { descFromUser, DS, ES, FS, GS, Segments, SS, TLS_FIRST, USER_CS, USER_DS, type UserDesc } from '../../src/ia32/segments.js';
import { SA_RESTORER, SIG } from '../../src/l4linux/abi.js';
import { ProcessMemory } from '../../src/l4linux/memory.js';
import { Process } from '../../src/l4linux/process.js';
import { buildFrame, readSigcontext, RT_FRAME } from '../../src/l4linux/sigframe.js';
import { EXEC_SELECTORS, execSegments, hasDescriptors, loadSelectors, startSegments } from '../../src/l4linux/tls.js';
import { GuestImage } from '../../src/l4/guest-image.js';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import { FileTable } from '../../src/l4linux/files.js';
import { replayTrace } from '../../replay/replay.js';
import { expectedGuests, runGuest } from '../support/guests.js';

const TLS_SEL = (TLS_FIRST << 3) | 3;
const desc = (o: Partial<UserDesc>): [number, number] =>
  descFromUser({ entry: 0, base: 0, limit: 0, seg32: 1, contents: 0, readExecOnly: 0, limitInPages: 0, notPresent: 0, useable: 0, ...o });

describe('the tls guest prints what it printed natively', () => {
  const g = expectedGuests().find((x) => x.name === 'tls')!;
  for (const personality of ['native', 'l4linux', 'l4env']) {
    it(personality, () => {
      const r = runGuest('tls', g.args, [`personality=${personality}`]);
      expect(r.stdout).toBe(g.stdout);
      expect(r.status).toBe(g.exitCode);
    });
  }

  for (const personality of ['native', 'l4linux']) {
    it(`${personality}: its trace replays as identical (segment state in the machine digest)`, () => {
      const r = runGuest('tls', g.args, [`personality=${personality}`]);
      expect(replayTrace(r.reader(), 'tls.l4t').verdict).toBe('identical');
    });
  }
});

describe('segment state across signal frames, fork, exec and the first entry', () => {
  const regs = [0, 0, 0x08048123, 0x246, 7, 6, 5, 0xbffff000, 3, 4, 5, 0];
  const act = { handler: 0x08049000, flags: SA_RESTORER, restorer: 0x0804a000, mask: 0 };
  const noTrap = { trapNo: 0, errorCode: 0, cr2: 0 };

  it('the sigcontext carries gs fs es ds, Linux 2.4 user cs / ss, and reads them back', () => {
    const f = buildFrame(true, SIG.USR1, act, regs, 0, { sender: 1 }, noTrap, [TLS_SEL, 7, USER_DS, USER_DS]);
    const dv = new DataView(f.bytes.buffer);
    expect(dv.getUint32(RT_FRAME.SC, true)).toBe(TLS_SEL);
    expect(dv.getUint32(RT_FRAME.SC + 4, true)).toBe(7);
    expect(dv.getUint32(RT_FRAME.SC + 15 * 4, true)).toBe(USER_CS);
    expect(dv.getUint32(RT_FRAME.SC + 18 * 4, true)).toBe(USER_DS);
    expect(readSigcontext(f.bytes, true).sel).toEqual([TLS_SEL, 7, USER_DS, USER_DS]);
    // the default (no thread to ask): FS = GS = 0, as before segments were modelled
    const d = readSigcontext(buildFrame(true, SIG.USR1, act, regs, 0, { sender: 1 }, noTrap).bytes, true);
    expect(d.sel).toEqual([0, 0, USER_DS, USER_DS]);
  });

  it('loading selectors as loadsegment: a bad one becomes 0 (no signal), SS stays the user data segment', () => {
    const s = new Segments();
    [s.tls[0], s.tls[1]] = desc({ base: 0x1000, limit: 0xfff });
    loadSelectors(s, [0x18, USER_CS, 0, 0xfff8, 0x68, TLS_SEL], [ES, SS, DS, FS, GS]);
    expect(Array.from(s.sel)).toEqual([0, USER_CS, USER_DS, 0, 0, TLS_SEL]);
    expect(s.base[GS]).toBe(0x1000);
  });

  it('a fork child starts with its parent descriptors and selectors; exec starts with none', () => {
    const image = new GuestImage('hello', loadCommittedGuest('hello'));
    const p = new Process(2, null, 2, 'hello', new ProcessMemory(image), new FileTable());
    [p.tls[2], p.tls[3]] = desc({ base: 0x2000, limit: 0xfffff, limitInPages: 1 });
    p.ldt = Uint32Array.from(desc({ base: 0x3000, limit: 0xff }));
    p.startSel = [USER_DS, USER_CS, USER_DS, USER_DS, 7, TLS_SEL + 8];
    expect(hasDescriptors(p)).toEqual({ tls: true, ldt: true });
    const s = new Segments();
    startSegments(s, p);
    expect(s.base[FS]).toBe(0x3000);
    expect(s.base[GS]).toBe(0x2000);
    p.ldt[0] = 0x1234; // the thread has its own copy of the LDT
    expect(s.ldt.d[0]).not.toBe(0x1234);
    execSegments(p);
    startSegments(s, p);
    expect(Array.from(s.sel)).toEqual([...EXEC_SELECTORS]);
    expect(hasDescriptors(p)).toEqual({ tls: false, ldt: false });
  });

  it('changed descriptors reload FS and GS (a cleared entry leaves the null selector)', () => {
    const s = new Segments();
    [s.tls[0], s.tls[1]] = desc({ base: 0x1000, limit: 0xfff });
    s.cache(GS, TLS_SEL);
    [s.tls[0], s.tls[1]] = desc({ base: 0x5000, limit: 0xfff });
    s.refresh();
    expect(s.base[GS]).toBe(0x5000);
    s.tls.fill(0);
    s.refresh();
    expect(s.sel[GS]).toBe(0);
  });
});
