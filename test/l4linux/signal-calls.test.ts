/**
 * The signal system calls (src/l4linux/sys/signal-calls.ts, sigwait.ts): small programs made of system
 * calls run under every personality, and natively on the host when it can run i386 programs (the
 * oracle: the deterministic results must be the same).
 */
import { describe, expect, it } from 'vitest';
import { NR, SA_RESTORER, SA_SIGINFO, SIG, sigbit } from '../../src/l4linux/abi.js';
import { SA_ONSTACK, SI_TKILL } from '../../src/l4linux/abi-calls.js';
import { runEverywhere, runNatively, type SyscallOutput, type SyscallProgram as Program, SyscallProgram } from '../support/syscall-elf.js';

const EINVAL = -22;
const ESRCH = -3;
const EPERM = -1;
const EAGAIN = -11;
const EINTR = -4;
const ENOMEM = -12;
const SA_UNSUPPORTED = 0x400;

/** Every 32-bit word of the named slots. */
function words(out: SyscallOutput, names: string[]): Record<string, number[]> {
  return Object.fromEntries(names.map((n) => [n, Array.from({ length: out.raw(n).length / 4 }, (_, i) => out.i32(n, i))]));
}

/** Run under every personality; the named slots must equal the native run's where the host has one. */
function runAndCompare(p: Program, part: number, slots: string[]): SyscallOutput[] {
  const runs = runEverywhere(p);
  const native = runNatively(p);
  for (const r of runs) {
    expect(r.out.status, r.label).toBe(0);
    if (native) expect(words(r.out.part(part), slots), `${r.label} vs native`).toEqual(words(native.part(part), slots));
  }
  return runs.map((r) => r.out.part(part));
}

describe('the old signal() system call (48): System V one-shot semantics', () => {
  // The symptom: signal() answered ENOSYS, so the child died of the signal it meant to catch.
  const p = new SyscallProgram();
  p.call('old1', NR.signal, SIG.USR1, p.at('handler'));
  p.call('fork', NR.fork);
  p.cmpEax(0).jcc('ne', 'parent');
  p.call('pid', NR.getpid);
  p.call('kill1', NR.kill, p.mem('pid'), SIG.USR1); // caught: the handler runs
  p.dump();
  p.call('kill2', NR.kill, p.mem('pid'), SIG.USR1); // the handler was reset: the default action ends the child
  p.exit(3);
  p.label('parent');
  p.call('wait', NR.waitpid, -1, p.buf('status', 4), 0);
  p.call('old2', NR.signal, SIG.USR1, 1 /* SIG_IGN */);
  p.call('kill99', NR.signal, 99, 0);
  p.call('sigkill', NR.signal, SIG.KILL, 1);
  p.finish();
  p.label('handler');
  p.inc(p.buf('count', 4));
  p.call('inmask', NR.rt_sigprocmask, 0, 0, p.buf('mask', 8), 8);
  p.call('inact', NR.rt_sigaction, SIG.USR1, 0, p.buf('act', 20), 8);
  p.ret();

  it('the child catches the signal once, with the signal unblocked in the handler, and dies of the second; signal returns the old handler', () => {
    const children = runAndCompare(p, 0, ['count', 'kill1', 'mask', 'act']);
    const parents = runAndCompare(p, 1, ['old1', 'status', 'old2', 'kill99', 'sigkill']);
    for (const [c, par] of children.map((c, i) => [c, parents[i]!] as const)) {
      expect(c.u32('count')).toBe(1);
      expect(c.i32('kill1')).toBe(0);
      expect(c.u32('mask')).toBe(0); // SA_NOMASK: not blocked during its handler
      expect(c.u32('act')).toBe(0); // SA_ONESHOT: SIG_DFL once delivered
      expect(par.i32('old1')).toBe(0);
      expect(par.u32('status')).toBe(SIG.USR1); // killed by the second SIGUSR1
      expect(par.u32('old2')).toBe(p.elf() && par.u32('old2')); // the handler's address
      expect(par.u32('old2')).toBeGreaterThan(0x08048000);
      expect(par.i32('kill99')).toBe(EINVAL);
      expect(par.i32('sigkill')).toBe(EINVAL);
    }
  });
});

