/**
 * Monitor commands of a replay debugging session (gdb's `monitor …`, and `l4trace replay --monitor`):
 * where the replay stands in the trace, moves to an event or a cycle, the recorded events around the
 * current point, the machine's state, and the two questions a signal race raises: who sent the message
 * this thread last got (or that never arrived: a lost kick), and which `kill` queued the pending signal.
 */
import { formatGid, IPC_SENDING_OPS, Kind } from '../../tracer/catalogue.js';
import { formatEventLine } from '../../tracer/describe.js';
import type { TraceEvent } from '../../tracer/reader.js';
import type { Thread } from '../../src/l4/thread.js';
import { describeMachine, formatMachine } from '../inspect.js';
import type { DebugSession, Move } from './session.js';

export type MonitorResult = { output: string[] } | { move: Move };

export const MONITOR_HELP = [
  'monitor commands:',
  '  seq | when         the current event number, cycle, instruction and thread',
  '  goto-seq N         go to the first instruction after event #N',
  '  goto-cycle C       go to the first instruction at or after cycle C',
  '  events [N]         the N recorded events before and after the current point (default 8)',
  '  inspect            the machine: CPUs, threads, IRQs, Linux processes, recent events',
  '  ipc-origin         back to the IPC that sent the message this thread last received or was sent',
  '  sig-origin         back to the kill that queued the signal pending for this thread\'s process',
  '  checkpoints [build] the parked machines moves start from (build: lay them out now)',
];

/** Run one monitor command for `gid` (the thread gdb has selected, or the stopped one). */
export function runMonitor(s: DebugSession, line: string, gid: number | null): MonitorResult {
  const [cmd = '', ...args] = line.trim().split(/\s+/);
  const num = (what: string): number => {
    const v = args[0];
    if (v === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) throw new MonitorError(`${cmd} needs ${what}`);
    return Number(v);
  };
  switch (cmd) {
    case '':
    case 'help':
      return { output: MONITOR_HELP };
    case 'seq':
    case 'when':
      return { output: [where(s)] };
    case 'goto-seq': {
      const seq = num('an event number');
      const last = s.reader.lastSeq();
      if (seq > last) throw new MonitorError(`the trace's last event is #${last}`);
      return { move: { kind: 'goto-seq', seq, report: [`after event #${seq}`] } };
    }
    case 'goto-cycle':
      return { move: { kind: 'goto-cycle', cycle: num('a cycle'), report: [] } };
    case 'events':
      return { output: eventsAround(s, args[0] !== undefined ? Math.min(num('a count'), 1000) : 8) };
    case 'inspect':
      if (!s.kernel) throw new MonitorError('the machine is not built yet');
      return { output: formatMachine(describeMachine(s.kernel, s.reader, s.nextSeq - 1)) };
    case 'ipc-origin':
      return ipcOrigin(s, gid);
    case 'sig-origin':
      return sigOrigin(s, gid);
    case 'checkpoints':
      if (args[0] === 'build') s.buildCheckpoints();
      else if (args[0] !== undefined) throw new MonitorError('checkpoints takes "build" or nothing');
      return { output: [checkpointLine(s)] };
    default:
      throw new MonitorError(`unknown monitor command "${cmd}" (try "monitor help")`);
  }
}

export class MonitorError extends Error {}

function checkpointLine(s: DebugSession): string {
  const p = s.pool;
  const mib = (n: number): string => `${Math.round(n / (1 << 20))} MiB`;
  const at = p.positions.length ? ` at instructions ${p.positions.join(', ')}` : '';
  return `${p.size} checkpoint(s)${at}; about ${mib(p.bytes)} of ${mib(p.budget)}; ${s.passes} replay(s) from the start so far${p.size === 0 && !s.reader.footer && !s.atEnd ? ' (a file cut short: the layout is made once a move has reached its end)' : ''}`;
}

/** `event #S, cycle C, instruction I, thread …`. */
export function where(s: DebugSession): string {
  const gid = s.currentGid();
  const t = gid !== null ? s.thread(gid) : undefined;
  const at = s.atEnd ? `the end of the recording (${s.endReason || 'run over'})` : `instruction ${s.position}`;
  const who = t ? `, thread ${t.name} (l4 ${formatGid(t.gid)}${t.linuxPid ? `, pid ${t.linuxPid}` : ''})` : '';
  const last = s.nextSeq - 1;
  return `event #${last < 0 ? '-' : last} (next #${s.nextSeq}), cycle ${s.cycle}, ${at}${who}`;
}

