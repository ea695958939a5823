/**
 * Identity, limits and what the system tells about itself (src/l4linux/sys/identity.ts, limits.ts,
 * system.ts): system-call programs under every personality, compared with a native run where the host
 * can run i386 programs as root (every simulated process starts as root).
 */
import { describe, expect, it } from 'vitest';
import { NR } from '../../src/l4linux/abi.js';
import { RLIMIT } from '../../src/l4linux/abi-calls.js';
import { MAX_FDS } from '../../src/l4linux/files.js';
import { hostCapable, runEverywhere, runNatively, runSyscallElf, SyscallProgram, type SyscallOutput } from '../support/syscall-elf.js';

const EINVAL = -22;
const ESRCH = -3;
const EPERM = -1;
const EACCES = -13;
const NO_ID = 0xffffffff;

const words = (out: SyscallOutput, names: string[]): Record<string, number[]> =>
  Object.fromEntries(names.map((n) => [n, Array.from({ length: out.raw(n).length / 4 }, (_, i) => out.i32(n, i))]));

/** The native run, when the host runs i386 programs and as root (the simulated processes are root). */
const nativeAsRoot = (p: SyscallProgram): SyscallOutput | null => (process.getuid?.() === 0 ? runNatively(p) : null);

describe('user and group ids', () => {
  const p = new SyscallProgram();
  for (const [name, nr] of [['uid', NR.getuid], ['euid', NR.geteuid], ['gid', NR.getgid], ['egid', NR.getegid], ['uid32', NR.getuid32], ['egid32', NR.getegid32]] as const) p.call(name, nr);
  p.call('setgroups', NR.setgroups32, 3, p.words('groups', [50, 3, 7]));
  p.call('ngroups', NR.getgroups32, 0, 0);
  p.call('getgroupsSmall', NR.getgroups32, 1, p.buf('g1', 4));
  p.call('getgroups', NR.getgroups32, 3, p.buf('g3', 12));
  p.call('getgroups16', NR.getgroups, 3, p.buf('g16', 8));
  p.call('setgroupsBad', NR.setgroups32, 1, p.words('badgroup', [NO_ID]));
  p.call('lowerCore', NR.setrlimit, RLIMIT.CORE, p.words('core0', [0, 8192]));
  p.call('setresgid', NR.setresgid32, 100, 101, 102);
  p.call('getresgid', NR.getresgid32, p.buf('rg', 4), p.buf('eg', 4), p.buf('sg', 4));
  p.call('setresuid', NR.setresuid32, 1000, 1001, 1002);
  p.call('getresuid', NR.getresuid32, p.buf('r1', 4), p.buf('e1', 4), p.buf('s1', 4));
  p.call('getresuid16', NR.getresuid, p.buf('r16', 4), p.buf('e16', 4), p.buf('s16', 4));
  p.call('setuidSaved', NR.setuid32, 1002); // unprivileged: to the saved id
  p.call('getresuid2', NR.getresuid32, p.buf('r2', 4), p.buf('e2', 4), p.buf('s2', 4));
  p.call('setuidOther', NR.setuid32, 5);
  p.call('setreuidE', NR.setreuid32, NO_ID, 1000); // to the real id: saved unchanged
  p.call('getresuid3', NR.getresuid32, p.buf('r3', 4), p.buf('e3', 4), p.buf('s3', 4));
  p.call('setreuidR', NR.setreuid32, 1002, NO_ID); // the real id only to the real or effective one
  p.call('setreuidE2', NR.setreuid32, NO_ID, 1002); // to the saved id: saved follows
  p.call('getresuid4', NR.getresuid32, p.buf('r4', 4), p.buf('e4', 4), p.buf('s4', 4));
  p.call('setgroupsUser', NR.setgroups32, 0, 0);
  p.call('setgidReal', NR.setgid32, 100);
  p.call('getegidAfter', NR.getegid32);
  p.call('setuid16Minus1', NR.setuid, 0xffff);
  p.call('uid16After', NR.getuid);
  p.call('setresuidRoot', NR.setresuid32, 0, 0, 0);
  p.call('prlimitRaise', NR.prlimit64, 0, RLIMIT.CORE, p.words('coreInf', [0, 0, 0xffffffff, 0xffffffff]), 0);
  p.finish();

  it('root may set any id; afterwards the unprivileged rules apply', () => {
    const slots = ['uid', 'euid', 'gid', 'egid', 'uid32', 'egid32', 'setgroups', 'ngroups', 'getgroupsSmall', 'getgroups', 'g3', 'getgroups16', 'g16', 'setgroupsBad', 'setresgid', 'rg', 'eg', 'sg', 'setresuid', 'r1', 'e1', 's1', 'r16', 'setuidSaved', 'r2', 'e2', 's2', 'setuidOther', 'setreuidE', 'r3', 'e3', 's3', 'setreuidR', 'setreuidE2', 'r4', 'e4', 's4', 'setgroupsUser', 'setgidReal', 'getegidAfter', 'setuid16Minus1', 'uid16After', 'setresuidRoot', 'prlimitRaise'];
    const native = nativeAsRoot(p);
    for (const { label, out } of runEverywhere(p)) {
      expect(out.status, label).toBe(0);
      expect([out.i32('uid'), out.i32('euid'), out.i32('gid'), out.i32('egid'), out.i32('uid32'), out.i32('egid32')]).toEqual([0, 0, 0, 0, 0, 0]);
      expect([out.i32('setgroups'), out.i32('ngroups'), out.i32('getgroupsSmall'), out.i32('getgroups'), out.i32('setgroupsBad')]).toEqual([0, 3, EINVAL, 3, EINVAL]);
      expect([0, 1, 2].map((i) => out.i32('g3', i))).toEqual([3, 7, 50]); // kept sorted
      expect([0, 1, 2].map((i) => out.u16('g16', i))).toEqual([3, 7, 50]);
      expect([out.i32('rg'), out.i32('eg'), out.i32('sg')]).toEqual([100, 101, 102]);
      expect([out.i32('r1'), out.i32('e1'), out.i32('s1')]).toEqual([1000, 1001, 1002]);
      expect([out.u16('r16'), out.u16('e16'), out.u16('s16')]).toEqual([1000, 1001, 1002]);
      expect([out.i32('setuidSaved'), out.i32('r2'), out.i32('e2'), out.i32('s2')]).toEqual([0, 1000, 1002, 1002]);
      expect([out.i32('setuidOther'), out.i32('setreuidE'), out.i32('r3'), out.i32('e3'), out.i32('s3')]).toEqual([EPERM, 0, 1000, 1000, 1002]);
      expect([out.i32('setreuidR'), out.i32('setreuidE2'), out.i32('r4'), out.i32('e4'), out.i32('s4')]).toEqual([EPERM, 0, 1000, 1002, 1002]);
      expect([out.i32('setgroupsUser'), out.i32('setgidReal'), out.i32('getegidAfter')]).toEqual([EPERM, 0, 100]);
      expect([out.i32('setuid16Minus1'), out.i32('uid16After'), out.i32('setresuidRoot'), out.i32('prlimitRaise')]).toEqual([EINVAL, 1000, EPERM, EPERM]);
      if (native) expect(words(out, slots), `${label} vs native`).toEqual(words(native, slots));
    }
  });
});

