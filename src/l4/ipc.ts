/**
 * The IPC state machine (l4-semantics.md §4.4). One IPC is a send phase and/or a receive phase:
 *
 *   send:    partner missing -> ENOT_EXISTENT; partner waiting for us -> rendezvous; else zero send
 *            timeout -> SETIMEOUT, otherwise queue on the partner (polling) until it receives, the
 *            send timeout fires (SETIMEOUT) or lthread_ex_regs cancels (SECANCELED).
 *   receive: a queued sender that we accept -> rendezvous; else zero receive timeout -> RETIMEOUT,
 *            otherwise wait until a sender comes, the timeout fires (RETIMEOUT) or a cancel (RECANCELED).
 *   call / reply-and-wait: after a successful send the caller goes straight into its receive phase,
 *            so the partner can reply with send timeout 0.
 *
 * A rendezvous copies words, maps flexpages into the receive window and copies strings. A string copy
 * that touches an unmapped page stops the transfer: the owner of that space sends a page-fault IPC to
 * its pager under the partner's page-fault timeout; a timeout there fails both sides (xxSNDPFTO /
 * xxRCVPFTO), a cancel of either side aborts both (REABORTED / SEABORTED).
 */
import { Kind } from '../../tracer/catalogue.js';
import { R, W, X } from '../ia32/memory.js';
import { isIrqGid, NIL } from './ids.js';
import { IpcError } from './ipc-errors.js';
import { irqOnReceive, irqSend } from './irq.js';
import type { Kernel } from './kernel.js';
import { kmemExhausted, KmemUse } from './kmem.js';
import { mapPage, type AddressSpace } from './mapdb.js';
import { OPEN, type IpcResult, type KernelOp, type MsgOut, type RecvSpec, type SendFpage } from './ops.js';
import type { IpcCtx, Thread, Transfer } from './thread.js';
import type { IpcTimeouts, Timeout } from './timeouts.js';

/** trace.proto IpcOp. */
export const IpcOp = { SEND: 1, RECEIVE: 2, WAIT: 3, CALL: 4, REPLY_WAIT: 5, SEND_RECEIVE: 6, PAGEFAULT: 7, IRQ: 8, EXCEPTION: 9 } as const;

const ALL_ONES = 0xffffffff;

export function newCtx(kind: IpcCtx['kind'], op: number, dest: number, msg: MsgOut | null, recv: RecvSpec | null, to: IpcTimeouts): IpcCtx {
  return { kind, op, dest, msg, recv, to, phase: 'send', ipcSeq: -1, timer: null, partner: null, xfer: null, result: null, msgSeq: -1, onDone: null };
}

function opCode(msg: MsgOut | null, recv: RecvSpec | null, dest: number): number {
  if (msg && recv) return recv.from === OPEN ? IpcOp.REPLY_WAIT : recv.from === dest ? IpcOp.CALL : IpcOp.SEND_RECEIVE;
  if (msg) return IpcOp.SEND;
  return recv && recv.from === OPEN ? IpcOp.WAIT : IpcOp.RECEIVE;
}

function isLong(msg: MsgOut): boolean {
  return msg.words.length > 3 || (msg.strings?.length ?? 0) > 0 || (msg.fpages?.length ?? 0) > 1;
}

function sndDescOf(msg: MsgOut | null): number {
  if (!msg) return ALL_ONES;
  if (isLong(msg)) return 0x4;
  return msg.fpages?.length ? 2 : 0;
}

function rcvDescOf(recv: RecvSpec | null): number {
  if (!recv) return ALL_ONES;
  let d = recv.from === OPEN ? 1 : 0;
  if (recv.window) d |= 2 | (recv.window.base >>> 0) | (recv.window.log2 << 2);
  if (recv.buffers?.length || (recv.maxWords ?? 3) > 3) d |= 0x4;
  return d >>> 0;
}

