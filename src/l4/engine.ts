/**
 * The narrow interface between the kernel and whatever executes a thread's code. Two engines exist:
 * model code (TypeScript generators, src/l4/model-engine.ts) and guest IA32 code (src/ia32). The kernel
 * only asks an engine to run for a budget of cycles, hands back operation results, and reads or redirects
 * its instruction and stack pointers for lthread_ex_regs.
 */
import type { KernelOp, OpResult } from './ops.js';

export interface RunResult {
  /** Cycles consumed. */
  cycles: number;
  /** The kernel operation that stopped the run (a system call, a fault, exit); none = budget used up. */
  op?: KernelOp | FaultOp;
}

/** A fault raised by guest code: the kernel turns it into a page-fault IPC or an exception. */
export interface FaultOp {
  op: 'fault';
  /** 'pf' page fault, 'ud' invalid opcode, 'de' divide error, 'gp' general protection, 'np' segment not present, 'ss' stack segment. */
  fault: 'pf' | 'ud' | 'de' | 'gp' | 'np' | 'ss';
  addr: number;
  write: boolean;
  ip: number;
  detail?: string;
}

export interface Registers {
  ip: number;
  sp: number;
  flags: number;
}

export interface Engine {
  readonly kind: 'model' | 'ia32';
  run(budget: number): RunResult;
  /** The result of the operation that stopped the last run. */
  resume(result: OpResult): void;
  /** Re-execute the operation that faulted (after the pager mapped the page). */
  retry(): void;
  regs(): Registers;
  /**
   * lthread_ex_regs: continue at ip/sp (a value of ~0 keeps the old one). Returns false when this engine
   * cannot run code at `ip`; the kernel then picks another engine for the thread.
   */
  redirect(ip: number, sp: number): boolean;
  /** A short canonical description of the engine's state, for the machine-state digest. */
  stateDigest(): string;
  /** What `replay --inspect` shows about the thread's execution state. */
  describe(): Record<string, unknown>;
}

/** ~0: "keep the current value" in lthread_ex_regs. */
export const KEEP = 0xffffffff;
