/**
 * Drawing one series of intervals (a CPU, a row of calls, a thread's states) from its level of detail,
 * pixel column by pixel column: a column covered by one item takes its colour; a column shared by
 * several takes the colour of the key that covers most of it (each item weighs its overlap with the
 * column, scaled by how much of a merged item its dominant key fills). So a CPU pixel shows the thread
 * that ran most of it, not whichever short interval came first. Rectangles are whole pixels (no
 * blending at their edges), and neighbouring ones of one colour join: about one rectangle per pixel
 * column at most, whatever the event count. A click picks by the same rule (hitSeries).
 */
import { firstEndingAfter, type Level } from './lod';
import type { FrameStats, View } from '../model';

export interface SeriesStyle {
  colourOfKey(key: number): string;
  /** Text of one interval (by its index in the source arrays), or null for no labels. */
  label: ((rep: number) => string) | null;
  /** What the members are called in a merged label ("calls"). */
  unit: string;
  /** Whether an interval is still open at the end of the run (drawn with a red right edge). */
  open: ((rep: number) => boolean) | null;
  openColour: string;
}

/** Where a series goes: whole-pixel rectangles (the pixel layer) and labels on top of them. */
export interface Painter {
  rect(x: number, y: number, w: number, h: number, colour: string): void;
  label(text: string, x: number, y: number, maxWidth: number): void;
}

export interface Geometry {
  /** Screen x of the plot's left edge and its width in pixels. */
  left: number;
  width: number;
}

/** A merged item's label: its dominant name, and how many members it stands for. */
export function mergedLabel(name: string, count: number, keyCount: number, unit: string): string {
  if (count <= 1) return name;
  if (keyCount >= count) return `${name} ×${count.toLocaleString('en-US')}`;
  return `${count.toLocaleString('en-US')} ${unit}, mostly ${name}`;
}

export function drawSeries(paint: Painter, v: View, g: Geometry, lv: Level, y: number, h: number, style: SeriesStyle, s: FrameStats): void {
  const scale = g.width / (v.t1 - v.t0);
  const right = g.left + g.width;
  // The run of whole pixels being built (one colour), and its label.
  let r0 = 0;
  let r1 = -1;
  let rColour = '';
  let rText = '';
  const flushRun = (): void => {
    if (r1 <= r0) return;
    paint.rect(r0, y, r1 - r0, h, rColour);
    s.rectsDrawn++;
    const w = Math.min(r1, right) - Math.max(r0, g.left);
    if (rText && w >= 36) paint.label(rText, Math.max(r0, g.left) + 3, y + h / 2, w - 6);
    r1 = -1;
    rText = '';
  };
  const emit = (p0: number, p1: number, colour: string, label: string): void => {
    if (colour === rColour && p0 <= r1) {
      if (p1 > r1) r1 = p1;
      if (!rText) rText = label;
      return;
    }
    flushRun();
    r0 = p0;
    r1 = p1;
    rColour = colour;
    rText = label;
  };
  // The pixel column shared by several items: weight per key.
  let px = -Infinity;
  const keys: number[] = [];
  const weights: number[] = [];
  let nk = 0;
  const add = (key: number, w: number): void => {
    let j = 0;
    while (j < nk && keys[j] !== key) j++;
    if (j === nk) {
      keys[j] = key;
      weights[j] = 0;
      nk++;
    }
    weights[j]! += w;
  };
  const flushPixel = (): void => {
    if (nk === 0) return;
    let b = 0;
    for (let j = 1; j < nk; j++) if (weights[j]! > weights[b]!) b = j;
    emit(px, px + 1, style.colourOfKey(keys[b]!), '');
    nk = 0;
  };
  const textOf = (i: number): string => (style.label ? mergedLabel(style.label(lv.rep[i]!), lv.count[i]!, lv.keyCount[i]!, style.unit) : '');

  for (let i = firstEndingAfter(lv, v.t0); i < lv.length; i++) {
    const st = lv.start[i]!;
    if (st > v.t1) break;
    s.itemsVisited++;
    const en = lv.end[i]!;
    const x0 = Math.max(g.left - 1, g.left + (st - v.t0) * scale);
    const x1 = Math.min(right + 1, g.left + (en - v.t0) * scale);
    const density = en > st ? lv.weight[i]! / (en - st) : 1;
    const key = lv.key[i]!;
    const p0 = Math.floor(x0);
    const p1 = Math.floor(x1);
    if (p0 !== px) {
      flushPixel();
      px = p0;
    }
    if (p1 === p0) {
      add(key, Math.max(x1 - x0, 1e-6) * density);
    } else {
      add(key, (p0 + 1 - x0) * density);
      flushPixel();
      if (p1 > p0 + 1) emit(p0 + 1, p1, style.colourOfKey(key), x1 - x0 > 1.5 ? textOf(i) : '');
      px = p1;
      if (x1 > p1) add(key, (x1 - p1) * density);
    }
    if (style.open && lv.count[i] === 1 && style.open(lv.rep[i]!)) {
      flushPixel();
      flushRun();
      px = -Infinity;
      paint.rect(Math.min(x1, right) - 2, y, 2, h, style.openColour);
      s.rectsDrawn++;
    }
  }
  flushPixel();
  flushRun();
}

/**
 * What a click in the pixel column [t0, t1) selects in a series drawn at this level: by the drawing's
 * rule, the key covering most of the column, and of its items there the one overlapping the column
 * most (its representative: for a merged item, its longest member with that key). Nothing in the
 * column: the nearest item within `tol` cycles.
 */
export function hitSeries(lv: Level, t0: number, t1: number, tol: number): number {
  const w = new Map<number, { weight: number; rep: number; best: number }>();
  for (let k = firstEndingAfter(lv, t0); k < lv.length && lv.start[k]! < t1; k++) {
    const s = lv.start[k]!;
    const e = lv.end[k]!;
    const overlap = Math.max(1e-6, Math.min(e, t1) - Math.max(s, t0));
    const weight = overlap * (e > s ? lv.weight[k]! / (e - s) : 1);
    const entry = w.get(lv.key[k]!) ?? { weight: 0, rep: lv.rep[k]!, best: -1 };
    entry.weight += weight;
    if (weight > entry.best) {
      entry.best = weight;
      entry.rep = lv.rep[k]!;
    }
    w.set(lv.key[k]!, entry);
  }
  let best: { weight: number; rep: number } | null = null;
  for (const e of w.values()) if (!best || e.weight > best.weight) best = e;
  if (best) return best.rep;
  const i = firstEndingAfter(lv, t0 - tol);
  return i < lv.length && lv.start[i]! <= t1 + tol ? lv.rep[i]! : -1;
}
