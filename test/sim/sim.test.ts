import { describe, expect, it } from 'vitest';
import { ChoiceSite, RecordingChoices, TapeChoices, TapeDivergence, type TapeEntry } from '../../src/sim/choices.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { PrngStream } from '../../src/sim/prng.js';

describe('PRNG streams', () => {
  it('are reproducible from (seed, name) and independent across names and seeds', () => {
    const draw = (seed: number, name: string) => Array.from({ length: 8 }, ((s) => () => s.next())(new PrngStream(seed, name)));
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    // seeds above 2^32 are not truncated
    expect(draw(2 ** 40, 'a')).not.toEqual(draw(0, 'a'));
  });

  it('known first values (a change here changes every recorded trace: bump MACHINE_VERSION)', () => {
    const s = new PrngStream(0, 'choice:1');
    expect([s.next(), s.next(), s.next()]).toEqual([472274674, 2339492746, 558786519]);
  });

  it('below(n) stays in range and covers it evenly', () => {
    const s = new PrngStream(7, 'x');
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[s.below(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(s.below(1)).toBe(0);
  });
});

describe('choices and the decision tape', () => {
  it('recording tapes every real decision; replaying the tape gives the same values', () => {
    const tape: TapeEntry[] = [];
    const rec = new RecordingChoices(5, 'prng', (site, value, range) => tape.push({ site, value, range }));
    const values = [rec.choose(ChoiceSite.TIE, 3), rec.choose(ChoiceSite.IRQ_INSTANT, 1000), rec.choose(ChoiceSite.TIE, 1), rec.choose(ChoiceSite.TIE, 2)];
    expect(values[2]).toBe(0); // a range of 1 is no decision ...
    expect(tape).toHaveLength(3); // ... and is not taped
    const replay = new TapeChoices(tape);
    expect([replay.choose(ChoiceSite.TIE, 3), replay.choose(ChoiceSite.IRQ_INSTANT, 1000), replay.choose(ChoiceSite.TIE, 1), replay.choose(ChoiceSite.TIE, 2)]).toEqual(values);
  });

  it('a tape that runs out, or holds another kind of decision, is a divergence naming the position', () => {
    const tape: TapeEntry[] = [{ site: ChoiceSite.TIE, value: 1, range: 2 }];
    const c = new TapeChoices(tape);
    expect(() => c.choose(ChoiceSite.IRQ_INSTANT, 10)).toThrow(TapeDivergence);
    const d = new TapeChoices(tape);
    d.choose(ChoiceSite.TIE, 2);
    expect(() => d.choose(ChoiceSite.TIE, 2)).toThrow(/position 1: the tape ran out/);
    expect(() => new TapeChoices([{ site: 1, value: 5, range: 6 }]).choose(ChoiceSite.TIE, 3)).toThrow(/position 0/);
  });

  it('OS entropy still tapes what it drew', () => {
    const tape: TapeEntry[] = [];
    const rec = new RecordingChoices(0, 'os', (site, value, range) => tape.push({ site, value, range }));
    for (let i = 0; i < 20; i++) rec.choose(ChoiceSite.TIE, 1000);
    expect(tape).toHaveLength(20);
    expect(tape.every((e) => e.value < 1000)).toBe(true);
  });
});

describe('event queue', () => {
  it('orders by (time, cpu, insertion) and skips cancelled events', () => {
    const q = new EventQueue();
    const log: string[] = [];
    const at = (t: number, cpu: number, name: string) => q.schedule(t, cpu, () => log.push(name));
    at(20, 0, 'c');
    at(10, 1, 'b');
    at(10, 0, 'a1');
    const x = at(5, 0, 'x');
    at(10, 0, 'a2');
    x.cancelled = true;
    for (let e = q.pop(); e; e = q.pop()) e.fire();
    expect(log).toEqual(['a1', 'a2', 'b', 'c']);
  });

  it('stays ordered under many random insertions', () => {
    const q = new EventQueue();
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 1000;
    for (let i = 0; i < 2000; i++) q.schedule(rnd(), rnd() % 3, () => {});
    let prev = { time: -1, cpu: -1, seq: -1 };
    for (let e = q.pop(); e; e = q.pop()) {
      const ok = e.time > prev.time || (e.time === prev.time && (e.cpu > prev.cpu || (e.cpu === prev.cpu && e.seq > prev.seq)));
      expect(ok).toBe(true);
      prev = e;
    }
  });
});