function eventsAround(s: DebugSession, n: number): string[] {
  const next = s.nextSeq;
  const out: string[] = [];
  for (const e of s.reader.events({ fromSeq: Math.max(0, next - n), toSeq: next + n - 1 })) {
    if (e.seq === next) out.push('--> here');
    out.push(formatEventLine(e, s.reader));
  }
  if (next > s.reader.lastSeq()) out.push('--> here (every recorded event is behind)');
  return out;
}

/** The trace's thread index of a gid, or -1. */
function traceIndex(s: DebugSession, gid: number): number {
  return s.reader.threads.findIndex((t) => t.l4Id === gid);
}

/** The last recorded event before `before` that `pick` accepts. */
function lastEvent(s: DebugSession, before: number, pick: (e: TraceEvent) => boolean, kinds: number[]): TraceEvent | null {
  let found: TraceEvent | null = null;
  for (const e of s.reader.events({ kinds: new Set(kinds), toSeq: before - 1 })) if (pick(e)) found = e;
  return found;
}

function eventBySeq(s: DebugSession, seq: number): TraceEvent | null {
  for (const e of s.reader.events({ fromSeq: seq, toSeq: seq })) return e;
  return null;
}

/**
 * The IPC that sent the message this thread last received, or was last sent (delivered or not: a kick
 * that failed with SETIMEOUT never arrived): back to just before it, at its sender's instruction when
 * the sender is guest code.
 */
function ipcOrigin(s: DebugSession, gid: number | null): MonitorResult {
  if (gid === null) throw new MonitorError('no thread is selected');
  const idx = traceIndex(s, gid);
  const here = s.nextSeq;
  // A message sent to this thread (whatever became of it), or the one a receive of this thread got.
  const sent = lastEvent(s, here, (e) => e.args[1] === gid && IPC_SENDING_OPS.has(e.args[0]!), [Kind.IPC]);
  const got = idx >= 0 ? lastEvent(s, here, (e) => e.thread === idx && (e.args[1] ?? -1) >= 0, [Kind.IPC_RES]) : null;
  let send = sent;
  if (got && (!sent || got.seq > sent.seq)) send = eventBySeq(s, got.args[1]!);
  if (!send) throw new MonitorError(`no IPC reached ${s.thread(gid)?.name ?? formatGid(gid)} before event #${here}`);
  const result = lastEvent(s, s.reader.lastSeq() + 1, (e) => e.args[0] === send.seq && e.thread === send.thread, [Kind.IPC_RES]);
  const report = [`the IPC: ${formatEventLine(send, s.reader)}`];
  if (result) report.push(`its result: ${formatEventLine(result, s.reader)}`);
  return { move: landBefore(s, send, report) };
}

/** The `kill` (the SIG_SEND and the system call it came from) that queued the signal pending here. */
function sigOrigin(s: DebugSession, gid: number | null): MonitorResult {
  const t = gid !== null ? s.thread(gid) : undefined;
  const pid = t?.linuxTgid || t?.linuxPid || 0;
  if (!pid) throw new MonitorError('the selected thread belongs to no Linux process');
  const here = s.nextSeq;
  const send = lastEvent(s, here, (e) => e.args[1] === pid, [Kind.SIG_SEND]);
  if (!send) throw new MonitorError(`no signal was sent to pid ${pid} before event #${here}`);
  const delivered = lastEvent(s, here, (e) => e.seq > send.seq && e.args[0] === pid && e.args[1] === send.args[2], [Kind.SIG_DELIVER]);
  const from = send.args[0]!;
  // The system call that sent it: the sender's last SYSCALL_ENTER before the SIG_SEND.
  const call = lastEvent(s, send.seq, (e) => e.args[0] === from, [Kind.SYSCALL_ENTER]);
  const report = [`the signal: ${formatEventLine(send, s.reader)}${delivered ? ` (delivered at #${delivered.seq})` : ' (not delivered since)'}`];
  if (call) report.push(`sent by: ${formatEventLine(call, s.reader)}`);
  const target = call ?? send;
  return { move: landBefore(s, target, report, (th) => th.linuxPid === from || th.linuxTgid === from) };
}

/** Just before `e`: at the last instruction of its thread (or of a thread `where` accepts) before it. */
function landBefore(s: DebugSession, e: TraceEvent, report: string[], where?: (t: Thread) => boolean): Move {
  const gid = s.reader.threads[e.thread]?.l4Id ?? -1;
  const sender = s.kernel?.threads.get(gid);
  const guest = sender && s.guestCpu(gid) !== null;
  const accept = where ?? (guest ? (th: Thread) => th.gid === gid : () => true);
  return { kind: 'before-event', seq: e.seq, where: accept, report };
}
