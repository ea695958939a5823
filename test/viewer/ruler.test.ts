/**
 * The ruler's labels (viewer/app/ruler.ts): at every zoom and offset, neighbouring ticks read
 * differently in cycles and in time, and each label is exact to within half a tick step.
 */
import { describe, expect, it } from 'vitest';
import { ticks } from '../../viewer/app/ruler.js';

/** A label back to a number in base units (cycles, µs). */
function parse(label: string): number {
  const m = /^(-?[\d.]+)\s*(k|M|G|µs|ms|s)?$/.exec(label.trim())!;
  expect(m, label).not.toBeNull();
  const scale: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, µs: 1, ms: 1e3, s: 1e6 };
  return Number(m[1]) * scale[m[2] ?? '']!;
}

describe('ruler ticks', () => {
  for (const cyclesPerUs of [200, 3, 1000]) {
    it(`labels are distinct and exact to the step, at ${cyclesPerUs} cycles/µs`, () => {
      for (const centre of [107_000, 5_123_457, 2_000_000_125, 12]) {
        for (const span of [30, 200, 1_000, 31_000, 500_000, 2e7, 2e9]) {
          const t0 = centre - span / 2;
          const ts = ticks(t0, t0 + span, 1180, cyclesPerUs);
          expect(ts.length, `${centre} ± ${span}`).toBeGreaterThanOrEqual(2);
          const step = ts[1]!.t - ts[0]!.t;
          expect(new Set(ts.map((t) => t.cycles)).size).toBe(ts.length);
          expect(new Set(ts.map((t) => t.time)).size).toBe(ts.length);
          for (const t of ts) {
            expect(Math.abs(parse(t.cycles) - t.t), t.cycles).toBeLessThanOrEqual(step / 2);
            expect(Math.abs(parse(t.time) - t.t / cyclesPerUs), t.time).toBeLessThanOrEqual(step / cyclesPerUs / 2);
          }
        }
      }
    });
  }

  it('zoomed in at 107k cycles the labels read 107.02k, 107.04k, ... (not 107k, 107k, ...)', () => {
    const ts = ticks(107_000, 107_200, 1180, 200);
    expect(ts.map((t) => t.cycles).slice(0, 3)).toEqual(['107.00k', '107.02k', '107.04k']);
  });
});
