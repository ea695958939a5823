/**
 * Drawing. The main canvas holds the ruler, the track labels and what the tracks contain (scheduling
 * intervals, thread states, call stacks, interrupt marks, final states); the overlay canvas holds what
 * changes with the selection (highlight, IPC arrows, signals), so selecting never repaints millions of
 * slices. Every layer's cost follows the pixels, not the events: series are drawn from their level of
 * detail (lod.ts, series.ts), messages per thread pair and time bucket (arrows.ts).
 */
import { drawMessages } from './arrows';
import { colorFor, BAD, GOOD, fmtShort, fmtUs, sliceColour } from './format';
import { LabelPlacer, type Box } from './labels';
import { Mipmap } from './lod';
import { MessageIndex } from './messages';
import { ticks, type Tick } from './ruler';
import { PixelLayer } from './pixel-layer';
import { drawSeries, hitSeries, type Painter, type SeriesStyle } from './series';
import { STATE_COLOUR, STATES, buildStateSeries, schedByThread, type StateSeries } from './states';
import { ROW_H, trackAtY, type Track } from './layout';
import { lowerBound, upperBound, type Store } from './store';
import type { FrameStats, Selection, View } from '../model';

export type { FrameStats, Selection, View } from '../model';
export { MAX_ARROWS } from './arrows';

export const GUTTER = 220;
export const RULER = 28;
/** The state band: the lower part of each thread's header row. */
export const BAND_H = 5;

export class Renderer {
  private readonly mipmaps = new Map<string, Mipmap>();
  private readonly nameColour: string[] = [];
  private readonly threadColour = new Map<number, string>();
  private messageIndex: MessageIndex | null = null;
  private threadSched: Map<number, Uint32Array> | null = null;
  private readonly stateSeries = new Map<number, StateSeries>();
  /** Labels the main canvas drew (final states), which overlay labels must not cover. */
  private mainLabels: Box[] = [];
  /** The series' pixels of the frame being drawn; what goes on top of them waits in `post`. */
  private readonly layer = new PixelLayer();
  private post: ((ctx: CanvasRenderingContext2D) => void)[] = [];
  private readonly painter: Painter = {
    rect: (x, y, w, h, colour) => this.layer.rect(x, y, w, h, colour),
    label: (t, x, y, w) =>
      this.post.push((ctx) => {
        ctx.fillStyle = '#1d2330';
        this.text(ctx, t, x, y, w);
      }),
  };
  lastTicks: (Tick & { x: number; left: number; right: number })[] = [];
  stats: FrameStats = emptyStats();

  constructor(
    private readonly store: Store,
    private readonly tracks: Track[],
    private readonly threadY: Map<number, number>,
  ) {}

  plotWidth(v: View): number {
    return Math.max(1, v.width - GUTTER);
  }

  x(v: View, t: number): number {
    return GUTTER + ((t - v.t0) / (v.t1 - v.t0)) * this.plotWidth(v);
  }

  time(v: View, x: number): number {
    return v.t0 + ((x - GUTTER) / this.plotWidth(v)) * (v.t1 - v.t0);
  }

  cyclesPerPixel(v: View): number {
    return (v.t1 - v.t0) / this.plotWidth(v);
  }

  /** Screen y of a track's top. */
  y(v: View, track: Track): number {
    return RULER + track.y - v.scrollY;
  }

  /** Tracks intersecting the visible band. */
  visibleTracks(v: View): Track[] {
    const out: Track[] = [];
    for (let i = trackAtY(this.tracks, v.scrollY); i < this.tracks.length; i++) {
      const t = this.tracks[i]!;
      if (t.y > v.scrollY + v.height - RULER) break;
      out.push(t);
    }
    return out;
  }

