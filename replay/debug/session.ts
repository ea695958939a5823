/**
 * A replay debugging session (docs/replay.md, "Replay debugging"): the machine of a trace replayed under
 * a debugger's control. It stops before any guest instruction, reads registers and memory there, runs
 * forward to breakpoints, watchpoints, single steps and events, and goes backward the way rr does
 * without its fork(): from a fresh machine, one pass to find the last point that matches, a second to
 * stand there. Positions are instruction ordinals, counted from the start of the run over every IA32
 * thread; the machine is deterministic, so an ordinal names the same instant in every pass.
 *
 * Control is inverted: the machine runs, and the session's step hook pauses it synchronously inside
 * the interpreter, where the machine's state is whole. The controller (the gdb stub, a list of monitor
 * commands) answers each stop with the next move. A move forward returns into the machine; a move
 * backward abandons it (an exception unwinds the run) and a new machine is built and run to the target.
 * Every pass regenerates the trace and compares it with the file, as `replay` does, so a position a
 * debugger shows is one the recording went through; a difference stops the session with `diverged`.
 */
import type { TraceReader } from '../../tracer/reader.js';
import type { Cpu as GuestCpu } from '../../src/ia32/cpu.js';
import { REDIRECT, type StepHook } from '../../src/ia32/interpreter.js';
import { PAGE_SIZE, R } from '../../src/ia32/memory.js';
import { physAddr } from '../../src/l4/ipc.js';
import type { AddressSpace } from '../../src/l4/mapdb.js';
import { Ia32Engine } from '../../src/l4/ia32-engine.js';
import type { Kernel } from '../../src/l4/kernel.js';
import type { Thread } from '../../src/l4/thread.js';
import { finishTrace } from '../../src/session/record-session.js';
import type { ReplaySessionResult } from '../../src/session/replay-session.js';
import { setupFromTrace } from '../../src/session/setup.js';
import type { MachineSetup } from '../../src/session/setup.js';
import { CheckpointPool } from './checkpoints.js';
import { Watches, type WatchKind } from './watches.js';
import { Pass } from './pass.js';

export type { WatchKind } from './watches.js';

export type StopReason = 'start' | 'step' | 'breakpoint' | 'watch' | 'rwatch' | 'awatch' | 'arrived' | 'interrupt' | 'end' | 'begin' | 'diverged';

export interface Stop {
  reason: StopReason;
  /** The thread (gid) whose instruction the machine stands before; null at the end of the run. */
  thread: number | null;
  /** Watchpoints: the watched address that triggered. */
  addr?: number;
  /** What a monitor command that moved has to say once arrived. */
  report?: string[];
  detail?: string;
}

/** Where to go next. Threads are gids; `report` is handed back with the stop the move ends in. */
export type Move =
  | { kind: 'continue' }
  | { kind: 'step'; thread: number }
  | { kind: 'reverse-continue' }
  | { kind: 'reverse-step'; thread: number }
  /** Exactly before instruction `ordinal` (the start of the run for 0). */
  | { kind: 'goto'; ordinal: number; report?: string[]; reason?: StopReason; addr?: number }
  /** The first instruction after event `seq` was emitted (the end of the run if none). */
  | { kind: 'goto-seq'; seq: number; report?: string[] }
  /** The first instruction starting at or after `cycle`. */
  | { kind: 'goto-cycle'; cycle: number; report?: string[] }
  /** The last instruction of a thread `where` accepts before event `seq` was emitted. */
  | { kind: 'before-event'; seq: number; where: (t: Thread) => boolean; report?: string[] }
  | { kind: 'quit' };

export interface Controller {
  stopped(session: DebugSession, stop: Stop): Move;
  /** Asked now and then while the machine runs: true to interrupt it (gdb's Ctrl-C). */
  interrupted?(): boolean;
}

export interface ThreadInfo {
  gid: number;
  name: string;
  kind: 'ia32' | 'model';
  state: string;
  pid: number;
  tgid: number;
  task: number;
}

class Quit {}
/** Unwinds the machine the session leaves: build or take another and carry out `plan` on it. */
class Rewind {
  constructor(readonly plan: Plan) {}
}

