/**
 * Level of detail: for each series of non-overlapping intervals (a thread's calls at one depth, a CPU's
 * scheduling intervals, a thread's states), levels k = 1, 2, ... merge neighbours whose gap is below
 * GAP_BASE * 4^k cycles, when both are narrower than that, into one item (start, end, how many).
 * Drawing at p cycles per pixel uses the coarsest level whose gap is below p, so merged gaps are
 * narrower than a pixel (the picture is the same) and items on screen are at least p/4 apart: at most
 * ~4 per pixel, whatever the event count.
 *
 * Every interval has a key (the thread on a CPU, the name of a call, a thread's state). A merged item
 * carries its dominant key: the key that covers most of its time (summed over its members), how long
 * and how many members have it, and as representative the longest member with that key. So a merged
 * item is coloured, labelled and clicked as what filled most of it, not as whichever member came
 * first. (Across levels this is the heavy-hitter estimate: a coarser level sums its parts' dominant
 * keys. It is exact at the first merged level and whenever a part is uniform.)
 * Levels are built once per series and level, on first use, from the finest level already built.
 */

export const GAP_BASE = 1;
export const MAX_LEVEL = 26; // 4^26 cycles: beyond any run

export interface Level {
  gap: number;
  start: Float64Array;
  end: Float64Array;
  count: Uint32Array;
  /** Index (into the source arrays) of the longest member with the dominant key. */
  rep: Uint32Array;
  /** The dominant key, the cycles it covers and how many members have it. */
  key: Float64Array;
  weight: Float64Array;
  keyCount: Uint32Array;
  length: number;
}

export class Mipmap {
  private readonly levels: (Level | undefined)[] = [];

  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly first: number,
    private readonly n: number,
    private readonly keyOf: (i: number) => number = () => 0,
  ) {}

  /** The level to draw at `cyclesPerPixel`: 0 (every interval) when zoomed in that far. */
  static levelFor(cyclesPerPixel: number): number {
    if (cyclesPerPixel < GAP_BASE * 4) return 0;
    return Math.min(MAX_LEVEL, Math.floor(Math.log(cyclesPerPixel / GAP_BASE) / Math.log(4)));
  }

  level(k: number): Level {
    if (k === 0) return (this.levels[0] ??= this.raw());
    const have = this.levels[k];
    if (have) return have;
    let j = k - 1;
    while (j > 0 && !this.levels[j]) j--;
    const built = merge(this.level(j), GAP_BASE * 4 ** k, this.starts, this.ends);
    this.levels[k] = built;
    return built;
  }

  private raw(): Level {
    const start = this.starts.subarray(this.first, this.first + this.n);
    const end = this.ends.subarray(this.first, this.first + this.n);
    const count = new Uint32Array(this.n).fill(1);
    const rep = new Uint32Array(this.n);
    const key = new Float64Array(this.n);
    const weight = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      rep[i] = this.first + i;
      key[i] = this.keyOf(this.first + i);
      weight[i] = end[i]! - start[i]!;
    }
    return { gap: 0, start, end, count, rep, key, weight, keyCount: count, length: this.n };
  }
}

/**
 * Whether an item [s, e) joins the group [gs, ge) at this level: it must start less than `gap` after
 * the group, and both must be narrower than `gap`. So a wide item never absorbs its neighbours, even
 * touching ones (a CPU's intervals touch: a long run of one thread keeps its own item and colour next to
 * a band of short alternating ones), and a band is cut into groups about `gap` wide. Every group closed
 * is `gap` wide, or `gap` away from the next item, or followed by an item `gap` wide, so a level holds at
 * most about 2 * span / gap items: a few per pixel, whatever the number of intervals.
 */
const joins = (gs: number, ge: number, s: number, e: number, gap: number): boolean => s - ge < gap && ge - gs < gap && e - s < gap;

/** Sums of weight and members per key within one group (few distinct keys: linear search). */
class KeyTally {
  keys: number[] = [];
  weight: number[] = [];
  count: number[] = [];
  rep: number[] = [];
  repLen: number[] = [];
  n = 0;
  reset(): void {
    this.n = 0;
  }
  add(key: number, weight: number, count: number, rep: number, repLen: number): void {
    let j = 0;
    while (j < this.n && this.keys[j] !== key) j++;
    if (j === this.n) {
      this.keys[j] = key;
      this.weight[j] = 0;
      this.count[j] = 0;
      this.rep[j] = rep;
      this.repLen[j] = -1;
      this.n++;
    }
    this.weight[j]! += weight;
    this.count[j]! += count;
    if (repLen > this.repLen[j]!) {
      this.repLen[j] = repLen;
      this.rep[j] = rep;
    }
  }
  /** Index of the key covering the most time. */
  best(): number {
    let b = 0;
    for (let j = 1; j < this.n; j++) if (this.weight[j]! > this.weight[b]!) b = j;
    return b;
  }
}

/** Merge neighbours of `src` by `joins`; each group takes its dominant key (see the file comment). */
function merge(src: Level, gap: number, starts: Float64Array, ends: Float64Array): Level {
  const n = src.length;
  // Count first, so the arrays are allocated once at their size.
  let m = 0;
  let gs = 0;
  let ge = 0;
  for (let i = 0; i < n; i++) {
    const s = src.start[i]!;
    const e = src.end[i]!;
    if (i === 0 || !joins(gs, ge, s, e, gap)) {
      m++;
      gs = s;
      ge = e;
    } else if (e > ge) ge = e;
  }
  if (m === n) return { ...src, gap }; // nothing merges at this level: share the finer level's arrays
  const out: Level = {
    gap,
    start: new Float64Array(m),
    end: new Float64Array(m),
    count: new Uint32Array(m),
    rep: new Uint32Array(m),
    key: new Float64Array(m),
    weight: new Float64Array(m),
    keyCount: new Uint32Array(m),
    length: m,
  };
  const tally = new KeyTally();
  let k = -1;
  const close = (): void => {
    if (k < 0) return;
    const b = tally.best();
    out.key[k] = tally.keys[b]!;
    out.weight[k] = tally.weight[b]!;
    out.keyCount[k] = tally.count[b]!;
    out.rep[k] = tally.rep[b]!;
  };
  for (let i = 0; i < n; i++) {
    const s = src.start[i]!;
    const e = src.end[i]!;
    if (k < 0 || !joins(out.start[k]!, out.end[k]!, s, e, gap)) {
      close();
      k++;
      out.start[k] = s;
      out.end[k] = e;
      out.count[k] = 0;
      tally.reset();
    } else if (e > out.end[k]!) out.end[k] = e;
    out.count[k]! += src.count[i]!;
    const r = src.rep[i]!;
    tally.add(src.key[i]!, src.weight[i]!, src.keyCount[i]!, r, ends[r]! - starts[r]!);
  }
  close();
  return out;
}

/** First item of `lv` whose end is at or after t (ends are sorted: the intervals do not overlap). */
export function firstEndingAfter(lv: Level, t: number): number {
  let lo = 0;
  let hi = lv.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lv.end[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
