/**
 * The machine's state at a replay stop (`replay --until SEQ | --at CYCLE --inspect`): every thread
 * (L4 state, priority, IPC partner and phase, what it waits for, registers of IA32 threads), sender
 * queues, ready queues, interrupt lines, what the personalities describe (Linux processes with pending
 * and blocked signals), and the last events before the stop.
 */
import { ENUMS, formatGid } from '../tracer/catalogue.js';
import { formatEventLine } from '../tracer/describe.js';
import type { TraceReader } from '../tracer/reader.js';
import { Ia32Engine } from '../src/l4/ia32-engine.js';
import type { Kernel } from '../src/l4/kernel.js';
import type { Thread } from '../src/l4/thread.js';

export interface MachineState {
  cycle: number;
  cpus: { id: number; time: number; current: string | null; ready: string[] }[];
  threads: Record<string, unknown>[];
  irqs: { irq: number; handler: string | null; masked: boolean; pending: boolean; coalesced: number }[];
  personalities: Record<string, unknown>[];
  recent: string[];
}

const REG_NAMES = ['trapno', 'err', 'eip', 'eflags', 'edi', 'esi', 'ebp', 'esp', 'ebx', 'edx', 'ecx', 'eax'];

function describeThread(t: Thread, k: Kernel): Record<string, unknown> {
  const c = t.active;
  const waiting =
    t.state === 'sending' ? `sending to ${c?.partner?.name ?? formatGid(c?.dest ?? 0)}` :
    t.state === 'receiving' ? `receiving from ${c?.recv && c.recv.from >= 0 ? (k.threadByGid(c.recv.from)?.name ?? formatGid(c.recv.from)) : 'anyone'}` :
    t.state === 'locked' ? `waiting for lock ${t.waitingLock?.name ?? '?'}` :
    t.state === 'sleeping' ? 'in its kernel, asleep' :
    t.waitingLock ? `spinning on ${t.waitingLock.name}` : null;
  const out: Record<string, unknown> = {
    id: formatGid(t.gid),
    name: t.name,
    task: t.task.name,
    linuxPid: t.task.linuxPid || null,
    state: t.state,
    prio: t.prio,
    cpu: t.cpu,
    running: k.cpus[t.cpu]?.current === t,
    waiting,
    ipc: c ? { kind: c.kind, op: ENUMS.IpcOp![c.op] ?? c.op, phase: c.phase, partner: c.partner?.name ?? null } : null,
    senders: t.senderQueue.map((s) => s.name),
  };
  const engine = t.userEngine ?? t.engine;
  if (engine instanceof Ia32Engine) {
    const regs = engine.saveRegisters();
    out.registers = Object.fromEntries(REG_NAMES.slice(2).map((n, i) => [n, `0x${regs[i + 2]!.toString(16)}`]));
  } else {
    out.engine = engine.describe();
  }
  return out;
}

export function describeMachine(k: Kernel, reader: TraceReader, atSeq: number): MachineState {
  const recent: string[] = [];
  for (const e of reader.events({ toSeq: atSeq })) {
    recent.push(formatEventLine(e, reader));
    if (recent.length > 20) recent.shift();
  }
  return {
    cycle: k.now,
    cpus: k.cpus.map((c) => ({ id: c.id, time: c.time, current: c.current?.name ?? null, ready: [...c.ready.all()].map((t) => `${t.name}@${t.prio}`) })),
    threads: [...k.threads.values()].sort((a, b) => a.gid - b.gid).map((t) => describeThread(t, k)),
    irqs: [...k.irqs.values()].map((l) => ({ irq: l.n, handler: l.handler?.name ?? null, masked: l.masked, pending: l.pending, coalesced: l.coalesced })),
    personalities: k.inspectors.map((f) => f()),
    recent,
  };
}

export function formatMachine(m: MachineState): string[] {
  const out: string[] = [];
  out.push(`machine at cycle ${m.cycle}`);
  for (const c of m.cpus) out.push(`cpu ${c.id}  time ${c.time}  running ${c.current ?? 'idle'}  ready [${c.ready.join(', ')}]`);
  out.push('threads');
  for (const t of m.threads) {
    const parts = [`  ${String(t.id).padEnd(9)} ${String(t.name).padEnd(24)} ${String(t.state).padEnd(9)} prio ${String(t.prio).padStart(3)}`];
    if (t.running) parts.push('RUNNING');
    if (t.waiting) parts.push(String(t.waiting));
    const senders = t.senders as string[];
    if (senders.length) parts.push(`senders [${senders.join(', ')}]`);
    out.push(parts.join('  '));
    if (t.registers) out.push(`            ${Object.entries(t.registers as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  if (m.irqs.length) {
    out.push('interrupt lines');
    for (const l of m.irqs) out.push(`  irq ${l.irq}  handler ${l.handler ?? '-'}  ${l.masked ? 'masked' : 'unmasked'}  ${l.pending ? `pending (+${l.coalesced} coalesced)` : 'nothing pending'}`);
  }
  for (const p of m.personalities) out.push(...formatPersonality(p));
  out.push('recent events');
  for (const e of m.recent) out.push(`  ${e}`);
  return out;
}

interface LinuxProcessState {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  task: number;
  pending: string[];
  blocked: string[];
  inKernel: string | null;
  started: boolean;
  signalThreadReady: boolean;
  kickLost: boolean;
}

function formatPersonality(p: Record<string, unknown>): string[] {
  const lx = p.linux as { personality: string; signalFix: string; jiffies: number; processes: LinuxProcessState[] } | undefined;
  if (!lx) return JSON.stringify(p, null, 1).split('\n');
  const out = [`linux (${lx.personality}, signalFix ${lx.signalFix}, jiffies ${lx.jiffies})`];
  for (const q of lx.processes) {
    const flags = [q.started ? 'started' : 'not started', q.signalThreadReady ? 'signal thread ready' : '', q.kickLost ? 'KICK LOST' : ''].filter(Boolean).join(', ');
    out.push(
      `  pid ${q.pid} (ppid ${q.ppid}) ${q.name} ${q.state}, task ${q.task}; pending [${q.pending.join(' ')}] blocked [${q.blocked.join(' ')}]; ${q.inKernel ? `in the kernel: ${q.inKernel}` : 'in user mode'}; ${flags}`,
    );
  }
  return out;
}
