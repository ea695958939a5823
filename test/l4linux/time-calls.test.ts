/**
 * Time from the simulated clock (src/l4linux/clock.ts, sys/time.ts, sleep.ts, itimer-calls.ts): the
 * realtime clock starts at the recorded epoch, the monotonic clocks at boot, sleeps never end early and
 * continue after a stop, interval timers share alarm's state. Error answers are compared with a native
 * run; the times themselves are the simulation's.
 */
import { describe, expect, it } from 'vitest';
import { NR, SA_RESTORER, SA_SIGINFO, SIG } from '../../src/l4linux/abi.js';
import { CLOCK, TIMER_ABSTIME } from '../../src/l4linux/abi-calls.js';
import { BOOT_EPOCH } from '../../src/l4linux/clock.js';
import { PERSONALITY_SETS, runEverywhere, runNatively, runSyscallElf, SyscallProgram, type SyscallOutput } from '../support/syscall-elf.js';

const EINVAL = -22;
const EPERM = -1;
const EINTR = -4;
const EOPNOTSUPP = -95;
const MS = 1_000_000;

/** Nanoseconds of a timespec slot (32-bit layout) as a number (exact for these ranges). */
const ns = (o: SyscallOutput, name: string): number => o.i32(name, 0) * 1e9 + o.i32(name, 1);

describe('reading the clocks', () => {
  const p = new SyscallProgram();
  p.call('rt', NR.clock_gettime, CLOCK.REALTIME, p.buf('trt', 8));
  p.call('time', NR.time, 0);
  p.call('tod', NR.gettimeofday, p.buf('tv', 8), p.buf('tz', 8));
  p.call('m1', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('tm1', 8));
  p.call('m2', NR.clock_gettime64, CLOCK.MONOTONIC, p.buf('tm2', 16));
  p.call('raw', NR.clock_gettime, CLOCK.MONOTONIC_RAW, p.buf('traw', 8));
  p.call('boot', NR.clock_gettime, CLOCK.BOOTTIME, p.buf('tboot', 8));
  p.call('coarse', NR.clock_gettime, CLOCK.MONOTONIC_COARSE, p.buf('tcoarse', 8));
  p.call('cpu', NR.clock_gettime, CLOCK.PROCESS_CPUTIME_ID, p.buf('tcpu', 8));
  p.call('cpuSelf', NR.clock_gettime, ~0 << 3 | 2 /* the caller's CPU clock by pid 0 */, p.buf('tcpu2', 8));
  p.call('bad', NR.clock_gettime, 99, p.buf('tbad', 8));
  p.call('alarmClock', NR.clock_gettime, 8 /* CLOCK_REALTIME_ALARM: no RTC */, p.buf('talarm', 8));
  p.call('res', NR.clock_getres, CLOCK.MONOTONIC, p.buf('rmono', 8));
  p.call('resCoarse', NR.clock_getres_time64, CLOCK.REALTIME_COARSE, p.buf('rcoarse', 16));
  p.call('resNull', NR.clock_getres, CLOCK.REALTIME, 0);
  p.call('resBad', NR.clock_getres, 99, 0);
  p.call('ticks', NR.times, p.buf('tms', 16));
  p.call('ru', NR.getrusage, 0, p.buf('rusage', 72));
  p.call('ruBad', NR.getrusage, 5, p.buf('rusage2', 72));
  p.finish();

  it('CLOCK_REALTIME starts at the recorded epoch (the scenario parameter), the monotonic clocks at boot', () => {
    for (const [label, sets] of PERSONALITY_SETS) {
      const o = runSyscallElf(p, [...sets, 'epoch=1700000000']).out;
      expect(o.i32('rt'), label).toBe(0);
      expect(o.i32('trt', 0)).toBe(1_700_000_000); // the run lasts far less than a second
      expect([o.i32('time'), o.i32('tv', 0), o.i32('tz', 0), o.i32('tz', 1)]).toEqual([1_700_000_000, 1_700_000_000, 0, 0]);
      expect(o.i32('tv', 1)).toBeGreaterThanOrEqual(Math.floor(o.i32('trt', 1) / 1000));
      expect(o.i32('tm1', 0)).toBe(0);
      const m1 = ns(o, 'tm1');
      expect(m1).toBeGreaterThan(0);
      expect(o.i32('tm2', 0) * 1e9 + o.i32('tm2', 2)).toBeGreaterThan(m1); // the _time64 layout, later
      expect(ns(o, 'traw')).toBeGreaterThan(m1);
      expect(ns(o, 'tboot')).toBeGreaterThan(ns(o, 'traw'));
      expect(ns(o, 'tcoarse') % (10 * MS)).toBe(0); // cut to the tick
      expect(ns(o, 'tcpu')).toBeGreaterThan(0);
      expect(ns(o, 'tcpu2')).toBeGreaterThan(ns(o, 'tcpu'));
      expect([o.i32('bad'), o.i32('alarmClock'), o.i32('resBad'), o.i32('resNull'), o.i32('cpuSelf')]).toEqual([EINVAL, EINVAL, EINVAL, 0, 0]);
      expect([o.i32('rmono', 0), o.i32('rmono', 1), o.i32('rcoarse', 0), o.i32('rcoarse', 2)]).toEqual([0, 1, 0, 10 * MS]);
      expect(o.i32('ticks')).toBe(0); // clock ticks since boot: less than 10 ms have passed
      expect([o.i32('ru'), o.i32('ruBad'), o.i32('rusage', 2), o.i32('rusage', 3)]).toEqual([0, EINVAL, 0, 0]); // no system time
    }
  });

  it('the epoch defaults to 2003-01-01', () => {
    expect(runSyscallElf(p).out.i32('time')).toBe(BOOT_EPOCH);
  });
});

