/**
 * A replay debugging session driven by a list of commands (`l4trace replay FILE --monitor "…; …"`):
 * the monitor commands, plus the moves a gdb user makes, by number instead of by symbol:
 * `stepi [GID]`, `reverse-stepi [GID]`, `continue`, `reverse-continue`, `break ADDR`, `delete ADDR`,
 * `watch ADDR LEN`, `thread GID` (the thread later commands apply to; gids as `monitor seq` prints
 * them, `task.lthread` or a number), `threads` (the thread list), `regs` (the selected thread's registers).
 */
import { formatGid } from '../../tracer/catalogue.js';
import { gid as makeGid } from '../../src/l4/ids.js';
import { MonitorError, runMonitor, where } from './monitor.js';
import type { Controller, DebugSession, Move, Stop } from './session.js';

export interface ScriptStep {
  command: string;
  output: string[];
}

export class ScriptError extends Error {}

export class ScriptController implements Controller {
  readonly steps: ScriptStep[] = [];
  private next = 0;
  private selected: number | null = null;
  /** The step whose move is under way (its output is completed at the stop). */
  private moving: ScriptStep | null = null;

  constructor(private readonly commands: readonly string[]) {}

  stopped(s: DebugSession, stop: Stop): Move {
    if (this.moving) {
      this.moving.output.push(...(stop.report ?? []), `${describeStop(stop)}: ${where(s)}`);
      this.moving = null;
      // As gdb does, later commands apply to the thread the move stopped in.
      if (stop.thread !== null) this.selected = stop.thread;
    }
    if (stop.thread !== null && this.selected === null) this.selected = stop.thread;
    while (this.next < this.commands.length) {
      const command = this.commands[this.next++]!.trim();
      if (!command) continue;
      const step: ScriptStep = { command, output: [] };
      this.steps.push(step);
      try {
        const move = this.run(s, command, step, stop);
        if (move) {
          if (move.kind !== 'quit') this.moving = step;
          return move;
        }
      } catch (e) {
        if (!(e instanceof MonitorError)) throw e;
        step.output.push(`error: ${e.message}`);
      }
    }
    return { kind: 'quit' };
  }

  private run(s: DebugSession, command: string, step: ScriptStep, stop: Stop): Move | null {
    const [word = '', ...args] = command.split(/\s+/);
    const thread = (): number => {
      const g = args[0] !== undefined ? parseThread(args[0]) : (this.selected ?? stop.thread);
      if (g === null) throw new MonitorError(`${word}: no thread selected`);
      return g;
    };
    switch (word) {
      case 'stepi':
        return { kind: 'step', thread: thread() };
      case 'reverse-stepi':
        return { kind: 'reverse-step', thread: thread() };
      case 'continue':
        return { kind: 'continue' };
      case 'reverse-continue':
        return { kind: 'reverse-continue' };
      case 'break':
        s.addBreakpoint(parseAddress(args[0], word));
        return null;
      case 'delete':
        s.removeBreakpoint(parseAddress(args[0], word));
        return null;
      case 'watch': {
        const t = this.selected ?? stop.thread;
        if (t === null || !s.addWatchpoint('write', parseAddress(args[0], word), parseAddress(args[1] ?? '4', word), t)) throw new MonitorError('watch: the selected thread has no guest address space');
        return null;
      }
      case 'thread': {
        const g = parseThread(args[0] ?? '');
        if (g === null || !s.thread(g)) throw new MonitorError(`thread ${args[0] ?? ''}: no such thread here`);
        this.selected = g;
        step.output.push(`thread ${formatGid(g)} (${s.thread(g)!.name})`);
        return null;
      }
      case 'threads':
        for (const t of s.threads()) step.output.push(`${t.gid === (this.selected ?? stop.thread) ? '*' : ' '} ${formatGid(t.gid).padEnd(9)} ${t.name.padEnd(24)} ${t.kind.padEnd(5)} ${t.state}${t.pid ? ` pid ${t.pid}` : ''}`);
        return null;
      case 'regs': {
        const t = this.selected ?? stop.thread;
        const cpu = t !== null ? s.guestCpu(t) : null;
        if (!cpu) throw new MonitorError('regs: the selected thread runs model code (no registers)');
        const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
        const general = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'].map((name, i) => `${name} ${hex(cpu.r[i]!)}`);
        step.output.push(`eip ${hex(cpu.eip)} ${general.join(' ')} eflags ${hex(cpu.eflags())}`);
        return null;
      }
      default: {
        const r = runMonitor(s, command, this.selected ?? stop.thread);
        if ('move' in r) return r.move;
        step.output.push(...r.output);
        return null;
      }
    }
  }
}

function describeStop(stop: Stop): string {
  return stop.reason === 'arrived' ? 'at' : stop.reason;
}

/** `task.lthread[vN]` (hex task and lthread, as the trace prints l4 ids; version 1 by default) or a number. */
function parseThread(text: string): number | null {
  const m = /^([0-9a-fA-F]+)\.([0-9a-fA-F]+)(?:v(\d+))?$/.exec(text);
  if (m) return makeGid(parseInt(m[1]!, 16), parseInt(m[2]!, 16), Number(m[3] ?? 1));
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return Number(text);
  return null;
}

function parseAddress(text: string | undefined, word: string): number {
  if (text === undefined || !/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(text)) throw new MonitorError(`${word} needs an address`);
  return Number(text) >>> 0;
}