export interface DebugSessionOptions {
  /** Memory for checkpoints (parked machines), in MiB. */
  checkpointMb?: number;
}

/** The checkpoint budget by default: room for the layout's machines of a typical trace on a machine of a few GiB. */
export const DEFAULT_CHECKPOINT_MB = 2048;

/** What a fresh pass looks for. */
type Plan =
  | { kind: 'forward'; move: Move }
  /** Run to `until` (Infinity: the end), remembering the last ordinal that matches, then go there. */
  | { kind: 'scan'; until: number; match: 'reverse-continue' | 'reverse-step' | 'before-event'; thread?: number; seq?: number; where?: (t: Thread) => boolean; report?: string[] };

/** How often (in instructions) a running machine asks the controller whether to stop. */
const POLL_EVERY = 1 << 16;

export class DebugSession implements StepHook {
  private readonly setup: MachineSetup;
  /** The machine the session stands in (its `count`: instructions begun; paused, the position is `count - 1`). */
  private pass: Pass | null = null;
  /** Checkpoints: parked machines to start from instead of the beginning. */
  readonly pool: CheckpointPool;
  private controller: Controller | null = null;
  /** Where the current scan started (a scan that finds nothing goes on below it). */
  private scanFrom = 0;

  private get k(): Kernel | null {
    return this.pass?.kernel ?? null;
  }

  private paused = -1;
  /** The run of this pass has ended (no instruction left). */
  private ended = false;
  private endDetail = '';
  /** The cycle of the instruction the machine stands before. */
  private time = 0;
  private pollIn = POLL_EVERY;

  // Forward stop conditions (from the move being carried out).
  private from = -1;
  private stepThread = -1;
  private untilOrdinal = -1;
  private afterSeq = -1;
  private atCycle = -1;
  private honourBreaks = false;
  private report: string[] | undefined;
  private targetReason: StopReason = 'arrived';
  // Backward search (a scan pass).
  private scan: Extract<Plan, { kind: 'scan' }> | null = null;
  private lastMatch = -1;

  private readonly watches = new Watches();
  /** Machines started from the beginning for the session itself (checkpoint building not included). */
  passes = 0;

  constructor(
    readonly reader: TraceReader,
    readonly file: string,
    opts: DebugSessionOptions = {},
  ) {
    this.setup = setupFromTrace(reader, file);
    this.pool = new CheckpointPool(() => new Pass(this.setup, reader, file), (opts.checkpointMb ?? DEFAULT_CHECKPOINT_MB) * (1 << 20));
  }

  // -------------------------------------------------------------------------------------------------
  // The session loop

  /** Serve `controller` until it quits. The session starts before the run's first guest instruction. */
  serve(controller: Controller): void {
    this.controller = controller;
    let plan: Plan = { kind: 'forward', move: { kind: 'goto', ordinal: 0 } };
    let first = true;
    for (;;) {
      this.enter(plan, first);
      first = false;
      try {
        plan = this.runPass();
      } catch (e) {
        if (e instanceof Quit) return;
        throw e;
      }
    }
  }

  /** Run the current machine a round at a time until it ends or the session leaves it for another. */
  private runPass(): Plan {
    const pass = this.pass!;
    try {
      for (;;) {
        const r = pass.advance(1);
        if (r) return this.atEndOfRun(r);
        if (this.scan === null && this.controller!.interrupted?.()) this.interruptPending = true;
      }
    } catch (e) {
      if (e instanceof Rewind) return e.plan;
      throw e;
    }
  }

  /** Take the machine for `plan`: the parked one furthest along that can carry it out, or a new one. */
  private enter(plan: Plan, first: boolean): void {
    const fits = plan.kind === 'scan' ? this.fitsScan(plan) : this.fitsMove(plan.move);
    let pass = this.pool.take((p) => !p.ended && fits(p));
    if (!pass) {
      pass = new Pass(this.setup, this.reader, this.file).start();
      this.passes++;
    }
    this.pass = pass;
    pass.steer(this);
    // The footer says when the run ends: checkpoints can be laid out before any move has got there.
    if (this.reader.footer) this.pool.planLayout(this.reader.footer.endTime, pass.bytes);
    this.paused = -1;
    this.ended = false;
    this.endDetail = '';
    this.interruptPending = false;
    this.pollIn = POLL_EVERY;
    this.clearConditions();
    this.scan = null;
    this.lastMatch = -1;
    this.lastAddr = -1;
    this.scanFrom = pass.count;
    this.watches.bind(pass.kernel);
    if (plan.kind === 'scan') this.scan = plan;
    else this.setForward(plan.move, pass.count - 1);
    if (first) this.targetReason = 'start';
  }