describe('sleeping', () => {
  const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const p = new SyscallProgram();
  p.call('t0', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('s0', 8));
  p.call('nano', NR.nanosleep, p.words('ms20', [0, 20 * MS]), 0);
  p.call('t1', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('s1', 8));
  p.call('rel', NR.clock_nanosleep, CLOCK.MONOTONIC, 0, p.words('ms30', [0, 30 * MS]), 0);
  p.call('t2', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('s2', 8));
  // an absolute deadline: now + 25 ms, carried into the seconds when the nanoseconds pass 10^9 (a
  // native monotonic clock reads any nanoseconds; the simulated one starts at 0)
  p.call('t3', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('deadline', 8));
  p.load('eax', p.buf('deadline', 8)).store(p.buf('absAt', 8));
  p.load('eax', p.buf('deadline', 8).plus(4)).bytes(0x05, ...le32(25 * MS)); // add eax, imm32
  p.cmpEax(1_000_000_000).jcc('l', 'nsok');
  p.bytes(0x2d, ...le32(1_000_000_000)).inc(p.buf('absAt', 8)); // sub eax, imm32; one more second
  p.label('nsok');
  p.store(p.buf('absAt', 8).plus(4));
  p.call('abs', NR.clock_nanosleep, CLOCK.MONOTONIC, TIMER_ABSTIME, p.buf('absAt', 8), 0);
  p.call('t4', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('s4', 8));
  p.call('past', NR.clock_nanosleep, CLOCK.MONOTONIC, TIMER_ABSTIME, p.words('zero', [0, 0]), 0);
  p.call('rt64', NR.clock_nanosleep_time64, CLOCK.REALTIME, 0, p.words('ms10x64', [0, 0, 10 * MS, 0]), 0);
  // a signal with a handler interrupts a sleep: EINTR and the time left
  const act = p.words('act', [0, SA_SIGINFO | SA_RESTORER, 0, 0, 0]);
  p.storeImm(act, p.at('handler')).storeImm(act.plus(8), p.at('restorer'));
  p.call('sa', NR.rt_sigaction, SIG.ALRM, act, 0, 8);
  p.call('arm', NR.setitimer, 0, p.words('it10', [0, 0, 0, 10_000]), 0);
  p.call('intr', NR.clock_nanosleep, CLOCK.REALTIME, 0, p.words('s1sec', [1, 0]), p.buf('rem', 8));
  p.call('arm2', NR.setitimer, 0, p.words('it10b', [0, 0, 0, 10_000]), 0);
  p.call('intr2', NR.nanosleep, p.words('s1sec2', [1, 0]), p.buf('rem2', 8));
  p.finish();
  p.label('handler');
  p.inc(p.buf('alarms', 4));
  p.ret();
  p.restorer();

  it('never ends early, takes an absolute deadline, and a handler cuts it short with the time left', () => {
    const native = runNatively(p);
    for (const { label, out: o } of [...runEverywhere(p), ...(native ? [{ label: 'native', out: native }] : [])]) {
      expect([o.i32('nano'), o.i32('rel'), o.i32('abs'), o.i32('past'), o.i32('rt64')], label).toEqual([0, 0, 0, 0, 0]);
      expect(ns(o, 's1') - ns(o, 's0')).toBeGreaterThanOrEqual(20 * MS);
      expect(ns(o, 's2') - ns(o, 's1')).toBeGreaterThanOrEqual(30 * MS);
      expect(ns(o, 's4')).toBeGreaterThanOrEqual(ns(o, 'deadline') + 25 * MS);
      expect([o.i32('intr'), o.i32('intr2'), o.i32('alarms')]).toEqual([EINTR, EINTR, 2]);
      for (const rem of ['rem', 'rem2']) {
        expect(ns(o, rem)).toBeGreaterThan(900 * MS);
        expect(ns(o, rem)).toBeLessThan(1000 * MS);
      }
    }
    // in the simulation, at most a tick late
    const sim = runSyscallElf(p).out;
    expect(ns(sim, 's1') - ns(sim, 's0')).toBeLessThan(20 * MS + 2 * 10 * MS);
  });

  it('a stop and SIGCONT (no handler) do not end a sleep: restart_syscall sleeps on to the same deadline', () => {
    const q = new SyscallProgram();
    q.call('fork', NR.fork);
    q.cmpEax(0).jcc('ne', 'parent');
    q.call('c0', NR.clock_gettime, CLOCK.MONOTONIC, q.buf('c0t', 8));
    q.call('sleep', NR.clock_nanosleep, CLOCK.MONOTONIC, 0, q.words('ms100', [0, 100 * MS]), q.buf('crem', 8));
    q.call('c1', NR.clock_gettime, CLOCK.MONOTONIC, q.buf('c1t', 8));
    q.dump();
    q.exit(0);
    q.label('parent');
    q.call('nap', NR.nanosleep, q.words('ms20', [0, 20 * MS]), 0);
    q.call('stop', NR.kill, q.mem('fork'), SIG.STOP);
    q.call('nap2', NR.nanosleep, q.words('ms10', [0, 10 * MS]), 0);
    q.call('cont', NR.kill, q.mem('fork'), SIG.CONT);
    q.call('wait', NR.waitpid, -1, q.buf('status', 4), 0);
    q.finish();
    const native = runNatively(q);
    for (const { label, out } of [...runEverywhere(q), ...(native ? [{ label: 'native', out: native }] : [])]) {
      const c = out.part(0);
      expect([c.i32('sleep'), out.part(1).i32('status')], label).toEqual([0, 0]);
      expect(ns(c, 'c1t') - ns(c, 'c0t')).toBeGreaterThanOrEqual(100 * MS);
    }
  });
});