describe('process groups and sessions', () => {
  const FAR = 0x3fffffff;
  const p = new SyscallProgram();
  p.call('pid', NR.getpid);
  p.call('tid', NR.gettid);
  p.call('pgrp', NR.getpgrp);
  p.call('pgid0', NR.getpgid, 0);
  p.call('pgidSelf', NR.getpgid, p.mem('pid'));
  p.call('pgidNone', NR.getpgid, FAR);
  p.call('sidNone', NR.getsid, FAR);
  p.call('setpgidNeg', NR.setpgid, 0, -1);
  p.call('setpgidNone', NR.setpgid, FAR, 0);
  p.call('fork', NR.fork);
  p.cmpEax(0).jcc('ne', 'parent');
  // the child: a new session, then setpgid refuses a session leader
  p.call('cpid', NR.getpid);
  p.call('csid0', NR.getsid, 0);
  p.call('setsid', NR.setsid);
  p.call('csid', NR.getsid, 0);
  p.call('cpgrp', NR.getpgrp);
  p.call('setsid2', NR.setsid);
  p.call('setpgidLeader', NR.setpgid, 0, 0);
  p.dump();
  p.exit(0);
  p.label('parent');
  p.call('wait', NR.waitpid, -1, 0, 0);
  // a second child waits to be moved into its own group by its parent
  p.call('fork2', NR.fork);
  p.cmpEax(0).jcc('ne', 'parent2');
  p.call('pause', NR.pause);
  p.exit(0);
  p.label('parent2');
  p.call('movechild', NR.setpgid, p.mem('fork2'), 0);
  p.call('childpgid', NR.getpgid, p.mem('fork2'));
  p.call('toGroupNone', NR.setpgid, 0, FAR);
  p.call('kill', NR.kill, p.mem('fork2'), 9);
  p.call('wait2', NR.waitpid, -1, 0, 0);
  p.call('moveReaped', NR.setpgid, p.mem('fork2'), 0);
  p.finish();

  it('getpgid, getsid, setsid and setpgid answer and refuse as Linux does', () => {
    for (const { label, out } of runEverywhere(p)) {
      const child = out.part(0);
      const o = out.part(1);
      const pid = o.i32('pid');
      expect([o.i32('tid'), o.i32('pgrp'), o.i32('pgid0'), o.i32('pgidSelf')], label).toEqual([pid, pid, pid, pid]); // init leads its group
      expect([o.i32('pgidNone'), o.i32('sidNone'), o.i32('setpgidNeg'), o.i32('setpgidNone')]).toEqual([ESRCH, ESRCH, EINVAL, ESRCH]);
      const cpid = child.i32('cpid');
      expect([child.i32('csid0'), child.i32('setsid'), child.i32('csid'), child.i32('cpgrp'), child.i32('setsid2'), child.i32('setpgidLeader')]).toEqual([pid, cpid, cpid, cpid, EPERM, EPERM]);
      expect([o.i32('movechild'), o.i32('childpgid'), o.i32('toGroupNone'), o.i32('moveReaped')]).toEqual([0, o.i32('fork2'), EPERM, ESRCH]);
    }
    const native = runNatively(p);
    if (native) {
      const child = native.part(0);
      expect([child.i32('setsid'), child.i32('setsid2'), child.i32('setpgidLeader')]).toEqual([child.i32('cpid'), EPERM, EPERM]);
      const o = native.part(1);
      expect([o.i32('setpgidNeg'), o.i32('setpgidNone'), o.i32('pgidNone'), o.i32('movechild'), o.i32('toGroupNone'), o.i32('moveReaped')]).toEqual([EINVAL, ESRCH, ESRCH, 0, EPERM, ESRCH]);
    }
  });

  it('a child that has exec\'d cannot be moved (EACCES)', () => {
    // The program runs itself again with an argument: then it only waits to be killed.
    const q = new SyscallProgram();
    q.loadArg('eax', 0).cmpEax(1).jcc('ne', 'execd'); // argc at the initial stack pointer
    const argv = q.words('argv', [0, 0, 0]);
    q.storeImm(argv, q.buf('arg0', 16, '/bin/calls')).storeImm(argv.plus(4), q.buf('arg1', 4, 'x'));
    q.call('fork', NR.fork);
    q.cmpEax(0).jcc('ne', 'parent');
    q.sys(NR.execve, q.buf('arg0', 16), argv, 0);
    q.exit(1);
    q.label('parent');
    q.call('before', NR.getpgid, q.mem('fork'));
    q.call('sleep', NR.nanosleep, q.words('ms50', [0, 50_000_000]), 0);
    q.call('move', NR.setpgid, q.mem('fork'), 0);
    q.call('kill', NR.kill, q.mem('fork'), 9);
    q.call('wait', NR.waitpid, -1, q.buf('status', 4), 0);
    q.finish();
    q.label('execd');
    q.sys(NR.pause);
    q.exit(2);
    for (const { label, out } of runEverywhere(q)) {
      expect([out.i32('move'), out.i32('kill'), out.u32('status')], label).toEqual([EACCES, 0, 9]);
    }
  });
});