/** An IPC system call from a thread's engine. */
export function startUserIpc(k: Kernel, t: Thread, op: Extract<KernelOp, { op: 'ipc' }>): void {
  const ctx = newCtx('user', opCode(op.send, op.recv, op.dest), op.dest, op.send, op.recv, op.timeouts);
  t.ipc = ctx;
  startIpc(k, t, ctx, op.sndDesc ?? sndDescOf(op.send), op.rcvDesc ?? rcvDescOf(op.recv));
}

/** Write the IPC event and run the first phase. */
export function startIpc(k: Kernel, t: Thread, ctx: IpcCtx, sndDesc = sndDescOf(ctx.msg), rcvDesc = rcvDescOf(ctx.recv)): void {
  const w = ctx.msg?.words ?? [];
  const bytes = ctx.msg?.strings?.reduce((a, s) => a + s.len, 0) ?? 0;
  const partner = ctx.msg ? ctx.dest : ctx.recv && ctx.recv.from !== OPEN ? ctx.recv.from : NIL;
  ctx.ipcSeq = k.ev(t, Kind.IPC, ctx.op, partner, sndDesc, rcvDesc, k.flavour.encodeTimeouts(ctx.to), w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w.length, bytes);
  k.counters.ipcOps++;
  k.charge(k.costs.ipcPath);
  if (ctx.msg) sendPhase(k, t, ctx);
  else recvPhase(k, t, ctx);
}

// ---------------------------------------------------------------------------------------------------
// Phases

function sendPhase(k: Kernel, t: Thread, ctx: IpcCtx): void {
  ctx.phase = 'send';
  if (isIrqGid(ctx.dest)) {
    irqSend(k, t, ctx);
    return;
  }
  const p = k.threadByGid(ctx.dest);
  if (!p || ctx.dest === NIL) {
    complete(k, t, ctx, IpcError.ENOT_EXISTENT);
    return;
  }
  if (accepts(p, t)) {
    rendezvous(k, t, p);
    return;
  }
  if (ctx.to.snd.kind === 'zero') {
    complete(k, t, ctx, IpcError.SETIMEOUT);
    return;
  }
  enqueueSender(k, p, t);
  ctx.partner = p;
  t.state = 'sending';
  armTimeout(k, t, ctx, ctx.to.snd, 'send');
}

/**
 * The receive phase: take a queued sender, an interrupt, or wait. `sentTo` is the thread this IPC's
 * send phase has just delivered to, if any.
 */
export function recvPhase(k: Kernel, t: Thread, ctx: IpcCtx, sentTo: Thread | null = null): void {
  ctx.phase = 'recv';
  ctx.partner = null;
  const spec = ctx.recv!;
  if (ctx.kind === 'user' && irqOnReceive(k, t, ctx)) return;
  let s: Thread | undefined;
  if (spec.from === OPEN) {
    s = t.senderQueue[0];
  } else {
    s = t.senderQueue.find((x) => x.gid === spec.from);
    if (!s && spec.from !== NIL && !isIrqGid(spec.from) && !k.threadByGid(spec.from)) {
      complete(k, t, ctx, IpcError.ENOT_EXISTENT);
      return;
    }
  }
  if (s) {
    removeSender(t, s);
    rendezvous(k, s, t);
    return;
  }
  if (ctx.to.rcv.kind === 'zero') {
    complete(k, t, ctx, IpcError.RETIMEOUT);
    // A send that succeeded followed by a receive that fails at once hands the CPU to the partner
    // (l4-semantics.md §4.4, Pistachio's sched_rcverr): the "send and yield to it" idiom.
    if (sentTo) k.sched.donateCpu(t, sentTo);
    return;
  }
  t.state = 'receiving';
  armTimeout(k, t, ctx, ctx.to.rcv, 'recv');
}

/** Is `r` waiting for a message that `s` may send it? */
function accepts(r: Thread, s: Thread): boolean {
  const c = r.active;
  if (r.state !== 'receiving' || !c || c.phase !== 'recv' || !c.recv) return false;
  return c.recv.from === OPEN ? c.kind === 'user' : c.recv.from === s.gid;
}

