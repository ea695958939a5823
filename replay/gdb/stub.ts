/**
 * The GDB Remote Serial Protocol over a replay debugging session (replay/debug/session.ts): gdb's
 * packets in, the session's stops and state out. It runs synchronously inside the session's stops, so
 * its input is a blocking byte source (the TCP bridge of server.ts, a list in the tests).
 *
 * What it answers: the i386 target description, registers (`g`, `p`, and `G`/`P` for the general
 * registers, eip and eflags), memory (`m`, `M`, `X`: a write diverts the machine from the recording
 * until the session goes back, as rr's diversions do), software and hardware breakpoints
 * (`Z0`/`Z1`), write, read and access watchpoints (`Z2`/`Z3`/`Z4`), `c`/`s`/`vCont`, reverse `bc`/`bs`,
 * threads (`qfThreadInfo`, `qThreadExtraInfo`, `H`, `T`, `qC`), `qXfer:features:read`,
 * `qXfer:exec-file:read`, `qAttached`, `qRcmd` (monitor commands), `vKill`/`k`/`D`. The beginning and
 * end of the recording are `replaylog:begin` / `replaylog:end` stops, as rr reports them.
 */
import { formatGid } from '../../tracer/catalogue.js';
import type { Cpu as GuestCpu } from '../../src/ia32/cpu.js';
import { CS, DS, ES, FS, GS, SS } from '../../src/ia32/segments.js';
import type { Controller, DebugSession, Move, Stop, WatchKind } from '../debug/session.js';
import { MonitorError, runMonitor, where } from '../debug/monitor.js';
import { encodePacket, fromHex, MAX_PACKET, PacketReader, toHex } from './packets.js';
import { I386_REGISTERS, targetXml, xferChunk } from './target.js';
import { safeFileName } from '../images.js';

export interface StubIo {
  /** Bytes from gdb, waiting for them; null once gdb has gone. */
  read(): Uint8Array | null;
  /** Bytes that have arrived, without waiting (empty when none); null once gdb has gone. */
  poll(): Uint8Array | null;
  write(bytes: Uint8Array): void;
}

export interface StubOptions {
  /** Where `l4trace images` put the programs: qXfer:exec-file answers with a path in it. */
  imagesDir?: string;
  /** Protocol problems worth telling the person running the stub (bad checksums, stray bytes). */
  log?: (line: string) => void;
}

/** Packets kept that came in while the machine ran (answered at the next stop). */
const MAX_BACKLOG = 64;
const SEG_ORDER = [CS, SS, DS, ES, FS, GS];

/** gdb's `E.text` error reply (gdb prints the text). */
const refuse = (text: string): string => `E.${text}`;

export class GdbStub implements Controller {
  private readonly reader = new PacketReader();
  private noAck = false;
  private gone = false;
  /** The thread of the last stop, and the threads gdb selected for reads (Hg) and for resuming (Hc). */
  private stopThread: number | null = null;
  private gThread = 0;
  private cThread = 0;
  private lastStop: Stop | null = null;
  /** A monitor command that moved: its reply is due when the move ends. */
  private pendingMonitor = false;
  private interruptSeen = false;
  private first = true;
  /** Packets that came in while the machine ran (other than Ctrl-C), handled at the next stop. */
  private readonly backlog: Uint8Array[] = [];

  constructor(
    private readonly io: StubIo,
    private readonly opts: StubOptions = {},
  ) {}

  // -------------------------------------------------------------------------------------------------
  // Controller

  stopped(s: DebugSession, stop: Stop): Move {
    if (stop.thread !== null) this.stopThread = stop.thread;
    this.lastStop = stop;
    if (this.first) {
      // gdb asks where the target stands ('?') before anything else: the first stop is its answer.
      this.first = false;
    } else if (this.pendingMonitor) {
      this.pendingMonitor = false;
      this.monitorOutput([...(stop.report ?? []), where(s)]);
      this.send('OK');
    } else this.send(this.stopReply(s, stop));
    for (;;) {
      const data = this.nextPacket(s);
      if (data === null) return { kind: 'quit' };
      const move = this.handle(s, data);
      if (move) return move;
    }
  }

