/** A Linux process as the server keeps it (its task_struct). */
import type { ProcessMemory } from './mm.js';

export type ProcessState = 'running' | 'zombie';

export class Process {
  state: ProcessState = 'running';
  exitStatus = 0;
  /** The L4 id of the process's user thread (lthread 0 of its task). */
  thread = 0;

  constructor(
    readonly pid: number,
    readonly ppid: number,
    readonly task: number,
    public name: string,
    public mm: ProcessMemory,
  ) {}
}

/** Wait status as waitpid reports it: exit code << 8, or the terminating signal. */
export const exitedStatus = (code: number): number => (code & 0xff) << 8;
export const signaledStatus = (sig: number): number => sig & 0x7f;