function enqueueSender(k: Kernel, p: Thread, s: Thread): void {
  const q = p.senderQueue;
  if (k.flavour.senderQueue === 'prio') {
    let i = q.length;
    while (i > 0 && q[i - 1]!.prio < s.prio) i--;
    q.splice(i, 0, s);
  } else {
    q.push(s);
  }
}

function removeSender(p: Thread, s: Thread): void {
  const i = p.senderQueue.indexOf(s);
  if (i >= 0) p.senderQueue.splice(i, 1);
}

// ---------------------------------------------------------------------------------------------------
// Transfer

function rendezvous(k: Kernel, s: Thread, r: Thread): void {
  const sc = s.active!;
  const rc = r.active!;
  cancelTimer(sc);
  cancelTimer(rc);
  const x: Transfer = { sender: s, receiver: r, sc, rc, wordsDone: false, stringIdx: 0, offset: 0, bytes: 0, fpageReceived: false };
  sc.phase = rc.phase = 'xfer';
  sc.xfer = rc.xfer = x;
  sc.partner = r;
  rc.partner = s;
  s.state = r.state = 'xfer';
  continueTransfer(k, x);
}

function continueTransfer(k: Kernel, x: Transfer): void {
  const { sender: s, receiver: r, sc, rc } = x;
  const msg = sc.msg!;
  const spec = rc.recv!;
  const c = k.costs;
  if (!x.wordsDone) {
    if (msg.words.length > (spec.maxWords ?? 3)) return endTransfer(k, x, IpcError.SEMSGCUT, IpcError.REMSGCUT);
    k.charge(Math.max(0, msg.words.length - 3) * c.ipcPerWord);
    for (const fp of msg.fpages ?? []) {
      if (!spec.window) return endTransfer(k, x, IpcError.SEMAPFAILED, IpcError.REMAPFAILED);
      const n = mapFpage(s.task.space, fp, r.task.space, spec.window);
      k.counters.pagesMapped += n;
      // IA32 maps aligned 4 MiB regions with one superpage entry (PSE), so large flexpages are cheap.
      k.charge((Math.min(fp.log2, spec.window.log2) >= 22 ? Math.ceil(n / 1024) : n) * c.mapPerPage);
      if (k.kmem.mapFailed !== 0) return kmemMapFailed(k, x);
      x.fpageReceived = true;
    }
    x.wordsDone = true;
  }
  const strings = msg.strings ?? [];
  for (; x.stringIdx < strings.length; x.stringIdx++) {
    const str = strings[x.stringIdx]!;
    const buf = spec.buffers?.[x.stringIdx];
    if (!buf || str.len > buf.len) return endTransfer(k, x, IpcError.SEMSGCUT, IpcError.REMSGCUT);
    if (x.offset === 0) k.charge(c.ipcPerString);
    while (x.offset < str.len) {
      const from = str.addr + x.offset;
      const to = buf.addr + x.offset;
      const src = physAddr(s.task.space, from, R);
      if (src < 0) return startXferFault(k, x, s, from, false);
      const dst = physAddr(r.task.space, to, W);
      if (dst < 0) return startXferFault(k, x, r, to, true);
      const n = Math.min(str.len - x.offset, 4096 - (from & 4095), 4096 - (to & 4095));
      if (k.mem.codeFrames[Math.floor(dst / 4096)]) k.mem.codeWritten(Math.floor(dst / 4096));
      k.mem.touched[Math.floor(dst / 4096)] = 1;
      k.mem.bytes.copyWithin(dst, src, src + n);
      k.counters.bytesCopied += n;
      k.charge(n * c.copyPerByte);
      x.offset += n;
      x.bytes += n;
    }
    x.offset = 0;
  }
  endTransfer(k, x, IpcError.OK, IpcError.OK);
}

/**
 * A map ran out of kernel memory (a page table or a mapping node; kmem.ts): on Fiasco the IPC fails,
 * the sender with SEMAPFAILED, the receiver with REMAPFAILED (map_util: Insert_err_nomem); on
 * Pistachio the kernel debugger stops the machine, and the transfer never ends.
 */