describe('resource limits', () => {
  const p = new SyscallProgram();
  p.call('stack', NR.ugetrlimit, RLIMIT.STACK, p.buf('rstack', 8));
  p.call('nofile', NR.ugetrlimit, RLIMIT.NOFILE, p.buf('rnofile', 8));
  p.call('core', NR.ugetrlimit, RLIMIT.CORE, p.buf('rcore', 8));
  p.call('oldas', NR.getrlimit, RLIMIT.AS, p.buf('ras', 8));
  p.call('bad', NR.ugetrlimit, 16, p.buf('rbad', 8));
  p.call('setCore', NR.setrlimit, RLIMIT.CORE, p.words('core1', [4096, 8192]));
  p.call('getCore', NR.prlimit64, 0, RLIMIT.CORE, 0, p.buf('pcore', 16));
  p.call('curAboveMax', NR.setrlimit, RLIMIT.CORE, p.words('core2', [9000, 8192]));
  p.call('raiseAsRoot', NR.prlimit64, 0, RLIMIT.CORE, p.words('core3', [0, 0, 0xffffffff, 0xffffffff]), p.buf('pold', 16));
  p.call('getCore2', NR.ugetrlimit, RLIMIT.CORE, p.buf('rcore2', 8));
  p.call('nofileHuge', NR.setrlimit, RLIMIT.NOFILE, p.words('nf', [64, 0x7fffffff]));
  p.call('prBadRes', NR.prlimit64, 0, 99, 0, p.buf('pbad', 16));
  p.call('prNoPid', NR.prlimit64, 0x3fffffff, RLIMIT.CORE, 0, p.buf('pnone', 16));
  p.finish();

  it('have Linux defaults (the stack 8 MiB, open files the descriptor table) and Linux checks', () => {
    for (const { label, out } of runEverywhere(p)) {
      expect([out.u32('rstack', 0), out.u32('rstack', 1)], label).toEqual([8 << 20, 0xffffffff]);
      expect([out.u32('rnofile', 0), out.u32('rnofile', 1)]).toEqual([MAX_FDS, MAX_FDS]);
      expect([out.u32('rcore', 0), out.u32('rcore', 1)]).toEqual([0, 0xffffffff]);
      expect([out.u32('ras', 0), out.u32('ras', 1)]).toEqual([0x7fffffff, 0x7fffffff]); // the old call clamps
      expect([out.i32('bad'), out.i32('setCore'), out.u32('pcore', 0), out.u32('pcore', 2)]).toEqual([EINVAL, 0, 4096, 8192]);
      expect([out.i32('curAboveMax'), out.i32('raiseAsRoot'), out.u32('pold', 2), out.u32('rcore2', 1)]).toEqual([EINVAL, 0, 8192, 0xffffffff]);
      expect([out.i32('nofileHuge'), out.i32('prBadRes'), out.i32('prNoPid')]).toEqual([EPERM, EINVAL, ESRCH]);
    }
    const native = nativeAsRoot(p);
    if (native) {
      // raising a hard limit needs CAP_SYS_RESOURCE (24), which a container's root may lack
      const same = ['bad', 'setCore', 'pcore', 'curAboveMax', 'nofileHuge', 'prBadRes', 'prNoPid', ...(hostCapable(24) ? ['raiseAsRoot', 'pold', 'rcore2'] : [])];
      expect(words(runSyscallElf(p).out, same)).toEqual(words(native, same));
    }
  });
});