describe('rt_sigaction, rt_sigprocmask, rt_sigpending over 64 signals', () => {
  const p = new SyscallProgram();
  const act = p.words('act', [0, 0, 0, 0, 0]);
  p.storeImm(act, p.at('handler')).storeImm(act.plus(4), SA_SIGINFO | SA_RESTORER | SA_UNSUPPORTED).storeImm(act.plus(8), p.at('restorer'));
  p.storeImm(act.plus(12), sigbit(SIG.USR1) | sigbit(SIG.KILL)).storeImm(act.plus(16), 0x80);
  p.call('size4', NR.rt_sigaction, SIG.USR1, act, 0, 4);
  p.call('sig0', NR.rt_sigaction, 0, 0, p.buf('o0', 20), 8);
  p.call('sig65', NR.rt_sigaction, 65, 0, p.buf('o65', 20), 8);
  p.call('sig64', NR.rt_sigaction, 64, 0, p.buf('o64', 20), 8);
  p.call('killAct', NR.rt_sigaction, SIG.KILL, act, 0, 8);
  p.call('killQuery', NR.rt_sigaction, SIG.KILL, 0, p.buf('oKill', 20), 8);
  p.call('set34', NR.rt_sigaction, 34, act, 0, 8);
  p.call('get34', NR.rt_sigaction, 34, 0, p.buf('o34', 20), 8);
  p.call('old34', NR.sigaction, 34, 0, p.buf('oo34', 16));
  const all = p.words('all', [0xffffffff, 0xffffffff]);
  p.call('mask4', NR.rt_sigprocmask, 0 /* SIG_BLOCK */, all, 0, 4);
  p.call('blockAll', NR.rt_sigprocmask, 0, all, 0, 8);
  p.call('q1', NR.rt_sigprocmask, 0, 0, p.buf('m1', 8), 8);
  p.call('badHowNoSet', NR.rt_sigprocmask, 99, 0, 0, 8);
  p.call('badHow', NR.rt_sigprocmask, 99, all, 0, 8);
  p.call('oldSetmask', NR.sigprocmask, 2 /* SIG_SETMASK */, p.words('zero', [0]), 0);
  p.call('q2', NR.rt_sigprocmask, 0, 0, p.buf('m2', 8), 8);
  p.call('sget', NR.sgetmask);
  p.call('sset', NR.ssetmask, sigbit(SIG.USR2));
  p.call('q3', NR.rt_sigprocmask, 0, 0, p.buf('m3', 8), 8);
  // signal 34 blocked, sent, pending, then delivered when unblocked
  p.call('block34', NR.rt_sigprocmask, 2, p.words('only34', [0, 2]), 0, 8);
  p.call('pid', NR.getpid);
  p.call('send34', NR.kill, p.mem('pid'), 34);
  p.call('pend', NR.rt_sigpending, p.buf('pset', 8), 8);
  p.call('pend9', NR.rt_sigpending, p.buf('pset9', 8), 9);
  p.call('oldpend', NR.sigpending, p.buf('opset', 4));
  p.call('unblock', NR.rt_sigprocmask, 2, p.words('none', [0, 0]), 0, 8);
  p.call('send65', NR.kill, p.mem('pid'), 65);
  p.finish();
  p.label('handler');
  p.inc(p.buf('count', 4));
  p.loadArg('eax', 1).store(p.buf('hsig', 4));
  p.call('hmask', NR.rt_sigprocmask, 0, 0, p.buf('hm', 8), 8);
  p.ret();
  p.restorer();

  it('sizes, signal numbers and masks are checked as Linux checks them, and signal 34 is held, then delivered', () => {
    const slots = ['size4', 'sig0', 'sig65', 'sig64', 'killAct', 'killQuery', 'set34', 'get34', 'mask4', 'blockAll', 'q1', 'm1', 'badHowNoSet', 'badHow', 'oldSetmask', 'm2', 'sget', 'sset', 'm3', 'send34', 'pend', 'pset', 'pend9', 'oldpend', 'opset', 'count', 'hsig', 'hm', 'send65'];
    for (const o of runAndCompare(p, 0, slots)) {
      expect([o.i32('size4'), o.i32('sig0'), o.i32('sig65'), o.i32('sig64'), o.i32('killAct'), o.i32('killQuery')]).toEqual([EINVAL, EINVAL, EINVAL, 0, EINVAL, 0]);
      // SA_UNSUPPORTED is cleared, SIGKILL is never in a handler's mask, the high word is kept
      expect([o.u32('o34', 1), o.u32('o34', 3), o.u32('o34', 4)]).toEqual([SA_SIGINFO | SA_RESTORER, sigbit(SIG.USR1), 0x80]);
      expect(o.u32('oo34', 1)).toBe(sigbit(SIG.USR1)); // the old struct: signals 1..32 only
      expect([o.i32('mask4'), o.u32('m1', 0), o.u32('m1', 1)]).toEqual([EINVAL, 0xfffbfeff, 0xffffffff]);
      expect([o.i32('badHowNoSet'), o.i32('badHow')]).toEqual([0, EINVAL]);
      expect([o.u32('m2', 0), o.u32('m2', 1)]).toEqual([0, 0xffffffff]); // the old SIG_SETMASK keeps 33..64
      expect([o.i32('sset'), o.u32('m3', 0), o.u32('m3', 1)]).toEqual([0, sigbit(SIG.USR2), 0]); // ssetmask clears 33..64
      expect([o.u32('pset', 0), o.u32('pset', 1), o.i32('pend9'), o.u32('opset')]).toEqual([0, 2, EINVAL, 0]);
      expect([o.u32('count'), o.u32('hsig'), o.u32('hm', 0), o.u32('hm', 1)]).toEqual([1, 34, sigbit(SIG.USR1), 2 | 0x80]);
      expect(o.i32('send65')).toBe(EINVAL);
    }
  });
});

