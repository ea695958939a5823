/**
 * Drawing. The main canvas holds the ruler, the track labels and what the tracks contain (scheduling
 * intervals, call stacks, interrupt marks, final states); the overlay canvas holds what changes with the
 * selection (highlight, IPC arrows, signals), so selecting never repaints millions of slices.
 * Each series is drawn from its level of detail (lod.ts), and neighbouring items that fall in the same
 * pixel are merged into one rectangle, so the cost of a frame follows the pixels, not the events.
 */
import { colorFor, CATEGORY_COLOR, BAD, GOOD, fmtShort, fmtUs } from './format';
import { Mipmap, firstEndingAfter, type Level } from './lod';
import { ROW_H, trackAtY, type Track } from './layout';
import { lowerBound, upperBound, type Store } from './store';
import type { FrameStats, Selection, View } from '../model';

export type { FrameStats, Selection, View } from '../model';

export const GUTTER = 220;
export const RULER = 28;
/** Above this many visible messages, arrows are bundled per thread pair. */
export const MAX_ARROWS = 2000;

export class Renderer {
  private readonly mipmaps = new Map<string, Mipmap>();
  private readonly nameColor: string[] = [];
  private readonly threadColor = new Map<number, string>();
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
    ctx.clearRect(0, 0, v.width, v.height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const track of this.visibleTracks(v)) this.drawTrack(ctx, v, track, s);
    this.drawRuler(ctx, v);
    // Gutter border.
    ctx.fillStyle = '#d9dde3';
    ctx.fillRect(GUTTER - 1, RULER, 1, v.height - RULER);
    s.ms = performance.now() - t0;
    this.stats = { ...this.stats, ...pick(s, ['ms', 'rectsDrawn', 'itemsVisited', 'cpuRows', 'threadTracks', 'depthRows', 'finalStates']) };
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
        this.drawDepthRow(ctx, v, track, y, s);
        break;
      default:
        break;
    }
    ctx.restore();
  }

  private mipmap(key: string, starts: Float64Array, ends: Float64Array, first: number, n: number): Mipmap {
    let m = this.mipmaps.get(key);
    if (!m) this.mipmaps.set(key, (m = new Mipmap(starts, ends, first, n)));
    return m;
  }

  /**
   * Draw one series at its level of detail; colour(rep) gives an item's colour, label(rep) its text.
   * Neighbours of one colour, and sub-pixel items whatever their colour, join one rectangle; a
   * rectangle is labelled (with its first wide item's name) when it is drawn, so a run of joined items
   * is labelled once it is wide enough.
   */
  private drawSeries(
    ctx: CanvasRenderingContext2D,
    v: View,
    lv: Level,
    y: number,
    h: number,
    colour: (rep: number, merged: boolean) => string,
    label: ((rep: number) => string) | null,
    open: ((rep: number) => boolean) | null,
    s: FrameStats,
  ): void {
    const pw = this.plotWidth(v);
    const scale = pw / (v.t1 - v.t0);
    const left = GUTTER;
    const right = GUTTER + pw;
    let curX0 = 0;
    let curX1 = -Infinity;
    let curColour = '';
    let curText = ''; // label of the rectangle being built ('' = none yet)
    const flush = (): void => {
      if (curX1 === -Infinity) return;
      ctx.fillStyle = curColour;
      ctx.fillRect(curX0, y, Math.max(1, curX1 - curX0), h);
      s.rectsDrawn++;
      const w = Math.min(curX1, right) - Math.max(curX0, left);
      if (curText && w >= 36) {
        ctx.fillStyle = '#1d2330';
        this.text(ctx, curText, Math.max(curX0, left) + 3, y + h / 2, w - 6);
      }
      curX1 = -Infinity;
      curText = '';
    };
    const textOf = (i: number): string => {
      if (!label) return '';
      // A merged item names its longest member and says how many it stands for.
      const n = lv.count[i]!;
      return n > 1 ? `${label(lv.rep[i]!)} +${(n - 1).toLocaleString('en-US')} more` : label(lv.rep[i]!);
    };
    for (let i = firstEndingAfter(lv, v.t0); i < lv.length; i++) {
      const st = lv.start[i]!;
      if (st > v.t1) break;
      s.itemsVisited++;
      const x0 = GUTTER + (st - v.t0) * scale;
      let x1 = GUTTER + (lv.end[i]! - v.t0) * scale;
      if (x1 - x0 < 1) x1 = x0 + 1;
      const rep = lv.rep[i]!;
      const merged = lv.count[i]! > 1;
      const wide = x1 - x0 > 1.5;
      // A sub-pixel item joins the current rectangle whatever its colour. (Not the other way round: a
      // wide item after a sub-pixel one keeps its own colour and label.)
      if (x0 <= curX1 + 0.5 && !wide) {
        if (x1 > curX1) curX1 = x1;
        continue;
      }
      const c = colour(rep, merged);
      if (c === curColour && x0 <= curX1 + 0.5) {
        if (x1 > curX1) curX1 = x1;
        if (!curText) curText = textOf(i);
      } else {
        flush();
        curX0 = x0;
        curX1 = x1;
        curColour = c;
        curText = wide ? textOf(i) : '';
      }
      if (open && !merged && open(rep)) {
        flush();
        ctx.fillStyle = BAD;
        ctx.fillRect(Math.min(x1, right) - 2, y, 2, h);
        s.rectsDrawn++;
      }
    }
    flush();
  }

  private drawCpu(ctx: CanvasRenderingContext2D, v: View, track: Track, y: number, s: FrameStats): void {
    const st = this.store;
    const k = track.key;
    const first = st.cpuFirst[k]!;
    const n = st.header.cpus[k]!.count;
    const m = this.mipmap(`c${k}`, st.schedTs, st.schedEnd, first, n);
    const lv = m.level(Mipmap.levelFor((v.t1 - v.t0) / this.plotWidth(v)));
    this.drawSeries(
      ctx,
      v,
      lv,
      y + 2,
      track.h - 4,
      (rep) => this.colourOfThread(st.schedUtid[rep]!),
      (rep) => st.threadName(st.schedUtid[rep]!),
      null,
      s,
    );
  }

  private drawDepthRow(ctx: CanvasRenderingContext2D, v: View, track: Track, y: number, s: FrameStats): void {
    const st = this.store;
    const row = st.row(track.key, track.depth);
    if (!row) return;
    const m = this.mipmap(`r${track.key}.${track.depth}`, st.sliceTs, st.sliceEnd, row.first, row.count);
    const lv = m.level(Mipmap.levelFor((v.t1 - v.t0) / this.plotWidth(v)));
    this.drawSeries(
      ctx,
      v,
      lv,
      y + 1,
      track.h - 2,
      (rep) => this.colourOfSlice(rep),
      (rep) => st.name(rep),
      (rep) => st.sliceOpen[rep] === 1,
      s,
    );
  }

  private drawThreadHeader(ctx: CanvasRenderingContext2D, v: View, track: Track, y: number, s: FrameStats): void {
    const t = this.store.threadByUtid.get(track.key);
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(GUTTER, y + track.h - 1, v.width - GUTTER, 1);
    if (!t || !t.finalState) return;
    // Where the thread was when the run ended (hang or deadlock): at the end of the run.
    const xe = Math.min(this.x(v, this.store.header.meta.endTime), v.width - 4);
    const text = `at the end: ${t.finalState}${t.openCall ? ` (in ${t.openCall})` : ''}`;
    ctx.font = '600 11px system-ui, sans-serif';
    const w = Math.min(ctx.measureText(text).width, 420);
    const x = Math.max(GUTTER + 2, xe - w - 6);
    ctx.fillStyle = '#fff5f5';
    ctx.fillRect(x - 3, y + 1, w + 6, track.h - 2);
    ctx.fillStyle = BAD;
    this.text(ctx, text, x, y + track.h / 2, w);
    ctx.font = '11px system-ui, sans-serif';
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
    const target = (span / this.plotWidth(v)) * 110;
    const p = 10 ** Math.floor(Math.log10(target));
    const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= target) ?? 10 * p;
    ctx.fillStyle = '#4b5563';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (let t = Math.ceil(v.t0 / step) * step; t <= v.t1; t += step) {
      const x = this.x(v, t);
      ctx.fillRect(x, RULER - 8, 1, 7);
      ctx.fillText(`${fmtShort(t)} cyc`, x + 3, 2);
      ctx.fillText(fmtUs(t / cpu), x + 3, 14);
    }
    ctx.fillStyle = '#1d2330';
    ctx.fillText('cycles / time', 6, 2);
    ctx.fillStyle = '#6b7280';
    ctx.fillText(`${fmtShort(span)} cyc = ${fmtUs(span / cpu)} shown`, 6, 14);
    ctx.textBaseline = 'middle';
    ctx.font = '11px system-ui, sans-serif';
  }

  // --- overlay -----------------------------------------------------------------------------------------

  drawOverlay(ctx: CanvasRenderingContext2D, v: View, sel: Selection): void {
    ctx.clearRect(0, 0, v.width, v.height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, RULER, v.width - GUTTER, v.height - RULER);
    ctx.clip();
    this.stats.failedIpc = [];
    this.stats.signals = [];
    this.drawArrows(ctx, v, sel);
    this.drawSignals(ctx, v);
    this.drawSelection(ctx, v, sel);
    ctx.restore();
  }

  /** The y of a thread's header row on screen (for arrows), or null when the thread has no track. */
  threadRowY(v: View, utid: number): number | null {
    const ty = this.threadY.get(utid);
    return ty === undefined ? null : RULER + ty - v.scrollY + ROW_H.thread / 2;
  }

  private drawArrows(ctx: CanvasRenderingContext2D, v: View, sel: Selection): void {
    const st = this.store;
    let a = lowerBound(st.ipcTs, v.t0 - st.ipcMaxLatency);
    const b = upperBound(st.ipcTs, v.t1);
    // A selected slice shows only its own messages: sent from its thread while it ran, or received in it.
    let only: { utid: number; t0: number; t1: number } | null = null;
    if (sel?.kind === 'slice') {
      const row = st.rows[st.sliceRow[sel.index]!]!;
      only = { utid: row.utid, t0: st.sliceTs[sel.index]!, t1: st.sliceEnd[sel.index]! };
      a = lowerBound(st.ipcTs, only.t0 - st.ipcMaxLatency);
    }
    const visible: number[] = [];
    for (let i = a; i < b; i++) {
      const ts = st.ipcTs[i]!;
      const r = st.ipcRecv[i]!;
      const te = r > 0 ? ts + r - 1 : ts;
      if (te < v.t0) continue;
      if (only) {
        const sent = st.ipcSender[i] === only.utid && ts >= only.t0 && ts <= only.t1;
        const got = st.ipcReceiver[i] === only.utid + 1 && te >= only.t0 && te <= only.t1;
        if (!sent && !got) continue;
      }
      visible.push(i);
    }
    this.stats.bundled = visible.length > MAX_ARROWS;
    this.stats.arrows = visible.length;
    if (this.stats.bundled) return this.drawBundles(ctx, v, visible);
    ctx.lineWidth = only ? 1.6 : 1;
    for (const i of visible) {
      const ys = this.threadRowY(v, st.ipcSender[i]!);
      if (ys === null) continue;
      const xs = this.x(v, st.ipcTs[i]!);
      const recv = st.ipcReceiver[i]!;
      if (recv > 0) {
        const yr = this.threadRowY(v, recv - 1);
        if (yr === null) continue;
        const xr = this.x(v, st.ipcTs[i]! + st.ipcRecv[i]! - 1);
        arrow(ctx, xs, ys, xr, yr, only ? '#1d4ed8' : 'rgba(37, 99, 235, 0.55)');
      } else {
        // Not received: a red arrow to the addressed thread (or a stub), crossed out.
        const dest = st.ipcDest[i]!;
        const yd = dest > 0 ? this.threadRowY(v, dest - 1) : null;
        const ye = yd ?? ys + 14;
        const xe = xs + 10;
        arrow(ctx, xs, ys, xe, ye, BAD);
        ctx.strokeStyle = BAD;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(xe - 5, ye - 5);
        ctx.lineTo(xe + 5, ye + 5);
        ctx.moveTo(xe + 5, ye - 5);
        ctx.lineTo(xe - 5, ye + 5);
        ctx.stroke();
        ctx.lineWidth = 1;
        const label = `${st.header.enums.ipcKind[st.ipcKind[i]!] ?? 'ipc'} not received: ${st.header.enums.ipcResult[st.ipcResult[i]!] ?? ''}`;
        ctx.fillStyle = BAD;
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.textBaseline = 'middle';
        ctx.fillText(label, xe + 8, ye);
        ctx.font = '11px system-ui, sans-serif';
        this.stats.failedIpc.push({ sender: st.threadName(st.ipcSender[i]!), dest: dest > 0 ? st.threadName(dest - 1) : '?', x: xe, y: ye });
      }
    }
  }

  /** Too many messages to draw one by one: one line per thread pair, as thick as its count. */
  private drawBundles(ctx: CanvasRenderingContext2D, v: View, visible: number[]): void {
    const st = this.store;
    const pairs = new Map<number, { s: number; r: number; n: number; xs: number; xr: number }>();
    for (const i of visible) {
      const r = st.ipcReceiver[i]!;
      const key = st.ipcSender[i]! * 1048576 + r;
      let p = pairs.get(key);
      if (!p) pairs.set(key, (p = { s: st.ipcSender[i]!, r: r - 1, n: 0, xs: 0, xr: 0 }));
      p.n++;
      p.xs += st.ipcTs[i]!;
      p.xr += r > 0 ? st.ipcTs[i]! + st.ipcRecv[i]! - 1 : st.ipcTs[i]!;
    }
    ctx.fillStyle = '#1d4ed8';
    ctx.font = '10px system-ui, sans-serif';
    for (const p of pairs.values()) {
      const ys = this.threadRowY(v, p.s);
      const yr = p.r >= 0 ? this.threadRowY(v, p.r) : null;
      if (ys === null || yr === null) continue;
      const xs = this.x(v, p.xs / p.n);
      const xr = this.x(v, p.xr / p.n);
      ctx.lineWidth = Math.min(8, 1 + Math.log2(p.n));
      arrow(ctx, xs, ys, xr, yr, 'rgba(29, 78, 216, 0.45)');
      ctx.fillText(`${p.n} msgs`, (xs + xr) / 2 + 4, (ys + yr) / 2);
    }
    ctx.lineWidth = 1;
    ctx.font = '11px system-ui, sans-serif';
  }

  private drawSignals(ctx: CanvasRenderingContext2D, v: View): void {
    const st = this.store;
    const track = this.tracks.find((t) => t.kind === 'signals');
    if (!track) return;
    const y = this.y(v, track) + track.h / 2;
    const endX = this.x(v, st.header.meta.endTime);
    ctx.textBaseline = 'middle';
    st.header.signals.forEach((sg) => {
      const x = this.x(v, sg.ts);
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
      const how = sg.path === 'kick' ? `kick ${sg.kick}` : sg.path;
      const text = `${sg.sig} pid ${sg.from}→${sg.to}, ${how}: ${delivered ? `delivered (${sg.action ?? ''})` : sg.path === 'ignored' ? 'ignored' : 'never delivered'}`;
      ctx.font = '600 11px system-ui, sans-serif';
      const tw = ctx.measureText(text).width;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
      ctx.fillRect(x + 8, y - 7, tw + 4, 14);
      ctx.fillStyle = colour;
      ctx.fillText(text, x + 10, y);
      ctx.font = '11px system-ui, sans-serif';
      if (x >= GUTTER - 10 && x <= v.width + 10) this.stats.signals.push({ sig: sg.sig, from: sg.from, to: sg.to, kick: sg.kick, delivered, x, y });
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
    const ys = this.threadRowY(v, st.ipcSender[sel.index]!);
    return ys === null ? null : { x: this.x(v, st.ipcTs[sel.index]!), y: ys - 6, w: 2, h: 12 };
  }

  // --- colours and text ------------------------------------------------------------------------------

  private colourOfSlice(i: number): string {
    const st = this.store;
    const cat = st.header.categories[st.sliceCat[i]!] ?? 'func';
    if (cat !== 'func') return CATEGORY_COLOR[cat] ?? '#ccc';
    const id = st.sliceName[i]!;
    return (this.nameColor[id] ??= colorFor(st.header.names[id] ?? ''));
  }

  colourOfThread(utid: number): string {
    let c = this.threadColor.get(utid);
    if (!c) this.threadColor.set(utid, (c = colorFor(`${this.store.threadName(utid)}#${utid}`, 58)));
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

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, colour: string): void {
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  const a = Math.atan2(y1 - y0, x1 - x0);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 7 * Math.cos(a - 0.4), y1 - 7 * Math.sin(a - 0.4));
  ctx.lineTo(x1 - 7 * Math.cos(a + 0.4), y1 - 7 * Math.sin(a + 0.4));
  ctx.closePath();
  ctx.fill();
}

function emptyStats(): FrameStats {
  return { ms: 0, rectsDrawn: 0, itemsVisited: 0, cpuRows: 0, threadTracks: 0, depthRows: 0, arrows: 0, bundled: false, failedIpc: [], signals: [], finalStates: [] };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = o[k];
  return out;
}