  drawMain(ctx: CanvasRenderingContext2D, v: View): void {
    const t0 = performance.now();
    const s = emptyStats();
    this.mainLabels = [];
    ctx.clearRect(0, 0, v.width, v.height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.layer.begin(v.width, v.height, ctx.getTransform().a, GUTTER, RULER);
    this.post = [];
    for (const track of this.visibleTracks(v)) this.drawTrack(ctx, v, track, s);
    this.layer.end(ctx);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, RULER, v.width - GUTTER, v.height - RULER);
    ctx.clip();
    for (const draw of this.post) draw(ctx);
    ctx.restore();
    this.drawRuler(ctx, v);
    // Gutter border.
    ctx.fillStyle = '#d9dde3';
    ctx.fillRect(GUTTER - 1, RULER, 1, v.height - RULER);
    s.mainMs = performance.now() - t0;
    this.stats = { ...this.stats, ...pick(s, ['mainMs', 'rectsDrawn', 'itemsVisited', 'cpuRows', 'threadTracks', 'depthRows', 'finalStates']) };
    this.stats.ms = this.stats.mainMs + this.stats.overlayMs;
  }

  private drawTrack(ctx: CanvasRenderingContext2D, v: View, track: Track, s: FrameStats): void {
    const y = this.y(v, track);
    const h = track.h;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER, v.width, v.height - RULER);
    ctx.clip();
    // Label.
    if (track.kind === 'process') {
      ctx.fillStyle = '#eef2f7';
      ctx.fillRect(0, y, v.width, h);
      ctx.fillStyle = '#1d2330';
      ctx.font = '600 11px system-ui, sans-serif';
      this.text(ctx, track.label, 6, y + h / 2, v.width - 12);
      ctx.font = '11px system-ui, sans-serif';
    } else if (track.label) {
      ctx.fillStyle = track.kind === 'thread' ? '#1d2330' : '#4b5563';
      this.text(ctx, track.label, track.kind === 'thread' ? 14 : 6, y + h / 2, GUTTER - 20);
    }
    ctx.beginPath();
    ctx.rect(GUTTER, RULER, v.width - GUTTER, v.height - RULER);
    ctx.clip();
    switch (track.kind) {
      case 'cpu':
        s.cpuRows++;
        this.drawCpu(ctx, v, track, y, s);
        break;
      case 'irq':
        this.drawIrqs(ctx, v, y, h, s);
        break;
      case 'thread':
        s.threadTracks++;
        this.drawThreadHeader(ctx, v, track, y, s);
        break;
      case 'depth':
        s.depthRows++;
        this.drawDepthRow(v, track, y, s);
        break;
      default:
        break;
    }
    ctx.restore();
  }

  private mipmap(key: string, starts: Float64Array, ends: Float64Array, first: number, n: number, keyOf: (i: number) => number): Mipmap {
    let m = this.mipmaps.get(key);
    if (!m) this.mipmaps.set(key, (m = new Mipmap(starts, ends, first, n, keyOf)));
    return m;
  }

  private series(v: View, m: Mipmap, y: number, h: number, style: SeriesStyle, s: FrameStats): void {
    const lv = m.level(Mipmap.levelFor(this.cyclesPerPixel(v)));
    drawSeries(this.painter, v, { left: GUTTER, width: this.plotWidth(v) }, lv, y, h, style, s);
  }

  cpuMipmap(k: number): Mipmap {
    const st = this.store;
    return this.mipmap(`c${k}`, st.schedTs, st.schedEnd, st.cpuFirst[k]!, st.header.cpus[k]!.count, (i) => st.schedUtid[i]!);
  }

  rowMipmap(utid: number, depth: number): Mipmap | null {
    const st = this.store;
    const row = st.row(utid, depth);
    if (!row) return null;
    return this.mipmap(`r${utid}.${depth}`, st.sliceTs, st.sliceEnd, row.first, row.count, (i) => st.sliceName[i]!);
  }

  /** A thread's states over time (built on first use). */
  states(utid: number): StateSeries {
    let s = this.stateSeries.get(utid);
    if (!s) {
      this.threadSched ??= schedByThread(this.store);
      const t = this.store.threadByUtid.get(utid);
      s = buildStateSeries(this.store, this.threadSched.get(utid), t?.startTs ?? null);
      this.stateSeries.set(utid, s);
    }
    return s;
  }

  private stateMipmap(utid: number): Mipmap {
    const s = this.states(utid);
    return this.mipmap(`s${utid}`, s.start, s.end, 0, s.start.length, (i) => s.state[i]!);
  }

  private drawCpu(ctx: CanvasRenderingContext2D, v: View, track: Track, y: number, s: FrameStats): void {
    const st = this.store;
    if (st.header.cpus[track.key]!.count === 0) {
      ctx.fillStyle = '#9ca3af';
      ctx.fillText('idle: nothing scheduled on this CPU', GUTTER + 6, y + track.h / 2);
      return;
    }
    this.series(v, this.cpuMipmap(track.key), y + 2, track.h - 4, { colourOfKey: (u) => this.colourOfThread(u), label: (rep) => st.threadName(st.schedUtid[rep]!), unit: 'intervals', open: null, openColour: BAD }, s);
  }

  private drawDepthRow(v: View, track: Track, y: number, s: FrameStats): void {
    const st = this.store;
    const m = this.rowMipmap(track.key, track.depth);
    if (!m) return;
    this.series(v, m, y + 1, track.h - 2, { colourOfKey: (id) => this.colourOfName(id), label: (rep) => st.name(rep), unit: 'calls', open: (rep) => st.sliceOpen[rep] === 1, openColour: BAD }, s);
  }

  private drawThreadHeader(ctx: CanvasRenderingContext2D, v: View, track: Track, y: number, s: FrameStats): void {
    const t = this.store.threadByUtid.get(track.key);
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(GUTTER, y + track.h - 1, v.width - GUTTER, 1);
    // The thread's state band (running, ready, receiving, sending, blocked).
    this.series(v, this.stateMipmap(track.key), y + track.h - 1 - BAND_H, BAND_H, { colourOfKey: (k) => STATE_COLOUR[STATES[k]!], label: null, unit: '', open: null, openColour: BAD }, s);
    if (!t || !t.finalState) return;
    // Where the thread was when the run ended (hang or deadlock): at the end of the run.
    const xe = Math.min(this.x(v, this.store.header.meta.endTime), v.width - 4);
    const text = `at the end: ${t.finalState}${t.openCall ? ` (in ${t.openCall})` : ''}`;
    ctx.font = '600 11px system-ui, sans-serif';
    const w = Math.min(ctx.measureText(text).width, 420);
    ctx.font = '11px system-ui, sans-serif';
    const x = Math.max(GUTTER + 2, xe - w - 6);
    // On top of the state band, so after the pixel layer.
    this.post.push((c) => {
      c.font = '600 11px system-ui, sans-serif';
      c.fillStyle = '#fff5f5';
      c.fillRect(x - 3, y + 1, w + 6, track.h - 2);
      c.fillStyle = BAD;
      this.text(c, text, x, y + track.h / 2, w);
      c.font = '11px system-ui, sans-serif';
    });
    this.mainLabels.push({ x: x - 3, y: y + 1, w: w + 6, h: track.h - 2 });
    s.finalStates.push({ thread: this.store.threadName(t.utid), state: t.finalState, x, y: y + track.h / 2 });
  }

  private drawIrqs(ctx: CanvasRenderingContext2D, v: View, y: number, h: number, s: FrameStats): void {
    const st = this.store;
    const a = lowerBound(st.irqTs, v.t0);
    const b = upperBound(st.irqTs, v.t1);
    const pw = this.plotWidth(v);
    if (b - a <= pw) {
      for (let i = a; i < b; i++) {
        const x = this.x(v, st.irqTs[i]!);
        const d = st.irqDeliver[i]!;
        ctx.fillStyle = d > 0 ? '#6b21a8' : st.irqCoalesced[i]! > 0 ? '#d97706' : BAD;
        ctx.fillRect(x, y + 2, 2, h - 4);
        if (d > 0) {
          const x2 = this.x(v, st.irqTs[i]! + d - 1);
          ctx.fillRect(x, y + h / 2, Math.max(1, x2 - x), 1);
        }
        s.rectsDrawn++;
      }
      return;
    }
    // Dense: one tick per pixel column, its height by how many raises fall there.
    ctx.fillStyle = '#6b21a8';
    let i = a;
    for (let px = 0; px < pw && i < b; px++) {
      const tEnd = this.time(v, GUTTER + px + 1);
      const j = upperBound(st.irqTs, tEnd, i, b);
      const n = j - i;
      if (n > 0) {
        const th = Math.min(h - 2, 3 + Math.log2(n) * 2);
        ctx.fillRect(GUTTER + px, y + h - 1 - th, 1, th);
        s.rectsDrawn++;
      }
      i = j;
    }
  }

  private drawRuler(ctx: CanvasRenderingContext2D, v: View): void {
    const cpu = this.store.header.meta.cyclesPerUs;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, v.width, RULER);
    ctx.fillStyle = '#d9dde3';
    ctx.fillRect(0, RULER - 1, v.width, 1);
    const span = v.t1 - v.t0;
    ctx.fillStyle = '#4b5563';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    this.lastTicks = [];
    for (const tick of ticks(v.t0, v.t1, this.plotWidth(v), cpu)) {
      const x = this.x(v, tick.t);
      if (x < GUTTER) continue;
      ctx.fillRect(x, RULER - 8, 1, 7);
      // Labels go right of their tick, moved left where they would run past the canvas's edge (the
      // right-most one), and left out where that would cover the previous label.
      const cyc = `${tick.cycles} cyc`;
      const wide = Math.max(ctx.measureText(cyc).width, ctx.measureText(tick.time).width);
      const left = Math.min(x + 3, v.width - 2 - wide);
      const prev = this.lastTicks[this.lastTicks.length - 1];
      if (left < GUTTER + 2 || (prev && prev.right + 4 > left)) continue;
      ctx.fillText(cyc, left, 2);
      ctx.fillText(tick.time, left, 14);
      this.lastTicks.push({ ...tick, x, left, right: left + wide });
    }
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, GUTTER - 1, RULER - 1);
    ctx.fillStyle = '#1d2330';
    ctx.fillText('cycles / time', 6, 2);
    ctx.fillStyle = '#6b7280';
    ctx.fillText(`${fmtShort(span)} cyc = ${fmtUs(span / cpu)} shown`, 6, 14);
    ctx.textBaseline = 'middle';
    ctx.font = '11px system-ui, sans-serif';
  }

  // --- overlay -----------------------------------------------------------------------------------------

  drawOverlay(ctx: CanvasRenderingContext2D, v: View, sel: Selection): void {
    const t0 = performance.now();
    ctx.clearRect(0, 0, v.width, v.height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, RULER, v.width - GUTTER, v.height - RULER);
    ctx.clip();
    this.stats.failedIpc = [];
    this.stats.signals = [];
    const placer = new LabelPlacer(this.mainLabels);
    this.drawSignals(ctx, v, placer);
    this.messageIndex ??= new MessageIndex(this.store);
    drawMessages(
      ctx,
      v,
      { x: (t) => this.x(v, t), rowY: (u) => this.threadRowY(v, u), top: RULER, bottom: v.height, cyclesPerPixel: this.cyclesPerPixel(v) },
      this.store,
      this.messageIndex,
      sel,
      placer,
      this.stats,
    );
    this.drawSelection(ctx, v, sel);
    ctx.restore();
    this.stats.overlayMs = performance.now() - t0;
    this.stats.ms = this.stats.mainMs + this.stats.overlayMs;
  }

  /** The y of a thread's header row on screen (for arrows), or null when the thread has no track. */
  threadRowY(v: View, utid: number): number | null {
    const ty = this.threadY.get(utid);
    return ty === undefined ? null : RULER + ty - v.scrollY + ROW_H.thread / 2;
  }

  messages(): MessageIndex {
    return (this.messageIndex ??= new MessageIndex(this.store));
  }

  private drawSignals(ctx: CanvasRenderingContext2D, v: View, placer: LabelPlacer): void {
    const st = this.store;
    const track = this.tracks.find((t) => t.kind === 'signals');
    if (!track) return;
    const y = this.y(v, track) + track.h / 2;
    const endX = this.x(v, st.header.meta.endTime);
    ctx.textBaseline = 'middle';
    st.header.signals.forEach((sg) => {
      const x = this.x(v, sg.ts);
      if (x > v.width + 10) return;
      const delivered = sg.tsDeliver !== null;
      // Delivered: green; ignored by the target (e.g. SIGCHLD): grey; lost: red.
      const colour = delivered ? GOOD : sg.path === 'ignored' ? '#6b7280' : BAD;
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = 1.5;
      if (delivered) {
        const xd = this.x(v, sg.tsDeliver!);
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(xd, y);
        ctx.stroke();
        ctx.beginPath();
        ctx.arc(xd, y, 4, 0, 2 * Math.PI);
        ctx.fill();
      } else if (sg.path !== 'ignored') {
        // Never delivered: a dashed line to the end of the run.
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(endX, y);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.beginPath();
      ctx.moveTo(x, y - 7);
      ctx.lineTo(x + 6, y);
      ctx.lineTo(x, y + 7);
      ctx.closePath();
      ctx.fill();
      const text = signalText(sg);
      ctx.font = '600 11px system-ui, sans-serif';
      const tw = ctx.measureText(text).width;
      // A label that would print over a neighbour's is left out (the triangle stays; a click tells).
      const at = placer.place({ x: x + 8, y: y - 7, w: tw + 4, h: 14 });
      if (at) {
        ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
        ctx.fillRect(at.x, at.y, at.w, at.h);
        ctx.fillStyle = colour;
        ctx.fillText(text, x + 10, y);
      }
      ctx.font = '11px system-ui, sans-serif';
      if (x >= GUTTER - 10 && x <= v.width + 10) this.stats.signals.push({ sig: sg.sig, from: sg.from, to: sg.to, kick: sg.kick, delivered, x, y, label: at ? text : '' });
    });
    ctx.lineWidth = 1;
  }

  private drawSelection(ctx: CanvasRenderingContext2D, v: View, sel: Selection): void {
    if (!sel) return;
    const r = this.selectionRect(v, sel);
    if (!r) return;
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.strokeRect(r.x - 1, r.y - 1, Math.max(3, r.w + 2), r.h + 2);
    ctx.lineWidth = 1;
  }

  /** Where a selection is on screen (null when its track is not laid out). */
  selectionRect(v: View, sel: NonNullable<Selection>): { x: number; y: number; w: number; h: number } | null {
    const st = this.store;
    if (sel.kind === 'slice') {
      const row = st.rows[st.sliceRow[sel.index]!]!;
      const track = this.tracks.find((t) => t.kind === 'depth' && t.key === row.utid && t.depth === row.depth);
      if (!track) return null;
      const x = this.x(v, st.sliceTs[sel.index]!);
      return { x, y: this.y(v, track), w: this.x(v, st.sliceEnd[sel.index]!) - x, h: track.h };
    }
    if (sel.kind === 'sched') {
      const k = st.cpuFirst.findIndex((f, i) => sel.index >= f && sel.index < f + st.header.cpus[i]!.count);
      const track = this.tracks.find((t) => t.kind === 'cpu' && t.key === k);
      if (!track) return null;
      const x = this.x(v, st.schedTs[sel.index]!);
      return { x, y: this.y(v, track), w: this.x(v, st.schedEnd[sel.index]!) - x, h: track.h };
    }
    if (sel.kind === 'irq') {
      const track = this.tracks.find((t) => t.kind === 'irq');
      return track ? { x: this.x(v, st.irqTs[sel.index]!), y: this.y(v, track), w: 2, h: track.h } : null;
    }
    if (sel.kind === 'signal') {
      const track = this.tracks.find((t) => t.kind === 'signals');
      return track ? { x: this.x(v, st.header.signals[sel.index]!.ts), y: this.y(v, track), w: 6, h: track.h } : null;
    }
    if (sel.kind === 'thread') {
      const track = this.tracks.find((t) => t.kind === 'thread' && t.key === sel.index);
      if (!track) return null;
      if (sel.at !== undefined) return { x: this.x(v, sel.at) - 1, y: this.y(v, track), w: 2, h: track.h };
      return { x: GUTTER + 1, y: this.y(v, track), w: this.plotWidth(v) - 4, h: track.h };
    }
    const ys = this.threadRowY(v, st.ipcSender[sel.index]!);
    return ys === null ? null : { x: this.x(v, st.ipcTs[sel.index]!), y: ys - 6, w: 2, h: 12 };
  }

  /** What a click at screen x selects on a CPU track or a call row: what that pixel column shows. */
  hitCpu(v: View, k: number, x: number, tol: number): number {
    return this.hit(v, this.cpuMipmap(k), x, tol);
  }

  hitRow(v: View, utid: number, depth: number, x: number, tol: number): number {
    const m = this.rowMipmap(utid, depth);
    return m ? this.hit(v, m, x, tol) : -1;
  }

  private hit(v: View, m: Mipmap, x: number, tol: number): number {
    const lv = m.level(Mipmap.levelFor(this.cyclesPerPixel(v)));
    const px = Math.floor(x);
    return hitSeries(lv, this.time(v, px), this.time(v, px + 1), tol);
  }

  // --- colours and text ------------------------------------------------------------------------------

  colourOfName(id: number): string {
    return (this.nameColour[id] ??= sliceColour(this.store.header.names[id] ?? ''));
  }

  colourOfThread(utid: number): string {
    let c = this.threadColour.get(utid);
    if (!c) this.threadColour.set(utid, (c = colorFor(`${this.store.threadName(utid)}#${utid}`, 58)));
    return c;
  }

  private text(ctx: CanvasRenderingContext2D, s: string, x: number, y: number, maxWidth: number): void {
    if (maxWidth < 8) return;
    let t = s;
    if (ctx.measureText(t).width > maxWidth) {
      // Cut to fit (binary search on length).
      let lo = 0;
      let hi = t.length;
      while (lo < hi) {
        const m = (lo + hi + 1) >>> 1;
        if (ctx.measureText(t.slice(0, m) + '…').width <= maxWidth) lo = m;
        else hi = m - 1;
      }
      t = lo > 0 ? t.slice(0, lo) + '…' : '';
    }
    if (t) ctx.fillText(t, x, y);
  }
}

/** "SIGTERM pid 1→2, kick SETIMEOUT: never delivered"; "SIGCHLD pid 2→1: ignored". */
export function signalText(sg: { sig: string; from: number; to: number; path: string; kick: string; tsDeliver: number | null; action: string | null }): string {
  const who = `${sg.sig} pid ${sg.from}→${sg.to}`;
  if (sg.path === 'ignored') return `${who}: ignored`;
  const how = sg.path === 'kick' ? `kick ${sg.kick}` : sg.path;
  return `${who}, ${how}: ${sg.tsDeliver !== null ? `delivered (${sg.action ?? ''})` : 'never delivered'}`;
}

function emptyStats(): FrameStats {
  return { ms: 0, mainMs: 0, overlayMs: 0, rectsDrawn: 0, itemsVisited: 0, cpuRows: 0, threadTracks: 0, depthRows: 0, arrows: 0, bundled: false, bundles: 0, failedIpc: [], signals: [], finalStates: [] };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
