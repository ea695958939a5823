/**
 * Who a process is: user and group ids (the 16-bit i386 calls and their ...32 forms; cred.ts has the
 * rules), supplementary groups, process groups and sessions, thread id, name (prctl), personality,
 * set_tid_address and the robust list. The limits and scheduling calls (limits.ts), what the system
 * tells about itself (system.ts) and getrandom (random.ts) join this table.
 *
 * Every process starts as root (uid 0, gid 0); a fork child has its parent's identity; execve keeps it
 * (there are no set-user-id files).
 */
import { EFAULT, EINVAL, ESRCH, NR } from '../abi.js';
import { COMM_BYTES, EACCES, EPERM, PR_GET_NAME, PR_SET_NAME } from '../abi-calls.js';
import type { LxGen } from '../coroutine.js';
import { highId, lowId, NGROUPS_MAX, NO_ID, setId, setReId, setResId, type IdSet } from '../cred.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyFromUser, copyToUser, writeWords } from '../uaccess.js';
import { LIMITS_SYSCALLS } from './limits.js';
import { RANDOM_SYSCALLS } from './random.js';
import { SYSTEM_SYSCALLS } from './system.js';
import { i32, value, type Syscall, type SyscallTable } from './syscall.js';

/** The 16-bit calls (old_uid_t) or the ...32 ones. */
type Width = 16 | 32;

const idsOf = (proc: Process, kind: 'user' | 'group'): IdSet => proc.cred[kind];
const fromArg = (v: number, width: Width): number => (width === 16 ? highId(v) : v >>> 0);
const toUser = (id: number, width: Width): number => (width === 16 ? lowId(id) : id);

function getId(kind: 'user' | 'group', which: 'r' | 'e', width: Width): Syscall {
  return (_lx, proc) => value(toUser(idsOf(proc, kind)[which], width));
}

/** Ids written as old_uid_t (2 bytes each) or uid_t. */
function* writeIds(lx: Linux, proc: Process, at: number, ids: number[], width: Width): LxGen<boolean> {
  if (width === 32) return yield* writeWords(lx, proc, at, ids);
  const b = new Uint8Array(ids.length * 2);
  ids.forEach((id, i) => new DataView(b.buffer).setUint16(i * 2, lowId(id), true));
  return yield* copyToUser(lx, proc, at, b);
}

function* readIds(lx: Linux, proc: Process, at: number, count: number, width: Width): LxGen<number[] | null> {
  const b = yield* copyFromUser(lx, proc, at, count * (width / 8));
  if (!b) return null;
  const dv = new DataView(b.buffer);
  return Array.from({ length: count }, (_, i) => (width === 16 ? highId(dv.getUint16(i * 2, true)) : dv.getUint32(i * 4, true)));
}

function setIdCall(kind: 'user' | 'group', width: Width): Syscall {
  return (_lx, proc, a) => value(setId(idsOf(proc, kind), fromArg(a[0]!, width), proc.cred.privileged));
}

function setReIdCall(kind: 'user' | 'group', width: Width): Syscall {
  return (_lx, proc, a) => value(setReId(idsOf(proc, kind), fromArg(a[0]!, width), fromArg(a[1]!, width), proc.cred.privileged));
}

function setResIdCall(kind: 'user' | 'group', width: Width): Syscall {
  return (_lx, proc, a) => value(setResId(idsOf(proc, kind), fromArg(a[0]!, width), fromArg(a[1]!, width), fromArg(a[2]!, width), proc.cred.privileged));
}

/** getresuid / getresgid: the three ids, each to its own pointer. */
function getResIdCall(kind: 'user' | 'group', width: Width): Syscall {
  return function* (lx, proc, a) {
    const ids = idsOf(proc, kind);
    for (const [i, id] of [ids.r, ids.e, ids.s].entries()) if (!(yield* writeIds(lx, proc, a[i]!, [id], width))) return -EFAULT;
    return 0;
  };
}

