/**
 * Drawing one series of intervals (a CPU, a row of calls, a thread's states) from its level of detail.
 * Items wider than 1.5 px are drawn as they are; narrower ones are pooled per pixel column, and the
 * column takes the colour of the key that covers most of its time (so a CPU pixel shows the thread
 * that ran most of it, not whichever short interval came first). Neighbouring rectangles of one colour
 * join, so a frame draws about one rectangle per pixel column at most, whatever the event count.
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

export function drawSeries(
  ctx: CanvasRenderingContext2D,
  v: View,
  g: Geometry,
  lv: Level,
  y: number,
  h: number,
  style: SeriesStyle,
  s: FrameStats,
  text: (t: string, x: number, y: number, maxWidth: number) => void,
): void {
  const scale = g.width / (v.t1 - v.t0);
  const right = g.left + g.width;
  // The rectangle being built (joined items of one colour).
  let rx0 = 0;
  let rx1 = -Infinity;
  let rColour = '';
  let rText = '';
  const flushRect = (): void => {
    if (rx1 === -Infinity) return;
    ctx.fillStyle = rColour;
    ctx.fillRect(rx0, y, Math.max(1, rx1 - rx0), h);
    s.rectsDrawn++;
    const w = Math.min(rx1, right) - Math.max(rx0, g.left);
    if (rText && w >= 36) {
      ctx.fillStyle = '#1d2330';
      text(rText, Math.max(rx0, g.left) + 3, y + h / 2, w - 6);
    }
    rx1 = -Infinity;
    rText = '';
  };
  const emit = (x0: number, x1: number, colour: string, label: string): void => {
    if (colour === rColour && x0 <= rx1 + 0.5) {
      if (x1 > rx1) rx1 = x1;
      if (!rText) rText = label;
      return;
    }
    flushRect();
    rx0 = x0;
    rx1 = x1;
    rColour = colour;
    rText = label;
  };
  // The pixel column being pooled from sub-pixel items: time per key.
  let colPx = -Infinity;
  let cx0 = 0;
  let cx1 = 0;
  const keys: number[] = [];
  const weights: number[] = [];
  let nk = 0;
  const flushColumn = (): void => {
    if (nk === 0) return;
    let b = 0;
    for (let j = 1; j < nk; j++) if (weights[j]! > weights[b]!) b = j;
    emit(cx0, Math.max(cx1, cx0 + 1), style.colourOfKey(keys[b]!), '');
    nk = 0;
    colPx = -Infinity;
  };
  const textOf = (i: number): string => (style.label ? mergedLabel(style.label(lv.rep[i]!), lv.count[i]!, lv.keyCount[i]!, style.unit) : '');

  for (let i = firstEndingAfter(lv, v.t0); i < lv.length; i++) {
    const st = lv.start[i]!;
    if (st > v.t1) break;
    s.itemsVisited++;
    const x0 = g.left + (st - v.t0) * scale;
    let x1 = g.left + (lv.end[i]! - v.t0) * scale;
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (x1 - x0 > 1.5) {
      flushColumn();
      emit(x0, x1, style.colourOfKey(lv.key[i]!), textOf(i));
    } else {
      const px = Math.floor(x0);
      if (px !== colPx) {
        flushColumn();
        colPx = px;
        cx0 = x0;
        cx1 = x1;
      } else if (x1 > cx1) cx1 = x1;
      const key = lv.key[i]!;
      let j = 0;
      while (j < nk && keys[j] !== key) j++;
      if (j === nk) {
        keys[j] = key;
        weights[j] = 0;
        nk++;
      }
      weights[j]! += lv.weight[i]!;
    }
    if (style.open && lv.count[i] === 1 && style.open(lv.rep[i]!)) {
      flushColumn();
      flushRect();
      ctx.fillStyle = style.openColour;
      ctx.fillRect(Math.min(x1, right) - 2, y, 2, h);
      s.rectsDrawn++;
    }
  }
  flushColumn();
  flushRect();
}

/**
 * What a click at time t hits in a series drawn at this level: the item under t when it is drawn on its
 * own, else the representative of the dominant key of t's pixel column (what the pixel shows).
 */
export function hitSeries(lv: Level, t: number, cyclesPerPixel: number, tol: number): number {
  let i = firstEndingAfter(lv, t - tol);
  if (i >= lv.length || lv.start[i]! > t + tol) return -1;
  const wide = (k: number): boolean => (lv.end[k]! - lv.start[k]!) / cyclesPerPixel > 1.5;
  for (let k = i; k < lv.length && lv.start[k]! <= t + tol; k++) if (wide(k) && lv.start[k]! <= t && lv.end[k]! >= t) return lv.rep[k]!;
  // Pool the column around t as the drawing does.
  const c0 = t - cyclesPerPixel / 2;
  const c1 = t + cyclesPerPixel / 2;
  i = firstEndingAfter(lv, c0);
  const w = new Map<number, { weight: number; rep: number; len: number }>();
  for (let k = i; k < lv.length && lv.start[k]! <= c1; k++) {
    const e = w.get(lv.key[k]!) ?? { weight: 0, rep: lv.rep[k]!, len: -1 };
    e.weight += lv.weight[k]!;
    const len = lv.end[k]! - lv.start[k]!;
    if (len > e.len) {
      e.len = len;
      e.rep = lv.rep[k]!;
    }
    w.set(lv.key[k]!, e);
  }
  let best: { weight: number; rep: number } | null = null;
  for (const e of w.values()) if (!best || e.weight > best.weight) best = e;
  if (best) return best.rep;
  // Nothing in the column itself: the nearest item within the tolerance.
  i = firstEndingAfter(lv, t - tol);
  return i < lv.length && lv.start[i]! <= t + tol ? lv.rep[i]! : -1;
}