describe('sigsuspend and rt_sigsuspend', () => {
  const p = new SyscallProgram();
  const act = p.words('act', [0, SA_SIGINFO | SA_RESTORER, 0, 0, 0]);
  p.storeImm(act, p.at('handler')).storeImm(act.plus(8), p.at('restorer'));
  p.call('a1', NR.rt_sigaction, SIG.USR1, act, 0, 8);
  p.call('a2', NR.rt_sigaction, SIG.ALRM, act, 0, 8);
  p.call('block', NR.rt_sigprocmask, 0, p.words('usr1', [sigbit(SIG.USR1), 0]), 0, 8);
  p.call('pid', NR.getpid);
  p.call('send', NR.kill, p.mem('pid'), SIG.USR1);
  p.call('size4', NR.rt_sigsuspend, p.words('none', [0, 0]), 4);
  p.call('susp', NR.rt_sigsuspend, p.words('none2', [0, 0]), 8);
  p.call('after', NR.rt_sigprocmask, 0, 0, p.buf('m1', 8), 8);
  p.call('send2', NR.kill, p.mem('pid'), SIG.USR1);
  p.call('oldsusp', NR.sigsuspend, 0, 0, 0);
  p.call('after2', NR.rt_sigprocmask, 0, 0, p.buf('m2', 8), 8);
  // nothing pending: sigsuspend sleeps until the alarm
  p.call('alarm', NR.alarm, 1);
  p.call('susp3', NR.rt_sigsuspend, p.words('none3', [0, 0]), 8);
  p.finish();
  p.label('handler');
  p.inc(p.buf('count', 4));
  p.loadArg('eax', 1).store(p.buf('last', 4));
  p.call('hmask', NR.rt_sigprocmask, 0, 0, p.buf('hm', 8), 8);
  p.ret();
  p.restorer();

  it('a handler interrupts the wait (EINTR), runs with the wait mask plus its signal, and the old mask comes back', () => {
    const slots = ['a1', 'a2', 'block', 'send', 'size4', 'susp', 'm1', 'oldsusp', 'm2', 'susp3', 'count', 'last', 'hm'];
    for (const o of runAndCompare(p, 0, slots)) {
      expect([o.i32('size4'), o.i32('susp'), o.i32('oldsusp'), o.i32('susp3')]).toEqual([EINVAL, EINTR, EINTR, EINTR]);
      expect([o.u32('m1', 0), o.u32('m2', 0)]).toEqual([sigbit(SIG.USR1), sigbit(SIG.USR1)]);
      expect([o.u32('count'), o.u32('last')]).toEqual([3, SIG.ALRM]);
      expect(o.u32('hm', 0)).toBe(sigbit(SIG.ALRM)); // the wait mask (none) plus SIGALRM
    }
  });
});