  /** A parked machine can carry out a move forward if it has not passed the move's target. */
  private fitsMove(move: Move): (p: Pass) => boolean {
    switch (move.kind) {
      case 'goto':
        return (p) => p.count <= move.ordinal;
      case 'goto-seq':
        return (p) => p.nextSeq <= move.seq;
      case 'goto-cycle':
        // Another CPU may still start instructions before the latest clock, by up to a round.
        return (p) => p.time + (p.kernel?.roundCycles ?? Infinity) < move.cycle;
      default:
        return () => false;
    }
  }

  /** A scan may start at a parked machine below its end (and, for an event, before the event). */
  private fitsScan(plan: Extract<Plan, { kind: 'scan' }>): (p: Pass) => boolean {
    return (p) => p.count < plan.until && (plan.seq === undefined || p.nextSeq <= plan.seq);
  }

  /** Leave the current machine for `plan`: it is abandoned (unwound from inside the interpreter). */
  private leave(plan: Plan): never {
    throw new Rewind(plan);
  }

  private clearConditions(): void {
    this.from = -1;
    this.stepThread = -1;
    this.untilOrdinal = -1;
    this.afterSeq = -1;
    this.atCycle = -1;
    this.honourBreaks = false;
    this.report = undefined;
    this.targetReason = 'arrived';
    this.targetAddr = -1;
  }

  /** The machine ran out: stop at the end until the controller goes back (or quits). */
  private atEndOfRun(result: ReplaySessionResult): Plan {
    this.ended = true;
    this.paused = this.pass!.count;
    this.pool.planLayout(this.pass!.time, this.pass!.bytes);
    if (this.scan) return this.scanResult();
    this.verifyEnd(result);
    this.endDetail = result.run?.stop.detail ?? (result.tapeDivergence ? result.tapeDivergence.message : '');
    const detail = this.pass!.diverted ? 'the end of a run changed by the debugger' : (this.pass!.difference ?? 'the end of the recording');
    let stop: Stop = { reason: this.pass!.difference ? 'diverged' : 'end', thread: null, ...(this.report ? { report: this.report } : {}), detail };
    for (;;) {
      const move = this.controller!.stopped(this, stop);
      if (move.kind === 'quit') throw new Quit();
      const plan = this.planFrom(move, this.pass!.count);
      if (plan) return plan;
      // Nothing lies ahead: a move forward ends where it starts.
      stop = { reason: 'end', thread: null, ...('report' in move && move.report ? { report: move.report } : {}), detail: 'the end of the recording' };
    }
  }

  /** At the end of a pass that ran to the end: the footer, the tape and the final state, as `replay` checks them. */
  private verifyEnd(result: ReplaySessionResult): void {
    const pass = this.pass!;
    if (pass.diverted) return;
    // A cut file has no footer to compare: its prefix was checked as it was regenerated.
    if (pass.sink.prefixComplete) pass.sink.stoppedEarly = true;
    if (result.run) finishTrace(result.tracer, result.run);
    else if (result.tapeDivergence) pass.difference ??= `the tape: ${result.tapeDivergence.message}`;
    pass.sink.finish(result.tapePosition);
    const d = pass.sink.first();
    if (d) pass.difference ??= `event #${d.seq}: ${d.detail}`;
  }

  /** Whether the pass that reached the end reproduced the whole recording (footer and final state included). */
  get identical(): boolean {
    return this.ended && this.pass!.difference === null;
  }

  // -------------------------------------------------------------------------------------------------
  // The step hook

