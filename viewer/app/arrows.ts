/**
 * The message layer (overlay canvas): IPC arrows from the sender's thread at the send to the receiver's
 * thread at the receipt. Its cost follows the pixels and thread pairs, never the number of messages:
 * the messages in view are counted per pair with binary searches (messages.ts); up to MAX_ARROWS are
 * drawn one by one, past that each pair is bundled per time bucket (about BUNDLE_PX wide, aligned to
 * absolute time so bundles stay put while panning): one arrow per bucket, drawn at its middle message,
 * as thick as its count. Messages nobody received are drawn on top, one by one (up to MAX_UNRECEIVED
 * in view) or as red bundles, at every zoom: a failed kick never disappears behind the traffic.
 */
import { BAD } from './format';
import type { LabelPlacer } from './labels';
import type { MessageIndex, Pair } from './messages';
import type { Store } from './store';
import type { FrameStats, Selection, View } from '../model';

/** Above this many received messages in view, arrows are bundled per thread pair and time bucket. */
export const MAX_ARROWS = 2000;
/** Up to this many unreceived messages in view are drawn one by one (crossed out, labelled). */
export const MAX_UNRECEIVED = 300;
export const BUNDLE_PX = 80;
export const PENDING = '#6b7280';

export interface MessageEnv {
  x(t: number): number;
  /** Screen y of a thread's header row, or null when the thread has no track. */
  rowY(utid: number): number | null;
  top: number;
  bottom: number;
  cyclesPerPixel: number;
}

interface Range {
  pair: Pair;
  a: number;
  b: number;
}

/** A selected slice shows only its own messages: sent from its thread while it ran, or received in it. */
interface Only {
  utid: number;
  t0: number;
  t1: number;
}

export function drawMessages(ctx: CanvasRenderingContext2D, v: View, env: MessageEnv, st: Store, index: MessageIndex, sel: Selection, placer: LabelPlacer, stats: FrameStats): void {
  let only: Only | null = null;
  if (sel?.kind === 'slice') {
    const row = st.rows[st.sliceRow[sel.index]!]!;
    only = { utid: row.utid, t0: st.sliceTs[sel.index]!, t1: st.sliceEnd[sel.index]! };
  }
  const crossDt = 12 * env.cyclesPerPixel;
  const received: Range[] = [];
  const unreceived: Range[] = [];
  let nReceived = 0;
  let nUnreceived = 0;
  for (const pair of only ? index.pairsOf(only.utid) : index.pairs) {
    let lo = v.t0 - (pair.kind === 'received' ? pair.maxLatency : crossDt);
    let hi = v.t1;
    if (only && pair.sender === only.utid && !(pair.kind === 'received' && pair.target === only.utid)) {
      lo = Math.max(lo, only.t0);
      hi = Math.min(hi, only.t1);
    } else if (only) {
      lo = Math.max(lo, only.t0 - pair.maxLatency);
      hi = Math.min(hi, only.t1);
    }
    if (hi < lo) continue;
    const a = index.lower(pair, lo);
    const b = index.upper(pair, hi, a);
    if (b <= a) continue;
    if (pair.kind === 'received') {
      received.push({ pair, a, b });
      nReceived += b - a;
    } else {
      unreceived.push({ pair, a, b });
      nUnreceived += b - a;
    }
  }
  stats.arrows = nReceived + nUnreceived;
  stats.bundled = nReceived > MAX_ARROWS;
  stats.bundles = 0;
  if (stats.bundled) drawBundles(ctx, env, st, index, received, placer, stats, 'msgs');
  else for (const r of received) drawEach(ctx, v, env, st, r, only);
  if (nUnreceived > MAX_UNRECEIVED) drawBundles(ctx, env, st, index, unreceived, placer, stats, 'not received');
  else for (const r of unreceived) for (let k = r.a; k < r.b; k++) drawUnreceived(ctx, env, st, r.pair.idx[k]!, placer, stats);
  ctx.lineWidth = 1;
}

function drawEach(ctx: CanvasRenderingContext2D, v: View, env: MessageEnv, st: Store, r: Range, only: Only | null): void {
  const ys = env.rowY(r.pair.sender);
  const yr = env.rowY(r.pair.target);
  if (ys === null || yr === null) return;
  ctx.lineWidth = only ? 1.6 : 1;
  const colour = only ? '#1d4ed8' : 'rgba(37, 99, 235, 0.55)';
  for (let k = r.a; k < r.b; k++) {
    const i = r.pair.idx[k]!;
    const ts = st.ipcTs[i]!;
    const te = ts + st.ipcRecv[i]! - 1;
    if (te < v.t0) continue;
    if (only) {
      const sent = st.ipcSender[i] === only.utid && ts >= only.t0 && ts <= only.t1;
      const got = r.pair.target === only.utid && te >= only.t0 && te <= only.t1;
      if (!sent && !got) continue;
    }
    arrow(ctx, env.x(ts), ys, env.x(te), yr, colour);
  }
}

