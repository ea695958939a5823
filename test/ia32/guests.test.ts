import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { expectedGuests, runGuest } from '../support/guests.js';

const guests = expectedGuests();

describe('guest programs print under l4trace exactly what they print natively', () => {
  it('covers the compute set at -O0 and -O2, hello and the fault programs', () => {
    const names = guests.map((g) => g.name);
    for (const p of ['rec', 'strings', 'sort', 'int64', 'switch', 'fnptr']) for (const o of ['O0', 'O2']) expect(names).toContain(`${p}-${o}`);
    expect(names).toContain('hello');
    expect(names.filter((n) => n.startsWith('faults-'))).toHaveLength(4);
  });

  for (const g of guests) {
    it(`${g.name} ${g.args.join(' ')}: same stdout, same exit status${g.funcEnter !== null ? ', same FUNC_ENTER / FUNC_EXIT counts in the first process' : ''}`, () => {
      // The fixed L4Linux: sigrace would otherwise lose its signal under some interleavings (see
      // test/l4linux/signal-race.test.ts).
      const r = runGuest(g.name, g.args, ['signalFix=handshake'], g.stdin ?? null);
      if (g.racy) {
        // a data race: whether updates are lost depends on the interleaving; only that it ended
        expect([0, 1]).toContain(r.status);
      } else {
        expect(r.stdout).toBe(g.stdout);
        expect(r.status).toBe(g.exitCode);
      }
      if (g.funcEnter !== null) {
        // Native counts cover the first process (pid 1, also after execve), not forked children.
        const reader = r.reader();
        const init = new Set(reader.threads.map((t, i) => (t.linuxPid === 1 ? i : -1)).filter((i) => i >= 0));
        let enters = 0;
        let exits = 0;
        for (const c of reader.decodedChunks()) {
          if (!init.has(c.thread)) continue;
          for (let i = 0; i < c.count; i++) {
            if (c.kinds[i] === Kind.FUNC_ENTER) enters++;
            else if (c.kinds[i] === Kind.FUNC_EXIT) exits++;
          }
        }
        expect(enters).toBe(g.funcEnter);
        expect(exits).toBe(g.funcExit);
      }
    });
  }
});

describe('faults go through the kernel and the host keeps running', () => {
  for (const [mode, sig, how] of [
    ['ud2', 4, 'an exception IPC to the Linux server (#UD)'],
    ['div0', 8, 'an exception IPC to the Linux server (#DE)'],
    ['writetext', 11, 'a write page fault on a read-only text page'],
    ['null', 11, 'a page fault outside every region'],
  ] as const) {
    it(`${mode}: ${how}, delivered as signal ${sig}`, () => {
      const r = runGuest(`faults-${mode}`, [mode]);
      expect(r.status).toBe(128 + sig);
      const reader = r.reader();
      const evs = [...reader.events()];
      const deliver = evs.find((e) => e.kind === Kind.SIG_DELIVER)!;
      expect(deliver.args.slice(0, 2)).toEqual([1, sig]);
      const user = reader.threads.findIndex((t) => reader.string(t.name) === `faults-${mode}`);
      if (mode === 'writetext') {
        const pf = evs.filter((e) => e.kind === Kind.PF && e.thread === user).at(-1)!;
        expect(pf.args[1]! & 3).toBe(3); // present page, write access
      } else if (mode === 'null') {
        const pf = evs.filter((e) => e.kind === Kind.PF && e.thread === user).at(-1)!;
        expect(pf.args[0]).toBe(0);
      } else {
        // the user thread's last IPC is the emulation library's call carrying the trap number
        const call = evs.filter((e) => e.kind === Kind.IPC && e.thread === user).at(-1)!;
        expect(call.args[5]).toBe(mode === 'ud2' ? 6 : 0);
      }
    });
  }
});
