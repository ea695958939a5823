/**
 * Search (viewer/app/search.ts) on the page's own data (the Store decoded from a generated payload):
 * threads whose names match come first, even when function names match too; slice hits run in time
 * order, and past the hit cap they are the earliest ones.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { Search } from '../../viewer/app/search.js';
import { Store } from '../../viewer/app/store.js';
import { extractViewerData } from '../../viewer/generate/extract.js';

let a: Analysis;
let store: Store;
beforeAll(async () => {
  a = await Analysis.open(fileURLToPath(new URL('../../traces/shell.l4t', import.meta.url)));
  const { header, columns } = await extractViewerData(a, 'shell');
  store = new Store(header, columns);
});
afterAll(() => a.close());

/** Every slice whose name contains q, by (start, index): computed by brute force. */
function allMatches(q: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < store.sliceCount; i++) if (store.name(i).toLowerCase().includes(q)) out.push(i);
  return out.sort((x, y) => store.sliceTs[x]! - store.sliceTs[y]! || x - y);
}

describe('search', () => {
  it('a thread name is reachable when function names match too: threads first, then slices', () => {
    const s = new Search(store);
    s.run('se'); // linux-server (a thread) and parse, ipc:send, ... (functions and operations)
    const threads = s.hits.filter((h) => h.kind === 'thread');
    expect(threads.map((h) => store.threadName((h as { utid: number }).utid)).some((n) => n.startsWith('linux-server '))).toBe(true);
    expect(s.hits.slice(0, threads.length).every((h) => h.kind === 'thread')).toBe(true);
    expect(s.hits.length).toBe(threads.length + allMatches('se').length);
  });

  it('slice hits are in time order; past the cap they are the earliest in time', () => {
    const expected = allMatches('ipc:');
    expect(expected.length).toBeGreaterThan(100);
    const s = new Search(store);
    s.run('ipc:', 50);
    const got = s.hits.map((h) => (h as { index: number }).index);
    expect(got).toEqual(expected.slice(0, 50));
    expect(s.total).toBe(expected.length);
    expect(s.summary()).toBe(`- / 50 (first 50 of ${expected.length.toLocaleString('en-US')})`);
    s.run('ipc:');
    expect(s.hits.map((h) => (h as { index: number }).index)).toEqual(expected);
  });
});