/** One arrow per pair and time bucket, at the bucket's middle message, as thick as its count. */
function drawBundles(ctx: CanvasRenderingContext2D, env: MessageEnv, st: Store, index: MessageIndex, ranges: Range[], placer: LabelPlacer, stats: FrameStats, what: string): void {
  const width = 2 ** Math.ceil(Math.log2(Math.max(1, env.cyclesPerPixel * BUNDLE_PX)));
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (const r of ranges) {
    const p = r.pair;
    const ys = env.rowY(p.sender);
    const yt = p.target >= 0 ? env.rowY(p.target) : null;
    if (ys === null) continue;
    const yr = yt ?? ys + 14;
    if ((ys < env.top && yr < env.top) || (ys > env.bottom && yr > env.bottom)) continue;
    const colour = p.kind === 'received' ? 'rgba(29, 78, 216, 0.45)' : p.kind === 'failed' ? BAD : PENDING;
    for (let k = r.a; k < r.b; ) {
      const j = Math.floor(st.ipcTs[p.idx[k]!]! / width);
      const kEnd = index.lower(p, (j + 1) * width, k, r.b);
      const n = kEnd - k;
      const i = p.idx[(k + kEnd - 1) >>> 1]!;
      const xs = env.x(st.ipcTs[i]!);
      const xr = p.kind === 'received' ? env.x(st.ipcTs[i]! + st.ipcRecv[i]! - 1) : xs + 10;
      ctx.lineWidth = Math.min(8, 1 + Math.log2(n));
      arrow(ctx, xs, ys, xr, yr, colour);
      stats.bundles++;
      const text = `${n.toLocaleString('en-US')} ${n === 1 && what === 'msgs' ? 'msg' : what}`;
      const tw = ctx.measureText(text).width;
      const mx = (xs + xr) / 2 + 4;
      const my = (ys + yr) / 2;
      const at = placer.place({ x: mx - 1, y: my - 6, w: tw + 2, h: 12 });
      if (at) {
        // On a white ground: the label often lands on a row of calls.
        ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
        ctx.fillRect(at.x, at.y, at.w, at.h);
        ctx.fillStyle = p.kind === 'received' ? '#1d4ed8' : colour;
        ctx.fillText(text, mx, my);
      }
      if (p.kind !== 'received') stats.failedIpc.push({ sender: st.threadName(p.sender), dest: p.target >= 0 ? st.threadName(p.target) : '?', x: xr, y: yr, kind: p.kind, count: n, label: at ? text : '', labelBox: at });
      k = kEnd;
    }
  }
  ctx.font = '11px system-ui, sans-serif';
}

/** A message nobody received: an arrow to the addressed thread (or a stub), crossed out and labelled. */
function drawUnreceived(ctx: CanvasRenderingContext2D, env: MessageEnv, st: Store, i: number, placer: LabelPlacer, stats: FrameStats): void {
  const ys = env.rowY(st.ipcSender[i]!);
  if (ys === null) return;
  const dest = st.ipcDest[i]!;
  const yd = dest > 0 ? env.rowY(dest - 1) : null;
  const xs = env.x(st.ipcTs[i]!);
  const ye = yd ?? ys + 14;
  const xe = xs + 10;
  const failed = st.messageKind(i) === 'failed';
  const colour = failed ? BAD : PENDING;
  ctx.lineWidth = 1;
  arrow(ctx, xs, ys, xe, ye, colour);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.beginPath();
  if (failed) {
    ctx.moveTo(xe - 5, ye - 5);
    ctx.lineTo(xe + 5, ye + 5);
    ctx.moveTo(xe + 5, ye - 5);
    ctx.lineTo(xe - 5, ye + 5);
  } else {
    // Pending: an open circle (no outcome yet), not a cross.
    ctx.arc(xe, ye, 4, 0, 2 * Math.PI);
  }
  ctx.stroke();
  ctx.lineWidth = 1;
  const label = `${st.header.enums.ipcKind[st.ipcKind[i]!] ?? 'ipc'} ${st.pendingText(i)}`;
  ctx.font = '600 11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const tw = ctx.measureText(label).width;
  // To the right of the mark; else just below or above it; else no text (the mark stays).
  const at = placer.place({ x: xe + 8, y: ye - 7, w: tw, h: 14 }, { x: xe + 8, y: ye + 7, w: tw, h: 14 }, { x: xe + 8, y: ye - 21, w: tw, h: 14 });
  if (at) {
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.fillRect(at.x - 2, at.y, at.w + 4, at.h);
    ctx.fillStyle = colour;
    ctx.fillText(label, at.x, at.y + 7);
  }
  ctx.font = '11px system-ui, sans-serif';
  stats.failedIpc.push({ sender: st.threadName(st.ipcSender[i]!), dest: dest > 0 ? st.threadName(dest - 1) : '?', x: xe, y: ye, kind: failed ? 'failed' : 'pending', count: 1, label: at ? label : '', labelBox: at });
}

export function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, colour: string): void {
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
