/**
 * A process's identity (Linux's struct cred): real, effective, saved and file-system user and group
 * ids and the supplementary groups, with the rules by which the set*id calls may change them.
 *
 * Privilege is root's: a process whose effective uid is 0 holds CAP_SETUID, CAP_SETGID, CAP_KILL,
 * CAP_SYS_RESOURCE ... (Linux's capability emulation of the traditional model: the effective
 * capabilities follow the effective uid), and no other process holds any.
 */
import { EINVAL } from './abi.js';
import { EPERM } from './abi-calls.js';

/** (uid_t)-1: "leave unchanged" in the set*id calls, and never a valid id. */
export const NO_ID = 0xffffffff;
/** Linux's NGROUPS_MAX. */
export const NGROUPS_MAX = 65536;
/** The id the 16-bit calls report for an id that does not fit (overflowuid / overflowgid). */
export const OVERFLOW_ID = 65534;

/** An id as the 16-bit calls (getuid, setuid ... without 32) see it. */
export const lowId = (id: number): number => (id > 0xffff ? OVERFLOW_ID : id);
/** A 16-bit call's argument as a full id: (old_uid_t)-1 stays "unchanged". */
export const highId = (id: number): number => ((id & 0xffff) === 0xffff ? NO_ID : id & 0xffff);

/** Real, effective, saved, file-system: one set for users, one for groups. */
export interface IdSet {
  r: number;
  e: number;
  s: number;
  fs: number;
}

export class Cred {
  readonly user: IdSet = { r: 0, e: 0, s: 0, fs: 0 };
  readonly group: IdSet = { r: 0, e: 0, s: 0, fs: 0 };
  groups: number[] = [];

  clone(): Cred {
    const c = new Cred();
    Object.assign(c.user, this.user);
    Object.assign(c.group, this.group);
    c.groups = this.groups.slice();
    return c;
  }

  /** Root's capabilities (see the file comment). */
  get privileged(): boolean {
    return this.user.e === 0;
  }
}

/** setuid / setgid: root sets all three ids (and fs); others only the effective one, to the real or saved id. */
export function setId(ids: IdSet, id: number, privileged: boolean): number {
  if (id === NO_ID) return -EINVAL;
  if (privileged) ids.r = ids.s = id;
  else if (id !== ids.r && id !== ids.s) return -EPERM;
  ids.e = ids.fs = id;
  return 0;
}

/**
 * setreuid / setregid: without privilege the real id may become the real or effective one, the effective
 * id the real, effective or saved one. The saved id follows the new effective id when the real id is
 * set, or the effective id is set to something other than the old real id.
 */
export function setReId(ids: IdSet, r: number, e: number, privileged: boolean): number {
  if (!privileged) {
    if (r !== NO_ID && r !== ids.r && r !== ids.e) return -EPERM;
    if (e !== NO_ID && e !== ids.r && e !== ids.e && e !== ids.s) return -EPERM;
  }
  const oldR = ids.r;
  if (r !== NO_ID) ids.r = r;
  if (e !== NO_ID) ids.e = e;
  if (r !== NO_ID || (e !== NO_ID && e !== oldR)) ids.s = ids.e;
  ids.fs = ids.e;
  return 0;
}

/** setresuid / setresgid: without privilege each new id must be one of the three old ones. */
export function setResId(ids: IdSet, r: number, e: number, s: number, privileged: boolean): number {
  const old = [ids.r, ids.e, ids.s];
  if (!privileged && [r, e, s].some((id) => id !== NO_ID && !old.includes(id))) return -EPERM;
  if (r !== NO_ID) ids.r = r;
  if (e !== NO_ID) ids.e = e;
  if (s !== NO_ID) ids.s = s;
  ids.fs = ids.e;
  return 0;
}

/**
 * Whether a process with `sender` credentials may signal one with `target`'s (kill_ok_by_cred): root
 * may signal anyone, others a process whose real or saved uid is their real or effective uid.
 */
export function maySignal(sender: Cred, target: Cred): boolean {
  if (sender.privileged) return true;
  const mine = [sender.user.r, sender.user.e];
  return mine.includes(target.user.r) || mine.includes(target.user.s);
}

/**
 * Whether `caller` may change `target`'s scheduling or limits (set_one_prio's and prlimit's check,
 * simplified to uids): root, or the same user.
 */
export function mayControl(caller: Cred, target: Cred): boolean {
  if (caller.privileged) return true;
  return caller.user.e === target.user.e || caller.user.e === target.user.r;
}