describe('rt_sigtimedwait', () => {
  const p = new SyscallProgram();
  const usr2 = p.words('usr2', [sigbit(SIG.USR2), 0]);
  p.call('block', NR.rt_sigprocmask, 0, p.words('blocked', [sigbit(SIG.USR2) | sigbit(SIG.CHLD), 0]), 0, 8);
  p.call('pid', NR.getpid);
  p.call('send', NR.kill, p.mem('pid'), SIG.USR2);
  p.call('w1', NR.rt_sigtimedwait, usr2, p.buf('info1', 128), 0, 8);
  p.call('w0', NR.rt_sigtimedwait, usr2, 0, p.words('zero', [0, 0]), 8);
  p.call('w20', NR.rt_sigtimedwait, usr2, 0, p.words('ms20', [0, 20_000_000]), 8);
  p.call('wbad', NR.rt_sigtimedwait, usr2, 0, p.words('bad', [0, 1_000_000_000]), 8);
  p.call('wsize', NR.rt_sigtimedwait, usr2, 0, 0, 4);
  p.call('w64', NR.rt_sigtimedwait_time64, usr2, 0, p.words('zero64', [0, 0, 0, 0]), 8);
  p.call('tk', NR.tkill, p.mem('pid'), SIG.USR2);
  p.call('w2', NR.rt_sigtimedwait, usr2, p.buf('info2', 128), 0, 8);
  // SIGCHLD, ignored by default, is still taken when blocked and waited for
  p.call('fork', NR.fork);
  p.cmpEax(0).jcc('ne', 'parent');
  p.exit(7);
  p.label('parent');
  p.call('w3', NR.rt_sigtimedwait, p.words('chld', [sigbit(SIG.CHLD), 0]), p.buf('info3', 128), 0, 8);
  p.call('wait', NR.waitpid, -1, p.buf('status', 4), 0);
  p.finish();

  it('takes a pending signal with its siginfo, times out with EAGAIN, checks its arguments', () => {
    const slots = ['w1', 'w0', 'w20', 'wbad', 'wsize', 'w64', 'tk', 'w2', 'w3', 'status'];
    for (const o of runAndCompare(p, 0, slots)) {
      const pid = o.i32('pid');
      expect([o.i32('w1'), o.i32('w0'), o.i32('w20'), o.i32('wbad'), o.i32('wsize'), o.i32('w64'), o.i32('w2'), o.i32('w3')]).toEqual([SIG.USR2, EAGAIN, EAGAIN, EINVAL, EINVAL, EAGAIN, SIG.USR2, SIG.CHLD]);
      expect([0, 1, 2, 3, 4].map((i) => o.i32('info1', i))).toEqual([SIG.USR2, 0, 0 /* SI_USER */, pid, 0]);
      expect([o.i32('info2', 2), o.i32('info2', 3)]).toEqual([SI_TKILL, pid]);
      expect([o.i32('info3', 2), o.i32('info3', 3), o.i32('info3', 5)]).toEqual([1 /* CLD_EXITED */, o.i32('fork'), 7]);
    }
  });
});

describe('sigaltstack and SA_ONSTACK', () => {
  const STACK = 16384;
  const p = new SyscallProgram();
  const stack = p.buf('stack', STACK);
  p.call('q0', NR.sigaltstack, 0, p.buf('oss0', 12));
  p.call('small', NR.sigaltstack, p.words('ssSmall', [0x1000, 0, 1000]), 0);
  p.call('flags', NR.sigaltstack, p.words('ssFlags', [0x1000, 5, 8192]), 0);
  const ss = p.words('ss', [0, 0, STACK]);
  p.storeImm(ss, stack);
  p.call('set', NR.sigaltstack, ss, 0);
  p.call('q1', NR.sigaltstack, 0, p.buf('oss1', 12));
  const act = p.words('act', [0, SA_SIGINFO | SA_RESTORER | SA_ONSTACK, 0, 0, 0]);
  p.storeImm(act, p.at('handler')).storeImm(act.plus(8), p.at('restorer'));
  p.call('a', NR.rt_sigaction, SIG.USR1, act, 0, 8);
  p.call('pid', NR.getpid);
  p.call('send', NR.kill, p.mem('pid'), SIG.USR1);
  p.call('q2', NR.sigaltstack, 0, p.buf('oss2', 12));
  p.call('off', NR.sigaltstack, p.words('ssOff', [0, 2, 0]), 0);
  p.call('q3', NR.sigaltstack, 0, p.buf('oss3', 12));
  p.finish();
  p.label('handler');
  p.store(p.buf('hesp', 4), 'esp');
  p.call('hq', NR.sigaltstack, 0, p.buf('hoss', 12));
  p.call('hset', NR.sigaltstack, p.words('ss2', [0x1000, 0, 8192]), 0);
  p.call('hoff', NR.sigaltstack, p.words('ss3', [0, 2, 0]), 0);
  p.ret();
  p.restorer();

  it('reports, checks and uses the alternate stack; it cannot change while in use', () => {
    const slots = ['q0', 'oss0', 'small', 'flags', 'set', 'oss1', 'send', 'hq', 'hoss', 'hset', 'hoff', 'oss2', 'off', 'oss3'];
    for (const o of runAndCompare(p, 0, slots)) {
      const base = o.u32('oss1', 0);
      expect([0, 1, 2].map((i) => o.u32('oss0', i))).toEqual([0, 2 /* SS_DISABLE */, 0]);
      expect([o.i32('small'), o.i32('flags'), o.i32('set')]).toEqual([ENOMEM, EINVAL, 0]);
      expect([o.u32('oss1', 1), o.u32('oss1', 2)]).toEqual([0, STACK]);
      expect(o.u32('hesp')).toBeGreaterThan(base);
      expect(o.u32('hesp')).toBeLessThan(base + STACK);
      expect([o.u32('hoss', 1), o.i32('hset'), o.i32('hoff')]).toEqual([1 /* SS_ONSTACK */, EPERM, EPERM]);
      expect([o.u32('oss2', 0), o.u32('oss2', 1), o.u32('oss2', 2)]).toEqual([base, 0, STACK]);
      expect([o.i32('off'), o.u32('oss3', 0), o.u32('oss3', 1), o.u32('oss3', 2)]).toEqual([0, 0, 2, 0]);
    }
  });
});