describe('interval timers and alarm', () => {
  const p = new SyscallProgram();
  const act = p.words('act', [0, SA_SIGINFO | SA_RESTORER, 0, 0, 0]);
  p.storeImm(act, p.at('handler')).storeImm(act.plus(8), p.at('restorer'));
  p.call('sa', NR.rt_sigaction, SIG.ALRM, act, 0, 8);
  p.call('set', NR.setitimer, 0, p.words('v13', [0, 0, 1, 300_000]), p.buf('old0', 16));
  p.call('get', NR.getitimer, 0, p.buf('cur', 16));
  p.call('alarm0', NR.alarm, 0); // seconds left, rounded up; disarms
  p.call('get2', NR.getitimer, 0, p.buf('cur2', 16));
  p.call('alarm5', NR.alarm, 5);
  p.call('get3', NR.getitimer, 0, p.buf('cur3', 16));
  p.call('periodic', NR.setitimer, 0, p.words('p20', [0, 20_000, 0, 20_000]), p.buf('old1', 16));
  for (let i = 0; i < 3; i++) p.call(`susp${i}`, NR.rt_sigsuspend, p.words('none', [0, 0]), 8);
  p.call('stop', NR.setitimer, 0, 0, p.buf('old2', 16));
  p.call('virt', NR.setitimer, 1, p.words('v30', [0, 0, 0, 30_000]), 0);
  p.call('getVirt', NR.getitimer, 1, p.buf('curVirt', 16));
  p.call('badWhich', NR.setitimer, 3, p.words('v1', [0, 0, 0, 1]), 0);
  p.call('badUsec', NR.setitimer, 0, p.words('vbad', [0, 0, 0, 1_000_000]), 0);
  p.call('getBad', NR.getitimer, 3, p.buf('curBad', 16));
  p.finish();
  p.label('handler');
  p.inc(p.buf('alarms', 4));
  p.ret();
  p.restorer();

  it('share ITIMER_REAL with alarm, reload with their interval, and report in jiffy steps', () => {
    const native = runNatively(p);
    for (const { label, out: o } of runEverywhere(p)) {
      expect([o.i32('set'), o.i32('old0', 2), o.i32('old0', 3)], label).toEqual([0, 0, 0]);
      expect([o.i32('cur', 0), o.i32('cur', 1), o.i32('cur', 2), o.i32('cur', 3)]).toEqual([0, 0, 1, 300_000]);
      expect([o.i32('alarm0'), o.i32('cur2', 2), o.i32('cur2', 3)]).toEqual([1, 0, 0]); // 1.3 s: the nearest second
      expect([o.i32('alarm5'), o.i32('cur3', 2), o.i32('cur3', 0)]).toEqual([0, 5, 0]);
      expect([o.i32('susp0'), o.i32('susp1'), o.i32('susp2'), o.i32('alarms')]).toEqual([EINTR, EINTR, EINTR, 3]);
      expect(o.i32('old1', 2) * 1e6 + o.i32('old1', 3)).toBeGreaterThan(4_900_000); // alarm(5) had not run out
      expect(o.i32('old1', 2) * 1e6 + o.i32('old1', 3)).toBeLessThanOrEqual(5_000_000);
      expect([o.i32('stop'), o.i32('old2', 1)]).toEqual([0, 20_000]); // the interval still set
      expect([o.i32('getVirt'), o.i32('curVirt', 3)]).toEqual([0, 40_000]); // 3 jiffies and the one under way
      expect([o.i32('badWhich'), o.i32('badUsec'), o.i32('getBad')]).toEqual([EINVAL, EINVAL, EINVAL]);
      if (native) {
        for (const n of ['set', 'alarm0', 'alarm5', 'susp0', 'susp1', 'susp2', 'alarms', 'stop', 'badWhich', 'badUsec', 'getBad']) expect(o.i32(n), `${label} vs native: ${n}`).toBe(native.i32(n));
        expect([o.i32('old2', 0), o.i32('old2', 1)]).toEqual([native.i32('old2', 0), native.i32('old2', 1)]);
      }
    }
  });
});