function kmemMapFailed(k: Kernel, x: Transfer): void {
  const use = k.kmem.mapFailed;
  k.kmem.mapFailed = 0;
  kmemExhausted(k, x.sender, use, use === KmemUse.PAGE_TABLE ? k.kmem.sizes.pageTable : k.kmem.sizes.mapNode, 'map');
  if (k.kmem.exhausted === 'kdb') return;
  endTransfer(k, x, IpcError.SEMAPFAILED, IpcError.REMAPFAILED);
}

/** Physical byte address of `addr` in `space` if mapped with `need` rights, else -1. */
export function physAddr(space: AddressSpace, addr: number, need: number): number {
  const vpn = Math.floor(addr / 4096);
  let e = space.pages.get(vpn);
  if (e === 0 && space.identity) {
    space.node(vpn);
    e = space.pages.get(vpn);
  }
  if (e === 0 || (e & need) !== need) return -1;
  return (e >>> 3) * 4096 + (addr & 4095);
}

/**
 * Map the pages of a send flexpage into a receive window. The smaller of the two is placed inside the
 * larger at the send base modulo the larger's size. Returns the number of pages mapped.
 */
export function mapFpage(from: AddressSpace, fp: SendFpage, to: AddressSpace, win: { base: number; log2: number }): number {
  // Addresses arrive as int32 or uint32 depending on who built them; work in uint32.
  const fpBase = fp.base >>> 0;
  const sndBase = fp.sndBase >>> 0;
  const winBase = win.base >>> 0;
  const fpSize = 2 ** fp.log2;
  const winSize = 2 ** win.log2;
  let src: number;
  let dst: number;
  let size: number;
  if (fp.log2 <= win.log2) {
    const off = Math.floor((sndBase % winSize) / fpSize) * fpSize;
    src = fpBase;
    dst = winBase + off;
    size = fpSize;
  } else {
    const off = Math.floor((sndBase % fpSize) / winSize) * winSize;
    src = fpBase + off;
    dst = winBase;
    size = winSize;
  }
  const rights = R | X | (fp.write ? W : 0);
  const first = Math.floor(src / 4096);
  const pages = size / 4096;
  const delta = Math.floor(dst / 4096) - first;
  let n = 0;
  if (!from.identity && pages > from.nodes.size) {
    // Large fpage over a sparse space: visit only what is mapped.
    for (const vpn of [...from.nodes.keys()].sort((a, b) => a - b)) {
      if (vpn >= first && vpn < first + pages && mapPage(from, vpn, to, vpn + delta, rights, fp.grant)) n++;
      else if (to.kmem !== null && to.kmem.mapFailed !== 0) break;
    }
    return n;
  }
  for (let i = 0; i < pages; i++) {
    if (mapPage(from, first + i, to, first + i + delta, rights, fp.grant)) n++;
    else if (to.kmem !== null && to.kmem.mapFailed !== 0) break;
  }
  return n;
}

/**
 * A string copy hit an unmapped page in `f`'s space: `f` asks its pager, under the page-fault timeout
 * the partner set (a fault in the sender's space is limited by the receiver, and vice versa).
 */
function startXferFault(k: Kernel, x: Transfer, f: Thread, addr: number, write: boolean): void {
  const inSender = f === x.sender;
  const limit: Timeout = inSender ? x.rc.to.rcvPf : x.sc.to.sndPf;
  const fail = (): void => (inSender ? endTransfer(k, x, IpcError.SESNDPFTO, IpcError.RESNDPFTO) : endTransfer(k, x, IpcError.SERCVPFTO, IpcError.RERCVPFTO));
  if (limit.kind === 'zero') return fail();
  const ctx = newPfCtx(k, f, addr, write, 0, 'xferfault', limit);
  ctx.onDone = (res) => {
    closePf(k, f, ctx, res);
    if (res.error === IpcError.OK) continueTransfer(k, x);
    else if (res.error === IpcError.RETIMEOUT || res.error === IpcError.SETIMEOUT) fail();
    else endTransfer(k, x, IpcError.SEABORTED, IpcError.REABORTED);
  };
  f.pf = ctx;
  startIpc(k, f, ctx);
}

