/**
 * The model-code engine: a thread whose code is a TypeScript generator yielding kernel operations.
 * `work(n)` consumes n cycles (and can be preempted half-way); every other operation traps into the
 * kernel, and the generator is resumed with the result when the operation completes.
 */
import type { EventBuffer } from '../../tracer/recorder.js';
import type { Fpu } from '../ia32/x87/fpu.js';
import type { Segments } from '../ia32/segments.js';
import type { CostProfile } from './costs.js';
import type { Choices } from '../sim/choices.js';
import type { GuestImage } from './guest-image.js';
import type { Engine, Registers, RunResult } from './engine.js';
import { KEEP } from './engine.js';
import type { KernelOp, OpGenerator, OpResult } from './ops.js';

/** What model code can see of its thread and the machine. */
export interface ModelCtx {
  readonly gid: number;
  readonly task: number;
  readonly lthread: number;
  /** Initial stack pointer and entry point (model code ignores them, but ex_regs reports them). */
  readonly ip: number;
  readonly sp: number;
  readonly trace: EventBuffer;
  /** Current cycle time of the thread's CPU. */
  now(): number;
  intern(s: string): number;
  /** Read / write the thread's own address space (the pages must be mapped; model code touches them first). */
  readMem(vaddr: number, len: number): Uint8Array;
  writeMem(vaddr: number, data: Uint8Array): void;
  /** Services of the machine that model code may use (names, stop requests, scenario hooks). */
  readonly machine: ModelServices;
  /**
   * For programs that accept redirection: the ip/sp another thread set with lthread_ex_regs since the
   * last call (cleared by reading), or null.
   */
  takeRedirect(): { ip: number; sp: number } | null;
}

export interface ModelServices {
  /** End the run with an outcome (model code that knows the scenario's goal is reached). */
  requestStop(outcome: 'ok' | 'hang' | 'fault' | 'fail', detail: string): void;
  /** Record a scenario metric for the footer. */
  metric(name: string, value: number, unit: string): void;
  /** Look up a named value the scenario provided (gids of servers, parameters). */
  param<T = unknown>(name: string): T;
  /** The gid of lthread `lthread` in the current incarnation of task `task`. */
  threadId(task: number, lthread: number): number;
  /** A guest program of this machine, by name. */
  image(name: string): GuestImage;
  /** Every guest program the machine knows; the Linux server adds the programs it execs from its files. */
  readonly images: Map<string, GuestImage>;
  /** The decision tape: every choice model code makes (random bytes a guest reads) goes through it. */
  readonly choices: Choices;
  /** The cost profile in force (model code charges its own work with it). */
  readonly costs: CostProfile;
  /** Write guest console output (stdout of `l4trace run`); it never influences the machine. */
  console(fd: number, data: Uint8Array): void;
  /** A chaos point in model code: the cycles to delay it by (0 = none; see Kernel.chaosDelay). */
  chaosDelay(): number;
  /**
   * The x87 state of IA32 thread `g`, or null: the FPU context the microkernel keeps per thread (its lazy
   * FPU switch holds it in the thread control block), which the Linux server saves into and restores
   * from signal frames (docs/x87.md).
   */
  fpu(g: number): Fpu | null;
  /** Tell the user why a guest may fail (printed by run/record) and mark it in thread `g`'s trace. */
  diagnose(g: number, text: string, value: number): void;
  /**
   * The segment state (selectors, TLS entries, LDT) of thread `g`, or null: what the emulation library
   * passes beside the exception words (docs/segments.md).
   */
  segments(g: number): Segments | null;
}

export interface ModelProgram {
  readonly name: string;
  /**
   * lthread_ex_regs to another ip is noted (ctx.takeRedirect) instead of replacing the program: model
   * code that stands for code which would handle the redirection itself (the emulation library).
   */
  readonly acceptsRedirect?: boolean;
  run(ctx: ModelCtx): OpGenerator;
}

export class ModelEngine implements Engine {
  readonly kind = 'model' as const;
  private gen: OpGenerator;
  private pendingWork = 0;
  private result: OpResult = undefined;
  private lastOp: KernelOp | undefined;
  private retrying = false;
  private finished = false;
  private redirected: { ip: number; sp: number } | null = null;

  constructor(
    private program: ModelProgram,
    ctx: ModelCtx,
    private ip: number,
    private sp: number,
  ) {
    this.gen = program.run(ctx);
  }

  run(budget: number): RunResult {
    if (this.pendingWork > 0) {
      const n = Math.min(this.pendingWork, budget);
      this.pendingWork -= n;
      return { cycles: n };
    }
    if (this.finished) return { cycles: 0, op: { op: 'exit', code: 0 } };
    if (this.retrying && this.lastOp) {
      this.retrying = false;
      return { cycles: 0, op: this.lastOp };
    }
    const step = this.gen.next(this.result);
    this.result = undefined;
    if (step.done) {
      this.finished = true;
      return { cycles: 0, op: { op: 'exit', code: 0 } };
    }
    const op = step.value;
    this.lastOp = op;
    if (op.op === 'work') {
      const n = Math.min(op.cycles, budget);
      this.pendingWork = op.cycles - n;
      return { cycles: n };
    }
    return { cycles: 0, op };
  }

  resume(result: OpResult): void {
    this.result = result;
  }

  retry(): void {
    this.retrying = true;
  }

  regs(): Registers {
    return { ip: this.ip, sp: this.sp, flags: 0 };
  }

  takeRedirect(): { ip: number; sp: number } | null {
    const r = this.redirected;
    this.redirected = null;
    return r;
  }

  redirect(ip: number, sp: number): boolean {
    if (this.program.acceptsRedirect && ip !== KEEP && ip !== this.ip) {
      this.redirected = { ip, sp };
      return true;
    }
    if (sp !== KEEP) this.sp = sp;
    // Model code cannot jump into itself; a new ip means a new program (chosen by the kernel).
    return ip === KEEP || ip === this.ip;
  }

  stateDigest(): string {
    return `model:${this.program.name}:${this.pendingWork}:${this.finished ? 1 : 0}:${this.lastOp?.op ?? '-'}`;
  }

  describe(): Record<string, unknown> {
    return { engine: 'model', program: this.program.name, pendingWork: this.pendingWork, lastOp: this.lastOp?.op ?? null, finished: this.finished };
  }
}
