/**
 * Signal sets of Linux's 64 signals as two 32-bit words, as i386 stores sigset_t: signals 1..32 in the
 * low word (a process's `pending` / `blocked`, which the older code uses directly) and the real-time
 * signals 33..64 in the high word (`pendingRt` / `blockedRt`).
 */
import { SIG, sigbit } from './abi.js';
import { NSIG64 } from './abi-calls.js';
import type { Process } from './process.js';

/** [signals 1..32, signals 33..64]. */
export type SigSet = [number, number];

/** Bit of signal `sig` in the high word (signals 33..64), 0 otherwise. */
export const rtbit = (sig: number): number => (sig > 32 && sig <= NSIG64 ? (1 << (sig - 33)) >>> 0 : 0);

export const validSignal = (sig: number): boolean => sig >= 1 && sig <= NSIG64;

/** The set without SIGKILL and SIGSTOP, which can be neither blocked nor waited for. */
export const withoutUnblockable = ([lo, hi]: SigSet): SigSet => [(lo & ~(sigbit(SIG.KILL) | sigbit(SIG.STOP))) >>> 0, hi >>> 0];

export function has([lo, hi]: SigSet, sig: number): boolean {
  return ((sig <= 32 ? lo & sigbit(sig) : hi & rtbit(sig)) >>> 0) !== 0;
}

export function add([lo, hi]: SigSet, sig: number): SigSet {
  return [(lo | sigbit(sig)) >>> 0, (hi | rtbit(sig)) >>> 0];
}

export function or(a: SigSet, b: SigSet): SigSet {
  return [(a[0] | b[0]) >>> 0, (a[1] | b[1]) >>> 0];
}

export function and(a: SigSet, b: SigSet): SigSet {
  return [(a[0] & b[0]) >>> 0, (a[1] & b[1]) >>> 0];
}

export function andNot(a: SigSet, b: SigSet): SigSet {
  return [(a[0] & ~b[0]) >>> 0, (a[1] & ~b[1]) >>> 0];
}

/** The lowest signal in the set, or 0. */
export function lowest([lo, hi]: SigSet): number {
  if (lo !== 0) return 32 - Math.clz32(lo & -lo);
  if (hi !== 0) return 64 - Math.clz32(hi & -hi);
  return 0;
}

export const blockedOf = (p: Process): SigSet => [p.blocked >>> 0, p.blockedRt >>> 0];
/** What the thread may take: its own pending signals and its process's shared ones. */
export const pendingOf = (p: Process): SigSet => [(p.pending | p.group.sharedPending) >>> 0, (p.pendingRt | p.group.sharedPendingRt) >>> 0];
/** The thread's own pending signals. */
export const ownPendingOf = (p: Process): SigSet => [p.pending >>> 0, p.pendingRt >>> 0];

/** Make `set` the process's blocked mask (SIGKILL and SIGSTOP stay unblocked). */
export function setBlocked(p: Process, set: SigSet): void {
  [p.blocked, p.blockedRt] = withoutUnblockable(set);
}

export function setPending(p: Process, set: SigSet): void {
  [p.pending, p.pendingRt] = set;
}

/** The set as user memory holds a kernel sigset_t (8 bytes, little-endian words). */
export function sigsetBytes([lo, hi]: SigSet): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, lo >>> 0, true);
  dv.setUint32(4, hi >>> 0, true);
  return b;
}