  interrupted(): boolean {
    if (this.gone) return true;
    const bytes = this.io.poll();
    if (bytes === null) {
      this.gone = true;
      return true;
    }
    if (bytes.length) this.reader.push(bytes);
    for (let item = this.reader.next(); item; item = this.reader.next()) {
      if (item.type === 'interrupt') this.interruptSeen = true;
      else if (item.type === 'packet') {
        this.ack(item.ok);
        // gdb sends nothing but Ctrl-C while the target runs; a client that floods is not kept in memory.
        if (item.ok && this.backlog.length < MAX_BACKLOG) this.backlog.push(item.data);
        else if (item.ok) this.opts.log?.('gdb stub: dropped a packet sent while the replay was running');
      }
    }
    const seen = this.interruptSeen;
    this.interruptSeen = false;
    return seen;
  }

  // -------------------------------------------------------------------------------------------------
  // Framing

  /** The next well-formed packet's body (acknowledged), or null once gdb has gone. While gdb is quiet, checkpoints are built. */
  private nextPacket(s: DebugSession): string | null {
    const queued = this.backlog.shift();
    if (queued) return Buffer.from(queued).toString('latin1');
    for (;;) {
      if (this.gone) return null;
      const item = this.reader.next();
      if (item === null) {
        const bytes = this.waitForBytes(s);
        if (bytes === null) {
          this.gone = true;
          return null;
        }
        this.reader.push(bytes);
        continue;
      }
      switch (item.type) {
        case 'packet':
          this.ack(item.ok);
          if (!item.ok) {
            this.opts.log?.('gdb stub: a packet with a bad checksum (asked for it again)');
            continue;
          }
          return Buffer.from(item.data).toString('latin1');
        case 'garbage':
          this.opts.log?.(`gdb stub: skipped ${item.why}`);
          continue;
        case 'interrupt':
          // Stopped already: gdb is answered with the current stop.
          if (this.lastStop) this.sendRaw(this.lastStopReply ?? 'S02');
          continue;
        default:
          continue;
      }
    }
  }

  private lastStopReply: string | null = null;

  /** Bytes from gdb: while none have come, a round of checkpoint work at a time, then wait. */
  private waitForBytes(s: DebugSession): Uint8Array | null {
    for (;;) {
      const bytes = this.io.poll();
      if (bytes === null || bytes.length > 0) return bytes;
      if (!s.backgroundWork()) return this.io.read();
    }
  }

  private ack(ok: boolean): void {
    if (!this.noAck) this.io.write(new TextEncoder().encode(ok ? '+' : '-'));
  }

  private send(body: string): void {
    this.sendRaw(body);
  }

  private sendRaw(body: string): void {
    this.io.write(encodePacket(body));
  }

  private monitorOutput(lines: string[]): void {
    for (const line of lines) this.send('O' + toHex(new TextEncoder().encode(line + '\n')));
  }

  // -------------------------------------------------------------------------------------------------
  // Packets

  /** Answer one packet; a move when it resumes the machine. */
  private handle(s: DebugSession, p: string): Move | null {
    if (p === 'QStartNoAckMode') {
      this.send('OK');
      this.noAck = true;
      return null;
    }
    const move = this.resume(s, p);
    if (move !== undefined) return move;
    this.send(this.answer(s, p));
    return null;
  }

  /** Packets that resume: the move, or undefined when `p` is no such packet. */
  private resume(s: DebugSession, p: string): Move | null | undefined {
    const here = (): number | null => this.pick(this.cThread) ?? this.stopThread;
    if (p === 'c' || p.startsWith('c')) return { kind: 'continue' };
    if (p === 's' || p.startsWith('s')) return this.step(here(), 'step');
    if (p === 'bc') return { kind: 'reverse-continue' };
    if (p === 'bs') return this.step(here(), 'reverse-step');
    if (p.startsWith('vCont;')) {
      // The first action that names a thread or applies to all; a step wins over a continue.
      const actions = p.slice(6).split(';');
      for (const a of actions) {
        const [act = '', tid] = a.split(':');
        if (act[0] === 's' || act[0] === 'S') return this.step(tid ? this.threadId(tid) : here(), 'step');
      }
      return { kind: 'continue' };
    }
    if (p === 'k' || p.startsWith('vKill')) {
      if (p.startsWith('vKill')) this.send('OK');
      return { kind: 'quit' };
    }
    if (p === 'D' || p.startsWith('D;')) {
      this.send('OK');
      return { kind: 'quit' };
    }
    if (p.startsWith('qRcmd,')) return this.monitor(s, p.slice(6));
    return undefined;
  }

