import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { IpcError } from '../../src/l4/ipc-errors.js';
import { SIG_PATH } from '../../src/l4linux/platform.js';
import { recordInMemory, runUntraced } from '../support/record.js';
import { outcomesBySeed, range } from './sweep.js';

const SIGTERM = 15;


describe('signal-race: the fresh-process signal race of L4Linux 2.4', () => {
  const none = outcomesBySeed('signal-race', 'none', range(40));

  it('without a fix, the run hangs under some seeds and completes under others', () => {
    expect([...none.keys()].sort()).toEqual(['hang', 'ok']);
    expect(none.get('hang')!.length).toBeGreaterThan(4);
    expect(none.get('ok')!.length).toBeGreaterThan(4);
  });

  it('a hanging run shows the SIG_SEND whose kick failed, and no SIG_DELIVER after it', () => {
    const seed = none.get('hang')![0]!;
    const r = recordInMemory('signal-race', { seed });
    expect(r.result.run.stop.outcome).toBe('hang');
    const reader = r.reader();
    const events = [...reader.events()];
    const send = events.find((e) => e.kind === Kind.SIG_SEND && e.args[2] === SIGTERM)!;
    expect(send).toBeDefined();
    const [from, to, , path, kick] = send.args;
    expect(from).toBe(1); // the parent
    expect(to).toBe(2); // the fresh child
    expect(path).toBe(SIG_PATH.KICK);
    expect([IpcError.ENOT_EXISTENT, IpcError.SETIMEOUT]).toContain(kick);
    expect(events.filter((e) => e.kind === Kind.SIG_DELIVER && e.seq > send.seq)).toEqual([]);
    // The child never entered the kernel again: it is still computing at the deadline.
    expect(events.some((e) => e.kind === Kind.SYSCALL_ENTER && e.args[0] === 2 && e.seq > send.seq)).toBe(false);
  });

  it('the kick is lost in both windows: before the signal thread exists (ENOT_EXISTENT) and before it receives (SETIMEOUT)', () => {
    const errors = new Set<number>();
    for (const seed of none.get('hang')!) {
      const reader = recordInMemory('signal-race', { seed }).reader();
      for (const e of reader.events()) if (e.kind === Kind.SIG_SEND && e.args[3] === SIG_PATH.KICK) errors.add(e.args[4]!);
      if (errors.size === 2) break;
    }
    expect([...errors].sort()).toEqual([IpcError.ENOT_EXISTENT, IpcError.SETIMEOUT]);
  });

  it('a completed run delivers SIGTERM after a successful kick and the child dies of it', () => {
    const seed = none.get('ok')![0]!;
    const r = recordInMemory('signal-race', { seed });
    const events = [...r.reader().events()];
    const send = events.find((e) => e.kind === Kind.SIG_SEND && e.args[2] === SIGTERM)!;
    expect(send.args[4]).toBe(IpcError.OK);
    const deliver = events.find((e) => e.kind === Kind.SIG_DELIVER && e.args[1] === SIGTERM)!;
    expect(deliver.seq).toBeGreaterThan(send.seq);
    expect(deliver.args[0]).toBe(2);
  });

  it('native Linux has no such race: a kill interrupts the process directly', () => {
    const seeds = none.get('hang')!.slice(0, 5);
    for (const seed of seeds) expect(runUntraced('signal-race', { seed, sets: ['personality=native'] }).outcome).toBe('ok');
  });

  it('recording the same hanging seed twice gives byte-identical traces', () => {
    const seed = none.get('hang')![0]!;
    const a = recordInMemory('signal-race', { seed }).bytes;
    const b = recordInMemory('signal-race', { seed }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
