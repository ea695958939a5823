import { describe, expect, it } from 'vitest';
import { fromV2, fromX2, gid, irqGid, showGid, toV2, toX2 } from '../../src/l4/ids.js';
import { IpcError, toX2Error } from '../../src/l4/ipc-errors.js';
import { decodeV2, decodeX2Period, encodeV2, encodeX2Period, NEVER, us, ZERO } from '../../src/l4/timeouts.js';

describe('thread ids', () => {
  it('round-trip through the V2 and X.2 encodings', () => {
    for (const g of [gid(4, 0, 1), gid(2047, 127, 0x3fff), gid(5, 1, 1234), gid(17, 3, 1)]) {
      expect(fromV2(toV2(g).low)).toBe(g);
      expect(fromX2(toX2(g))).toBe(g);
    }
  });

  it('V2 layout: version_low:10 lthread:7 task:11 version_high:4', () => {
    expect(toV2(gid(1, 0, 0)).low).toBe(1 << 17);
    expect(toV2(gid(0, 1, 0)).low).toBe(1 << 10);
    expect(toV2(gid(0, 0, 0x400)).low).toBe(1 << 28);
    expect(showGid(gid(0x1a, 2, 3))).toBe('1a.02v3');
  });

  it('interrupt n is (low = n + 1, high = 0) in V2 and GlobalId(n, 1) in X.2 (l4-semantics.md §1)', () => {
    for (const n of [0, 1, 15]) {
      expect(toV2(irqGid(n))).toEqual({ low: n + 1, high: 0 });
      expect(toX2(irqGid(n))).toBe(((n << 14) | 1) >>> 0);
      expect(fromX2(toX2(irqGid(n)))).toBe(irqGid(n));
    }
  });
});

describe('timeouts', () => {
  it('decode V2 words: exp 0 = never, man 0 = zero, man * 4^(15-exp) us', () => {
    expect(decodeV2(0).rcv).toEqual(NEVER);
    // rcv_exp = 10, rcv_man = 5 -> 5 * 4^5 us
    expect(decodeV2(10 | (5 << 24)).rcv).toEqual(us(5 * 1024));
    expect(decodeV2(1).rcv).toEqual(ZERO);
    // pf timeouts: p = 15 -> 1 us
    expect(decodeV2(15 << 8).rcvPf).toEqual(us(1));
  });

  it('encode then decode is stable (exact for representable values)', () => {
    for (const t of [NEVER, ZERO, us(1), us(1024), us(5 * 1024), us(255 * 4 ** 14)]) {
      const w = encodeV2({ snd: t, rcv: t, sndPf: NEVER, rcvPf: NEVER });
      expect(decodeV2(w).snd).toEqual(t);
      expect(decodeV2(w).rcv).toEqual(t);
      expect(decodeX2Period(encodeX2Period(t))).toEqual(t);
    }
  });
});

describe('error codes', () => {
  it('V2 codes map onto X.2 error codes with the phase bit', () => {
    expect(toX2Error(IpcError.SETIMEOUT)).toBe(1 << 1);
    expect(toX2Error(IpcError.RETIMEOUT)).toBe((1 << 1) | 1);
    expect(toX2Error(IpcError.RECANCELED)).toBe((3 << 1) | 1);
    expect(toX2Error(IpcError.ENOT_EXISTENT)).toBe(2 << 1);
    expect(toX2Error(IpcError.REABORTED)).toBe((7 << 1) | 1);
  });
});
