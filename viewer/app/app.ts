/**
 * The page controller: the view (time range, vertical scroll), selection, keyboard and mouse, search,
 * the URL hash, and drawing on demand (one requestAnimationFrame per change). Exposes a test hook,
 * window.__viewerTest, with what the last frame drew.
 */
import { renderDetails } from './details';
import { renderLegend } from './legend';
import { layoutTracks, trackAtY, type Track } from './layout';
import { renderPanels } from './panels';
import { GUTTER, RULER, Renderer, type Selection, type View } from './render';
import type { ViewerTestHook } from '../model';
import { Search, type Hit } from './search';
import { lowerBound, upperBound, type Store } from './store';

const MIN_SPAN = 20;
/** Elements shown over the timeline, which Esc closes. */
const OVERLAYS = ['help'];

declare global {
  interface Window {
    __viewerTest?: ViewerTestHook;
  }
}

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} missing`);
  return el;
}

export class App {
  readonly view: View;
  sel: Selection = null;
  private readonly renderer: Renderer;
  private readonly tracks: Track[];
  private readonly contentHeight: number;
  private readonly main: HTMLCanvasElement;
  private readonly over: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly search: Search;
  private pending = false;
  private mainDirty = true;
  private frames = 0;
  private firstFrameMs = -1;
  private hashTimer = 0;
  private panelsBuilt = false;
  private panelMarks = 0;
  private drag: { x: number; y: number; t0: number; t1: number; scrollY: number; moved: boolean } | null = null;
  private mouseX = -1;

  constructor(private readonly store: Store) {
    const lay = layoutTracks(store);
    this.tracks = lay.tracks;
    this.contentHeight = lay.height;
    this.renderer = new Renderer(store, lay.tracks, lay.threadY);
    this.search = new Search(store);
    this.box = $('timeline');
    this.main = $('cmain') as HTMLCanvasElement;
    this.over = $('cover') as HTMLCanvasElement;
    // The page opens on the part of the run that tells its story (generate/focus.ts); `0` shows it all.
    const w = store.header.focus ?? store.header.window;
    const pad = Math.max(1, (w.to - w.from) * 0.01);
    this.view = { t0: w.from - pad, t1: w.to + pad, scrollY: 0, width: 800, height: 600 };
  }

  start(): void {
    const h = this.store.header;
    $('title').textContent = `${h.meta.scenario} · ${h.source} · ${h.meta.flavour} · ${h.meta.cpus} CPU · seed ${h.meta.seed} · ${h.meta.events.toLocaleString('en-US')} events${h.meta.filterRules ? ' · filtered' : ''}`;
    const outcome = $('outcome');
    outcome.textContent = `outcome ${h.meta.outcome}${h.meta.outcomeDetail ? `: ${h.meta.outcomeDetail}` : ''}`;
    outcome.title = outcome.textContent;
    if (h.meta.outcome !== 'ok') outcome.classList.add('bad');
    const focus = $('focus');
    focus.textContent = h.focus ? `opened on ${h.focus.reason} · 0 whole run · 1 back here` : '';
    focus.title = focus.textContent;
    renderLegend($('legend'));
    this.resize();
    new ResizeObserver(() => this.resize()).observe(this.box);
    this.applyHash(location.hash);
    window.addEventListener('hashchange', () => this.applyHash(location.hash));
    this.wireInput();
    this.installTestHook();
    this.requestDraw();
  }

  // --- view changes ------------------------------------------------------------------------------------

  private resize(): void {
    const r = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.view.width = Math.max(100, Math.floor(r.width));
    this.view.height = Math.max(100, Math.floor(r.height));
    for (const c of [this.main, this.over]) {
      c.width = Math.floor(this.view.width * dpr);
      c.height = Math.floor(this.view.height * dpr);
      c.style.width = `${this.view.width}px`;
      c.style.height = `${this.view.height}px`;
      c.getContext('2d')!.setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    this.clampScroll();
    this.requestDraw();
  }

  setRange(t0: number, t1: number): void {
    const w = this.store.header.window;
    const span = Math.max(MIN_SPAN, t1 - t0);
    const full = (w.to - w.from) * 1.2 + MIN_SPAN;
    const s = Math.min(span, full);
    let a = (t0 + t1) / 2 - s / 2;
    const lo = w.from - (w.to - w.from) * 0.1 - MIN_SPAN;
    const hi = w.to + (w.to - w.from) * 0.1 + MIN_SPAN;
    a = Math.max(lo, Math.min(a, hi - s));
    this.view.t0 = a;
    this.view.t1 = a + s;
    this.requestDraw();
  }

  zoom(factor: number, atX = GUTTER + (this.view.width - GUTTER) / 2): void {
    const t = this.renderer.time(this.view, atX);
    const f = (atX - GUTTER) / this.renderer.plotWidth(this.view);
    const span = (this.view.t1 - this.view.t0) / factor;
    this.setRange(t - f * span, t - f * span + span);
  }

  pan(px: number): void {
    const dt = (px / this.renderer.plotWidth(this.view)) * (this.view.t1 - this.view.t0);
    this.setRange(this.view.t0 + dt, this.view.t1 + dt);
  }

  scroll(dy: number): void {
    this.view.scrollY += dy;
    this.clampScroll();
    this.requestDraw();
  }

  private clampScroll(): void {
    const max = Math.max(0, this.contentHeight - (this.view.height - RULER) + 20);
    this.view.scrollY = Math.max(0, Math.min(this.view.scrollY, max));
  }

  /** The whole run (the file's window). */
  fit(): void {
    const w = this.store.header.window;
    const pad = Math.max(1, (w.to - w.from) * 0.01);
    this.setRange(w.from - pad, w.to + pad);
  }

  /** The window the page opened on (the story's), or the whole run when it opened on that. */
  showFocus(): void {
    const w = this.store.header.focus ?? this.store.header.window;
    const pad = Math.max(1, (w.to - w.from) * 0.01);
    this.setRange(w.from - pad, w.to + pad);
  }

  /** Close the open overlays (the key list; the legend is a bar, not an overlay); whether one was open. */
  closeOverlays(): boolean {
    let closed = false;
    for (const id of OVERLAYS) {
      const el = $(id);
      if (!el.hidden) {
        el.hidden = true;
        closed = true;
      }
    }
    return closed;
  }

  zoomToSelection(): void {
    const r = this.selectionRange();
    if (!r) return;
    const span = Math.max(MIN_SPAN, (r[1] - r[0]) * 1.25);
    const mid = (r[0] + r[1]) / 2;
    this.setRange(mid - span / 2, mid + span / 2);
    this.scrollToSelection();
  }

  private selectionRange(): [number, number] | null {
    const st = this.store;
    const s = this.sel;
    if (!s) return null;
    switch (s.kind) {
      case 'slice':
        return [st.sliceTs[s.index]!, st.sliceEnd[s.index]!];
      case 'sched':
        return [st.schedTs[s.index]!, st.schedEnd[s.index]!];
      case 'irq': {
        const d = st.irqDeliver[s.index]!;
        return [st.irqTs[s.index]!, st.irqTs[s.index]! + Math.max(d - 1, 50)];
      }
      case 'ipc': {
        const r = st.ipcRecv[s.index]!;
        return [st.ipcTs[s.index]!, st.ipcTs[s.index]! + Math.max(r - 1, 50)];
      }
      case 'signal': {
        const sg = st.header.signals[s.index]!;
        return [sg.ts, sg.tsDeliver ?? st.header.meta.endTime];
      }
      case 'thread': {
        const states = this.renderer.states(s.index);
        if (states.start.length === 0) return null;
        if (s.at !== undefined) {
          const k = upperBound(states.start, s.at) - 1;
          if (k >= 0 && states.end[k]! >= s.at) return [states.start[k]!, states.end[k]!];
        }
        return [states.start[0]!, states.end[states.end.length - 1]!];
      }
    }
  }

  /** Bring the selection's track into the visible band. */
  private scrollToSelection(): void {
    if (!this.sel) return;
    const r = this.renderer.selectionRect(this.view, this.sel);
    if (!r) return;
    if (r.y < RULER + 10 || r.y + r.h > this.view.height - 10) this.scroll(r.y - RULER - (this.view.height - RULER) / 3);
  }

  select(sel: Selection): void {
    this.sel = sel;
    renderDetails($('details'), this.store, sel, this.renderer);
    this.requestDraw(false);
  }

  // --- drawing -------------------------------------------------------------------------------------------

  requestDraw(main = true): void {
    if (main) this.mainDirty = true;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.pending = false;
    if (this.mainDirty) this.renderer.drawMain(this.main.getContext('2d')!, this.view);
    this.mainDirty = false;
    this.renderer.drawOverlay(this.over.getContext('2d')!, this.view, this.sel);
    this.frames++;
    if (this.firstFrameMs < 0) {
      this.firstFrameMs = performance.now();
      const status = document.getElementById('status');
      if (status && !status.classList.contains('error')) status.textContent = '';
    }
    this.scheduleHash();
  }

  // --- the URL hash: #t=t0,t1&y=scroll&sel=kind:index -------------------------------------------------------

  private scheduleHash(): void {
    window.clearTimeout(this.hashTimer);
    this.hashTimer = window.setTimeout(() => {
      const v = this.view;
      const parts = [`t=${Math.round(v.t0)},${Math.round(v.t1)}`, `y=${Math.round(v.scrollY)}`];
      if (this.sel) parts.push(`sel=${this.sel.kind}:${this.sel.index}`);
      const hash = '#' + parts.join('&');
      if (hash !== location.hash) history.replaceState(null, '', hash);
    }, 120);
  }

  private applyHash(hash: string): void {
    const p = new URLSearchParams(hash.replace(/^#/, ''));
    const t = p.get('t')?.split(',').map(Number);
    if (t && t.length === 2 && t.every(Number.isFinite) && t[1]! > t[0]!) this.setRange(t[0]!, t[1]!);
    const y = Number(p.get('y'));
    if (Number.isFinite(y) && p.has('y')) {
      this.view.scrollY = y;
      this.clampScroll();
    }
    const sel = p.get('sel')?.split(':');
    if (sel && sel.length === 2) {
      const s = this.checkSelection(sel[0]!, Number(sel[1]));
      if (s) this.select(s);
    }
    this.requestDraw();
  }

  private checkSelection(kind: string, index: number): Selection {
    const st = this.store;
    if (!Number.isInteger(index) || index < 0) return null;
    if (kind === 'thread') return st.threadByUtid.has(index) ? { kind, index } : null;
    const limits: Record<string, number> = { slice: st.sliceCount, sched: st.schedTs.length, irq: st.irqTs.length, ipc: st.ipcTs.length, signal: st.header.signals.length };
    return index < (limits[kind] ?? 0) ? ({ kind, index } as Selection) : null;
  }

  // --- hit testing ---------------------------------------------------------------------------------------------

  hitTest(x: number, y: number): Selection {
    if (x < GUTTER || y < RULER) return null;
    const v = this.view;
    const st = this.store;
    const tol = (4 / this.renderer.plotWidth(v)) * (v.t1 - v.t0);
    const t = this.renderer.time(v, x);
    // IPC arrow heads and failed messages are on the thread header rows; try markers first.
    const k = trackAtY(this.tracks, y - RULER + v.scrollY);
    const track = this.tracks[k];
    if (!track || y - RULER + v.scrollY < track.y) return null;
    switch (track.kind) {
      case 'depth': {
        const i = this.renderer.hitRow(v, track.key, track.depth, x, tol);
        return i >= 0 ? { kind: 'slice', index: i } : null;
      }
      case 'cpu': {
        if (st.header.cpus[track.key]!.count === 0) return null;
        const i = this.renderer.hitCpu(v, track.key, x, tol);
        return i >= 0 ? { kind: 'sched', index: i } : null;
      }
      case 'irq': {
        const i = nearest(st.irqTs, t, tol * 2);
        return i >= 0 ? { kind: 'irq', index: i } : null;
      }
      case 'signals': {
        let best = -1;
        let bd = Infinity;
        st.header.signals.forEach((s, i) => {
          const d = Math.abs(s.ts - t);
          if (d < bd) {
            bd = d;
            best = i;
          }
        });
        return best >= 0 && bd <= tol * 3 ? { kind: 'signal', index: best } : null;
      }
      case 'thread': {
        const m = this.messageNear(track.key, t, tol);
        if (m >= 0) return { kind: 'ipc', index: m };
        // Otherwise the thread, and its state at the clicked time (the band under its name).
        return { kind: 'thread', index: track.key, at: t };
      }
      default:
        return null;
    }
  }

  /**
   * A message leaving or reaching this thread near time t, or one addressed to it and never received
   * (drawn 10 px after its send): searched per thread pair, so a click costs no more than the messages
   * within a few pixels.
   */
  private messageNear(utid: number, t: number, tol: number): number {
    const st = this.store;
    const index = this.renderer.messages();
    const crossDt = (10 / this.renderer.plotWidth(this.view)) * (this.view.t1 - this.view.t0);
    const near = 3 * tol;
    let best = -1;
    let bd = Infinity;
    const consider = (i: number, at: number): void => {
      const d = Math.abs(at - t);
      if (d < bd) {
        bd = d;
        best = i;
      }
    };
    for (const p of index.pairs) {
      const sends = p.sender === utid;
      const gets = p.kind === 'received' && p.target === utid;
      const lost = p.kind !== 'received' && p.target === utid;
      if (!sends && !gets && !lost) continue;
      if (sends) for (let k = index.lower(p, t - near), e = index.upper(p, t + near); k < e; k++) consider(p.idx[k]!, st.ipcTs[p.idx[k]!]!);
      if (gets) {
        for (let k = index.lower(p, t - near - p.maxLatency), e = index.upper(p, t + near); k < e; k++) {
          const i = p.idx[k]!;
          consider(i, st.ipcTs[i]! + st.ipcRecv[i]! - 1);
        }
      }
      if (lost) for (let k = index.lower(p, t - near - crossDt), e = index.upper(p, t + near); k < e; k++) consider(p.idx[k]!, st.ipcTs[p.idx[k]!]! + crossDt);
    }
    return bd <= near ? best : -1;
  }

  // --- search ----------------------------------------------------------------------------------------------------

  runSearch(q: string): void {
    this.search.run(q);
    this.step(1);
  }

  step(dir: 1 | -1): void {
    const hit = this.search.step(dir);
    $('hits').textContent = this.search.summary();
    if (hit) this.focusHit(hit);
  }

  private focusHit(hit: Hit): void {
    if (hit.kind === 'thread') {
      // Select the thread (outlined, its details on the right) and scroll its track into view.
      this.select({ kind: 'thread', index: hit.utid });
      const tr = this.tracks.find((t) => t.kind === 'thread' && t.key === hit.utid);
      if (tr) {
        this.view.scrollY = tr.y - 40;
        this.clampScroll();
        this.requestDraw();
      }
      return;
    }
    this.select({ kind: 'slice', index: hit.index });
    const st = this.store;
    const a = st.sliceTs[hit.index]!;
    const b = st.sliceEnd[hit.index]!;
    const pw = this.renderer.plotWidth(this.view);
    const span = this.view.t1 - this.view.t0;
    const fits = a >= this.view.t0 && b <= this.view.t1 && ((b - a) / span) * pw >= 2;
    if (!fits) {
      const s = Math.max(MIN_SPAN, (b - a) * 4);
      this.setRange((a + b) / 2 - s / 2, (a + b) / 2 + s / 2);
    }
    this.scrollToSelection();
  }

  // --- input -------------------------------------------------------------------------------------------------------

  private wireInput(): void {
    const box = this.box;
    box.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const rect = box.getBoundingClientRect();
        const x = e.clientX - rect.left;
        if (e.ctrlKey || e.metaKey) this.zoom(Math.exp(-e.deltaY * 0.0025), x);
        else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) this.pan(e.shiftKey ? e.deltaY : e.deltaX);
        else this.scroll(e.deltaY);
      },
      { passive: false },
    );
    box.addEventListener('mouseleave', () => (this.mouseX = -1));
    box.addEventListener('mousedown', (e) => {
      const rect = box.getBoundingClientRect();
      this.drag = { x: e.clientX - rect.left, y: e.clientY - rect.top, t0: this.view.t0, t1: this.view.t1, scrollY: this.view.scrollY, moved: false };
      box.focus();
    });
    window.addEventListener('mousemove', (e) => {
      const rect = box.getBoundingClientRect();
      // W/S zoom at the mouse only while it is over the timeline's plot; elsewhere (details panel,
      // toolbar) around the view's centre.
      const over = e.clientX >= rect.left + GUTTER && e.clientX < rect.right && e.clientY >= rect.top && e.clientY < rect.bottom;
      this.mouseX = over ? e.clientX - rect.left : -1;
      const d = this.drag;
      if (!d) return;
      const dx = e.clientX - rect.left - d.x;
      const dy = e.clientY - rect.top - d.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
      if (!d.moved) return;
      const dt = (dx / this.renderer.plotWidth(this.view)) * (d.t1 - d.t0);
      this.setRange(d.t0 - dt, d.t1 - dt);
      this.view.scrollY = d.scrollY - dy;
      this.clampScroll();
    });
    window.addEventListener('mouseup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (!d || d.moved) return;
      const rect = box.getBoundingClientRect();
      this.select(this.hitTest(e.clientX - rect.left, e.clientY - rect.top));
    });
    const input = $('search') as HTMLInputElement;
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        if (input.value !== this.search.query) this.runSearch(input.value);
        else this.step(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.closeOverlays();
        input.blur();
        box.focus();
      }
    });
    $('next').addEventListener('click', () => (input.value !== this.search.query ? this.runSearch(input.value) : this.step(1)));
    $('prev').addEventListener('click', () => this.step(-1));
    $('zoomsel').addEventListener('click', () => this.zoomToSelection());
    $('fit').addEventListener('click', () => this.fit());
    $('panelsbtn').addEventListener('click', () => this.togglePanels());
    $('helpbtn').addEventListener('click', () => ($('help').hidden = !$('help').hidden));
    $('legendbtn').addEventListener('click', () => ($('legend').hidden = !$('legend').hidden));
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
      e.preventDefault();
      ($('search') as HTMLInputElement).focus();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const at = this.mouseX >= GUTTER ? this.mouseX : undefined;
    const stepPx = this.renderer.plotWidth(this.view) * 0.15;
    switch (e.key) {
      case 'w':
      case 'W':
        this.zoom(1.4, at);
        break;
      case 's':
      case 'S':
        this.zoom(1 / 1.4, at);
        break;
      case 'a':
      case 'A':
      case 'ArrowLeft':
        this.pan(-stepPx);
        break;
      case 'd':
      case 'D':
      case 'ArrowRight':
        this.pan(stepPx);
        break;
      case 'ArrowUp':
        this.scroll(-40);
        break;
      case 'ArrowDown':
        this.scroll(40);
        break;
      case 'f':
      case 'F':
        this.zoomToSelection();
        break;
      case '0':
        this.fit();
        break;
      case '1':
        this.showFocus();
        break;
      case 'Escape':
        // Esc closes what is open over the timeline first, then clears the selection.
        if (!this.closeOverlays()) this.select(null);
        break;
      case 'l':
      case 'L':
        $('legend').hidden = !$('legend').hidden;
        break;
      case '/':
        e.preventDefault();
        ($('search') as HTMLInputElement).focus();
        return;
      case 'n':
        this.step(1);
        break;
      case 'N':
        this.step(-1);
        break;
      case 'p':
      case 'P':
        this.togglePanels();
        break;
      case '?':
        $('help').hidden = !$('help').hidden;
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  private togglePanels(): void {
    const el = $('panels');
    el.hidden = !el.hidden;
    if (!el.hidden && !this.panelsBuilt) {
      this.panelsBuilt = true;
      this.panelMarks = renderPanels(el, this.store.header.panels, this.store.header.meta.cyclesPerUs);
    }
    // The timeline's box changed size.
    requestAnimationFrame(() => this.resize());
  }

  // --- test hook ---------------------------------------------------------------------------------------------------

  private installTestHook(): void {
    const app = this;
    window.__viewerTest = {
      ready: true,
      get firstFrameMs() {
        return app.firstFrameMs;
      },
      get frames() {
        return app.frames;
      },
      get view() {
        return { ...app.view };
      },
      get selection() {
        return app.sel;
      },
      get lastFrame() {
        return app.renderer.stats;
      },
      get panelMarks() {
        return app.panelMarks;
      },
      tracks: this.tracks.map((t) => ({ kind: t.kind, label: t.label, y: t.y, h: t.h, key: t.key, depth: t.depth })),
      setView: (t0, t1, scrollY) => {
        app.setRange(t0, t1);
        if (scrollY !== undefined) {
          app.view.scrollY = scrollY;
          app.clampScroll();
        }
      },
      pan: (px) => app.pan(px),
      zoom: (f) => app.zoom(f),
      select: (kind, index) => app.select(app.checkSelection(kind, index)),
      search: (q) => {
        app.runSearch(q);
        return app.search.summary();
      },
      x: (t) => app.renderer.x(app.view, t),
      trackY: (kind, key, depth = 0) => {
        const t = app.tracks.find((tr) => tr.kind === kind && tr.key === key && (kind !== 'depth' || tr.depth === depth));
        return t ? app.renderer.y(app.view, t) : null;
      },
      detailsText: () => $('details').textContent ?? '',
      threadColour: (utid) => app.renderer.colourOfThread(utid),
      schedOf: (k) => {
        const st = app.store;
        const out: [number, number, number][] = [];
        for (let i = st.cpuFirst[k]!, e = i + st.header.cpus[k]!.count; i < e; i++) out.push([st.schedTs[i]!, st.schedEnd[i]!, st.schedUtid[i]!]);
        return out;
      },
      ruler: () => app.renderer.lastTicks.map((t) => ({ cycles: t.cycles, time: t.time, x: t.x, left: t.left, right: t.right })),
      focus: app.store.header.focus,
      drawNow: () => {
        app.renderer.drawMain(app.main.getContext('2d')!, app.view);
        app.renderer.drawOverlay(app.over.getContext('2d')!, app.view, app.sel);
        return app.renderer.stats;
      },
    };
  }
}

function nearest(a: Float64Array, t: number, tol: number): number {
  const i = lowerBound(a, t);
  let best = -1;
  let bd = Infinity;
  for (const k of [i - 1, i]) {
    if (k < 0 || k >= a.length) continue;
    const d = Math.abs(a[k]! - t);
    if (d < bd) {
      bd = d;
      best = k;
    }
  }
  return bd <= tol ? best : -1;
}
