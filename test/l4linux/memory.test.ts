/**
 * Running out of memory is a Linux outcome, never a host error (DESIGN §8): the Linux server's pool
 * grows from sigma0 as processes need pages; brk that asks for more than is free fails with ENOMEM
 * (malloc returns NULL); a page fault that finds no memory at all kills the process with SIGKILL (the
 * out-of-memory kill); the stack stops at the 8 MiB limit (SIGSEGV). Under every personality.
 */
import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { USER_STACK_SIZE, USER_STACK_TOP } from '../../src/l4linux/memory.js';
import { expectedGuests, runGuest } from '../support/guests.js';

const PERSONALITIES: [string, string[]][] = [
  ['native Linux 2.4', ['personality=native']],
  ['L4Linux on V2', ['personality=l4linux']],
  ['L4Linux on L4Env', ['personality=l4env']],
];

const expected = (name: string) => expectedGuests().find((g) => g.name === name)!;

describe('memory: growth, ENOMEM, the out-of-memory kill and the stack limit', () => {
  for (const [label, sets] of PERSONALITIES) {
    describe(label, () => {
      it('a 5 MiB heap, touched, works as natively (the default 4 MiB pool grows)', () => {
        const g = expected('bigmem');
        const r = runGuest('bigmem', g.args, sets);
        expect(r.run.stop.outcome).toBe('ok');
        expect(r.stdout).toBe(g.stdout);
        expect(r.status).toBe(0);
      });

      for (const [machine, extra, atLimit] of [
        ['an 8 MiB machine (the default): the stack cannot grow once memory is used up', [] as string[], false],
        ['a 32 MiB machine: at the 8 MiB stack limit', ['physFrames=8192'], true],
      ] as const) {
        it(`endless recursion ends with SIGSEGV, as natively, on ${machine}`, () => {
          const g = expected('recurse');
          const r = runGuest('recurse', [], [...sets, ...extra]);
          expect(r.run.stop.outcome).toBe('ok');
          expect(r.stdout).toBe(g.stdout);
          expect(r.status).toBe(139);
          const evs = [...r.reader().events()];
          const deliver = evs.filter((e) => e.kind === Kind.SIG_DELIVER);
          expect(deliver.at(-1)!.args.slice(0, 2)).toEqual([1, 11]);
          if (!sets.includes('personality=native')) {
            // The last page fault of the process: below the limit, or above it (memory ran out first).
            const reader = r.reader();
            const user = reader.threads.findIndex((t) => t.linuxPid === 1);
            const pf = evs.filter((e) => e.kind === Kind.PF && e.thread === user).at(-1)!;
            const limit = USER_STACK_TOP - USER_STACK_SIZE;
            expect((pf.args[0]! >>> 0) < limit).toBe(atLimit);
            expect((pf.args[0]! >>> 0) > limit - 0x10000).toBe(true);
          }
        });
      }

      it('a heap bigger than the machine: brk fails, malloc returns NULL with ENOMEM', () => {
        const r = runGuest('bigmem', ['64', '1'], sets);
        expect(r.run.stop.outcome).toBe('ok');
        expect(r.stdout).toBe('malloc of block 0 (64 MiB) failed: errno 12\n');
        expect(r.status).toBe(1);
      });

      it('promised but not there (two 5 MiB blocks on an 8 MiB machine): the out-of-memory kill, SIGKILL', () => {
        const r = runGuest('bigmem', ['5', '2'], sets);
        expect(r.run.stop.outcome).toBe('ok');
        expect(r.stdout).toBe('2 block(s) of 5 MiB allocated\n');
        expect(r.status).toBe(128 + 9);
        const evs = [...r.reader().events()];
        const kill = evs.find((e) => e.kind === Kind.SIG_DELIVER && e.args[1] === 9);
        expect(kill?.args[0]).toBe(1);
      });
    });
  }
});