  /**
   * Asked before each block: step it (one instruction at a time, through beforeInstruction) when
   * something may stop in it or a backward search must see its instructions; else it runs fused.
   */
  wantsBlock(cpu: GuestCpu, start: number, end: number, n: number, time: number, cost: number): boolean {
    cpu.setAccessWatch(this.watches.accessWatch);
    if ((this.pollIn -= n) <= 0) {
      this.pollIn = POLL_EVERY;
      if (this.scan === null && this.controller!.interrupted?.()) this.interruptPending = true;
    }
    if (this.scan !== null) return this.scanWants(start, end, n);
    if (this.interruptPending || this.pass!.difference) return true;
    if (this.untilOrdinal >= this.pass!.count && this.pass!.count + n > this.untilOrdinal) return true;
    if (this.honourBreaks && (this.watches.watching || this.watches.breakpointIn(start, end))) return true;
    if (this.stepThread >= 0 && this.k!.exec.current?.gid === this.stepThread) return true;
    if (this.afterSeq >= 0 && this.k!.recorder.nextSeq > this.afterSeq) return true;
    return this.atCycle >= 0 && time + cost > this.atCycle;
  }

  private scanWants(start: number, end: number, n: number): boolean {
    const s = this.scan!;
    if (this.pass!.count + n > s.until) return true; // the block holding the current position: reach it exactly
    switch (s.match) {
      case 'reverse-continue':
        return this.watches.watching || this.watches.breakpointIn(start, end);
      case 'before-event':
        return this.k!.recorder.nextSeq > s.seq!;
      default:
        return false;
    }
  }

  /** A block ran fused: count its instructions; a backward search notes its thread's last one. */
  ranFast(n: number): void {
    this.pass!.count += n;
    const s = this.scan;
    if (s === null || n === 0) return;
    if (s.match === 'reverse-step') {
      if (this.currentGid() === s.thread) this.noteMatch(this.pass!.count - 1, 'step', -1);
    } else if (s.match === 'before-event') {
      const t = this.k!.exec.current;
      if (t && this.k!.recorder.nextSeq <= s.seq! && s.where!(t)) this.noteMatch(this.pass!.count - 1, 'arrived', -1);
    }
  }

  private interruptPending = false;

  beforeInstruction(cpu: GuestCpu, time: number): void {
    const n = this.pass!.count++;
    if (this.scan !== null) return this.scanStep(n, cpu);
    if (this.interruptPending) {
      this.interruptPending = false;
      return this.pause(n, cpu, time, { reason: 'interrupt', thread: this.currentGid() });
    }
    if (n === this.untilOrdinal) return this.pause(n, cpu, time, this.arrival());
    if (n <= this.from) return;
    const stop = this.checkStops(cpu, time);
    if (stop) this.pause(n, cpu, time, stop);
  }

  private checkStops(cpu: GuestCpu, time: number): Stop | null {
    if (this.pass!.difference) return { reason: 'diverged', thread: this.currentGid(), detail: this.pass!.difference };
    const gid = this.currentGid();
    if (this.honourBreaks) {
      const hit = this.watchHit();
      if (hit) return hit;
      if (this.watches.hasBreakpoint(cpu.eip)) return { reason: 'breakpoint', thread: gid };
    }
    if (this.stepThread >= 0 && gid === this.stepThread) return { reason: 'step', thread: gid };
    if (this.afterSeq >= 0 && this.k!.recorder.nextSeq > this.afterSeq) return this.arrival();
    if (this.atCycle >= 0 && time >= this.atCycle) return this.arrival();
    return null;
  }

  private targetAddr = -1;

  private arrival(): Stop {
    return { reason: this.targetReason, thread: this.currentGid(), ...(this.targetAddr >= 0 ? { addr: this.targetAddr } : {}), ...(this.report ? { report: this.report } : {}) };
  }

