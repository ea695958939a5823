/**
 * getrandom: bytes from the decision tape (random.ts). The pool is always ready, so GRND_NONBLOCK never
 * matters and GRND_RANDOM draws from the same source (as Linux 5.6 and later); unknown flags, or
 * GRND_INSECURE with GRND_RANDOM, are EINVAL. A call returns at most 256 bytes (Linux returns short
 * counts for larger requests too), so one call adds at most 64 words to the tape.
 */
import { EFAULT, EINVAL, NR } from '../abi.js';
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from '../abi-calls.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { randomBytes } from '../random.js';
import { copyToUser } from '../uaccess.js';
import type { SyscallTable } from './syscall.js';

/** Bytes one getrandom call returns at most (reads up to 256 bytes are never short on Linux either). */
export const GETRANDOM_MAX = 256;

function* sysGetrandom(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const flags = a[2]!;
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) || (flags & GRND_INSECURE && flags & GRND_RANDOM)) return -EINVAL;
  const n = Math.min(a[1]!, GETRANDOM_MAX);
  if (n === 0) return 0;
  return (yield* copyToUser(lx, proc, a[0]!, randomBytes(lx, n))) ? n : -EFAULT;
}

export const RANDOM_SYSCALLS: SyscallTable = [[NR.getrandom, sysGetrandom]];
