/** The call-path profile of `score --tree`: merging, ordering, the share filter and the bound. */
import { describe, expect, it } from 'vitest';
import { CallPathTree, MAX_CALL_PATHS } from '../../analyze/call-paths.js';

const names = ['main', 'a', 'b', 'c'];

describe('CallPathTree', () => {
  it('merges equal paths, orders children by inclusive time and keeps exclusive time apart', () => {
    const t = new CallPathTree();
    const main = t.enter(0, 0);
    for (const [fn, dur] of [[1, 10], [2, 30], [1, 5]] as const) t.exit(t.enter(main, fn), dur, 0);
    t.exit(main, 100, 45);
    expect(t.size).toBe(3);
    expect(t.rows((f) => names[f]!, 10, 0)).toEqual([
      { depth: 0, name: 'main', visits: 1, incl: 100, excl: 55, percent: 100 },
      { depth: 1, name: 'b', visits: 1, incl: 30, excl: 30, percent: 30 },
      { depth: 1, name: 'a', visits: 2, incl: 15, excl: 15, percent: 15 },
    ]);
    expect(t.rows((f) => names[f]!, 10, 20).map((r) => r.name)).toEqual(['main', 'b']);
    expect(t.rows((f) => names[f]!, 1, 0).map((r) => r.name)).toEqual(['main']);
  });

  it('a recursion deeper than the bound folds into the deepest kept path and is counted', () => {
    const t = new CallPathTree();
    let at = 0;
    for (let i = 0; i < MAX_CALL_PATHS + 50; i++) at = t.enter(at, 1);
    expect(t.size).toBe(MAX_CALL_PATHS - 1);
    expect(t.folded).toBe(51);
  });
});