  /** A backward search: note matches until the current position, then go to the last one. */
  private scanStep(n: number, cpu: GuestCpu): void {
    const s = this.scan!;
    if (s.match === 'reverse-continue') {
      // A watched value changed or a watched byte was touched by what ran since the previous instruction
      // (seen at the current position too: the instruction just behind it is the last write).
      const hit = this.watchHit();
      if (hit) this.noteMatch(n - 1, hit.reason, hit.addr ?? -1);
    }
    if (n === s.until) return this.leave(this.scanResult());
    const gid = this.currentGid();
    switch (s.match) {
      case 'reverse-step':
        if (gid === s.thread) this.lastMatch = n;
        return;
      case 'before-event': {
        if (this.k!.recorder.nextSeq > s.seq!) return this.leave(this.scanResult());
        const t = this.k!.exec.current;
        if (t && s.where!(t)) this.lastMatch = n;
        return;
      }
      default:
        if (this.watches.hasBreakpoint(cpu.eip)) this.noteMatch(n, 'breakpoint', -1);
    }
  }

  private lastReason: StopReason = 'breakpoint';
  private lastAddr = -1;

  private noteMatch(n: number, reason: StopReason, addr: number): void {
    this.lastMatch = n;
    this.lastReason = reason;
    this.lastAddr = addr;
  }

  private scanResult(): Plan {
    const s = this.scan!;
    const report = s.report;
    // Nothing between the checkpoint the scan started at and its end: search on below that checkpoint.
    if (this.lastMatch < 0 && this.scanFrom > 0) return { ...s, until: this.scanFrom };
    if (this.lastMatch < 0 && s.match === 'reverse-step' && s.until !== Infinity) {
      // The thread's first instruction: there is no history behind it, so it stays (as rr reports it).
      return { kind: 'forward', move: { kind: 'goto', ordinal: s.until, reason: 'begin' } };
    }
    if (this.lastMatch < 0) {
      const none = s.match === 'before-event' ? [...(report ?? []), 'no instruction of that thread ran before the event: the start of the run'] : report;
      return { kind: 'forward', move: { kind: 'goto', ordinal: 0, reason: 'begin', ...(none ? { report: none } : {}) } };
    }
    const reason: StopReason = s.match === 'reverse-step' ? 'step' : s.match === 'before-event' ? 'arrived' : this.lastReason;
    return { kind: 'forward', move: { kind: 'goto', ordinal: this.lastMatch, reason, ...(this.lastAddr >= 0 ? { addr: this.lastAddr } : {}), ...(report ? { report } : {}) } };
  }

  /** Stopped before instruction `n`: hand control to the controller until it moves. */
  private pause(n: number, cpu: GuestCpu, time: number, stop: Stop): void {
    this.paused = n;
    this.time = time;
    for (;;) {
      const move = this.controller!.stopped(this, stop);
      if (move.kind === 'quit') throw new Quit();
      const plan = this.planFrom(move, n);
      if (plan === null) {
        // forward: the machine goes on from here (or, EIP written, from there)
        if (this.redirect !== null && this.redirect.cpu === cpu) {
          cpu.eip = this.redirect.eip;
          this.redirect = null;
          // The instruction at the new EIP is the one the move starts with: it does not stop there.
          this.from = this.pass!.count;
          throw REDIRECT;
        }
        this.redirect = null;
        return;
      }
      if (plan.kind === 'forward' && plan.move.kind === 'goto' && plan.move.ordinal === n && !this.pass!.diverted) {
        stop = { reason: plan.move.reason ?? 'arrived', thread: stop.thread, ...(plan.move.report ? { report: plan.move.report } : {}) };
        continue;
      }
      return this.leave(plan);
    }
  }