describe('the virtual and profiling timers', () => {
  it('send SIGVTALRM and SIGPROF as simulated time passes (they count the process\'s life, docs/linux-calls.md)', () => {
    const p = new SyscallProgram();
    const act = p.words('act', [0, SA_SIGINFO | SA_RESTORER, 0, 0, 0]);
    p.storeImm(act, p.at('handler')).storeImm(act.plus(8), p.at('restorer'));
    p.call('sa1', NR.rt_sigaction, 26 /* SIGVTALRM */, act, 0, 8);
    p.call('sa2', NR.rt_sigaction, 27 /* SIGPROF */, act, 0, 8);
    p.call('virt', NR.setitimer, 1, p.words('v20', [0, 0, 0, 20_000]), 0);
    p.call('prof', NR.setitimer, 2, p.words('p50', [0, 50_000, 0, 50_000]), 0);
    p.call('s1', NR.rt_sigsuspend, p.words('none', [0, 0]), 8);
    p.store(p.buf('first', 4), 'eax').load('eax', p.buf('last', 4)).store(p.buf('first', 4));
    p.call('s2', NR.rt_sigsuspend, p.words('none2', [0, 0]), 8);
    p.call('s3', NR.rt_sigsuspend, p.words('none3', [0, 0]), 8);
    p.call('getVirt', NR.getitimer, 1, p.buf('curVirt', 16));
    p.finish();
    p.label('handler');
    p.inc(p.buf('count', 4));
    p.loadArg('eax', 1).store(p.buf('last', 4));
    p.ret();
    p.restorer();
    for (const { label, out: o } of runEverywhere(p)) {
      expect([o.i32('virt'), o.i32('prof'), o.i32('s1'), o.i32('s2'), o.i32('s3')], label).toEqual([0, 0, EINTR, EINTR, EINTR]);
      expect([o.i32('first'), o.i32('last'), o.i32('count')]).toEqual([26, 27, 3]); // SIGVTALRM at 20 ms, SIGPROF at 50 and 100 ms
      expect([o.i32('curVirt', 2), o.i32('curVirt', 3)]).toEqual([0, 0]); // one shot: disarmed
    }
  });
});