/** getgroups(size, list): size 0 asks for the count; a smaller list than the groups is EINVAL. */
function getGroupsCall(width: Width): Syscall {
  return function* (lx, proc, a) {
    const size = i32(a[0]!);
    const groups = proc.cred.groups;
    if (size < 0) return -EINVAL;
    if (size === 0) return groups.length;
    if (size < groups.length) return -EINVAL;
    return (yield* writeIds(lx, proc, a[1]!, groups, width)) ? groups.length : -EFAULT;
  };
}

/** setgroups(size, list): root only (EPERM), at most NGROUPS_MAX (EINVAL); kept sorted, as Linux keeps them. */
function setGroupsCall(width: Width): Syscall {
  return function* (lx, proc, a) {
    const size = a[0]!;
    if (!proc.cred.privileged) return -EPERM;
    if (size > NGROUPS_MAX) return -EINVAL;
    const ids = size === 0 ? [] : yield* readIds(lx, proc, a[1]!, size, width);
    if (!ids) return -EFAULT;
    if (ids.includes(NO_ID)) return -EINVAL;
    proc.cred.groups = ids.sort((x, y) => x - y);
    return 0;
  };
}

/** Process ids name zombies too, until they are reaped (find_task_by_vpid). */
const find = (lx: Linux, proc: Process, pid: number): Process | undefined => (pid === 0 ? proc : lx.processes.get(pid));

const someInGroup = (lx: Linux, pgrp: number, sid?: number): boolean => [...lx.processes.values()].some((p) => p.group.pgrp === pgrp && (sid === undefined || p.group.sid === sid));

/**
 * setpgid(pid, pgid): the caller or a child of it (else ESRCH) that has not exec'd (EACCES), in the
 * caller's session (EPERM), not a session leader (EPERM); joining another group needs one in the same
 * session (EPERM).
 */
function* sysSetpgid(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const pid = i32(a[0]!) || proc.pid;
  const pgid = i32(a[1]!) || pid;
  if (pgid < 0) return -EINVAL;
  const p = lx.processes.get(pid);
  if (!p) return -ESRCH;
  if (p.parent === proc && p !== proc) {
    if (p.group.sid !== proc.group.sid) return -EPERM;
    if (p.didExec) return -EACCES;
  } else if (p !== proc) return -ESRCH;
  if (p.group.sid === p.pid) return -EPERM;
  if (pgid !== pid && !someInGroup(lx, pgid, proc.group.sid)) return -EPERM;
  p.group.pgrp = pgid;
  return 0;
}

function* sysGetpgid(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const p = find(lx, proc, i32(a[0]!));
  return p ? p.group.pgrp : -ESRCH;
}

function* sysGetsid(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const p = find(lx, proc, i32(a[0]!));
  return p ? p.group.sid : -ESRCH;
}

/** setsid: a new session and process group named by the caller, unless a group already has that id (EPERM). */
function* sysSetsid(lx: Linux, proc: Process): LxGen<number | null> {
  if (someInGroup(lx, proc.pid)) return -EPERM;
  proc.group.sid = proc.group.pgrp = proc.pid;
  return proc.pid;
}

/** The comm's bytes (the name prctl gave is kept as bytes). */
const commBytes = (proc: Process): Uint8Array => (proc.comm ?? new TextEncoder().encode(proc.commName())).subarray(0, COMM_BYTES - 1);

/** Up to `max` bytes of a NUL-terminated string, byte by byte (strncpy_from_user), or null on a fault. */
function* readBytes(lx: Linux, proc: Process, at: number, max: number): LxGen<Uint8Array | null> {
  const out: number[] = [];
  while (out.length < max) {
    const b = yield* copyFromUser(lx, proc, at + out.length, 1);
    if (!b) return null;
    if (b[0] === 0) break;
    out.push(b[0]!);
  }
  return Uint8Array.from(out);
}

