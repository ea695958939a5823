import { describe, expect, it } from 'vitest';
import { outcomesBySeed, range } from './sweep.js';

// One file per fix so the two 500-seed sweeps run in parallel.
describe('signal-race with signalFix=handshake', () => {
  it('completes under every seed of 0..499', () => {
    const by = outcomesBySeed('signal-race', 'handshake', range(500));
    expect(Object.fromEntries([...by].map(([k, v]) => [k, v.length]))).toEqual({ ok: 500 });
  });
});
