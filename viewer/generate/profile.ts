/**
 * The function profile over a time window, from one streamed pass over the slices in nesting order
 * (per thread, by start, outer before inner):
 * - every slice is clipped to the window; one still open at the end lasts until the end of the run
 *   (or of the window), so an unfinished `main` counts for what it ran, not 0;
 * - inclusive time counts only the outermost frame of a function on a stack, so recursion is not
 *   counted twice (ackermann inside ackermann adds nothing more to ackermann's inclusive time);
 * - exclusive time is a slice's clipped time less its children's clipped time (any category: time in
 *   an IPC inside a function is not the function's own), summed over every frame.
 */
import type { Analysis } from '../../analyze/db.js';
import { streamColumns } from '../../analyze/timeline.js';
import type { ProfileRow } from '../model.js';

export async function buildProfile(a: Analysis, w: { from: number; to: number; threadFilter: string }, limit: number): Promise<ProfileRow[]> {
  const names = (await a.query('SELECT name_id, name FROM name ORDER BY name_id')).rows;
  const nameOf: string[] = [];
  for (const r of names) nameOf[Number(r.name_id)] = String(r.name);
  const n = nameOf.length;
  const calls = new Float64Array(n);
  const incl = new Float64Array(n);
  const excl = new Float64Array(n);
  const isFunc = new Uint8Array(n);
  const onStack = new Uint32Array(n);
  // The open frames of the current thread: name ids by depth.
  const stack: number[] = [];
  let thread = -1;
  const sql = `SELECT utid, depth, ts::DOUBLE, dur::DOUBLE, name_id, category_id FROM slice_raw
               WHERE ${w.threadFilter} AND ts <= ${w.to} AND (dur < 0 OR ts + dur >= ${w.from}) ORDER BY utid, ts, depth`;
  for await (const { rows, columns } of streamColumns(a, sql)) {
    const [u, d, t, du, nm, c] = columns as number[][];
    for (let i = 0; i < rows; i++) {
      if (u![i] !== thread) {
        thread = u![i]!;
        while (stack.length > 0) onStack[stack.pop()!]!--;
      }
      const depth = d![i]!;
      while (stack.length > depth) onStack[stack.pop()!]!--;
      const ts = t![i]!;
      const end = du![i]! < 0 ? w.to : ts + du![i]!;
      const clipped = Math.max(0, Math.min(end, w.to) - Math.max(ts, w.from));
      const name = nm![i]!;
      if (c![i] === 0) isFunc[name] = 1;
      calls[name]!++;
      if (onStack[name] === 0) incl[name]! += clipped;
      excl[name]! += clipped;
      if (stack.length > 0) excl[stack[stack.length - 1]!]! -= clipped;
      stack.push(name);
      onStack[name]!++;
    }
  }
  const out: ProfileRow[] = [];
  for (let k = 0; k < n; k++) if (isFunc[k] && calls[k]! > 0) out.push({ name: nameOf[k]!, calls: calls[k]!, incl: incl[k]!, excl: excl[k]! });
  out.sort((x, y) => y.incl - x.incl || y.calls - x.calls || (x.name < y.name ? -1 : 1));
  return out.slice(0, limit);
}