  private step(gid: number | null, kind: 'step' | 'reverse-step'): Move | null {
    if (gid === null || gid <= 0) {
      this.send(refuse('no thread to step'));
      return null;
    }
    return { kind, thread: gid };
  }

  private monitor(s: DebugSession, hex: string): Move | null {
    const bytes = fromHex(hex);
    if (!bytes) {
      this.send('E01');
      return null;
    }
    const line = new TextDecoder().decode(bytes);
    try {
      const r = runMonitor(s, line, this.pick(this.gThread) ?? this.stopThread);
      if ('move' in r) {
        this.pendingMonitor = true;
        return r.move;
      }
      this.monitorOutput(r.output);
      this.send('OK');
    } catch (e) {
      if (!(e instanceof MonitorError)) throw e;
      this.monitorOutput([`monitor: ${e.message}`]);
      this.send('OK');
    }
    return null;
  }

  private answer(s: DebugSession, p: string): string {
    if (p.startsWith('qSupported')) {
      return `PacketSize=${MAX_PACKET.toString(16)};QStartNoAckMode+;qXfer:features:read+;qXfer:exec-file:read+;ReverseStep+;ReverseContinue+;swbreak+;hwbreak+;vContSupported+`;
    }
    if (p === '?') return this.lastStopReply ?? this.stopReply(s, this.lastStop ?? { reason: 'start', thread: s.currentGid() });
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p === 'qC') return this.stopThread !== null ? `QC${this.stopThread.toString(16)}` : '';
    if (p === 'qfThreadInfo') {
      const ids = s.threads().map((t) => t.gid.toString(16));
      return ids.length ? `m${ids.join(',')}` : 'l';
    }
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) return this.extraInfo(s, this.threadId(p.slice(17)));
    if (p.startsWith('qXfer:features:read:')) return this.xfer(p.slice(20), (annex) => (annex === 'target.xml' ? targetXml() : null));
    if (p.startsWith('qXfer:exec-file:read:')) return this.xfer(p.slice(21), () => this.execFile(s));
    if (p.startsWith('H')) return this.select(s, p);
    if (p.startsWith('T')) return s.thread(this.threadId(p.slice(1))) ? 'OK' : 'E01';
    if (p === 'g') return this.allRegisters(s);
    if (p.startsWith('p')) return this.register(s, parseInt(p.slice(1), 16));
    if (p.startsWith('G')) return this.writeAll(s, p.slice(1));
    if (p.startsWith('P')) return this.writeOne(s, p.slice(1));
    if (p.startsWith('M') || p.startsWith('X')) return this.writeMemory(s, p);
    if (p.startsWith('m')) return this.memory(s, p.slice(1));
    if (p.startsWith('Z') || p.startsWith('z')) return this.breakpoint(s, p);
    if (p === 'qSymbol::') return 'OK';
    return ''; // not supported (qTStatus, qOffsets, vMustReplyEmpty, ...)
  }

  private xfer(rest: string, doc: (annex: string) => string | null): string {
    const m = /^([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return 'E00';
    const text = doc(m[1]!);
    if (text === null) return 'E00';
    return xferChunk(text, parseInt(m[2]!, 16), Math.min(parseInt(m[3]!, 16), MAX_PACKET - 16));
  }

  private execFile(s: DebugSession): string | null {
    const gid = this.pick(this.gThread) ?? this.stopThread;
    const t = gid !== null ? s.thread(gid) : undefined;
    const image = t?.task.image?.name;
    if (image === undefined) return null;
    // The name `l4trace images` gives the file.
    const name = safeFileName(image.replace(/@[0-9a-f]+$/, ''));
    return this.opts.imagesDir ? `${this.opts.imagesDir.replace(/\/$/, '')}/${name}` : name;
  }

  private select(s: DebugSession, p: string): string {
    const kind = p[1];
    const id = this.threadId(p.slice(2));
    if (id > 0 && !s.thread(id)) return 'E01';
    if (kind === 'g') this.gThread = id;
    else if (kind === 'c') this.cThread = id;
    else return 'E01';
    return 'OK';
  }

  /** A thread-id of the protocol: hex, `0` (any) or `-1` (all); both of the latter are 0 here. */
  private threadId(text: string): number {
    if (text === '-1' || text === '0' || !/^[0-9a-fA-F]{1,8}$/.test(text)) return 0;
    return parseInt(text, 16);
  }

  /** A selected thread, or null for "any". */
  private pick(id: number): number | null {
    return id > 0 ? id : null;
  }

  private extraInfo(s: DebugSession, gid: number): string {
    const t = s.thread(gid);
    if (!t) return 'E01';
    const guest = s.guestCpu(gid) !== null;
    const parts = [`l4 ${formatGid(t.gid)}`];
    if (t.linuxPid) parts.push(`pid ${t.linuxPid}${t.linuxTgid && t.linuxTgid !== t.linuxPid ? ` (tgid ${t.linuxTgid})` : ''}`);
    parts.push(t.name);
    parts.push(guest ? t.state : `model code, ${t.state}, no registers`);
    return toHex(new TextEncoder().encode(parts.join(', ')));
  }

  // -------------------------------------------------------------------------------------------------
  // Stops

  private stopReply(s: DebugSession, stop: Stop): string {
    const thread = stop.thread ?? this.aliveThread(s);
    const parts = ['T05'];
    switch (stop.reason) {
      case 'breakpoint':
        parts.push('swbreak:;');
        break;
      case 'watch':
      case 'rwatch':
      case 'awatch':
        parts.push(`${stop.reason}:${(stop.addr ?? 0).toString(16)};`);
        break;
      case 'begin':
        parts.push('replaylog:begin;');
        break;
      case 'end':
      case 'diverged':
        parts.push('replaylog:end;');
        break;
      case 'interrupt':
        parts[0] = 'T02';
        break;
      default:
        break;
    }
    if (thread !== null) parts.push(`thread:${thread.toString(16)};`);
    if (stop.reason === 'diverged') this.opts.log?.(`gdb stub: the replay no longer matches the recording (${stop.detail ?? ''})`);
    // gdb takes the stopped thread as the one later reads apply to (remote.c record_currthread).
    if (thread !== null) this.gThread = thread;
    const reply = parts.join('');
    this.lastStopReply = reply;
    return reply;
  }

  /** A thread for a stop that has none (the end): the last one stopped in, if it lives, else the first. */
  private aliveThread(s: DebugSession): number | null {
    if (this.stopThread !== null && s.thread(this.stopThread)) return this.stopThread;
    return s.threads().find((t) => t.kind === 'ia32')?.gid ?? s.threads()[0]?.gid ?? null;
  }

  // -------------------------------------------------------------------------------------------------
  // Registers and memory

  private readThread(s: DebugSession): number | null {
    return this.pick(this.gThread) ?? this.stopThread ?? s.currentGid();
  }

  private allRegisters(s: DebugSession): string {
    const gid = this.readThread(s);
    const cpu = gid !== null ? s.guestCpu(gid) : null;
    return I386_REGISTERS.map((r) => registerHex(cpu, r.regnum)).join('');
  }

  private register(s: DebugSession, n: number): string {
    if (!Number.isInteger(n) || n < 0 || n >= I386_REGISTERS.length) return 'E00';
    const gid = this.readThread(s);
    return registerHex(gid !== null ? s.guestCpu(gid) : null, n);
  }

  private memory(s: DebugSession, args: string): string {
    const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(args);
    if (!m) return 'E01';
    const addr = parseInt(m[1]!, 16);
    const len = Math.min(parseInt(m[2]!, 16), (MAX_PACKET - 16) >> 1);
    const gid = this.readThread(s);
    if (gid === null) return 'E14';
    const bytes = s.readMemory(gid, addr, len);
    if (!bytes || (bytes.length === 0 && len > 0)) return 'E14';
    return toHex(bytes);
  }

  /** `M addr,len:hex` / `X addr,len:binary`: a diversion from the recording (until the session goes back). */
  private writeMemory(s: DebugSession, p: string): string {
    const m = /^([MX])([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8}):/.exec(p);
    if (!m) return 'E01';
    const addr = parseInt(m[2]!, 16);
    const len = parseInt(m[3]!, 16);
    const rest = p.slice(m[0].length);
    const bytes = m[1] === 'M' ? fromHex(rest) : Uint8Array.from(rest, (ch) => ch.charCodeAt(0) & 0xff);
    if (!bytes || bytes.length !== len) return 'E01';
    if (len === 0) return 'OK'; // gdb's probe for X
    const gid = this.readThread(s);
    if (gid === null || !s.writeMemory(gid, addr, bytes)) return 'E14';
    this.noteDiverted();
    return 'OK';
  }

  /** `P n=value`: one register. */
  private writeOne(s: DebugSession, args: string): string {
    const m = /^([0-9a-fA-F]{1,2})=([0-9a-fA-F]+)$/.exec(args);
    if (!m) return 'E01';
    const n = parseInt(m[1]!, 16);
    const bytes = fromHex(m[2]!);
    const gid = this.readThread(s);
    if (!bytes || gid === null) return 'E01';
    if (n > 9) return registerHex(s.guestCpu(gid), n) === m[2]!.toLowerCase() ? 'OK' : refuse('only the general registers, eip and eflags can be changed in a replay');
    if (bytes.length !== 4 || !s.writeRegister(gid, n, le32(bytes, 0))) return 'E01';
    this.noteDiverted();
    return 'OK';
  }

  /** `G`: every register; only the general ones, eip and eflags may differ from what they are. */
  private writeAll(s: DebugSession, hex: string): string {
    const gid = this.readThread(s);
    const cpu = gid !== null ? s.guestCpu(gid) : null;
    const bytes = fromHex(hex);
    if (!cpu || !bytes || bytes.length < 40) return 'E01';
    let off = 0;
    const changes: [number, number][] = [];
    for (const r of I386_REGISTERS) {
      const size = r.bits / 8;
      if (off + size > bytes.length) break;
      const now = registerHex(cpu, r.regnum);
      const given = hex.slice(off * 2, (off + size) * 2).toLowerCase();
      if (now !== given) {
        if (r.regnum > 9) return refuse('only the general registers, eip and eflags can be changed in a replay');
        changes.push([r.regnum, le32(bytes, off)]);
      }
      off += size;
    }
    for (const [n, v] of changes) s.writeRegister(gid!, n, v);
    if (changes.length) this.noteDiverted();
    return 'OK';
  }

  private noteDiverted(): void {
    if (this.divertedNoted) return;
    this.divertedNoted = true;
    this.opts.log?.('gdb changed the replay: from here it no longer follows the recording (going back returns to it)');
  }
  private divertedNoted = false;

  private breakpoint(s: DebugSession, p: string): string {
    const m = /^([zZ])([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,4})/.exec(p);
    if (!m) return 'E01';
    const insert = m[1] === 'Z';
    const type = Number(m[2]);
    const addr = parseInt(m[3]!, 16);
    const len = parseInt(m[4]!, 16);
    if (type <= 1) {
      if (insert) s.addBreakpoint(addr);
      else s.removeBreakpoint(addr);
      return 'OK';
    }
    const kind: WatchKind = type === 2 ? 'write' : type === 3 ? 'read' : 'access';
    if (!insert) return s.removeWatchpoint(kind, addr, len) ? 'OK' : 'E01';
    const gid = this.readThread(s);
    if (gid === null || s.guestCpu(gid) === null) return refuse('select a guest thread to watch its memory');
    return s.addWatchpoint(kind, addr, len, gid) ? 'OK' : 'E01';
  }
}

/** One register in target byte order, or `x`s where it is unavailable (model code, no thread). */
export function registerHex(cpu: GuestCpu | null, n: number): string {
  const r = I386_REGISTERS[n]!;
  if (!cpu) return 'x'.repeat(r.bits / 4);
  // gdb numbers the general registers as the instruction encoding does, which is the CPU's order too.
  if (n < 8) return le(cpu.r[n]!, 4);
  if (n === 8) return le(cpu.eip, 4);
  if (n === 9) return le(cpu.eflags(), 4);
  if (n < 16) return le(cpu.seg.sel[SEG_ORDER[n - 10]!]!, 4);
  const f = cpu.fpu;
  if (n < 24) {
    const v = f.st(n - 16);
    return le(v.lo, 4) + le(v.hi, 4) + le((v.sign << 15) | v.exp, 2);
  }
  const control = [f.cw, f.sw, f.tagWord(), f.fcs, f.fip, f.fds, f.fdp, f.fop];
  return le(control[n - 24]!, 4);
}

function le32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

function le(v: number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += ((v >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return out;
}