describe('uname, sysinfo, prctl, personality and the rest', () => {
  const p = new SyscallProgram();
  p.call('uname', NR.uname, p.buf('uts', 390));
  p.call('sysinfo', NR.sysinfo, p.buf('si', 64));
  p.call('getName', NR.prctl, 16 /* PR_GET_NAME */, p.buf('name0', 16));
  p.call('setName', NR.prctl, 15 /* PR_SET_NAME */, p.buf('newName', 24, 'a-very-long-process-name'));
  p.call('getName2', NR.prctl, 16, p.buf('name1', 16));
  p.call('prctlOther', NR.prctl, 0x7fff, 0);
  p.call('pers', NR.personality, 0xffffffff);
  p.call('tidaddr', NR.set_tid_address, p.buf('tidword', 4));
  p.call('pid', NR.getpid);
  p.storeImm(p.buf('headAddr', 4), p.buf('head', 12));
  p.call('robust', NR.set_robust_list, p.buf('head', 12), 12);
  p.call('robustBad', NR.set_robust_list, p.buf('head', 12), 24);
  p.call('getRobust', NR.get_robust_list, 0, p.buf('rhead', 4), p.buf('rlen', 4));
  p.call('aff', NR.sched_getaffinity, 0, 128, p.buf('mask', 128));
  p.call('affOdd', NR.sched_getaffinity, 0, 3, p.buf('mask3', 4));
  p.call('setaff', NR.sched_setaffinity, 0, 4, p.words('cpu0', [1]));
  p.call('setaffNone', NR.sched_setaffinity, 0, 4, p.words('nocpu', [0]));
  p.call('sched', NR.sched_getscheduler, 0);
  p.call('param', NR.sched_getparam, 0, p.buf('prio', 4));
  p.call('max', NR.sched_get_priority_max, 1 /* SCHED_FIFO */);
  p.call('min', NR.sched_get_priority_min, 1);
  p.call('maxOther', NR.sched_get_priority_max, 0);
  p.call('maxBad', NR.sched_get_priority_max, 42);
  p.call('getprio', NR.getpriority, 0, 0);
  p.call('setprio', NR.setpriority, 0, 0, 5);
  p.call('getprio2', NR.getpriority, 0, 0);
  p.call('prioBad', NR.getpriority, 7, 0);
  p.call('cpu', NR.getcpu, p.buf('cpuno', 4), p.buf('node', 4), 0);
  p.finish();

  it('uname names Linux 2.4.19 on an i686 called l4linux; sysinfo tells the simulated uptime and memory', () => {
    for (const { label, out } of runEverywhere(p)) {
      expect(out.i32('uname'), label).toBe(0);
      expect([0, 1, 2, 4, 5].map((i) => out.text('uts', i * 65, 65))).toEqual(['Linux', 'l4linux', '2.4.19', 'i686', '(none)']);
      expect(out.i32('sysinfo')).toBe(0);
      expect(out.u32('si', 0)).toBe(1); // uptime, rounded up: the run is far shorter than a second
      expect(out.u32('si', 4)).toBe(2048 * 4096); // totalram: the machine's 8 MiB
      expect(out.u32('si', 5)).toBeGreaterThan(0);
      expect(out.u32('si', 5)).toBeLessThan(2048 * 4096);
      expect(out.u16('si', 20)).toBe(1); // procs
      expect(out.u32('si', 13)).toBe(1); // mem_unit
    }
  });

  it('prctl names the process (15 bytes), personality is PER_LINUX, the thread calls answer as for one thread on one CPU', () => {
    const native = runNatively(p);
    for (const { label, out } of runEverywhere(p)) {
      expect(out.text('name0'), label).toBe('calls');
      expect([out.i32('setName'), out.text('name1'), out.i32('prctlOther'), out.i32('pers')]).toEqual([0, 'a-very-long-pro', EINVAL, 0]);
      expect([out.i32('tidaddr'), out.i32('robust'), out.i32('robustBad'), out.i32('getRobust'), out.u32('rlen')]).toEqual([out.i32('pid'), 0, EINVAL, 0, 12]);
      expect(out.u32('rhead')).toBe(out.u32('headAddr')); // the head set_robust_list was given
      expect([out.i32('aff'), out.u32('mask'), out.i32('affOdd'), out.i32('setaff'), out.i32('setaffNone')]).toEqual([4, 1, EINVAL, 0, EINVAL]);
      expect([out.i32('sched'), out.i32('param'), out.i32('prio'), out.i32('max'), out.i32('min'), out.i32('maxOther'), out.i32('maxBad')]).toEqual([0, 0, 0, 99, 1, 0, EINVAL]);
      expect([out.i32('getprio'), out.i32('setprio'), out.i32('getprio2'), out.i32('prioBad')]).toEqual([20, 0, 15, EINVAL]);
      expect([out.i32('cpu'), out.i32('cpuno'), out.i32('node')]).toEqual([0, 0, 0]);
      if (native) {
        const same = ['setName', 'name1', 'prctlOther', 'robust', 'robustBad', 'getRobust', 'rlen', 'affOdd', 'setaff', 'setaffNone', 'sched', 'param', 'prio', 'max', 'min', 'maxOther', 'maxBad', 'setprio', 'getprio2', 'prioBad', 'cpu'];
        expect(words(out, same), `${label} vs native`).toEqual(words(native, same));
      }
    }
  });
});
