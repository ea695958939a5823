/** (filled in by the helper that owns this file) */
import type { SyscallTable } from './syscall.js';

export const TIME_SYSCALLS: SyscallTable = [];