/**
 * A page-fault IPC from `t` to its pager: writes the PF event, charges the fault, and returns the
 * context (not started). The pager gets (address | write bit, ip) and replies with a mapping into a
 * window covering the whole space.
 */
export function newPfCtx(k: Kernel, t: Thread, addr: number, write: boolean, ip: number, kind: 'pagefault' | 'xferfault', limit: Timeout): IpcCtx {
  // x86 error code: bit0 the page was present (a rights violation), bit1 write, bit2 user mode.
  const present = t.task.space.pages.get(Math.floor(addr / 4096)) !== 0 ? 1 : 0;
  const pfSeq = k.ev(t, Kind.PF, addr, present | (write ? 2 : 0) | (kind === 'pagefault' ? 4 : 0), ip, t.task.no);
  k.counters.pageFaults++;
  k.charge(k.costs.pageFault);
  const ctx = newCtx(kind, IpcOp.PAGEFAULT, t.pager, { words: [((addr & ~3) | (write ? 2 : 0)) >>> 0, ip] }, { from: t.pager, window: { base: 0, log2: 32 } }, {
    snd: limit,
    rcv: limit,
    sndPf: limit,
    rcvPf: limit,
  });
  ctx.pfSeq = pfSeq;
  ctx.pfa = addr;
  return ctx;
}

/** The IPC_RES and PF_RES that close a page-fault IPC. */
export function closePf(k: Kernel, t: Thread, ctx: IpcCtx, res: IpcResult): void {
  k.ev(t, Kind.IPC_RES, ctx.ipcSeq, ctx.msgSeq, res.error, res.src, res.words[0] ?? 0, res.words[1] ?? 0, res.words[2] ?? 0, res.words.length);
  k.ev(t, Kind.PF_RES, ctx.pfSeq ?? -1, ctx.pfa ?? 0, res.error, res.fpageReceived ? 1 : 0);
}

const abortedResult = (error: number): IpcResult => ({ kind: 'ipc', error, src: 0, words: [], fpageReceived: false, bytes: 0 });

/** End a transfer with the given results for each side; a successful caller moves on to receive. */
function endTransfer(k: Kernel, x: Transfer, sndErr: number, rcvErr: number): void {
  const { sender: s, receiver: r, sc, rc } = x;
  sc.xfer = rc.xfer = null;
  // A page-fault IPC still in flight for this transfer (it is being aborted) dies with it; the
  // transfer's own contexts may be page-fault IPCs themselves (a pager's reply), which end normally.
  for (const t of [s, r]) {
    if (t.pf && t.pf.kind === 'xferfault' && t.pf !== sc && t.pf !== rc) {
      const pf = t.pf;
      abortCtx(t, pf);
      t.pf = null;
      closePf(k, t, pf, abortedResult(t === s ? IpcError.SEABORTED : IpcError.REABORTED));
    }
  }
  if (rcvErr === IpcError.OK || rcvErr === IpcError.REMSGCUT) k.counters.messages++;
  rc.msgSeq = sc.ipcSeq;
  const words = rcvErr === IpcError.OK ? sc.msg!.words.slice(0, rc.recv!.maxWords ?? 3) : [];
  complete(k, r, rc, rcvErr, s.gid, words, x.fpageReceived, x.bytes);
  if (sndErr !== IpcError.OK) complete(k, s, sc, sndErr);
  else if (sc.recv) {
    s.state = 'ready';
    recvPhase(k, s, sc, r);
  } else complete(k, s, sc, IpcError.OK);
}

// ---------------------------------------------------------------------------------------------------
// Completion, timeouts, cancellation

