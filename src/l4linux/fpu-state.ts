/**
 * The x87 state across fork: the child starts with the parent's FPU (control word, status, registers),
 * as Linux 2.4's copy_thread copies the i387 state. exec starts a fresh FPU (a new engine's).
 */
import type { Linux } from './linux.js';
import type { Process } from './process.js';

const FSAVE_BYTES = 108;

/** fork: remember the parent's FPU state for the child's first entry to user mode. */
export function forkFpu(lx: Linux, parent: Process, child: Process): void {
  const fpu = lx.platform.userFpu(parent);
  if (!fpu) return;
  const image = new Uint8Array(FSAVE_BYTES);
  fpu.save(image, 0);
  child.startFpu = image;
}

/** The child's first entry: its thread gets the FPU state fork saved. */
export function startFpu(lx: Linux, proc: Process): void {
  if (!proc.startFpu) return;
  lx.platform.userFpu(proc)?.restore(proc.startFpu, 0);
  proc.startFpu = null;
}