  /**
   * Carry out `move` from position `here`: null when this pass can do it by running on (conditions
   * set), or the plan for a fresh pass.
   */
  private planFrom(move: Move, here: number): Plan | null {
    const seq = this.k ? this.k.recorder.nextSeq : 0;
    // Going back from a changed run returns to the recording where it was changed (rr's diversions end so).
    if (this.pass?.diverted && (move.kind === 'reverse-continue' || move.kind === 'reverse-step')) {
      return { kind: 'forward', move: { kind: 'goto', ordinal: this.pass.divertedAt, reason: 'step', report: ['back to the recording where the run was changed'] } };
    }
    switch (move.kind) {
      case 'reverse-continue':
        return { kind: 'scan', until: this.ended ? Infinity : here, match: 'reverse-continue' };
      case 'reverse-step':
        return { kind: 'scan', until: this.ended ? Infinity : here, match: 'reverse-step', thread: move.thread };
      case 'before-event':
        return { kind: 'scan', until: Infinity, match: 'before-event', seq: move.seq, where: move.where, ...(move.report ? { report: move.report } : {}) };
      case 'goto':
        if (move.ordinal < here || (move.ordinal === here && !this.ended)) return { kind: 'forward', move };
        break;
      case 'goto-seq':
        // Past the event already: only a fresh pass finds the first instruction after it.
        if (seq > move.seq) return { kind: 'forward', move };
        break;
      case 'goto-cycle':
        if (move.cycle < this.cycle || (move.cycle === this.cycle && !this.ended)) return { kind: 'forward', move };
        break;
      default:
        break;
    }
    if (this.ended) return null;
    // A checkpoint further along than the machine the session stands in gets there sooner.
    if (!this.pass!.diverted && (move.kind === 'goto' || move.kind === 'goto-seq' || move.kind === 'goto-cycle') && this.pool.furthest(this.fitsMove(move)) > here) return { kind: 'forward', move };
    this.setForward(move, here);
    return null;
  }

  /** Conditions for a move forward from `here` (-1: a fresh pass). */
  private setForward(move: Move, here: number): void {
    this.clearConditions();
    this.from = here;
    switch (move.kind) {
      case 'continue':
        this.honourBreaks = true;
        break;
      case 'step':
        this.stepThread = move.thread;
        this.honourBreaks = true;
        this.targetReason = 'step';
        break;
      case 'goto':
        this.untilOrdinal = move.ordinal;
        this.report = move.report;
        this.targetReason = move.reason ?? 'arrived';
        this.targetAddr = move.addr ?? -1;
        break;
      case 'goto-seq':
        this.afterSeq = move.seq;
        this.report = move.report;
        break;
      case 'goto-cycle':
        this.atCycle = move.cycle;
        this.report = move.report;
        break;
      default:
        throw new Error(`internal error: ${move.kind} is not a move forward`);
    }
    // Watchpoints compare with what the value is where the move starts.
    this.watches.rebase();
  }

  // -------------------------------------------------------------------------------------------------
  // Changing the run (a diversion, as rr calls it)

  /** A write to EIP of the instruction the machine stands before: where it goes on. */
  private redirect: { cpu: GuestCpu; eip: number } | null = null;

  /**
   * Write guest memory through thread `gid`'s page table (text included, as a debugger may): false when a
   * page is not mapped or the thread runs model code. The run is then no longer the recording's.
   */
  writeMemory(gid: number, addr: number, bytes: Uint8Array): boolean {
    const t = this.k?.threads.get(gid);
    if (!t || !(t.engine instanceof Ia32Engine) || this.ended) return false;
    const space = t.task.space;
    for (let i = 0; i < bytes.length; i++) if (physAddr(space, (addr + i) >>> 0, R) < 0) return false;
    this.divert();
    for (let i = 0; i < bytes.length; i++) this.k!.mem.write(physAddr(space, (addr + i) >>> 0, R), bytes.subarray(i, i + 1));
    return true;
  }

  /** Write a general register (gdb's numbers 0..7), EIP (8) or EFLAGS (9) of thread `gid`; false for others. */
  writeRegister(gid: number, n: number, value: number): boolean {
    const cpu = this.guestCpu(gid);
    if (!cpu || this.ended || n < 0 || n > 9) return false;
    this.divert();
    if (n < 8) cpu.r[n] = value | 0; // gdb's numbers are the encoding's, the CPU's order
    else if (n === 9) cpu.setEflags(value >>> 0);
    else {
      // The instruction the machine stands before is already under way: the run loop is told to go elsewhere.
      if (gid === this.currentGid() && this.paused >= 0) this.redirect = { cpu, eip: value >>> 0 };
      cpu.eip = value >>> 0;
    }
    return true;
  }

  /** Whether the session's machine has been changed by the debugger (until it goes back). */
  get diverted(): boolean {
    return this.pass?.diverted ?? false;
  }