describe('setting the time and the errors of the clock calls', () => {
  it('root moves CLOCK_REALTIME (not the monotonic clocks); others may not', () => {
    const p = new SyscallProgram();
    p.call('m0', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('tm0', 8));
    p.call('set', NR.settimeofday, p.words('tv', [2_000_000_000, 250_000]), 0);
    p.call('rt', NR.clock_gettime, CLOCK.REALTIME, p.buf('trt', 8));
    p.call('time', NR.time, 0);
    p.call('m1', NR.clock_gettime, CLOCK.MONOTONIC, p.buf('tm1', 8));
    p.call('settime', NR.clock_settime, CLOCK.REALTIME, p.words('ts', [1_500_000_000, 0]));
    p.call('time2', NR.time, 0);
    p.call('tz', NR.settimeofday, 0, p.words('tzv', [-60, 0]));
    p.call('tzBad', NR.settimeofday, 0, p.words('tzbad', [16 * 60, 0]));
    p.call('gtod', NR.gettimeofday, 0, p.buf('tzr', 8));
    p.call('drop', NR.setresuid32, 1000, 1000, 1000);
    p.call('userSet', NR.settimeofday, p.words('tv2', [0, 0]), 0);
    p.call('userSettime', NR.clock_settime, CLOCK.REALTIME, p.words('ts2', [0, 0]));
    p.finish();
    for (const { label, out: o } of runEverywhere(p)) {
      expect([o.i32('set'), o.i32('trt', 0), o.i32('time')], label).toEqual([0, 2_000_000_000, 2_000_000_000]);
      expect(o.i32('trt', 1)).toBeGreaterThanOrEqual(250_000_000);
      expect(ns(o, 'tm1')).toBeLessThan(100 * MS); // the monotonic clock did not move
      expect([o.i32('settime'), o.i32('time2')]).toEqual([0, 1_500_000_000]);
      expect([o.i32('tz'), o.i32('tzBad'), o.i32('tzr', 0)]).toEqual([0, EINVAL, -60]);
      expect([o.i32('userSet'), o.i32('userSettime')]).toEqual([EPERM, EPERM]);
    }
  });

  it('answers bad arguments as a native run does (without setting the host\'s clock)', () => {
    const p = new SyscallProgram();
    p.call('todBad', NR.settimeofday, p.words('tvBad', [0, 1_000_000]), 0);
    p.call('setMono', NR.clock_settime, CLOCK.MONOTONIC, p.words('ts', [0, 0]));
    p.call('setCpu', NR.clock_settime, CLOCK.PROCESS_CPUTIME_ID, p.words('ts2', [0, 0]));
    p.call('sleepRaw', NR.clock_nanosleep, CLOCK.MONOTONIC_RAW, 0, p.words('ms1', [0, MS]), 0);
    p.call('sleepThread', NR.clock_nanosleep, CLOCK.THREAD_CPUTIME_ID, 0, p.words('ms1b', [0, MS]), 0);
    p.call('sleepCoarse', NR.clock_nanosleep, CLOCK.REALTIME_COARSE, 0, p.words('ms1c', [0, MS]), 0);
    p.call('sleepBad', NR.clock_nanosleep, 99, 0, p.words('ms1d', [0, MS]), 0);
    p.call('sleepNs', NR.clock_nanosleep, CLOCK.MONOTONIC, 0, p.words('nsBad', [0, 1_000_000_000]), 0);
    p.call('sleepNeg', NR.nanosleep, p.words('neg', [-1, 0]), 0);
    p.call('getres', NR.clock_getres, CLOCK.PROCESS_CPUTIME_ID, p.buf('rcpu', 8));
    p.finish();
    const slots = ['todBad', 'setMono', 'setCpu', 'sleepRaw', 'sleepThread', 'sleepCoarse', 'sleepBad', 'sleepNs', 'sleepNeg', 'getres', 'rcpu'];
    const native = runNatively(p);
    for (const { label, out: o } of runEverywhere(p)) {
      expect(slots.map((s) => o.i32(s)), label).toEqual([EINVAL, EINVAL, EINVAL, EOPNOTSUPP, EOPNOTSUPP, EOPNOTSUPP, EINVAL, EINVAL, EINVAL, 0, 0]);
      expect(o.i32('rcpu', 1)).toBe(1);
      if (native) expect(slots.map((s) => o.i32(s)), `${label} vs native`).toEqual(slots.map((s) => native.i32(s)));
    }
  });
});
