/**
 * The shape of a system call: a coroutine body that returns the result for EAX (a negative errno on
 * failure) or null when the caller does not return (exit, a successful execve, a fatal signal).
 * Arguments are the six registers EBX ECX EDX ESI EDI EBP as unsigned 32-bit values; `regs` is the
 * whole exception frame (fork and sigreturn need it).
 */
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';

export type Syscall = (lx: Linux, proc: Process, a: number[], regs: number[]) => LxGen<number | null>;

/** A table of calls one file implements: (number, body) pairs, merged by syscalls.ts. */
export type SyscallTable = readonly (readonly [number, Syscall])[];

/** A call whose result is a value known up front. */
export function* value(v: number): LxGen<number | null> {
  return v;
}

/** A signed view of a register argument. */
export const i32 = (v: number): number => v | 0;