describe('kill, tkill and tgkill', () => {
  const FAR = 0x3fffffff; // above any pid
  const p = new SyscallProgram();
  p.call('pid', NR.getpid);
  p.call('tg', NR.tgkill, p.mem('pid'), p.mem('pid'), 0);
  p.call('tgNoTid', NR.tgkill, p.mem('pid'), FAR, 0);
  p.call('tgNoTgid', NR.tgkill, FAR, p.mem('pid'), 0);
  p.call('tgZero', NR.tgkill, 0, p.mem('pid'), 0);
  p.call('tkZero', NR.tkill, 0, 0);
  p.call('tkBad', NR.tkill, p.mem('pid'), 65);
  p.call('killBad', NR.kill, p.mem('pid'), 65);
  p.call('killNone', NR.kill, FAR, 0);
  p.call('killMin', NR.kill, 0x80000000, 0);
  p.call('fork', NR.fork);
  p.cmpEax(0).jcc('ne', 'parent');
  p.call('ppid', NR.getppid);
  p.call('drop', NR.setresuid32, 1000, 1000, 1000);
  p.call('kParent', NR.kill, p.mem('ppid'), 0);
  p.call('tkParent', NR.tkill, p.mem('ppid'), 0);
  p.call('contParent', NR.kill, p.mem('ppid'), SIG.CONT);
  p.dump();
  p.exit(0);
  p.label('parent');
  p.call('wait', NR.waitpid, -1, 0, 0);
  p.finish();

  it('check their arguments, find their target, and refuse an unprivileged sender (SIGCONT within the session excepted)', () => {
    const runs = runEverywhere(p);
    const asRoot = process.getuid?.() === 0;
    const native = asRoot ? runNatively(p) : null;
    for (const { label, out } of runs) {
      const child = out.part(0);
      const parent = out.part(1);
      expect([parent.i32('tg'), parent.i32('tgNoTid'), parent.i32('tgNoTgid'), parent.i32('tgZero'), parent.i32('tkZero'), parent.i32('tkBad'), parent.i32('killBad'), parent.i32('killNone'), parent.i32('killMin')], label).toEqual([0, ESRCH, ESRCH, EINVAL, EINVAL, EINVAL, EINVAL, ESRCH, ESRCH]);
      expect([child.i32('drop'), child.i32('kParent'), child.i32('tkParent'), child.i32('contParent')], label).toEqual([0, EPERM, EPERM, 0]);
      if (native) {
        const names = ['tg', 'tgNoTid', 'tgNoTgid', 'tgZero', 'tkZero', 'tkBad', 'killBad', 'killNone', 'killMin'];
        expect(words(parent, names)).toEqual(words(native.part(1), names));
        expect(words(child, ['drop', 'kParent', 'tkParent', 'contParent'])).toEqual(words(native.part(0), ['drop', 'kParent', 'tkParent', 'contParent']));
      }
    }
  });
});
