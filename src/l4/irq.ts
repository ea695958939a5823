/**
 * Interrupts as IPC from pseudo-threads (l4-semantics.md §6). Every hit masks the line and is delivered
 * as a 0-word message from the IRQ id to the attached handler if it waits for it; otherwise one hit stays
 * pending and later hits coalesce into it until the handler receives. V2 unmasks the line when the
 * handler receives again; X.2 when the handler sends its acknowledgement to the IRQ id.
 * Attaching (both flavours here): a receive from the IRQ id with receive timeout 0, which returns
 * RETIMEOUT on success; detaching: a receive from nil with receive timeout 0.
 */
import { Kind } from '../../tracer/catalogue.js';
import { ThreadKind } from '../../tracer/packets.js';
import type { EventBuffer } from '../../tracer/recorder.js';
import { irqGid, isIrqGid, irqOfGid, NIL } from './ids.js';
import { IpcError } from './ipc-errors.js';
import { complete, recvPhase } from './ipc.js';
import type { Kernel } from './kernel.js';
import { OPEN } from './ops.js';
import type { IpcCtx, Thread } from './thread.js';

export class IrqLine {
  readonly gid: number;
  readonly trace: EventBuffer;
  handler: Thread | null = null;
  /** The line is masked: the kernel masks it on every hit, the handler unmasks it (V2: by receiving again; X.2: by its ack). */
  masked = false;
  /** A hit is latched and not yet delivered. */
  pending = false;
  /** The latched hit may be delivered: it arrived while the line was unmasked, or the line was unmasked since. */
  armed = false;
  /** Hits folded into the pending one. */
  coalesced = 0;
  raiseSeq = -1;
  /** Cycle at which the pending hit was raised (the first of any coalesced into it). */
  raiseTime = 0;
  /** Raise cycle of the hit most recently delivered: the handler reads it to measure its latency. */
  deliveredRaiseTime = 0;
  lastTime = 0;

  constructor(k: Kernel, readonly n: number) {
    this.gid = irqGid(n);
    this.trace = k.recorder.addThread({ l4Id: this.gid, name: `irq${n}`, task: 0, lthread: 0, version: n + 1, kind: ThreadKind.IRQ, cpu: 0, priority: 255 });
  }

  ev(k: Kernel, kind: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0): number {
    this.lastTime = Math.max(this.lastTime, k.now);
    return this.trace.emit(kind, this.lastTime, a0, a1, a2, a3);
  }
}

/**
 * The device raised line `n`. On an unmasked line the kernel masks it and delivers the hit (or latches
 * it until the handler waits); on a masked line the hit stays latched until the handler unmasks it, and
 * further hits coalesce into it.
 */
export function raiseIrq(k: Kernel, n: number): void {
  const line = k.irqLine(n);
  k.counters.irqs++;
  const masked = line.masked ? 1 : 0;
  if (line.pending) {
    line.coalesced++;
    line.ev(k, Kind.IRQ_RAISE, n, masked, line.coalesced);
    return;
  }
  line.raiseSeq = line.ev(k, Kind.IRQ_RAISE, n, masked, 0);
  line.raiseTime = k.now;
  line.pending = true;
  if (!line.masked) {
    line.masked = true;
    line.armed = true;
  }
  tryDeliver(k, line);
}

function waitsFor(h: Thread, line: IrqLine): IpcCtx | null {
  const c = h.ipc;
  if (h.state !== 'receiving' || h.pf || !c || c.phase !== 'recv' || !c.recv) return null;
  return c.recv.from === OPEN || c.recv.from === line.gid ? c : null;
}

function tryDeliver(k: Kernel, line: IrqLine): boolean {
  const h = line.handler;
  if (!line.pending || !line.armed || !h) return false;
  const c = waitsFor(h, line);
  if (!c) return false;
  line.pending = false;
  line.armed = false;
  line.coalesced = 0;
  line.deliveredRaiseTime = line.raiseTime;
  const cpu = k.cpus[h.cpu]!;
  const deliverSeq = line.ev(k, Kind.IRQ_DELIVER, line.n, h.gid, line.raiseSeq, cpu.current?.gid ?? 0);
  k.charge(k.costs.irqDelivery);
  c.msgSeq = deliverSeq;
  k.counters.messages++;
  complete(k, h, c, IpcError.OK, line.gid, []);
  return true;
}

/** The handler unmasks the line: a hit latched meanwhile is raised again at once (and masks it again). */
function unmask(line: IrqLine): void {
  line.masked = false;
  if (line.pending) {
    line.masked = true;
    line.armed = true;
  }
}

/**
 * Called as a thread enters a receive phase. A zero-timeout receive from an IRQ id attaches the thread
 * to the line (RETIMEOUT on success) unless it is attached already; then, as any receive by the handler
 * from the line (or open), it unmasks the line (V2) and takes a pending hit. A zero-timeout receive
 * from nil detaches the caller from its lines. Returns true if the receive completed here.
 */
export function irqOnReceive(k: Kernel, t: Thread, ctx: IpcCtx): boolean {
  const from = ctx.recv!.from;
  const zero = ctx.to.rcv.kind === 'zero';
  if (zero && from === NIL) {
    let attached = false;
    for (const line of k.irqs.values()) {
      if (line.handler !== t) continue;
      line.handler = null;
      attached = true;
    }
    if (attached) {
      complete(k, t, ctx, IpcError.RETIMEOUT);
      return true;
    }
    return false;
  }
  if (isIrqGid(from) && zero) {
    const line = k.irqLine(irqOfGid(from));
    if (line.handler !== t) {
      if (line.handler && line.handler.state !== 'dead') {
        complete(k, t, ctx, IpcError.ENOT_EXISTENT);
        return true;
      }
      line.handler = t;
      complete(k, t, ctx, IpcError.RETIMEOUT);
      return true;
    }
  }
  if (from !== OPEN && !isIrqGid(from)) return false;
  for (const line of k.irqs.values()) {
    if (line.handler !== t || (from !== OPEN && from !== line.gid)) continue;
    if (k.flavour.irqAck === 'receive') unmask(line);
    t.state = 'receiving';
    if (tryDeliver(k, line)) return true;
  }
  return false;
}

/** A send to an IRQ id: the handler acknowledges the interrupt (X.2), which unmasks the line. */
export function irqSend(k: Kernel, t: Thread, ctx: IpcCtx): void {
  const line = k.irqLine(irqOfGid(ctx.dest));
  if (line.handler !== t) {
    complete(k, t, ctx, IpcError.ENOT_EXISTENT);
    return;
  }
  unmask(line);
  if (ctx.recv) {
    recvPhase(k, t, ctx);
  } else {
    complete(k, t, ctx, IpcError.OK);
    tryDeliver(k, line);
  }
}

/** l4_unmask_irq: re-enable the line (only its handler may). */
export function unmaskIrq(k: Kernel, n: number, t: Thread): void {
  const line = k.irqLine(n);
  if (line.handler !== t) return;
  unmask(line);
  tryDeliver(k, line);
}