/** prctl: PR_SET_NAME and PR_GET_NAME; any other option is EINVAL. */
function* sysPrctl(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[0] === PR_SET_NAME) {
    const name = yield* readBytes(lx, proc, a[1]!, COMM_BYTES - 1);
    if (!name) return -EFAULT;
    proc.comm = name;
    return 0;
  }
  if (a[0] === PR_GET_NAME) {
    const out = new Uint8Array(COMM_BYTES);
    out.set(commBytes(proc));
    return (yield* copyToUser(lx, proc, a[1]!, out)) ? 0 : -EFAULT;
  }
  return -EINVAL;
}

/** personality: 0xffffffff asks; any other value is recorded. Returns the previous one (PER_LINUX = 0). */
function* sysPersonality(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const old = proc.personality;
  if (a[0] !== 0xffffffff) proc.personality = a[0]!;
  return old;
}

/** struct robust_list_head on i386. */
const ROBUST_LIST_HEAD_BYTES = 12;

function* sysSetRobustList(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[1] !== ROBUST_LIST_HEAD_BYTES) return -EINVAL;
  proc.robustList = { head: a[0]!, len: a[1]! };
  return 0;
}

/** get_robust_list(pid, head_ptr, len_ptr): the length is written first, as Linux does. */
function* sysGetRobustList(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const p = find(lx, proc, i32(a[0]!));
  if (!p) return -ESRCH;
  if (p !== proc && !proc.cred.privileged && p.cred.user.r !== proc.cred.user.r) return -EPERM;
  if (!(yield* writeWords(lx, proc, a[2]!, [ROBUST_LIST_HEAD_BYTES]))) return -EFAULT;
  return (yield* writeWords(lx, proc, a[1]!, [p.robustList.head])) ? 0 : -EFAULT;
}

const ID_CALLS: SyscallTable = [
  [NR.getuid, getId('user', 'r', 16)],
  [NR.geteuid, getId('user', 'e', 16)],
  [NR.getgid, getId('group', 'r', 16)],
  [NR.getegid, getId('group', 'e', 16)],
  [NR.getuid32, getId('user', 'r', 32)],
  [NR.geteuid32, getId('user', 'e', 32)],
  [NR.getgid32, getId('group', 'r', 32)],
  [NR.getegid32, getId('group', 'e', 32)],
  [NR.setuid, setIdCall('user', 16)],
  [NR.setgid, setIdCall('group', 16)],
  [NR.setuid32, setIdCall('user', 32)],
  [NR.setgid32, setIdCall('group', 32)],
  [NR.setreuid, setReIdCall('user', 16)],
  [NR.setregid, setReIdCall('group', 16)],
  [NR.setreuid32, setReIdCall('user', 32)],
  [NR.setregid32, setReIdCall('group', 32)],
  [NR.setresuid, setResIdCall('user', 16)],
  [NR.setresgid, setResIdCall('group', 16)],
  [NR.setresuid32, setResIdCall('user', 32)],
  [NR.setresgid32, setResIdCall('group', 32)],
  [NR.getresuid, getResIdCall('user', 16)],
  [NR.getresgid, getResIdCall('group', 16)],
  [NR.getresuid32, getResIdCall('user', 32)],
  [NR.getresgid32, getResIdCall('group', 32)],
  [NR.getgroups, getGroupsCall(16)],
  [NR.setgroups, setGroupsCall(16)],
  [NR.getgroups32, getGroupsCall(32)],
  [NR.setgroups32, setGroupsCall(32)],
];

const PROCESS_CALLS: SyscallTable = [
  [NR.setpgid, sysSetpgid],
  [NR.getpgid, sysGetpgid],
  [NR.getsid, sysGetsid],
  [NR.setsid, sysSetsid],
  [NR.prctl, sysPrctl],
  [NR.personality, sysPersonality],
  [NR.set_robust_list, sysSetRobustList],
  [NR.get_robust_list, sysGetRobustList],
];

export const IDENTITY_SYSCALLS: SyscallTable = [...ID_CALLS, ...PROCESS_CALLS, ...LIMITS_SYSCALLS, ...SYSTEM_SYSCALLS, ...RANDOM_SYSCALLS];