/** Finish an IPC with `error`. A kernel-generated IPC continues its owner's work; a user IPC wakes it. */
export function complete(k: Kernel, t: Thread, ctx: IpcCtx, error: number, src = 0, words: number[] = [], fpageReceived = false, bytes = 0): void {
  cancelTimer(ctx);
  ctx.phase = 'done';
  const res: IpcResult = { kind: 'ipc', error, src, words, fpageReceived, bytes };
  ctx.result = res;
  if (ctx === t.pf) {
    t.pf = null;
    t.state = t.ipc && t.ipc.phase === 'xfer' ? 'xfer' : 'ready';
    ctx.onDone?.(res);
    return;
  }
  if (ctx === t.ipc) t.ipc = null;
  t.deliver = () => {
    k.ev(t, Kind.IPC_RES, ctx.ipcSeq, ctx.msgSeq, error, src, words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words.length);
    t.engine.resume(res);
  };
  const cur = k.exec.current;
  k.sched.wake(t, cur !== null && cur !== t && ctx.partner === cur);
}

function armTimeout(k: Kernel, t: Thread, ctx: IpcCtx, to: Timeout, phase: 'send' | 'recv'): void {
  if (to.kind !== 'us') return;
  const deadline = k.timeoutDeadline(k.cyclesOf(to));
  ctx.timer = k.at(t.cpu, deadline, () => {
    ctx.timer = null;
    if (t.active !== ctx || ctx.phase !== phase) return;
    k.counters.timeouts++;
    k.ev(t, Kind.TIMEOUT, ctx.kind === 'user' ? (phase === 'send' ? 1 : 2) : 3, ctx.ipcSeq, deadline);
    if (phase === 'send') {
      if (ctx.partner) removeSender(ctx.partner, t);
      complete(k, t, ctx, IpcError.SETIMEOUT);
    } else {
      complete(k, t, ctx, IpcError.RETIMEOUT);
    }
  });
}

function cancelTimer(ctx: IpcCtx): void {
  if (ctx.timer) {
    ctx.timer.cancelled = true;
    ctx.timer = null;
  }
}

/** Take a context out of every queue and timer without completing it. */
function abortCtx(t: Thread, ctx: IpcCtx): void {
  cancelTimer(ctx);
  if (ctx.phase === 'send' && ctx.partner) removeSender(ctx.partner, t);
  ctx.phase = 'done';
}

/**
 * Cancel whatever IPC `t` is in (lthread_ex_regs, thread death). Before a transfer: SECANCELED or
 * RECANCELED; during one: both sides aborted. A pending own page fault is dropped (the thread will
 * continue elsewhere). Returns true if something was cancelled.
 */
export function cancelIpc(k: Kernel, t: Thread, _forExRegs: boolean): boolean {
  if (t.pf) {
    const pf = t.pf;
    if (pf.kind === 'xferfault' && t.ipc?.xfer) {
      endTransfer(k, t.ipc.xfer, IpcError.SEABORTED, IpcError.REABORTED);
      return true;
    }
    const error = pf.phase === 'send' ? IpcError.SECANCELED : IpcError.RECANCELED;
    abortCtx(t, pf);
    t.pf = null;
    t.state = 'ready';
    pf.onDone?.(abortedResult(error));
    return true;
  }
  const c = t.ipc;
  if (!c) return false;
  if (c.phase === 'send') {
    if (c.partner) removeSender(c.partner, t);
    complete(k, t, c, IpcError.SECANCELED);
  } else if (c.phase === 'recv') {
    complete(k, t, c, IpcError.RECANCELED);
  } else if (c.phase === 'xfer' && c.xfer) {
    endTransfer(k, c.xfer, IpcError.SEABORTED, IpcError.REABORTED);
  }
  return true;
}

/** `t` is gone: every thread queued to send to it fails with ENOT_EXISTENT. */
export function dropSenders(k: Kernel, t: Thread): void {
  for (const s of t.senderQueue.splice(0)) {
    const c = s.active;
    if (c && c.phase === 'send') complete(k, s, c, IpcError.ENOT_EXISTENT);
  }
}
