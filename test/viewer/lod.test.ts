/**
 * Level of detail (viewer/app/lod.ts): merged levels keep the picture honest and the item count bounded.
 * - Touching intervals (a CPU's scheduling intervals have no gaps) merge only while both sides are
 *   narrower than the level's gap: a long run of one thread keeps its own item next to bands of short ones.
 * - At any level, an item is `gap` wide, or `gap` away from the next, or followed by a `gap`-wide item
 *   (a few items per pixel at most).
 * - Every merged item counts its members, and its representative is its longest member.
 * - A merged item's key is the one covering most of its time, and its representative has that key.
 */
import { describe, expect, it } from 'vitest';
import { Mipmap } from '../../viewer/app/lod.js';
import { mergedLabel } from '../../viewer/app/series.js';

function series(intervals: [number, number][], keys?: number[]): Mipmap {
  const starts = Float64Array.from(intervals.map((i) => i[0]));
  const ends = Float64Array.from(intervals.map((i) => i[1]));
  return new Mipmap(starts, ends, 0, intervals.length, keys ? (i) => keys[i]! : undefined);
}

describe('viewer level of detail', () => {
  it('a long interval between bands of short touching ones stays its own item', () => {
    // 1000 alternating 10-cycle intervals, one of 5,000 cycles, 1000 more short ones: all touching.
    const iv: [number, number][] = [];
    let t = 0;
    for (let i = 0; i < 1000; i++, t += 10) iv.push([t, t + 10]);
    const longIndex = iv.length;
    iv.push([t, t + 5000]);
    t += 5000;
    for (let i = 0; i < 1000; i++, t += 10) iv.push([t, t + 10]);
    const lv = series(iv).level(Mipmap.levelFor(1000)); // gap 256: the short ones merge, the long one does not
    expect(lv.gap).toBeLessThan(5000);
    const items = Array.from({ length: lv.length }, (_, i) => ({ start: lv.start[i]!, end: lv.end[i]!, count: lv.count[i]!, rep: lv.rep[i]! }));
    const long = items.find((x) => x.rep === longIndex)!;
    expect(long.start).toBe(10_000);
    expect(long.end).toBe(15_000);
    expect(long.count).toBe(1);
    expect(items.reduce((a, x) => a + x.count, 0)).toBe(iv.length);
    expect(items.length).toBeLessThan(iv.length / 10);
  });

  it('at every level items are gap-wide or gap-apart, counts add up, representatives are the longest', () => {
    // Pseudo-random lengths and gaps over six orders of magnitude.
    let x = 12345;
    const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
    const iv: [number, number][] = [];
    let t = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = Math.floor(10 ** (rnd() * 6));
      const gap = rnd() < 0.5 ? 0 : Math.floor(10 ** (rnd() * 5));
      iv.push([t, t + len]);
      t += len + gap;
    }
    const m = series(iv);
    for (let k = 1; k <= 14; k++) {
      const lv = m.level(k);
      let total = 0;
      for (let i = 0; i < lv.length; i++) {
        total += lv.count[i]!;
        const wide = (j: number): boolean => lv.end[j]! - lv.start[j]! >= lv.gap;
        const last = i + 1 === lv.length;
        const apart = last || lv.start[i + 1]! - lv.end[i]! >= lv.gap;
        if (!wide(i) && !apart && !wide(i + 1)) expect.fail(`level ${k} item ${i}: not ${lv.gap} wide, apart or before a wide item`);
        const rep = lv.rep[i]!;
        expect(iv[rep]![0]).toBeGreaterThanOrEqual(lv.start[i]!);
        expect(iv[rep]![1]).toBeLessThanOrEqual(lv.end[i]!);
      }
      expect(total).toBe(iv.length);
      // Bounded by the span over the gap (plus one), whatever the number of intervals.
      expect(lv.length).toBeLessThanOrEqual(2 * Math.ceil(t / lv.gap) + 1);
    }
  });

  it('a merged item takes the key that covers most of its time, not its first or longest member\'s', () => {
    // Touching intervals: key 7 first (one 30-cycle interval, the longest), then 100 alternating
    // intervals of keys 1 (20 cycles) and 2 (5 cycles): key 1 covers most of the time.
    const iv: [number, number][] = [[0, 30]];
    const keys = [7];
    let t = 30;
    for (let i = 0; i < 100; i++) {
      const len = i % 2 === 0 ? 20 : 5;
      iv.push([t, t + len]);
      keys.push(i % 2 === 0 ? 1 : 2);
      t += len;
    }
    const m = series(iv, keys);
    for (const k of [3, 4, 5]) {
      const lv = m.level(k); // gaps 64, 256, 1024 cycles: the band merges into one or a few items
      expect(lv.length).toBeLessThan(iv.length);
      const biggest = [...Array(lv.length).keys()].reduce((b, i) => (lv.count[i]! > lv.count[b]! ? i : b), 0);
      expect(lv.key[biggest], `level ${k}`).toBe(1);
      expect(keys[lv.rep[biggest]!]).toBe(1);
      expect(lv.keyCount[biggest]!).toBeLessThan(lv.count[biggest]!);
    }
  });

  it('a merged item is labelled by its dominant name and how many it stands for', () => {
    expect(mergedLabel('ipc:call', 1, 1, 'calls')).toBe('ipc:call');
    expect(mergedLabel('ipc:call', 2010, 2010, 'calls')).toBe('ipc:call ×2,010');
    expect(mergedLabel('ipc:call', 2020, 2010, 'calls')).toBe('2,020 calls, mostly ipc:call');
  });
});
