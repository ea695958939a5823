/**
 * Level of detail: for each series of non-overlapping intervals (a thread's calls at one depth, a CPU's
 * scheduling intervals), levels k = 1, 2, ... merge neighbours whose gap is below GAP_BASE * 4^k cycles,
 * when both are narrower than that, into one item (start, end, how many, the longest one as
 * representative). Drawing at p cycles per pixel
 * uses the coarsest level whose gap is below p, so merged gaps are narrower than a pixel (the picture is
 * the same) and items on screen are at least p/4 apart: at most ~4 per pixel, whatever the event count.
 * Levels are built once per series and level, on first use, from the finest level already built.
 */

export const GAP_BASE = 1;
export const MAX_LEVEL = 26; // 4^26 cycles: beyond any run

export interface Level {
  gap: number;
  start: Float64Array;
  end: Float64Array;
  count: Uint32Array;
  /** Index (into the source arrays) of the longest interval merged into the item. */
  rep: Uint32Array;
  length: number;
}

export class Mipmap {
  private readonly levels: (Level | undefined)[] = [];

  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly first: number,
    private readonly n: number,
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
    const built = merge(this.level(j), GAP_BASE * 4 ** k);
    this.levels[k] = built;
    return built;
  }

  private raw(): Level {
    const start = this.starts.subarray(this.first, this.first + this.n);
    const end = this.ends.subarray(this.first, this.first + this.n);
    const count = new Uint32Array(this.n).fill(1);
    const rep = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) rep[i] = this.first + i;
    return { gap: 0, start, end, count, rep, length: this.n };
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

/** Merge neighbours of `src` by `joins`; the longest item merged represents the group. */
function merge(src: Level, gap: number): Level {
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
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  const count = new Uint32Array(m);
  const rep = new Uint32Array(m);
  let k = -1;
  let best = -1;
  for (let i = 0; i < n; i++) {
    const s = src.start[i]!;
    const e = src.end[i]!;
    const len = e - s;
    if (k < 0 || !joins(start[k]!, end[k]!, s, e, gap)) {
      k++;
      start[k] = s;
      end[k] = e;
      count[k] = src.count[i]!;
      rep[k] = src.rep[i]!;
      best = len;
    } else {
      if (e > end[k]!) end[k] = e;
      count[k]! += src.count[i]!;
      if (len > best) {
        best = len;
        rep[k] = src.rep[i]!;
      }
    }
  }
  return { gap, start, end, count, rep, length: m };
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