  private divert(): void {
    if (!this.pass!.diverted) this.pass!.divertedAt = Math.max(0, this.paused);
    this.pass!.diverted = true;
    this.pass!.difference = null;
  }

  // -------------------------------------------------------------------------------------------------
  // Checkpoints

  /** One round of background work on the checkpoints (a controller waiting for input calls it); false when there is none. */
  backgroundWork(): boolean {
    return this.pool.work();
  }

  /** Build the checkpoint layout now (once a pass has reached the end, the run's length is known). */
  buildCheckpoints(): void {
    while (this.pool.work());
  }

  // -------------------------------------------------------------------------------------------------
  // Breakpoints and watchpoints

  addBreakpoint(addr: number): void {
    this.watches.addBreakpoint(addr);
  }

  removeBreakpoint(addr: number): void {
    this.watches.removeBreakpoint(addr);
  }

  /** Watch `len` bytes at `addr` in the address space of thread `gid`; false if it has none. */
  addWatchpoint(kind: WatchKind, addr: number, len: number, gid: number): boolean {
    const t = this.k?.threads.get(gid);
    if (!t || !(t.engine instanceof Ia32Engine)) return false;
    return this.watches.addWatchpoint(kind, addr, len, t.task.no);
  }

  removeWatchpoint(kind: WatchKind, addr: number, len: number): boolean {
    return this.watches.removeWatchpoint(kind, addr, len);
  }

  private watchHit(): Stop | null {
    const hit = this.watches.hit();
    return hit ? { reason: hit.reason, thread: this.currentGid(), addr: hit.addr } : null;
  }

  // -------------------------------------------------------------------------------------------------
  // What a stopped machine shows

  get kernel(): Kernel | null {
    return this.k;
  }

  /** The instruction ordinal the machine stands before (the count of instructions run, at the end). */
  get position(): number {
    return this.paused;
  }

  get atEnd(): boolean {
    return this.ended;
  }

  /** Events regenerated so far (the next event's sequence number). */
  get nextSeq(): number {
    return this.k ? this.k.recorder.nextSeq : 0;
  }

  /** The cycle of the instruction the machine stands before (the end time at the end). */
  get cycle(): number {
    if (this.ended && this.k) return Math.max(...this.k.cpus.map((c) => c.time));
    return this.time;
  }

  get endReason(): string {
    return this.endDetail;
  }

  currentGid(): number | null {
    if (this.ended) return null;
    return this.k?.exec?.current?.gid ?? null;
  }

  thread(gid: number): Thread | undefined {
    return this.k?.threads.get(gid);
  }

  threads(): ThreadInfo[] {
    if (!this.k) return [];
    const out: ThreadInfo[] = [];
    for (const t of this.k.threads.values()) {
      if (t.state === 'dead') continue;
      out.push({ gid: t.gid, name: t.name, kind: t.engine instanceof Ia32Engine ? 'ia32' : 'model', state: t.state, pid: t.linuxPid, tgid: t.linuxTgid || t.linuxPid, task: t.task.no });
    }
    return out.sort((a, b) => a.gid - b.gid);
  }

  /** The guest CPU state of an IA32 thread, or null (model code has no registers). */
  guestCpu(gid: number): GuestCpu | null {
    const t = this.k?.threads.get(gid);
    return t && t.engine instanceof Ia32Engine ? t.engine.cpu : null;
  }

  /** Up to `len` bytes at `addr` in thread `gid`'s address space: as many as are mapped from `addr` on. */
  readMemory(gid: number, addr: number, len: number): Uint8Array | null {
    const t = this.k?.threads.get(gid);
    if (!t || !(t.engine instanceof Ia32Engine)) return null;
    return readVirtual(this.k!, t.task.space, addr, len);
  }
}

/** Bytes of a virtual range through a page table, stopping at the first page that is not readable. */
function readVirtual(k: Kernel, space: AddressSpace, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const a = (addr + done) >>> 0;
    if (done > 0 && a === 0) break; // wrapped around the top of the address space
    const p = physAddr(space, a, R);
    if (p < 0) break;
    const n = Math.min(len - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
    out.set(k.mem.bytes.subarray(p, p + n), done);
    done += n;
  }
  return out.subarray(0, done);
}
